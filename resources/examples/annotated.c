/* The annotation header: named zones, marks and a counter, written into the same trace as the locks.
 *
 *   cc -O2 -pthread -I<ThreadLab's include directory> annotated.c -o annotated -ldl
 *   threadlab trace -- ./annotated
 *
 * (Installed, the header is /usr/include/threadlab/annotate.h; in a source tree, tracee/include/.) Outside
 * ThreadLab every call below costs one predictable branch and does nothing.
 *
 * What ThreadLab shows: "parse" and "render" zones on each lane, a mark at each frame, and a counter
 * "frames" that climbs to 40 under the lanes. */
#include <threadlab/annotate.h>

#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t frame_lock = PTHREAD_MUTEX_INITIALIZER;
static long frames;

static void* render(void* arg)
{
    (void)arg;
    for (int i = 0; i < 20; ++i) {
        threadlab_zone_begin("parse");
        usleep(2000);
        threadlab_zone_end();
        threadlab_zone_begin("render");
        pthread_mutex_lock(&frame_lock);
        long n = ++frames;
        pthread_mutex_unlock(&frame_lock);
        usleep(3000);
        threadlab_zone_end();
        threadlab_mark(n);
        threadlab_counter("frames", n);
    }
    return NULL;
}

int main(void)
{
    threadlab_name_lock(&frame_lock, "frame_lock");
    pthread_t a, b;
    pthread_create(&a, NULL, render, NULL);
    pthread_create(&b, NULL, render, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("%ld frames\n", frames);
    return 0;
}
