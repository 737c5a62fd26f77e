/* Pub-sub synchronisation: a publisher that must not start before its
 * subscribers are listening, or the first updates are lost (PUB drops
 * what no subscription matches yet). Each subscriber thread connects its
 * SUB socket, waits until a probe from the publisher gets through (so its
 * subscription has arrived), then says so over a REQ-REP side channel.
 * Once all have checked in, the publisher sends its updates and an END,
 * and every subscriber gets every update. */
#include <zmq.h>
#include <stdio.h>
#include <string.h>

#define SUBSCRIBERS 3
#define UPDATES 20000

static void *ctx;
static char updates_endpoint[256];
static char checkin_endpoint[256];
static int complete; /* subscribers that got every update */

static void subscriber (void *arg)
{
    int id = *(int *) arg;
    void *sub = zmq_socket (ctx, ZMQ_SUB);
    int unlimited = 0, patience = 3000;
    zmq_setsockopt (sub, ZMQ_RCVHWM, &unlimited, sizeof unlimited);
    zmq_setsockopt (sub, ZMQ_RCVTIMEO, &patience, sizeof patience);
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0);
    zmq_connect (sub, updates_endpoint);

    char buf[32];
    int n = zmq_recv (sub, buf, sizeof buf, 0); /* the first probe */
    if (n < 0) {
        printf ("subscriber %d: no probe from the publisher\n", id);
        zmq_close (sub);
        return;
    }
    void *req = zmq_socket (ctx, ZMQ_REQ);
    zmq_setsockopt (req, ZMQ_RCVTIMEO, &patience, sizeof patience);
    zmq_connect (req, checkin_endpoint);
    zmq_send (req, "listening", 9, 0);
    zmq_recv (req, buf, sizeof buf, 0);
    zmq_close (req);

    int updates = 0, expected = 0, in_order = 1;
    while ((n = zmq_recv (sub, buf, sizeof buf - 1, 0)) >= 0) {
        buf[n] = 0;
        if (strcmp (buf, "END") == 0)
            break;
        int number;
        if (sscanf (buf, "update %d", &number) != 1)
            continue; /* a probe sent before the publisher started */
        in_order &= number == expected++;
        updates++;
    }
    printf ("subscriber %d: %d updates%s%s\n", id, updates, in_order ? ", in order" : ", OUT OF ORDER",
            n < 0 ? ", but no END" : "");
    if (updates == UPDATES && in_order && n >= 0)
        __atomic_add_fetch (&complete, 1, __ATOMIC_SEQ_CST);
    zmq_close (sub);
}

static int bind_any (void *s, char *endpoint)
{
    size_t size = 256;
    if (zmq_bind (s, "tcp://127.0.0.1:*") != 0)
        return -1;
    return zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, endpoint, &size);
}

int main (void)
{
    ctx = zmq_ctx_new ();
    void *pub = zmq_socket (ctx, ZMQ_PUB);
    void *checkin = zmq_socket (ctx, ZMQ_REP);
    int unlimited = 0;
    zmq_setsockopt (pub, ZMQ_SNDHWM, &unlimited, sizeof unlimited);
    if (bind_any (pub, updates_endpoint) != 0 || bind_any (checkin, checkin_endpoint) != 0) {
        fprintf (stderr, "bind: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    void *threads[SUBSCRIBERS];
    int ids[SUBSCRIBERS];
    for (int i = 0; i < SUBSCRIBERS; i++) {
        ids[i] = i + 1;
        threads[i] = zmq_threadstart (subscriber, &ids[i]);
    }

    /* Probe every 10 ms until everyone has checked in (at most 3 s). */
    int listening = 0;
    zmq_pollitem_t item = {checkin, 0, ZMQ_POLLIN, 0};
    for (int tick = 0; listening < SUBSCRIBERS && tick < 300; tick++) {
        zmq_send (pub, "probe", 5, 0);
        if (zmq_poll (&item, 1, 10) == 1) {
            char buf[16];
            zmq_recv (checkin, buf, sizeof buf, 0);
            zmq_send (checkin, "", 0, 0);
            listening++;
        }
    }
    printf ("publisher: %d subscribers listening, sending %d updates\n", listening, UPDATES);
    for (int i = 0; i < UPDATES; i++) {
        char update[32];
        int len = snprintf (update, sizeof update, "update %d", i);
        zmq_send (pub, update, (size_t) len, 0);
    }
    zmq_send (pub, "END", 3, 0);
    for (int i = 0; i < SUBSCRIBERS; i++)
        zmq_threadclose (threads[i]);
    zmq_close (pub);
    zmq_close (checkin);
    zmq_ctx_term (ctx);
    return complete == SUBSCRIBERS ? 0 : 1;
}
