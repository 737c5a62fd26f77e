/* One end of a ZeroMQ conversation for the interop tests (test_interop.sh).
 *
 *   peer TYPE bind|connect ENDPOINT --with PEERTYPE [options]
 *
 * The same source is built against the system libzmq (peer-sys) and against
 * our library (peer-ours); the script runs one of each, or two peer-sys in
 * REFERENCE mode. TYPE is this side's socket type, PEERTYPE the other side's;
 * together they select the conversation (see the run_* functions). Every
 * message either side sends is derived from fixed rules, so each side knows
 * exactly what it must receive and checks every frame's size and bytes.
 *
 * A binder prints "endpoint <ZMQ_LAST_ENDPOINT>" (and "control <...>" for
 * --control) on stdout once bound, so the script can start the connector.
 * On success the peer prints "ok" and exits 0; on any failure it prints one
 * line "peer TYPE/bind: FAIL: <reason>" on stderr and exits 1; on SIGTERM
 * (the script stops a peer whose partner failed) it says what it was doing
 * and exits 143.
 *
 * Options (each sets something on this side only):
 *   --with TYPE            the peer's socket type (required)
 *   --hb IVL:TIMEOUT[:TTL] ZMQ_HEARTBEAT_IVL / _TIMEOUT / _TTL in ms
 *   --pause MS             idle for MS in the middle of the conversation
 *                          (so heartbeats are the only traffic)
 *   --big                  one message each way carries an 8 MiB frame
 *   --id STR               ZMQ_ROUTING_ID
 *   --id-bytes N           ZMQ_ROUTING_ID of N binary bytes (see make_id)
 *   --peer-id STR|auto     ROUTER: the routing id the peer must arrive with;
 *                          "auto": libzmq's generated 5-byte id (0 + 4 bytes)
 *   --peer-id-bytes N      ROUTER: the peer uses --id-bytes N
 *   --relaxed              REQ: ZMQ_REQ_RELAXED + ZMQ_REQ_CORRELATE, and the
 *                          conversation ends with a stale/fresh request pair
 *   --peer-relaxed         REP/ROUTER: the peer REQ uses --relaxed
 *   --control EP           PUB/SUB: side channel for the subscriber's acks
 *                          (bound or connected like ENDPOINT)
 *   --reconnect-ivl MS     ZMQ_RECONNECT_IVL (the heartbeat runs give the
 *                          connector 60000, so that a dropped connection
 *                          fails the run instead of healing silently; not -1:
 *                          with -1 libzmq tears down a connecting socket's
 *                          pipe when the peer closes, and the messages
 *                          received but not yet read are lost)
 *   --timeout MS           ZMQ_RCVTIMEO / ZMQ_SNDTIMEO (default 5000; every
 *                          socket also gets ZMQ_LINGER 5000, so no call
 *                          blocks for ever)
 *   --reconnect-client     reconnect test, the side that stays up
 *   --reconnect-server N   reconnect test, incarnation N (1: is killed by
 *                          the script, 2: its replacement)
 *   --big-size N           the big frame has N bytes (instead of 8 MiB with
 *                          --big, 128 KiB without)
 *   --seq N                PUSH/PULL: N small messages after the bodies
 *                          (default 300)
 *   --hwm N                ZMQ_SNDHWM and ZMQ_RCVHWM (0: none; a PUSH that
 *                          closes while its PULL is full may lose the tail
 *                          of its queue in libzmq 4.3.4, so runs with more
 *                          messages than the high-water marks hold use 0)
 *
 * Security (on the main socket only):
 *   --plain-server         ZMQ_PLAIN_SERVER
 *   --plain-user U:P       ZMQ_PLAIN_USERNAME U, ZMQ_PLAIN_PASSWORD P
 *   --curve-server SECRET  ZMQ_CURVE_SERVER with ZMQ_CURVE_SECRETKEY (Z85)
 *   --curve-client SERVERPUB  ZMQ_CURVE_SERVERKEY (Z85); the client's own
 *                          pair is --curve-public/--curve-secret, or a fresh
 *                          one from this library's zmq_curve_keypair
 *   --curve-public PUB, --curve-secret SEC   the client's key pair (Z85)
 *   --zap-domain D         ZMQ_ZAP_DOMAIN
 *   --zap MODE             a ZAP handler thread on inproc://zeromq.zap.01:
 *                          "allow" (200 for all), "deny" (400 for all),
 *                          "plain:U:P" (200 for those credentials only),
 *                          "curve:PUB" (200 for that client key only); it
 *                          checks each request (version 1.0, this side's
 *                          mechanism, the domain, 127.0.0.1 over tcp) and
 *                          answers with User-Id = the username or the
 *                          key's Z85; the run fails on a bad request, and
 *                          unless some request was allowed (or, with
 *                          --expect-refused auth:N, refused)
 *   --expect-user-id ID    every message received carries User-Id ID
 *   --expect-refused EV    the handshake must fail instead of the
 *                          conversation: EV is auth:N, protocol:N or
 *                          nodetail:N (N decimal or 0x hex), the event and
 *                          value this side's monitor must report (every
 *                          time), or "none" (no particular event). The
 *                          connector sends one message; neither side may
 *                          receive anything or see HANDSHAKE_SUCCEEDED
 *                          (waiting 1 s after the event). With --zap,
 *                          auth:N requires a denied ZAP request and no
 *                          allowed one, the other events no request.
 *
 *   peer --keypair         prints "PUBLIC SECRET" from zmq_curve_keypair.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define MAX_FRAMES 32
#define BIG_SIZE ((size_t) 8 << 20)
#define N_BODIES 8 /* request/reply rounds and pipeline messages */
#define N_SEQ 300  /* small PUSH messages after the bodies (default) */
#define RECONNECT_ROUNDS 5

typedef struct {
    int n;
    size_t len[MAX_FRAMES];
    unsigned char *data[MAX_FRAMES];
} mpart_t;

static struct {
    const char *type_name, *peer_name, *endpoint, *control;
    int type, peer_type, bind;
    int hb_ivl, hb_timeout, hb_ttl;
    int pause_ms, big, relaxed, peer_relaxed;
    const char *id, *peer_id;
    int id_bytes, peer_id_bytes, peer_id_auto;
    int reconnect_ivl, timeout_ms;
    int reconnect_client, reconnect_server;
    size_t big_size;
    int n_seq, hwm;
    /* Security. */
    int plain_server;
    char plain_user[256], plain_pass[256];
    const char *curve_server_secret, *curve_server_key, *curve_public, *curve_secret;
    const char *zap_domain, *zap_mode, *expect_user_id;
    int expect_refused, refused_event;
    uint32_t refused_value;
} o;

static char me[64];
static void *ctx;

/* What the peer is doing, for the line it prints when the script stops it
 * (SIGTERM, e.g. because the other side failed): two buffers, so the
 * signal handler always sees a complete string. */
static char activity_buf[2][256];
static volatile sig_atomic_t activity_idx = -1;

static void set_activity (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
static void set_activity (const char *fmt, ...)
{
    int next = activity_idx == 0 ? 1 : 0;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (activity_buf[next], sizeof activity_buf[next], fmt, ap);
    va_end (ap);
    activity_idx = next;
}

static void write_str (const char *str)
{
    size_t len = strlen (str);
    while (len > 0) {
        ssize_t n = write (2, str, len);
        if (n <= 0)
            return;
        str += n;
        len -= (size_t) n;
    }
}

static void on_sigterm (int sig)
{
    (void) sig;
    write_str ("peer ");
    write_str (me);
    write_str (": stopped by SIGTERM while ");
    write_str (activity_idx >= 0 ? activity_buf[activity_idx] : "starting");
    write_str ("\n");
    _exit (143);
}

/* ------------------------------------------------------------------ */
/* Failure reporting                                                   */

static void fail (const char *fmt, ...) __attribute__ ((noreturn, format (printf, 1, 2)));
static void fail (const char *fmt, ...)
{
    va_list ap;
    fflush (stdout);
    fprintf (stderr, "peer %s: FAIL: ", me);
    va_start (ap, fmt);
    vfprintf (stderr, fmt, ap);
    va_end (ap);
    fputc ('\n', stderr);
    fflush (stderr);
    _exit (1);
}

/* The text for errno, e.g. "Protocol not supported (errno 93)". */
static const char *err_text (void)
{
    static char buf[160];
    int e = errno;
    if (e == EAGAIN)
        snprintf (buf, sizeof buf, "%s (errno %d: timed out after %d ms)",
                  zmq_strerror (e), e, o.timeout_ms);
    else
        snprintf (buf, sizeof buf, "%s (errno %d)", zmq_strerror (e), e);
    return buf;
}

static void sleep_ms (int ms)
{
    struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
    while (nanosleep (&ts, &ts) != 0 && errno == EINTR) {
    }
}

static long long now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ */
/* Multipart messages                                                  */

static void mp_init (mpart_t *m)
{
    m->n = 0;
}

static void mp_free (mpart_t *m)
{
    for (int i = 0; i < m->n; i++)
        free (m->data[i]);
    m->n = 0;
}

static unsigned char *mp_add (mpart_t *m, const void *data, size_t len)
{
    if (m->n >= MAX_FRAMES)
        fail ("internal: more than %d frames in a message", MAX_FRAMES);
    unsigned char *p = malloc (len ? len : 1);
    if (!p)
        fail ("out of memory");
    if (data && len)
        memcpy (p, data, len);
    m->data[m->n] = p;
    m->len[m->n] = len;
    m->n++;
    return p;
}

static void mp_add_str (mpart_t *m, const char *s)
{
    mp_add (m, s, strlen (s));
}

static void mp_add_int (mpart_t *m, int v)
{
    char buf[24];
    snprintf (buf, sizeof buf, "%d", v);
    mp_add_str (m, buf);
}

/* Frame contents: a byte sequence that depends on the seed and on the
 * position, with no short period, so lost, duplicated or reordered chunks
 * show up as mismatches. */
static unsigned char pattern_byte (uint32_t seed, size_t i)
{
    uint32_t x = (uint32_t) i * 2654435761u + seed * 0x9e3779b9u + (uint32_t) (i >> 32);
    x ^= x >> 13;
    x *= 0x5bd1e995u;
    x ^= x >> 15;
    return (unsigned char) x;
}

static uint32_t seed_of (const char *tag, int k, int frame)
{
    uint32_t h = 2166136261u;
    for (const char *p = tag; *p; p++)
        h = (h ^ (unsigned char) *p) * 16777619u;
    h = (h ^ (uint32_t) k) * 16777619u;
    h = (h ^ (uint32_t) frame) * 16777619u;
    return h;
}

static unsigned char *mp_add_pattern (mpart_t *m, size_t len, uint32_t seed)
{
    unsigned char *p = mp_add (m, NULL, len);
    for (size_t i = 0; i < len; i++)
        p[i] = pattern_byte (seed, i);
    return p;
}

static void mp_append (mpart_t *dst, const mpart_t *src)
{
    for (int i = 0; i < src->n; i++)
        mp_add (dst, src->data[i], src->len[i]);
}

static int mp_equal (const mpart_t *a, const mpart_t *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (a->len[i] != b->len[i] || memcmp (a->data[i], b->data[i], a->len[i]) != 0)
            return 0;
    return 1;
}

/* A short human-readable rendering: text frames quoted, others by size
 * and first bytes. */
static void describe (const mpart_t *m, char *out, size_t size)
{
    size_t used = 0;
    used += snprintf (out + used, size - used, "%d frame%s:", m->n, m->n == 1 ? "" : "s");
    for (int i = 0; i < m->n && used < size; i++) {
        size_t len = m->len[i];
        int text = len > 0 && len <= 40;
        for (size_t j = 0; j < len && text; j++)
            text = m->data[i][j] >= 0x20 && m->data[i][j] < 0x7f;
        if (len == 0)
            used += snprintf (out + used, size - used, " [empty]");
        else if (text)
            used += snprintf (out + used, size - used, " [\"%.*s\"]", (int) len,
                              (const char *) m->data[i]);
        else {
            used += snprintf (out + used, size - used, " [%zu bytes:", len);
            for (size_t j = 0; j < len && j < 6 && used < size; j++)
                used += snprintf (out + used, size - used, " %02x", m->data[i][j]);
            if (used < size)
                used += snprintf (out + used, size - used, "%s]", len > 6 ? " ..." : "");
        }
        if (i >= 11 && m->n > 12) {
            if (used < size)
                snprintf (out + used, size - used, " ...");
            break;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Sending and receiving                                               */

static void send_mp (void *s, const mpart_t *m, const char *what)
{
    set_activity ("sending %s", what);
    for (int i = 0; i < m->n; i++) {
        int flags = i + 1 < m->n ? ZMQ_SNDMORE : 0;
        int rc = zmq_send (s, m->data[i], m->len[i], flags);
        if (rc != (int) m->len[i])
            fail ("sending %s, frame %d of %d (%zu bytes): zmq_send returned %d: %s",
                  what, i + 1, m->n, m->len[i], rc, err_text ());
    }
}

static void send_str (void *s, const char *str, const char *what)
{
    mpart_t m;
    mp_init (&m);
    mp_add_str (&m, str);
    send_mp (s, &m, what);
    mp_free (&m);
}

/* Receives one whole message. Returns 0, or -1 with errno EAGAIN when
 * `may_time_out` and nothing arrived within the receive timeout. */
static int recv_mp_opt (void *s, mpart_t *m, const char *what, int may_time_out)
{
    set_activity ("waiting for %s", what);
    mp_init (m);
    for (;;) {
        zmq_msg_t f;
        zmq_msg_init (&f);
        int rc = zmq_msg_recv (&f, s, 0);
        if (rc < 0) {
            int e = errno;
            zmq_msg_close (&f);
            errno = e;
            if (m->n == 0 && e == EAGAIN && may_time_out)
                return -1;
            if (m->n == 0 && e == EAGAIN)
                fail ("waiting for %s: nothing arrived within %d ms", what, o.timeout_ms);
            fail ("receiving %s (frame %d): zmq_msg_recv: %s", what, m->n + 1, err_text ());
        }
        if ((size_t) rc != zmq_msg_size (&f))
            fail ("receiving %s: zmq_msg_recv returned %d for a %zu-byte frame", what, rc,
                  zmq_msg_size (&f));
        int more = zmq_msg_more (&f);
        int rcvmore = -1;
        size_t sz = sizeof rcvmore;
        if (zmq_getsockopt (s, ZMQ_RCVMORE, &rcvmore, &sz) != 0)
            fail ("zmq_getsockopt (ZMQ_RCVMORE): %s", err_text ());
        if (!!rcvmore != !!more)
            fail ("receiving %s: ZMQ_RCVMORE is %d but zmq_msg_more is %d", what, rcvmore, more);
        if (o.expect_user_id && (o.type != ZMQ_ROUTER || m->n > 0)) {
            const char *user = zmq_msg_gets (&f, "User-Id");
            if (!user || strcmp (user, o.expect_user_id) != 0)
                fail ("receiving %s (frame %d): User-Id is %s%s%s, expected \"%s\"", what,
                      m->n + 1, user ? "\"" : "", user ? user : "not set", user ? "\"" : "",
                      o.expect_user_id);
        }
        mp_add (m, zmq_msg_data (&f), zmq_msg_size (&f));
        zmq_msg_close (&f);
        if (!more)
            return 0;
    }
}

static void recv_mp (void *s, mpart_t *m, const char *what)
{
    recv_mp_opt (s, m, what, 0);
}

/* Fails unless `got` is exactly `want`, naming the first difference. */
static void expect_mp (const mpart_t *got, const mpart_t *want, const char *what)
{
    if (mp_equal (got, want))
        return;
    char g[700], w[700], diff[200] = "";
    describe (got, g, sizeof g);
    describe (want, w, sizeof w);
    if (got->n != want->n)
        snprintf (diff, sizeof diff, "%d frames instead of %d", got->n, want->n);
    else
        for (int i = 0; i < got->n; i++) {
            if (got->len[i] != want->len[i]) {
                snprintf (diff, sizeof diff, "frame %d has %zu bytes instead of %zu", i + 1,
                          got->len[i], want->len[i]);
                break;
            }
            for (size_t j = 0; j < got->len[i]; j++)
                if (got->data[i][j] != want->data[i][j]) {
                    snprintf (diff, sizeof diff,
                              "frame %d (%zu bytes) differs first at byte %zu: 0x%02x instead of 0x%02x",
                              i + 1, got->len[i], j, got->data[i][j], want->data[i][j]);
                    break;
                }
            if (diff[0])
                break;
        }
    fail ("%s: wrong message (%s)\n    received: %s\n    expected: %s", what, diff, g, w);
}

static void expect_recv (void *s, const mpart_t *want, const char *what)
{
    mpart_t got;
    recv_mp (s, &got, what);
    expect_mp (&got, want, what);
    mp_free (&got);
}

static void expect_recv_str (void *s, const char *str, const char *what)
{
    mpart_t want;
    mp_init (&want);
    mp_add_str (&want, str);
    expect_recv (s, &want, what);
    mp_free (&want);
}

/* ------------------------------------------------------------------ */
/* The messages                                                        */

static const size_t SIZES[] = {0, 1, 255, 256, 65536};
#define N_SIZES 5

/* Body number k (0 <= k < N_BODIES) of the stream named `tag`:
 *   0: one text frame            1-4: text + k frames of rotating sizes
 *   5: a single empty frame      6: text + frames of all sizes
 *   7: text + an 8 MiB frame (128 KiB without --big) + a 1-byte frame */
static void make_body (mpart_t *m, const char *tag, int k)
{
    char hdr[64];
    mp_init (m);
    if (k == 5) {
        mp_add (m, NULL, 0);
        return;
    }
    snprintf (hdr, sizeof hdr, "%s-%d", tag, k);
    mp_add_str (m, hdr);
    if (k >= 1 && k <= 4)
        for (int i = 0; i < k; i++)
            mp_add_pattern (m, SIZES[(k + i) % N_SIZES], seed_of (tag, k, i));
    else if (k == 6)
        for (int i = 0; i < N_SIZES; i++)
            mp_add_pattern (m, SIZES[i], seed_of (tag, k, i));
    else if (k == 7) {
        mp_add_pattern (m, o.big_size ? o.big_size : o.big ? BIG_SIZE : (size_t) 131072,
                        seed_of (tag, k, 0));
        mp_add_pattern (m, 1, seed_of (tag, k, 1));
    }
}

/* Routing id of n bytes: 1..255 in a shuffled order (never a leading zero
 * byte, which libzmq reserves for generated ids). */
static void make_id (unsigned char *out, int n)
{
    for (int j = 0; j < n; j++)
        out[j] = (unsigned char) (1 + (j * 97 + 31) % 255);
}

/* ------------------------------------------------------------------ */
/* Sockets                                                             */

static const struct {
    const char *name;
    int type;
} TYPES[] = {{"PAIR", ZMQ_PAIR},     {"PUB", ZMQ_PUB},   {"SUB", ZMQ_SUB},
             {"REQ", ZMQ_REQ},       {"REP", ZMQ_REP},   {"DEALER", ZMQ_DEALER},
             {"ROUTER", ZMQ_ROUTER}, {"PULL", ZMQ_PULL}, {"PUSH", ZMQ_PUSH},
             {"XPUB", ZMQ_XPUB},     {"XSUB", ZMQ_XSUB}};

static int type_of (const char *name)
{
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++)
        if (strcmp (TYPES[i].name, name) == 0)
            return TYPES[i].type;
    return -1;
}

static void set_int (void *s, int option, const char *name, int value)
{
    if (zmq_setsockopt (s, option, &value, sizeof value) != 0)
        fail ("zmq_setsockopt (%s, %d): %s", name, value, err_text ());
}

static void set_security (void *s);
static void usage (const char *why) __attribute__ ((noreturn));

static void *make_socket (int type, int main_socket)
{
    void *s = zmq_socket (ctx, type);
    if (!s)
        fail ("zmq_socket: %s", err_text ());
    set_int (s, ZMQ_RCVTIMEO, "ZMQ_RCVTIMEO", o.timeout_ms);
    set_int (s, ZMQ_SNDTIMEO, "ZMQ_SNDTIMEO", o.timeout_ms);
    set_int (s, ZMQ_LINGER, "ZMQ_LINGER", 5000);
    if (o.reconnect_ivl != 0)
        set_int (s, ZMQ_RECONNECT_IVL, "ZMQ_RECONNECT_IVL", o.reconnect_ivl);
    if (!main_socket)
        return s;
    if (o.hwm >= 0) {
        set_int (s, ZMQ_SNDHWM, "ZMQ_SNDHWM", o.hwm);
        set_int (s, ZMQ_RCVHWM, "ZMQ_RCVHWM", o.hwm);
    }
    if (o.hb_ivl > 0) {
        set_int (s, ZMQ_HEARTBEAT_IVL, "ZMQ_HEARTBEAT_IVL", o.hb_ivl);
        set_int (s, ZMQ_HEARTBEAT_TIMEOUT, "ZMQ_HEARTBEAT_TIMEOUT", o.hb_timeout);
        if (o.hb_ttl > 0)
            set_int (s, ZMQ_HEARTBEAT_TTL, "ZMQ_HEARTBEAT_TTL", o.hb_ttl);
    }
    if (o.id && zmq_setsockopt (s, ZMQ_ROUTING_ID, o.id, strlen (o.id)) != 0)
        fail ("zmq_setsockopt (ZMQ_ROUTING_ID, \"%s\"): %s", o.id, err_text ());
    if (o.id_bytes > 0) {
        unsigned char id[255];
        make_id (id, o.id_bytes);
        if (zmq_setsockopt (s, ZMQ_ROUTING_ID, id, (size_t) o.id_bytes) != 0)
            fail ("zmq_setsockopt (ZMQ_ROUTING_ID, %d bytes): %s", o.id_bytes, err_text ());
    }
    if (o.relaxed) {
        set_int (s, ZMQ_REQ_RELAXED, "ZMQ_REQ_RELAXED", 1);
        set_int (s, ZMQ_REQ_CORRELATE, "ZMQ_REQ_CORRELATE", 1);
    }
    set_security (s);
    return s;
}

/* ------------------------------------------------------------------ */
/* Security                                                            */

static void set_str (void *s, int option, const char *name, const char *value)
{
    if (zmq_setsockopt (s, option, value, strlen (value)) != 0)
        fail ("zmq_setsockopt (%s, \"%s\"): %s", name, value, err_text ());
}

static char own_public[41], own_secret[41];

static void set_security (void *s)
{
    if (o.zap_domain)
        set_str (s, ZMQ_ZAP_DOMAIN, "ZMQ_ZAP_DOMAIN", o.zap_domain);
    if (o.plain_server)
        set_int (s, ZMQ_PLAIN_SERVER, "ZMQ_PLAIN_SERVER", 1);
    if (o.plain_user[0]) {
        set_str (s, ZMQ_PLAIN_USERNAME, "ZMQ_PLAIN_USERNAME", o.plain_user);
        set_str (s, ZMQ_PLAIN_PASSWORD, "ZMQ_PLAIN_PASSWORD", o.plain_pass);
    }
    if (o.curve_server_secret) {
        set_int (s, ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER", 1);
        set_str (s, ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY", o.curve_server_secret);
    }
    if (o.curve_server_key) {
        if (o.curve_public && o.curve_secret) {
            snprintf (own_public, sizeof own_public, "%s", o.curve_public);
            snprintf (own_secret, sizeof own_secret, "%s", o.curve_secret);
        } else if (zmq_curve_keypair (own_public, own_secret) != 0)
            fail ("zmq_curve_keypair: %s", err_text ());
        set_str (s, ZMQ_CURVE_SERVERKEY, "ZMQ_CURVE_SERVERKEY", o.curve_server_key);
        set_str (s, ZMQ_CURVE_PUBLICKEY, "ZMQ_CURVE_PUBLICKEY", own_public);
        set_str (s, ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY", own_secret);
    }
}

/* The ZAP handler: a thread with a REP socket; the main thread reads its
 * counters once it has joined it. */
static struct {
    void *sock;
    pthread_t thread;
    int stop, requests, allowed, denied, bad;
    char problem[400];
} zap;

static void zap_problem (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
static void zap_problem (const char *fmt, ...)
{
    zap.bad++;
    if (zap.problem[0])
        return;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (zap.problem, sizeof zap.problem, fmt, ap);
    va_end (ap);
}

static int frame_is (zmq_msg_t *f, const char *text)
{
    return zmq_msg_size (f) == strlen (text) && memcmp (zmq_msg_data (f), text, strlen (text)) == 0;
}

static void *zap_main (void *arg)
{
    (void) arg;
    const char *mechanism = o.plain_server ? "PLAIN" : o.curve_server_secret ? "CURVE" : "NULL";
    int credentials = o.plain_server ? 2 : o.curve_server_secret ? 1 : 0;
    while (!__atomic_load_n (&zap.stop, __ATOMIC_ACQUIRE)) {
        zmq_pollitem_t item = {zap.sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll (&item, 1, 20) <= 0)
            continue;
        zmq_msg_t f[10];
        int n = 0, more = 1;
        while (more) {
            zmq_msg_t part;
            zmq_msg_init (&part);
            if (zmq_msg_recv (&part, zap.sock, 0) < 0) {
                zmq_msg_close (&part);
                break;
            }
            more = zmq_msg_more (&part);
            if (n < 10)
                f[n++] = part;
            else
                zmq_msg_close (&part);
        }
        zap.requests++;
        char user[256] = "";
        int ok = 0;
        if (n != 6 + credentials)
            zap_problem ("request %d has %d frames, expected %d", zap.requests, n, 6 + credentials);
        else {
            if (!frame_is (&f[0], "1.0"))
                zap_problem ("request %d: version is not 1.0", zap.requests);
            if (zmq_msg_size (&f[1]) == 0)
                zap_problem ("request %d: empty request id", zap.requests);
            if (!frame_is (&f[2], o.zap_domain ? o.zap_domain : ""))
                zap_problem ("request %d: domain is \"%.*s\", expected \"%s\"", zap.requests,
                             (int) zmq_msg_size (&f[2]), (char *) zmq_msg_data (&f[2]),
                             o.zap_domain ? o.zap_domain : "");
            if (strncmp (o.endpoint, "tcp://", 6) == 0 && !frame_is (&f[3], "127.0.0.1"))
                zap_problem ("request %d: address is \"%.*s\", expected \"127.0.0.1\"",
                             zap.requests, (int) zmq_msg_size (&f[3]),
                             (char *) zmq_msg_data (&f[3]));
            if (!frame_is (&f[5], mechanism))
                zap_problem ("request %d: mechanism is \"%.*s\", expected \"%s\"", zap.requests,
                             (int) zmq_msg_size (&f[5]), (char *) zmq_msg_data (&f[5]),
                             mechanism);
            if (credentials == 2) {
                snprintf (user, sizeof user, "%.*s", (int) zmq_msg_size (&f[6]),
                          (char *) zmq_msg_data (&f[6]));
                if (strncmp (o.zap_mode, "plain:", 6) == 0) {
                    const char *creds = o.zap_mode + 6;
                    const char *colon = strchr (creds, ':');
                    ok = colon && zmq_msg_size (&f[6]) == (size_t) (colon - creds)
                         && memcmp (zmq_msg_data (&f[6]), creds, colon - creds) == 0
                         && frame_is (&f[7], colon + 1);
                } else
                    ok = strcmp (o.zap_mode, "allow") == 0;
            } else if (credentials == 1) {
                if (zmq_msg_size (&f[6]) != 32)
                    zap_problem ("request %d: the key has %d bytes", zap.requests,
                                 (int) zmq_msg_size (&f[6]));
                else
                    zmq_z85_encode (user, zmq_msg_data (&f[6]), 32);
                if (strncmp (o.zap_mode, "curve:", 6) == 0)
                    ok = strcmp (user, o.zap_mode + 6) == 0;
                else
                    ok = strcmp (o.zap_mode, "allow") == 0;
            } else {
                snprintf (user, sizeof user, "anonymous");
                ok = strcmp (o.zap_mode, "allow") == 0;
            }
        }
        if (ok)
            zap.allowed++;
        else
            zap.denied++;
        const char *reply[6] = {"1.0", NULL, ok ? "200" : "400", ok ? "OK" : "denied",
                                ok ? user : "", ""};
        for (int i = 0; i < 6; i++) {
            int flags = i < 5 ? ZMQ_SNDMORE : 0;
            if (i == 1) {
                zmq_msg_t id;
                zmq_msg_init (&id);
                if (n >= 2)
                    zmq_msg_copy (&id, &f[1]);
                zmq_msg_send (&id, zap.sock, flags);
                zmq_msg_close (&id);
            } else
                zmq_send (zap.sock, reply[i], strlen (reply[i]), flags);
        }
        for (int i = 0; i < n; i++)
            zmq_msg_close (&f[i]);
    }
    return NULL;
}

static void zap_start (void)
{
    if (strcmp (o.zap_mode, "allow") != 0 && strcmp (o.zap_mode, "deny") != 0
        && strncmp (o.zap_mode, "plain:", 6) != 0 && strncmp (o.zap_mode, "curve:", 6) != 0)
        fail ("--zap allow|deny|plain:U:P|curve:PUB, not \"%s\"", o.zap_mode);
    zap.sock = zmq_socket (ctx, ZMQ_REP);
    if (!zap.sock || zmq_bind (zap.sock, "inproc://zeromq.zap.01") != 0)
        fail ("ZAP handler: binding inproc://zeromq.zap.01: %s", err_text ());
    int linger = 0;
    zmq_setsockopt (zap.sock, ZMQ_LINGER, &linger, sizeof linger);
    if (pthread_create (&zap.thread, NULL, zap_main, NULL) != 0)
        fail ("pthread_create failed");
}

/* Stops the handler. Fails on a bad request; and unless, in a run that
 * succeeds, some request was allowed and none denied; in one refused with
 * HANDSHAKE_FAILED_AUTH, some denied and none allowed; in one refused
 * otherwise, none was made. */
static void zap_finish (void)
{
    __atomic_store_n (&zap.stop, 1, __ATOMIC_RELEASE);
    pthread_join (zap.thread, NULL);
    zmq_close (zap.sock);
    if (zap.bad)
        fail ("ZAP handler: %d bad request(s), first: %s", zap.bad, zap.problem);
    int ok;
    const char *want;
    if (!o.expect_refused) {
        ok = zap.allowed >= 1 && zap.denied == 0;
        want = "some allowed, none denied";
    } else if (o.refused_event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
        ok = zap.denied >= 1 && zap.allowed == 0;
        want = "some denied, none allowed";
    } else {
        ok = zap.requests == 0;
        want = "none";
    }
    if (!ok)
        fail ("ZAP handler: %d request(s), %d allowed, %d denied; expected %s", zap.requests,
              zap.allowed, zap.denied, want);
}

/* Monitor events, for --expect-refused. */
static int next_event (void *mon, uint32_t *value, int timeout_ms)
{
    zmq_pollitem_t item = {mon, 0, ZMQ_POLLIN, 0};
    if (zmq_poll (&item, 1, timeout_ms) <= 0)
        return -1;
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    int event = -1;
    if (zmq_msg_recv (&msg, mon, ZMQ_DONTWAIT) == 6 && zmq_msg_more (&msg)) {
        uint16_t e;
        memcpy (&e, zmq_msg_data (&msg), 2);
        memcpy (value, (char *) zmq_msg_data (&msg) + 2, 4);
        event = e;
    }
    while (zmq_msg_more (&msg)) {
        zmq_msg_close (&msg);
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, mon, 0) < 0)
            break;
    }
    zmq_msg_close (&msg);
    return event;
}

static const char *event_name (int event)
{
    switch (event) {
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
            return "HANDSHAKE_FAILED_AUTH";
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
            return "HANDSHAKE_FAILED_PROTOCOL";
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
            return "HANDSHAKE_FAILED_NO_DETAIL";
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
            return "HANDSHAKE_SUCCEEDED";
        default:
            return "another event";
    }
}

/* Reads events for `ms` (or until the first o.refused_event when
 * `stop_at_first`): fails on HANDSHAKE_SUCCEEDED and on o.refused_event
 * with another value; returns how often that event came. */
static int watch_events (void *mon, int ms, int stop_at_first)
{
    int seen = 0;
    long long deadline = now_ms () + ms;
    for (;;) {
        long long left = deadline - now_ms ();
        uint32_t value = 0;
        int event = next_event (mon, &value, left > 0 ? (int) left : 0);
        if (event < 0)
            return seen;
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            fail ("the handshake succeeded; it should have failed");
        if (o.refused_event && event == o.refused_event) {
            if (value != o.refused_value)
                fail ("%s with value %u (0x%x), expected %u (0x%x)", event_name (event), value,
                      value, o.refused_value, o.refused_value);
            seen++;
            if (stop_at_first)
                return seen;
        }
    }
}

/* The handshake fails: the expected event comes (within the timeout),
 * nothing is received, no handshake succeeds. */
static void run_refused (void *s, void *mon)
{
    int linger = 0;
    zmq_setsockopt (s, ZMQ_LINGER, &linger, sizeof linger);
    if (!o.bind)
        send_str (s, "let me in", "the message that must not get through");
    if (o.refused_event) {
        set_activity ("waiting for %s %u", event_name (o.refused_event), o.refused_value);
        if (watch_events (mon, o.timeout_ms, 1) == 0)
            fail ("no %s (%u) within %d ms", event_name (o.refused_event), o.refused_value,
                  o.timeout_ms);
    }
    /* Nothing arrives, nothing succeeds. */
    set_int (s, ZMQ_RCVTIMEO, "ZMQ_RCVTIMEO", 1000);
    set_activity ("making sure nothing arrives");
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    int rc = zmq_msg_recv (&msg, s, 0);
    zmq_msg_close (&msg);
    if (rc >= 0)
        fail ("received a %d-byte message although the handshake must fail", rc);
    if (errno != EAGAIN)
        fail ("zmq_msg_recv: %s", err_text ());
    watch_events (mon, 0, 0);
    printf ("refused\n");
}

static void parse_refused (const char *arg)
{
    o.expect_refused = 1;
    if (strcmp (arg, "none") == 0)
        return;
    const char *colon = strchr (arg, ':');
    if (!colon)
        usage ("--expect-refused auth:N|protocol:N|nodetail:N|none");
    if (strncmp (arg, "auth:", 5) == 0)
        o.refused_event = ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
    else if (strncmp (arg, "protocol:", 9) == 0)
        o.refused_event = ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL;
    else if (strncmp (arg, "nodetail:", 9) == 0)
        o.refused_event = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
    else
        usage ("--expect-refused auth:N|protocol:N|nodetail:N|none");
    char *end;
    o.refused_value = (uint32_t) strtoul (colon + 1, &end, 0);
    if (*end)
        usage ("--expect-refused: bad value");
}

/* Binds (and prints "<label> <ZMQ_LAST_ENDPOINT>") or connects. */
static void attach (void *s, const char *endpoint, const char *label)
{
    if (o.bind) {
        if (zmq_bind (s, endpoint) != 0)
            fail ("zmq_bind (%s): %s", endpoint, err_text ());
        char last[256];
        size_t len = sizeof last;
        if (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, last, &len) != 0)
            fail ("zmq_getsockopt (ZMQ_LAST_ENDPOINT): %s", err_text ());
        printf ("%s %s\n", label, last);
        fflush (stdout);
    } else if (zmq_connect (s, endpoint) != 0)
        fail ("zmq_connect (%s): %s", endpoint, err_text ());
}

static void pause_here (void)
{
    if (o.pause_ms > 0)
        sleep_ms (o.pause_ms);
}

/* ------------------------------------------------------------------ */
/* REQ/DEALER talking to REP/ROUTER                                    */

/* What a client puts before (and expects before) a body: DEALER talking to
 * REP adds the empty delimiter REQ would add; REQ adds it itself. */
static void client_envelope (mpart_t *m)
{
    mp_init (m);
    if (o.type == ZMQ_DEALER && o.peer_type == ZMQ_REP)
        mp_add (m, NULL, 0);
}

static void client_send (void *s, const char *tag, int k)
{
    mpart_t m, body;
    char what[80];
    client_envelope (&m);
    make_body (&body, tag, k);
    mp_append (&m, &body);
    snprintf (what, sizeof what, "request %s-%d", tag, k);
    send_mp (s, &m, what);
    mp_free (&m);
    mp_free (&body);
}

static void client_expect (void *s, const char *tag, int k)
{
    mpart_t m, body;
    char what[80];
    client_envelope (&m);
    make_body (&body, tag, k);
    mp_append (&m, &body);
    snprintf (what, sizeof what, "reply %s-%d", tag, k);
    expect_recv (s, &m, what);
    mp_free (&m);
    mp_free (&body);
}

/* REQ: lock-step rounds. DEALER: all requests pipelined, then all replies.
 * With --relaxed, a request whose reply is never waited for ("stale") is
 * followed at once by another ("fresh"): the REQ must deliver only the
 * fresh reply although the server answers both. */
static void run_client (void *s)
{
    if (o.type == ZMQ_REQ) {
        for (int k = 0; k < N_BODIES; k++) {
            if (k == N_BODIES / 2)
                pause_here ();
            client_send (s, "req", k);
            client_expect (s, "rep", k);
        }
    } else {
        for (int k = 0; k < N_BODIES; k++) {
            if (k == N_BODIES / 2)
                pause_here ();
            client_send (s, "req", k);
        }
        for (int k = 0; k < N_BODIES; k++)
            client_expect (s, "rep", k);
    }
    if (o.relaxed) {
        client_send (s, "stale", 6);
        client_send (s, "fresh", 6);
        client_expect (s, "rep-fresh", 6);
    }
}

static void run_rep (void *s)
{
    char what[80];
    for (int k = 0; k < N_BODIES; k++) {
        mpart_t m;
        if (k == N_BODIES / 2)
            pause_here ();
        make_body (&m, "req", k);
        snprintf (what, sizeof what, "request req-%d", k);
        expect_recv (s, &m, what);
        mp_free (&m);
        make_body (&m, "rep", k);
        snprintf (what, sizeof what, "reply rep-%d", k);
        send_mp (s, &m, what);
        mp_free (&m);
    }
    if (o.peer_relaxed) {
        const char *tags[2][2] = {{"stale", "rep-stale"}, {"fresh", "rep-fresh"}};
        for (int i = 0; i < 2; i++) {
            mpart_t m;
            make_body (&m, tags[i][0], 6);
            snprintf (what, sizeof what, "request %s-6", tags[i][0]);
            expect_recv (s, &m, what);
            mp_free (&m);
            make_body (&m, tags[i][1], 6);
            send_mp (s, &m, "reply");
            mp_free (&m);
        }
    }
}

/* ROUTER: the routing id every message from the peer must carry. */
static mpart_t peer_id_seen; /* first id received, all later must equal it */

static void check_routing_id (const mpart_t *got, const char *what)
{
    if (got->n < 1)
        fail ("%s: empty message", what);
    const unsigned char *id = got->data[0];
    size_t len = got->len[0];
    char desc[700];
    if (o.peer_id_auto) {
        if (len != 5 || id[0] != 0) {
            describe (got, desc, sizeof desc);
            fail ("%s: routing id should be generated by the ROUTER (5 bytes, first 0), "
                  "got %zu bytes; message %s", what, len, desc);
        }
    } else if (o.peer_id) {
        if (len != strlen (o.peer_id) || memcmp (id, o.peer_id, len) != 0) {
            describe (got, desc, sizeof desc);
            fail ("%s: routing id is not the peer's ZMQ_ROUTING_ID \"%s\"; message %s", what,
                  o.peer_id, desc);
        }
    } else if (o.peer_id_bytes > 0) {
        unsigned char want[255];
        make_id (want, o.peer_id_bytes);
        if (len != (size_t) o.peer_id_bytes || memcmp (id, want, len) != 0) {
            describe (got, desc, sizeof desc);
            fail ("%s: routing id is not the peer's %d-byte ZMQ_ROUTING_ID; message %s", what,
                  o.peer_id_bytes, desc);
        }
    } else if (len == 0)
        fail ("%s: empty routing id", what);
    if (peer_id_seen.n == 0)
        mp_add (&peer_id_seen, id, len);
    else if (len != peer_id_seen.len[0] || memcmp (id, peer_id_seen.data[0], len) != 0)
        fail ("%s: routing id changed between messages from the same peer", what);
}

/* Receives [id, (request id), "", body] from a REQ or [id, body] from a
 * DEALER, checks it against the body, and returns the envelope to reply
 * with in `env`. */
static void router_expect (void *s, const char *tag, int k, mpart_t *env)
{
    char what[80];
    mpart_t got, want, body;
    snprintf (what, sizeof what, "request %s-%d", tag, k);
    recv_mp (s, &got, what);
    check_routing_id (&got, what);
    mp_init (env);
    mp_add (env, got.data[0], got.len[0]);
    if (o.peer_type == ZMQ_REQ) {
        if (o.peer_relaxed) {
            /* ZMQ_REQ_CORRELATE puts a 4-byte request id before the
             * delimiter. */
            if (got.n < 2 || got.len[1] != 4) {
                char d[700];
                describe (&got, d, sizeof d);
                fail ("%s: expected a 4-byte request id after the routing id; got %s", what, d);
            }
            mp_add (env, got.data[1], 4);
        }
        mp_add (env, NULL, 0);
    }
    mp_init (&want);
    mp_append (&want, env);
    make_body (&body, tag, k);
    mp_append (&want, &body);
    expect_mp (&got, &want, what);
    mp_free (&got);
    mp_free (&want);
    mp_free (&body);
}

static void router_reply (void *s, const mpart_t *env, const char *tag, int k)
{
    mpart_t m, body;
    char what[80];
    mp_init (&m);
    mp_append (&m, env);
    make_body (&body, tag, k);
    mp_append (&m, &body);
    snprintf (what, sizeof what, "reply %s-%d", tag, k);
    send_mp (s, &m, what);
    mp_free (&m);
    mp_free (&body);
}

/* libzmq's ROUTER drops a message to an unknown routing id silently, and
 * with ZMQ_ROUTER_MANDATORY refuses it with EHOSTUNREACH. The peer must
 * receive neither (its checks would see an extra message). */
static void router_unknown_id (void *s)
{
    const char *ghost = "no-such-peer";
    if (zmq_send (s, ghost, strlen (ghost), ZMQ_SNDMORE) != (int) strlen (ghost)
        || zmq_send (s, "lost", 4, 0) != 4)
        fail ("ROUTER send to an unknown routing id should be dropped silently: %s",
              err_text ());
    set_int (s, ZMQ_ROUTER_MANDATORY, "ZMQ_ROUTER_MANDATORY", 1);
    errno = 0;
    int rc = zmq_send (s, ghost, strlen (ghost), ZMQ_SNDMORE);
    if (rc != -1 || errno != EHOSTUNREACH)
        fail ("ROUTER_MANDATORY send to an unknown routing id returned %d (%s), expected "
              "EHOSTUNREACH", rc, rc == -1 ? err_text () : "success");
}

static void run_router (void *s)
{
    mpart_t env[N_BODIES];
    uint32_t last_request_id = 0;
    if (o.peer_type == ZMQ_REQ) {
        for (int k = 0; k < N_BODIES; k++) {
            if (k == N_BODIES / 2)
                pause_here ();
            router_expect (s, "req", k, &env[k]);
            if (o.peer_relaxed) {
                uint32_t id;
                memcpy (&id, env[k].data[1], 4);
                if (k > 0 && id == last_request_id)
                    fail ("REQ_CORRELATE request id repeated in request req-%d", k);
                last_request_id = id;
            }
            if (k == 0)
                router_unknown_id (s);
            router_reply (s, &env[k], "rep", k);
            mp_free (&env[k]);
        }
    } else {
        for (int k = 0; k < N_BODIES; k++) {
            if (k == N_BODIES / 2)
                pause_here ();
            router_expect (s, "req", k, &env[k]);
        }
        router_unknown_id (s);
        for (int k = 0; k < N_BODIES; k++) {
            router_reply (s, &env[k], "rep", k);
            mp_free (&env[k]);
        }
    }
    if (o.peer_relaxed) {
        mpart_t stale, fresh;
        router_expect (s, "stale", 6, &stale);
        router_expect (s, "fresh", 6, &fresh);
        if (memcmp (stale.data[1], fresh.data[1], 4) == 0)
            fail ("stale and fresh requests carry the same REQ_CORRELATE request id");
        router_reply (s, &stale, "rep-stale", 6);
        router_reply (s, &fresh, "rep-fresh", 6);
        mp_free (&stale);
        mp_free (&fresh);
    }
}

/* ------------------------------------------------------------------ */
/* PUSH/PULL and PAIR                                                  */

static void seq_msg (mpart_t *m, int i)
{
    mp_init (m);
    mp_add_str (m, "seq");
    mp_add_int (m, i);
}

static void run_push (void *s)
{
    mpart_t m;
    for (int k = 0; k < N_BODIES; k++) {
        if (k == N_BODIES / 2)
            pause_here ();
        make_body (&m, "push", k);
        send_mp (s, &m, "body");
        mp_free (&m);
    }
    for (int i = 0; i < o.n_seq; i++) {
        seq_msg (&m, i);
        send_mp (s, &m, "sequence message");
        mp_free (&m);
    }
    send_str (s, "end", "end marker");
}

static void run_pull (void *s)
{
    mpart_t m;
    char what[80];
    for (int k = 0; k < N_BODIES; k++) {
        make_body (&m, "push", k);
        snprintf (what, sizeof what, "message push-%d", k);
        expect_recv (s, &m, what);
        mp_free (&m);
    }
    for (int i = 0; i < o.n_seq; i++) {
        seq_msg (&m, i);
        snprintf (what, sizeof what, "sequence message %d", i);
        expect_recv (s, &m, what);
        mp_free (&m);
    }
    expect_recv_str (s, "end", "end marker");
}

/* Both sides send all their messages first, then receive the other's,
 * then exchange "bye" (so neither exits before the other has all). */
static void run_pair (void *s)
{
    const char *mine = o.bind ? "pair-binder" : "pair-connecter";
    const char *theirs = o.bind ? "pair-connecter" : "pair-binder";
    mpart_t m;
    char what[80];
    for (int k = 0; k < N_BODIES; k++) {
        if (k == N_BODIES / 2)
            pause_here ();
        make_body (&m, mine, k);
        send_mp (s, &m, "body");
        mp_free (&m);
    }
    for (int k = 0; k < N_BODIES; k++) {
        make_body (&m, theirs, k);
        snprintf (what, sizeof what, "message %s-%d", theirs, k);
        expect_recv (s, &m, what);
        mp_free (&m);
    }
    send_str (s, mine, "bye");
    expect_recv_str (s, theirs, "bye");
}

/* ------------------------------------------------------------------ */
/* Publish/subscribe                                                   */

/* Every phase the publisher sends all these topics; the subscriber must
 * get exactly those its subscription matches, in order. */
static const char *const TOPICS[] = {"alpha", "alp",     "beta",  "alphabet", "",
                                     "Alpha", "betamax", "gamma", "alpha",    "bet"};
#define N_TOPICS ((int) (sizeof TOPICS / sizeof TOPICS[0]))

/* Subscription of each phase: phase 2 replaces alpha by beta, phase 3
 * replaces beta by everything. */
static const char *const PHASE_SUB[] = {NULL, "alpha", "beta", ""};

/* Message i of `phase` (i == N_TOPICS is the big one, phase 1 only). */
static int pub_count (int phase)
{
    return phase == 1 ? N_TOPICS + 1 : N_TOPICS;
}

static void pub_msg (mpart_t *m, int phase, int i)
{
    mpart_t body;
    char tag[16];
    mp_init (m);
    snprintf (tag, sizeof tag, "pub%d", phase);
    if (i == N_TOPICS) {
        mp_add_str (m, "alpha.big");
        make_body (&body, tag, 7);
    } else {
        mp_add_str (m, TOPICS[i]);
        make_body (&body, tag, i % 7);
    }
    mp_append (m, &body);
    mp_free (&body);
}

static int matches (const mpart_t *m, const char *sub)
{
    size_t n = strlen (sub);
    return m->len[0] >= n && memcmp (m->data[0], sub, n) == 0;
}

static void phase_marker (char *out, size_t size, int phase, const char *what)
{
    snprintf (out, size, "%s!%s", PHASE_SUB[phase], what);
}

static void publish_phase (void *s, int phase)
{
    char marker[32];
    for (int i = 0; i < pub_count (phase); i++) {
        mpart_t m;
        pub_msg (&m, phase, i);
        send_mp (s, &m, "published message");
        mp_free (&m);
    }
    phase_marker (marker, sizeof marker, phase, "end");
    send_str (s, marker, "end marker");
}

/* Receives the matching messages of `phase` after `first` (already
 * received), then the end marker. */
static void subscribe_phase_check (void *s, int phase, mpart_t *first)
{
    char what[80], marker[32];
    mpart_t got = *first; /* taken over: the caller's copy is emptied */
    mp_init (first);
    for (int i = 0; i < pub_count (phase); i++) {
        mpart_t want;
        pub_msg (&want, phase, i);
        if (!matches (&want, PHASE_SUB[phase])) {
            mp_free (&want);
            continue;
        }
        snprintf (what, sizeof what, "phase %d (subscribed to \"%s\") message %d", phase,
                  PHASE_SUB[phase], i);
        if (got.n == 0)
            recv_mp (s, &got, what);
        expect_mp (&got, &want, what);
        mp_free (&got);
        mp_free (&want);
    }
    phase_marker (marker, sizeof marker, phase, "end");
    mpart_t want;
    mp_init (&want);
    mp_add_str (&want, marker);
    snprintf (what, sizeof what, "phase %d end marker", phase);
    if (got.n == 0)
        recv_mp (s, &got, what);
    expect_mp (&got, &want, what);
    mp_free (&got);
    mp_free (&want);
}

/* The PUB cannot see subscriptions, so each phase starts with the
 * publisher repeating "<sub>!welcome<tag>" until the subscriber, having
 * received one (so its subscription is in force), says "ready <phase>" on
 * the control channel. */
static void pub_welcome (void *s, void *ctl, int phase, const char *tag)
{
    char welcome[48], ready[48];
    snprintf (welcome, sizeof welcome, "%s!welcome%s", PHASE_SUB[phase], tag);
    snprintf (ready, sizeof ready, "ready %d%s", phase, tag);
    long long deadline = now_ms () + o.timeout_ms;
    for (;;) {
        send_str (s, welcome, "welcome");
        set_activity ("repeating \"%s\" until the subscriber confirms", welcome);
        zmq_pollitem_t item = {ctl, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll (&item, 1, 10);
        if (rc < 0)
            fail ("zmq_poll on the control socket: %s", err_text ());
        if (rc > 0) {
            expect_recv_str (ctl, ready, "subscriber's ready on the control channel");
            return;
        }
        if (now_ms () > deadline)
            fail ("phase %d: the subscriber did not confirm its subscription to \"%s\" within "
                  "%d ms", phase, PHASE_SUB[phase], o.timeout_ms);
    }
}

static void sub_welcome (void *s, void *ctl, int phase, const char *tag, mpart_t *first)
{
    char welcome[48], ready[48], what[80];
    snprintf (welcome, sizeof welcome, "%s!welcome%s", PHASE_SUB[phase], tag);
    snprintf (ready, sizeof ready, "ready %d%s", phase, tag);
    snprintf (what, sizeof what, "phase %d welcome \"%s\"", phase, welcome);
    expect_recv_str (s, welcome, what);
    send_str (ctl, ready, "ready on the control channel");
    /* Skip the welcomes still in flight: the next message is the phase's
     * first real one. */
    for (;;) {
        recv_mp (s, first, "first message after the welcomes");
        if (!(first->n == 1 && first->len[0] == strlen (welcome)
              && memcmp (first->data[0], welcome, first->len[0]) == 0))
            return;
        mp_free (first);
    }
}

static void subscribe (void *s, int option, const char *topic)
{
    if (zmq_setsockopt (s, option, topic, strlen (topic)) != 0)
        fail ("zmq_setsockopt (%s, \"%s\"): %s",
              option == ZMQ_SUBSCRIBE ? "ZMQ_SUBSCRIBE" : "ZMQ_UNSUBSCRIBE", topic, err_text ());
}

static void run_pub (void *s, void *ctl)
{
    for (int phase = 1; phase <= 3; phase++) {
        if (phase == 2)
            pause_here ();
        pub_welcome (s, ctl, phase, "");
        publish_phase (s, phase);
    }
    expect_recv_str (ctl, "done", "subscriber's done on the control channel");
}

static void run_sub (void *s, void *ctl)
{
    for (int phase = 1; phase <= 3; phase++) {
        mpart_t first;
        if (phase == 2)
            pause_here ();
        if (phase > 1)
            subscribe (s, ZMQ_UNSUBSCRIBE, PHASE_SUB[phase - 1]);
        subscribe (s, ZMQ_SUBSCRIBE, PHASE_SUB[phase]);
        sub_welcome (s, ctl, phase, "", &first);
        subscribe_phase_check (s, phase, &first);
    }
    send_str (ctl, "done", "done on the control channel");
}

/* XSUB sends subscriptions as data ("\x01topic", "\x00topic"); XPUB must
 * receive exactly those frames, and also passes user messages sent
 * upstream. libzmq treats every frame of an upstream message starting with
 * 0x00/0x01 as a (un)subscription, so the upstream message avoids those
 * leading bytes. */
static void sub_frame (mpart_t *m, int subscribe_, const char *topic)
{
    mp_init (m);
    unsigned char *p = mp_add (m, NULL, 1 + strlen (topic));
    p[0] = subscribe_ ? 1 : 0;
    memcpy (p + 1, topic, strlen (topic));
}

static void upstream_msg (mpart_t *m)
{
    mp_init (m);
    mp_add_str (m, "upstream");
    mp_add_pattern (m, 255, seed_of ("up", 0, 0))[0] = 'U';
    mp_add (m, NULL, 0);
    mp_add_pattern (m, 65536, seed_of ("up", 0, 1))[0] = 'U';
}

static void xsub_send_sub (void *s, int subscribe_, const char *topic)
{
    mpart_t m;
    sub_frame (&m, subscribe_, topic);
    send_mp (s, &m, subscribe_ ? "subscription frame" : "unsubscription frame");
    mp_free (&m);
}

static void xpub_expect_sub (void *s, int subscribe_, const char *topic)
{
    mpart_t m;
    char what[80];
    sub_frame (&m, subscribe_, topic);
    snprintf (what, sizeof what, "%s frame for \"%s\"",
              subscribe_ ? "subscription" : "unsubscription", topic);
    expect_recv (s, &m, what);
    mp_free (&m);
}

static void run_xpub (void *s)
{
    mpart_t m;
    xpub_expect_sub (s, 1, "alpha");
    publish_phase (s, 1);
    pause_here ();
    xpub_expect_sub (s, 0, "alpha");
    xpub_expect_sub (s, 1, "beta");
    publish_phase (s, 2);
    upstream_msg (&m);
    expect_recv (s, &m, "user message sent upstream by the XSUB");
    mp_free (&m);
    xpub_expect_sub (s, 0, "beta");
    xpub_expect_sub (s, 1, "");
    publish_phase (s, 3);
    expect_recv_str (s, "done", "XSUB's done");
}

static void run_xsub (void *s)
{
    mpart_t first, m;
    xsub_send_sub (s, 1, "alpha");
    mp_init (&first);
    subscribe_phase_check (s, 1, &first);
    pause_here ();
    xsub_send_sub (s, 0, "alpha");
    xsub_send_sub (s, 1, "beta");
    subscribe_phase_check (s, 2, &first);
    upstream_msg (&m);
    send_mp (s, &m, "user message upstream");
    mp_free (&m);
    xsub_send_sub (s, 0, "beta");
    xsub_send_sub (s, 1, "");
    subscribe_phase_check (s, 3, &first);
    send_str (s, "done", "done");
}

/* ------------------------------------------------------------------ */
/* Reconnect test                                                      */
/*
 * DEALER (stays up, connects) and ROUTER (binds, killed and restarted):
 *   incarnation 1: RECONNECT_ROUNDS ["one", i] -> ["ack", "one", i], then
 *     ["phase1-complete"]; it then prints "waiting-to-be-killed <pid>".
 *   the DEALER sends nothing until incarnation 2, once the DEALER's
 *     connection is attached (ROUTER_MANDATORY send succeeds), sends
 *     ["hello", "second"];
 *   then RECONNECT_ROUNDS ["two", i] -> ack and ["end"]: incarnation 2 must
 *     receive exactly these, nothing before or between.
 * SUB (stays up) and PUB (killed and restarted): phase 1 of the pub/sub
 *   conversation; then the SUB's subscription must be renewed on the new
 *   connection: incarnation 2's welcomes are marked "-again".
 */

static void reconnect_msg (mpart_t *m, const char *what, int i)
{
    mp_init (m);
    mp_add_str (m, what);
    mp_add_int (m, i);
}

static void await_kill (void)
{
    set_activity ("waiting to be killed");
    printf ("waiting-to-be-killed %ld\n", (long) getpid ());
    fflush (stdout);
    sleep_ms (15000);
    fail ("was not killed by the script within 15 s");
}

static void run_reconnect_dealer (void *s)
{
    mpart_t m, want;
    char what[64];
    for (int i = 1; i <= RECONNECT_ROUNDS; i++) {
        reconnect_msg (&m, "one", i);
        send_mp (s, &m, "first-incarnation request");
        mp_free (&m);
        mp_init (&want);
        mp_add_str (&want, "ack");
        mp_add_str (&want, "one");
        mp_add_int (&want, i);
        snprintf (what, sizeof what, "ack one %d", i);
        expect_recv (s, &want, what);
        mp_free (&want);
    }
    send_str (s, "phase1-complete", "phase1-complete");
    mp_init (&want);
    mp_add_str (&want, "hello");
    mp_add_str (&want, "second");
    expect_recv (s, &want, "hello from the restarted ROUTER (after reconnecting)");
    mp_free (&want);
    for (int i = 1; i <= RECONNECT_ROUNDS; i++) {
        reconnect_msg (&m, "two", i);
        send_mp (s, &m, "second-incarnation request");
        mp_free (&m);
        mp_init (&want);
        mp_add_str (&want, "ack");
        mp_add_str (&want, "two");
        mp_add_int (&want, i);
        snprintf (what, sizeof what, "ack two %d", i);
        expect_recv (s, &want, what);
        mp_free (&want);
    }
    send_str (s, "end", "end");
}

static void router_expect_plain (void *s, const mpart_t *body, const char *what, mpart_t *id)
{
    mpart_t got, want;
    recv_mp (s, &got, what);
    check_routing_id (&got, what);
    mp_init (id);
    mp_add (id, got.data[0], got.len[0]);
    mp_init (&want);
    mp_append (&want, id);
    mp_append (&want, body);
    expect_mp (&got, &want, what);
    mp_free (&got);
    mp_free (&want);
}

static void run_reconnect_router (void *s)
{
    const char *tag = o.reconnect_server == 1 ? "one" : "two";
    mpart_t body, id, m;
    char what[96];
    if (o.reconnect_server == 2) {
        if (!o.peer_id)
            fail ("--reconnect-server 2 needs --peer-id");
        set_int (s, ZMQ_ROUTER_MANDATORY, "ZMQ_ROUTER_MANDATORY", 1);
        long long deadline = now_ms () + o.timeout_ms;
        for (;;) {
            int rc = zmq_send (s, o.peer_id, strlen (o.peer_id), ZMQ_SNDMORE);
            if (rc == (int) strlen (o.peer_id))
                break;
            if (errno != EHOSTUNREACH)
                fail ("sending hello to \"%s\": %s", o.peer_id, err_text ());
            if (now_ms () > deadline)
                fail ("the DEALER \"%s\" did not reconnect within %d ms", o.peer_id,
                      o.timeout_ms);
            sleep_ms (5);
        }
        if (zmq_send (s, "hello", 5, ZMQ_SNDMORE) != 5 || zmq_send (s, "second", 6, 0) != 6)
            fail ("sending hello: %s", err_text ());
    }
    for (int i = 1; i <= RECONNECT_ROUNDS; i++) {
        reconnect_msg (&body, tag, i);
        snprintf (what, sizeof what, "%s-incarnation request %s %d",
                  o.reconnect_server == 1 ? "first" : "second", tag, i);
        router_expect_plain (s, &body, what, &id);
        mp_free (&body);
        mp_init (&m);
        mp_append (&m, &id);
        mp_add_str (&m, "ack");
        mp_add_str (&m, tag);
        mp_add_int (&m, i);
        send_mp (s, &m, "ack");
        mp_free (&m);
        mp_free (&id);
    }
    mp_init (&body);
    mp_add_str (&body, o.reconnect_server == 1 ? "phase1-complete" : "end");
    router_expect_plain (s, &body, o.reconnect_server == 1 ? "phase1-complete" : "end", &id);
    mp_free (&body);
    mp_free (&id);
    if (o.reconnect_server == 1)
        await_kill ();
}

static void run_reconnect_sub (void *s, void *ctl)
{
    mpart_t first;
    subscribe (s, ZMQ_SUBSCRIBE, PHASE_SUB[1]);
    sub_welcome (s, ctl, 1, "", &first);
    subscribe_phase_check (s, 1, &first);
    send_str (ctl, "phase1-complete", "phase1-complete on the control channel");
    sub_welcome (s, ctl, 1, "-again", &first);
    subscribe_phase_check (s, 1, &first);
    send_str (ctl, "done", "done on the control channel");
}

static void run_reconnect_pub (void *s, void *ctl)
{
    if (o.reconnect_server == 1) {
        pub_welcome (s, ctl, 1, "");
        publish_phase (s, 1);
        expect_recv_str (ctl, "phase1-complete", "phase1-complete on the control channel");
        await_kill ();
    }
    pub_welcome (s, ctl, 1, "-again");
    publish_phase (s, 1);
    expect_recv_str (ctl, "done", "done on the control channel");
}

/* ------------------------------------------------------------------ */

static void usage (const char *why)
{
    fprintf (stderr, "peer: %s\nusage: peer TYPE bind|connect ENDPOINT --with TYPE [options]\n"
                     "(options are listed at the top of peer.c)\n", why);
    exit (2);
}

static int int_arg (int argc, char **argv, int *i)
{
    if (*i + 1 >= argc)
        usage ("option needs a value");
    char *end;
    long v = strtol (argv[++*i], &end, 10);
    if (*end)
        usage ("bad number");
    return (int) v;
}

static void parse (int argc, char **argv)
{
    if (argc < 4)
        usage ("too few arguments");
    o.type_name = argv[1];
    o.type = type_of (argv[1]);
    if (o.type < 0)
        usage ("unknown socket type");
    if (strcmp (argv[2], "bind") == 0)
        o.bind = 1;
    else if (strcmp (argv[2], "connect") != 0)
        usage ("second argument must be bind or connect");
    o.endpoint = argv[3];
    o.timeout_ms = 5000;
    o.peer_type = -1;
    o.n_seq = N_SEQ;
    o.hwm = -1;
    for (int i = 4; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp (a, "--with") == 0 && i + 1 < argc) {
            o.peer_name = argv[++i];
            o.peer_type = type_of (o.peer_name);
        } else if (strcmp (a, "--hb") == 0 && i + 1 < argc) {
            if (sscanf (argv[++i], "%d:%d:%d", &o.hb_ivl, &o.hb_timeout, &o.hb_ttl) < 2)
                usage ("--hb IVL:TIMEOUT[:TTL]");
        } else if (strcmp (a, "--pause") == 0)
            o.pause_ms = int_arg (argc, argv, &i);
        else if (strcmp (a, "--big") == 0)
            o.big = 1;
        else if (strcmp (a, "--id") == 0 && i + 1 < argc)
            o.id = argv[++i];
        else if (strcmp (a, "--id-bytes") == 0)
            o.id_bytes = int_arg (argc, argv, &i);
        else if (strcmp (a, "--peer-id") == 0 && i + 1 < argc) {
            o.peer_id = argv[++i];
            if (strcmp (o.peer_id, "auto") == 0) {
                o.peer_id = NULL;
                o.peer_id_auto = 1;
            }
        } else if (strcmp (a, "--peer-id-bytes") == 0)
            o.peer_id_bytes = int_arg (argc, argv, &i);
        else if (strcmp (a, "--relaxed") == 0)
            o.relaxed = 1;
        else if (strcmp (a, "--peer-relaxed") == 0)
            o.peer_relaxed = 1;
        else if (strcmp (a, "--control") == 0 && i + 1 < argc)
            o.control = argv[++i];
        else if (strcmp (a, "--reconnect-ivl") == 0)
            o.reconnect_ivl = int_arg (argc, argv, &i);
        else if (strcmp (a, "--timeout") == 0)
            o.timeout_ms = int_arg (argc, argv, &i);
        else if (strcmp (a, "--reconnect-client") == 0)
            o.reconnect_client = 1;
        else if (strcmp (a, "--reconnect-server") == 0)
            o.reconnect_server = int_arg (argc, argv, &i);
        else if (strcmp (a, "--big-size") == 0)
            o.big_size = (size_t) int_arg (argc, argv, &i);
        else if (strcmp (a, "--seq") == 0)
            o.n_seq = int_arg (argc, argv, &i);
        else if (strcmp (a, "--hwm") == 0)
            o.hwm = int_arg (argc, argv, &i);
        else if (strcmp (a, "--plain-server") == 0)
            o.plain_server = 1;
        else if (strcmp (a, "--plain-user") == 0 && i + 1 < argc) {
            const char *arg = argv[++i];
            const char *colon = strchr (arg, ':');
            if (!colon || colon == arg || !colon[1] || colon - arg > 255 || strlen (colon + 1) > 255)
                usage ("--plain-user USER:PASSWORD");
            snprintf (o.plain_user, sizeof o.plain_user, "%.*s", (int) (colon - arg), arg);
            snprintf (o.plain_pass, sizeof o.plain_pass, "%s", colon + 1);
        } else if (strcmp (a, "--curve-server") == 0 && i + 1 < argc)
            o.curve_server_secret = argv[++i];
        else if (strcmp (a, "--curve-client") == 0 && i + 1 < argc)
            o.curve_server_key = argv[++i];
        else if (strcmp (a, "--curve-public") == 0 && i + 1 < argc)
            o.curve_public = argv[++i];
        else if (strcmp (a, "--curve-secret") == 0 && i + 1 < argc)
            o.curve_secret = argv[++i];
        else if (strcmp (a, "--zap-domain") == 0 && i + 1 < argc)
            o.zap_domain = argv[++i];
        else if (strcmp (a, "--zap") == 0 && i + 1 < argc)
            o.zap_mode = argv[++i];
        else if (strcmp (a, "--expect-user-id") == 0 && i + 1 < argc)
            o.expect_user_id = argv[++i];
        else if (strcmp (a, "--expect-refused") == 0 && i + 1 < argc)
            parse_refused (argv[++i]);
        else
            usage ("unknown option");
    }
    if (o.peer_type < 0)
        usage ("--with TYPE is required");
    if (o.id_bytes < 0 || o.id_bytes > 255 || o.peer_id_bytes < 0 || o.peer_id_bytes > 255)
        usage ("routing ids have 1 to 255 bytes");
    snprintf (me, sizeof me, "%s/%s", o.type_name, o.bind ? "bind" : "connect");
}

#define PAIR_OF(a, b) ((a) * 100 + (b))

int main (int argc, char **argv)
{
    if (argc == 2 && strcmp (argv[1], "--keypair") == 0) {
        char public_[41], secret[41];
        if (zmq_curve_keypair (public_, secret) != 0) {
            fprintf (stderr, "peer: zmq_curve_keypair: %s\n", zmq_strerror (errno));
            return 1;
        }
        printf ("%s %s\n", public_, secret);
        return 0;
    }
    parse (argc, argv);
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = on_sigterm;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGTERM, &sa, NULL);
    set_activity ("setting up the socket");
    ctx = zmq_ctx_new ();
    if (!ctx)
        fail ("zmq_ctx_new: %s", err_text ());
    if (o.zap_mode)
        zap_start ();
    void *s = make_socket (o.type, 1);
    void *mon = NULL;
    if (o.expect_refused) {
        if (zmq_socket_monitor (s, "inproc://peer-monitor",
                                ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                                  | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                                  | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
            != 0)
            fail ("zmq_socket_monitor: %s", err_text ());
        mon = zmq_socket (ctx, ZMQ_PAIR);
        int linger = 0;
        zmq_setsockopt (mon, ZMQ_LINGER, &linger, sizeof linger);
        if (zmq_connect (mon, "inproc://peer-monitor") != 0)
            fail ("connecting the monitor: %s", err_text ());
    }
    attach (s, o.endpoint, "endpoint");
    void *ctl = NULL;
    int pubsub = o.type == ZMQ_PUB || o.type == ZMQ_SUB;
    if (pubsub) {
        if (!o.control)
            fail ("PUB/SUB needs --control ENDPOINT");
        ctl = make_socket (o.type == ZMQ_PUB ? ZMQ_PULL : ZMQ_PUSH, 0);
        attach (ctl, o.control, "control");
    }

    if (o.expect_refused)
        run_refused (s, mon);
    else if (o.reconnect_client || o.reconnect_server) {
        if (o.type == ZMQ_DEALER && o.reconnect_client)
            run_reconnect_dealer (s);
        else if (o.type == ZMQ_ROUTER && o.reconnect_server)
            run_reconnect_router (s);
        else if (o.type == ZMQ_SUB && o.reconnect_client)
            run_reconnect_sub (s, ctl);
        else if (o.type == ZMQ_PUB && o.reconnect_server)
            run_reconnect_pub (s, ctl);
        else
            usage ("reconnect test: DEALER/SUB client, ROUTER/PUB server");
    } else
        switch (PAIR_OF (o.type, o.peer_type)) {
            case PAIR_OF (ZMQ_REQ, ZMQ_REP):
            case PAIR_OF (ZMQ_REQ, ZMQ_ROUTER):
            case PAIR_OF (ZMQ_DEALER, ZMQ_REP):
            case PAIR_OF (ZMQ_DEALER, ZMQ_ROUTER):
                run_client (s);
                break;
            case PAIR_OF (ZMQ_REP, ZMQ_REQ):
            case PAIR_OF (ZMQ_REP, ZMQ_DEALER):
                run_rep (s);
                break;
            case PAIR_OF (ZMQ_ROUTER, ZMQ_REQ):
            case PAIR_OF (ZMQ_ROUTER, ZMQ_DEALER):
                run_router (s);
                break;
            case PAIR_OF (ZMQ_PUB, ZMQ_SUB):
                run_pub (s, ctl);
                break;
            case PAIR_OF (ZMQ_SUB, ZMQ_PUB):
                run_sub (s, ctl);
                break;
            case PAIR_OF (ZMQ_XPUB, ZMQ_XSUB):
                run_xpub (s);
                break;
            case PAIR_OF (ZMQ_XSUB, ZMQ_XPUB):
                run_xsub (s);
                break;
            case PAIR_OF (ZMQ_PUSH, ZMQ_PULL):
                run_push (s);
                break;
            case PAIR_OF (ZMQ_PULL, ZMQ_PUSH):
                run_pull (s);
                break;
            case PAIR_OF (ZMQ_PAIR, ZMQ_PAIR):
                run_pair (s);
                break;
            default:
                usage ("no conversation defined for this pair of socket types");
        }

    set_activity ("closing (lingering until sent messages are out)");
    if (mon) {
        /* Stopped before its reader goes (libzmq would wait for ever). */
        zmq_socket_monitor (s, NULL, 0);
        zmq_close (mon);
    }
    if (zmq_close (s) != 0)
        fail ("zmq_close: %s", err_text ());
    if (ctl && zmq_close (ctl) != 0)
        fail ("zmq_close (control): %s", err_text ());
    if (o.zap_mode) {
        set_activity ("stopping the ZAP handler");
        zap_finish ();
    }
    if (zmq_ctx_term (ctx) != 0)
        fail ("zmq_ctx_term: %s", err_text ());
    mp_free (&peer_id_seen);
    printf ("ok\n");
    return 0;
}
