// The exec family and posix_spawn: a program that runs another with an environment of its own (or after
// clearenv(), or after unsetenv("LD_PRELOAD")) still has it traced. The environment is rebuilt on the
// stack (alloca), never with malloc: these run in vfork children, which share the parent's heap and locks.
// Nothing is recorded here: before a successful exec this thread's slot must not be written any more (a
// vfork child even shares the parent thread's TLS); the new image's constructor claims a slot of its own.
#include "exec.h"

#include "tracee.h"

#include <alloca.h>
#include <cstdarg>
#include <cstring>
#include <dlfcn.h>
#include <spawn.h>
#include <unistd.h>

namespace tl::tracee {

namespace {

constexpr char kPreloadPrefix[] = "LD_PRELOAD=";
constexpr std::size_t kPreloadPrefixLength = sizeof kPreloadPrefix - 1;
constexpr char kArenaPrefix[] = "THREADLAB_ARENA=";
constexpr std::size_t kArenaPrefixLength = sizeof kArenaPrefix - 1;

char g_arenaEnv[512]; // "THREADLAB_ARENA=/threadlab-arena-…"
char g_library[4096]; // this library as LD_PRELOAD named it ("/…/libthreadlab-tracee.so")
bool g_reinject = false;

using ExecveFn = int(const char*, char* const[], char* const[]);
using FexecveFn = int(int, char* const[], char* const[]);
using SpawnFn = int(
    pid_t*, const char*, const posix_spawn_file_actions_t*, const posix_spawnattr_t*, char* const[], char* const[]);
Real<ExecveFn> real_execve { "execve" };
Real<ExecveFn> real_execvpe { "execvpe" };
Real<FexecveFn> real_fexecve { "fexecve" };
Real<SpawnFn> real_posix_spawn { "posix_spawn" };
Real<SpawnFn> real_posix_spawnp { "posix_spawnp" };

// Calls `call` with `envp`, or with a copy on this frame's stack that has THREADLAB_ARENA and this library
// in LD_PRELOAD when `envp` lacks them. Only the C library's async-signal-safe string functions are used.
template <typename Call> int withTracedEnvironment(char* const* envp, Call&& call)
{
    if (!g_reinject)
        return call(envp);
    std::size_t n = 0;
    const char* preload = nullptr;
    bool preloadHasUs = false;
    bool hasArena = false;
    for (; envp && envp[n]; ++n) {
        if (std::strncmp(envp[n], kPreloadPrefix, kPreloadPrefixLength) == 0) {
            preload = envp[n];
            preloadHasUs = std::strstr(envp[n] + kPreloadPrefixLength, abi::kTraceeLibrary) != nullptr;
        } else if (std::strncmp(envp[n], kArenaPrefix, kArenaPrefixLength) == 0) {
            hasArena = true; // the program's own choice (a nested ThreadLab) stands
        }
    }
    if (preloadHasUs && hasArena)
        return call(envp);
    auto** env = static_cast<char**>(alloca((n + 3) * sizeof(char*)));
    std::size_t k = 0;
    for (std::size_t i = 0; i < n; ++i)
        if (std::strncmp(envp[i], kPreloadPrefix, kPreloadPrefixLength) != 0)
            env[k++] = envp[i];
    if (preloadHasUs) {
        env[k++] = const_cast<char*>(preload);
    } else {
        // Ours first, then whatever the program preloads itself.
        const char* theirs = preload ? preload + kPreloadPrefixLength : "";
        const std::size_t ours = std::strlen(g_library);
        const std::size_t rest = std::strlen(theirs);
        auto* value = static_cast<char*>(alloca(kPreloadPrefixLength + ours + 1 + rest + 1));
        std::memcpy(value, kPreloadPrefix, kPreloadPrefixLength);
        std::memcpy(value + kPreloadPrefixLength, g_library, ours);
        std::size_t at = kPreloadPrefixLength + ours;
        if (rest) {
            value[at++] = ':';
            std::memcpy(value + at, theirs, rest);
            at += rest;
        }
        value[at] = '\0';
        env[k++] = value;
    }
    if (!hasArena)
        env[k++] = g_arenaEnv;
    env[k] = nullptr;
    return call(env);
}

// execl-style arguments, collected on the caller's stack by the macro below (alloca must be in its frame).
std::size_t countArgs(const char* first, va_list ap)
{
    std::size_t n = first ? 1 : 0;
    if (first) {
        va_list copy;
        va_copy(copy, ap);
        while (va_arg(copy, char*))
            ++n;
        va_end(copy);
    }
    return n;
}

} // namespace

void keepEnvironment(const char* arena, const char* preload) noexcept
{
    if (std::strlen(arena) + kArenaPrefixLength >= sizeof g_arenaEnv)
        return;
    std::memcpy(g_arenaEnv, kArenaPrefix, kArenaPrefixLength);
    abi::copyName(g_arenaEnv + kArenaPrefixLength, sizeof g_arenaEnv - kArenaPrefixLength, arena);
    // LD_PRELOAD's entry for this library (entries are separated by ':' or spaces); if it came some other
    // way, the path the dynamic linker loaded it from.
    g_library[0] = '\0';
    if (preload) {
        for (const char* p = preload; *p;) {
            const std::size_t length = std::strcspn(p, ": ");
            if (length < sizeof g_library) {
                char entry[sizeof g_library];
                std::memcpy(entry, p, length);
                entry[length] = '\0';
                if (std::strstr(entry, abi::kTraceeLibrary)) {
                    abi::copyName(g_library, sizeof g_library, entry);
                    break;
                }
            }
            p += length;
            if (*p)
                ++p;
        }
    }
    if (!g_library[0]) {
        Dl_info info {};
        if (dladdr(reinterpret_cast<void*>(&keepEnvironment), &info) && info.dli_fname)
            abi::copyName(g_library, sizeof g_library, info.dli_fname);
    }
    g_reinject = g_library[0] != '\0';
}

void resolveExec() noexcept
{
    real_execve.get();
    real_execvpe.get();
    real_fexecve.get();
    real_posix_spawn.get();
    real_posix_spawnp.get();
}

} // namespace tl::tracee

using namespace tl::tracee;

#define TL_COLLECT_ARGS(argv, first, ap)                                                                               \
    const std::size_t argc_ = countArgs(first, ap);                                                                    \
    auto** argv = static_cast<char**>(alloca((argc_ + 1) * sizeof(char*)));                                            \
    if (argc_)                                                                                                         \
        argv[0] = const_cast<char*>(first);                                                                            \
    for (std::size_t i_ = 1; i_ < argc_; ++i_)                                                                         \
        argv[i_] = va_arg(ap, char*);                                                                                  \
    argv[argc_] = nullptr;

extern "C" {

TL_EXPORT int execve(const char* path, char* const argv[], char* const envp[]) noexcept
{
    return withTracedEnvironment(envp, [&](char* const* env) { return real_execve.get()(path, argv, env); });
}

TL_EXPORT int execv(const char* path, char* const argv[]) noexcept
{
    return withTracedEnvironment(environ, [&](char* const* env) { return real_execve.get()(path, argv, env); });
}

TL_EXPORT int execvpe(const char* file, char* const argv[], char* const envp[]) noexcept
{
    return withTracedEnvironment(envp, [&](char* const* env) { return real_execvpe.get()(file, argv, env); });
}

TL_EXPORT int execvp(const char* file, char* const argv[]) noexcept
{
    return withTracedEnvironment(environ, [&](char* const* env) { return real_execvpe.get()(file, argv, env); });
}

TL_EXPORT int fexecve(int fd, char* const argv[], char* const envp[]) noexcept
{
    return withTracedEnvironment(envp, [&](char* const* env) { return real_fexecve.get()(fd, argv, env); });
}

TL_EXPORT int execl(const char* path, const char* arg, ...) noexcept
{
    va_list ap;
    va_start(ap, arg);
    TL_COLLECT_ARGS(argv, arg, ap)
    va_end(ap);
    return withTracedEnvironment(environ, [&](char* const* env) { return real_execve.get()(path, argv, env); });
}

TL_EXPORT int execlp(const char* file, const char* arg, ...) noexcept
{
    va_list ap;
    va_start(ap, arg);
    TL_COLLECT_ARGS(argv, arg, ap)
    va_end(ap);
    return withTracedEnvironment(environ, [&](char* const* env) { return real_execvpe.get()(file, argv, env); });
}

TL_EXPORT int execle(const char* path, const char* arg, ...) noexcept
{
    va_list ap;
    va_start(ap, arg);
    TL_COLLECT_ARGS(argv, arg, ap)
    (void)va_arg(ap, char*); // the arguments' terminating null
    char* const* envp = va_arg(ap, char* const*);
    va_end(ap);
    return withTracedEnvironment(envp, [&](char* const* env) { return real_execve.get()(path, argv, env); });
}

TL_EXPORT int posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* actions,
    const posix_spawnattr_t* attr, char* const argv[], char* const envp[])
{
    return withTracedEnvironment(
        envp, [&](char* const* env) { return real_posix_spawn.get()(pid, path, actions, attr, argv, env); });
}

TL_EXPORT int posix_spawnp(pid_t* pid, const char* file, const posix_spawn_file_actions_t* actions,
    const posix_spawnattr_t* attr, char* const argv[], char* const envp[])
{
    return withTracedEnvironment(
        envp, [&](char* const* env) { return real_posix_spawnp.get()(pid, file, actions, attr, argv, env); });
}

} // extern "C"
