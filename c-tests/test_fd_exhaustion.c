/* no-valgrind: valgrind keeps descriptors of its own under the limit */
/* Out of file descriptors: a listener whose accept fails with EMFILE
 * neither aborts nor spins (it reports ACCEPT_FAILED and tries again a
 * little later), zmq_socket fails with EMFILE, and once descriptors are
 * free the connection that waited in the backlog is accepted and served. */
#include "testnet.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/resource.h>

int main (void)
{
    void *ctx = zmq_ctx_new ();
    REQUIRE (ctx);
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    set_int (pull, ZMQ_LINGER, 0);
    set_int (pull, ZMQ_RCVTIMEO, 5000);
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

    /* Half a second out of descriptors: a few failed attempts, each
     * reported, not a spin of thousands. */
    mon_log_t log = {0};
    mon_for (mon, &log, 500);
    int failures = mon_count (&log, ZMQ_EVENT_ACCEPT_FAILED);
    CHECK (failures >= 1);
    CHECK (mon_all_values (&log, ZMQ_EVENT_ACCEPT_FAILED, EMFILE));
    CHECK_EQ_INT (mon_count (&log, ZMQ_EVENT_ACCEPTED), 0);
#ifndef REFERENCE_LIBZMQ
    /* libzmq 4.3.4 retries at once, thousands of times a second. */
    CHECK (failures <= 20);
#endif

    /* Descriptors free again: the waiting peer is accepted and heard. */
    while (held > 0)
        close (spare[--held]);
    setrlimit (RLIMIT_NOFILE, &old);
    CHECK (mon_until (mon, &log, ZMQ_EVENT_ACCEPTED, 5000));
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
