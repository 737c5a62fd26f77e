#define _GNU_SOURCE
/* I/O threads start with the first socket (ZMQ_IO_THREADS of them, named
 * after ZMQ_THREAD_NAME_PREFIX, on the CPUs, scheduling policy and
 * priority the context asks for), stop at zmq_ctx_term, and do not take
 * the application's signals. */
#include "testutil.h"
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

/* How many threads of this process have `name` as their name; the id of
 * the last one in *tid, if tid is not NULL. */
static int threads_named_tid (const char *name, pid_t *tid)
{
    int count = 0;
    DIR *dir = opendir ("/proc/self/task");
    if (!dir)
        return -1;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        if (entry->d_name[0] == '.')
            continue;
        char path[300], comm[64] = {0};
        snprintf (path, sizeof path, "/proc/self/task/%s/comm", entry->d_name);
        FILE *file = fopen (path, "r");
        if (!file)
            continue;
        if (fgets (comm, sizeof comm, file)) {
            comm[strcspn (comm, "\n")] = 0;
            if (strcmp (comm, name) == 0) {
                count++;
                if (tid)
                    *tid = (pid_t) atoi (entry->d_name);
            }
        }
        fclose (file);
    }
    closedir (dir);
    return count;
}

static int threads_named (const char *name)
{
    return threads_named_tid (name, NULL);
}

/* A thread applies its scheduling as it starts: wait up to 2 s for the
 * thread `tid` to run under `policy`, then for its nice value to be
 * `nice_value`. */
static int wait_for_policy (pid_t tid, int policy)
{
    int current = sched_getscheduler (tid);
    for (int i = 0; i < 200 && current != policy; i++) {
        usleep (10000);
        current = sched_getscheduler (tid);
    }
    return current;
}

static int wait_for_nice (pid_t tid, int nice_value)
{
    int current = getpriority (PRIO_PROCESS, (id_t) tid);
    for (int i = 0; i < 200 && current != nice_value; i++) {
        usleep (10000);
        current = getpriority (PRIO_PROCESS, (id_t) tid);
    }
    return current;
}

/* Threads name themselves when they start: wait up to 2 s for `expected`
 * threads named `name`. */
static int wait_for_threads (const char *name, int expected)
{
    int count = threads_named (name);
    for (int i = 0; i < 200 && count != expected; i++) {
        usleep (10000);
        count = threads_named (name);
    }
    return count;
}

static volatile sig_atomic_t got_signal;
static void on_signal (int signum)
{
    (void) signum;
    got_signal = 1;
}

int main (void)
{
    void *ctx = zmq_ctx_new ();
    REQUIRE (ctx != NULL);
    CHECK_EQ_INT (threads_named ("ZMQbg/IO/0"), 0);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_IO_THREADS, 3), 0);
    void *s = zmq_socket (ctx, ZMQ_PAIR);
    /* valgrind runs threads under names of its own. */
    int named = !getenv ("ZMQ_TEST_SCALE");
    if (!named)
        printf ("under valgrind: thread names not checked\n");
    if (named) {
        CHECK_EQ_INT (wait_for_threads ("ZMQbg/IO/0", 1), 1);
        CHECK_EQ_INT (wait_for_threads ("ZMQbg/IO/2", 1), 1);
        CHECK_EQ_INT (threads_named ("ZMQbg/IO/3"), 0);
    }

    /* A signal sent to the process reaches this thread, not an I/O one. */
    signal (SIGUSR1, on_signal);
    kill (getpid (), SIGUSR1);
    CHECK_EQ_INT (got_signal, 1);

    zmq_close (s);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    CHECK_EQ_INT (wait_for_threads ("ZMQbg/IO/0", 0), 0);

    ctx = zmq_ctx_new ();
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_THREAD_NAME_PREFIX, 7), 0);
    s = zmq_socket (ctx, ZMQ_PAIR);
    if (named)
        CHECK_EQ_INT (wait_for_threads ("7/ZMQbg/IO/0", 1), 1);
    zmq_close (s);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);

    /* Scheduling: SCHED_BATCH needs no privilege; a priority under a
     * policy without static priorities asks for the lowest nice value,
     * which only a privileged process gets. The CPU set is applied. */
    ctx = zmq_ctx_new ();
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_THREAD_SCHED_POLICY, SCHED_BATCH), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_THREAD_SCHED_POLICY), SCHED_BATCH);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_THREAD_PRIORITY, 10), 0);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, 0), 0);
    int nice_before = getpriority (PRIO_PROCESS, 0);
    s = zmq_socket (ctx, ZMQ_PAIR);
    pid_t tid = 0;
    if (named) {
        CHECK_EQ_INT (wait_for_threads ("ZMQbg/IO/0", 1), 1);
        threads_named_tid ("ZMQbg/IO/0", &tid);
        CHECK_EQ_INT (wait_for_policy (tid, SCHED_BATCH), SCHED_BATCH);
        int expected = geteuid () == 0 ? -20 : nice_before;
        CHECK_EQ_INT (wait_for_nice (tid, expected), expected);
        cpu_set_t cpus;
        CPU_ZERO (&cpus);
        CHECK_EQ_INT (sched_getaffinity (tid, sizeof cpus, &cpus), 0);
        CHECK_EQ_INT (CPU_COUNT (&cpus), 1);
        CHECK (CPU_ISSET (0, &cpus));
    }
    /* The application's own thread is left as it was. */
    CHECK_EQ_INT (sched_getscheduler (0), SCHED_OTHER);
    CHECK_EQ_INT (getpriority (PRIO_PROCESS, 0), nice_before);
    zmq_close (s);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);

    /* No I/O threads at all still serves inproc. */
    ctx = zmq_ctx_new ();
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_IO_THREADS, 0), 0);
    void *a = zmq_socket (ctx, ZMQ_PAIR);
    void *b = zmq_socket (ctx, ZMQ_PAIR);
    CHECK_EQ_INT (threads_named ("ZMQbg/IO/0"), 0);
    CHECK_EQ_INT (zmq_bind (a, "inproc://no-io"), 0);
    CHECK_EQ_INT (zmq_connect (b, "inproc://no-io"), 0);
    CHECK_EQ_INT (zmq_send (a, "x", 1, 0), 1);
    char buf[4];
    CHECK_EQ_INT (zmq_recv (b, buf, sizeof buf, 0), 1);
    zmq_close (a);
    zmq_close (b);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("io_threads");
}
