/* Prints the version of the libzmq it runs with, after a message round trip
 * over inproc. Fails when zmq.h and the library disagree on the version
 * (Debian's 4.3.4 header with our 4.3.5 library, or the other way round). */
#include <stdio.h>
#include <string.h>
#include <zmq.h>

int main (void)
{
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    if (ZMQ_MAKE_VERSION (major, minor, patch) != ZMQ_VERSION) {
        fprintf (stderr, "zmq.h is %d.%d.%d, the library %d.%d.%d\n",
                 ZMQ_VERSION_MAJOR, ZMQ_VERSION_MINOR, ZMQ_VERSION_PATCH,
                 major, minor, patch);
        return 1;
    }

    void *ctx = zmq_ctx_new ();
    void *a = zmq_socket (ctx, ZMQ_PAIR);
    void *b = zmq_socket (ctx, ZMQ_PAIR);
    char buf[8] = {0};
    if (!ctx || !a || !b || zmq_bind (a, "inproc://consumer") != 0
        || zmq_connect (b, "inproc://consumer") != 0
        || zmq_send (b, "ping", 4, 0) != 4
        || zmq_recv (a, buf, sizeof buf, 0) != 4 || memcmp (buf, "ping", 4) != 0) {
        fprintf (stderr, "round trip failed: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    zmq_close (a);
    zmq_close (b);
    zmq_ctx_term (ctx);

    printf ("%d.%d.%d\n", major, minor, patch);
    return 0;
}
