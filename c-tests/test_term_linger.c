/* Context termination: blocked calls in other threads return ETERM at
 * once, later calls too, zmq_ctx_term waits for every socket to close,
 * and messages sent before a close are still delivered. */
#include "testutil.h"
#include <pthread.h>
#include <unistd.h>

static void *ctx;
static char endpoint[64];

static void *blocked_receiver (void *socket)
{
    char buf[8];
    static int result[2];
    result[0] = zmq_recv (socket, buf, sizeof buf, 0);
    result[1] = errno;
    /* Later calls fail the same way; closing still works. */
    int again = zmq_send (socket, "x", 1, ZMQ_DONTWAIT);
    result[1] = result[1] == ETERM && again == -1 && errno == ETERM ? ETERM : -1;
    zmq_close (socket);
    return result;
}

static void *late_closer (void *socket)
{
    usleep (100000);
    zmq_close (socket);
    return NULL;
}

/* The send-then-close idiom over tcp: a REP sends its last reply and at
 * once closes with ZMQ_LINGER 0. What the connection could take at once
 * goes out (libzmq's I/O thread has it by then); only what could not
 * reach the wire is dropped. Returns the replies lost in `rounds`. */
static int replies_lost_at_linger_zero (int rounds)
{
    void *tcp_ctx = zmq_ctx_new ();
    int lost = 0;
    for (int i = 0; i < rounds; i++) {
        void *rep = zmq_socket (tcp_ctx, ZMQ_REP);
        void *req = zmq_socket (tcp_ctx, ZMQ_REQ);
        set_int (req, ZMQ_LINGER, 0);
        set_int (req, ZMQ_RCVTIMEO, 5000);
        set_int (rep, ZMQ_RCVTIMEO, 5000);
        char tcp[64];
        size_t len = sizeof tcp;
        if (zmq_bind (rep, "tcp://127.0.0.1:*") != 0
            || zmq_getsockopt (rep, ZMQ_LAST_ENDPOINT, tcp, &len) != 0
            || zmq_connect (req, tcp) != 0) {
            lost++;
            zmq_close (rep);
            zmq_close (req);
            continue;
        }
        char buf[16];
        for (int trip = 0; trip < 10; trip++) {
            zmq_send (req, "ask", 3, 0);
            zmq_recv (rep, buf, sizeof buf, 0);
            zmq_send (rep, "answer", 6, 0);
            if (trip == 9) {
                set_int (rep, ZMQ_LINGER, 0);
                zmq_close (rep);
            }
            if (zmq_recv (req, buf, sizeof buf, 0) != 6)
                lost++;
        }
        zmq_close (req);
    }
    zmq_ctx_term (tcp_ctx);
    return lost;
}

int main (void)
{
    ctx = zmq_ctx_new ();
    REQUIRE (ctx != NULL);

    CHECK_EQ_INT (replies_lost_at_linger_zero (scaled (200)), 0);

    /* A message sent before the sender closes is still delivered. */
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    CHECK_EQ_INT (bind_inproc (pull, endpoint, sizeof endpoint), 0);
    CHECK_EQ_INT (zmq_connect (push, endpoint), 0);
    CHECK_EQ_INT (zmq_send (push, "last", 4, 0), 4);
    CHECK_EQ_INT (zmq_close (push), 0);
    char buf[8];
    CHECK_EQ_INT (zmq_recv (pull, buf, sizeof buf, 0), 4);
    /* Even with ZMQ_LINGER 0: over inproc, sent means delivered. */
    push = zmq_socket (ctx, ZMQ_PUSH);
    CHECK_EQ_INT (set_int (push, ZMQ_LINGER, 0), 0);
    CHECK_EQ_INT (zmq_connect (push, endpoint), 0);
    CHECK_EQ_INT (zmq_send (push, "sig", 3, 0), 3);
    CHECK_EQ_INT (zmq_close (push), 0);
    CHECK_EQ_INT (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT), 3);
    CHECK_EQ_INT (zmq_close (pull), 0);

    /* Termination wakes a receiver blocked in another thread. */
    void *waiting = zmq_socket (ctx, ZMQ_PULL);
    CHECK_EQ_INT (bind_inproc (waiting, endpoint, sizeof endpoint), 0);
    pthread_t thread;
    pthread_create (&thread, NULL, blocked_receiver, waiting);
    usleep (50000);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    int *result;
    pthread_join (thread, (void **) &result);
    CHECK_EQ_INT (result[0], -1);
    CHECK_EQ_INT (result[1], ETERM);

    /* zmq_ctx_term waits until a socket of another thread is closed;
     * zmq_ctx_shutdown makes new sockets fail with ETERM. */
    ctx = zmq_ctx_new ();
    void *open_socket = zmq_socket (ctx, ZMQ_PAIR);
    pthread_create (&thread, NULL, late_closer, open_socket);
    void *watch = zmq_stopwatch_start ();
    CHECK_EQ_INT (zmq_ctx_shutdown (ctx), 0);
    CHECK_ERRNO (zmq_socket (ctx, ZMQ_PAIR) == NULL, ETERM);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    CHECK (zmq_stopwatch_stop (watch) >= 50000);
    pthread_join (thread, NULL);
    return test_result ("term_linger");
}
