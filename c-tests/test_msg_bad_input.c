/* Messages given bad input: NULL, closed, garbage, impossible sizes,
 * copying onto itself. libzmq crashes or asserts on most of these; the
 * library answers with an error instead. */
#include "testutil.h"
#include <stdint.h>
#include <stdlib.h>

#ifndef REFERENCE_LIBZMQ
static int frees;
static void count_free (void *data, void *hint)
{
    (void) data;
    (void) hint;
    frees++;
}

/* Every call that reads a message refuses this one with EFAULT. */
static void check_refused (zmq_msg_t *bad)
{
    zmq_msg_t good;
    zmq_msg_init_size (&good, 100);
    CHECK_ERRNO (zmq_msg_close (bad) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_copy (&good, bad) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_copy (bad, &good) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_move (&good, bad) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_move (bad, &good) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_get (bad, ZMQ_MORE) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_data (bad) == NULL, EFAULT);
    errno = 0;
    CHECK_EQ_INT (zmq_msg_size (bad), 0);
    CHECK_EQ_INT (errno, EFAULT);
    CHECK_EQ_INT (zmq_msg_more (bad), 0);
    CHECK (zmq_msg_gets (bad, "Socket-Type") == NULL);
    /* The good message was not harmed. */
    CHECK_EQ_INT (zmq_msg_size (&good), 100);
    CHECK_EQ_INT (zmq_msg_close (&good), 0);
}
#endif

int main (void)
{
    zmq_msg_t msg;

    /* A second close of a small message fails in libzmq too. */
    zmq_msg_init_size (&msg, 8);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    CHECK_ERRNO (zmq_msg_close (&msg) == -1, EFAULT);

#ifndef REFERENCE_LIBZMQ
    /* NULL everywhere. */
    CHECK_ERRNO (zmq_msg_init (NULL) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_init_size (NULL, 10) == -1, EFAULT);
    CHECK_ERRNO (zmq_msg_init_data (NULL, &msg, 1, NULL, NULL) == -1, EFAULT);
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

    /* Closed messages, large and zero-copy ones too. */
    zmq_msg_init_size (&msg, 1000);
    zmq_msg_close (&msg);
    check_refused (&msg);
    frees = 0;
    static char payload[] = "payload";
    zmq_msg_init_data (&msg, payload, 7, count_free, NULL);
    zmq_msg_close (&msg);
    CHECK_EQ_INT (frees, 1);
    check_refused (&msg);
    CHECK_EQ_INT (frees, 1);

    /* Never-initialised storage: zeros, a fill pattern, noise. */
    memset (&msg, 0, sizeof msg);
    check_refused (&msg);
    memset (&msg, 0xAB, sizeof msg);
    check_refused (&msg);
    srand (42);
    for (int round = 0; round < 100; round++) {
        for (size_t i = 0; i < sizeof msg; i++)
            ((unsigned char *) &msg)[i] = (unsigned char) rand ();
        CHECK_ERRNO (zmq_msg_close (&msg) == -1, EFAULT);
    }

    /* Copying a message onto itself is refused and harms nothing; moving
     * onto itself changes nothing. */
    zmq_msg_init_size (&msg, 500);
    memset (zmq_msg_data (&msg), 'q', 500);
    CHECK_ERRNO (zmq_msg_copy (&msg, &msg) == -1, EINVAL);
    CHECK_EQ_INT (zmq_msg_move (&msg, &msg), 0);
    CHECK_EQ_INT (zmq_msg_size (&msg), 500);
    CHECK_EQ_INT (((char *) zmq_msg_data (&msg))[499], 'q');
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);

    /* Impossible sizes fail with ENOMEM and leave a valid empty message. */
    CHECK_ERRNO (zmq_msg_init_size (&msg, SIZE_MAX) == -1, ENOMEM);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    CHECK_ERRNO (zmq_msg_init_size (&msg, SIZE_MAX / 2) == -1, ENOMEM);
    CHECK_EQ_INT (zmq_msg_size (&msg), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);

    /* A NULL buffer with a size is refused; its free function never runs. */
    frees = 0;
    CHECK_ERRNO (zmq_msg_init_data (&msg, NULL, 5, count_free, NULL) == -1, EINVAL);
    CHECK_EQ_INT (frees, 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);

    zmq_msg_init (&msg);
    CHECK_ERRNO (zmq_msg_gets (&msg, NULL) == NULL, EINVAL);
    zmq_msg_close (&msg);

    /* Misaligned storage is not a message. */
    _Alignas (8) unsigned char raw[sizeof (zmq_msg_t) + 8];
    zmq_msg_t *misaligned = (zmq_msg_t *) (raw + 1);
    CHECK_ERRNO (zmq_msg_init (misaligned) == -1, EFAULT);
#endif
    return test_result ("msg_bad_input");
}
