/* Stopwatches, zmq_sleep and threads. Only lower bounds on time. */
#include "testutil.h"
#include <unistd.h>

static void set_flag (void *arg)
{
    *(int *) arg = 42;
}

int main (void)
{
    void *watch = zmq_stopwatch_start ();
    REQUIRE (watch != NULL);
    usleep (20000);
    unsigned long first = zmq_stopwatch_intermediate (watch);
    CHECK (first >= 20000);
    zmq_sleep (1);
    unsigned long second = zmq_stopwatch_intermediate (watch);
    CHECK (second >= first + 1000000);
    unsigned long total = zmq_stopwatch_stop (watch);
    CHECK (total >= second);

    int flag = 0;
    void *thread = zmq_threadstart (set_flag, &flag);
    REQUIRE (thread != NULL);
    zmq_threadclose (thread);
    CHECK_EQ_INT (flag, 42);

#ifndef REFERENCE_LIBZMQ
    CHECK_EQ_INT (zmq_stopwatch_intermediate (NULL), 0);
    CHECK_EQ_INT (zmq_stopwatch_stop (NULL), 0);
    CHECK (zmq_threadstart (NULL, &flag) == NULL);
    zmq_threadclose (NULL);
    zmq_sleep (-1);
#endif
    return test_result ("stopwatch_sleep_thread");
}
