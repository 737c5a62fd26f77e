/* What the security tests share (test_security_*.c): the events they
 * watch, how long they wait, fresh tcp and ipc endpoints, sockets that
 * never block a test for long, the address a ZAP handler is told, frame
 * and byte helpers, and the ZAP handler itself. Each test sets `ctx` and
 * `ipc_dir` in main. */
#ifndef TESTSEC_H
#define TESTSEC_H

#include "testnet.h"

#include <pthread.h>

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93 /* draft in libzmq's zmq.h */
#endif

#define EVENT_MS 10000 /* an event that must come comes within this */
#define QUIET_MS 300   /* after the verdict, nothing else may happen in this */
#define HANDSHAKE_EVENTS                                                       \
    (ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL          \
     | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

static void *ctx;
static char ipc_dir[64];
static int ipc_counter;

static inline int bind_fresh (void *s, const char *transport, char *endpoint, size_t size)
{
    char spec[128];
    if (strcmp (transport, "tcp") == 0)
        snprintf (spec, sizeof spec, "tcp://127.0.0.1:*");
    else
        snprintf (spec, sizeof spec, "ipc://%s/%d.sock", ipc_dir, ++ipc_counter);
    if (zmq_bind (s, spec) != 0)
        return -1;
    size_t len = size;
    return zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, endpoint, &len);
}

static inline void *new_socket (int type)
{
    void *s = zmq_socket (ctx, type);
    set_int (s, ZMQ_LINGER, 0);
    set_int (s, ZMQ_RCVTIMEO, 5000);
    set_int (s, ZMQ_SNDTIMEO, 5000);
    return s;
}

/* What libzmq gives as a peer's address: the IP over tcp; over ipc
 * "localhost:<uid>:<gid>:<pid>" of the peer process (SO_PEERCRED), here
 * this process. */
static inline void peer_address (const char *transport, char *out, size_t size)
{
    if (strcmp (transport, "tcp") == 0)
        snprintf (out, size, "127.0.0.1");
    else
        snprintf (out, size, "localhost:%d:%d:%d", (int) getuid (), (int) getgid (),
                  (int) getpid ());
}

static inline int frame_is (zmq_msg_t *f, const char *text)
{
    return zmq_msg_size (f) == strlen (text) && memcmp (zmq_msg_data (f), text, strlen (text)) == 0;
}

/* ---- The ZAP handler ----------------------------------------------------
 * A thread answering at inproc://zeromq.zap.01 (RFC 27). It checks what
 * every request must carry: version 1.0, a request id, the domain, peer
 * address, routing id and mechanism the test expects, and as many
 * credentials as the mechanism has. The verdict is the test's: its judge
 * sees the request and fills in the reply. What is wrong with a request
 * is counted, and fails the test in zap_stop. */

/* A reply; zeros give 200 with the right version and request id, no
 * user id and no metadata. The other fields break it on purpose. */
typedef struct {
    const char *status;   /* NULL: "200" */
    const char *text;     /* NULL: "" */
    char user_id[64];
    const void *metadata; /* a property list of metadata_size bytes */
    size_t metadata_size;
    const char *version;  /* NULL: "1.0" */
    int wrong_request_id; /* answer a request id that was never asked */
    int frames;           /* 0: RFC 27's 6; fewer or more are malformed */
} zap_reply_t;

typedef struct zap zap_t;

/* Decides on a request, on the handler's thread. `request` holds its
 * frames: version, request id, domain, address, routing id, mechanism,
 * then the mechanism's credentials (PLAIN: username and password; CURVE:
 * the client's public key); `reply` starts as all zeros. */
typedef void zap_judge_fn (zap_t *z, zmq_msg_t *request, zap_reply_t *reply);

struct zap {
    /* What every request must carry. */
    char mechanism[16], domain[64], address[128], routing_id[64];
    zap_judge_fn *judge;
    void *state; /* the test's, for its judge */
    /* Results, read once zap_stop has joined the thread. */
    int requests;
    int accepted; /* answered 200 */
    int bad;
    char problem[512];
    /* Internals. */
    void *sock;
    pthread_t thread;
    int stop;
};

/* Records what is wrong with a request (the first one is reported). */
static inline void zap_problem (zap_t *z, const char *text)
{
    z->bad++;
    if (!z->problem[0])
        snprintf (z->problem, sizeof z->problem, "%s", text);
}

/* Checks the request's frames against the expectations; returns 1 when
 * there are as many as the mechanism needs (the judge may read them). */
static inline int zap_check (zap_t *z, zmq_msg_t *f, int n)
{
    int credentials = strcmp (z->mechanism, "NULL") == 0    ? 0
                      : strcmp (z->mechanism, "PLAIN") == 0 ? 2
                                                            : 1;
    char text[400];
    if (n != 6 + credentials) {
        snprintf (text, sizeof text, "request has %d frames, expected %d", n, 6 + credentials);
        zap_problem (z, text);
        return 0;
    }
    const char *what[] = {"version", "request id", "domain", "address", "routing id",
                          "mechanism"};
    const char *want[] = {"1.0", NULL, z->domain, z->address, z->routing_id, z->mechanism};
    for (int i = 0; i < 6; i++) {
        int len = (int) zmq_msg_size (&f[i]);
        if (i == 1 ? len == 0 : !frame_is (&f[i], want[i])) {
            snprintf (text, sizeof text, "%s frame is \"%.*s\", expected \"%s\"", what[i],
                      len < 200 ? len : 200, (char *) zmq_msg_data (&f[i]),
                      want[i] ? want[i] : "(not empty)");
            zap_problem (z, text);
        }
    }
    return 1;
}

/* A frame holding a copy of `data`: the handler's buffers do not outlive
 * the send, and inproc may hand the message on without copying. */
static inline void zap_frame (zmq_msg_t *m, const void *data, size_t size)
{
    zmq_msg_init_size (m, size);
    if (size)
        memcpy (zmq_msg_data (m), data, size);
}

/* Sends `r` for the request with id `id` (NULL: a request without one). */
static inline void zap_send_reply (zap_t *z, const zap_reply_t *r, zmq_msg_t *id)
{
    const char *version = r->version ? r->version : "1.0";
    const char *status = r->status ? r->status : "200";
    const char *text = r->text ? r->text : "";
    int frames = r->frames ? r->frames : 6;
    zmq_msg_t reply[7];
    zap_frame (&reply[0], version, strlen (version));
    if (r->wrong_request_id || !id)
        zap_frame (&reply[1], "no-such-request", 15);
    else {
        zmq_msg_init (&reply[1]);
        zmq_msg_copy (&reply[1], id);
    }
    zap_frame (&reply[2], status, strlen (status));
    zap_frame (&reply[3], text, strlen (text));
    zap_frame (&reply[4], r->user_id, strlen (r->user_id));
    zap_frame (&reply[5], r->metadata, r->metadata_size);
    zmq_msg_init (&reply[6]); /* only sent when a test asks for 7 frames */
    for (int i = 0; i < 7; i++) {
        if (i < frames)
            zmq_msg_send (&reply[i], z->sock, i + 1 < frames ? ZMQ_SNDMORE : 0);
        zmq_msg_close (&reply[i]);
    }
    if (strcmp (status, "200") == 0)
        z->accepted++;
}

static inline void *zap_main (void *arg)
{
    zap_t *z = arg;
    /* Polled, so that zap_stop's flag is seen within 20 ms. */
    while (!__atomic_load_n (&z->stop, __ATOMIC_ACQUIRE)) {
        zmq_pollitem_t item = {z->sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll (&item, 1, 20) <= 0)
            continue;
        zmq_msg_t f[10];
        int n = 0, more = 1;
        while (more) {
            zmq_msg_t part;
            zmq_msg_init (&part);
            if (zmq_msg_recv (&part, z->sock, 0) < 0) {
                zmq_msg_close (&part);
                break;
            }
            more = zmq_msg_more (&part);
            if (n < 10)
                f[n++] = part;
            else
                zmq_msg_close (&part);
        }
        z->requests++;
        zap_reply_t reply;
        memset (&reply, 0, sizeof reply);
        if (zap_check (z, f, n))
            z->judge (z, f, &reply);
        else
            reply.status = "400";
        zap_send_reply (z, &reply, n >= 2 ? &f[1] : NULL);
        for (int i = 0; i < n; i++)
            zmq_msg_close (&f[i]);
    }
    return NULL;
}

/* Binds the handler and starts its thread: it expects requests about
 * `mechanism` peers over `transport`, from a socket with routing id
 * `routing_id` ("" for none) in domain `domain` ("" for none), and lets
 * `judge` answer them, with `state` at hand. */
static inline int zap_start (zap_t *z, const char *mechanism, const char *transport,
                             const char *domain, const char *routing_id, zap_judge_fn *judge,
                             void *state)
{
    memset (z, 0, sizeof *z);
    snprintf (z->mechanism, sizeof z->mechanism, "%s", mechanism);
    snprintf (z->domain, sizeof z->domain, "%s", domain);
    peer_address (transport, z->address, sizeof z->address);
    snprintf (z->routing_id, sizeof z->routing_id, "%s", routing_id);
    z->judge = judge;
    z->state = state;
    z->sock = zmq_socket (ctx, ZMQ_REP);
    set_int (z->sock, ZMQ_LINGER, 0);
    if (zmq_bind (z->sock, "inproc://zeromq.zap.01") != 0) {
        zmq_close (z->sock);
        return -1;
    }
    pthread_create (&z->thread, NULL, zap_main, z);
    return 0;
}

/* Stops the thread and unbinds (at once: the next test may bind again);
 * a bad request fails the test. */
static inline void zap_stop (zap_t *z)
{
    __atomic_store_n (&z->stop, 1, __ATOMIC_RELEASE);
    pthread_join (z->thread, NULL);
    CHECK_EQ_INT (zmq_unbind (z->sock, "inproc://zeromq.zap.01"), 0);
    zmq_close (z->sock);
    if (z->bad)
        fprintf (stderr, "ZAP handler: %d bad request(s), first: %s\n", z->bad, z->problem);
    CHECK_EQ_INT (z->bad, 0);
}

#endif
