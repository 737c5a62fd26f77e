/* zmq_curve_keypair and zmq_curve_public: known answers (key pairs made by
 * the real libzmq 4.3.4 through pyzmq), fresh pairs, and bad secret keys.
 * Outputs go to exactly sized heap buffers so an overrun shows. */
#include "testutil.h"

static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz"
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/* {public, secret} */
static const char *known[][2] = {
  {"@U(&BIj)3XCos-$6sUd%NrOiAtY{Srj(0))UO6(Q", "<*]^]iB<qqwImvZ5x/kcQ^zgjBpFpu0rS{rGCYvs"},
  {"wl$UiDvS3(*f](f@KYyBNpn}AfZnk0X%1u.)G(X(", "qp.dP06[C:U*hZ#<ZCEj]Py3aYDBK6q17ZS+{%Wt"},
  {"[m>2v6exs.QM$d(SqF+ARJEi&Ss!}]m$@*<O{#&e", "M7buzK<>s&2OyeaK4cr0Y?nIe4]Q{M0*Q2AdTCbg"},
  /* The all-zero secret key. */
  {"fxERSn6LHg6!4!qu+m-(f-Q<1UF!=7)u0-ysJ-^F", "0000000000000000000000000000000000000000"},
};

static int is_key (const char *key)
{
    return strlen (key) == 40 && strspn (key, alphabet) == 40;
}

static void check_known_answers (void)
{
    char *derived = (char *) malloc (41);
    for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
        memset (derived, 0, 41);
        CHECK_EQ_INT (zmq_curve_public (derived, known[i][1]), 0);
        CHECK_STR (derived, known[i][0]);
    }
    free (derived);
}

static void check_fresh_pairs (void)
{
    enum { PAIRS = 6 };
    char *publics[PAIRS], *secrets[PAIRS];
    char *derived = (char *) malloc (41);
    for (int i = 0; i < PAIRS; i++) {
        publics[i] = (char *) malloc (41);
        secrets[i] = (char *) malloc (41);
        memset (publics[i], 0x55, 41);
        memset (secrets[i], 0x55, 41);
        CHECK_EQ_INT (zmq_curve_keypair (publics[i], secrets[i]), 0);
        CHECK (is_key (publics[i]));
        CHECK (is_key (secrets[i]));
        CHECK (strcmp (publics[i], secrets[i]) != 0);
        memset (derived, 0, 41);
        CHECK_EQ_INT (zmq_curve_public (derived, secrets[i]), 0);
        CHECK_STR (derived, publics[i]);
        /* Every pair is new. */
        for (int j = 0; j < i; j++) {
            CHECK (strcmp (publics[i], publics[j]) != 0);
            CHECK (strcmp (secrets[i], secrets[j]) != 0);
        }
    }
    for (int i = 0; i < PAIRS; i++) {
        free (publics[i]);
        free (secrets[i]);
    }
    free (derived);
}

static void check_bad_secrets (void)
{
    char derived[41];
    char key[48];

    /* Lengths that are not a multiple of 5. */
    const size_t lengths[] = {0, 1, 39, 41, 44};
    for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
        memset (key, 'a', sizeof key);
        key[lengths[i]] = '\0';
        memset (derived, 'Q', sizeof derived);
        CHECK_ERRNO (zmq_curve_public (derived, key) == -1, EINVAL);
        CHECK_EQ_INT (derived[0], 'Q');
    }

    /* A character outside the Z85 alphabet anywhere in the key. */
    const char bad[] = {' ', '"', '\\', '_', '~', (char) 0x80};
    for (size_t i = 0; i < sizeof bad; i++) {
        for (int pos = 0; pos < 40; pos += 13) {
            strcpy (key, known[0][1]);
            key[pos] = bad[i];
            memset (derived, 'Q', sizeof derived);
            CHECK_ERRNO (zmq_curve_public (derived, key) == -1, EINVAL);
            CHECK_EQ_INT (derived[0], 'Q');
        }
    }

    /* A group worth more than 32 bits. */
    CHECK_ERRNO (zmq_curve_public (derived, "########################################") == -1, EINVAL);
    strcpy (key, known[1][1]);
    memcpy (key + 35, "%nSc1", 5);
    CHECK_ERRNO (zmq_curve_public (derived, key) == -1, EINVAL);

#ifndef REFERENCE_LIBZMQ
    /* libzmq decodes a key whose length is another multiple of 5 into its
     * 32-byte buffer: too little (uses what else the buffer held) or too
     * much (overruns it). */
    CHECK_ERRNO (zmq_curve_public (derived, "short") == -1, EINVAL);
    memset (key, 'a', sizeof key);
    key[35] = '\0';
    CHECK_ERRNO (zmq_curve_public (derived, key) == -1, EINVAL);
    memset (key, 'a', sizeof key);
    key[45] = '\0';
    CHECK_ERRNO (zmq_curve_public (derived, key) == -1, EINVAL);
    /* NULL pointers. */
    char public_key[41], secret_key[41];
    CHECK_ERRNO (zmq_curve_public (derived, NULL) == -1, EINVAL);
    CHECK_ERRNO (zmq_curve_public (NULL, known[0][1]) == -1, EINVAL);
    CHECK_ERRNO (zmq_curve_keypair (NULL, secret_key) == -1, EINVAL);
    CHECK_ERRNO (zmq_curve_keypair (public_key, NULL) == -1, EINVAL);
    CHECK_ERRNO (zmq_curve_keypair (NULL, NULL) == -1, EINVAL);
#endif
}

int main (void)
{
    check_known_answers ();
    check_fresh_pairs ();
    check_bad_secrets ();
    return test_result ("curve_keys");
}
