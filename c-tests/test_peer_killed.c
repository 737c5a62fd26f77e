/* Peers killed (SIGKILL) in the middle of things: during the handshake,
 * between the frames of a multipart message, and in the middle of a
 * frame's body. Each peer is a child process that writes part of the
 * conversation and then is killed; the socket sees DISCONNECTED, keeps
 * serving others, never delivers a part of a message, and a connecting
 * socket reconnects to the next server on the same port. */
#include "testnet.h"

#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>

static void *ctx;

/* A child that connects to `port`, writes `len` bytes of `bytes` and
 * waits to be killed. Returns its pid (the bytes are on their way when
 * this returns: the child signals through a pipe once it has written). */
static pid_t doomed_peer (int port, const unsigned char *bytes, size_t len)
{
    int ready[2];
    if (pipe (ready) != 0)
        return -1;
    pid_t pid = fork ();
    if (pid == 0) {
        close (ready[0]);
        int fd = raw_connect (port);
        if (fd >= 0)
            write_all (fd, bytes, len);
        char done = 1;
        if (write (ready[1], &done, 1) != 1)
            _exit (1);
        for (;;)
            pause ();
    }
    close (ready[1]);
    char done;
    if (read (ready[0], &done, 1) != 1)
        pid = -1;
    close (ready[0]);
    return pid;
}

static void kill_peer (pid_t pid)
{
    kill (pid, SIGKILL);
    waitpid (pid, NULL, 0);
}

/* The NULL handshake of a DEALER peer, then `tail`, in `out`. */
static size_t conversation (unsigned char *out, const unsigned char *tail, size_t tail_len)
{
    static const unsigned char ready[] = {4,   28,  5,   'R', 'E', 'A', 'D', 'Y', 11,  'S',
                                          'o', 'c', 'k', 'e', 't', '-', 'T', 'y', 'p', 'e',
                                          0,   0,   0,   6,   'D', 'E', 'A', 'L', 'E', 'R'};
    memcpy (out, zmtp_greeting, 64);
    memcpy (out + 64, ready, sizeof ready);
    if (tail_len)
        memcpy (out + 64 + sizeof ready, tail, tail_len);
    return 64 + sizeof ready + tail_len;
}

/* Plays a ROUTER server on an accepted `fd`: our greeting, the client's
 * greeting and READY read (a server speaks only after them), then our
 * READY and `tail`. */
static int serve (int fd, const unsigned char *tail, size_t tail_len)
{
    unsigned char out[256], in[64 + 2 + 255];
    size_t n = conversation (out, tail, tail_len);
    memcpy (out + 64 + 24, "ROUTER", 6); /* Socket-Type */
    return write_all (fd, out, 64) && read_n (fd, in, 66) == 66 && in[64] == 4
           && read_n (fd, in + 66, in[65]) == in[65] && write_all (fd, out + 64, n - 64);
}

static void bound_side (void)
{
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    set_int (router, ZMQ_LINGER, 0);
    set_int (router, ZMQ_RCVTIMEO, 200);
    REQUIRE_VOID (zmq_bind (router, "tcp://127.0.0.1:*") == 0);
    int port = bound_port (router);
    void *mon = mon_open (ctx, router, ZMQ_EVENT_DISCONNECTED);
    REQUIRE_VOID (mon);

    /* Killed in the greeting, after READY, between the frames of a
     * message, and with half a body sent. */
    static const unsigned char first_of_two[] = {1, 5, 'f', 'i', 'r', 's', 't'};
    static const unsigned char half_body[] = {0, 10, 'h', 'a', 'l', 'f'};
    size_t lens[4];
    const unsigned char *parts[4];
    unsigned char b0[256], b1[256], b2[256], b3[256];
    memcpy (b0, zmtp_greeting, 30);
    lens[0] = 30;
    lens[1] = conversation (b1, NULL, 0);
    lens[2] = conversation (b2, first_of_two, sizeof first_of_two);
    lens[3] = conversation (b3, half_body, sizeof half_body);
    parts[0] = b0;
    parts[1] = b1;
    parts[2] = b2;
    parts[3] = b3;
    mon_log_t log = {0};
    for (int i = 0; i < 4; i++) {
        pid_t pid = doomed_peer (port, parts[i], lens[i]);
        REQUIRE_VOID (pid > 0);
        kill_peer (pid);
        if (i > 0)
            CHECK (mon_until (mon, &log, ZMQ_EVENT_DISCONNECTED, 5000));
    }
    /* Nothing of theirs arrives; a live peer is heard. */
    char buf[64];
    CHECK_ERRNO (zmq_recv (router, buf, sizeof buf, 0) == -1, EAGAIN);
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    set_int (dealer, ZMQ_LINGER, 0);
    zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "alive", 5);
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    CHECK_EQ_INT (zmq_connect (dealer, endpoint), 0);
    CHECK_EQ_INT (zmq_send (dealer, "whole", 5, 0), 5);
    set_int (router, ZMQ_RCVTIMEO, 5000);
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 5);
    CHECK (memcmp (buf, "alive", 5) == 0);
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 5);
    CHECK (memcmp (buf, "whole", 5) == 0);
    int more = get_int (router, ZMQ_RCVMORE);
    CHECK_EQ_INT (more, 0);
    zmq_close (dealer);
    mon_close (router, mon);
    zmq_close (router);
}

/* A connecting DEALER whose server is killed between the frames of a
 * message: it reconnects to the server started next on the same port
 * and receives only whole messages. */
static void connecting_side (void)
{
    char endpoint[64];
    int listener = raw_listen (endpoint, sizeof endpoint);
    REQUIRE_VOID (listener >= 0);
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    set_int (dealer, ZMQ_LINGER, 0);
    set_int (dealer, ZMQ_RECONNECT_IVL, 50);
    set_int (dealer, ZMQ_RCVTIMEO, 5000);
    void *mon = mon_open (ctx, dealer, ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CONNECTED);
    REQUIRE_VOID (mon);
    CHECK_EQ_INT (zmq_connect (dealer, endpoint), 0);

    /* The first server: a child that takes the connection, sends its
     * handshake and the first frame of two, and is killed. */
    int ready[2];
    REQUIRE_VOID (pipe (ready) == 0);
    pid_t pid = fork ();
    if (pid == 0) {
        int fd = accept (listener, NULL, NULL);
        static const unsigned char first_of_two[] = {1, 4, 'h', 'a', 'l', 'f'};
        if (fd >= 0)
            serve (fd, first_of_two, sizeof first_of_two);
        char done = 1;
        if (write (ready[1], &done, 1) != 1)
            _exit (1);
        for (;;)
            pause ();
    }
    close (ready[1]);
    char done;
    CHECK_EQ_INT (read (ready[0], &done, 1), 1);
    close (ready[0]);
    mon_log_t log = {0};
    CHECK (mon_until (mon, &log, ZMQ_EVENT_CONNECTED, 5000));
    kill_peer (pid);
    CHECK (mon_until (mon, &log, ZMQ_EVENT_DISCONNECTED, 5000));

    /* The next server on the same listener: a whole message. */
    int fd = accept (listener, NULL, NULL);
    REQUIRE_VOID (fd >= 0);
    read_timeout (fd, 5);
    static const unsigned char whole[] = {1, 4, 'n', 'e', 'x', 't', 0, 4, 'w', 'h', 'o', 'l'};
    CHECK (serve (fd, whole, sizeof whole));
    char buf[16];
    CHECK_EQ_INT (zmq_recv (dealer, buf, sizeof buf, 0), 4);
    CHECK (memcmp (buf, "next", 4) == 0);
    CHECK_EQ_INT (get_int (dealer, ZMQ_RCVMORE), 1);
    CHECK_EQ_INT (zmq_recv (dealer, buf, sizeof buf, 0), 4);
    CHECK (memcmp (buf, "whol", 4) == 0);
    CHECK_EQ_INT (get_int (dealer, ZMQ_RCVMORE), 0);
    close (fd);
    close (listener);
    mon_close (dealer, mon);
    zmq_close (dealer);
}

int main (void)
{
    ctx = zmq_ctx_new ();
    REQUIRE (ctx);
    bound_side ();
    connecting_side ();
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("test_peer_killed");
}
