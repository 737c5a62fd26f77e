/* A publisher thread sends weather updates for many zip codes; a
 * subscriber listens to one zip code and averages its temperature, using
 * zmq_poll with a timeout. */
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *ctx;

static void publisher (void *arg)
{
    (void) arg;
    void *pub = zmq_socket (ctx, ZMQ_PUB);
    zmq_bind (pub, "inproc://weather");
    void *sync = zmq_socket (ctx, ZMQ_PAIR);
    zmq_connect (sync, "inproc://sync");
    zmq_send (sync, "", 0, 0); /* bound: subscribers may connect now */
    char go[1];
    zmq_recv (sync, go, sizeof go, 0); /* they have subscribed */
    unsigned seed = 42;
    for (int i = 0; i < 100000; i++) {
        int zip = (int) (rand_r (&seed) % 1000);
        int temperature = (int) (rand_r (&seed) % 100) - 20;
        char update[32];
        int len = snprintf (update, sizeof update, "%03d %d", zip, temperature);
        zmq_send (pub, update, (size_t) len, 0);
    }
    zmq_send (pub, "END", 3, 0);
    zmq_recv (sync, go, sizeof go, 0); /* the subscriber is done */
    zmq_close (sync);
    zmq_close (pub);
}

int main (void)
{
    ctx = zmq_ctx_new ();
    void *sync = zmq_socket (ctx, ZMQ_PAIR);
    zmq_bind (sync, "inproc://sync");
    void *thread = zmq_threadstart (publisher, NULL);
    char buf[32];
    zmq_recv (sync, buf, sizeof buf, 0);

    void *sub = zmq_socket (ctx, ZMQ_SUB);
    zmq_setsockopt (sub, ZMQ_RCVHWM, &(int){0}, sizeof (int));
    zmq_connect (sub, "inproc://weather");
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "042 ", 4);
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "END", 3);
    zmq_send (sync, "", 0, 0);

    long total = 0;
    int updates = 0;
    zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
    while (zmq_poll (&item, 1, 5000) == 1) {
        int n = zmq_recv (sub, buf, sizeof buf - 1, 0);
        buf[n] = 0;
        if (strcmp (buf, "END") == 0)
            break;
        total += atoi (buf + 4);
        updates++;
    }
    zmq_send (sync, "", 0, 0);
    zmq_threadclose (thread);
    printf ("zip 042: %d updates, average temperature %.1f\n", updates,
            updates ? (double) total / updates : 0.0);
    zmq_close (sub);
    zmq_close (sync);
    zmq_ctx_term (ctx);
    return updates > 0 ? 0 : 1;
}
