/* Messages: init, init_size, init_data, copy, move, close, data, size,
 * more, get, set, gets, and relocation with memcpy. */
#include "testutil.h"
#include <stdlib.h>

static int frees;
static void *freed_data;
static void *freed_hint;

static void count_free (void *data, void *hint)
{
    frees++;
    freed_data = data;
    freed_hint = hint;
    free (data);
}

static void check_sizes (void)
{
    size_t sizes[] = {0, 1, 32, 33, 40, 41, 64, 100, 1000000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        zmq_msg_t msg;
        CHECK_EQ_INT (zmq_msg_init_size (&msg, sizes[i]), 0);
        CHECK_EQ_INT (zmq_msg_size (&msg), sizes[i]);
        if (sizes[i] > 0) {
            unsigned char *data = (unsigned char *) zmq_msg_data (&msg);
            CHECK (data != NULL);
            memset (data, 0x5A, sizes[i]);
            CHECK_EQ_INT (data[sizes[i] - 1], 0x5A);
        }
        CHECK_EQ_INT (zmq_msg_more (&msg), 0);
        CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_MORE), 0);
        CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_SHARED), 0);
        CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    }
    zmq_msg_t empty;
    CHECK_EQ_INT (zmq_msg_init (&empty), 0);
    CHECK_EQ_INT (zmq_msg_size (&empty), 0);
    CHECK_EQ_INT (zmq_msg_close (&empty), 0);
}

static void check_zero_copy (void)
{
    const char *text = "zero-copy payload";
    char *buffer = strdup (text);
    int hint = 7;
    zmq_msg_t msg, copy1, copy2;
    frees = 0;
    CHECK_EQ_INT (zmq_msg_init_data (&msg, buffer, strlen (text), count_free, &hint), 0);
    CHECK (zmq_msg_data (&msg) == buffer);
    CHECK_EQ_INT (zmq_msg_size (&msg), strlen (text));
    zmq_msg_init (&copy1);
    zmq_msg_init (&copy2);
    CHECK_EQ_INT (zmq_msg_copy (&copy1, &msg), 0);
    CHECK_EQ_INT (zmq_msg_copy (&copy2, &copy1), 0);
    CHECK (zmq_msg_data (&copy2) == buffer);
    CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_SHARED), 1);
    CHECK_EQ_INT (zmq_msg_close (&copy1), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    CHECK_EQ_INT (frees, 0);
    CHECK (memcmp (zmq_msg_data (&copy2), text, strlen (text)) == 0);
    CHECK_EQ_INT (zmq_msg_close (&copy2), 0);
    CHECK_EQ_INT (frees, 1);
    CHECK (freed_data == buffer);
    CHECK (freed_hint == &hint);

    /* Without a free function the bytes are constant: nothing is freed. */
    static char constant[] = "constant bytes";
    frees = 0;
    CHECK_EQ_INT (zmq_msg_init_data (&msg, constant, sizeof constant, NULL, NULL), 0);
    CHECK (zmq_msg_data (&msg) == constant);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    CHECK_EQ_INT (frees, 0);
}

static void check_copy_and_move (void)
{
    zmq_msg_t big, copy;
    zmq_msg_init_size (&big, 1000);
    memset (zmq_msg_data (&big), 'b', 1000);
    zmq_msg_init (&copy);
    CHECK_EQ_INT (zmq_msg_copy (&copy, &big), 0);
    CHECK (zmq_msg_data (&copy) == zmq_msg_data (&big));
    CHECK_EQ_INT (zmq_msg_get (&copy, ZMQ_SHARED), 1);
    CHECK_EQ_INT (zmq_msg_get (&big, ZMQ_SHARED), 1);
    zmq_msg_close (&big);
    CHECK_EQ_INT (zmq_msg_size (&copy), 1000);
    CHECK_EQ_INT (((char *) zmq_msg_data (&copy))[999], 'b');
    zmq_msg_close (&copy);

    zmq_msg_t small, small_copy;
    zmq_msg_init_size (&small, 5);
    memcpy (zmq_msg_data (&small), "hello", 5);
    zmq_msg_init (&small_copy);
    CHECK_EQ_INT (zmq_msg_copy (&small_copy, &small), 0);
    CHECK (memcmp (zmq_msg_data (&small_copy), "hello", 5) == 0);
    zmq_msg_close (&small);
    zmq_msg_close (&small_copy);

    /* Move: the source becomes empty, the destination's old body goes. */
    zmq_msg_t src, dest;
    zmq_msg_init_size (&src, 3);
    memcpy (zmq_msg_data (&src), "abc", 3);
    frees = 0;
    zmq_msg_init_data (&dest, strdup ("old"), 3, count_free, NULL);
    CHECK_EQ_INT (zmq_msg_move (&dest, &src), 0);
    CHECK_EQ_INT (frees, 1);
    CHECK_EQ_INT (zmq_msg_size (&dest), 3);
    CHECK (memcmp (zmq_msg_data (&dest), "abc", 3) == 0);
    CHECK_EQ_INT (zmq_msg_size (&src), 0);
    CHECK_EQ_INT (zmq_msg_close (&src), 0);
    CHECK_EQ_INT (zmq_msg_close (&dest), 0);
}

static void check_properties (void)
{
    zmq_msg_t msg;
    zmq_msg_init_size (&msg, 4);
    CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_SRCFD), -1);
    CHECK_ERRNO (zmq_msg_get (&msg, 12345) == -1, EINVAL);
    CHECK_ERRNO (zmq_msg_set (&msg, ZMQ_MORE, 1) == -1, EINVAL);
    CHECK_ERRNO (zmq_msg_set (&msg, 12345, 1) == -1, EINVAL);
    CHECK_ERRNO (zmq_msg_gets (&msg, "Socket-Type") == NULL, EINVAL);
    CHECK_ERRNO (zmq_msg_gets (&msg, "Identity") == NULL, EINVAL);
    CHECK_ERRNO (zmq_msg_gets (&msg, "X-Foo") == NULL, EINVAL);
    zmq_msg_close (&msg);

    /* A constant message counts as shared. */
    static char constant[] = "k";
    zmq_msg_init_data (&msg, constant, 1, NULL, NULL);
    CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_SHARED), 1);
    zmq_msg_close (&msg);
}

static void check_relocation (void)
{
    /* C code may move a zmq_msg_t with memcpy and use only the new copy. */
    zmq_msg_t original, moved;
    zmq_msg_init_size (&original, 10);
    memcpy (zmq_msg_data (&original), "0123456789", 10);
    memcpy (&moved, &original, sizeof moved);
    memset (&original, 0xEE, sizeof original);
    CHECK_EQ_INT (zmq_msg_size (&moved), 10);
    CHECK (memcmp (zmq_msg_data (&moved), "0123456789", 10) == 0);
    CHECK_EQ_INT (zmq_msg_close (&moved), 0);

    zmq_msg_init_size (&original, 5000);
    memset (zmq_msg_data (&original), 'z', 5000);
    memcpy (&moved, &original, sizeof moved);
    CHECK_EQ_INT (zmq_msg_size (&moved), 5000);
    CHECK_EQ_INT (((char *) zmq_msg_data (&moved))[4999], 'z');
    CHECK_EQ_INT (zmq_msg_close (&moved), 0);

    frees = 0;
    zmq_msg_init_data (&original, strdup ("data"), 4, count_free, NULL);
    memcpy (&moved, &original, sizeof moved);
    CHECK (memcmp (zmq_msg_data (&moved), "data", 4) == 0);
    CHECK_EQ_INT (zmq_msg_close (&moved), 0);
    CHECK_EQ_INT (frees, 1);
}

int main (void)
{
    CHECK_EQ_INT (sizeof (zmq_msg_t), 64);
    check_sizes ();
    check_zero_copy ();
    check_copy_and_move ();
    check_properties ();
    check_relocation ();
    return test_result ("msg");
}
