#pragma once

#include <QString>
#include <functional>

class QIODevice;

namespace tl {

// The path that means standard output, for the outputs that may stream there.
inline bool isStandardOutput(const QString& path)
{
    return path == u"-";
}

// Every output of ThreadLab goes through here, so that each one is complete or absent. A file is written
// through QSaveFile: nothing replaces the previous file unless every write, the final flush and the commit
// succeeded. "-" writes to standard output plainly (unbuffered: a failed write is seen at once). `write`
// returns false when it could not produce the output; `error` then reads "cannot write PATH: REASON".
bool writeOutput(const QString& path, const std::function<bool(QIODevice&)>& write, QString* error);

} // namespace tl
