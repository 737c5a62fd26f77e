/* zmq_timers_*: expiry, repetition, cancel, reset, set_interval, timeout,
 * handlers that change the timers while they run, and bad handles.
 *
 * Time is checked from below only: every handler call checks that its
 * timer had been armed for at least its interval (less 2 ms for the
 * library's millisecond clock). That a timer has fired is checked only
 * after waiting longer than its interval. */
#include "testutil.h"
#include <unistd.h>

#define MAX_ID 64
#define SLACK_US 2000

static int fired[MAX_ID];
static long long armed_at[MAX_ID]; /* before the call that armed it */
static long long armed_by[MAX_ID]; /* after that call */
static long interval_of[MAX_ID];   /* ms */
static int bad_ids;

static void *timers_in_use;
static int other_timer;
static int added_timer;
static long long added_at;

static int known_id (int id)
{
    if (id > 0 && id < MAX_ID)
        return 1;
    bad_ids++;
    return 0;
}

static void count (int id, void *arg)
{
    (void) arg;
    if (!known_id (id))
        return;
    fired[id]++;
    long long waited = now_usec () - armed_at[id];
    if (waited < interval_of[id] * 1000 - SLACK_US)
        fprintf (stderr, "timer %d fired after %lld us, interval %ld ms\n", id,
                 waited, interval_of[id]);
    CHECK (waited >= interval_of[id] * 1000 - SLACK_US);
}

/* Adds a timer and notes when it was armed. */
static int add (void *timers, long interval, zmq_timer_fn *handler, void *arg)
{
    long long before = now_usec ();
    int id = zmq_timers_add (timers, (size_t) interval, handler, arg);
    long long after = now_usec ();
    CHECK (id > 0 && id < MAX_ID);
    if (id > 0 && id < MAX_ID) {
        armed_at[id] = before;
        armed_by[id] = after;
        interval_of[id] = interval;
        fired[id] = 0;
    }
    return id;
}

/* Runs the expired timers; those that ran are armed again from now. */
static void execute (void *timers)
{
    int before_counts[MAX_ID];
    memcpy (before_counts, fired, sizeof fired);
    long long before = now_usec ();
    CHECK_EQ_INT (zmq_timers_execute (timers), 0);
    long long after = now_usec ();
    for (int id = 0; id < MAX_ID; id++)
        if (fired[id] != before_counts[id]) {
            armed_at[id] = before;
            armed_by[id] = after;
        }
}

/* Notes that a timer was armed again between `before` and now. */
static void rearmed (int id, long long before, long interval)
{
    if (!known_id (id))
        return;
    armed_at[id] = before;
    armed_by[id] = now_usec ();
    interval_of[id] = interval;
}

static void sleep_until (long long when_us)
{
    long long now;
    while ((now = now_usec ()) < when_us)
        usleep ((useconds_t) (when_us - now));
}

/* Waits until `ms` after timer `id` was armed, then executes. */
static void run_after (void *timers, int id, long ms)
{
    sleep_until (armed_by[id] + ms * 1000);
    execute (timers);
}

static void cancel_self_and_other (int id, void *arg)
{
    count (id, arg);
    CHECK_EQ_INT (zmq_timers_cancel (timers_in_use, id), 0);
    if (other_timer)
        CHECK_EQ_INT (zmq_timers_cancel (timers_in_use, other_timer), 0);
    other_timer = 0;
    added_at = now_usec ();
    added_timer = add (timers_in_use, 1000, count, NULL);
}

static int seen_id;
static void *seen_arg;
static void record_arg (int id, void *arg)
{
    count (id, arg);
    seen_id = id;
    seen_arg = arg;
}

static void check_expiry_and_repetition (void)
{
    void *timers = zmq_timers_new ();
    CHECK (timers != NULL);
    if (!timers)
        return;
    CHECK_EQ_INT (zmq_timers_timeout (timers), -1);
    execute (timers);

    int a = add (timers, 100, count, NULL);
    int b = add (timers, 3000, count, NULL);
    CHECK (b != a);
    long timeout = zmq_timers_timeout (timers);
    CHECK (timeout >= 0 && timeout <= 100);
    execute (timers); /* too early: the handler would complain */

    run_after (timers, a, 130);
    CHECK_EQ_INT (fired[a], 1);
    timeout = zmq_timers_timeout (timers);
    CHECK (timeout >= 0 && timeout <= 100);
    /* It repeats at its interval. */
    run_after (timers, a, 130);
    CHECK_EQ_INT (fired[a], 2);
    run_after (timers, a, 130);
    CHECK_EQ_INT (fired[a], 3);

    /* Expired but not yet run: the timeout is 0, not negative. */
    sleep_until (armed_by[a] + 130 * 1000);
    CHECK_EQ_INT (zmq_timers_timeout (timers), 0);
    execute (timers);
    CHECK_EQ_INT (fired[a], 4);

    CHECK_EQ_INT (zmq_timers_cancel (timers, a), 0);
    CHECK_EQ_INT (zmq_timers_cancel (timers, b), 0);
    CHECK_EQ_INT (zmq_timers_timeout (timers), -1);
    CHECK_EQ_INT (zmq_timers_destroy (&timers), 0);
    CHECK (timers == NULL);
}

static void check_reset_and_interval (void)
{
    void *timers = zmq_timers_new ();
    CHECK (timers != NULL);
    if (!timers)
        return;
    int a = add (timers, 200, count, NULL);

    /* reset starts the interval again from now. */
    usleep (100000);
    long long before = now_usec ();
    CHECK_EQ_INT (zmq_timers_reset (timers, a), 0);
    rearmed (a, before, 200);
    long timeout = zmq_timers_timeout (timers);
    CHECK (timeout <= 200);
    CHECK (timeout >= 200 - (now_usec () - before) / 1000 - 2);
    run_after (timers, a, 120); /* past the first expiry, not the new one */
    run_after (timers, a, 230);
    CHECK_EQ_INT (fired[a], 1);

    /* set_interval: the new interval counts from now. */
    before = now_usec ();
    CHECK_EQ_INT (zmq_timers_set_interval (timers, a, 5000), 0);
    rearmed (a, before, 5000);
    timeout = zmq_timers_timeout (timers);
    CHECK (timeout <= 5000);
    CHECK (timeout >= 5000 - (now_usec () - before) / 1000 - 2);
    run_after (timers, a, 100);

    before = now_usec ();
    CHECK_EQ_INT (zmq_timers_set_interval (timers, a, 50), 0);
    rearmed (a, before, 50);
    int earlier = fired[a];
    run_after (timers, a, 80);
    CHECK_EQ_INT (fired[a], earlier + 1);
    run_after (timers, a, 80);
    CHECK_EQ_INT (fired[a], earlier + 2);

    CHECK_ERRNO (zmq_timers_reset (timers, 999) == -1, EINVAL);
    CHECK_ERRNO (zmq_timers_set_interval (timers, 999, 10) == -1, EINVAL);
    CHECK_ERRNO (zmq_timers_reset (timers, 0) == -1, EINVAL);
    CHECK_ERRNO (zmq_timers_set_interval (timers, -1, 10) == -1, EINVAL);
    CHECK_EQ_INT (zmq_timers_destroy (&timers), 0);
}

static void check_cancel (void)
{
    void *timers = zmq_timers_new ();
    CHECK (timers != NULL);
    if (!timers)
        return;
    int a = add (timers, 10, count, NULL);
    int b = add (timers, 10, count, NULL);
    CHECK_EQ_INT (zmq_timers_cancel (timers, a), 0);
    CHECK_ERRNO (zmq_timers_cancel (timers, a) == -1, EINVAL);
    CHECK_ERRNO (zmq_timers_cancel (timers, 999) == -1, EINVAL);
    CHECK_ERRNO (zmq_timers_cancel (timers, 0) == -1, EINVAL);
    CHECK_ERRNO (zmq_timers_cancel (timers, -1) == -1, EINVAL);

    /* A cancelled timer never runs, even when expired. */
    run_after (timers, b, 30);
    CHECK_EQ_INT (fired[a], 0);
    CHECK_EQ_INT (fired[b], 1);
    CHECK_EQ_INT (zmq_timers_cancel (timers, b), 0);
    CHECK_EQ_INT (zmq_timers_timeout (timers), -1);
    run_after (timers, b, 30);
    CHECK_EQ_INT (fired[b], 1);

    /* Ids are not reused. */
    int c = add (timers, 1000, count, NULL);
    CHECK (c != a && c != b);
    /* Destroying with timers still registered frees them. */
    CHECK_EQ_INT (zmq_timers_destroy (&timers), 0);
    CHECK (timers == NULL);
}

static void check_handlers (void)
{
    void *timers = zmq_timers_new ();
    CHECK (timers != NULL);
    if (!timers)
        return;

    /* A handler cancels itself and a timer due after it, and adds one. */
    timers_in_use = timers;
    int b = add (timers, 10, cancel_self_and_other, NULL);
    int c = add (timers, 10, count, NULL);
    other_timer = c;
    added_timer = 0;
    run_after (timers, c, 40);
    CHECK_EQ_INT (fired[b], 1);
    CHECK_EQ_INT (fired[c], 0);
    CHECK (added_timer > 0);
    CHECK (added_timer != b && added_timer != c);
    run_after (timers, c, 80);
    CHECK_EQ_INT (fired[b], 1);
    CHECK_EQ_INT (fired[c], 0);
    long timeout = zmq_timers_timeout (timers);
    CHECK (timeout <= 1000);
    CHECK (timeout >= 1000 - (now_usec () - added_at) / 1000 - 2);
    CHECK_ERRNO (zmq_timers_cancel (timers, b) == -1, EINVAL);
    CHECK_ERRNO (zmq_timers_cancel (timers, c) == -1, EINVAL);
    CHECK_EQ_INT (zmq_timers_cancel (timers, added_timer), 0);
    CHECK_EQ_INT (zmq_timers_timeout (timers), -1);

    /* The handler gets its timer's id and argument. */
    int value = 0;
    int d = add (timers, 10, record_arg, &value);
    run_after (timers, d, 30);
    CHECK_EQ_INT (fired[d], 1);
    CHECK_EQ_INT (seen_id, d);
    CHECK (seen_arg == &value);
    CHECK_EQ_INT (zmq_timers_destroy (&timers), 0);
}

#ifndef REFERENCE_LIBZMQ
static void *self_destroying;
static int destroyer_runs;

static void destroy_own_set (int timer_id, void *arg)
{
    (void) timer_id;
    (void) arg;
    destroyer_runs++;
    CHECK_EQ_INT (zmq_timers_destroy (&self_destroying), 0);
}
#endif

static void check_bad_handles (void)
{
    void *timers = zmq_timers_new ();
    CHECK (timers != NULL);
    CHECK_ERRNO (zmq_timers_add (timers, 10, NULL, NULL) == -1, EFAULT);
    CHECK_EQ_INT (zmq_timers_destroy (&timers), 0);
    CHECK (timers == NULL);
    CHECK_ERRNO (zmq_timers_destroy (&timers) == -1, EFAULT);

    /* NULL and storage that holds no timers (libzmq checks a tag). */
    _Alignas (8) int zeros[16] = {0};
    _Alignas (8) unsigned char pattern[128];
    memset (pattern, 0xAB, sizeof pattern);
    void *bad[] = {NULL, zeros, pattern};
    for (int i = 0; i < 3; i++) {
        CHECK_ERRNO (zmq_timers_add (bad[i], 10, count, NULL) == -1, EFAULT);
        CHECK_ERRNO (zmq_timers_cancel (bad[i], 1) == -1, EFAULT);
        CHECK_ERRNO (zmq_timers_set_interval (bad[i], 1, 10) == -1, EFAULT);
        CHECK_ERRNO (zmq_timers_reset (bad[i], 1) == -1, EFAULT);
        CHECK_ERRNO (zmq_timers_timeout (bad[i]) == -1, EFAULT);
        CHECK_ERRNO (zmq_timers_execute (bad[i]) == -1, EFAULT);
        void *p = bad[i];
        CHECK_ERRNO (zmq_timers_destroy (&p) == -1, EFAULT);
        CHECK (p == bad[i]);
    }
    CHECK_EQ_INT (zeros[0], 0);
    CHECK_EQ_INT (pattern[0], 0xAB);

#ifndef REFERENCE_LIBZMQ
    /* libzmq reads through the pointer-to-pointer. */
    CHECK_ERRNO (zmq_timers_destroy (NULL) == -1, EFAULT);

    /* A set used after it was destroyed (freed memory in libzmq): every
     * call answers EFAULT. */
    void *gone = zmq_timers_new ();
    void *stale = gone;
    CHECK_EQ_INT (zmq_timers_destroy (&gone), 0);
    CHECK_ERRNO (zmq_timers_add (stale, 10, count, NULL) == -1, EFAULT);
    CHECK_ERRNO (zmq_timers_execute (stale) == -1, EFAULT);
    CHECK_ERRNO (zmq_timers_destroy (&stale) == -1, EFAULT);

    /* A handler that destroys its own set while it runs: the other timer
     * that was due does not run, and execute returns normally. */
    self_destroying = zmq_timers_new ();
    void *handle = self_destroying;
    CHECK (zmq_timers_add (self_destroying, 1, destroy_own_set, NULL) > 0);
    CHECK (zmq_timers_add (self_destroying, 1, destroy_own_set, NULL) > 0);
    usleep (5000);
    CHECK_EQ_INT (zmq_timers_execute (handle), 0);
    CHECK_EQ_INT (destroyer_runs, 1);
    CHECK (self_destroying == NULL);
    CHECK_ERRNO (zmq_timers_execute (handle) == -1, EFAULT);
#endif
}

int main (void)
{
    check_expiry_and_repetition ();
    check_reset_and_interval ();
    check_cancel ();
    check_handlers ();
    check_bad_handles ();
    CHECK_EQ_INT (bad_ids, 0);
    return test_result ("timers");
}
