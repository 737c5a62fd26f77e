/* One side of a conversation between the draft socket types, for
 * draft_interop.sh: built against this library and against a libzmq built
 * with the draft API, each run pairs one of each.
 *
 *   draft_peer ROLE bind|connect ENDPOINT
 *
 * ROLE is server, client, radio, dish, scatter, gather, channel or peer.
 * CLIENT, SCATTER, the connecting CHANNEL and the connecting PEER send 200
 * messages of 0..199 bytes; SERVER, the bound CHANNEL and the bound PEER
 * answer each with one byte more (to the routing id it came from); GATHER
 * checks each size. RADIO sends 200 messages alternately to the groups
 * "grp" and "other"; DISH joins "grp" and must get its 100, each with
 * that group. Exit status 0 when the conversation went as described. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

enum { N = 200 };

static int failed (const char *what)
{
    fprintf (stderr, "%s: %s\n", what, zmq_strerror (zmq_errno ()));
    return 1;
}

static int type_of (const char *role)
{
    const char *names[] = {"server", "client", "radio", "dish", "gather", "scatter", NULL, "peer", "channel"};
    for (int i = 0; i < 9; i++)
        if (names[i] && strcmp (role, names[i]) == 0)
            return ZMQ_SERVER + i;
    return -1;
}

/* Sends `size` bytes, to `routing_id` when it is not 0. */
static int send_sized (void *s, size_t size, char fill, uint32_t routing_id)
{
    zmq_msg_t msg;
    zmq_msg_init_size (&msg, size);
    memset (zmq_msg_data (&msg), fill, size);
    if (routing_id)
        zmq_msg_set_routing_id (&msg, routing_id);
    if (zmq_msg_send (&msg, s, 0) < 0) {
        zmq_msg_close (&msg);
        return -1;
    }
    return 0;
}

/* Receives one message: its size, and its routing id in `*from`. */
static long recv_sized (void *s, uint32_t *from)
{
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    if (zmq_msg_recv (&msg, s, 0) < 0)
        return -1;
    long size = (long) zmq_msg_size (&msg);
    if (from)
        *from = zmq_msg_routing_id (&msg);
    zmq_msg_close (&msg);
    return size;
}

static int ask (void *s, uint32_t routing_id, int expect_answers)
{
    for (int i = 0; i < N; i++) {
        if (send_sized (s, (size_t) i, (char) ('a' + i % 26), routing_id) != 0)
            return failed ("send");
        if (expect_answers && recv_sized (s, NULL) != i + 1)
            return failed ("answer");
    }
    return 0;
}

static int answer (void *s, int routed)
{
    for (int i = 0; i < N; i++) {
        uint32_t from = 0;
        if (recv_sized (s, &from) != i || (routed && from == 0))
            return failed ("request");
        if (send_sized (s, (size_t) i + 1, 'r', routed ? from : 0) != 0)
            return failed ("reply");
    }
    return 0;
}

int main (int argc, char **argv)
{
    if (argc != 4)
        return 2;
    int type = type_of (argv[1]);
    int bind = strcmp (argv[2], "bind") == 0;
    const char *endpoint = argv[3];
    if (type < 0)
        return 2;
    void *ctx = zmq_ctx_new ();
    void *s = zmq_socket (ctx, type);
    int timeout = 5000;
    zmq_setsockopt (s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    if (type == ZMQ_DISH)
        zmq_join (s, "grp");
    uint32_t peer = 0;
    if (bind) {
        if (zmq_bind (s, endpoint) != 0)
            return failed ("bind");
    } else if (type == ZMQ_PEER) {
        peer = zmq_connect_peer (s, endpoint);
        if (peer == 0)
            return failed ("zmq_connect_peer");
    } else if (zmq_connect (s, endpoint) != 0)
        return failed ("connect");

    int rc = 0;
    switch (type) {
        case ZMQ_CLIENT:
            rc = ask (s, 0, 1);
            break;
        case ZMQ_SCATTER:
            rc = ask (s, 0, 0);
            break;
        case ZMQ_CHANNEL:
            rc = bind ? answer (s, 0) : ask (s, 0, 1);
            break;
        case ZMQ_PEER:
            rc = bind ? answer (s, 1) : ask (s, peer, 1);
            break;
        case ZMQ_SERVER:
            rc = answer (s, 1);
            break;
        case ZMQ_GATHER:
            for (int i = 0; i < N && rc == 0; i++)
                if (recv_sized (s, NULL) != i)
                    rc = failed ("gather");
            break;
        case ZMQ_RADIO:
            /* Time for the DISH's join to arrive (or, over udp, for the
             * DISH to bind). */
            sleep (1);
            for (int i = 0; i < N; i++) {
                zmq_msg_t msg;
                zmq_msg_init_size (&msg, 5);
                memcpy (zmq_msg_data (&msg), "hello", 5);
                zmq_msg_set_group (&msg, i % 2 ? "grp" : "other");
                zmq_msg_send (&msg, s, 0);
                usleep (2000);
            }
            break;
        case ZMQ_DISH:
            for (int got = 0; got < N / 2 && rc == 0; got++) {
                zmq_msg_t msg;
                zmq_msg_init (&msg);
                if (zmq_msg_recv (&msg, s, 0) < 0)
                    rc = failed ("dish");
                else if (strcmp (zmq_msg_group (&msg), "grp") != 0 || zmq_msg_size (&msg) != 5)
                    rc = failed ("dish: wrong group or body");
                zmq_msg_close (&msg);
            }
            break;
    }
    int linger = 1000;
    zmq_setsockopt (s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close (s);
    zmq_ctx_term (ctx);
    return rc;
}
