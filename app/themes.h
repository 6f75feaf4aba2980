#pragma once

#include <QObject>
#include <QPalette>

class QActionGroup;
class QMenu;

namespace tl::ui {

// The application's look: the desktop's own style and palette, or Fusion light or dark, remembered across
// sessions (QSettings "theme"). Offered as a menu of checkable actions.
class Themes : public QObject {
    Q_OBJECT
public:
    enum class Theme { System, Light, Dark };

    // Takes note of the desktop's style and palette: call before applying any other.
    explicit Themes(QObject* parent = nullptr);

    void addActionsTo(QMenu* menu);
    void apply(Theme theme);
    void applySaved();

signals:
    void applied();

private:
    QPalette m_systemPalette;
    QString m_systemStyle;
    QActionGroup* m_group;
};

} // namespace tl::ui
