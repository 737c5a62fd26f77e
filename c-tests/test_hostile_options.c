/* Every option number with hostile lengths and values, on every socket
 * type, and every context option: calls fail cleanly or succeed, never
 * crash; sockets keep working afterwards. */
#include "testutil.h"
#include <stdint.h>

int main (void)
{
    void *ctx = zmq_ctx_new ();
    REQUIRE (ctx != NULL);
    unsigned char value[300];
    size_t lengths[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 255, 256, 300};
    int types[] = {ZMQ_PAIR, ZMQ_PUB, ZMQ_SUB, ZMQ_REQ, ZMQ_REP, ZMQ_DEALER,
                   ZMQ_ROUTER, ZMQ_PULL, ZMQ_PUSH, ZMQ_XPUB, ZMQ_XSUB};
    int fills[] = {0x00, 0xFF, 0x7F, 0x01};
    int calls = 0;
    for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
        void *s = zmq_socket (ctx, types[t]);
        REQUIRE (s != NULL);
        for (int option = -2; option < 130; option++) {
            /* Options that would make the rest of the test block. */
            if (option == ZMQ_RCVTIMEO || option == ZMQ_SNDTIMEO)
                continue;
            for (size_t f = 0; f < sizeof fills / sizeof *fills; f++) {
                memset (value, fills[f], sizeof value);
                for (size_t l = 0; l < sizeof lengths / sizeof *lengths; l++) {
                    int rc = zmq_setsockopt (s, option, value, lengths[l]);
                    CHECK (rc == 0 || (rc == -1 && errno != 0));
                    calls++;
                }
            }
            for (size_t l = 0; l < sizeof lengths / sizeof *lengths; l++) {
                size_t len = lengths[l];
                int rc = zmq_getsockopt (s, option, value, &len);
                CHECK (rc == 0 || (rc == -1 && (errno == EINVAL || errno == EFAULT)));
                CHECK (len <= sizeof value);
                calls++;
            }
        }
        /* Still a working socket. */
        CHECK_EQ_INT (get_int (s, ZMQ_TYPE), types[t]);
        int zero = 0;
        CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_LINGER, &zero, sizeof zero), 0);
        CHECK_EQ_INT (zmq_close (s), 0);
    }
    for (int option = -2; option < 130; option++) {
        int values[] = {-1000, -1, 0, 1, 2, 1024, INT32_MAX};
        for (size_t v = 0; v < sizeof values / sizeof *values; v++) {
            if ((option == ZMQ_MAX_SOCKETS || option == ZMQ_BLOCKY) && values[v] < 16)
                continue;
            int rc = zmq_ctx_set (ctx, option, values[v]);
            CHECK (rc == 0 || (rc == -1 && errno == EINVAL));
            calls++;
        }
        int rc = zmq_ctx_get (ctx, option);
        CHECK (rc >= -1);
    }
    void *s = zmq_socket (ctx, ZMQ_PAIR);
    CHECK (s != NULL);
    zmq_close (s);
    printf ("%d hostile calls\n", calls);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("hostile_options");
}
