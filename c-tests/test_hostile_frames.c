/* Frames a hostile peer sends to a ROUTER with no ZMQ_MAXMSGSIZE: each is
 * judged at its header, and the connection closed there, without waiting
 * for a body that will never come. A data frame where the handshake wants
 * a command; a command, and a data frame after READY, announcing 2^62
 * bytes (more than any machine could hold); the same length through the
 * ZMTP 2.0 and 1.0 decoders. A well-behaved peer is served throughout. */
#include "testnet.h"

#include <netinet/tcp.h>
#include <stdint.h>

static void *ctx;

/* A raw peer whose small writes go out at once (no Nagle delay), so that
 * what is timed is the library. */
static int peer_connect (int port)
{
    int fd = raw_connect (port);
    int one = 1;
    if (fd >= 0) {
        setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        read_timeout (fd, 1);
    }
    return fd;
}

/* Writes `size` bytes of a frame header announcing 2^62 body bytes. */
static size_t huge_frame (unsigned char *out, unsigned char flags)
{
    out[0] = flags;
    uint64_t size = (uint64_t) 1 << 62;
    for (int i = 0; i < 8; i++)
        out[1 + i] = (unsigned char) (size >> (56 - 8 * i));
    return 9;
}

/* Reads until the library closes the connection: the ms it took, or -1
 * if it was still open after 5 s. */
static long closed_after (int fd, long long start_us)
{
    unsigned char buf[512];
    while (now_usec () - start_us < 5000000) {
        ssize_t n = read (fd, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return (long) ((now_usec () - start_us) / 1000);
    }
    return -1;
}

/* One hostile peer: `prefix` (greeting and whatever else is honest), then
 * `frame`; checks the connection is closed, and prints how soon. */
static void expect_closed (int port, const char *what, const unsigned char *prefix, size_t plen,
                           const unsigned char *frame, size_t flen)
{
    int fd = peer_connect (port);
    REQUIRE_VOID (fd >= 0);
    CHECK (write_all (fd, prefix, plen));
    long long start = now_usec ();
    CHECK (write_all (fd, frame, flen));
    long ms = closed_after (fd, start);
    if (ms < 0)
        fprintf (stderr, "%s: still open after 5 s\n", what);
    else
        printf ("%-44s closed after %ld ms\n", what, ms);
    CHECK (ms >= 0);
    close (fd);
}

int main (void)
{
    ctx = zmq_ctx_new ();
    REQUIRE (ctx);
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    set_int (router, ZMQ_LINGER, 0);
    set_int (router, ZMQ_RCVTIMEO, 5000);
    REQUIRE (zmq_bind (router, "tcp://127.0.0.1:*") == 0);
    char endpoint[256];
    size_t len = sizeof endpoint;
    zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, endpoint, &len);
    int port = endpoint_port (endpoint);

    unsigned char frame[16];
    size_t flen;

    /* ZMTP 3: the greeting alone, then a data frame: the handshake wants
     * a command, and the flags octet already says it is not one. */
    flen = huge_frame (frame, 0x02);
    expect_closed (port, "3.x data frame before READY", zmtp_greeting, sizeof zmtp_greeting,
                   frame, flen);

    /* A command of 2^62 bytes before READY. */
    flen = huge_frame (frame, 0x06);
    expect_closed (port, "3.x command of 2^62 bytes before READY", zmtp_greeting,
                   sizeof zmtp_greeting, frame, flen);

    /* After a whole handshake, a data frame of 2^62 bytes. */
    {
        int fd = peer_connect (port);
        REQUIRE (fd >= 0);
        CHECK (zmtp_handshake (fd, "DEALER"));
        long long start = now_usec ();
        flen = huge_frame (frame, 0x02);
        CHECK (write_all (fd, frame, flen));
        long ms = closed_after (fd, start);
        if (ms >= 0)
            printf ("%-44s closed after %ld ms\n", "3.x data frame of 2^62 bytes after READY", ms);
        CHECK (ms >= 0);
        close (fd);
    }

    /* ZMTP 2.0: signature, revision 1, socket type DEALER (5), an empty
     * identity frame, then a long frame of 2^62 bytes. */
    {
        unsigned char v2[14] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 1, 5, 0, 0};
        flen = huge_frame (frame, 0x02);
        expect_closed (port, "2.0 data frame of 2^62 bytes", v2, sizeof v2, frame, flen);
    }

    /* ZMTP 1.0: an empty identity (length 1, flags 0), then 0xFF and a
     * 64-bit length of 2^62 + 1 (it counts the flags octet). */
    {
        unsigned char v1[2] = {1, 0};
        flen = huge_frame (frame, 0xff);
        frame[8] = 1; /* 2^62 + 1 */
        frame[9] = 0; /* flags */
        flen = 10;
        expect_closed (port, "1.0 data frame of 2^62 bytes", v1, sizeof v1, frame, flen);
    }

    /* A well-behaved peer is still served. */
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    set_int (dealer, ZMQ_LINGER, 0);
    zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "good", 4);
    CHECK_EQ_INT (zmq_connect (dealer, endpoint), 0);
    CHECK_EQ_INT (zmq_send (dealer, "fine", 4, 0), 4);
    char buf[16];
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 4);
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 4);
    CHECK (memcmp (buf, "fine", 4) == 0);

    zmq_close (dealer);
    zmq_close (router);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("test_hostile_frames");
}
