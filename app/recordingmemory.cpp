#include "recordingmemory.h"

#include <trace/recorder.h>

#include <QCoreApplication>
#include <QInputDialog>
#include <QSettings>
#include <QSpinBox>

#include <algorithm>
#include <climits>

namespace tl::ui {

namespace {
QString tr(const char* text)
{
    return QCoreApplication::translate("RecordingMemory", text);
}
}

void restoreRecordingMemory()
{
    if (const int mib = QSettings().value(QStringLiteral("recordingMemoryMiB"), 0).toInt(); mib > 0)
        RecordingBudget::choose(
            std::clamp(std::size_t(mib) << 20, RecordingBudget::kMinBytes, RecordingBudget::machineBytes()));
}

std::optional<int> chooseRecordingMemory(QWidget* parent)
{
    QInputDialog dialog(parent);
    dialog.setWindowTitle(tr("Recording Memory"));
    dialog.setLabelText(tr("Memory a run may fill with its events. Beyond it, later events are dropped\nand "
                           "the timeline hatches where they are missing. About 16 bytes an event.\n"
                           "Default: a quarter of this machine's RAM (%L1 MiB); at most all of it (%L2 MiB).")
                            .arg(RecordingBudget::defaultBytes() >> 20)
                            .arg(RecordingBudget::machineBytes() >> 20));
    dialog.setInputMode(QInputDialog::IntInput);
    dialog.setIntRange(int(RecordingBudget::kMinBytes >> 20),
        int(std::min<std::size_t>(RecordingBudget::machineBytes() >> 20, INT_MAX)));
    dialog.setIntStep(256);
    dialog.setIntValue(int(RecordingBudget::chosenBytes() >> 20));
    if (auto* box = dialog.findChild<QSpinBox*>()) {
        box->setSuffix(tr(" MiB"));
        box->setGroupSeparatorShown(true);
    }
    if (dialog.exec() != QDialog::Accepted)
        return std::nullopt;
    const int mib = dialog.intValue();
    RecordingBudget::choose(std::size_t(mib) << 20);
    QSettings().setValue(QStringLiteral("recordingMemoryMiB"), mib);
    return mib;
}

} // namespace tl::ui
