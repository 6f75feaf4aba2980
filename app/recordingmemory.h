#pragma once

#include <optional>

class QWidget;

namespace tl::ui {

// The memory a run may fill with events (RecordingBudget), as chosen in an earlier session (QSettings
// "recordingMemoryMiB"); the machine's default when none was.
void restoreRecordingMemory();
// Asks for it in the Recording Memory dialog and keeps the answer: the MiB chosen, nothing if cancelled.
std::optional<int> chooseRecordingMemory(QWidget* parent);

} // namespace tl::ui
