#pragma once

namespace tl::cli {

// True when the arguments ask for the command line (run, describe, --list, --help, --version), not the GUI.
bool wantsCli(int argc, char** argv);

// Runs the command line; returns the process exit code: 0 success, 1 the run failed, 2 bad usage.
int main(int argc, char** argv);

} // namespace tl::cli
