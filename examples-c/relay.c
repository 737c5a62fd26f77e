/* Three threads in a chain, each signalling the next over inproc PAIR
 * sockets: the usual way to hand off work between threads. */
#include <zmq.h>
#include <stdio.h>
#include <string.h>

static void *ctx;

static void first_step (void *arg)
{
    (void) arg;
    void *sender = zmq_socket (ctx, ZMQ_PAIR);
    zmq_connect (sender, "inproc://step2");
    printf ("step 1 ready, signalling step 2\n");
    zmq_send (sender, "READY", 5, 0);
    zmq_close (sender);
}

static void second_step (void *arg)
{
    (void) arg;
    void *receiver = zmq_socket (ctx, ZMQ_PAIR);
    zmq_bind (receiver, "inproc://step2");
    void *thread = zmq_threadstart (first_step, NULL);
    char buf[16];
    zmq_recv (receiver, buf, sizeof buf, 0);
    zmq_threadclose (thread);
    zmq_close (receiver);

    void *sender = zmq_socket (ctx, ZMQ_PAIR);
    zmq_connect (sender, "inproc://step3");
    printf ("step 2 ready, signalling step 3\n");
    zmq_send (sender, "READY", 5, 0);
    zmq_close (sender);
}

int main (void)
{
    ctx = zmq_ctx_new ();
    void *receiver = zmq_socket (ctx, ZMQ_PAIR);
    zmq_bind (receiver, "inproc://step3");
    void *thread = zmq_threadstart (second_step, NULL);
    char buf[16];
    int n = zmq_recv (receiver, buf, sizeof buf, 0);
    zmq_threadclose (thread);
    printf ("test successful: step 3 got %.*s\n", n, buf);
    zmq_close (receiver);
    zmq_ctx_term (ctx);
    return n == 5 ? 0 : 1;
}
