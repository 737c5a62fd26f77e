/* zmq_curve_keypair and zmq_curve_public: known answers from keys the
 * real libzmq (libsodium) made, fresh pairs, and bad secret keys. */
#include "testutil.h"

static const char *known[][2] = {
  {"o2?8HHZ<I^o^a%&.Meh)&vl=d.y1&RWtU-N]Ft(r", "?S#96</y-=-?3(:LhyEM)*o1*G3-^*0Ppx1>ZI]H"},
  {"vV(dE:6^!.+p6IHW/VG8kpvI}LSfKhtR1M:RYTGk", "i2zRjUme@[^(qZZhVN?%UuJPjFC(^AUJiY7j*59#"},
  {"AojH8Shv9C}yCfUNLN<KVG5!$)+SxkH6g5Ki%/sn", "[+w&35UVo:**E-5Toc<&D>(KmrmWI?0dIX{k9u+T"},
};

int main (void)
{
    char public_key[41], secret_key[41], derived[41];
    for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
        memset (derived, 0, sizeof derived);
        CHECK_EQ_INT (zmq_curve_public (derived, known[i][1]), 0);
        CHECK_STR (derived, known[i][0]);
    }

    char previous[41] = "";
    for (int round = 0; round < 5; round++) {
        memset (public_key, 0x55, sizeof public_key);
        CHECK_EQ_INT (zmq_curve_keypair (public_key, secret_key), 0);
        CHECK_EQ_INT (strlen (public_key), 40);
        CHECK_EQ_INT (strlen (secret_key), 40);
        CHECK_EQ_INT (zmq_curve_public (derived, secret_key), 0);
        CHECK_STR (derived, public_key);
        CHECK (strcmp (previous, public_key) != 0);
        strcpy (previous, public_key);
    }

    /* Secret keys of the wrong length or with bad characters. */
    CHECK_ERRNO (zmq_curve_public (derived, "") == -1, EINVAL);
    char bad[41];
    strcpy (bad, known[0][1]);
    bad[5] = ' ';
    CHECK_ERRNO (zmq_curve_public (derived, bad) == -1, EINVAL);
#ifndef REFERENCE_LIBZMQ
    /* libzmq decodes a short key into part of its buffer and derives a
     * public key from whatever else the buffer held. */
    CHECK_ERRNO (zmq_curve_public (derived, "short") == -1, EINVAL);
    CHECK_ERRNO (zmq_curve_public (derived, NULL) == -1, EINVAL);
    CHECK_ERRNO (zmq_curve_public (NULL, known[0][1]) == -1, EINVAL);
    CHECK_ERRNO (zmq_curve_keypair (NULL, secret_key) == -1, EINVAL);
    CHECK_ERRNO (zmq_curve_keypair (public_key, NULL) == -1, EINVAL);
#endif
    return test_result ("curve_keys");
}
