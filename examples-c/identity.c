/* Identities: a ROUTER knows each peer by a routing id. A peer that sets
 * none gets one made up by the ROUTER (5 bytes, the first one zero); a
 * peer that sets ZMQ_ROUTING_ID before connecting is known by that name,
 * so the ROUTER can address it directly, and can tell (with
 * ZMQ_ROUTER_MANDATORY) when a name belongs to nobody. */
#include <zmq.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int problems;

static void describe_id (const char *who, const unsigned char *id, int size)
{
    if (size == 5 && id[0] == 0)
        printf ("ROUTER: message from %s, routing id generated: 5 bytes, first one 0\n", who);
    else
        printf ("ROUTER: message from %s, routing id \"%.*s\"\n", who, size, (const char *) id);
}

int main (void)
{
    void *ctx = zmq_ctx_new ();
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    int patience = 2000, mandatory = 1;
    zmq_setsockopt (router, ZMQ_RCVTIMEO, &patience, sizeof patience);
    zmq_bind (router, "inproc://names");

    void *nameless = zmq_socket (ctx, ZMQ_DEALER);
    void *named = zmq_socket (ctx, ZMQ_DEALER);
    zmq_setsockopt (named, ZMQ_ROUTING_ID, "carol", 5);
    zmq_setsockopt (nameless, ZMQ_RCVTIMEO, &patience, sizeof patience);
    zmq_setsockopt (named, ZMQ_RCVTIMEO, &patience, sizeof patience);
    zmq_connect (nameless, "inproc://names");
    zmq_connect (named, "inproc://names");
    zmq_send (nameless, "nameless", 8, 0);
    zmq_send (named, "carol", 5, 0);

    /* The body says who sent it; the first frame is how the ROUTER knows
     * them. Keep the generated id to answer its owner later. */
    unsigned char generated[256];
    int generated_size = -1;
    for (int i = 0; i < 2; i++) {
        unsigned char id[256];
        char body[32];
        int id_size = zmq_recv (router, id, sizeof id, 0);
        int n = id_size < 0 ? -1 : zmq_recv (router, body, sizeof body - 1, 0);
        if (n < 0) {
            printf ("ROUTER: a message is missing\n");
            problems++;
            break;
        }
        body[n] = 0;
        describe_id (body, id, id_size);
        if (strcmp (body, "nameless") == 0) {
            memcpy (generated, id, (size_t) id_size);
            generated_size = id_size;
            problems += !(id_size == 5 && id[0] == 0);
        }
        else
            problems += !(id_size == 5 && memcmp (id, "carol", 5) == 0);
    }

    /* Address each peer by its routing id. */
    zmq_send (router, "carol", 5, ZMQ_SNDMORE);
    zmq_send (router, "for carol", 9, 0);
    if (generated_size > 0) {
        zmq_send (router, generated, (size_t) generated_size, ZMQ_SNDMORE);
        zmq_send (router, "for the nameless peer", 21, 0);
    }
    void *peers[] = {named, nameless};
    const char *names[] = {"carol", "nameless peer"};
    for (int i = 0; i < 2; i++) {
        char buf[32];
        int n = zmq_recv (peers[i], buf, sizeof buf - 1, 0);
        buf[n < 0 ? 0 : n] = 0;
        printf ("%s got \"%s\"\n", names[i], n < 0 ? "nothing" : buf);
        problems += n < 0;
    }

    /* A name nobody has: dropped silently, unless the ROUTER is told to
     * insist, when the send fails with EHOSTUNREACH. */
    int rc = zmq_send (router, "dave", 4, ZMQ_SNDMORE);
    zmq_send (router, "lost", 4, 0);
    printf ("ROUTER: sending to \"dave\": %s\n", rc == 4 ? "accepted and dropped" : "refused");
    problems += rc != 4;
    zmq_setsockopt (router, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory);
    rc = zmq_send (router, "dave", 4, ZMQ_SNDMORE);
    int unreachable = rc == -1 && zmq_errno () == EHOSTUNREACH;
    printf ("ROUTER with ZMQ_ROUTER_MANDATORY: sending to \"dave\": %s\n",
            unreachable ? "EHOSTUNREACH" : "accepted");
    problems += !unreachable;

    zmq_close (nameless);
    zmq_close (named);
    zmq_close (router);
    zmq_ctx_term (ctx);
    return problems != 0;
}
