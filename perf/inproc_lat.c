/* Inproc latency: a REP thread echoes <count> round trips of <size>-byte
 * messages from a REQ socket; prints the average one-way latency.
 *   inproc_lat <message-size> <roundtrip-count>                          */
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>

struct job {
    void *ctx;
    size_t size;
    long count;
};

static void echo (void *arg)
{
    struct job *job = (struct job *) arg;
    void *rep = zmq_socket (job->ctx, ZMQ_REP);
    if (!rep || zmq_connect (rep, "inproc://lat") != 0) {
        fprintf (stderr, "echo: %s\n", zmq_strerror (zmq_errno ()));
        exit (1);
    }
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    for (long i = 0; i < job->count; i++) {
        if (zmq_msg_recv (&msg, rep, 0) < 0 || zmq_msg_send (&msg, rep, 0) < 0) {
            fprintf (stderr, "echo: %s\n", zmq_strerror (zmq_errno ()));
            exit (1);
        }
    }
    zmq_msg_close (&msg);
    zmq_close (rep);
}

int main (int argc, char *argv[])
{
    if (argc != 3) {
        fprintf (stderr, "usage: inproc_lat <message-size> <roundtrip-count>\n");
        return 1;
    }
    struct job job = {zmq_ctx_new (), (size_t) atol (argv[1]), atol (argv[2])};
    void *req = zmq_socket (job.ctx, ZMQ_REQ);
    if (!req || zmq_bind (req, "inproc://lat") != 0) {
        fprintf (stderr, "bind: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    void *thread = zmq_threadstart (echo, &job);
    zmq_msg_t msg;
    zmq_msg_init_size (&msg, job.size);
    void *watch = zmq_stopwatch_start ();
    for (long i = 0; i < job.count; i++) {
        if (zmq_msg_send (&msg, req, 0) < 0 || zmq_msg_recv (&msg, req, 0) != (int) job.size) {
            fprintf (stderr, "round trip: %s\n", zmq_strerror (zmq_errno ()));
            return 1;
        }
    }
    unsigned long elapsed = zmq_stopwatch_stop (watch);
    zmq_msg_close (&msg);
    zmq_threadclose (thread);
    zmq_close (req);
    zmq_ctx_term (job.ctx);

    printf ("message size: %zu [B]\n", job.size);
    printf ("roundtrip count: %ld\n", job.count);
    printf ("average latency: %.3f [us]\n", (double) elapsed / (double) job.count / 2.0);
    return 0;
}
