/* The draft message API through zmq.h: zmq_msg_routing_id and
 * zmq_msg_set_routing_id (0 refused; copies keep the id), and
 * zmq_msg_init_buffer (a copy of the caller's bytes; NULL with a size
 * refused with EFAULT, where libzmq asserts). Built with
 * ZMQ_BUILD_DRAFT_API against the draft build of the library. */
#include "testnet.h"

#include <stdint.h>

static void routing_ids (void)
{
    zmq_msg_t msg, copy;
    CHECK_EQ_INT (zmq_msg_init_size (&msg, 100), 0);
    CHECK_EQ_INT ((int) zmq_msg_routing_id (&msg), 0);
    CHECK_ERRNO (zmq_msg_set_routing_id (&msg, 0), EINVAL);
    CHECK_EQ_INT (zmq_msg_set_routing_id (&msg, 0xdeadbeef), 0);
    CHECK (zmq_msg_routing_id (&msg) == 0xdeadbeef);
    CHECK_EQ_INT (zmq_msg_init (&copy), 0);
    CHECK_EQ_INT (zmq_msg_copy (&copy, &msg), 0);
    CHECK (zmq_msg_routing_id (&copy) == 0xdeadbeef);
    CHECK_EQ_INT (zmq_msg_close (&copy), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    /* A closed message or NULL: EFAULT, never a crash. */
    errno = 0;
    CHECK_EQ_INT ((int) zmq_msg_routing_id (&msg), 0);
    CHECK_EQ_INT (errno, EFAULT);
    CHECK_ERRNO (zmq_msg_set_routing_id (NULL, 7), EFAULT);
}

static void init_buffer (void)
{
    char big[1000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char) i;
    zmq_msg_t msg;
    CHECK_EQ_INT (zmq_msg_init_buffer (&msg, big, sizeof big), 0);
    CHECK_EQ_INT ((int) zmq_msg_size (&msg), (int) sizeof big);
    CHECK (zmq_msg_data (&msg) != big);
    big[0] = 99;
    CHECK_EQ_INT (((char *) zmq_msg_data (&msg))[0], 0);
    CHECK_EQ_INT (memcmp ((char *) zmq_msg_data (&msg) + 1, big + 1, sizeof big - 1), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    CHECK_EQ_INT (zmq_msg_init_buffer (&msg, "hi", 2), 0);
    CHECK_EQ_INT (memcmp (zmq_msg_data (&msg), "hi", 2), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    /* NULL and no bytes is an empty message. */
    CHECK_EQ_INT (zmq_msg_init_buffer (&msg, NULL, 0), 0);
    CHECK_EQ_INT ((int) zmq_msg_size (&msg), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    /* NULL with a size: refused, and the message is still closable. */
    CHECK_ERRNO (zmq_msg_init_buffer (&msg, NULL, 5), EFAULT);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    CHECK_ERRNO (zmq_msg_init_buffer (NULL, "x", 1), EFAULT);
}

int main (void)
{
    routing_ids ();
    init_buffer ();
    return test_result ("test_msg_draft");
}
