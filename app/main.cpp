#include "processes/childcontext.h"
#include "processes/ipcregistry.h"

#include <cstdio>
#include <dlfcn.h>
#include <filesystem>

namespace {
// The window and the command line live in libthreadlab_app.so: beside the executable in a build tree,
// at THREADLAB_APP_MODULE_DIR (relative to the executable's directory) once installed.
void* loadAppModule()
{
    const std::filesystem::path exeDir = std::filesystem::read_symlink("/proc/self/exe").parent_path();
    std::string error;
    for (const auto& dir : { exeDir, exeDir / THREADLAB_APP_MODULE_DIR }) {
        if (void* module = dlopen((dir / "libthreadlab_app.so").c_str(), RTLD_NOW | RTLD_LOCAL))
            return module;
        error = dlerror();
    }
    std::fprintf(stderr,
        "threadlab: cannot load its window and command line (libthreadlab_app.so): %s\n"
        "Reinstall ThreadLab, or run it from its build directory.\n",
        error.c_str());
    return nullptr;
}
}

int main(int argc, char** argv)
{
    // A child process starts here and needs only Qt Core: starting one must cost a few milliseconds.
    if (tl::isChildMode(argc, argv))
        return tl::runChildMode(argc, argv);

    // Shared memory of a ThreadLab that was killed outright (SIGKILL) is still there: remove it first.
    tl::IpcRegistry::removeStaleQuietly();
    void* module = loadAppModule();
    if (!module)
        return 1;
    using AppMain = int (*)(int, char**);
    const auto appMain = reinterpret_cast<AppMain>(dlsym(module, "threadlab_app_main"));
    return appMain ? appMain(argc, argv) : 1;
}
