#pragma once

namespace tl {

// `threadlab --child SCENARIO ROLE ARGS...`: the hidden mode in which ThreadLab runs as a scenario's child
// process. Started by Children only (it needs the segment the parent made); returns the exit code. It lives
// above the scenarios because it looks SCENARIO up in the registry to play ROLE (Scenario::runChild).
bool isChildMode(int argc, char** argv);
int runChildMode(int argc, char** argv);

} // namespace tl
