#pragma once

namespace tl::cli {

// True when the arguments are a command (anything but none or Qt's own GUI options such as -style): the GUI
// starts only with no command, and an unknown one is a usage error.
bool wantsCli(int argc, char** argv);

// The last argument when it is a Qt option that takes a value and has none (`threadlab -style`), on which
// QApplication would abort; null otherwise.
const char* qtOptionMissingItsValue(int argc, char** argv);

// Runs the command line; returns the process exit code: 0 success, 1 the run or an output failed, 2 bad
// usage, 128+N stopped by signal N. `stopSignalFd` is the read end of the pipe main()'s handlers of SIGINT,
// SIGTERM and SIGHUP write the signal's number to (-1: none).
int main(int argc, char** argv, int stopSignalFd);

} // namespace tl::cli
