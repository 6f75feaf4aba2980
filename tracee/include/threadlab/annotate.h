/* ThreadLab annotations for C and C++ programs: zones, marks, counters and lock names that appear on the
 * timeline when the program runs under `threadlab trace -- PROGRAM`, and cost one predictable branch and an
 * empty call otherwise. Nothing to link: the functions look up, once per translation unit, the table the
 * tracee library (libthreadlab-tracee.so, preloaded by ThreadLab) exports, and do nothing without it.
 *
 *   threadlab_zone_begin("parse");  ...  threadlab_zone_end();    a named span on the thread's lane
 *   threadlab_mark(42);                                            a point of interest with a value
 *   threadlab_counter("queue depth", n);                           a value ThreadLab samples and plots
 *   threadlab_name_lock(&queue_mutex, "queue");                    what the window calls a lock
 *
 * Names must stay valid for the program's life (string literals are): zones and counters are keyed by the
 * name's address. Zones nest (up to 32 deep per thread) and must end on the thread that began them. */
#ifndef THREADLAB_ANNOTATE_H
#define THREADLAB_ANNOTATE_H

#include <dlfcn.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What libthreadlab-tracee.so exports as `threadlab_annotate_v1`. Later versions only add members. */
struct threadlab_annotate_table {
    unsigned int size; /* sizeof(struct threadlab_annotate_table) of the library */
    void (*zone_begin)(const char* name);
    void (*zone_end)(void);
    void (*mark)(long long value);
    void (*counter)(const char* name, long long value);
    void (*name_lock)(const void* lock, const char* name);
};

static inline void threadlab_noop_name_(const char* name)
{
    (void)name;
}
static inline void threadlab_noop_void_(void)
{
}
static inline void threadlab_noop_value_(long long value)
{
    (void)value;
}
static inline void threadlab_noop_counter_(const char* name, long long value)
{
    (void)name;
    (void)value;
}
static inline void threadlab_noop_lock_(const void* lock, const char* name)
{
    (void)lock;
    (void)name;
}

static inline const struct threadlab_annotate_table* threadlab_annotate_lookup_(void)
{
    static const struct threadlab_annotate_table none = { sizeof(struct threadlab_annotate_table), threadlab_noop_name_,
        threadlab_noop_void_, threadlab_noop_value_, threadlab_noop_counter_, threadlab_noop_lock_ };
    /* RTLD_DEFAULT is ((void*)0) in glibc, and needs _GNU_SOURCE to be named. */
    const struct threadlab_annotate_table* found
        = (const struct threadlab_annotate_table*)dlsym((void*)0, "threadlab_annotate_v1");
    return found ? found : &none;
}

static inline const struct threadlab_annotate_table* threadlab_annotate_(void)
{
    static const struct threadlab_annotate_table* table;
    const struct threadlab_annotate_table* t = __atomic_load_n(&table, __ATOMIC_ACQUIRE);
    if (__builtin_expect(t == 0, 0)) {
        t = threadlab_annotate_lookup_();
        __atomic_store_n(&table, t, __ATOMIC_RELEASE);
    }
    return t;
}

static inline void threadlab_zone_begin(const char* name)
{
    threadlab_annotate_()->zone_begin(name);
}
static inline void threadlab_zone_end(void)
{
    threadlab_annotate_()->zone_end();
}
static inline void threadlab_mark(long long value)
{
    threadlab_annotate_()->mark(value);
}
static inline void threadlab_counter(const char* name, long long value)
{
    threadlab_annotate_()->counter(name, value);
}
static inline void threadlab_name_lock(const void* lock, const char* name)
{
    threadlab_annotate_()->name_lock(lock, name);
}

#ifdef __cplusplus
}
#endif

#endif /* THREADLAB_ANNOTATE_H */
