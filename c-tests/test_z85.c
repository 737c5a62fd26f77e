/* Z85 (RFC 32): the test vector, round trips, and every kind of bad input,
 * with exactly-sized buffers so that an overrun shows under valgrind. */
#include "testutil.h"
#include <stdint.h>
#include <stdlib.h>

static const char alphabet[] =
  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

int main (void)
{
    const uint8_t hello[8] = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};
    char *text = malloc (11);
    CHECK (zmq_z85_encode (text, hello, 8) == text);
    CHECK_STR (text, "HelloWorld");
    uint8_t *bytes = malloc (8);
    CHECK (zmq_z85_decode (bytes, "HelloWorld") == bytes);
    CHECK (memcmp (bytes, hello, 8) == 0);
    free (text);
    free (bytes);

    /* Round trips of every length up to 1 KiB. */
    srand (7);
    for (size_t size = 0; size <= 1024; size += 4) {
        uint8_t *data = malloc (size + 1);
        for (size_t i = 0; i < size; i++)
            data[i] = (uint8_t) rand ();
        char *encoded = malloc (size * 5 / 4 + 1);
        CHECK (zmq_z85_encode (encoded, data, size) == encoded);
        CHECK_EQ_INT (strlen (encoded), size * 5 / 4);
        uint8_t *decoded = malloc (size + 1);
        /* An empty string is not decoded (libzmq's rule). */
        CHECK (zmq_z85_decode (decoded, encoded) == (size ? decoded : NULL));
        CHECK (memcmp (decoded, data, size) == 0);
        free (data);
        free (encoded);
        free (decoded);
    }

    /* Each alphabet character decodes to its own value. */
    for (int i = 0; i < 85; i++) {
        char group[6] = {'0', '0', '0', '0', alphabet[i], 0};
        uint8_t out[4];
        CHECK (zmq_z85_decode (out, group) == out);
        CHECK_EQ_INT (out[3], i);
    }

    /* Wrong lengths. */
    char small_text[16];
    uint8_t small_bytes[16];
    CHECK (zmq_z85_encode (small_text, hello, 3) == NULL);
    CHECK (zmq_z85_encode (small_text, hello, 7) == NULL);
    CHECK (zmq_z85_decode (small_bytes, "Hell") == NULL);
    CHECK (zmq_z85_decode (small_bytes, "HelloWorl") == NULL);

    /* Characters outside the alphabet. */
    const char bad[] = {' ', '"', '\'', ',', ';', '\\', '_', '`', '|', '~', 0x7F, (char) 0x80, (char) 0xFF};
    for (size_t i = 0; i < sizeof bad; i++) {
        char group[6] = {'a', 'b', bad[i], 'c', 'd', 0};
        CHECK (zmq_z85_decode (small_bytes, group) == NULL);
    }

    /* A group worth more than 2^32 - 1. */
    CHECK (zmq_z85_decode (small_bytes, "%%%%%") == NULL);
    CHECK (zmq_z85_decode (small_bytes, "#####") == NULL);
    CHECK (zmq_z85_decode (small_bytes, "%nSc0") == small_bytes);
    CHECK_EQ_INT (small_bytes[0], 0xFF);

#ifndef REFERENCE_LIBZMQ
    /* Errors say EINVAL; NULL pointers are refused. */
    CHECK_ERRNO (zmq_z85_encode (small_text, hello, 3) == NULL, EINVAL);
    CHECK_ERRNO (zmq_z85_decode (small_bytes, "#####") == NULL, EINVAL);
    CHECK_ERRNO (zmq_z85_decode (small_bytes, "ab cd") == NULL, EINVAL);
    CHECK_ERRNO (zmq_z85_encode (NULL, hello, 4) == NULL, EINVAL);
    CHECK_ERRNO (zmq_z85_encode (small_text, NULL, 4) == NULL, EINVAL);
    CHECK_ERRNO (zmq_z85_decode (NULL, "HelloWorld") == NULL, EINVAL);
    CHECK_ERRNO (zmq_z85_decode (small_bytes, NULL) == NULL, EINVAL);
#endif
    return test_result ("z85");
}
