/* zmq_proxy_steerable with a capture socket and a PAIR control socket:
 * forwarding whole messages, capture copies, PAUSE/RESUME, STATISTICS,
 * TERMINATE; and zmq_proxy ending with ETERM when the context stops. */
#include "testutil.h"
#include <stdint.h>

static void *ctx;
static int proxy_result, proxy_errno;
static void *frontend, *backend, *capture, *control;

static void run_proxy (void *arg)
{
    (void) arg;
    proxy_result = zmq_proxy_steerable (frontend, backend, capture, control);
    proxy_errno = errno;
}

static void run_plain_proxy (void *arg)
{
    (void) arg;
    proxy_result = zmq_proxy (frontend, backend, NULL);
    proxy_errno = errno;
    zmq_close (frontend);
    zmq_close (backend);
}

/* One socket as frontend and backend. */
static void *mirror;
static int mirror_result, mirror_errno;

static void run_mirror (void *arg)
{
    mirror_result = zmq_proxy (arg, arg, NULL);
    mirror_errno = errno;
    zmq_close (arg);
}

int main (void)
{
    ctx = zmq_ctx_new ();
    REQUIRE (ctx != NULL);
    frontend = zmq_socket (ctx, ZMQ_PULL);
    backend = zmq_socket (ctx, ZMQ_PUSH);
    capture = zmq_socket (ctx, ZMQ_PUSH);
    control = zmq_socket (ctx, ZMQ_PAIR);
    CHECK_EQ_INT (zmq_bind (frontend, "inproc://front"), 0);
    CHECK_EQ_INT (zmq_bind (backend, "inproc://back"), 0);
    CHECK_EQ_INT (zmq_bind (capture, "inproc://capture"), 0);
    CHECK_EQ_INT (zmq_bind (control, "inproc://control"), 0);
    void *in = zmq_socket (ctx, ZMQ_PUSH);
    void *out = zmq_socket (ctx, ZMQ_PULL);
    void *tap = zmq_socket (ctx, ZMQ_PULL);
    void *steer = zmq_socket (ctx, ZMQ_PAIR);
    CHECK_EQ_INT (zmq_connect (in, "inproc://front"), 0);
    CHECK_EQ_INT (zmq_connect (out, "inproc://back"), 0);
    CHECK_EQ_INT (zmq_connect (tap, "inproc://capture"), 0);
    CHECK_EQ_INT (zmq_connect (steer, "inproc://control"), 0);
    void *thread = zmq_threadstart (run_proxy, NULL);

    char buf[32];
    CHECK_EQ_INT (zmq_send (in, "head", 4, ZMQ_SNDMORE), 4);
    CHECK_EQ_INT (zmq_send (in, "tail!", 5, 0), 5);
    CHECK_EQ_INT (zmq_recv (out, buf, sizeof buf, 0), 4);
    CHECK_EQ_INT (get_int (out, ZMQ_RCVMORE), 1);
    CHECK_EQ_INT (zmq_recv (out, buf, sizeof buf, 0), 5);
    CHECK_EQ_INT (get_int (out, ZMQ_RCVMORE), 0);
    CHECK_EQ_INT (zmq_recv (tap, buf, sizeof buf, 0), 4);
    CHECK_EQ_INT (zmq_recv (tap, buf, sizeof buf, 0), 5);

    /* Paused: nothing moves until RESUME. */
    CHECK_EQ_INT (zmq_send (steer, "PAUSE", 5, 0), 5);
    {
        zmq_pollitem_t wait = {NULL, -1, 0, 0};
        zmq_poll (&wait, 1, 50);
    }
    CHECK_EQ_INT (zmq_send (in, "later", 5, 0), 5);
    zmq_pollitem_t item = {out, 0, ZMQ_POLLIN, 0};
    CHECK_EQ_INT (zmq_poll (&item, 1, 100), 0);
    CHECK_EQ_INT (zmq_send (steer, "RESUME", 6, 0), 6);
    CHECK_EQ_INT (zmq_recv (out, buf, sizeof buf, 0), 5);

    /* Statistics: eight 64-bit counters; libzmq 4.3 counts whole messages
     * and every byte of their frames. */
    CHECK_EQ_INT (zmq_send (steer, "STATISTICS", 10, 0), 10);
    uint64_t stats[8];
    for (int i = 0; i < 8; i++) {
        CHECK_EQ_INT (zmq_recv (steer, &stats[i], sizeof stats[i], 0), 8);
        CHECK_EQ_INT (get_int (steer, ZMQ_RCVMORE), i < 7);
    }
    CHECK_EQ_INT (stats[0], 2);  /* frontend messages in */
    CHECK_EQ_INT (stats[1], 14); /* frontend bytes in */
    CHECK_EQ_INT (stats[6], 2);  /* backend messages out */
    CHECK_EQ_INT (stats[7], 14); /* backend bytes out */

    CHECK_EQ_INT (zmq_send (steer, "TERMINATE", 9, 0), 9);
    zmq_threadclose (thread);
    CHECK_EQ_INT (proxy_result, 0);

    void *sockets[] = {frontend, backend, capture, control, in, out, tap, steer};
    for (size_t i = 0; i < sizeof sockets / sizeof *sockets; i++)
        zmq_close (sockets[i]);

    /* A backend with no peer cannot take anything: the proxy leaves the
     * message where it is, and still hears TERMINATE. */
    frontend = zmq_socket (ctx, ZMQ_PULL);
    backend = zmq_socket (ctx, ZMQ_PUSH);
    control = zmq_socket (ctx, ZMQ_PAIR);
    capture = NULL;
    CHECK_EQ_INT (zmq_bind (frontend, "inproc://front3"), 0);
    CHECK_EQ_INT (zmq_bind (backend, "inproc://back3"), 0);
    CHECK_EQ_INT (zmq_bind (control, "inproc://control3"), 0);
    in = zmq_socket (ctx, ZMQ_PUSH);
    steer = zmq_socket (ctx, ZMQ_PAIR);
    CHECK_EQ_INT (zmq_connect (in, "inproc://front3"), 0);
    CHECK_EQ_INT (zmq_connect (steer, "inproc://control3"), 0);
    thread = zmq_threadstart (run_proxy, NULL);
    CHECK_EQ_INT (zmq_send (in, "stuck", 5, 0), 5);
    {
        zmq_pollitem_t wait = {NULL, -1, 0, 0};
        zmq_poll (&wait, 1, 100);
    }
    CHECK_EQ_INT (zmq_send (steer, "TERMINATE", 9, 0), 9);
    zmq_threadclose (thread);
    CHECK_EQ_INT (proxy_result, 0);
    CHECK_EQ_INT (zmq_recv (frontend, buf, sizeof buf, ZMQ_DONTWAIT), 5);
    CHECK (memcmp (buf, "stuck", 5) == 0);
    void *third[] = {frontend, backend, control, in, steer};
    for (size_t i = 0; i < sizeof third / sizeof *third; i++)
        zmq_close (third[i]);

    /* Closed sockets are refused; one socket as both sides reflects what
     * its peer sends back to it. */
    void *gone = zmq_socket (ctx, ZMQ_PAIR);
    void *fine = zmq_socket (ctx, ZMQ_PAIR);
    zmq_close (gone);
    CHECK_ERRNO (zmq_proxy (gone, fine, NULL) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_proxy (fine, gone, NULL) == -1, ENOTSOCK);
#ifndef REFERENCE_LIBZMQ
    /* libzmq looks at the capture socket only when a message comes. */
    CHECK_ERRNO (zmq_proxy (fine, fine, gone) == -1, ENOTSOCK);
#endif
    zmq_close (fine);
    mirror = zmq_socket (ctx, ZMQ_PAIR);
    void *mirrored = zmq_socket (ctx, ZMQ_PAIR);
    zmq_bind (mirror, "inproc://mirror");
    zmq_connect (mirrored, "inproc://mirror");
    void *mirror_thread = zmq_threadstart (run_mirror, mirror);
    int wait_ms = 5000;
    zmq_setsockopt (mirrored, ZMQ_RCVTIMEO, &wait_ms, sizeof wait_ms);
    CHECK_EQ_INT (zmq_send (mirrored, "mirror", 6, 0), 6);
    CHECK_EQ_INT (zmq_recv (mirrored, buf, sizeof buf, 0), 6);
    CHECK (memcmp (buf, "mirror", 6) == 0);
    zmq_close (mirrored);

    /* A plain proxy ends with ETERM when its context stops. */
    frontend = zmq_socket (ctx, ZMQ_PULL);
    backend = zmq_socket (ctx, ZMQ_PUSH);
    zmq_bind (frontend, "inproc://front2");
    zmq_bind (backend, "inproc://back2");
    thread = zmq_threadstart (run_plain_proxy, NULL);
    {
        zmq_pollitem_t wait = {NULL, -1, 0, 0};
        zmq_poll (&wait, 1, 50);
    }
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    zmq_threadclose (thread);
    CHECK_EQ_INT (proxy_result, -1);
    CHECK_EQ_INT (proxy_errno, ETERM);
    zmq_threadclose (mirror_thread);
    CHECK_EQ_INT (mirror_result, -1);
    CHECK_EQ_INT (mirror_errno, ETERM);
    return test_result ("proxy");
}
