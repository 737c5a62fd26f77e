/* An encrypted service with CURVE and an authentication handler. Every
 * party makes its keys with zmq_curve_keypair; clients know the server's
 * public key. A ZAP handler thread, a REP socket on
 * inproc://zeromq.zap.01, is asked about each client's public key during
 * the handshake: it allows the one key it knows (giving it a user id that
 * the server reads back from the message) and refuses any other, which the
 * refused client sees as ZMQ_EVENT_HANDSHAKE_FAILED_AUTH with status 400
 * and no request of its ever reaches the server. */
#include <zmq.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void *ctx;
static uint8_t known_key[32]; /* the one client public key allowed in */
static int allowed, refused;

static void zap_handler (void *arg)
{
    void *zap = arg; /* bound by main before the server existed */
    while (1) {
        /* version, request id, domain, address, routing id, mechanism,
         * then the credentials: for CURVE the client's public key. */
        zmq_msg_t frames[8];
        int count = 0, more = 1;
        while (more) {
            zmq_msg_t frame;
            zmq_msg_init (&frame);
            if (zmq_msg_recv (&frame, zap, 0) < 0) {
                zmq_msg_close (&frame);
                for (int i = 0; i < count; i++)
                    zmq_msg_close (&frames[i]);
                zmq_close (zap);
                return; /* the context is shutting down */
            }
            more = zmq_msg_more (&frame);
            if (count < 8) {
                zmq_msg_init (&frames[count]);
                zmq_msg_move (&frames[count++], &frame);
            }
            zmq_msg_close (&frame);
        }
        int is_curve = count == 7 && zmq_msg_size (&frames[5]) == 5
                       && memcmp (zmq_msg_data (&frames[5]), "CURVE", 5) == 0;
        int known = is_curve && zmq_msg_size (&frames[6]) == 32
                    && memcmp (zmq_msg_data (&frames[6]), known_key, 32) == 0;
        if (known && allowed++ == 0)
            printf ("zap handler: known key, allowed in as \"trusted-client\"\n");
        if (!known && refused++ == 0)
            printf ("zap handler: unknown key, refused\n");
        /* version, the same request id, status code and text, user id,
         * metadata */
        zmq_send (zap, "1.0", 3, ZMQ_SNDMORE);
        if (count >= 2)
            zmq_send (zap, zmq_msg_data (&frames[1]), zmq_msg_size (&frames[1]), ZMQ_SNDMORE);
        else
            zmq_send (zap, "", 0, ZMQ_SNDMORE);
        zmq_send (zap, known ? "200" : "400", 3, ZMQ_SNDMORE);
        zmq_send (zap, known ? "OK" : "unknown key", known ? 2 : 11, ZMQ_SNDMORE);
        zmq_send (zap, known ? "trusted-client" : "", known ? 14 : 0, ZMQ_SNDMORE);
        zmq_send (zap, "", 0, 0);
        for (int i = 0; i < count; i++)
            zmq_msg_close (&frames[i]);
    }
}

static void *client (const char *server_public, const char *public_key,
                     const char *secret_key)
{
    void *req = zmq_socket (ctx, ZMQ_REQ);
    int zero = 0;
    zmq_setsockopt (req, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt (req, ZMQ_CURVE_SERVERKEY, server_public, 40);
    zmq_setsockopt (req, ZMQ_CURVE_PUBLICKEY, public_key, 40);
    zmq_setsockopt (req, ZMQ_CURVE_SECRETKEY, secret_key, 40);
    return req;
}

/* Waits for a handshake outcome on a monitor; returns the event and puts
 * its value (the ZAP status for an auth failure) in *value. */
static int handshake_outcome (void *monitor, uint32_t *value)
{
    zmq_pollitem_t item = {monitor, 0, ZMQ_POLLIN, 0};
    if (zmq_poll (&item, 1, 3000) != 1)
        return 0;
    zmq_msg_t head, address;
    zmq_msg_init (&head);
    zmq_msg_init (&address);
    zmq_msg_recv (&head, monitor, 0);
    zmq_msg_recv (&address, monitor, 0);
    uint16_t event = 0;
    if (zmq_msg_size (&head) == 6) {
        memcpy (&event, zmq_msg_data (&head), 2);
        memcpy (value, (uint8_t *) zmq_msg_data (&head) + 2, 4);
    }
    zmq_msg_close (&head);
    zmq_msg_close (&address);
    return event;
}

int main (void)
{
    if (!zmq_has ("curve")) {
        fprintf (stderr, "this libzmq has no CURVE\n");
        return 1;
    }
    char server_public[41], server_secret[41];
    char trusted_public[41], trusted_secret[41];
    char stranger_public[41], stranger_secret[41];
    if (zmq_curve_keypair (server_public, server_secret) != 0
        || zmq_curve_keypair (trusted_public, trusted_secret) != 0
        || zmq_curve_keypair (stranger_public, stranger_secret) != 0) {
        fprintf (stderr, "zmq_curve_keypair: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    zmq_z85_decode (known_key, trusted_public);
    printf ("keys: made three key pairs with zmq_curve_keypair\n");

    ctx = zmq_ctx_new ();
    void *zap = zmq_socket (ctx, ZMQ_REP);
    zmq_bind (zap, "inproc://zeromq.zap.01");
    void *handler = zmq_threadstart (zap_handler, zap);

    void *server = zmq_socket (ctx, ZMQ_REP);
    int yes = 1;
    zmq_setsockopt (server, ZMQ_CURVE_SERVER, &yes, sizeof yes);
    zmq_setsockopt (server, ZMQ_CURVE_SECRETKEY, server_secret, 40);
    zmq_setsockopt (server, ZMQ_ZAP_DOMAIN, "examples", 8);
    char endpoint[256];
    size_t size = sizeof endpoint;
    if (zmq_bind (server, "tcp://127.0.0.1:*") != 0
        || zmq_getsockopt (server, ZMQ_LAST_ENDPOINT, endpoint, &size) != 0) {
        fprintf (stderr, "bind: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    zmq_pollitem_t at_server = {server, 0, ZMQ_POLLIN, 0};
    int ok = 1;

    /* The trusted client: its request arrives, with the user id the ZAP
     * handler gave it. */
    void *trusted = client (server_public, trusted_public, trusted_secret);
    zmq_connect (trusted, endpoint);
    zmq_send (trusted, "hello", 5, 0);
    if (zmq_poll (&at_server, 1, 3000) == 1) {
        zmq_msg_t request;
        zmq_msg_init (&request);
        zmq_msg_recv (&request, server, 0);
        const char *user = zmq_msg_gets (&request, "User-Id");
        printf ("server: \"%.*s\" from user \"%s\"\n", (int) zmq_msg_size (&request),
                (const char *) zmq_msg_data (&request), user ? user : "(none)");
        ok &= user != NULL && strcmp (user, "trusted-client") == 0;
        zmq_msg_close (&request);
        zmq_send (server, "welcome", 7, 0);
    }
    else {
        printf ("server: nothing from the trusted client\n");
        ok = 0;
    }
    zmq_pollitem_t at_trusted = {trusted, 0, ZMQ_POLLIN, 0};
    char reply[16];
    int n = zmq_poll (&at_trusted, 1, 3000) == 1 ? zmq_recv (trusted, reply, sizeof reply, 0) : -1;
    printf ("trusted client: %s%.*s%s\n", n > 0 ? "reply \"" : "NO REPLY", n > 0 ? n : 0, reply,
            n > 0 ? "\", encrypted on the wire" : "");
    ok &= n == 7;

    /* The stranger: refused during the handshake. */
    void *stranger = client (server_public, stranger_public, stranger_secret);
    zmq_socket_monitor (stranger, "inproc://stranger-events",
                        ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                          | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                          | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
    void *monitor = zmq_socket (ctx, ZMQ_PAIR);
    zmq_connect (monitor, "inproc://stranger-events");
    zmq_connect (stranger, endpoint);
    zmq_send (stranger, "let me in", 9, 0);
    uint32_t status = 0;
    int event = handshake_outcome (monitor, &status);
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        printf ("stranger: ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, status %u\n", (unsigned) status);
    else
        printf ("stranger: handshake outcome %d, not an authentication failure\n", event);
    ok &= event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && status == 400;
    int leaked = zmq_poll (&at_server, 1, 300);
    printf ("server: %s from the stranger\n", leaked == 0 ? "nothing" : "A REQUEST");
    ok &= leaked == 0;
    zmq_socket_monitor (stranger, NULL, 0);
    zmq_close (monitor);
    zmq_close (stranger);
    zmq_close (trusted);
    zmq_close (server);

    zmq_ctx_shutdown (ctx); /* ends the ZAP handler's wait (ETERM) */
    zmq_threadclose (handler);
    zmq_ctx_term (ctx);
    ok &= allowed == 1 && refused >= 1;
    return ok ? 0 : 1;
}
