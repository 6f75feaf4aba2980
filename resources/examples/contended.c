/* Four named threads take turns on one mutex while the main thread forks a child that waits for a signal.
 *
 *   cc -O2 -pthread contended.c -o contended && threadlab trace -- ./contended
 *
 * What ThreadLab shows: four lanes named worker-1..4 under the program's pid, red where a thread waits for
 * "counter_lock" and yellow where it holds it while others wait; the child in its own process group of
 * lanes, asleep on the semaphore until the parent posts it, then its death ("exited with code 3"). */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void* worker(void* arg)
{
    char name[16];
    snprintf(name, sizeof name, "worker-%ld", (long)arg);
    pthread_setname_np(pthread_self(), name);
    for (int i = 0; i < 200; ++i) {
        pthread_mutex_lock(&counter_lock);
        ++counter;
        usleep(500); /* inside the lock: the others wait */
        pthread_mutex_unlock(&counter_lock);
        usleep(100);
    }
    return NULL;
}

int main(void)
{
    /* A semaphore in memory the child shares: it waits on it, the parent posts it. */
    sem_t* go = mmap(NULL, sizeof(sem_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    sem_init(go, 1, 0);
    pid_t child = fork();
    if (child == 0) {
        sem_wait(go);
        _exit(3);
    }
    pthread_t threads[4];
    for (long i = 0; i < 4; ++i)
        pthread_create(&threads[i], NULL, worker, (void*)(i + 1));
    usleep(100000);
    sem_post(go);
    for (int i = 0; i < 4; ++i)
        pthread_join(threads[i], NULL);
    int status = 0;
    waitpid(child, &status, 0);
    printf("counter = %ld (expected 800), child exited with %d\n", counter, WEXITSTATUS(status));
    return counter == 800 ? 0 : 1;
}
