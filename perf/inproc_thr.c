/* Inproc throughput: a PUSH thread sends <count> messages of <size> bytes
 * to a PULL socket; prints messages per second and megabits per second.
 *   inproc_thr <message-size> <message-count>                            */
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOOL "inproc_thr"
#include "perf_util.h"

struct job {
    void *ctx;
    size_t size;
    long count;
};

static void sender (void *arg)
{
    struct job *job = (struct job *) arg;
    /* Copied once: the job lives on the receiver's stack, next to the
     * message it receives into, and reading it in the loop would make
     * the two threads share a cache line. */
    const size_t size = job->size;
    const long count = job->count;
    void *push = zmq_socket (job->ctx, ZMQ_PUSH);
    if (!push || zmq_connect (push, "inproc://thr") != 0) {
        fprintf (stderr, "sender: %s\n", zmq_strerror (zmq_errno ()));
        exit (1);
    }
    for (long i = 0; i < count; i++) {
        zmq_msg_t msg;
        zmq_msg_init_size (&msg, size);
        if (zmq_msg_send (&msg, push, 0) < 0) {
            fprintf (stderr, "send: %s\n", zmq_strerror (zmq_errno ()));
            exit (1);
        }
    }
    zmq_close (push);
}

int main (int argc, char *argv[])
{
    if (argc != 3) {
        fprintf (stderr, "usage: inproc_thr <message-size> <message-count>\n");
        return 1;
    }
    struct job job = {zmq_ctx_new (), (size_t) atol (argv[1]), atol (argv[2])};
    void *pull = zmq_socket (job.ctx, ZMQ_PULL);
    if (!pull || zmq_bind (pull, "inproc://thr") != 0) {
        fprintf (stderr, "bind: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    void *thread = zmq_threadstart (sender, &job);
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    if (zmq_msg_recv (&msg, pull, 0) < 0)
        return 1;
    void *watch = zmq_stopwatch_start ();
    for (long i = 1; i < job.count; i++) {
        if (zmq_msg_recv (&msg, pull, 0) != (int) job.size) {
            fprintf (stderr, "recv: bad size or %s\n", zmq_strerror (zmq_errno ()));
            return 1;
        }
    }
    unsigned long elapsed = zmq_stopwatch_stop (watch);
    zmq_msg_close (&msg);
    zmq_threadclose (thread);
    zmq_close (pull);
    zmq_ctx_term (job.ctx);

    print_throughput (job.size, job.count, elapsed);
    return 0;
}
