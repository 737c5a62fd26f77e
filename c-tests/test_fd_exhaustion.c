/* no-valgrind: valgrind keeps descriptors of its own under the limit */
/* Out of file descriptors: a listener whose accept fails with EMFILE
 * neither aborts nor spins (it reports ACCEPT_FAILED and tries again a
 * little later), zmq_socket fails with EMFILE, and once descriptors are
 * free the connection that waited in the backlog is accepted and served.
 *
 * No timing window decides the verdict: the test waits for a number of
 * failed attempts (with timeouts that only guard against a hang) and checks
 * time from below only: those attempts cannot all have happened sooner than
 * the retry period allows, and a slow machine only makes them later. */
#include "testnet.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/resource.h>

/* The listener waits this long after a failed accept before it tries
 * again (ACCEPT_RETRY in zmq-core/src/transport/listener.rs). */
#define ACCEPT_RETRY_MS 100
/* Failed attempts waited for while out of descriptors. */
#define ATTEMPTS 4
/* Waits for what must come: only a hang makes them run out. */
#define HANG_MS 10000

int main (void)
{
    void *ctx = zmq_ctx_new ();
    REQUIRE (ctx);
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    set_int (pull, ZMQ_LINGER, 0);
    set_int (pull, ZMQ_RCVTIMEO, HANG_MS);
    REQUIRE (zmq_bind (pull, "tcp://127.0.0.1:*") == 0);
    int port = bound_port (pull);
    void *mon = mon_open (ctx, pull, ZMQ_EVENT_ACCEPT_FAILED | ZMQ_EVENT_ACCEPTED);
    REQUIRE (mon);

    /* The peer's descriptor is made first; it connects once none is left
     * here (a connect needs none), and waits in the backlog. */
    int peer = socket (AF_INET, SOCK_STREAM, 0);
    REQUIRE (peer >= 0);
    struct rlimit old, low;
    getrlimit (RLIMIT_NOFILE, &old);
    low = old;
    low.rlim_cur = 256;
    REQUIRE (setrlimit (RLIMIT_NOFILE, &low) == 0);
    int spare[256];
    int held = 0;
    while (held < 256 && (spare[held] = open ("/dev/null", O_RDONLY)) >= 0)
        held++;
    REQUIRE (errno == EMFILE);

    /* No attempt to accept can fail before the peer connects. */
    long long start = now_usec ();
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons (port);
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    REQUIRE (connect (peer, (struct sockaddr *) &addr, sizeof addr) == 0);
    CHECK (zmtp_handshake (peer, "PUSH"));
    static const unsigned char message[7] = {0, 5, 'w', 'a', 'i', 't', 'd'};
    CHECK (write_all (peer, message, sizeof message));

#ifndef REFERENCE_LIBZMQ
    /* No descriptor for a new socket's mailbox (libzmq 4.3.4 aborts). */
    CHECK_ERRNO (zmq_socket (ctx, ZMQ_PUSH) == NULL, EMFILE);
#endif

    /* Out of descriptors: each failed attempt is reported, and the next
     * waits for the retry period instead of spinning. The first ATTEMPTS
     * failures are waited for, however long they take; then at least
     * ATTEMPTS - 1 retry periods have passed since the peer connected
     * (each retry is timed from the failure before it). A listener that
     * spins gets there in microseconds; a loaded machine only delays the
     * attempts and the reading of their events, which makes the measured
     * time longer, never shorter. Half a period each leaves room for a
     * coarse clock. */
    mon_log_t log = {0};
    int failures = 0;
    while (failures < ATTEMPTS && mon_until (mon, &log, ZMQ_EVENT_ACCEPT_FAILED, HANG_MS))
        failures++;
    long long elapsed_us = now_usec () - start;
    CHECK_EQ_INT (failures, ATTEMPTS);
    CHECK (mon_all_values (&log, ZMQ_EVENT_ACCEPT_FAILED, EMFILE));
    CHECK_EQ_INT (mon_count (&log, ZMQ_EVENT_ACCEPTED), 0);
#ifndef REFERENCE_LIBZMQ
    /* libzmq 4.3.4 retries at once, thousands of times a second. */
    if (elapsed_us < (long long) (ATTEMPTS - 1) * ACCEPT_RETRY_MS * 1000 / 2)
        fprintf (stderr, "%d failed accepts within %lld us\n", failures, elapsed_us);
    CHECK (elapsed_us >= (long long) (ATTEMPTS - 1) * ACCEPT_RETRY_MS * 1000 / 2);
#else
    (void) elapsed_us;
#endif

    /* Descriptors free again: the waiting peer is accepted and heard. */
    while (held > 0)
        close (spare[--held]);
    setrlimit (RLIMIT_NOFILE, &old);
    CHECK (mon_until (mon, &log, ZMQ_EVENT_ACCEPTED, HANG_MS));
#ifndef REFERENCE_LIBZMQ
    /* libzmq 4.3.4 accepts it but never hears it. */
    char buf[16];
    CHECK_EQ_INT (zmq_recv (pull, buf, sizeof buf, 0), 5);
    CHECK (memcmp (buf, "waitd", 5) == 0);
#endif

    close (peer);
    mon_close (pull, mon);
    zmq_close (pull);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("test_fd_exhaustion");
}
