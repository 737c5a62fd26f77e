/* zmq_timers_*: expiry, repetition, cancel/reset/set_interval, handlers
 * that change the timers while they run, and bad handles. */
#include "testutil.h"
#include <unistd.h>

static int fired[8];
static void *timers_in_use;
static int other_timer;

static void count (int id, void *arg)
{
    (void) arg;
    if (id >= 0 && id < 8)
        fired[id]++;
}

static void cancel_self_and_other (int id, void *arg)
{
    (void) arg;
    fired[id]++;
    CHECK_EQ_INT (zmq_timers_cancel (timers_in_use, id), 0);
    if (other_timer)
        CHECK_EQ_INT (zmq_timers_cancel (timers_in_use, other_timer), 0);
    other_timer = 0;
    CHECK (zmq_timers_add (timers_in_use, 1000, count, NULL) > 0);
}

static void wait_and_run (void *timers, int ms)
{
    usleep ((useconds_t) ms * 1000);
    CHECK_EQ_INT (zmq_timers_execute (timers), 0);
}

int main (void)
{
    void *timers = zmq_timers_new ();
    REQUIRE (timers != NULL);
    CHECK_EQ_INT (zmq_timers_timeout (timers), -1);

    int a = zmq_timers_add (timers, 50, count, NULL);
    CHECK (a > 0);
    long timeout = zmq_timers_timeout (timers);
    CHECK (timeout >= 0 && timeout <= 50);
    CHECK_EQ_INT (zmq_timers_execute (timers), 0);
    CHECK_EQ_INT (fired[a], 0);
    wait_and_run (timers, 70);
    CHECK_EQ_INT (fired[a], 1);
    wait_and_run (timers, 70);
    CHECK_EQ_INT (fired[a], 2);

    /* reset and set_interval push the expiry back. */
    CHECK_EQ_INT (zmq_timers_set_interval (timers, a, 5000), 0);
    wait_and_run (timers, 70);
    CHECK_EQ_INT (fired[a], 2);
    CHECK (zmq_timers_timeout (timers) > 1000);
    CHECK_EQ_INT (zmq_timers_reset (timers, a), 0);
    CHECK (zmq_timers_timeout (timers) > 1000);

    /* Cancel. */
    CHECK_EQ_INT (zmq_timers_cancel (timers, a), 0);
    CHECK_ERRNO (zmq_timers_cancel (timers, a) == -1, EINVAL);
    CHECK_ERRNO (zmq_timers_cancel (timers, 999) == -1, EINVAL);
    CHECK_ERRNO (zmq_timers_set_interval (timers, 999, 10) == -1, EINVAL);
    CHECK_ERRNO (zmq_timers_reset (timers, 999) == -1, EINVAL);
    CHECK_EQ_INT (zmq_timers_timeout (timers), -1);

    /* A handler cancels itself and another timer and adds a new one. */
    timers_in_use = timers;
    int b = zmq_timers_add (timers, 10, cancel_self_and_other, NULL);
    other_timer = zmq_timers_add (timers, 10, count, NULL);
    int c = other_timer;
    wait_and_run (timers, 40);
    CHECK_EQ_INT (fired[b] + fired[c], 1);
    wait_and_run (timers, 40);
    CHECK_EQ_INT (fired[b] + fired[c], 1);
    long later = zmq_timers_timeout (timers);
    CHECK (later > 500 && later <= 1000);

    CHECK_ERRNO (zmq_timers_add (timers, 10, NULL, NULL) == -1, EFAULT);
    CHECK_EQ_INT (zmq_timers_destroy (&timers), 0);
    CHECK (timers == NULL);
    CHECK_ERRNO (zmq_timers_destroy (&timers) == -1, EFAULT);

#ifndef REFERENCE_LIBZMQ
    CHECK_ERRNO (zmq_timers_destroy (NULL) == -1, EFAULT);
    /* NULL and foreign handles. */
    _Alignas (8) int foreign[16] = {0};
    void *bad[] = {NULL, foreign};
    for (int i = 0; i < 2; i++) {
        CHECK_ERRNO (zmq_timers_add (bad[i], 10, count, NULL) == -1, EFAULT);
        CHECK_ERRNO (zmq_timers_cancel (bad[i], 1) == -1, EFAULT);
        CHECK_ERRNO (zmq_timers_set_interval (bad[i], 1, 10) == -1, EFAULT);
        CHECK_ERRNO (zmq_timers_reset (bad[i], 1) == -1, EFAULT);
        CHECK_ERRNO (zmq_timers_timeout (bad[i]) == -1, EFAULT);
        CHECK_ERRNO (zmq_timers_execute (bad[i]) == -1, EFAULT);
    }
    void *foreign_p = foreign;
    CHECK_ERRNO (zmq_timers_destroy (&foreign_p) == -1, EFAULT);
#endif
    return test_result ("timers");
}
