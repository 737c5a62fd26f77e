/* ZAP (RFC 27) with the NULL mechanism, over tcp and ipc: a handler
 * thread on inproc://zeromq.zap.01 checks every frame of each request
 * (version, request id, domain, address, routing id, mechanism, no
 * credentials) and answers as the test asks:
 *   200: the client's messages get through; on the server they carry the
 *        handler's User-Id and the properties of its metadata frame;
 *   300: the server reports HANDSHAKE_FAILED_AUTH 300 and sends no ERROR
 *        (the client reports no auth failure, it is just disconnected);
 *   400, 500: both sides report HANDSHAKE_FAILED_AUTH with the status (the
 *        server sends ERROR "400"/"500");
 *   malformed replies (bad version, bad request id, status "201", too few
 *        or too many frames, bad metadata): the server reports
 *        HANDSHAKE_FAILED_PROTOCOL with the ZMQ_PROTOCOL_ERROR_ZAP_* code.
 * Without a handler a ZAP domain lets everybody in, unless
 * ZMQ_ZAP_ENFORCE_DOMAIN is set (HANDSHAKE_FAILED_NO_DETAIL EFAULT);
 * without a domain NULL asks no handler at all. A domain on the connecting
 * side makes the client ask the handler about the server. Plus the
 * ZMQ_ZAP_DOMAIN and ZMQ_ZAP_ENFORCE_DOMAIN options, and what a raw tcp
 * peer receives on the wire for each status. */
#include "testsec.h"

/* ---------------------------------------------------------------- handler */

/* The judge of these tests: every request gets the reply the test wrote
 * (state: a zap_reply_t), right or malformed. */
static void as_told (zap_t *z, zmq_msg_t *request, zap_reply_t *reply)
{
    (void) request;
    *reply = *(const zap_reply_t *) z->state;
}

/* Metadata: "Hello" = "World", "X-Department" = "qa". */
static const unsigned char metadata[] = {5,   'H', 'e', 'l', 'l', 'o', 0,   0,   0,   5,
                                         'W', 'o', 'r', 'l', 'd', 12,  'X', '-', 'D', 'e',
                                         'p', 'a', 'r', 't', 'm', 'e', 'n', 't', 0,   0,
                                         0,   2,   'q', 'a'};

/* ------------------------------------------------------------- the pair */

/* A ROUTER server (routing id "server-id") and a DEALER client
 * ("client-id"), each with a handshake monitor; the client has connected
 * and sent "hello". */
typedef struct {
    void *server, *client, *smon, *cmon;
    mon_log_t slog, clog;
    char endpoint[256];
    int sent; /* "hello" was queued */
} pair_t;

static int pair_open (pair_t *p, const char *transport, const char *server_domain, int enforce,
                      const char *client_domain)
{
    memset (p, 0, sizeof *p);
    p->server = new_socket (ZMQ_ROUTER);
    zmq_setsockopt (p->server, ZMQ_ROUTING_ID, "server-id", 9);
    if (server_domain)
        CHECK_EQ_INT (zmq_setsockopt (p->server, ZMQ_ZAP_DOMAIN, server_domain,
                                      strlen (server_domain)),
                      0);
    if (enforce)
        CHECK_EQ_INT (set_int (p->server, ZMQ_ZAP_ENFORCE_DOMAIN, 1), 0);
    p->smon = mon_open (ctx, p->server, HANDSHAKE_EVENTS);
    if (!p->smon || bind_fresh (p->server, transport, p->endpoint, sizeof p->endpoint) != 0)
        return -1;
    p->client = new_socket (ZMQ_DEALER);
    zmq_setsockopt (p->client, ZMQ_ROUTING_ID, "client-id", 9);
    if (client_domain)
        CHECK_EQ_INT (zmq_setsockopt (p->client, ZMQ_ZAP_DOMAIN, client_domain,
                                      strlen (client_domain)),
                      0);
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

/* The handshake succeeds on both sides and "hello" arrives (with
 * `user_id` as its User-Id, NULL: none, and the handler's metadata when
 * `with_metadata`); the server's "world" comes back. */
static void expect_pass (pair_t *p, const char *user_id, int with_metadata)
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
    if (with_metadata) {
        CHECK_STR (zmq_msg_gets (&msg, "Hello"), "World");
        CHECK_STR (zmq_msg_gets (&msg, "X-Department"), "qa");
    } else
        CHECK_EQ_PTR (zmq_msg_gets (&msg, "Hello"), NULL);
    /* The ZMTP properties are still there. */
    CHECK_STR (zmq_msg_gets (&msg, "Socket-Type"), "DEALER");
    CHECK_STR (zmq_msg_gets (&msg, "Identity"), "client-id");
    zmq_msg_close (&msg);
    CHECK_EQ_INT (zmq_msg_send (&id, p->server, ZMQ_SNDMORE), 9);
    zmq_msg_close (&id);
    CHECK_EQ_INT (zmq_send (p->server, "world", 5, 0), 5);
    char buf[8];
    CHECK_EQ_INT (zmq_recv (p->client, buf, sizeof buf, 0), 5);
    CHECK (memcmp (buf, "world", 5) == 0);
    CHECK (mon_until (p->smon, &p->slog, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, EVENT_MS));
    CHECK (mon_until (p->cmon, &p->clog, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, EVENT_MS));
    CHECK_EQ_INT (p->slog.n, 1);
    CHECK_EQ_INT (p->clog.n, 1);
}

/* The server reports `server_event` with `server_value` (every time, when
 * the client tries again); the client reports `client_event` with
 * `client_value` when that is not 0, and no authentication failure when it
 * is. Neither side's handshake succeeds, and "hello" never arrives. */
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
    CHECK (mon_all_values (&p->slog, server_event, server_value));
    if (!mon_all_values (&p->slog, server_event, server_value))
        fprintf (stderr, "  server event 0x%x has value 0x%x, expected 0x%x\n", server_event,
                 mon_value (&p->slog, server_event), server_value);
    if (client_event) {
        CHECK (mon_all_values (&p->clog, client_event, client_value));
        if (!mon_all_values (&p->clog, client_event, client_value))
            fprintf (stderr, "  client event 0x%x has value 0x%x, expected 0x%x\n", client_event,
                     mon_value (&p->clog, client_event), client_value);
    } else
        CHECK_EQ_INT (mon_count (&p->clog, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH), 0);
    CHECK_EQ_INT (mon_count (&p->slog, ZMQ_EVENT_HANDSHAKE_SUCCEEDED), 0);
    CHECK_EQ_INT (mon_count (&p->clog, ZMQ_EVENT_HANDSHAKE_SUCCEEDED), 0);
}

/* ------------------------------------------------------------------ tests */

/* 200: in, with the handler's user id and metadata. */
static void test_allowed (const char *transport)
{
    zap_reply_t reply = {.user_id = "alice", .metadata = metadata,
                         .metadata_size = sizeof metadata};
    zap_t z;
    REQUIRE_VOID (zap_start (&z, "NULL", transport, "global", "server-id", as_told, &reply) == 0);
    pair_t p;
    CHECK_EQ_INT (pair_open (&p, transport, "global", 0, NULL), 0);
    expect_pass (&p, "alice", 1);
    pair_close (&p);
    zap_stop (&z);
    CHECK_EQ_INT (z.requests, 1);
}

/* 300, 400, 500: refused. 300 is a temporary failure: the server sends
 * no ERROR, and the client (which only sees the connection close) tries
 * again; 400 and 500 reach the client as ERROR. */
static void test_denied (const char *transport, const char *status)
{
    zap_reply_t reply = {.status = status};
    zap_t z;
    REQUIRE_VOID (zap_start (&z, "NULL", transport, "global", "server-id", as_told, &reply) == 0);
    pair_t p;
    CHECK_EQ_INT (pair_open (&p, transport, "global", 0, NULL), 0);
    uint32_t code = (uint32_t) atoi (status);
    if (code == 300)
        expect_refused (&p, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, code, 0, 0);
    else
        expect_refused (&p, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, code,
                        ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, code);
    pair_close (&p);
    zap_stop (&z);
    CHECK (z.requests >= 1);
}

/* Replies the server cannot use: a protocol error naming the fault. */
static void test_malformed (const char *transport, int variant)
{
    static const unsigned char bad_metadata[] = {5, 'H', 'e', 'l', 'l', 'o', 0, 0, 0, 9, 'W'};
    zap_reply_t reply;
    memset (&reply, 0, sizeof reply);
    uint32_t expected = 0;
    switch (variant) {
        case 0:
            reply.version = "2.0";
            expected = ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION;
            break;
        case 1:
            reply.wrong_request_id = 1;
            expected = ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID;
            break;
        case 2:
            reply.status = "201";
            expected = ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE;
            break;
        case 3:
            reply.status = "2000";
            expected = ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE;
            break;
        case 4:
            reply.frames = 5; /* no metadata frame */
            expected = ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY;
            break;
        case 5:
            reply.frames = 7; /* one too many */
            expected = ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY;
            break;
        case 6:
            reply.metadata = bad_metadata; /* a value longer than the frame */
            reply.metadata_size = sizeof bad_metadata;
            expected = ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA;
            break;
    }
    zap_t z;
    REQUIRE_VOID (zap_start (&z, "NULL", transport, "global", "server-id", as_told, &reply) == 0);
    pair_t p;
    CHECK_EQ_INT (pair_open (&p, transport, "global", 0, NULL), 0);
    /* What the client sees varies with libzmq (a closed connection, or
     * nothing): only that it gets nothing through is certain. */
    expect_refused (&p, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, expected, 0, 0);
    pair_close (&p);
    zap_stop (&z);
    CHECK (z.requests >= 1);
}

/* A domain but nobody at inproc://zeromq.zap.01: NULL lets the client in
 * (no User-Id); with ZMQ_ZAP_ENFORCE_DOMAIN it does not (the server
 * reports HANDSHAKE_FAILED_NO_DETAIL with EFAULT). Enforcing without a
 * domain asks nobody and lets the client in. */
static void test_no_handler (const char *transport)
{
    pair_t p;
    CHECK_EQ_INT (pair_open (&p, transport, "global", 0, NULL), 0);
    expect_pass (&p, NULL, 0);
    pair_close (&p);

    CHECK_EQ_INT (pair_open (&p, transport, "global", 1, NULL), 0);
    expect_refused (&p, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, EFAULT, 0, 0);
    pair_close (&p);

    CHECK_EQ_INT (pair_open (&p, transport, NULL, 1, NULL), 0);
    expect_pass (&p, NULL, 0);
    pair_close (&p);
}

/* No domain: NULL does not ask the handler. */
static void test_no_domain (const char *transport)
{
    zap_reply_t reply = {.status = "400"};
    zap_t z;
    REQUIRE_VOID (zap_start (&z, "NULL", transport, "", "server-id", as_told, &reply) == 0);
    pair_t p;
    CHECK_EQ_INT (pair_open (&p, transport, NULL, 0, NULL), 0);
    expect_pass (&p, NULL, 0);
    pair_close (&p);
    zap_stop (&z);
    CHECK_EQ_INT (z.requests, 0);
}

/* A domain on the connecting side: the client asks the handler about the
 * server (its own routing id, the server's address); what the handler
 * says marks the messages the client receives, or refuses the server. */
static void test_client_domain (const char *transport)
{
    zap_reply_t reply = {.user_id = "the-server", .metadata = metadata,
                         .metadata_size = sizeof metadata};
    zap_t z;
    REQUIRE_VOID (zap_start (&z, "NULL", transport, "client-side", "client-id", as_told, &reply)
                  == 0);
    pair_t p;
    CHECK_EQ_INT (pair_open (&p, transport, NULL, 0, "client-side"), 0);
    zmq_msg_t id, msg;
    zmq_msg_init (&id);
    zmq_msg_init (&msg);
    CHECK_EQ_INT (zmq_msg_recv (&id, p.server, 0), 9);
    CHECK_EQ_INT (zmq_msg_recv (&msg, p.server, 0), 5);
    CHECK_EQ_PTR (zmq_msg_gets (&msg, "User-Id"), NULL);
    CHECK_EQ_INT (zmq_msg_send (&id, p.server, ZMQ_SNDMORE), 9);
    CHECK_EQ_INT (zmq_send (p.server, "world", 5, 0), 5);
    zmq_msg_close (&id);
    zmq_msg_close (&msg);
    zmq_msg_init (&msg);
    CHECK_EQ_INT (zmq_msg_recv (&msg, p.client, 0), 5);
    CHECK_STR (zmq_msg_gets (&msg, "User-Id"), "the-server");
    CHECK_STR (zmq_msg_gets (&msg, "Hello"), "World");
    CHECK_STR (zmq_msg_gets (&msg, "Socket-Type"), "ROUTER");
    zmq_msg_close (&msg);
    pair_close (&p);
    zap_stop (&z);
    CHECK_EQ_INT (z.requests, 1);

    /* 400 from the client's handler: the client reports it, and the
     * server learns it from the client's ERROR. */
    memset (&reply, 0, sizeof reply);
    reply.status = "400";
    REQUIRE_VOID (zap_start (&z, "NULL", transport, "client-side", "client-id", as_told, &reply)
                  == 0);
    CHECK_EQ_INT (pair_open (&p, transport, NULL, 0, "client-side"), 0);
    expect_refused (&p, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400);
    pair_close (&p);
    zap_stop (&z);
    CHECK (z.requests >= 1);
}

/* On the wire (a raw tcp peer doing the NULL handshake): 200 is answered
 * with READY, 400 and 500 with ERROR carrying the status, 300 with nothing
 * at all. (libzmq may then leave the connection open until the peer
 * closes: a libzmq client does so on ERROR.) */
static void test_wire (const char *status)
{
    zap_reply_t reply = {.status = status};
    zap_t z;
    REQUIRE_VOID (zap_start (&z, "NULL", "tcp", "global", "server-id", as_told, &reply) == 0);
    void *server = new_socket (ZMQ_ROUTER);
    zmq_setsockopt (server, ZMQ_ROUTING_ID, "server-id", 9);
    zmq_setsockopt (server, ZMQ_ZAP_DOMAIN, "global", 6);
    char endpoint[256];
    REQUIRE_VOID (bind_fresh (server, "tcp", endpoint, sizeof endpoint) == 0);
    int fd = raw_connect (endpoint_port (endpoint));
    REQUIRE_VOID (fd >= 0);
    CHECK (zmtp_handshake (fd, "DEALER"));
    unsigned char error[12] = {0x04, 10, 5, 'E', 'R', 'R', 'O', 'R', 3};
    memcpy (error + 9, status, 3);
    size_t want = strcmp (status, "300") == 0 ? 64 : strcmp (status, "200") == 0 ? 72 : 76;
    unsigned char buf[512];
    size_t got = 0;
    while (got < want) {
        ssize_t n = read (fd, buf + got, sizeof buf - got);
        if (n <= 0)
            break;
        got += (size_t) n;
    }
    CHECK (got >= want);
    CHECK (buf[0] == 0xff && memcmp (buf + 12, "NULL", 4) == 0);
    if (strcmp (status, "200") == 0)
        CHECK (buf[64] == 0x04 && memcmp (buf + 66, "\5READY", 6) == 0);
    else if (strcmp (status, "300") != 0)
        CHECK (got >= 76 && memcmp (buf + 64, error, sizeof error) == 0);
    if (strcmp (status, "200") != 0) {
        /* Nothing follows (and no READY ever). */
        size_t more = 0;
        read_timeout (fd, 1);
        read_until_closed (fd, buf, sizeof buf, &more);
        CHECK_EQ_INT (got + more, want);
    }
    close (fd);
    zmq_close (server);
    zap_stop (&z);
    CHECK_EQ_INT (z.requests, 1);
}

/* ZMQ_ZAP_DOMAIN: a string of 1 to 255 bytes, read back with its NUL;
 * ZMQ_ZAP_ENFORCE_DOMAIN: a flag. */
static void test_options (void)
{
    void *s = zmq_socket (ctx, ZMQ_REP);
    char buf[300];
    size_t len = sizeof buf;
    CHECK_EQ_INT (zmq_getsockopt (s, ZMQ_ZAP_DOMAIN, buf, &len), 0);
    CHECK_EQ_INT (len, 1);
    CHECK_EQ_INT (buf[0], 0);
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_ZAP_DOMAIN, "global", 6), 0);
    len = sizeof buf;
    CHECK_EQ_INT (zmq_getsockopt (s, ZMQ_ZAP_DOMAIN, buf, &len), 0);
    CHECK_EQ_INT (len, 7);
    CHECK_STR (buf, "global");
    /* Too small a buffer for the value and its NUL. */
    len = 6;
    CHECK_ERRNO (zmq_getsockopt (s, ZMQ_ZAP_DOMAIN, buf, &len) < 0, EINVAL);
    char longest[256];
    memset (longest, 'd', 255);
    longest[255] = 0;
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_ZAP_DOMAIN, longest, 255), 0);
    len = sizeof buf;
    CHECK_EQ_INT (zmq_getsockopt (s, ZMQ_ZAP_DOMAIN, buf, &len), 0);
    CHECK_EQ_INT (len, 256);
    CHECK (memcmp (buf, longest, 256) == 0);
    char too_long[256];
    memset (too_long, 'x', sizeof too_long);
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_ZAP_DOMAIN, too_long, 256) < 0, EINVAL);
    /* libzmq 4.3 takes no empty domain (so a domain, once set, stays). */
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_ZAP_DOMAIN, "", 0) < 0, EINVAL);
    len = sizeof buf;
    CHECK_EQ_INT (zmq_getsockopt (s, ZMQ_ZAP_DOMAIN, buf, &len), 0);
    CHECK_EQ_INT (len, 256);
    /* A domain is binary-safe up to its length. */
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_ZAP_DOMAIN, "ab\0cd", 2), 0);
    len = sizeof buf;
    CHECK_EQ_INT (zmq_getsockopt (s, ZMQ_ZAP_DOMAIN, buf, &len), 0);
    CHECK_EQ_INT (len, 3);
    CHECK_STR (buf, "ab");
    /* It does not change the mechanism. */
    CHECK_EQ_INT (get_int (s, ZMQ_MECHANISM), ZMQ_NULL);

    CHECK_EQ_INT (get_int (s, ZMQ_ZAP_ENFORCE_DOMAIN), 0);
    CHECK_EQ_INT (set_int (s, ZMQ_ZAP_ENFORCE_DOMAIN, 1), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_ZAP_ENFORCE_DOMAIN), 1);
    CHECK_EQ_INT (set_int (s, ZMQ_ZAP_ENFORCE_DOMAIN, 0), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_ZAP_ENFORCE_DOMAIN), 0);
    short small = 1;
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_ZAP_ENFORCE_DOMAIN, &small, sizeof small) < 0, EINVAL);
    zmq_close (s);
}

int main (void)
{
    ctx = zmq_ctx_new ();
    REQUIRE (ctx);
    REQUIRE (tmpdir_make (ipc_dir, sizeof ipc_dir) == 0);
    test_options ();
    const char *transports[] = {"tcp", "ipc"};
    for (int t = 0; t < 2; t++) {
        const char *tr = transports[t];
        test_allowed (tr);
        test_denied (tr, "300");
        test_denied (tr, "400");
        test_denied (tr, "500");
        for (int variant = 0; variant < 7; variant++)
            test_malformed (tr, variant);
        test_no_handler (tr);
        test_no_domain (tr);
        test_client_domain (tr);
    }
    test_wire ("200");
    test_wire ("300");
    test_wire ("400");
    test_wire ("500");
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    tmpdir_remove (ipc_dir);
    return test_result ("test_security_zap");
}
