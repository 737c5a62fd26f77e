/* Stopwatches, zmq_sleep and threads. Time is checked from below only:
 * a wait lasts at least as long as asked, never "at most". */
#include "testutil.h"
#include <unistd.h>

#define THREADS 4

static void set_flag (void *arg)
{
    *(int *) arg = 42;
}

/* Sleeps first, so that zmq_threadclose has to wait for it. */
static void slow_set_flag (void *arg)
{
    usleep (50000);
    *(int *) arg = 7;
}

static void check_stopwatch (void)
{
    void *watch = zmq_stopwatch_start ();
    CHECK (watch != NULL);
    if (!watch)
        return;
    usleep (20000);
    unsigned long first = zmq_stopwatch_intermediate (watch);
    CHECK (first >= 20000);
    unsigned long again = zmq_stopwatch_intermediate (watch);
    CHECK (again >= first);

    /* zmq_sleep(1) takes at least a second, by our clock and the
     * stopwatch's. */
    long long before = now_usec ();
    zmq_sleep (1);
    long long slept = now_usec () - before;
    CHECK (slept >= 999000);
    unsigned long second = zmq_stopwatch_intermediate (watch);
    CHECK (second >= again + 999000);

    /* A watch started later has seen less time than this one. */
    void *later = zmq_stopwatch_start ();
    CHECK (later != NULL);
    usleep (1000);
    unsigned long later_total = later ? zmq_stopwatch_stop (later) : 0;
    CHECK (later_total >= 1000);
    unsigned long total = zmq_stopwatch_stop (watch);
    CHECK (total >= second);
    CHECK (total >= later_total);

    /* zmq_sleep(0) returns. */
    zmq_sleep (0);
}

static void check_threads (void)
{
    int flag = 0;
    void *thread = zmq_threadstart (set_flag, &flag);
    CHECK (thread != NULL);
    if (thread)
        zmq_threadclose (thread);
    CHECK_EQ_INT (flag, 42);

    /* zmq_threadclose waits for the function to finish. */
    flag = 0;
    thread = zmq_threadstart (slow_set_flag, &flag);
    CHECK (thread != NULL);
    if (thread)
        zmq_threadclose (thread);
    CHECK_EQ_INT (flag, 7);

    /* Several at once, each with its own argument. */
    int flags[THREADS] = {0};
    void *threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        threads[i] = zmq_threadstart (set_flag, &flags[i]);
    for (int i = 0; i < THREADS; i++) {
        CHECK (threads[i] != NULL);
        if (threads[i])
            zmq_threadclose (threads[i]);
    }
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ_INT (flags[i], 42);
}

int main (void)
{
    check_stopwatch ();
    check_threads ();
#ifndef REFERENCE_LIBZMQ
    int flag = 0;
    CHECK_EQ_INT (zmq_stopwatch_intermediate (NULL), 0);
    CHECK_EQ_INT (zmq_stopwatch_stop (NULL), 0);
    CHECK (zmq_threadstart (NULL, &flag) == NULL);
    zmq_threadclose (NULL);
    /* Used after they were stopped or closed (freed memory in libzmq). */
    void *watch = zmq_stopwatch_start ();
    zmq_stopwatch_stop (watch);
    CHECK_EQ_INT (zmq_stopwatch_intermediate (watch), 0);
    CHECK_EQ_INT (zmq_stopwatch_stop (watch), 0);
    /* A negative time is no time (libzmq would sleep for over an hour). */
    zmq_sleep (-1);
#endif
    return test_result ("stopwatch_sleep_thread");
}
