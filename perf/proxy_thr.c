/* Proxy throughput: a PUSH thread sends <count> messages of <size> bytes
 * through zmq_proxy (a PULL frontend and a PUSH backend, on a thread of
 * its own) to a PULL socket, all over inproc; prints messages per second.
 * What it measures is the proxy's own cost per message on top of two
 * inproc hops.
 *   proxy_thr <message-size> <message-count>                            */
#define TOOL "proxy_thr"
#include "perf_util.h"

#include <string.h>

struct job {
    void *ctx;
    size_t size;
    long count;
};

static void sender (void *arg)
{
    const struct job *job = arg;
    const size_t size = job->size;
    const long count = job->count;
    void *push = zmq_socket (job->ctx, ZMQ_PUSH);
    if (!push || zmq_connect (push, "inproc://proxy-in") != 0)
        fail ("sender connect");
    for (long i = 0; i < count; i++) {
        zmq_msg_t msg;
        zmq_msg_init_size (&msg, size);
        if (zmq_msg_send (&msg, push, 0) < 0)
            fail ("send");
    }
    zmq_close (push);
}

/* Runs the proxy until the context ends. */
static void proxy (void *ctx)
{
    void *frontend = zmq_socket (ctx, ZMQ_PULL);
    void *backend = zmq_socket (ctx, ZMQ_PUSH);
    int zero = 0;
    zmq_setsockopt (frontend, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt (backend, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind (frontend, "inproc://proxy-in") != 0
        || zmq_connect (backend, "inproc://proxy-out") != 0)
        fail ("proxy sockets");
    zmq_proxy (frontend, backend, NULL); /* returns with ETERM */
    zmq_close (frontend);
    zmq_close (backend);
}

int main (int argc, char *argv[])
{
    if (argc != 3) {
        fprintf (stderr, "usage: proxy_thr <message-size> <message-count>\n");
        return 1;
    }
    struct job job = {zmq_ctx_new (), (size_t) parse (argv[1], "size", 0),
                      parse (argv[2], "count", 2)};
    void *pull = zmq_socket (job.ctx, ZMQ_PULL);
    if (!pull || zmq_bind (pull, "inproc://proxy-out") != 0)
        fail ("bind");
    void *proxy_thread = zmq_threadstart (proxy, job.ctx);
    void *sender_thread = zmq_threadstart (sender, &job);
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    if (zmq_msg_recv (&msg, pull, 0) < 0)
        fail ("recv");
    void *watch = zmq_stopwatch_start ();
    for (long i = 1; i < job.count; i++)
        if (zmq_msg_recv (&msg, pull, 0) != (int) job.size)
            fail ("recv");
    unsigned long elapsed = zmq_stopwatch_stop (watch);
    zmq_msg_close (&msg);
    zmq_threadclose (sender_thread);
    zmq_close (pull);
    zmq_ctx_shutdown (job.ctx); /* the proxy returns */
    zmq_threadclose (proxy_thread);
    zmq_ctx_term (job.ctx);

    print_throughput (job.size, job.count, elapsed);
    return 0;
}
