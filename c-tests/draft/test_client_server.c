/* CLIENT and SERVER through the draft API: a SERVER learns each client's
 * routing id from zmq_msg_routing_id and answers it with
 * zmq_msg_set_routing_id, over inproc, tcp and ipc; a routing id no peer
 * has is EHOSTUNREACH and one of a peer that left too; and one SERVER
 * answering from 8 threads at once while 8 threads on one CLIENT ask
 * gets every answer back to the right asker, once. */
#include "testnet.h"

#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

enum { THREADS = 8 };

static void *ctx;

/* Receives one message on a SERVER: its body in `buf`, its routing id. */
static uint32_t recv_from (void *server, char *buf, size_t size)
{
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    if (zmq_msg_recv (&msg, server, 0) < 0) {
        zmq_msg_close (&msg);
        return 0;
    }
    size_t len = zmq_msg_size (&msg) < size - 1 ? zmq_msg_size (&msg) : size - 1;
    memcpy (buf, zmq_msg_data (&msg), len);
    buf[len] = 0;
    uint32_t id = zmq_msg_routing_id (&msg);
    zmq_msg_close (&msg);
    return id;
}

static int send_to (void *server, uint32_t id, const char *body, int flags)
{
    zmq_msg_t msg;
    zmq_msg_init_size (&msg, strlen (body));
    memcpy (zmq_msg_data (&msg), body, strlen (body));
    if (zmq_msg_set_routing_id (&msg, id) != 0 || zmq_msg_send (&msg, server, flags) < 0) {
        int saved = errno;
        zmq_msg_close (&msg);
        errno = saved;
        return -1;
    }
    return 0;
}

static void answers_on (const char *transport)
{
    char endpoint[256], buf[64];
    void *server = zmq_socket (ctx, ZMQ_SERVER);
    void *a = zmq_socket (ctx, ZMQ_CLIENT);
    void *b = zmq_socket (ctx, ZMQ_CLIENT);
    set_int (server, ZMQ_RCVTIMEO, 5000);
    set_int (a, ZMQ_RCVTIMEO, 5000);
    set_int (b, ZMQ_RCVTIMEO, 5000);
    CHECK_EQ_INT (bind_transport (server, transport, endpoint, sizeof endpoint), 0);
    CHECK_EQ_INT (zmq_connect (a, endpoint), 0);
    CHECK_EQ_INT (zmq_connect (b, endpoint), 0);

    CHECK_EQ_INT (zmq_send (a, "from a", 6, 0), 6);
    uint32_t id_a = recv_from (server, buf, sizeof buf);
    CHECK_STR (buf, "from a");
    CHECK_EQ_INT (zmq_send (b, "from b", 6, 0), 6);
    uint32_t id_b = recv_from (server, buf, sizeof buf);
    CHECK_STR (buf, "from b");
    CHECK (id_a != 0 && id_b != 0 && id_a != id_b);

    CHECK_EQ_INT (send_to (server, id_b, "to b", 0), 0);
    CHECK_EQ_INT (send_to (server, id_a, "to a", 0), 0);
    memset (buf, 0, sizeof buf);
    CHECK_EQ_INT (zmq_recv (a, buf, sizeof buf, 0), 4);
    CHECK_STR (buf, "to a");
    memset (buf, 0, sizeof buf);
    CHECK_EQ_INT (zmq_recv (b, buf, sizeof buf, 0), 4);
    CHECK_STR (buf, "to b");

    /* A routing id of nobody, and multipart, refused. */
    uint32_t nobody = id_a + id_b + 1;
    if (nobody == id_a || nobody == id_b || nobody == 0)
        nobody = 7;
    CHECK_ERRNO (send_to (server, nobody, "x", ZMQ_DONTWAIT), EHOSTUNREACH);
    CHECK_ERRNO (send_to (server, id_a, "x", ZMQ_SNDMORE), EINVAL);

    /* A client that leaves takes its routing id with it. */
    set_int (a, ZMQ_LINGER, 0);
    CHECK_EQ_INT (zmq_close (a), 0);
    int refused = 0;
    for (int i = 0; i < 500 && !refused; i++) {
        if (send_to (server, id_a, "gone?", ZMQ_DONTWAIT) != 0 && errno == EHOSTUNREACH)
            refused = 1;
        else
            usleep (10000);
    }
    CHECK (refused);
    zmq_close (b);
    set_int (server, ZMQ_LINGER, 0);
    zmq_close (server);
}

/* ---- 8 askers on one CLIENT, 8 answerers on one SERVER ---------------- */

static void *client, *server;
static int rounds;
static int wrong_answers, lost, server_errors;
static int answers[THREADS];

static void *answerer (void *arg)
{
    (void) arg;
    for (;;) {
        char buf[64];
        uint32_t id = recv_from (server, buf, sizeof buf);
        if (id == 0) {
            __atomic_fetch_add (&server_errors, 1, __ATOMIC_RELAXED);
            return NULL;
        }
        if (strcmp (buf, "stop") == 0)
            return NULL;
        /* The answer is the question, marked. */
        char answer[80];
        snprintf (answer, sizeof answer, "re:%s", buf);
        if (send_to (server, id, answer, 0) != 0)
            __atomic_fetch_add (&server_errors, 1, __ATOMIC_RELAXED);
    }
}

/* Askers share one CLIENT: each sends a question and takes whatever answer
 * comes (another asker's, perhaps); the bookkeeping is global. */
static void *asker (void *arg)
{
    int id = (int) (intptr_t) arg;
    for (int seq = 0; seq < rounds; seq++) {
        char question[32];
        int len = snprintf (question, sizeof question, "%d:%d", id, seq);
        if (zmq_send (client, question, (size_t) len, 0) != len)
            __atomic_fetch_add (&lost, 1, __ATOMIC_RELAXED);
        char buf[64] = {0};
        int got = zmq_recv (client, buf, sizeof buf - 1, 0);
        int from, n;
        if (got < 0)
            __atomic_fetch_add (&lost, 1, __ATOMIC_RELAXED);
        else if (sscanf (buf, "re:%d:%d", &from, &n) != 2 || from < 0 || from >= THREADS)
            __atomic_fetch_add (&wrong_answers, 1, __ATOMIC_RELAXED);
        else
            __atomic_fetch_add (&answers[from], 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void many_threads (const char *transport)
{
    char endpoint[256];
    server = zmq_socket (ctx, ZMQ_SERVER);
    client = zmq_socket (ctx, ZMQ_CLIENT);
    set_int (server, ZMQ_RCVTIMEO, 20000);
    set_int (client, ZMQ_RCVTIMEO, 20000);
    CHECK_EQ_INT (bind_transport (server, transport, endpoint, sizeof endpoint), 0);
    CHECK_EQ_INT (zmq_connect (client, endpoint), 0);
    rounds = scaled (1000);
    wrong_answers = lost = server_errors = 0;
    memset (answers, 0, sizeof answers);
    pthread_t askers[THREADS], answerers[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create (&answerers[i], NULL, answerer, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_create (&askers[i], NULL, asker, (void *) (intptr_t) i);
    for (int i = 0; i < THREADS; i++)
        pthread_join (askers[i], NULL);
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ_INT (zmq_send (client, "stop", 4, 0), 4);
    for (int i = 0; i < THREADS; i++)
        pthread_join (answerers[i], NULL);
    CHECK_EQ_INT (lost, 0);
    CHECK_EQ_INT (wrong_answers, 0);
    CHECK_EQ_INT (server_errors, 0);
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ_INT (answers[i], rounds);
    set_int (client, ZMQ_LINGER, 0);
    zmq_close (client);
    zmq_close (server);
}

int main (void)
{
    ctx = zmq_ctx_new ();
    REQUIRE (ctx);
    answers_on ("inproc");
    answers_on ("tcp");
    answers_on ("ipc");
    many_threads ("inproc");
    many_threads ("tcp");
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("test_client_server");
}
