/* The thread-safe socket types that a stable libzmq 4.3 creates from their
 * numbers (zmq.h names them only under the draft API): CLIENT and SERVER,
 * SCATTER and GATHER, CHANNEL. Each reads ZMQ_THREAD_SAFE 1 and has no
 * ZMQ_FD (EINVAL); ZMQ_SNDMORE is EINVAL and sends nothing; single-part
 * messages cross inproc, tcp and ipc; a SERVER asked to send to no routing
 * id answers EHOSTUNREACH; and 8 threads sending on one socket while 8
 * threads receive on its peer lose nothing and repeat nothing. Runs against
 * the system libzmq too (REFERENCE=1), over inproc only: a stable libzmq
 * 4.3 build has no ZMTP names for these types and aborts the process in
 * the handshake of a tcp or ipc connection (mechanism.cpp:118). */
#include "testnet.h"

#include <pthread.h>
#include <unistd.h>

enum { T_SERVER = 12, T_CLIENT = 13, T_GATHER = 16, T_SCATTER = 17, T_CHANNEL = 20 };
enum { THREADS = 8 };

static void *ctx;

static void properties (void)
{
    const int types[] = {T_SERVER, T_CLIENT, T_GATHER, T_SCATTER, T_CHANNEL};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        void *s = zmq_socket (ctx, types[i]);
        CHECK (s != NULL);
        if (!s)
            continue;
        CHECK_EQ_INT (get_int (s, ZMQ_TYPE), types[i]);
        CHECK_EQ_INT (get_int (s, ZMQ_THREAD_SAFE), 1);
        int fd;
        size_t len = sizeof fd;
        CHECK_ERRNO (zmq_getsockopt (s, ZMQ_FD, &fd, &len), EINVAL);
        CHECK_EQ_INT (get_int (s, ZMQ_EVENTS) & ZMQ_POLLIN, 0);
        CHECK_EQ_INT (zmq_close (s), 0);
    }
    /* The classic types are not. */
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    CHECK_EQ_INT (get_int (dealer, ZMQ_THREAD_SAFE), 0);
    zmq_close (dealer);
}

/* One message from `from` to `to`, checked. */
static void one_way (void *from, void *to, const char *body)
{
    CHECK_EQ_INT (zmq_send (from, body, strlen (body), 0), (int) strlen (body));
    char buf[64] = {0};
    CHECK_EQ_INT (zmq_recv (to, buf, sizeof buf - 1, 0), (int) strlen (body));
    CHECK_STR (buf, body);
}

static void pairs_on (const char *transport)
{
    char endpoint[256];
    const int pairs[][2] = {{T_SERVER, T_CLIENT}, {T_GATHER, T_SCATTER}, {T_CHANNEL, T_CHANNEL}};
    for (size_t i = 0; i < 3; i++) {
        void *bound = zmq_socket (ctx, pairs[i][0]);
        void *connected = zmq_socket (ctx, pairs[i][1]);
        set_int (bound, ZMQ_RCVTIMEO, 5000);
        set_int (connected, ZMQ_RCVTIMEO, 5000);
        set_int (bound, ZMQ_LINGER, 0);
        set_int (connected, ZMQ_LINGER, 0);
        CHECK_EQ_INT (bind_transport (bound, transport, endpoint, sizeof endpoint), 0);
        CHECK_EQ_INT (zmq_connect (connected, endpoint), 0);
        /* ZMQ_SNDMORE: refused, and what was refused is never sent. */
        CHECK_ERRNO (zmq_send (connected, "part", 4, ZMQ_SNDMORE) == -1, EINVAL);
        one_way (connected, bound, "first");
        one_way (connected, bound, "");
        if (pairs[i][0] == T_CHANNEL)
            one_way (bound, connected, "back");
        if (pairs[i][0] == T_SERVER) {
            /* No routing id in the message names no peer. */
            CHECK_ERRNO (zmq_send (bound, "x", 1, ZMQ_DONTWAIT) == -1, EHOSTUNREACH);
            CHECK_EQ_INT (get_int (bound, ZMQ_EVENTS) & ZMQ_POLLOUT, ZMQ_POLLOUT);
        }
        /* Nothing else arrived. */
        char buf[16];
        CHECK_ERRNO (zmq_recv (bound, buf, sizeof buf, ZMQ_DONTWAIT) == -1, EAGAIN);
        CHECK_EQ_INT (zmq_close (connected), 0);
        CHECK_EQ_INT (zmq_close (bound), 0);
    }
}

/* ---- 8 threads on each side ------------------------------------------ */

static int per_thread;
static void *sending;
static void *receiving;
static unsigned char *seen; /* [THREADS * per_thread] */
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static int duplicates, strays, send_errors, recv_errors;

static void *sender (void *arg)
{
    int id = (int) (intptr_t) arg;
    for (int seq = 0; seq < per_thread; seq++) {
        char body[32];
        int len = snprintf (body, sizeof body, "%d:%d", id, seq);
        if (zmq_send (sending, body, (size_t) len, 0) != len) {
            __atomic_fetch_add (&send_errors, 1, __ATOMIC_RELAXED);
            return NULL;
        }
    }
    return NULL;
}

static void *receiver (void *arg)
{
    (void) arg;
    for (;;) {
        char body[32] = {0};
        int len = zmq_recv (receiving, body, sizeof body - 1, 0);
        if (len < 0) {
            __atomic_fetch_add (&recv_errors, 1, __ATOMIC_RELAXED);
            return NULL;
        }
        if (strcmp (body, "stop") == 0)
            return NULL;
        int id, seq;
        if (sscanf (body, "%d:%d", &id, &seq) != 2 || id < 0 || id >= THREADS || seq < 0
            || seq >= per_thread) {
            __atomic_fetch_add (&strays, 1, __ATOMIC_RELAXED);
            continue;
        }
        pthread_mutex_lock (&seen_lock);
        if (seen[id * per_thread + seq]++)
            duplicates++;
        pthread_mutex_unlock (&seen_lock);
    }
}

static void many_threads (int send_type, int recv_type, const char *transport)
{
    char endpoint[256];
    receiving = zmq_socket (ctx, recv_type);
    sending = zmq_socket (ctx, send_type);
    set_int (receiving, ZMQ_RCVTIMEO, 20000);
    set_int (sending, ZMQ_SNDTIMEO, 20000);
    set_int (sending, ZMQ_SNDHWM, 50); /* senders block now and then */
    set_int (receiving, ZMQ_RCVHWM, 50);
    CHECK_EQ_INT (bind_transport (receiving, transport, endpoint, sizeof endpoint), 0);
    CHECK_EQ_INT (zmq_connect (sending, endpoint), 0);
    per_thread = scaled (2000);
    seen = calloc ((size_t) (THREADS * per_thread), 1);
    duplicates = strays = send_errors = recv_errors = 0;

    pthread_t senders[THREADS], receivers[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create (&receivers[i], NULL, receiver, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_create (&senders[i], NULL, sender, (void *) (intptr_t) i);
    for (int i = 0; i < THREADS; i++)
        pthread_join (senders[i], NULL);
    /* Every message went first; one stop for each receiver follows them
     * down the same connection. */
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ_INT (zmq_send (sending, "stop", 4, 0), 4);
    for (int i = 0; i < THREADS; i++)
        pthread_join (receivers[i], NULL);

    int missing = 0;
    for (int i = 0; i < THREADS * per_thread; i++)
        missing += seen[i] == 0;
    CHECK_EQ_INT (send_errors, 0);
    CHECK_EQ_INT (recv_errors, 0);
    CHECK_EQ_INT (missing, 0);
    CHECK_EQ_INT (duplicates, 0);
    CHECK_EQ_INT (strays, 0);
    if (missing || duplicates || recv_errors || send_errors)
        fprintf (stderr, "  %d -> %d over %s\n", send_type, recv_type, transport);
    free (seen);
    set_int (sending, ZMQ_LINGER, 0);
    zmq_close (sending);
    zmq_close (receiving);
}

int main (void)
{
    ctx = zmq_ctx_new ();
    REQUIRE (ctx);
    properties ();
    pairs_on ("inproc");
    many_threads (T_SCATTER, T_GATHER, "inproc");
#ifdef REFERENCE_LIBZMQ
    many_threads (T_CLIENT, T_SERVER, "inproc");
    many_threads (T_CHANNEL, T_CHANNEL, "inproc");
#else
    pairs_on ("tcp");
    pairs_on ("ipc");
    many_threads (T_CLIENT, T_SERVER, "tcp");
    many_threads (T_CHANNEL, T_CHANNEL, "ipc");
#endif
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("test_thread_safe_types");
}
