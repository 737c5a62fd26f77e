/* Message envelopes. Pub-sub: the publisher puts the topic in a frame of
 * its own ahead of the body, so a subscription matches the topic and
 * never a body that happens to start with the same bytes. Request-reply:
 * a REQ socket wraps each request in an envelope ending in an empty
 * delimiter frame; a ROUTER shows the whole envelope (routing id, empty
 * frame, body), and a DEALER talking to a REP must write the delimiter
 * itself: without it the REP discards the message. */
#include <zmq.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int problems;

/* Receives one message and prints its frames; returns the frame count, or
 * -1 when nothing came within 1 s. */
static int show_message (const char *who, void *s)
{
    zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
    if (zmq_poll (&item, 1, 1000) != 1)
        return -1;
    int frames = 0, more = 1;
    char line[256];
    int used = snprintf (line, sizeof line, "%s:", who);
    while (more) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&frame, s, 0) < 0) {
            zmq_msg_close (&frame);
            break;
        }
        more = zmq_msg_more (&frame);
        size_t size = zmq_msg_size (&frame);
        const unsigned char *data = zmq_msg_data (&frame);
        int printable = size > 0 && data[0] != 0;
        for (size_t i = 0; i < size; i++)
            printable &= data[i] >= 32 && data[i] < 127;
        if (printable)
            used += snprintf (line + used, sizeof line - (size_t) used, " [\"%.*s\"]", (int) size,
                              (const char *) data);
        else if (size == 0)
            used += snprintf (line + used, sizeof line - (size_t) used, " [empty]");
        else
            used += snprintf (line + used, sizeof line - (size_t) used, " [%zu-byte id]", size);
        zmq_msg_close (&frame);
        frames++;
    }
    printf ("%s\n", line);
    return frames;
}

static void send_frames (void *s, const char **frames, int count)
{
    for (int i = 0; i < count; i++)
        zmq_send (s, frames[i], strlen (frames[i]), i + 1 < count ? ZMQ_SNDMORE : 0);
}

static void topics (void *ctx)
{
    printf ("pub-sub, subscribed to topic \"fruit\":\n");
    void *pub = zmq_socket (ctx, ZMQ_PUB);
    void *sub = zmq_socket (ctx, ZMQ_SUB);
    zmq_bind (pub, "inproc://market");
    zmq_connect (sub, "inproc://market");
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "fruit", 5);
    /* Until the subscription reaches the publisher it drops everything:
     * probe until one gets through. */
    zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
    for (int i = 0; i < 300 && zmq_poll (&item, 1, 10) == 0; i++)
        send_frames (pub, (const char *[]){"fruit", "probe"}, 2);

    send_frames (pub, (const char *[]){"fruit", "apple"}, 2);
    send_frames (pub, (const char *[]){"vegetable", "leek"}, 2);
    send_frames (pub, (const char *[]){"dessert", "fruit salad"}, 2);
    send_frames (pub, (const char *[]){"fruit", "pear"}, 2);
    send_frames (pub, (const char *[]){"fruit", "last"}, 2);
    int received = 0;
    char topic[16], body[16];
    while (zmq_poll (&item, 1, 1000) == 1) {
        int t = zmq_recv (sub, topic, sizeof topic - 1, 0);
        int more = 0;
        size_t size = sizeof more;
        zmq_getsockopt (sub, ZMQ_RCVMORE, &more, &size);
        int b = more ? zmq_recv (sub, body, sizeof body - 1, 0) : -1;
        if (t < 0 || b < 0) {
            problems++;
            break;
        }
        topic[t] = 0;
        body[b] = 0;
        if (strcmp (body, "probe") == 0)
            continue;
        printf ("  topic frame \"%s\", body frame \"%s\"\n", topic, body);
        received++;
        if (strcmp (body, "last") == 0)
            break;
    }
    if (received != 3)
        problems++;
    zmq_close (sub);
    zmq_close (pub);
}

static void requests (void *ctx)
{
    printf ("request-reply, REQ to ROUTER:\n");
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    void *req = zmq_socket (ctx, ZMQ_REQ);
    zmq_bind (router, "inproc://desk");
    zmq_connect (req, "inproc://desk");
    zmq_send (req, "one coffee", 10, 0);
    /* The envelope: who asked, the delimiter, then the request. */
    char id[256];
    int id_size = zmq_recv (router, id, sizeof id, 0);
    char delimiter[8], request[32];
    int d = zmq_recv (router, delimiter, sizeof delimiter, 0);
    int r = zmq_recv (router, request, sizeof request - 1, 0);
    if (id_size <= 0 || d != 0 || r < 0) {
        problems++;
        printf ("  unexpected envelope\n");
    }
    else {
        request[r] = 0;
        printf ("  ROUTER got 3 frames: [%s routing id] [empty] [\"%s\"]\n",
                id_size == 5 && id[0] == 0 ? "5-byte generated" : "unusual", request);
        /* Reply inside the same envelope. */
        zmq_send (router, id, (size_t) id_size, ZMQ_SNDMORE);
        zmq_send (router, "", 0, ZMQ_SNDMORE);
        zmq_send (router, "coffee", 6, 0);
        if (show_message ("  REQ got the reply, envelope removed", req) != 1)
            problems++;
    }
    zmq_close (req);
    zmq_close (router);

    printf ("request-reply, DEALER to REP:\n");
    void *rep = zmq_socket (ctx, ZMQ_REP);
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    zmq_bind (rep, "inproc://counter");
    zmq_connect (dealer, "inproc://counter");
    zmq_send (dealer, "no envelope", 11, 0);
    /* zmq_poll reports it readable, but a receive drops the malformed
     * message and finds nothing else. */
    zmq_pollitem_t item = {rep, 0, ZMQ_POLLIN, 0};
    zmq_poll (&item, 1, 300);
    char buf[32];
    int n = zmq_recv (rep, buf, sizeof buf, ZMQ_DONTWAIT);
    int dropped = n == -1 && zmq_errno () == EAGAIN;
    printf ("  without the empty frame: %s\n", dropped ? "REP discarded it" : "REP took it");
    problems += !dropped;
    send_frames (dealer, (const char *[]){"", "with envelope"}, 2);
    n = -1;
    if (zmq_poll (&item, 1, 1000) == 1)
        n = zmq_recv (rep, buf, sizeof buf - 1, 0);
    buf[n < 0 ? 0 : n] = 0;
    printf ("  with it: REP got \"%s\" (its envelope kept for the reply)\n", buf);
    problems += strcmp (buf, "with envelope") != 0;
    zmq_send (rep, "served", 6, 0);
    if (show_message ("  DEALER got", dealer) != 2)
        problems++;
    zmq_close (dealer);
    zmq_close (rep);
}

int main (void)
{
    void *ctx = zmq_ctx_new ();
    topics (ctx);
    requests (ctx);
    zmq_ctx_term (ctx);
    return problems != 0;
}
