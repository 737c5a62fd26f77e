/* Messages in normal use: init, init_size, init_data, copy, move, close,
 * data, size, more, get, set, gets, and relocation of a zmq_msg_t with
 * memcpy. Bad input is in test_msg_bad_input.c. */
#include "testutil.h"
#include <stdint.h>

/* Records every call of the free function. */
static int frees;
static void *freed_data;
static void *freed_hint;

static void record_free (void *data, void *hint)
{
    frees++;
    freed_data = data;
    freed_hint = hint;
    free (data);
}

static void reset_frees (void)
{
    frees = 0;
    freed_data = NULL;
    freed_hint = NULL;
}

/* A message with a known body of `size` bytes. */
static int init_filled (zmq_msg_t *msg, size_t size, unsigned char seed)
{
    int rc = zmq_msg_init_size (msg, size);
    if (rc == 0 && size > 0) {
        unsigned char *data = (unsigned char *) zmq_msg_data (msg);
        for (size_t i = 0; i < size; i++)
            data[i] = (unsigned char) (seed + i * 7);
    }
    return rc;
}

static int has_body (zmq_msg_t *msg, size_t size, unsigned char seed)
{
    if (zmq_msg_size (msg) != size)
        return 0;
    const unsigned char *data = (const unsigned char *) zmq_msg_data (msg);
    if (size > 0 && data == NULL)
        return 0;
    for (size_t i = 0; i < size; i++)
        if (data[i] != (unsigned char) (seed + i * 7))
            return 0;
    return 1;
}

static void check_init (void)
{
    zmq_msg_t msg;
    CHECK_EQ_INT (zmq_msg_init (&msg), 0);
    CHECK_EQ_INT (zmq_msg_size (&msg), 0);
    CHECK_EQ_INT (zmq_msg_more (&msg), 0);
    CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_MORE), 0);
    CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_SHARED), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);

    /* A closed message may be initialised again. */
    CHECK_EQ_INT (zmq_msg_init (&msg), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
}

static void check_init_size (void)
{
    const size_t sizes[] = {0, 1, 29, 30, 31, 32, 33, 40, 41, 64, 100, 4096, 1000000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        size_t size = sizes[i];
        zmq_msg_t msg;
        CHECK_EQ_INT (zmq_msg_init_size (&msg, size), 0);
        CHECK_EQ_INT (zmq_msg_size (&msg), size);
        if (size > 0) {
            unsigned char *data = (unsigned char *) zmq_msg_data (&msg);
            CHECK (data != NULL);
            if (data) {
                /* Every byte is writable and keeps what was written. */
                for (size_t j = 0; j < size; j++)
                    data[j] = (unsigned char) (j * 13 + size);
                int intact = 1;
                for (size_t j = 0; j < size; j++)
                    intact &= data[j] == (unsigned char) (j * 13 + size);
                CHECK (intact);
                CHECK (zmq_msg_data (&msg) == data);
            }
        }
        CHECK_EQ_INT (zmq_msg_more (&msg), 0);
        CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_MORE), 0);
        CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_SHARED), 0);
        CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    }
}

/* Three references to one zero-copy buffer closed in each of the six
 * orders: the free function runs once, with the buffer and the hint, at
 * the last close and not before. */
static void check_zero_copy_orders (void)
{
    static const int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                     {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    static const char text[] = "zero-copy payload";
    const size_t len = sizeof text - 1;
    int hint;
    for (int o = 0; o < 6; o++) {
        char *buffer = (char *) malloc (len);
        memcpy (buffer, text, len);
        zmq_msg_t msgs[3];
        reset_frees ();
        CHECK_EQ_INT (zmq_msg_init_data (&msgs[0], buffer, len, record_free, &hint), 0);
        CHECK_EQ_PTR (zmq_msg_data (&msgs[0]), buffer);
        CHECK_EQ_INT (zmq_msg_size (&msgs[0]), len);
        CHECK_EQ_INT (zmq_msg_init (&msgs[1]), 0);
        CHECK_EQ_INT (zmq_msg_init (&msgs[2]), 0);
        CHECK_EQ_INT (zmq_msg_copy (&msgs[1], &msgs[0]), 0);
        CHECK_EQ_INT (zmq_msg_copy (&msgs[2], &msgs[1]), 0);
        for (int i = 0; i < 3; i++) {
            CHECK_EQ_PTR (zmq_msg_data (&msgs[i]), buffer);
            CHECK_EQ_INT (zmq_msg_size (&msgs[i]), len);
            CHECK_EQ_INT (zmq_msg_get (&msgs[i], ZMQ_SHARED), 1);
        }
        for (int step = 0; step < 3; step++) {
            CHECK_EQ_INT (frees, 0);
            CHECK_EQ_INT (zmq_msg_close (&msgs[orders[o][step]]), 0);
            /* The survivors still read the bytes. */
            for (int later = step + 1; later < 3; later++) {
                zmq_msg_t *alive = &msgs[orders[o][later]];
                CHECK (memcmp (zmq_msg_data (alive), text, len) == 0);
            }
        }
        CHECK_EQ_INT (frees, 1);
        CHECK_EQ_PTR (freed_data, buffer);
        CHECK_EQ_PTR (freed_hint, &hint);
    }

    /* One reference only: freed at its close. */
    reset_frees ();
    char *buffer = (char *) malloc (3);
    memcpy (buffer, "one", 3);
    zmq_msg_t msg;
    CHECK_EQ_INT (zmq_msg_init_data (&msg, buffer, 3, record_free, NULL), 0);
    CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_SHARED), 0);
    CHECK_EQ_INT (zmq_msg_more (&msg), 0);
    CHECK_EQ_INT (frees, 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    CHECK_EQ_INT (frees, 1);
    CHECK_EQ_PTR (freed_data, buffer);
    CHECK_EQ_PTR (freed_hint, NULL);

    /* An empty zero-copy message still gives its buffer back. */
    reset_frees ();
    buffer = (char *) malloc (1);
    CHECK_EQ_INT (zmq_msg_init_data (&msg, buffer, 0, record_free, &hint), 0);
    CHECK_EQ_INT (zmq_msg_size (&msg), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    CHECK_EQ_INT (frees, 1);
    CHECK_EQ_PTR (freed_data, buffer);
    CHECK_EQ_PTR (freed_hint, &hint);
}

/* Without a free function the bytes are constant: used in place, never
 * freed, and the message counts as shared (libzmq says 1). */
static void check_constant (void)
{
    static char constant[] = "constant bytes";
    zmq_msg_t msg, copy;
    CHECK_EQ_INT (zmq_msg_init_data (&msg, constant, sizeof constant, NULL, NULL), 0);
    CHECK_EQ_PTR (zmq_msg_data (&msg), constant);
    CHECK_EQ_INT (zmq_msg_size (&msg), sizeof constant);
    CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_SHARED), 1);
    CHECK_EQ_INT (zmq_msg_more (&msg), 0);
    CHECK_EQ_INT (zmq_msg_init (&copy), 0);
    CHECK_EQ_INT (zmq_msg_copy (&copy, &msg), 0);
    CHECK_EQ_PTR (zmq_msg_data (&copy), constant);
    CHECK_EQ_INT (zmq_msg_size (&copy), sizeof constant);
    CHECK_EQ_INT (zmq_msg_get (&copy, ZMQ_SHARED), 1);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    CHECK_EQ_INT (zmq_msg_close (&copy), 0);
    CHECK_STR (constant, "constant bytes");

    /* Empty, with no buffer at all. */
    CHECK_EQ_INT (zmq_msg_init_data (&msg, NULL, 0, NULL, NULL), 0);
    CHECK_EQ_INT (zmq_msg_size (&msg), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
}

static void check_copy (void)
{
    /* Large bodies are shared, not duplicated. */
    const size_t large_sizes[] = {100, 1000, 1000000};
    for (size_t i = 0; i < 3; i++) {
        size_t size = large_sizes[i];
        zmq_msg_t big, copy, copy2;
        CHECK_EQ_INT (init_filled (&big, size, 3), 0);
        CHECK_EQ_INT (zmq_msg_init (&copy), 0);
        CHECK_EQ_INT (zmq_msg_copy (&copy, &big), 0);
        CHECK_EQ_PTR (zmq_msg_data (&copy), zmq_msg_data (&big));
        CHECK_EQ_INT (zmq_msg_get (&copy, ZMQ_SHARED), 1);
        CHECK_EQ_INT (zmq_msg_get (&big, ZMQ_SHARED), 1);
        CHECK (has_body (&copy, size, 3));
        /* A copy of the copy joins the same body. */
        CHECK_EQ_INT (zmq_msg_init (&copy2), 0);
        CHECK_EQ_INT (zmq_msg_copy (&copy2, &copy), 0);
        CHECK_EQ_PTR (zmq_msg_data (&copy2), zmq_msg_data (&big));
        CHECK_EQ_INT (zmq_msg_close (&big), 0);
        CHECK (has_body (&copy, size, 3));
        CHECK_EQ_INT (zmq_msg_close (&copy), 0);
        CHECK (has_body (&copy2, size, 3));
        CHECK_EQ_INT (zmq_msg_close (&copy2), 0);
    }

    /* Small bodies: the copy has the same bytes. */
    const size_t small_sizes[] = {0, 1, 5, 29};
    for (size_t i = 0; i < 4; i++) {
        size_t size = small_sizes[i];
        zmq_msg_t small, copy;
        CHECK_EQ_INT (init_filled (&small, size, 9), 0);
        CHECK_EQ_INT (zmq_msg_init (&copy), 0);
        CHECK_EQ_INT (zmq_msg_copy (&copy, &small), 0);
        CHECK (has_body (&copy, size, 9));
        CHECK (has_body (&small, size, 9));
        CHECK_EQ_INT (zmq_msg_close (&small), 0);
        CHECK (has_body (&copy, size, 9));
        CHECK_EQ_INT (zmq_msg_close (&copy), 0);
    }

    /* Copying over a message releases what it held. */
    zmq_msg_t src, dest;
    CHECK_EQ_INT (init_filled (&src, 50, 1), 0);
    reset_frees ();
    char *old = strdup ("old");
    CHECK_EQ_INT (zmq_msg_init_data (&dest, old, 3, record_free, NULL), 0);
    CHECK_EQ_INT (zmq_msg_copy (&dest, &src), 0);
    CHECK_EQ_INT (frees, 1);
    CHECK_EQ_PTR (freed_data, old);
    CHECK (has_body (&dest, 50, 1));
    CHECK (has_body (&src, 50, 1));
    /* ... also when it was a large body of its own. */
    zmq_msg_t other;
    CHECK_EQ_INT (init_filled (&other, 5000, 2), 0);
    CHECK_EQ_INT (zmq_msg_copy (&other, &src), 0);
    CHECK (has_body (&other, 50, 1));
    CHECK_EQ_INT (zmq_msg_close (&other), 0);
    CHECK_EQ_INT (zmq_msg_close (&src), 0);
    CHECK_EQ_INT (zmq_msg_close (&dest), 0);
    CHECK_EQ_INT (frees, 1);
}

static void check_move (void)
{
    /* Small, large and zero-copy sources. */
    const size_t sizes[] = {0, 3, 33, 1000, 100000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        zmq_msg_t src, dest;
        CHECK_EQ_INT (init_filled (&src, sizes[i], 4), 0);
        void *body = zmq_msg_data (&src);
        CHECK_EQ_INT (zmq_msg_init (&dest), 0);
        CHECK_EQ_INT (zmq_msg_move (&dest, &src), 0);
        CHECK (has_body (&dest, sizes[i], 4));
        if (sizes[i] >= 1000) /* a large body moves without being copied */
            CHECK_EQ_PTR (zmq_msg_data (&dest), body);
        /* The source is an empty, valid message. */
        CHECK_EQ_INT (zmq_msg_size (&src), 0);
        CHECK_EQ_INT (zmq_msg_more (&src), 0);
        CHECK_EQ_INT (zmq_msg_get (&src, ZMQ_SHARED), 0);
        CHECK_EQ_INT (zmq_msg_close (&src), 0);
        CHECK_EQ_INT (zmq_msg_close (&dest), 0);
    }

    /* The destination's old zero-copy body is released at once. */
    zmq_msg_t src, dest;
    CHECK_EQ_INT (init_filled (&src, 3, 5), 0);
    reset_frees ();
    char *old = strdup ("old");
    int hint;
    CHECK_EQ_INT (zmq_msg_init_data (&dest, old, 3, record_free, &hint), 0);
    CHECK_EQ_INT (zmq_msg_move (&dest, &src), 0);
    CHECK_EQ_INT (frees, 1);
    CHECK_EQ_PTR (freed_data, old);
    CHECK_EQ_PTR (freed_hint, &hint);
    CHECK (has_body (&dest, 3, 5));
    CHECK_EQ_INT (zmq_msg_size (&src), 0);
    /* The emptied source can take a new body. */
    CHECK_EQ_INT (zmq_msg_copy (&src, &dest), 0);
    CHECK (has_body (&src, 3, 5));
    CHECK_EQ_INT (zmq_msg_close (&src), 0);
    CHECK_EQ_INT (zmq_msg_close (&dest), 0);
    CHECK_EQ_INT (frees, 1);

    /* A zero-copy body moves with its free function. */
    reset_frees ();
    char *buffer = strdup ("moving");
    CHECK_EQ_INT (zmq_msg_init_data (&src, buffer, 6, record_free, &hint), 0);
    CHECK_EQ_INT (zmq_msg_init (&dest), 0);
    CHECK_EQ_INT (zmq_msg_move (&dest, &src), 0);
    CHECK_EQ_PTR (zmq_msg_data (&dest), buffer);
    CHECK_EQ_INT (zmq_msg_close (&src), 0);
    CHECK_EQ_INT (frees, 0);
    CHECK_EQ_INT (zmq_msg_close (&dest), 0);
    CHECK_EQ_INT (frees, 1);
    CHECK_EQ_PTR (freed_data, buffer);
}

static void check_properties (void)
{
    zmq_msg_t msg;
    CHECK_EQ_INT (zmq_msg_init_size (&msg, 4), 0);
    CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_MORE), 0);
    CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_SHARED), 0);
    /* A message made here came from no file descriptor. */
    CHECK_ERRNO (zmq_msg_get (&msg, ZMQ_SRCFD) == -1, EINVAL);
    CHECK_ERRNO (zmq_msg_get (&msg, 12345) == -1, EINVAL);
    CHECK_ERRNO (zmq_msg_get (&msg, -1) == -1, EINVAL);
    CHECK_ERRNO (zmq_msg_get (&msg, 0) == -1, EINVAL);
    /* No property can be set in 4.3. */
    CHECK_ERRNO (zmq_msg_set (&msg, ZMQ_MORE, 1) == -1, EINVAL);
    CHECK_ERRNO (zmq_msg_set (&msg, ZMQ_MORE, 0) == -1, EINVAL);
    CHECK_ERRNO (zmq_msg_set (&msg, ZMQ_SHARED, 1) == -1, EINVAL);
    CHECK_ERRNO (zmq_msg_set (&msg, ZMQ_SRCFD, 3) == -1, EINVAL);
    CHECK_ERRNO (zmq_msg_set (&msg, 12345, 1) == -1, EINVAL);
    CHECK_EQ_INT (zmq_msg_more (&msg), 0);
    /* No metadata on a message made here. */
    const char *names[] = {"Socket-Type", "Identity", "Routing-Id", "User-Id",
                           "Peer-Address", "X-Foo", ""};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        CHECK_ERRNO (zmq_msg_gets (&msg, names[i]) == NULL, EINVAL);
    CHECK_EQ_INT (zmq_msg_size (&msg), 4);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
}

/* C code may move a zmq_msg_t with memcpy and use only the new place. */
static void check_relocation (void)
{
    const size_t sizes[] = {0, 10, 33, 5000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        zmq_msg_t original, moved;
        CHECK_EQ_INT (init_filled (&original, sizes[i], 6), 0);
        memcpy (&moved, &original, sizeof moved);
        memset (&original, 0xEE, sizeof original);
        CHECK (has_body (&moved, sizes[i], 6));
        /* The relocated message copies and moves like any other. */
        zmq_msg_t copy;
        CHECK_EQ_INT (zmq_msg_init (&copy), 0);
        CHECK_EQ_INT (zmq_msg_copy (&copy, &moved), 0);
        CHECK (has_body (&copy, sizes[i], 6));
        CHECK_EQ_INT (zmq_msg_close (&moved), 0);
        CHECK (has_body (&copy, sizes[i], 6));
        CHECK_EQ_INT (zmq_msg_close (&copy), 0);
    }

    /* Zero-copy: freed once, by the close of the relocated message. */
    zmq_msg_t original, moved, copy;
    reset_frees ();
    char *buffer = strdup ("data");
    int hint;
    CHECK_EQ_INT (zmq_msg_init_data (&original, buffer, 4, record_free, &hint), 0);
    memcpy (&moved, &original, sizeof moved);
    memset (&original, 0, sizeof original);
    CHECK_EQ_PTR (zmq_msg_data (&moved), buffer);
    CHECK_EQ_INT (zmq_msg_size (&moved), 4);
    CHECK_EQ_INT (zmq_msg_close (&moved), 0);
    CHECK_EQ_INT (frees, 1);
    CHECK_EQ_PTR (freed_data, buffer);
    CHECK_EQ_PTR (freed_hint, &hint);

    /* A shared body relocated while a copy holds it. */
    reset_frees ();
    buffer = strdup ("shared");
    CHECK_EQ_INT (zmq_msg_init_data (&original, buffer, 6, record_free, NULL), 0);
    CHECK_EQ_INT (zmq_msg_init (&copy), 0);
    CHECK_EQ_INT (zmq_msg_copy (&copy, &original), 0);
    memcpy (&moved, &original, sizeof moved);
    memset (&original, 0xAB, sizeof original);
    CHECK_EQ_INT (zmq_msg_get (&moved, ZMQ_SHARED), 1);
    CHECK_EQ_INT (zmq_msg_close (&moved), 0);
    CHECK_EQ_INT (frees, 0);
    CHECK (memcmp (zmq_msg_data (&copy), "shared", 6) == 0);
    CHECK_EQ_INT (zmq_msg_close (&copy), 0);
    CHECK_EQ_INT (frees, 1);

    /* Constant data. */
    static const char constant[] = "fixed";
    CHECK_EQ_INT (zmq_msg_init_data (&original, (void *) constant, 5, NULL, NULL), 0);
    memcpy (&moved, &original, sizeof moved);
    memset (&original, 0x5A, sizeof original);
    CHECK_EQ_PTR (zmq_msg_data (&moved), constant);
    CHECK_EQ_INT (zmq_msg_size (&moved), 5);
    CHECK_EQ_INT (zmq_msg_close (&moved), 0);

    /* Relocated into heap storage of exactly zmq_msg_t's size. */
    zmq_msg_t *heap = (zmq_msg_t *) malloc (sizeof (zmq_msg_t));
    CHECK_EQ_INT (init_filled (&original, 20, 8), 0);
    memcpy (heap, &original, sizeof *heap);
    CHECK (has_body (heap, 20, 8));
    CHECK_EQ_INT (zmq_msg_close (heap), 0);
    free (heap);
}

int main (void)
{
    CHECK_EQ_INT (sizeof (zmq_msg_t), 64);
    check_init ();
    check_init_size ();
    check_zero_copy_orders ();
    check_constant ();
    check_copy ();
    check_move ();
    check_properties ();
    check_relocation ();
    return test_result ("msg");
}
