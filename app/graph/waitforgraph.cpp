#include "waitforgraph.h"

#include <QPainter>
#include <QPainterPath>
#include <algorithm>
#include <cmath>
#include <numbers>

namespace tl::ui {

namespace {
const QColor kHoldColor(0x4c, 0xa8, 0x4f);
const QColor kWaitColor(0xe1, 0x44, 0x44);

// An arrow from a to b, stopping short of b's node.
void arrow(QPainter& p, QPointF a, QPointF b, double shortBy)
{
    const QPointF d = b - a;
    const double length = std::hypot(d.x(), d.y());
    if (length <= 2 * shortBy)
        return;
    const QPointF unit = d / length;
    const QPointF from = a + unit * shortBy;
    const QPointF to = b - unit * shortBy;
    p.drawLine(from, to);
    const QPointF normal(-unit.y(), unit.x());
    QPainterPath head;
    head.moveTo(to);
    head.lineTo(to - unit * 9 + normal * 4.5);
    head.lineTo(to - unit * 9 - normal * 4.5);
    head.closeSubpath();
    p.fillPath(head, p.pen().color());
}
}

WaitForGraph::WaitForGraph(QWidget* parent)
    : QWidget(parent)
{
    setAccessibleName(tr("Wait-for graph"));
    setToolTip(tr("Who holds which lock (solid arrow, lock to worker) and who waits for which (dashed arrow, "
                  "worker to lock). A cycle of waits is a deadlock."));
    setMinimumSize(240, 200);
}

void WaitForGraph::clear()
{
    m_workers.clear();
    m_locks.clear();
    m_shown = {};
    m_cycle.clear();
    m_deadlockText.clear();
    m_broken = false;
    QWidget::update();
}

void WaitForGraph::update(
    const std::vector<WorkerInfo>& workers, const std::vector<QString>& lockNames, const LockRegistry::Snapshot& locks)
{
    m_workers.clear();
    for (const auto& w : workers)
        m_workers.push_back(w.name);
    m_locks = lockNames;
    auto cycle = LockRegistry::waitCycle(locks);
    if (!cycle.empty()) {
        m_shown = locks;
        m_cycle = std::move(cycle);
        m_broken = false;
        QStringList steps;
        for (const auto& e : m_cycle)
            steps << m_workers.at(e.worker) << m_locks.at(e.lock);
        m_deadlockText = steps.join(QStringLiteral(" → "));
    } else if (m_cycle.empty()) {
        m_shown = locks;
    } else {
        m_broken = true; // keep the deadlock on show
    }
    QWidget::update();
}

void WaitForGraph::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(rect(), palette().base());
    p.setPen(palette().text().color());
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    const QString title = m_cycle.empty() ? tr("Wait-for graph")
        : m_broken                        ? tr("Deadlock (broken): %1").arg(m_deadlockText)
                                          : tr("Deadlock: %1").arg(m_deadlockText);
    p.setPen(m_cycle.empty() ? palette().text().color() : kWaitColor);
    p.drawText(rect().adjusted(8, 4, -8, 0), Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, title);
    p.setFont(font());

    // Workers and locks alternate around a ring (a philosopher between two forks).
    const std::size_t lockCount = m_locks.empty() ? 0 : m_locks.size() - 1;
    const std::size_t nodes = m_workers.size() + lockCount;
    if (nodes == 0)
        return;
    std::vector<QPointF> workerAt(m_workers.size()), lockAt(m_locks.size());
    const QFontMetricsF fm(font());
    // Labels sit under their nodes at full width ("queue not empty" was cut to 120 px): the ring leaves
    // half the widest one free at either side.
    double widest = 0;
    for (const QString& name : m_workers)
        widest = std::max(widest, fm.horizontalAdvance(name));
    for (std::size_t l = 1; l < m_locks.size(); ++l)
        widest = std::max(widest, fm.horizontalAdvance(m_locks[l]));
    const QPointF centre(width() / 2.0, height() / 2.0 + 10);
    const double radius
        = std::max(40.0, std::min(width() / 2.0 - std::max(36.0, widest / 2 + 8), (height() - 40) / 2.0 - 36));
    std::size_t slot = 0;
    auto place = [&] {
        const double angle = 2 * std::numbers::pi * double(slot++) / double(nodes) - std::numbers::pi / 2;
        return centre + QPointF(std::cos(angle), std::sin(angle)) * radius;
    };
    for (std::size_t i = 0; i < std::max(m_workers.size(), lockCount); ++i) {
        if (i < m_workers.size())
            workerAt[i] = place();
        if (i < lockCount)
            lockAt[i + 1] = place();
    }
    auto inCycle = [&](std::uint32_t worker, std::uint16_t lock, bool wait) {
        for (std::size_t i = 0; i < m_cycle.size(); ++i) {
            const auto& e = m_cycle[i];
            const auto& next = m_cycle[(i + 1) % m_cycle.size()];
            if (wait ? (e.worker == worker && e.lock == lock) : (next.worker == worker && e.lock == lock))
                return true;
        }
        return false;
    };
    constexpr double kNode = 22;
    for (const auto& h : m_shown.holds) {
        if (h.worker >= workerAt.size() || h.lock >= lockAt.size())
            continue;
        const bool hot = inCycle(h.worker, h.lock, false);
        p.setPen(QPen(hot ? kWaitColor : kHoldColor, hot ? 3 : 2));
        arrow(p, lockAt[h.lock], workerAt[h.worker], kNode);
    }
    for (const auto& w : m_shown.waits) {
        if (w.worker >= workerAt.size() || w.lock >= lockAt.size())
            continue;
        const bool hot = inCycle(w.worker, w.lock, true);
        p.setPen(QPen(kWaitColor, hot ? 3 : 1.5, Qt::DashLine));
        arrow(p, workerAt[w.worker], lockAt[w.lock], kNode);
    }
    auto label = [&](QPointF at, const QString& text) {
        p.setPen(palette().text().color());
        const double w = fm.horizontalAdvance(text) + 2;
        // Kept inside the widget when the graph is too narrow for the ring to leave room.
        const double left = std::clamp(at.x() - w / 2, 0.0, std::max(0.0, width() - w));
        p.drawText(QRectF(left, at.y() + kNode - 2, w, fm.height()), Qt::AlignHCenter, text);
    };
    for (std::size_t i = 0; i < m_workers.size(); ++i) {
        p.setPen(QPen(palette().text().color(), 1.5));
        p.setBrush(palette().button());
        p.drawEllipse(workerAt[i], kNode / 2 + 4, kNode / 2 + 4);
        label(workerAt[i], m_workers[i]);
    }
    for (std::size_t l = 1; l < m_locks.size(); ++l) {
        p.setPen(QPen(palette().text().color(), 1.5));
        p.setBrush(palette().alternateBase());
        p.drawRect(QRectF(lockAt[l] - QPointF(kNode / 2, kNode / 2), QSizeF(kNode, kNode)));
        label(lockAt[l], m_locks[l]);
    }
}

} // namespace tl::ui
