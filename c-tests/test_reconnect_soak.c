/* Reconnection over time: a connect to a port nobody binds keeps to its
 * back-off (ZMQ_RECONNECT_IVL doubling up to ZMQ_RECONNECT_IVL_MAX) and
 * holds no more descriptors as the attempts go on; and a listener
 * restarted on the same port many times is found again every time, with
 * nothing the sender queued meanwhile lost. */
#include "testnet.h"

#include <dirent.h>

static int open_descriptors (void)
{
    DIR *dir = opendir ("/proc/self/fd");
    if (!dir)
        return -1;
    int n = 0;
    while (readdir (dir))
        n++;
    closedir (dir);
    return n;
}

static void nobody_listens (void *ctx)
{
    /* A port that was just free. */
    char endpoint[64];
    int fd = raw_listen (endpoint, sizeof endpoint);
    REQUIRE_VOID (fd >= 0);
    close (fd);

    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    set_int (dealer, ZMQ_LINGER, 0);
    set_int (dealer, ZMQ_RECONNECT_IVL, 10);
    set_int (dealer, ZMQ_RECONNECT_IVL_MAX, 80);
    void *mon = mon_open (ctx, dealer, ZMQ_EVENT_CONNECT_RETRIED);
    REQUIRE_VOID (mon);
    CHECK_EQ_INT (zmq_connect (dealer, endpoint), 0);
    mon_log_t log = {0};
    /* The first retries, then a long stretch of them. */
    for (int i = 0; i < 4; i++)
        CHECK (mon_until (mon, &log, ZMQ_EVENT_CONNECT_RETRIED, 5000));
    int before = open_descriptors ();
    mon_for (mon, &log, 1500);
    int after = open_descriptors ();
    CHECK_EQ_INT (after, before);
    /* The waits grow and stay under the cap (plus at most one interval of
     * jitter): roughly 10, 20, 40, 80, 80... ms, not a spin. */
    int n = log.n < 256 ? log.n : 256;
    CHECK (n >= 10);
    CHECK (n < 100);
    for (int i = 0; i < n; i++)
        CHECK (log.value[i] >= 10 && log.value[i] <= 80 + 10);
    CHECK (log.value[n - 1] >= 80);
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
            CHECK (mon_until (mon, &log, ZMQ_EVENT_DISCONNECTED, 5000));
        CHECK_EQ_INT (zmq_send (push, &round, sizeof round, 0), (int) sizeof round);
        void *pull = zmq_socket (ctx, ZMQ_PULL);
        set_int (pull, ZMQ_LINGER, 0);
        set_int (pull, ZMQ_RCVTIMEO, 5000);
        int rc = -1;
        for (int tries = 0; tries < 100 && rc != 0; tries++) {
            rc = zmq_bind (pull, endpoint);
            if (rc != 0)
                usleep (10000);
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
