/* CURVE (RFC 25/26) over tcp and ipc: keys from zmq_curve_keypair, the
 * options (ZMQ_CURVE_SERVER, _PUBLICKEY, _SECRETKEY, _SERVERKEY set as 32
 * bytes, 40 Z85 characters or 41 with the NUL, read back as 32 bytes or 41
 * of Z85, other sizes refused, ZMQ_MECHANISM), handshakes without a ZAP
 * handler (allowed: encryption without authentication) and with one (its
 * requests carry mechanism "CURVE" and the client's 32-byte public key; a
 * known key is let in with a User-Id, an unknown one refused with 400 on
 * both sides), ZMQ_ZAP_ENFORCE_DOMAIN without a handler (refused: EFAULT),
 * a wrong server key (the server cannot open the HELLO:
 * HANDSHAKE_FAILED_PROTOCOL CRYPTOGRAPHIC; the client sees the connection
 * close, EPIPE), traffic (multipart up to 1 MiB, 10000 messages in a row,
 * REQ/REP), and raw tcp peers: garbage and wrong-sized HELLOs, other
 * commands, a NULL greeting, ZMTP 1.0/2.0 greetings (no downgrade:
 * CVE-2014-7202, CVE-2014-9721), idle connections that never authenticate
 * (CVE-2020-15166: they must not keep a good client from being served),
 * and the client's own HELLO checked on the wire. */
#include "testsec.h"

#include <signal.h>

/* The server's and a known client's key pairs, and a stranger's. */
static char server_public[41], server_secret[41];
static char client_public[41], client_secret[41];
static char stranger_public[41], stranger_secret[41];

/* A CURVE server with the server's secret key (ZAP domain `domain`). */
static void make_server (void *s, const char *domain)
{
    CHECK_EQ_INT (set_int (s, ZMQ_CURVE_SERVER, 1), 0);
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_CURVE_SECRETKEY, server_secret, 40), 0);
    if (domain)
        CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_ZAP_DOMAIN, domain, strlen (domain)), 0);
}

/* A CURVE client of the server with `server_key`, with the key pair
 * `public_` / `secret`. */
static void make_client (void *s, const char *server_key, const char *public_, const char *secret)
{
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_CURVE_SERVERKEY, server_key, 40), 0);
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_CURVE_PUBLICKEY, public_, 40), 0);
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_CURVE_SECRETKEY, secret, 40), 0);
}

/* ---------------------------------------------------------------- handler */

/* The judge of these tests: lets in the known client's key, with the key
 * in Z85 as its User-Id, and refuses any other with 400. */
static void known_key (zap_t *z, zmq_msg_t *request, zap_reply_t *reply)
{
    zmq_msg_t *key = &request[6];
    uint8_t known[32];
    zmq_z85_decode (known, client_public);
    if (zmq_msg_size (key) != 32) {
        char text[64];
        snprintf (text, sizeof text, "credential has %d bytes, expected 32",
                  (int) zmq_msg_size (key));
        zap_problem (z, text);
    }
    if (zmq_msg_size (key) == 32 && memcmp (zmq_msg_data (key), known, 32) == 0)
        zmq_z85_encode (reply->user_id, zmq_msg_data (key), 32);
    else {
        reply->status = "400";
        reply->text = "unknown key";
    }
}

/* ------------------------------------------------------------- the pair */

/* A ROUTER CURVE server ("server-id") and a DEALER ("client-id"), each
 * with a handshake monitor; the client has connected and sent "hello".
 * client_kind: 0 the known client, 1 the stranger, 2 the known client
 * with a wrong server key, 3 a NULL client. */
typedef struct {
    void *server, *client, *smon, *cmon;
    mon_log_t slog, clog;
    char endpoint[256];
    int sent; /* "hello" was queued */
} pair_t;

static int pair_open (pair_t *p, const char *transport, const char *domain, int enforce,
                      int client_kind)
{
    memset (p, 0, sizeof *p);
    p->server = new_socket (ZMQ_ROUTER);
    zmq_setsockopt (p->server, ZMQ_ROUTING_ID, "server-id", 9);
    make_server (p->server, domain);
    if (enforce)
        CHECK_EQ_INT (set_int (p->server, ZMQ_ZAP_ENFORCE_DOMAIN, 1), 0);
    p->smon = mon_open (ctx, p->server, HANDSHAKE_EVENTS);
    if (!p->smon || bind_fresh (p->server, transport, p->endpoint, sizeof p->endpoint) != 0)
        return -1;
    p->client = new_socket (ZMQ_DEALER);
    zmq_setsockopt (p->client, ZMQ_ROUTING_ID, "client-id", 9);
    if (client_kind == 0)
        make_client (p->client, server_public, client_public, client_secret);
    else if (client_kind == 1)
        make_client (p->client, server_public, stranger_public, stranger_secret);
    else if (client_kind == 2)
        make_client (p->client, stranger_public, client_public, client_secret);
    p->cmon = mon_open (ctx, p->client, HANDSHAKE_EVENTS);
    if (!p->cmon || zmq_connect (p->client, p->endpoint) != 0)
        return -1;
    /* Queued at once (the pipe exists from zmq_connect on). Not required:
     * a refusal may have torn the pipe down already; expect_pass checks
     * that it arrives. */
    p->sent = zmq_send (p->client, "hello", 5, ZMQ_DONTWAIT) == 5;
    return 0;
}

static void pair_close (pair_t *p)
{
    if (p->cmon)
        mon_close (p->client, p->cmon);
    if (p->smon)
        mon_close (p->server, p->smon);
    zmq_close (p->client);
    zmq_close (p->server);
}

/* "hello" arrives (User-Id `user_id`, NULL: none); "world" goes back. */
static void expect_pass (pair_t *p, const char *user_id)
{
    CHECK (p->sent);
    zmq_msg_t id, msg;
    zmq_msg_init (&id);
    zmq_msg_init (&msg);
    CHECK_EQ_INT (zmq_msg_recv (&id, p->server, 0), 9);
    CHECK_EQ_INT (zmq_msg_recv (&msg, p->server, 0), 5);
    CHECK (zmq_msg_size (&msg) == 5 && memcmp (zmq_msg_data (&msg), "hello", 5) == 0);
    if (user_id)
        CHECK_STR (zmq_msg_gets (&msg, "User-Id"), user_id);
    else
        CHECK_EQ_PTR (zmq_msg_gets (&msg, "User-Id"), NULL);
    CHECK_STR (zmq_msg_gets (&msg, "Socket-Type"), "DEALER");
    CHECK_STR (zmq_msg_gets (&msg, "Identity"), "client-id");
    zmq_msg_close (&msg);
    CHECK_EQ_INT (zmq_msg_send (&id, p->server, ZMQ_SNDMORE), 9);
    zmq_msg_close (&id);
    CHECK_EQ_INT (zmq_send (p->server, "world", 5, 0), 5);
    zmq_msg_init (&msg);
    CHECK_EQ_INT (zmq_msg_recv (&msg, p->client, 0), 5);
    CHECK (zmq_msg_size (&msg) == 5 && memcmp (zmq_msg_data (&msg), "world", 5) == 0);
    CHECK_STR (zmq_msg_gets (&msg, "Socket-Type"), "ROUTER");
    zmq_msg_close (&msg);
    CHECK (mon_until (p->smon, &p->slog, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, EVENT_MS));
    CHECK (mon_until (p->cmon, &p->clog, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, EVENT_MS));
    CHECK_EQ_INT (p->slog.n, 1);
    CHECK_EQ_INT (p->clog.n, 1);
}

/* The server reports `server_event` / `server_value` (each time the
 * client tries), the client `client_event` / `client_value` (0: nothing
 * certain, except no authentication failure); no handshake succeeds and
 * "hello" never arrives. */
static void expect_refused (pair_t *p, int server_event, uint32_t server_value, int client_event,
                            uint32_t client_value)
{
    CHECK (mon_until (p->smon, &p->slog, server_event, EVENT_MS));
    if (client_event)
        CHECK (mon_until (p->cmon, &p->clog, client_event, EVENT_MS));
    char buf[16];
    set_int (p->server, ZMQ_RCVTIMEO, QUIET_MS);
    CHECK_ERRNO (zmq_recv (p->server, buf, sizeof buf, 0) < 0, EAGAIN);
    mon_for (p->smon, &p->slog, 0);
    mon_for (p->cmon, &p->clog, QUIET_MS);
    int client_ok = client_event ? mon_all_values (&p->clog, client_event, client_value)
                                 : mon_count (&p->clog, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) == 0;
    CHECK (mon_all_values (&p->slog, server_event, server_value));
    CHECK (client_ok);
    if (!mon_all_values (&p->slog, server_event, server_value) || !client_ok)
        fprintf (stderr, "  server 0x%x: 0x%x (expected 0x%x), client 0x%x: 0x%x (expected 0x%x)\n",
                 server_event, mon_value (&p->slog, server_event), server_value, client_event,
                 mon_value (&p->clog, client_event), client_value);
    CHECK_EQ_INT (mon_count (&p->slog, ZMQ_EVENT_HANDSHAKE_SUCCEEDED), 0);
    CHECK_EQ_INT (mon_count (&p->clog, ZMQ_EVENT_HANDSHAKE_SUCCEEDED), 0);
}

/* ------------------------------------------------------------ the options */

static void get_key (void *s, int option, void *out, size_t size)
{
    size_t len = size;
    memset (out, 0x55, size);
    CHECK_EQ_INT (zmq_getsockopt (s, option, out, &len), 0);
    CHECK_EQ_INT (len, size);
}

static void test_options (void)
{
    CHECK_EQ_INT (zmq_has ("curve"), 1);
    char pub[41], sec[41], text[41];
    CHECK_EQ_INT (zmq_curve_keypair (pub, sec), 0);
    CHECK_EQ_INT (strlen (pub), 40);
    CHECK_EQ_INT (strlen (sec), 40);
    CHECK_EQ_INT (zmq_curve_public (text, sec), 0);
    CHECK_STR (text, pub);
    uint8_t pub_bin[32], sec_bin[32], got[41];
    CHECK (zmq_z85_decode (pub_bin, pub) != NULL);
    CHECK (zmq_z85_decode (sec_bin, sec) != NULL);

    void *s = zmq_socket (ctx, ZMQ_DEALER);
    CHECK_EQ_INT (get_int (s, ZMQ_MECHANISM), ZMQ_NULL);
    CHECK_EQ_INT (get_int (s, ZMQ_CURVE_SERVER), 0);
    /* Unset keys read as zeros. */
    static const uint8_t zeros[32];
    get_key (s, ZMQ_CURVE_PUBLICKEY, got, 32);
    CHECK (memcmp (got, zeros, 32) == 0);
    get_key (s, ZMQ_CURVE_SERVERKEY, got, 41);
    CHECK_STR ((char *) got, "0000000000000000000000000000000000000000");

    /* 32 bytes in, 32 bytes or Z85 out. */
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_CURVE_PUBLICKEY, pub_bin, 32), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_MECHANISM), ZMQ_CURVE);
    CHECK_EQ_INT (get_int (s, ZMQ_CURVE_SERVER), 0);
    get_key (s, ZMQ_CURVE_PUBLICKEY, got, 32);
    CHECK (memcmp (got, pub_bin, 32) == 0);
    get_key (s, ZMQ_CURVE_PUBLICKEY, got, 41);
    CHECK_STR ((char *) got, pub);
    /* 40 characters of Z85. */
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_CURVE_SECRETKEY, sec, 40), 0);
    get_key (s, ZMQ_CURVE_SECRETKEY, got, 32);
    CHECK (memcmp (got, sec_bin, 32) == 0);
    get_key (s, ZMQ_CURVE_SECRETKEY, got, 41);
    CHECK_STR ((char *) got, sec);
    /* 41: Z85 and its NUL. */
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_CURVE_SERVERKEY, pub, 41), 0);
    get_key (s, ZMQ_CURVE_SERVERKEY, got, 32);
    CHECK (memcmp (got, pub_bin, 32) == 0);
    get_key (s, ZMQ_CURVE_SERVERKEY, got, 41);
    CHECK_STR ((char *) got, pub);

    /* Other sizes, and text that is not Z85, are refused; the key stays. */
    static const size_t bad_sizes[] = {0, 1, 31, 33, 39, 42, 64};
    uint8_t big[64];
    memset (big, 'a', sizeof big);
    for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
        CHECK_ERRNO (zmq_setsockopt (s, ZMQ_CURVE_PUBLICKEY, big, bad_sizes[i]) < 0, EINVAL);
        CHECK_ERRNO (zmq_setsockopt (s, ZMQ_CURVE_SECRETKEY, big, bad_sizes[i]) < 0, EINVAL);
        CHECK_ERRNO (zmq_setsockopt (s, ZMQ_CURVE_SERVERKEY, big, bad_sizes[i]) < 0, EINVAL);
    }
    char not_z85[41];
    memcpy (not_z85, pub, 41);
    not_z85[17] = ' ';
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_CURVE_PUBLICKEY, not_z85, 40) < 0, EINVAL);
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_CURVE_PUBLICKEY, not_z85, 41) < 0, EINVAL);
    not_z85[17] = '~';
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_CURVE_SERVERKEY, not_z85, 40) < 0, EINVAL);
    /* 41 bytes without a NUL at the end are not Z85 either. */
    memset (not_z85, 'a', sizeof not_z85);
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_CURVE_SECRETKEY, not_z85, 41) < 0, EINVAL);
    get_key (s, ZMQ_CURVE_PUBLICKEY, got, 41);
    CHECK_STR ((char *) got, pub);
    get_key (s, ZMQ_CURVE_SECRETKEY, got, 41);
    CHECK_STR ((char *) got, sec);
    /* Buffers of other sizes. */
    static const size_t bad_reads[] = {0, 31, 33, 40, 42, 100};
    for (size_t i = 0; i < sizeof bad_reads / sizeof bad_reads[0]; i++) {
        uint8_t buf[100];
        size_t len = bad_reads[i];
        CHECK_ERRNO (zmq_getsockopt (s, ZMQ_CURVE_PUBLICKEY, buf, &len) < 0, EINVAL);
    }

    /* The server flag: on, and off again (back to NULL). */
    CHECK_EQ_INT (set_int (s, ZMQ_CURVE_SERVER, 1), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_CURVE_SERVER), 1);
    CHECK_EQ_INT (get_int (s, ZMQ_MECHANISM), ZMQ_CURVE);
    /* A public or secret key leaves a server a server... */
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_CURVE_SECRETKEY, sec, 41), 0);
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_CURVE_PUBLICKEY, pub, 41), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_CURVE_SERVER), 1);
    /* ... a server key makes it a client. */
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_CURVE_SERVERKEY, pub, 41), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_CURVE_SERVER), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_MECHANISM), ZMQ_CURVE);
    CHECK_EQ_INT (set_int (s, ZMQ_CURVE_SERVER, 1), 0);
    CHECK_EQ_INT (set_int (s, ZMQ_CURVE_SERVER, 0), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_CURVE_SERVER), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_MECHANISM), ZMQ_NULL);
    CHECK_ERRNO (set_int (s, ZMQ_CURVE_SERVER, 2) < 0, EINVAL);
    /* The keys outlive the mechanism. */
    get_key (s, ZMQ_CURVE_SERVERKEY, got, 41);
    CHECK_STR ((char *) got, pub);
    /* PLAIN and CURVE: the last one set wins. */
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_PLAIN_USERNAME, "u", 1), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_MECHANISM), ZMQ_PLAIN);
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_CURVE_SERVERKEY, pub, 40), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_MECHANISM), ZMQ_CURVE);
    zmq_close (s);
}

/* ------------------------------------------------------------ handshakes */

/* No handler: encryption without authentication, with or without a
 * domain. */
static void test_no_handler (const char *transport)
{
    pair_t p;
    CHECK_EQ_INT (pair_open (&p, transport, "global", 0, 0), 0);
    expect_pass (&p, NULL);
    pair_close (&p);
    CHECK_EQ_INT (pair_open (&p, transport, NULL, 0, 0), 0);
    expect_pass (&p, NULL);
    pair_close (&p);
    /* Any key will do. */
    CHECK_EQ_INT (pair_open (&p, transport, "global", 0, 1), 0);
    expect_pass (&p, NULL);
    pair_close (&p);
    /* Unless a domain is enforced. */
    CHECK_EQ_INT (pair_open (&p, transport, "global", 1, 0), 0);
    expect_refused (&p, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, EFAULT, 0, 0);
    pair_close (&p);
}

/* A handler: the known key is in (User-Id: its Z85), with or without a
 * domain (CURVE asks the handler even without one: the domain frame is
 * empty); a stranger gets 400, on both sides. */
static void test_handler (const char *transport)
{
    const char *domains[] = {"global", NULL};
    for (int d = 0; d < 2; d++) {
        zap_t z;
        REQUIRE_VOID (zap_start (&z, "CURVE", transport, domains[d] ? domains[d] : "", "server-id",
                                 known_key, NULL)
                      == 0);
        pair_t p;
        CHECK_EQ_INT (pair_open (&p, transport, domains[d], 0, 0), 0);
        expect_pass (&p, client_public);
        pair_close (&p);
        CHECK_EQ_INT (pair_open (&p, transport, domains[d], 0, 1), 0);
        expect_refused (&p, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH,
                        400);
        pair_close (&p);
        zap_stop (&z);
        CHECK (z.requests >= 2);
        CHECK_EQ_INT (z.accepted, 1);
    }
}

/* A wrong server key: the server cannot open the HELLO and hangs up; the
 * client sees the connection close, and tries again. The handler is never
 * asked. A NULL client gets a mechanism mismatch. */
static void test_wrong_server_key (const char *transport)
{
    zap_t z;
    REQUIRE_VOID (zap_start (&z, "CURVE", transport, "global", "server-id", known_key, NULL) == 0);
    pair_t p;
    CHECK_EQ_INT (pair_open (&p, transport, "global", 0, 2), 0);
    expect_refused (&p, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC,
                    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, EPIPE);
    pair_close (&p);
    CHECK_EQ_INT (pair_open (&p, transport, "global", 0, 3), 0);
    expect_refused (&p, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                    ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,
                    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                    ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
    pair_close (&p);
    zap_stop (&z);
    CHECK_EQ_INT (z.requests, 0);
}

/* ---------------------------------------------------------------- traffic */

static const size_t sizes[] = {0, 1, 255, 256, 65535, 65536, 1 << 20};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static void send_sizes (void *s, int seed)
{
    for (size_t i = 0; i < NSIZES; i++) {
        zmq_msg_t msg;
        zmq_msg_init_size (&msg, sizes[i]);
        unsigned char *d = zmq_msg_data (&msg);
        for (size_t j = 0; j < sizes[i]; j++)
            d[j] = (unsigned char) (j * 7 + i + seed);
        CHECK_EQ_INT (zmq_msg_send (&msg, s, i + 1 < NSIZES ? ZMQ_SNDMORE : 0), (int) sizes[i]);
    }
}

static void recv_sizes (void *s, int seed)
{
    for (size_t i = 0; i < NSIZES; i++) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        int n = zmq_msg_recv (&msg, s, 0);
        CHECK_EQ_INT (n, (int) sizes[i]);
        const unsigned char *d = zmq_msg_data (&msg);
        int ok = n == (int) sizes[i];
        for (int j = 0; ok && j < n; j++)
            ok = d[j] == (unsigned char) (j * 7 + i + seed);
        CHECK (ok);
        CHECK_EQ_INT (zmq_msg_more (&msg), i + 1 < NSIZES);
        zmq_msg_close (&msg);
    }
}

/* Through a handler-checked connection: multipart messages with frames of
 * every framing size up to 1 MiB each way, then many small messages in a
 * row each way, in order. */
static void test_traffic (const char *transport)
{
    zap_t z;
    REQUIRE_VOID (zap_start (&z, "CURVE", transport, "global", "", known_key, NULL) == 0);
    void *server = new_socket (ZMQ_PAIR);
    void *client = new_socket (ZMQ_PAIR);
    /* No high-water marks: all the messages are queued before any is
     * read. */
    set_int (server, ZMQ_SNDHWM, 0);
    set_int (server, ZMQ_RCVHWM, 0);
    set_int (client, ZMQ_SNDHWM, 0);
    set_int (client, ZMQ_RCVHWM, 0);
    make_server (server, "global");
    make_client (client, server_public, client_public, client_secret);
    char endpoint[256];
    REQUIRE_VOID (bind_fresh (server, transport, endpoint, sizeof endpoint) == 0);
    CHECK_EQ_INT (zmq_connect (client, endpoint), 0);
    send_sizes (client, 1);
    recv_sizes (server, 1);
    send_sizes (server, 2);
    recv_sizes (client, 2);
    int count = scaled (10000);
    void *ends[2][2] = {{client, server}, {server, client}};
    for (int way = 0; way < 2; way++) {
        int sent = 0, received = 0;
        for (int i = 0; i < count && sent == i; i++)
            sent += zmq_send (ends[way][0], &i, sizeof i, 0) == sizeof i;
        for (int i = 0; i < count; i++) {
            int value = -1;
            if (zmq_recv (ends[way][1], &value, sizeof value, 0) != sizeof value || value != i)
                break;
            received++;
        }
        CHECK_EQ_INT (sent, count);
        CHECK_EQ_INT (received, count);
    }
    zmq_close (client);
    zmq_close (server);
    zap_stop (&z);
    CHECK_EQ_INT (z.requests, 1);
}

/* REQ/REP round trips, each request marked with the client's User-Id. */
static void test_reqrep (const char *transport)
{
    zap_t z;
    REQUIRE_VOID (zap_start (&z, "CURVE", transport, "global", "", known_key, NULL) == 0);
    void *rep = new_socket (ZMQ_REP);
    void *req = new_socket (ZMQ_REQ);
    make_server (rep, "global");
    make_client (req, server_public, client_public, client_secret);
    char endpoint[256];
    REQUIRE_VOID (bind_fresh (rep, transport, endpoint, sizeof endpoint) == 0);
    CHECK_EQ_INT (zmq_connect (req, endpoint), 0);
    int ok = 0;
    for (int i = 0; i < 100; i++) {
        char buf[32], want[32];
        snprintf (want, sizeof want, "request %d", i);
        if (zmq_send (req, want, strlen (want), 0) != (int) strlen (want))
            break;
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        int n = zmq_msg_recv (&msg, rep, 0);
        int good = n == (int) strlen (want) && memcmp (zmq_msg_data (&msg), want, n) == 0;
        const char *user = zmq_msg_gets (&msg, "User-Id");
        good = good && user && strcmp (user, client_public) == 0;
        zmq_msg_close (&msg);
        snprintf (want, sizeof want, "reply %d", i);
        if (!good || zmq_send (rep, want, strlen (want), 0) != (int) strlen (want))
            break;
        n = zmq_recv (req, buf, sizeof buf, 0);
        if (n != (int) strlen (want) || memcmp (buf, want, n) != 0)
            break;
        ok++;
    }
    CHECK_EQ_INT (ok, 100);
    zmq_close (req);
    zmq_close (rep);
    zap_stop (&z);
    CHECK_EQ_INT (z.requests, 1);
}

/* ------------------------------------------------------- raw tcp peers */

/* A raw connection that has sent a client greeting for `mechanism` and
 * read the server's CURVE greeting. */
static int raw_greeted (int port, const char *mechanism)
{
    int fd = raw_connect (port);
    if (fd < 0)
        return -1;
    unsigned char greeting[64], theirs[64];
    zmtp_greeting_for (greeting, mechanism, 0);
    CHECK (write_all (fd, greeting, sizeof greeting));
    size_t got = read_n (fd, theirs, 64);
    /* (A server that refuses the mechanism may close before it has sent
     * everything.) */
    if (strcmp (mechanism, "CURVE") == 0) {
        CHECK_EQ_INT (got, 64);
        CHECK (got == 64 && theirs[0] == 0xff && memcmp (theirs + 12, "CURVE\0", 6) == 0);
    }
    return fd;
}

/* A HELLO that looks right (version 1.0, 72 bytes of padding, a client
 * short-term key, a nonce, an 80-byte box) but is noise. */
static size_t garbage_hello (unsigned char *frame, size_t cap, size_t body_size, int major)
{
    unsigned char body[400];
    memset (body, 0, sizeof body);
    body[0] = (unsigned char) major;
    body[1] = 0;
    for (size_t i = 74; i < body_size; i++)
        body[i] = (unsigned char) (i * 37 + 11);
    return zmtp_command (frame, cap, "HELLO", body, body_size);
}

/* Connections that are no good, one after another, while the server
 * (with a handler) stays good for real clients. */
static void test_raw_hostile (void)
{
    zap_t z;
    REQUIRE_VOID (zap_start (&z, "CURVE", "tcp", "global", "server-id", known_key, NULL) == 0);
    void *server = new_socket (ZMQ_ROUTER);
    zmq_setsockopt (server, ZMQ_ROUTING_ID, "server-id", 9);
    make_server (server, "global");
    void *smon = mon_open (ctx, server, HANDSHAKE_EVENTS | ZMQ_EVENT_DISCONNECTED);
    char endpoint[256];
    REQUIRE_VOID (smon && bind_fresh (server, "tcp", endpoint, sizeof endpoint) == 0);
    int port = endpoint_port (endpoint);

    /* HELLO's body is 194 bytes after its name (200 with it). */
    static const struct {
        const char *what;
        size_t body;
        int major;
        uint32_t error;
    } hellos[] = {
      {"garbage HELLO", 194, 1, ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC},
      {"HELLO one byte short", 193, 1, ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO},
      {"HELLO one byte long", 195, 1, ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO},
      {"tiny HELLO", 2, 1, ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO},
      {"HELLO version 2.0", 194, 2, ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO},
    };
    for (size_t i = 0; i < sizeof hellos / sizeof hellos[0]; i++) {
        int fd = raw_greeted (port, "CURVE");
        REQUIRE_VOID (fd >= 0);
        unsigned char frame[512];
        size_t n = garbage_hello (frame, sizeof frame, hellos[i].body, hellos[i].major);
        CHECK (write_all (fd, frame, n));
        mon_log_t log;
        memset (&log, 0, sizeof log);
        int came = mon_until (smon, &log, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, EVENT_MS);
        CHECK (came);
        CHECK_EQ_INT (mon_value (&log, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL), hellos[i].error);
        if (!came || mon_value (&log, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != hellos[i].error)
            fprintf (stderr, "  (%s)\n", hellos[i].what);
        /* Closed, with no WELCOME sent. */
        unsigned char buf[64];
        size_t got;
        CHECK (read_until_closed (fd, buf, sizeof buf, &got));
        CHECK_EQ_INT (got, 0);
        close (fd);
        CHECK (mon_until (smon, &log, ZMQ_EVENT_DISCONNECTED, EVENT_MS));
    }

    /* Another command first; a NULL greeting. */
    struct {
        const char *mechanism, *command;
        uint32_t error;
    } others[] = {
      {"CURVE", "INITIATE", ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND},
      {"CURVE", "READY", ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND},
      {"NULL", "READY", ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH},
      {"PLAIN", "HELLO", ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH},
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        int fd = raw_greeted (port, others[i].mechanism);
        REQUIRE_VOID (fd >= 0);
        unsigned char frame[512], body[300];
        memset (body, 0, sizeof body);
        size_t n = zmtp_command (frame, sizeof frame, others[i].command, body, 250);
        CHECK (write_all (fd, frame, n));
        mon_log_t log;
        memset (&log, 0, sizeof log);
        CHECK (mon_until (smon, &log, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, EVENT_MS));
        CHECK_EQ_INT (mon_value (&log, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL), others[i].error);
        unsigned char buf[64];
        size_t got;
        CHECK (read_until_closed (fd, buf, sizeof buf, &got));
        close (fd);
    }

    /* ZMTP 1.0 (unversioned, then versioned) and 2.0 greetings followed by
     * a message: a server with a mechanism refuses them before any
     * message (no downgrade: CVE-2014-7202, CVE-2014-9721). */
    static const unsigned char old[3][12] = {
      {0x01, 0x00},
      {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 0x00, ZMQ_DEALER},
      {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 0x01, ZMQ_DEALER},
    };
    for (int i = 0; i < 3; i++) {
        int fd = raw_connect (port);
        REQUIRE_VOID (fd >= 0);
        CHECK (write_all (fd, old[i], i == 0 ? 2 : 12));
        if (i == 0)
            CHECK (write_all (fd, "\x06\x00sneak", 7));
        else
            CHECK (write_all (fd, "\x00\x00\x00\x05sneak", 9));
        unsigned char buf[64];
        size_t got;
        CHECK (read_until_closed (fd, buf, sizeof buf, &got));
        CHECK (got <= 12);
        close (fd);
    }

    /* Nothing got through; a real client does. */
    char c[16];
    set_int (server, ZMQ_RCVTIMEO, QUIET_MS);
    CHECK_ERRNO (zmq_recv (server, c, sizeof c, 0) < 0, EAGAIN);
    set_int (server, ZMQ_RCVTIMEO, 5000);
    void *client = new_socket (ZMQ_DEALER);
    make_client (client, server_public, client_public, client_secret);
    CHECK_EQ_INT (zmq_connect (client, endpoint), 0);
    CHECK_EQ_INT (zmq_send (client, "hello", 5, 0), 5);
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    CHECK (zmq_msg_recv (&msg, server, 0) > 0); /* the routing id */
    CHECK_EQ_INT (zmq_msg_recv (&msg, server, 0), 5);
    CHECK_STR (zmq_msg_gets (&msg, "User-Id"), client_public);
    zmq_msg_close (&msg);
    zmq_close (client);
    mon_close (server, smon);
    zmq_close (server);
    zap_stop (&z);
    CHECK_EQ_INT (z.requests, 1);
}

/* CVE-2020-15166: peers that connect and never authenticate (silent, half
 * a greeting, a greeting and nothing more) do not keep authenticated
 * clients from being served, both ways. */
static void test_idle_peers (void)
{
    zap_t z;
    REQUIRE_VOID (zap_start (&z, "CURVE", "tcp", "global", "server-id", known_key, NULL) == 0);
    void *server = new_socket (ZMQ_ROUTER);
    zmq_setsockopt (server, ZMQ_ROUTING_ID, "server-id", 9);
    make_server (server, "global");
    char endpoint[256];
    REQUIRE_VOID (bind_fresh (server, "tcp", endpoint, sizeof endpoint) == 0);
    int port = endpoint_port (endpoint);
    int idle[5];
    for (int i = 0; i < 5; i++) {
        idle[i] = raw_connect (port);
        CHECK (idle[i] >= 0);
    }
    unsigned char greeting[64];
    zmtp_greeting_for (greeting, "CURVE", 0);
    CHECK (write_all (idle[3], greeting, 10));
    CHECK (write_all (idle[4], greeting, 64));
    void *clients[3];
    for (int i = 0; i < 3; i++) {
        char id[16];
        snprintf (id, sizeof id, "c%d", i);
        clients[i] = new_socket (ZMQ_DEALER);
        zmq_setsockopt (clients[i], ZMQ_ROUTING_ID, id, strlen (id));
        make_client (clients[i], server_public, client_public, client_secret);
        CHECK_EQ_INT (zmq_connect (clients[i], endpoint), 0);
        CHECK_EQ_INT (zmq_send (clients[i], id, strlen (id), 0), (int) strlen (id));
    }
    int served = 0;
    for (int i = 0; i < 3; i++) {
        char id[8], body[8];
        int n = zmq_recv (server, id, sizeof id, 0);
        int m = zmq_recv (server, body, sizeof body, 0);
        if (n <= 0 || m != n || memcmp (id, body, (size_t) n) != 0)
            break;
        zmq_send (server, id, (size_t) n, ZMQ_SNDMORE);
        zmq_send (server, "served", 6, 0);
        served++;
    }
    CHECK_EQ_INT (served, 3);
    int back = 0;
    for (int i = 0; i < 3; i++) {
        char buf[8];
        back += zmq_recv (clients[i], buf, sizeof buf, 0) == 6 && memcmp (buf, "served", 6) == 0;
        zmq_close (clients[i]);
    }
    CHECK_EQ_INT (back, 3);
    for (int i = 0; i < 5; i++)
        if (idle[i] >= 0)
            close (idle[i]);
    zmq_close (server);
    zap_stop (&z);
    CHECK_EQ_INT (z.requests, 3);
    CHECK_EQ_INT (z.accepted, 3);
}

/* A CURVE client against a raw server: its greeting says CURVE, not a
 * server, and its HELLO is 200 bytes: the name, version 1.0, 72 zero
 * bytes of padding, its short-term key, an 8-byte nonce, an 80-byte box. */
static void test_client_hello (void)
{
    char endpoint[64];
    int listener = raw_listen (endpoint, sizeof endpoint);
    REQUIRE_VOID (listener >= 0);
    void *client = new_socket (ZMQ_DEALER);
    make_client (client, server_public, client_public, client_secret);
    set_int (client, ZMQ_RECONNECT_IVL, 60000);
    CHECK_EQ_INT (zmq_connect (client, endpoint), 0);
    int fd = accept (listener, NULL, NULL);
    REQUIRE_VOID (fd >= 0);
    read_timeout (fd, 5);
    unsigned char greeting[64], buf[256];
    zmtp_greeting_for (greeting, "CURVE", 1);
    CHECK (write_all (fd, greeting, sizeof greeting));
    CHECK_EQ_INT (read_n (fd, buf, 64), 64);
    CHECK (buf[0] == 0xff && buf[10] == 3 && memcmp (buf + 12, "CURVE\0", 6) == 0);
    CHECK_EQ_INT (buf[32], 0);
    CHECK_EQ_INT (read_n (fd, buf, 202), 202);
    CHECK (buf[0] == 0x04 && buf[1] == 200);
    CHECK (memcmp (buf + 2, "\x05HELLO\x01\x00", 8) == 0);
    static const unsigned char zeros[72];
    CHECK (memcmp (buf + 10, zeros, 72) == 0);
    /* A different short-term key every connection is not checked here;
     * that the box is not all zeros is. */
    CHECK (memcmp (buf + 2 + 120, zeros, 72) != 0);
    close (fd);
    close (listener);
    zmq_close (client);
}

int main (void)
{
    signal (SIGPIPE, SIG_IGN); /* raw peers write to connections the server closed */
    ctx = zmq_ctx_new ();
    REQUIRE (ctx);
    REQUIRE (tmpdir_make (ipc_dir, sizeof ipc_dir) == 0);
    REQUIRE (zmq_curve_keypair (server_public, server_secret) == 0);
    REQUIRE (zmq_curve_keypair (client_public, client_secret) == 0);
    REQUIRE (zmq_curve_keypair (stranger_public, stranger_secret) == 0);
    test_options ();
    const char *transports[] = {"tcp", "ipc"};
    for (int t = 0; t < 2; t++) {
        const char *tr = transports[t];
        test_no_handler (tr);
        test_handler (tr);
        test_wrong_server_key (tr);
        test_traffic (tr);
        test_reqrep (tr);
    }
    test_raw_hostile ();
    test_idle_peers ();
    test_client_hello ();
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    tmpdir_remove (ipc_dir);
    return test_result ("test_security_curve");
}
