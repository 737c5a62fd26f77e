/* CVE-2021-20237: a subscriber that sends a PUB socket messages (with
 * metadata from its READY) instead of subscriptions. libzmq kept every
 * such message's metadata referenced and never freed it. Here the PUB
 * drops what it cannot use, as it comes, so that the peer's later
 * subscription still arrives and nothing is held (the valgrind run checks
 * for leaks). An XPUB hands the same messages to the application. */
#include "testnet.h"

#include <stdint.h>

#define JUNK 5000

/* A SUB peer on a raw connection: greeting, READY with an application
 * property, JUNK data frames, then a subscription to "news". */
static int hostile_subscriber (int port)
{
    int fd = raw_connect (port);
    if (fd < 0)
        return -1;
    unsigned char ready[128];
    unsigned char props[64];
    size_t n = 0;
    const char *names[2] = {"Socket-Type", "X-Meta"};
    const char *values[2] = {"SUB", "carried on every message"};
    for (int i = 0; i < 2; i++) {
        size_t name_len = strlen (names[i]), value_len = strlen (values[i]);
        props[n++] = (unsigned char) name_len;
        memcpy (props + n, names[i], name_len);
        n += name_len;
        props[n++] = 0;
        props[n++] = 0;
        props[n++] = 0;
        props[n++] = (unsigned char) value_len;
        memcpy (props + n, values[i], value_len);
        n += value_len;
    }
    size_t len = zmtp_command (ready, sizeof ready, "READY", props, n);
    if (!write_all (fd, zmtp_greeting, sizeof zmtp_greeting) || !write_all (fd, ready, len)) {
        close (fd);
        return -1;
    }
    /* A peer sends messages only once the handshake is done: after the
     * publisher's greeting and READY. */
    unsigned char theirs[64 + 2 + 255];
    if (read_n (fd, theirs, 64 + 2) != 64 + 2 || theirs[64] != 0x04
        || read_n (fd, theirs + 66, theirs[65]) != theirs[65]) {
        close (fd);
        return -1;
    }
    /* Data frames whose first octet is neither 0 nor 1: not
     * subscriptions. */
    static unsigned char junk[JUNK * 7];
    for (int i = 0; i < JUNK; i++) {
        unsigned char *f = junk + i * 7;
        f[0] = 0;
        f[1] = 5;
        memcpy (f + 2, "junk!", 5);
    }
    static const unsigned char subscribe[7] = {0, 5, 1, 'n', 'e', 'w', 's'};
    if (!write_all (fd, junk, sizeof junk) || !write_all (fd, subscribe, sizeof subscribe)) {
        close (fd);
        return -1;
    }
    return fd;
}

/* Reads frames from the raw peer until one whose body is `body` (after
 * the greeting and READY); 1 if it came. */
static int raw_receives (int fd, const char *body)
{
    unsigned char buf[4096];
    size_t have = 0;
    size_t want = strlen (body);
    for (int reads = 0; reads < 100; reads++) {
        ssize_t n = read (fd, buf + have, sizeof buf - have);
        if (n <= 0)
            return 0;
        have += (size_t) n;
        for (size_t i = 0; i + 2 + want <= have; i++)
            if (buf[i] == 0 && buf[i + 1] == want && memcmp (buf + i + 2, body, want) == 0)
                return 1;
        if (have == sizeof buf)
            have = 0;
    }
    return 0;
}

int main (void)
{
    void *ctx = zmq_ctx_new ();
    REQUIRE (ctx);

    /* PUB: the junk is dropped, the subscription arrives behind it. */
    void *pub = zmq_socket (ctx, ZMQ_PUB);
    set_int (pub, ZMQ_LINGER, 0);
    REQUIRE (zmq_bind (pub, "tcp://127.0.0.1:*") == 0);
    int fd = hostile_subscriber (bound_port (pub));
    REQUIRE (fd >= 0);
    int delivered = 0;
    for (int tries = 0; tries < 100 && !delivered; tries++) {
        zmq_send (pub, "news", 4, ZMQ_DONTWAIT);
        zmq_pollitem_t item = {NULL, fd, ZMQ_POLLIN, 0};
        if (zmq_poll (&item, 1, 50) == 1)
            delivered = raw_receives (fd, "news");
    }
    CHECK (delivered);
    close (fd);
    zmq_close (pub);

    /* XPUB: the same messages reach the application, then the
     * subscription. */
    void *xpub = zmq_socket (ctx, ZMQ_XPUB);
    set_int (xpub, ZMQ_LINGER, 0);
    set_int (xpub, ZMQ_RCVTIMEO, 5000);
    REQUIRE (zmq_bind (xpub, "tcp://127.0.0.1:*") == 0);
    fd = hostile_subscriber (bound_port (xpub));
    REQUIRE (fd >= 0);
    char buf[16];
    int junk = 0;
    int rc;
    while ((rc = zmq_recv (xpub, buf, sizeof buf, 0)) == 5 && memcmp (buf, "junk!", 5) == 0)
        junk++;
    CHECK_EQ_INT (junk, JUNK);
    CHECK_EQ_INT (rc, 5);
    CHECK (memcmp (buf, "\1news", 5) == 0);
    close (fd);
    zmq_close (xpub);

    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("test_cve_upstream");
}
