/* Z85 (RFC 32): the RFC's test vector, round trips, every alphabet
 * character, and every kind of bad input. Buffers are malloc'ed at exactly
 * the size needed so that an overrun shows under valgrind. */
#include "testutil.h"
#include <stdint.h>

static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz"
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/* Decodes `text` into an exactly sized buffer; returns zmq_z85_decode's
 * answer compared with that buffer: 1 = decoded, 0 = refused (NULL),
 * -1 = some other pointer. */
static int try_decode (const char *text, uint8_t *expected)
{
    size_t size = strlen (text) / 5 * 4;
    uint8_t *out = (uint8_t *) malloc (size ? size : 1);
    uint8_t *result = zmq_z85_decode (out, text);
    int answer = result == out ? 1 : result == NULL ? 0 : -1;
    if (answer == 1 && expected)
        answer = memcmp (out, expected, size) == 0 ? 1 : -2;
    free (out);
    return answer;
}

static void check_test_vector (void)
{
    const uint8_t hello[8] = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};
    char *text = (char *) malloc (11);
    CHECK_EQ_PTR (zmq_z85_encode (text, hello, 8), text);
    CHECK_STR (text, "HelloWorld");
    uint8_t *bytes = (uint8_t *) malloc (8);
    CHECK_EQ_PTR (zmq_z85_decode (bytes, "HelloWorld"), bytes);
    CHECK (memcmp (bytes, hello, 8) == 0);
    free (text);
    free (bytes);

    /* The extremes of one group. */
    const uint8_t zeros[4] = {0, 0, 0, 0}, ones[4] = {0xFF, 0xFF, 0xFF, 0xFF};
    char group[6];
    CHECK_EQ_PTR (zmq_z85_encode (group, zeros, 4), group);
    CHECK_STR (group, "00000");
    CHECK_EQ_PTR (zmq_z85_encode (group, ones, 4), group);
    CHECK_STR (group, "%nSc0");
    CHECK_EQ_INT (try_decode ("00000", (uint8_t *) zeros), 1);
    CHECK_EQ_INT (try_decode ("%nSc0", (uint8_t *) ones), 1);

    /* Encoding nothing gives an empty string. */
    char *empty = (char *) malloc (1);
    empty[0] = 'x';
    CHECK_EQ_PTR (zmq_z85_encode (empty, hello, 0), empty);
    CHECK_EQ_INT (empty[0], '\0');
    free (empty);
}

static void check_round_trips (void)
{
    srand (7);
    for (size_t size = 4; size <= 1024; size += 4) {
        uint8_t *data = (uint8_t *) malloc (size);
        for (size_t i = 0; i < size; i++)
            data[i] = (uint8_t) (rand () >> 5);
        char *encoded = (char *) malloc (size * 5 / 4 + 1);
        CHECK_EQ_PTR (zmq_z85_encode (encoded, data, size), encoded);
        CHECK_EQ_INT (strlen (encoded), size * 5 / 4);
        CHECK_EQ_INT (strspn (encoded, alphabet), size * 5 / 4);
        uint8_t *decoded = (uint8_t *) malloc (size);
        CHECK_EQ_PTR (zmq_z85_decode (decoded, encoded), decoded);
        CHECK (memcmp (decoded, data, size) == 0);
        free (data);
        free (encoded);
        free (decoded);
    }
}

static void check_alphabet (void)
{
    CHECK_EQ_INT (strlen (alphabet), 85);
    for (int i = 0; i < 85; i++) {
        /* Each character in each position of a group, with zeros around:
         * its value times a power of 85, big-endian. Leading '$' and '#'
         * (83 and 84 times 85^4) exceed 32 bits. */
        uint32_t power = 1;
        for (int pos = 4; pos >= 0; pos--) {
            char group[6] = "00000";
            group[pos] = alphabet[i];
            uint64_t value = (uint64_t) i * power;
            if (value > UINT32_MAX) {
                CHECK_EQ_INT (try_decode (group, NULL), 0);
            } else {
                uint8_t expected[4] = {(uint8_t) (value >> 24), (uint8_t) (value >> 16),
                                       (uint8_t) (value >> 8), (uint8_t) value};
                CHECK_EQ_INT (try_decode (group, expected), 1);
            }
            power *= pos > 0 ? 85 : 1;
        }
        /* And the encoder uses this character for this value. */
        uint8_t bytes[4] = {0, 0, 0, (uint8_t) i};
        char text[6];
        CHECK_EQ_PTR (zmq_z85_encode (text, bytes, 4), text);
        CHECK_EQ_INT (text[4], alphabet[i]);
        CHECK (memcmp (text, "0000", 4) == 0);
    }
}

static void check_bad_input (void)
{
    const uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    char text[16];

    /* Sizes that are not a multiple of 4. */
    const size_t bad_sizes[] = {1, 2, 3, 5, 6, 7};
    for (size_t i = 0; i < sizeof bad_sizes / sizeof *bad_sizes; i++) {
        memset (text, 'k', sizeof text);
        CHECK_ERRNO (zmq_z85_encode (text, data, bad_sizes[i]) == NULL, EINVAL);
        CHECK_EQ_INT (text[0], 'k');
    }

    /* Lengths that are not a multiple of 5, and the empty string. */
    const char *bad_lengths[] = {"", "H", "Hell", "HelloW", "HelloWorl", "HelloWorld0"};
    for (size_t i = 0; i < sizeof bad_lengths / sizeof *bad_lengths; i++) {
        errno = 0;
        CHECK_EQ_INT (try_decode (bad_lengths[i], NULL), 0);
        CHECK_EQ_INT (errno, EINVAL);
    }

    /* Characters outside the alphabet, in the first or a later group. */
    const char bad[] = {' ', '"', '\'', ',', ';', '\\', '_', '`', '|', '~', 0x7F,
                        (char) 0x80, (char) 0xFF, '\t', '\n', 0x01};
    for (size_t i = 0; i < sizeof bad; i++) {
        char one[6] = {'a', 'b', bad[i], 'c', 'd', 0};
        errno = 0;
        CHECK_EQ_INT (try_decode (one, NULL), 0);
        CHECK_EQ_INT (errno, EINVAL);
        char two[11] = "HelloWorld";
        two[9] = bad[i];
        errno = 0;
        CHECK_EQ_INT (try_decode (two, NULL), 0);
        CHECK_EQ_INT (errno, EINVAL);
    }

    /* Groups worth more than 2^32 - 1. */
    const char *too_big[] = {"%nSc1", "%nSd0", "%%%%%", "#####", "$0000", "HelloWorld%%%%%"};
    for (size_t i = 0; i < sizeof too_big / sizeof *too_big; i++) {
        errno = 0;
        CHECK_EQ_INT (try_decode (too_big[i], NULL), 0);
        CHECK_EQ_INT (errno, EINVAL);
    }

#ifndef REFERENCE_LIBZMQ
    /* NULL pointers are refused, not followed. */
    uint8_t bytes[8];
    CHECK_ERRNO (zmq_z85_encode (NULL, data, 4) == NULL, EINVAL);
    CHECK_ERRNO (zmq_z85_encode (text, NULL, 4) == NULL, EINVAL);
    CHECK_ERRNO (zmq_z85_decode (NULL, "HelloWorld") == NULL, EINVAL);
    CHECK_ERRNO (zmq_z85_decode (bytes, NULL) == NULL, EINVAL);
#endif
}

int main (void)
{
    check_test_vector ();
    check_round_trips ();
    check_alphabet ();
    check_bad_input ();
    return test_result ("z85");
}
