/* zmq_version, zmq_errno, zmq_strerror, zmq_has. */
#include "testutil.h"

int main (void)
{
    int major = -1, minor = -1, patch = -1;
    zmq_version (&major, &minor, &patch);
    CHECK_EQ_INT (major, ZMQ_VERSION_MAJOR);
    CHECK_EQ_INT (minor, ZMQ_VERSION_MINOR);
    CHECK_EQ_INT (patch, ZMQ_VERSION_PATCH);
    CHECK_EQ_INT (ZMQ_VERSION, ZMQ_MAKE_VERSION (major, minor, patch));

    /* zmq_errno is the errno of the failing call. */
    zmq_msg_t msg;
    CHECK_EQ_INT (zmq_msg_init_size (&msg, 1), 0);
    CHECK_EQ_INT (zmq_msg_get (&msg, 12345), -1);
    CHECK_EQ_INT (zmq_errno (), EINVAL);
    CHECK_EQ_INT (errno, EINVAL);
    zmq_msg_close (&msg);

    /* The library's own error strings. */
    CHECK_STR (zmq_strerror (EFSM), "Operation cannot be accomplished in current state");
    CHECK_STR (zmq_strerror (ENOCOMPATPROTO), "The protocol is not compatible with the socket type");
    CHECK_STR (zmq_strerror (ETERM), "Context was terminated");
    CHECK_STR (zmq_strerror (EMTHREAD), "No thread available");
    int codes[] = {EINVAL, EAGAIN, ENOTSOCK, EFAULT, ENOTSUP, EPROTONOSUPPORT, EINTR, ENOENT};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        CHECK_STR (zmq_strerror (codes[i]), strerror (codes[i]));
    /* libzmq words EHOSTUNREACH its own way. */
    CHECK_STR (zmq_strerror (EHOSTUNREACH), "Host unreachable");
    CHECK_EQ_INT (EFSM, ZMQ_HAUSNUMERO + 51);
    CHECK_EQ_INT (ETERM, ZMQ_HAUSNUMERO + 53);

    /* Capabilities: unknown ones are absent. */
    CHECK_EQ_INT (zmq_has ("nonsense"), 0);
    CHECK_EQ_INT (zmq_has (""), 0);
    const char *known[] = {"ipc", "pgm", "tipc", "norm", "curve", "gssapi", "draft"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
        int has = zmq_has (known[i]);
        CHECK (has == 0 || has == 1);
    }
#ifndef REFERENCE_LIBZMQ
    /* This build has none of the optional transports and mechanisms, and
     * answers NULL instead of crashing. */
    CHECK_EQ_INT (zmq_has ("pgm"), 0);
    CHECK_EQ_INT (zmq_has ("tipc"), 0);
    CHECK_EQ_INT (zmq_has ("norm"), 0);
    CHECK_EQ_INT (zmq_has ("gssapi"), 0);
    CHECK_EQ_INT (zmq_has ("draft"), 0);
    CHECK_EQ_INT (zmq_has (NULL), 0);
    zmq_version (NULL, NULL, NULL);
#endif
    return test_result ("version_errors");
}
