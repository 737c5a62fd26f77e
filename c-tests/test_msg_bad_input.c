/* Messages given bad input: NULL, closed or never-initialised messages,
 * impossible sizes, a message copied or moved onto itself. The first part
 * is what libzmq itself answers without crashing; the rest (libzmq crashes,
 * asserts or corrupts memory there) is this library's contract. */
#include "testutil.h"
#include <stdint.h>

static int frees;
static void count_free (void *data, void *hint)
{
    (void) data;
    (void) hint;
    frees++;
}

/* What libzmq also refuses, with EFAULT: closing, or copying or moving
 * from or onto, a message that is not an initialised one. A good message
 * involved is left unharmed. */
static void check_not_a_message (zmq_msg_t *bad)
{
    zmq_msg_t good;
    CHECK_EQ_INT (zmq_msg_init_size (&good, 100), 0);
    memset (zmq_msg_data (&good), 'g', 100);
    CHECK_ERRNO (zmq_msg_close (bad) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_copy (&good, bad) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_copy (bad, &good) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_move (&good, bad) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_move (bad, &good) == -1, EFAULT);
    CHECK_EQ_INT (zmq_msg_size (&good), 100);
    CHECK_EQ_INT (((char *) zmq_msg_data (&good))[99], 'g');
    CHECK_EQ_INT (zmq_msg_get (&good, ZMQ_SHARED), 0);
    CHECK_EQ_INT (zmq_msg_close (&good), 0);
}

#ifndef REFERENCE_LIBZMQ
/* Every call that reads a message refuses this one: -1, NULL or 0, with
 * EFAULT, and nothing else is harmed. */
static void check_refused (zmq_msg_t *bad)
{
    check_not_a_message (bad);
    CHECK_ERRNO (zmq_msg_get (bad, ZMQ_MORE) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_get (bad, ZMQ_SHARED) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_set (bad, ZMQ_MORE, 1) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_data (bad) == NULL, EFAULT);
    errno = 0;
    CHECK_EQ_INT (zmq_msg_size (bad), 0);
    CHECK_EQ_INT (errno, EFAULT);
    CHECK_EQ_INT (zmq_msg_more (bad), 0);
    CHECK (zmq_msg_gets (bad, "Socket-Type") == NULL);
}

static void fill_random (zmq_msg_t *msg)
{
    for (size_t i = 0; i < sizeof *msg; i++)
        ((unsigned char *) msg)[i] = (unsigned char) (rand () >> 7);
}
#endif

/* libzmq's answers to bad input that it survives. */
static void check_shared_answers (void)
{
    zmq_msg_t msg;
    static char payload[] = "payload";

    /* A second close fails, whatever the message held; a zero-copy body is
     * freed once. */
    CHECK_EQ_INT (zmq_msg_init (&msg), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    CHECK_ERRNO (zmq_msg_close (&msg) == -1, EFAULT);
    CHECK_EQ_INT (zmq_msg_init_size (&msg, 8), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    CHECK_ERRNO (zmq_msg_close (&msg) == -1, EFAULT);
    CHECK_EQ_INT (zmq_msg_init_size (&msg, 1000), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    CHECK_ERRNO (zmq_msg_close (&msg) == -1, EFAULT);
    frees = 0;
    CHECK_EQ_INT (zmq_msg_init_data (&msg, payload, 7, count_free, NULL), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    CHECK_ERRNO (zmq_msg_close (&msg) == -1, EFAULT);
    CHECK_EQ_INT (frees, 1);
    CHECK_EQ_INT (zmq_msg_init_data (&msg, payload, 7, NULL, NULL), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    CHECK_ERRNO (zmq_msg_close (&msg) == -1, EFAULT);

    /* Closed messages of each kind, and never-initialised storage. */
    CHECK_EQ_INT (zmq_msg_init_size (&msg, 8), 0);
    zmq_msg_close (&msg);
    check_not_a_message (&msg);
    CHECK_EQ_INT (zmq_msg_init_size (&msg, 1000), 0);
    zmq_msg_close (&msg);
    check_not_a_message (&msg);
    frees = 0;
    CHECK_EQ_INT (zmq_msg_init_data (&msg, payload, 7, count_free, NULL), 0);
    zmq_msg_close (&msg);
    check_not_a_message (&msg);
    CHECK_EQ_INT (frees, 1);
    memset (&msg, 0, sizeof msg);
    check_not_a_message (&msg);
    memset (&msg, 0xAB, sizeof msg);
    check_not_a_message (&msg);

    /* Metadata lookups with no name, or on a closed message. */
    CHECK_EQ_INT (zmq_msg_init (&msg), 0);
    CHECK_ERRNO (zmq_msg_gets (&msg, NULL) == NULL, EINVAL);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    CHECK (zmq_msg_gets (&msg, "Socket-Type") == NULL);

    /* Sizes that cannot be allocated. (libzmq leaves such a message
     * unusable; this library leaves a valid empty one, checked below.) */
    zmq_msg_t huge;
    CHECK_ERRNO (zmq_msg_init_size (&huge, SIZE_MAX) == -1, ENOMEM);
    CHECK_ERRNO (zmq_msg_init_size (&huge, SIZE_MAX / 2) == -1, ENOMEM);
}

/* Receiving into a bad message, with a real socket (when contexts work). */
static void check_with_socket (void)
{
    void *ctx = zmq_ctx_new ();
    if (!ctx)
        return;
    void *s = zmq_socket (ctx, ZMQ_PAIR);
    CHECK (s != NULL);
    if (s) {
        zmq_msg_t msg;
        CHECK_ERRNO (zmq_msg_recv (NULL, s, ZMQ_DONTWAIT) == -1, EFAULT);
        CHECK_ERRNO (zmq_recvmsg (s, NULL, ZMQ_DONTWAIT) == -1, EFAULT);
        zmq_msg_init (&msg);
        zmq_msg_close (&msg);
        CHECK_ERRNO (zmq_msg_recv (&msg, s, ZMQ_DONTWAIT) == -1, EFAULT);
        memset (&msg, 0, sizeof msg);
        CHECK_ERRNO (zmq_msg_recv (&msg, s, ZMQ_DONTWAIT) == -1, EFAULT);
        memset (&msg, 0xAB, sizeof msg);
        CHECK_ERRNO (zmq_recvmsg (s, &msg, ZMQ_DONTWAIT) == -1, EFAULT);
        /* A good message and nothing to receive. */
        zmq_msg_init (&msg);
        CHECK_ERRNO (zmq_msg_recv (&msg, s, ZMQ_DONTWAIT) == -1, EAGAIN);
        CHECK_EQ_INT (zmq_msg_close (&msg), 0);
#ifndef REFERENCE_LIBZMQ
        /* libzmq reads the message's size before checking it. */
        CHECK_ERRNO (zmq_msg_send (NULL, s, ZMQ_DONTWAIT) == -1, EFAULT);
        CHECK_ERRNO (zmq_sendmsg (s, NULL, ZMQ_DONTWAIT) == -1, EFAULT);
        zmq_msg_init (&msg);
        zmq_msg_close (&msg);
        CHECK_ERRNO (zmq_msg_send (&msg, s, ZMQ_DONTWAIT) == -1, EFAULT);
        memset (&msg, 0xAB, sizeof msg);
        CHECK_ERRNO (zmq_msg_send (&msg, s, ZMQ_DONTWAIT) == -1, EFAULT);
        CHECK_ERRNO (zmq_sendmsg (s, &msg, ZMQ_DONTWAIT) == -1, EFAULT);
#endif
        CHECK_EQ_INT (zmq_close (s), 0);
    }
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
}

#ifndef REFERENCE_LIBZMQ
static void check_our_contract (void)
{
    zmq_msg_t msg;
    static char payload[] = "payload";

    /* NULL everywhere. */
    CHECK_ERRNO (zmq_msg_init (NULL) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_init_size (NULL, 10) == -1, EFAULT);
    frees = 0;
    CHECK_ERRNO (zmq_msg_init_data (NULL, payload, 1, count_free, NULL) == -1, EFAULT);
    CHECK_EQ_INT (frees, 0);
    CHECK_ERRNO (zmq_msg_close (NULL) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_copy (NULL, NULL) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_move (NULL, NULL) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_get (NULL, ZMQ_MORE) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_set (NULL, ZMQ_MORE, 1) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_data (NULL) == NULL, EFAULT);
    errno = 0;
    CHECK_EQ_INT (zmq_msg_size (NULL), 0);
    CHECK_EQ_INT (errno, EFAULT);
    CHECK_EQ_INT (zmq_msg_more (NULL), 0);
    CHECK (zmq_msg_gets (NULL, "x") == NULL);
    CHECK (zmq_msg_gets (NULL, NULL) == NULL);
    CHECK_EQ_INT (zmq_msg_init_size (&msg, 10), 0);
    CHECK_ERRNO (zmq_msg_copy (&msg, NULL) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_copy (NULL, &msg) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_move (&msg, NULL) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_move (NULL, &msg) == -1, EFAULT);
    CHECK_EQ_INT (zmq_msg_size (&msg), 10);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);

    /* Closed messages, for the calls libzmq does not check. */
    CHECK_EQ_INT (zmq_msg_init_size (&msg, 8), 0);
    zmq_msg_close (&msg);
    check_refused (&msg);
    CHECK_EQ_INT (zmq_msg_init_size (&msg, 1000), 0);
    zmq_msg_close (&msg);
    check_refused (&msg);
    frees = 0;
    CHECK_EQ_INT (zmq_msg_init_data (&msg, payload, 7, count_free, NULL), 0);
    zmq_msg_close (&msg);
    check_refused (&msg);
    CHECK_EQ_INT (frees, 1);

    /* Never-initialised storage: zeros, a fill pattern, noise. */
    memset (&msg, 0, sizeof msg);
    check_refused (&msg);
    memset (&msg, 0xAB, sizeof msg);
    check_refused (&msg);
    memset (&msg, 0xFF, sizeof msg);
    check_refused (&msg);
    srand (42);
    for (int round = 0; round < 50; round++) {
        fill_random (&msg);
        check_refused (&msg);
    }

    /* Copying a message onto itself is refused and harms nothing (libzmq
     * destroys the message); moving onto itself changes nothing (libzmq
     * empties it). */
    const size_t sizes[] = {5, 500};
    for (int i = 0; i < 2; i++) {
        CHECK_EQ_INT (zmq_msg_init_size (&msg, sizes[i]), 0);
        memset (zmq_msg_data (&msg), 'q', sizes[i]);
        CHECK_ERRNO (zmq_msg_copy (&msg, &msg) == -1, EINVAL);
        CHECK_EQ_INT (zmq_msg_size (&msg), sizes[i]);
        CHECK_EQ_INT (zmq_msg_move (&msg, &msg), 0);
        CHECK_EQ_INT (zmq_msg_size (&msg), sizes[i]);
        CHECK_EQ_INT (((char *) zmq_msg_data (&msg))[sizes[i] - 1], 'q');
        CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    }
    frees = 0;
    CHECK_EQ_INT (zmq_msg_init_data (&msg, payload, 7, count_free, NULL), 0);
    CHECK_ERRNO (zmq_msg_copy (&msg, &msg) == -1, EINVAL);
    CHECK_EQ_INT (zmq_msg_move (&msg, &msg), 0);
    CHECK_EQ_INT (frees, 0);
    CHECK_EQ_PTR (zmq_msg_data (&msg), payload);
    CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_SHARED), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    CHECK_EQ_INT (frees, 1);

    /* Sizes that cannot be allocated leave a valid empty message. */
    CHECK_ERRNO (zmq_msg_init_size (&msg, SIZE_MAX) == -1, ENOMEM);
    CHECK_EQ_INT (zmq_msg_size (&msg), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    CHECK_ERRNO (zmq_msg_init_size (&msg, SIZE_MAX / 2) == -1, ENOMEM);
    CHECK_EQ_INT (zmq_msg_size (&msg), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);

    /* A NULL buffer with a size is refused; its free function never runs. */
    frees = 0;
    int hint;
    CHECK_ERRNO (zmq_msg_init_data (&msg, NULL, 5, count_free, &hint) == -1, EINVAL);
    CHECK_ERRNO (zmq_msg_init_data (&msg, NULL, 5, NULL, NULL) == -1, EINVAL);
    CHECK_EQ_INT (frees, 0);

    /* Misaligned storage is not a message. */
    _Alignas (8) unsigned char raw[sizeof (zmq_msg_t) + 8];
    zmq_msg_t *misaligned = (zmq_msg_t *) (raw + 1);
    CHECK_ERRNO (zmq_msg_init (misaligned) == -1, EFAULT);
}
#endif

int main (void)
{
    check_shared_answers ();
    check_with_socket ();
#ifndef REFERENCE_LIBZMQ
    check_our_contract ();
#endif
    return test_result ("msg_bad_input");
}
