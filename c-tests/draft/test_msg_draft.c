/* The draft message API through zmq.h: zmq_msg_routing_id and
 * zmq_msg_set_routing_id (0 refused; copies keep the id), zmq_msg_group
 * and zmq_msg_set_group (up to ZMQ_GROUP_MAX_LENGTH bytes, short and long
 * groups kept across copies and moves; a longer one refused, where libzmq
 * cuts it short), and
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

static void groups (void)
{
    zmq_msg_t msg, copy, moved;
    char longest[ZMQ_GROUP_MAX_LENGTH + 2];
    memset (longest, 'g', sizeof longest);
    longest[ZMQ_GROUP_MAX_LENGTH] = 0;
    CHECK_EQ_INT (zmq_msg_init_size (&msg, 3), 0);
    CHECK_STR (zmq_msg_group (&msg), "");
    const char *groups[] = {"a", "weather", "twelve-chars", "thirteen-char", longest, ""};
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        CHECK_EQ_INT (zmq_msg_set_group (&msg, groups[i]), 0);
        CHECK_STR (zmq_msg_group (&msg), groups[i]);
        CHECK_EQ_INT (zmq_msg_init (&copy), 0);
        CHECK_EQ_INT (zmq_msg_copy (&copy, &msg), 0);
        CHECK_EQ_INT (zmq_msg_init (&moved), 0);
        CHECK_EQ_INT (zmq_msg_move (&moved, &copy), 0);
        CHECK_STR (zmq_msg_group (&moved), groups[i]);
        CHECK_EQ_INT (zmq_msg_close (&moved), 0);
        CHECK_EQ_INT (zmq_msg_close (&copy), 0);
    }
    /* One byte past the limit: refused, and the group stays. */
    CHECK_EQ_INT (zmq_msg_set_group (&msg, "kept"), 0);
    longest[ZMQ_GROUP_MAX_LENGTH] = 'g';
    longest[ZMQ_GROUP_MAX_LENGTH + 1] = 0;
    CHECK_ERRNO (zmq_msg_set_group (&msg, longest), EINVAL);
    CHECK_STR (zmq_msg_group (&msg), "kept");
    CHECK_ERRNO (zmq_msg_set_group (&msg, NULL), EFAULT);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    /* Closed or NULL messages. */
    errno = 0;
    CHECK (zmq_msg_group (&msg) == NULL);
    CHECK_EQ_INT (errno, EFAULT);
    CHECK_ERRNO (zmq_msg_set_group (NULL, "x"), EFAULT);
    CHECK (zmq_msg_group (NULL) == NULL);
}

int main (void)
{
    routing_ids ();
    groups ();
    init_buffer ();
    return test_result ("test_msg_draft");
}
