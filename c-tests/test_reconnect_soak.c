/* Reconnection over time: a connect to a port nobody binds keeps to its
 * back-off (ZMQ_RECONNECT_IVL doubling up to ZMQ_RECONNECT_IVL_MAX) and
 * holds no more descriptors as the attempts go on; and a listener
 * restarted on the same port many times is found again every time, with
 * nothing the sender queued meanwhile lost.
 *
 * No timing window decides the verdict: the test waits for a number of
 * events (with timeouts that only guard against a hang) and checks time
 * from below only: a slow machine makes everything later, never sooner. */
#include "testnet.h"

/* Waits for what must come: only a hang makes them run out. */
#define HANG_MS 10000
/* Retries waited for before the descriptors are first counted, and then
 * the stretch of retries over which they must not grow. */
#define FIRST_RETRIES 4
#define STRETCH_RETRIES 10

static void nobody_listens (void *ctx)
{
    /* A port that was just free. */
    char endpoint[64];
    int fd = raw_listen (endpoint, sizeof endpoint);
    REQUIRE_VOID (fd >= 0);
    close (fd);

    /* No attempt of the socket's can start before it exists. */
    long long start = now_usec ();
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    set_int (dealer, ZMQ_LINGER, 0);
    set_int (dealer, ZMQ_RECONNECT_IVL, 10);
    set_int (dealer, ZMQ_RECONNECT_IVL_MAX, 80);
    void *mon = mon_open (ctx, dealer, ZMQ_EVENT_CONNECT_RETRIED);
    REQUIRE_VOID (mon);
    CHECK_EQ_INT (zmq_connect (dealer, endpoint), 0);
    /* The first retries, then a long stretch of them: each is waited for,
     * however long it takes, and the descriptors are counted as each comes.
     * The counts compared are the least of the last three at either end:
     * one read while the next attempt's socket happens to be open (a
     * test thread slow to read the event lets it start) is not a leak,
     * which would show in all three. */
    mon_log_t log = {0};
    enum { RETRIES = FIRST_RETRIES + STRETCH_RETRIES };
    int fds[RETRIES];
    int retries = 0;
    while (retries < RETRIES && mon_until (mon, &log, ZMQ_EVENT_CONNECT_RETRIED, HANG_MS))
        fds[retries++] = open_descriptors ();
    long long elapsed_us = now_usec () - start;
    CHECK_EQ_INT (retries, RETRIES);
    if (retries == RETRIES) {
        int before = fds[FIRST_RETRIES - 1];
        int after = fds[RETRIES - 1];
        for (int i = 1; i <= 2; i++) {
            before = fds[FIRST_RETRIES - 1 - i] < before ? fds[FIRST_RETRIES - 1 - i] : before;
            after = fds[RETRIES - 1 - i] < after ? fds[RETRIES - 1 - i] : after;
        }
        CHECK (before > 0);
        CHECK_EQ_INT (after, before);
        /* Only CONNECT_RETRIED is watched, and its value is the wait chosen
         * (no clock reading): the waits grow and stay under the cap (plus at
         * most one interval of jitter), roughly 10, 20, 40, 80, 80... ms. */
        CHECK_EQ_INT (log.n, RETRIES);
        for (int i = 0; i < RETRIES; i++)
            CHECK (log.value[i] >= 10 && log.value[i] <= 80 + 10);
        CHECK (log.value[RETRIES - 1] >= 80);
        /* And the socket does wait them, not a spin: each attempt starts
         * its wait after the one before, so the last retry cannot come before
         * all the waits announced before it have passed. Loading the machine
         * delays the attempts and the reading of the events, which only makes
         * the measured time longer. Half of it leaves room for a coarse
         * clock. */
        long long waits_ms = 0;
        for (int i = 0; i < RETRIES - 1; i++)
            waits_ms += log.value[i];
        if (elapsed_us < waits_ms * 1000 / 2)
            fprintf (stderr, "%d retries within %lld us, waits of %lld ms announced\n", RETRIES,
                     elapsed_us, waits_ms);
        CHECK (elapsed_us >= waits_ms * 1000 / 2);
    }
    mon_close (dealer, mon);
    zmq_close (dealer);
}

static void listener_restarted (void *ctx)
{
    char endpoint[64];
    int fd = raw_listen (endpoint, sizeof endpoint);
    REQUIRE_VOID (fd >= 0);
    close (fd);
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    set_int (push, ZMQ_LINGER, 0);
    set_int (push, ZMQ_RECONNECT_IVL, 10);
    set_int (push, ZMQ_RECONNECT_IVL_MAX, 50);
    void *mon = mon_open (ctx, push, ZMQ_EVENT_DISCONNECTED);
    REQUIRE_VOID (mon);
    CHECK_EQ_INT (zmq_connect (push, endpoint), 0);
    int rounds = scaled (30) < 3 ? 3 : scaled (30);
    int delivered = 0;
    mon_log_t log = {0};
    for (int round = 0; round < rounds; round++) {
        /* Sent once the last listener is known gone (what is sent into a
         * connection as it dies is lost, in libzmq too): it waits in the
         * queue until the next one comes. */
        if (round > 0)
            CHECK (mon_until (mon, &log, ZMQ_EVENT_DISCONNECTED, HANG_MS));
        CHECK_EQ_INT (zmq_send (push, &round, sizeof round, 0), (int) sizeof round);
        void *pull = zmq_socket (ctx, ZMQ_PULL);
        set_int (pull, ZMQ_LINGER, 0);
        set_int (pull, ZMQ_RCVTIMEO, HANG_MS);
        /* The last listener's port is free again once its socket is gone
         * (zmq_close does not wait for that). */
        long long deadline = now_usec () + (long long) HANG_MS * 1000;
        int rc = zmq_bind (pull, endpoint);
        while (rc != 0 && now_usec () < deadline) {
            usleep (10000);
            rc = zmq_bind (pull, endpoint);
        }
        CHECK_EQ_INT (rc, 0);
        int got = -1;
        if (zmq_recv (pull, &got, sizeof got, 0) == (int) sizeof got && got == round)
            delivered++;
        zmq_close (pull);
    }
    CHECK_EQ_INT (delivered, rounds);
    mon_close (push, mon);
    zmq_close (push);
}

int main (void)
{
    void *ctx = zmq_ctx_new ();
    REQUIRE (ctx);
    nobody_listens (ctx);
    listener_restarted (ctx);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("test_reconnect_soak");
}
