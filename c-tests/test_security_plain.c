/* PLAIN (RFC 24) over tcp and ipc: the options (ZMQ_PLAIN_SERVER,
 * _USERNAME, _PASSWORD and the ZMQ_MECHANISM they select), handshakes
 * judged by a ZAP handler thread that accepts "admin"/"password" (checking
 * every frame of its requests: mechanism "PLAIN", the username and
 * password as credentials), wrong credentials (HANDSHAKE_FAILED_AUTH 400
 * on both sides), no handler at all (libzmq refuses: the server reports
 * HANDSHAKE_FAILED_NO_DETAIL EFAULT, the client sees the connection close,
 * EPIPE), a mechanism mismatch either way (HANDSHAKE_FAILED_PROTOCOL
 * MECHANISM_MISMATCH on both sides), and raw tcp peers: a complete PLAIN
 * handshake done by hand, malformed HELLOs (each a protocol error naming
 * the fault) and ZMTP 1.0 / 2.0 greetings (CVE-2014-9721: a server with a
 * security mechanism refuses them at once). After all that the server
 * still serves a good client. */
#define _GNU_SOURCE /* memmem */
#include "testsec.h"

#include <signal.h>

static int set_str (void *s, int option, const char *value)
{
    return zmq_setsockopt (s, option, value, strlen (value));
}

/* ---------------------------------------------------------------- handler */

/* The judge of these tests: lets "admin"/"password" in (User-Id "admin"),
 * refuses anything else with 400. */
static void admin_only (zap_t *z, zmq_msg_t *request, zap_reply_t *reply)
{
    (void) z;
    if (frame_is (&request[6], "admin") && frame_is (&request[7], "password"))
        snprintf (reply->user_id, sizeof reply->user_id, "admin");
    else {
        reply->status = "400";
        reply->text = "wrong credentials";
    }
}

/* ------------------------------------------------------------- the pair */

/* A ROUTER server ("server-id") and a DEALER client ("client-id"), each
 * with a handshake monitor; the client has connected and sent "hello".
 * server_plain: the server is a PLAIN server; user/pass: the client's
 * credentials (NULL: a NULL client). */
typedef struct {
    void *server, *client, *smon, *cmon;
    mon_log_t slog, clog;
    char endpoint[256];
    int sent; /* "hello" was queued */
} pair_t;

static int pair_open (pair_t *p, const char *transport, int server_plain, const char *domain,
                      const char *user, const char *pass)
{
    memset (p, 0, sizeof *p);
    p->server = new_socket (ZMQ_ROUTER);
    zmq_setsockopt (p->server, ZMQ_ROUTING_ID, "server-id", 9);
    if (server_plain)
        CHECK_EQ_INT (set_int (p->server, ZMQ_PLAIN_SERVER, 1), 0);
    if (domain)
        CHECK_EQ_INT (set_str (p->server, ZMQ_ZAP_DOMAIN, domain), 0);
    p->smon = mon_open (ctx, p->server, HANDSHAKE_EVENTS);
    if (!p->smon || bind_fresh (p->server, transport, p->endpoint, sizeof p->endpoint) != 0)
        return -1;
    p->client = new_socket (ZMQ_DEALER);
    zmq_setsockopt (p->client, ZMQ_ROUTING_ID, "client-id", 9);
    if (user)
        CHECK_EQ_INT (set_str (p->client, ZMQ_PLAIN_USERNAME, user), 0);
    if (pass)
        CHECK_EQ_INT (set_str (p->client, ZMQ_PLAIN_PASSWORD, pass), 0);
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

/* "hello" arrives with User-Id `user_id`; "world" goes back. */
static void expect_pass (pair_t *p, const char *user_id)
{
    CHECK (p->sent);
    zmq_msg_t id, msg;
    zmq_msg_init (&id);
    zmq_msg_init (&msg);
    CHECK_EQ_INT (zmq_msg_recv (&id, p->server, 0), 9);
    CHECK_EQ_INT (zmq_msg_recv (&msg, p->server, 0), 5);
    CHECK (zmq_msg_size (&msg) == 5 && memcmp (zmq_msg_data (&msg), "hello", 5) == 0);
    CHECK_STR (zmq_msg_gets (&msg, "User-Id"), user_id);
    CHECK_STR (zmq_msg_gets (&msg, "Socket-Type"), "DEALER");
    CHECK_STR (zmq_msg_gets (&msg, "Identity"), "client-id");
    zmq_msg_close (&msg);
    CHECK_EQ_INT (zmq_msg_send (&id, p->server, ZMQ_SNDMORE), 9);
    zmq_msg_close (&id);
    CHECK_EQ_INT (zmq_send (p->server, "world", 5, 0), 5);
    zmq_msg_init (&msg);
    CHECK_EQ_INT (zmq_msg_recv (&msg, p->client, 0), 5);
    CHECK (zmq_msg_size (&msg) == 5 && memcmp (zmq_msg_data (&msg), "world", 5) == 0);
    /* The client asked no handler: its messages carry no User-Id. */
    CHECK_EQ_PTR (zmq_msg_gets (&msg, "User-Id"), NULL);
    CHECK_STR (zmq_msg_gets (&msg, "Socket-Type"), "ROUTER");
    zmq_msg_close (&msg);
    CHECK (mon_until (p->smon, &p->slog, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, EVENT_MS));
    CHECK (mon_until (p->cmon, &p->clog, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, EVENT_MS));
    CHECK_EQ_INT (p->slog.n, 1);
    CHECK_EQ_INT (p->clog.n, 1);
}

/* The server reports `server_event` / `server_value` (each time the
 * client tries), the client `client_event` / `client_value` (0: the client
 * may see nothing, or its connection close: NO_DETAIL EPIPE); no handshake
 * succeeds and "hello" never arrives. */
static void expect_refused (pair_t *p, int server_event, uint32_t server_value, int client_event,
                            uint32_t client_value)
{
    CHECK (mon_until (p->smon, &p->slog, server_event, EVENT_MS));
    if (client_event)
        CHECK (mon_until (p->cmon, &p->clog, client_event, EVENT_MS));
    else {
        client_event = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
        client_value = EPIPE;
    }
    char buf[16];
    set_int (p->server, ZMQ_RCVTIMEO, QUIET_MS);
    CHECK_ERRNO (zmq_recv (p->server, buf, sizeof buf, 0) < 0, EAGAIN);
    mon_for (p->smon, &p->slog, 0);
    mon_for (p->cmon, &p->clog, QUIET_MS);
    int client_ok = mon_all_values (&p->clog, client_event, client_value)
                    || (client_event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                        && client_value == EPIPE && mon_count (&p->clog, client_event) == 0);
    CHECK (mon_all_values (&p->slog, server_event, server_value));
    CHECK (client_ok);
    if (!mon_all_values (&p->slog, server_event, server_value) || !client_ok)
        fprintf (stderr, "  server 0x%x: 0x%x (expected 0x%x), client 0x%x: 0x%x (expected 0x%x)\n",
                 server_event, mon_value (&p->slog, server_event), server_value, client_event,
                 mon_value (&p->clog, client_event), client_value);
    CHECK_EQ_INT (mon_count (&p->slog, ZMQ_EVENT_HANDSHAKE_SUCCEEDED), 0);
    CHECK_EQ_INT (mon_count (&p->clog, ZMQ_EVENT_HANDSHAKE_SUCCEEDED), 0);
}

/* ------------------------------------------------------------------ tests */

static void get_str (void *s, int option, char *buf, size_t *len)
{
    *len = 300;
    memset (buf, 0x55, 300);
    CHECK_EQ_INT (zmq_getsockopt (s, option, buf, len), 0);
}

static void test_options (void)
{
    void *s = zmq_socket (ctx, ZMQ_DEALER);
    char buf[300];
    size_t len;
    CHECK_EQ_INT (get_int (s, ZMQ_MECHANISM), ZMQ_NULL);
    CHECK_EQ_INT (get_int (s, ZMQ_PLAIN_SERVER), 0);
    get_str (s, ZMQ_PLAIN_USERNAME, buf, &len);
    CHECK_EQ_INT (len, 1);
    CHECK_EQ_INT (buf[0], 0);
    get_str (s, ZMQ_PLAIN_PASSWORD, buf, &len);
    CHECK_EQ_INT (len, 1);

    /* A server. */
    CHECK_EQ_INT (set_int (s, ZMQ_PLAIN_SERVER, 1), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_PLAIN_SERVER), 1);
    CHECK_EQ_INT (get_int (s, ZMQ_MECHANISM), ZMQ_PLAIN);
    /* ... and not any more: back to NULL. */
    CHECK_EQ_INT (set_int (s, ZMQ_PLAIN_SERVER, 0), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_PLAIN_SERVER), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_MECHANISM), ZMQ_NULL);
    CHECK_ERRNO (set_int (s, ZMQ_PLAIN_SERVER, 2) < 0, EINVAL);
    CHECK_ERRNO (set_int (s, ZMQ_PLAIN_SERVER, -1) < 0, EINVAL);
    short small = 1;
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_PLAIN_SERVER, &small, sizeof small) < 0, EINVAL);
    CHECK_EQ_INT (get_int (s, ZMQ_MECHANISM), ZMQ_NULL);

    /* A username makes a client, even of a server. */
    CHECK_EQ_INT (set_int (s, ZMQ_PLAIN_SERVER, 1), 0);
    CHECK_EQ_INT (set_str (s, ZMQ_PLAIN_USERNAME, "admin"), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_MECHANISM), ZMQ_PLAIN);
    CHECK_EQ_INT (get_int (s, ZMQ_PLAIN_SERVER), 0);
    get_str (s, ZMQ_PLAIN_USERNAME, buf, &len);
    CHECK_EQ_INT (len, 6);
    CHECK_STR (buf, "admin");
    /* The buffer must hold the NUL too. */
    len = 5;
    CHECK_ERRNO (zmq_getsockopt (s, ZMQ_PLAIN_USERNAME, buf, &len) < 0, EINVAL);
    /* And so does a password. */
    CHECK_EQ_INT (set_int (s, ZMQ_PLAIN_SERVER, 1), 0);
    CHECK_EQ_INT (set_str (s, ZMQ_PLAIN_PASSWORD, "password"), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_PLAIN_SERVER), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_MECHANISM), ZMQ_PLAIN);
    get_str (s, ZMQ_PLAIN_PASSWORD, buf, &len);
    CHECK_EQ_INT (len, 9);
    CHECK_STR (buf, "password");
    /* The username survives the password and the server flag. */
    get_str (s, ZMQ_PLAIN_USERNAME, buf, &len);
    CHECK_STR (buf, "admin");

    /* 1 to 255 bytes. */
    char longest[256];
    memset (longest, 'u', 255);
    longest[255] = 0;
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_PLAIN_USERNAME, longest, 255), 0);
    get_str (s, ZMQ_PLAIN_USERNAME, buf, &len);
    CHECK_EQ_INT (len, 256);
    CHECK (memcmp (buf, longest, 256) == 0);
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_PLAIN_PASSWORD, longest, 255), 0);
    char too_long[256];
    memset (too_long, 'x', sizeof too_long);
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_PLAIN_USERNAME, too_long, 256) < 0, EINVAL);
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_PLAIN_PASSWORD, too_long, 256) < 0, EINVAL);
    get_str (s, ZMQ_PLAIN_USERNAME, buf, &len);
    CHECK_EQ_INT (len, 256);
    /* An empty string is refused... */
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_PLAIN_USERNAME, "", 0) < 0, EINVAL);
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_PLAIN_PASSWORD, "", 0) < 0, EINVAL);
    CHECK_EQ_INT (get_int (s, ZMQ_MECHANISM), ZMQ_PLAIN);
    /* ... but NULL, 0 goes back to the NULL mechanism. */
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_PLAIN_USERNAME, NULL, 0), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_MECHANISM), ZMQ_NULL);
    CHECK_EQ_INT (set_str (s, ZMQ_PLAIN_USERNAME, "admin"), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_MECHANISM), ZMQ_PLAIN);
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_PLAIN_PASSWORD, NULL, 0), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_MECHANISM), ZMQ_NULL);
    /* Credentials are binary-safe up to their length. */
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_PLAIN_PASSWORD, "pa\0ss", 2), 0);
    get_str (s, ZMQ_PLAIN_PASSWORD, buf, &len);
    CHECK_EQ_INT (len, 3);
    CHECK_STR (buf, "pa");
    zmq_close (s);
}

/* The right credentials: in, with User-Id "admin"; the request names the
 * domain (an empty one when the server has none: PLAIN always asks). */
static void test_allowed (const char *transport, const char *domain)
{
    zap_t z;
    REQUIRE_VOID (zap_start (&z, "PLAIN", transport, domain ? domain : "", "server-id",
                             admin_only, NULL)
                  == 0);
    pair_t p;
    CHECK_EQ_INT (pair_open (&p, transport, 1, domain, "admin", "password"), 0);
    expect_pass (&p, "admin");
    pair_close (&p);
    zap_stop (&z);
    CHECK_EQ_INT (z.requests, 1);
    CHECK_EQ_INT (z.accepted, 1);
}

/* REQ/REP round trips over PLAIN. */
static void test_reqrep (const char *transport)
{
    zap_t z;
    REQUIRE_VOID (zap_start (&z, "PLAIN", transport, "global", "", admin_only, NULL) == 0);
    void *rep = new_socket (ZMQ_REP);
    void *req = new_socket (ZMQ_REQ);
    set_int (rep, ZMQ_PLAIN_SERVER, 1);
    set_str (rep, ZMQ_ZAP_DOMAIN, "global");
    set_str (req, ZMQ_PLAIN_USERNAME, "admin");
    set_str (req, ZMQ_PLAIN_PASSWORD, "password");
    char endpoint[256];
    REQUIRE_VOID (bind_fresh (rep, transport, endpoint, sizeof endpoint) == 0);
    CHECK_EQ_INT (zmq_connect (req, endpoint), 0);
    int ok = 0;
    for (int i = 0; i < 50; i++) {
        char buf[32], want[32];
        snprintf (want, sizeof want, "request %d", i);
        if (zmq_send (req, want, strlen (want), 0) != (int) strlen (want))
            break;
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        int n = zmq_msg_recv (&msg, rep, 0);
        int good = n == (int) strlen (want) && memcmp (zmq_msg_data (&msg), want, n) == 0;
        const char *user = zmq_msg_gets (&msg, "User-Id");
        good = good && user && strcmp (user, "admin") == 0;
        zmq_msg_close (&msg);
        snprintf (want, sizeof want, "reply %d", i);
        if (!good || zmq_send (rep, want, strlen (want), 0) != (int) strlen (want))
            break;
        n = zmq_recv (req, buf, sizeof buf, 0);
        if (n != (int) strlen (want) || memcmp (buf, want, n) != 0)
            break;
        ok++;
    }
    CHECK_EQ_INT (ok, 50);
    zmq_close (req);
    zmq_close (rep);
    zap_stop (&z);
    CHECK_EQ_INT (z.requests, 1);
}

/* Wrong password, wrong user: 400 on both sides (the server sends ERROR). */
static void test_denied (const char *transport, const char *user, const char *pass)
{
    zap_t z;
    REQUIRE_VOID (zap_start (&z, "PLAIN", transport, "global", "server-id", admin_only, NULL) == 0);
    pair_t p;
    CHECK_EQ_INT (pair_open (&p, transport, 1, "global", user, pass), 0);
    expect_refused (&p, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH,
                    400);
    pair_close (&p);
    zap_stop (&z);
    CHECK (z.requests >= 1);
    CHECK_EQ_INT (z.accepted, 0);
}

/* No handler: PLAIN has nobody to check the password, and refuses. The
 * server reports HANDSHAKE_FAILED_NO_DETAIL EFAULT; whether libzmq then
 * closes the connection (the client sees NO_DETAIL EPIPE and retries) or
 * leaves it hanging depends on what errno its monitor left behind: only
 * that the client gets nowhere is certain. */
static void test_no_handler (const char *transport)
{
    pair_t p;
    CHECK_EQ_INT (pair_open (&p, transport, 1, "global", "admin", "password"), 0);
    expect_refused (&p, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, EFAULT, 0, 0);
    pair_close (&p);
}

/* PLAIN against NULL, either way round. */
static void test_mismatch (const char *transport)
{
    zap_t z;
    REQUIRE_VOID (zap_start (&z, "PLAIN", transport, "global", "server-id", admin_only, NULL) == 0);
    pair_t p;
    CHECK_EQ_INT (pair_open (&p, transport, 0, NULL, "admin", "password"), 0);
    expect_refused (&p, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                    ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,
                    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                    ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
    pair_close (&p);
    CHECK_EQ_INT (pair_open (&p, transport, 1, "global", NULL, NULL), 0);
    expect_refused (&p, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                    ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,
                    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                    ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
    pair_close (&p);
    zap_stop (&z);
    CHECK_EQ_INT (z.requests, 0);
}

/* ------------------------------------------------------- raw tcp peers */

/* A raw connection that has sent a PLAIN client greeting and read the
 * server's (which must say PLAIN). */
static int raw_plain (int port)
{
    int fd = raw_connect (port);
    if (fd < 0)
        return -1;
    unsigned char greeting[64], theirs[64];
    zmtp_greeting_for (greeting, "PLAIN", 0);
    size_t got = 0;
    CHECK (write_all (fd, greeting, sizeof greeting));
    while (got < 64) {
        ssize_t n = read (fd, theirs + got, 64 - got);
        if (n <= 0)
            break;
        got += (size_t) n;
    }
    CHECK_EQ_INT (got, 64);
    CHECK (got == 64 && theirs[0] == 0xff && theirs[10] == 3
           && memcmp (theirs + 12, "PLAIN\0", 6) == 0);
    return fd;
}

/* HELLO's body: the username and the password, each after its length. */
static size_t hello_body (unsigned char *out, const char *user, const char *pass)
{
    size_t n = 0;
    out[n++] = (unsigned char) strlen (user);
    memcpy (out + n, user, strlen (user));
    n += strlen (user);
    out[n++] = (unsigned char) strlen (pass);
    memcpy (out + n, pass, strlen (pass));
    return n + strlen (pass);
}

/* The ERROR command of PLAIN as libzmq (4.2 to 4.3.5) sends it: its
 * prefix is the C string "\x05ERROR", in which the hex escape takes the
 * "E" along ("\x05E" is 0x5e), so the command is 9 bytes, "\x5eRROR" then
 * the reason "400" after its length. libzmq's PLAIN client looks for the
 * same 5 bytes, so this is what a libzmq peer sends and understands. */
static const unsigned char libzmq_plain_error[] = {0x04, 0x09, 0x5e, 'R', 'R', 'O',
                                                   'R',  0x03, '4',  '0', '0'};

/* The whole handshake by hand: HELLO, WELCOME, INITIATE (with our
 * Socket-Type), READY (with the server's), then a message each way; and
 * with the wrong password, ERROR "400". */
static void test_raw_handshake (void)
{
    zap_t z;
    REQUIRE_VOID (zap_start (&z, "PLAIN", "tcp", "global", "server-id", admin_only, NULL) == 0);
    void *server = new_socket (ZMQ_ROUTER);
    zmq_setsockopt (server, ZMQ_ROUTING_ID, "server-id", 9);
    set_int (server, ZMQ_PLAIN_SERVER, 1);
    set_str (server, ZMQ_ZAP_DOMAIN, "global");
    char endpoint[256];
    REQUIRE_VOID (bind_fresh (server, "tcp", endpoint, sizeof endpoint) == 0);
    int port = endpoint_port (endpoint);

    int fd = raw_plain (port);
    REQUIRE_VOID (fd >= 0);
    unsigned char body[600], frame[700], buf[700];
    size_t n = zmtp_command (frame, sizeof frame, "HELLO", body,
                             hello_body (body, "admin", "password"));
    CHECK (write_all (fd, frame, n));
    CHECK_EQ_INT (read_n (fd, buf, 10), 10);
    CHECK (memcmp (buf, "\x04\x08\x07WELCOME", 10) == 0);
    /* INITIATE: Socket-Type DEALER, Identity "raw". */
    static const unsigned char props[] = {11,  'S', 'o', 'c', 'k', 'e', 't', '-', 'T', 'y',
                                          'p', 'e', 0,   0,   0,   6,   'D', 'E', 'A', 'L',
                                          'E', 'R', 8,   'I', 'd', 'e', 'n', 't', 'i', 't',
                                          'y', 0,   0,   0,   3,   'r', 'a', 'w'};
    n = zmtp_command (frame, sizeof frame, "INITIATE", props, sizeof props);
    CHECK (write_all (fd, frame, n));
    /* READY: Socket-Type ROUTER, Identity "server-id". */
    CHECK_EQ_INT (read_n (fd, buf, 2), 2);
    CHECK_EQ_INT (buf[0], 0x04);
    size_t ready_len = buf[1];
    CHECK_EQ_INT (read_n (fd, buf + 2, ready_len), ready_len);
    CHECK (memcmp (buf + 2, "\x05READY", 6) == 0);
    CHECK (memmem (buf + 2, ready_len, "\x0bSocket-Type\0\0\0\x06ROUTER", 22) != NULL);
    CHECK (memmem (buf + 2, ready_len, "\x08Identity\0\0\0\x09server-id", 22) != NULL);
    /* A message: it arrives from "raw", with User-Id "admin". */
    CHECK (write_all (fd, "\x00\x04hand", 6));
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    CHECK_EQ_INT (zmq_msg_recv (&msg, server, 0), 3);
    CHECK (memcmp (zmq_msg_data (&msg), "raw", 3) == 0);
    CHECK_EQ_INT (zmq_msg_recv (&msg, server, 0), 4);
    CHECK (memcmp (zmq_msg_data (&msg), "hand", 4) == 0);
    CHECK_STR (zmq_msg_gets (&msg, "User-Id"), "admin");
    zmq_msg_close (&msg);
    CHECK_EQ_INT (zmq_send (server, "raw", 3, ZMQ_SNDMORE), 3);
    CHECK_EQ_INT (zmq_send (server, "made", 4, 0), 4);
    CHECK_EQ_INT (read_n (fd, buf, 6), 6);
    CHECK (memcmp (buf, "\x00\x04made", 6) == 0);
    close (fd);

    /* The wrong password: ERROR "400", and nothing else; in libzmq's
     * form (see libzmq_plain_error). */
    fd = raw_plain (port);
    REQUIRE_VOID (fd >= 0);
    n = zmtp_command (frame, sizeof frame, "HELLO", body, hello_body (body, "admin", "guess"));
    CHECK (write_all (fd, frame, n));
    size_t got = read_n (fd, buf, sizeof libzmq_plain_error);
    CHECK_EQ_INT (got, sizeof libzmq_plain_error);
    CHECK (memcmp (buf, libzmq_plain_error, sizeof libzmq_plain_error) == 0);
    read_timeout (fd, 1);
    read_until_closed (fd, buf, sizeof buf, &got);
    CHECK_EQ_INT (got, 0);
    close (fd);

    zmq_close (server);
    zap_stop (&z);
    CHECK_EQ_INT (z.requests, 2);
    CHECK_EQ_INT (z.accepted, 1);
}

/* Malformed HELLOs, other commands, and old protocol versions: each one
 * fails (with the protocol error libzmq names) and is disconnected, and a
 * good client is still served. */
static void test_raw_hostile (void)
{
    zap_t z;
    REQUIRE_VOID (zap_start (&z, "PLAIN", "tcp", "global", "server-id", admin_only, NULL) == 0);
    pair_t p;
    memset (&p, 0, sizeof p);
    p.server = new_socket (ZMQ_ROUTER);
    zmq_setsockopt (p.server, ZMQ_ROUTING_ID, "server-id", 9);
    set_int (p.server, ZMQ_PLAIN_SERVER, 1);
    set_str (p.server, ZMQ_ZAP_DOMAIN, "global");
    p.smon = mon_open (ctx, p.server, HANDSHAKE_EVENTS | ZMQ_EVENT_DISCONNECTED);
    REQUIRE_VOID (p.smon && bind_fresh (p.server, "tcp", p.endpoint, sizeof p.endpoint) == 0);
    int port = endpoint_port (p.endpoint);

    static const struct {
        const char *what;
        const char *name; /* command name */
        unsigned char body[16];
        size_t size;
        uint32_t error; /* the server's HANDSHAKE_FAILED_PROTOCOL value */
    } bad[] = {
      {"empty HELLO", "HELLO", {0}, 0, ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO},
      {"username longer than HELLO",
       "HELLO",
       {200, 'a', 'd', 'm'},
       4,
       ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO},
      {"no password", "HELLO", {1, 'a'}, 2, ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO},
      {"password longer than HELLO",
       "HELLO",
       {1, 'a', 9, 'p'},
       4,
       ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO},
      {"bytes after the password",
       "HELLO",
       {1, 'a', 1, 'p', 'x'},
       5,
       ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO},
      {"INITIATE first", "INITIATE", {0}, 0, ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND},
      {"READY first", "READY", {0}, 0, ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND},
      {"lowercase hello", "hello", {1, 'a', 1, 'p'}, 4, ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int fd = raw_plain (port);
        REQUIRE_VOID (fd >= 0);
        unsigned char frame[64];
        size_t n = zmtp_command (frame, sizeof frame, bad[i].name, bad[i].body, bad[i].size);
        CHECK (write_all (fd, frame, n));
        memset (&p.slog, 0, sizeof p.slog);
        int came = mon_until (p.smon, &p.slog, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, EVENT_MS);
        CHECK (came);
        CHECK_EQ_INT (mon_value (&p.slog, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL), bad[i].error);
        if (!came || mon_value (&p.slog, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != bad[i].error)
            fprintf (stderr, "  (%s)\n", bad[i].what);
        /* Closed, with nothing sent. */
        unsigned char buf[64];
        size_t got;
        CHECK (read_until_closed (fd, buf, sizeof buf, &got));
        CHECK_EQ_INT (got, 0);
        close (fd);
        CHECK (mon_until (p.smon, &p.slog, ZMQ_EVENT_DISCONNECTED, EVENT_MS));
    }

    /* A frame too short for its own command name. */
    int fd = raw_plain (port);
    REQUIRE_VOID (fd >= 0);
    CHECK (write_all (fd, "\x04\x03\x05HE", 5));
    memset (&p.slog, 0, sizeof p.slog);
    CHECK (mon_until (p.smon, &p.slog, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, EVENT_MS));
    CHECK_EQ_INT (mon_value (&p.slog, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL),
                  ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED);
    close (fd);

    /* A message frame instead of a command. */
    fd = raw_plain (port);
    REQUIRE_VOID (fd >= 0);
    CHECK (write_all (fd, "\x00\x05hello", 7));
    unsigned char buf[64];
    size_t got;
    CHECK (read_until_closed (fd, buf, sizeof buf, &got));
    CHECK_EQ_INT (got, 0);
    close (fd);

    /* ZMTP 1.0 (unversioned: a routing id frame at once), ZMTP 1.0 and
     * 2.0 greetings: no downgrade with a mechanism (CVE-2014-9721). The
     * server answers with at most its first greeting bytes and closes. */
    static const unsigned char old[3][12] = {
      {0x01, 0x00},                                           /* 1.0, unversioned */
      {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 0x00, ZMQ_DEALER}, /* 1.0 */
      {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 0x01, ZMQ_DEALER}, /* 2.0 */
    };
    for (int i = 0; i < 3; i++) {
        fd = raw_connect (port);
        REQUIRE_VOID (fd >= 0);
        size_t size = i == 0 ? 2 : 12;
        CHECK (write_all (fd, old[i], size));
        if (i == 0) /* and a message, in ZMTP 1.0 framing */
            CHECK (write_all (fd, "\x06\x00sneak", 7));
        else
            CHECK (write_all (fd, "\x00\x00\x00\x05sneak", 9));
        CHECK (read_until_closed (fd, buf, sizeof buf, &got));
        CHECK (got <= 12);
        close (fd);
    }

    /* Gone or refused, nothing got through; a good client does. */
    char c[16];
    set_int (p.server, ZMQ_RCVTIMEO, QUIET_MS);
    CHECK_ERRNO (zmq_recv (p.server, c, sizeof c, 0) < 0, EAGAIN);
    set_int (p.server, ZMQ_RCVTIMEO, 5000);
    p.client = new_socket (ZMQ_DEALER);
    zmq_setsockopt (p.client, ZMQ_ROUTING_ID, "client-id", 9);
    set_str (p.client, ZMQ_PLAIN_USERNAME, "admin");
    set_str (p.client, ZMQ_PLAIN_PASSWORD, "password");
    CHECK_EQ_INT (zmq_connect (p.client, p.endpoint), 0);
    CHECK_EQ_INT (zmq_send (p.client, "hello", 5, 0), 5);
    p.cmon = mon_open (ctx, p.client, HANDSHAKE_EVENTS);
    memset (&p.slog, 0, sizeof p.slog);
    zmq_msg_t id, msg;
    zmq_msg_init (&id);
    zmq_msg_init (&msg);
    CHECK_EQ_INT (zmq_msg_recv (&id, p.server, 0), 9);
    CHECK_EQ_INT (zmq_msg_recv (&msg, p.server, 0), 5);
    CHECK_STR (zmq_msg_gets (&msg, "User-Id"), "admin");
    zmq_msg_close (&id);
    zmq_msg_close (&msg);
    pair_close (&p);
    zap_stop (&z);
    /* Only the good client was asked about. */
    CHECK_EQ_INT (z.requests, 1);
    CHECK_EQ_INT (z.accepted, 1);
}

/* A PLAIN client against a raw tcp server: its greeting and HELLO are
 * exactly what RFC 24 says; WELCOME brings its INITIATE (with its
 * properties), READY completes the handshake and its queued message
 * follows. libzmq's ERROR form (above) makes it report
 * HANDSHAKE_FAILED_AUTH 400. */
static void test_raw_server (int refuse)
{
    char endpoint[64];
    int listener = raw_listen (endpoint, sizeof endpoint);
    REQUIRE_VOID (listener >= 0);
    void *client = new_socket (ZMQ_DEALER);
    zmq_setsockopt (client, ZMQ_ROUTING_ID, "client-id", 9);
    set_int (client, ZMQ_RECONNECT_IVL, 60000); /* one connection */
    set_str (client, ZMQ_PLAIN_USERNAME, "admin");
    set_str (client, ZMQ_PLAIN_PASSWORD, "password");
    void *cmon = mon_open (ctx, client, HANDSHAKE_EVENTS);
    REQUIRE_VOID (cmon);
    CHECK_EQ_INT (zmq_connect (client, endpoint), 0);
    CHECK_EQ_INT (zmq_send (client, "queued", 6, 0), 6);
    int fd = accept (listener, NULL, NULL);
    REQUIRE_VOID (fd >= 0);
    read_timeout (fd, 5);
    /* (libzmq sends the rest of its greeting once it has seen ours.) */
    unsigned char buf[512], greeting[64];
    zmtp_greeting_for (greeting, "PLAIN", 1);
    CHECK (write_all (fd, greeting, sizeof greeting));
    CHECK_EQ_INT (read_n (fd, buf, 64), 64);
    CHECK (buf[0] == 0xff && buf[9] == 0x7f && buf[10] == 3);
    CHECK (memcmp (buf + 12, "PLAIN\0", 6) == 0);
    CHECK_EQ_INT (buf[32], 0); /* not a server */
    /* HELLO: 04 len 05 "HELLO" 05 "admin" 08 "password" */
    static const unsigned char hello[] = {0x04, 21,  5,   'H', 'E', 'L', 'L', 'O', 5,
                                          'a',  'd', 'm', 'i', 'n', 8,   'p', 'a', 's',
                                          's',  'w', 'o', 'r', 'd'};
    CHECK_EQ_INT (read_n (fd, buf, sizeof hello), sizeof hello);
    CHECK (memcmp (buf, hello, sizeof hello) == 0);
    mon_log_t log;
    memset (&log, 0, sizeof log);
    if (refuse) {
        CHECK (write_all (fd, libzmq_plain_error, sizeof libzmq_plain_error));
        CHECK (mon_until (cmon, &log, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, EVENT_MS));
        CHECK_EQ_INT (mon_value (&log, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH), 400);
        /* It hangs up, having sent nothing more. */
        size_t got;
        CHECK (read_until_closed (fd, buf, sizeof buf, &got));
        CHECK_EQ_INT (got, 0);
    } else {
        CHECK (write_all (fd, "\x04\x08\x07WELCOME", 10));
        CHECK_EQ_INT (read_n (fd, buf, 2), 2);
        CHECK_EQ_INT (buf[0], 0x04);
        size_t len = buf[1];
        CHECK_EQ_INT (read_n (fd, buf + 2, len), len);
        CHECK (memcmp (buf + 2, "\x08INITIATE", 9) == 0);
        CHECK (memmem (buf + 2, len, "\x0bSocket-Type\0\0\0\x06" "DEALER", 22) != NULL);
        CHECK (memmem (buf + 2, len, "\x08Identity\0\0\0\x09" "client-id", 22) != NULL);
        static const unsigned char ready[] = {0x04, 28,  5,   'R', 'E', 'A', 'D', 'Y', 11,  'S',
                                              'o',  'c', 'k', 'e', 't', '-', 'T', 'y', 'p', 'e',
                                              0,    0,   0,   6,   'R', 'O', 'U', 'T', 'E', 'R'};
        CHECK (write_all (fd, ready, sizeof ready));
        CHECK (mon_until (cmon, &log, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, EVENT_MS));
        CHECK_EQ_INT (read_n (fd, buf, 8), 8);
        CHECK (memcmp (buf, "\x00\x06queued", 8) == 0);
        CHECK (write_all (fd, "\x00\x05reply", 7));
        char reply[8];
        CHECK_EQ_INT (zmq_recv (client, reply, sizeof reply, 0), 5);
        CHECK (memcmp (reply, "reply", 5) == 0);
    }
    close (fd);
    close (listener);
    mon_close (client, cmon);
    zmq_close (client);
}

int main (void)
{
    signal (SIGPIPE, SIG_IGN); /* raw peers write to connections the server closed */
    ctx = zmq_ctx_new ();
    REQUIRE (ctx);
    REQUIRE (tmpdir_make (ipc_dir, sizeof ipc_dir) == 0);
    test_options ();
    const char *transports[] = {"tcp", "ipc"};
    for (int t = 0; t < 2; t++) {
        const char *tr = transports[t];
        test_allowed (tr, "global");
        test_allowed (tr, NULL);
        test_reqrep (tr);
        test_denied (tr, "admin", "wrong");
        test_denied (tr, "root", "password");
        test_no_handler (tr);
        test_mismatch (tr);
    }
    test_raw_handshake ();
    test_raw_hostile ();
    test_raw_server (0);
    test_raw_server (1);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    tmpdir_remove (ipc_dir);
    return test_result ("test_security_plain");
}
