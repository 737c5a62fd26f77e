/* I/O threads start with the first socket (ZMQ_IO_THREADS of them, named
 * after ZMQ_THREAD_NAME_PREFIX), stop at zmq_ctx_term, and do not take
 * the application's signals. */
#include "testutil.h"
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

/* How many threads of this process have `name` as their name. */
static int threads_named (const char *name)
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
            count += strcmp (comm, name) == 0;
        }
        fclose (file);
    }
    closedir (dir);
    return count;
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
