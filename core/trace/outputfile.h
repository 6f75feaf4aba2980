#pragma once

#include <QString>
#include <functional>
#include <optional>

class QIODevice;

namespace tl {

// The path that means standard output, for the outputs that may stream there.
inline bool isStandardOutput(const QString& path)
{
    return path == u"-";
}

// Where an output goes once its name is resolved: a directory and a name in it that is a regular file or
// nothing yet.
struct OutputTarget {
    QString directory;
    QString name;
};

// Resolves an output's path the way a careful root would. A symbolic link as the last component is followed
// only when its owner is this user or root (as root: only root's own), link by link through a chain, so no
// other user's link can point an output at a file of theirs choosing (the kernel's protected_symlinks rule
// covers the directories on the way, which the kernel itself walks). The resolved target must be a regular
// file or absent, in an existing directory outside /proc, /sys and /dev that this user may write. Returns
// nothing and the reason (without the path) in `reason` otherwise.
std::optional<OutputTarget> resolveOutputTarget(const QString& path, QString* reason);

// Every output of ThreadLab goes through here, so that each one is complete or absent and none is written
// through another user's link. A file is written into a new temporary file beside its resolved target
// (created exclusively, never through a link), which replaces the target by rename only once every write
// succeeded; the old file stays otherwise. "-" writes to standard output plainly (unbuffered: a failed
// write is seen at once). `write` returns false when it could not produce the output; `error` then reads
// "cannot write PATH: REASON".
bool writeOutput(const QString& path, const std::function<bool(QIODevice&)>& write, QString* error);

// Standard output was closed when ThreadLab started (main() then put /dev/null there so that no file opened
// later takes its number): an output to "-" must fail instead of vanishing.
void setStandardOutputClosed(bool closed);
bool standardOutputClosed();

} // namespace tl
