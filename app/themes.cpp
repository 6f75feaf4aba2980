#include "themes.h"

#include <QActionGroup>
#include <QApplication>
#include <QMenu>
#include <QSettings>
#include <QStyle>
#include <QStyleFactory>

namespace tl::ui {

namespace {
QPalette darkPalette()
{
    QPalette p;
    const QColor window(0x2b, 0x2d, 0x31), base(0x1e, 0x20, 0x24), text(0xe6, 0xe8, 0xeb);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, window);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::PlaceholderText, QColor(0x9a, 0xa0, 0xa8));
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::Highlight, QColor(0x3d, 0x7e, 0xd8));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x6c, 0xa8, 0xff));
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x70, 0x74, 0x7a));
    p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x70, 0x74, 0x7a));
    p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x70, 0x74, 0x7a));
    return p;
}
}

Themes::Themes(QObject* parent)
    : QObject(parent)
    , m_systemPalette(QApplication::palette())
    , m_systemStyle(QApplication::style()->name())
    , m_group(new QActionGroup(this))
{
    const std::pair<Theme, QString> names[]
        = { { Theme::System, tr("Follow the &System") }, { Theme::Light, tr("&Light") }, { Theme::Dark, tr("&Dark") } };
    for (const auto& [theme, name] : names) {
        auto* a = new QAction(name, this);
        a->setCheckable(true);
        a->setData(int(theme));
        m_group->addAction(a);
        connect(a, &QAction::triggered, this, [this, theme = theme] { apply(theme); });
    }
}

void Themes::addActionsTo(QMenu* menu)
{
    menu->addActions(m_group->actions());
}

void Themes::apply(Theme theme)
{
    if (theme == Theme::System) {
        QApplication::setStyle(m_systemStyle);
        QApplication::setPalette(m_systemPalette);
    } else {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QApplication::setPalette(theme == Theme::Dark ? darkPalette() : QApplication::style()->standardPalette());
    }
    for (auto* a : m_group->actions())
        a->setChecked(a->data().toInt() == int(theme));
    QSettings().setValue(QStringLiteral("theme"), int(theme));
    emit applied();
}

void Themes::applySaved()
{
    apply(Theme(QSettings().value(QStringLiteral("theme"), int(Theme::System)).toInt()));
}

} // namespace tl::ui
