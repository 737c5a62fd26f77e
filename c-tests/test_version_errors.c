/* zmq_version, zmq_errno, zmq_strerror, zmq_has. */
#include "testutil.h"

/* zmq_errno() is the calling thread's errno: a failure in another thread
 * does not show here. */
static int thread_errno;
static void fail_in_thread (void *arg)
{
    (void) arg;
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    if (zmq_msg_get (&msg, 12345) == -1)
        thread_errno = zmq_errno ();
    zmq_msg_close (&msg);
}

static void check_version (void)
{
    int major = -1, minor = -1, patch = -1;
    zmq_version (&major, &minor, &patch);
    CHECK_EQ_INT (major, ZMQ_VERSION_MAJOR);
    CHECK_EQ_INT (minor, ZMQ_VERSION_MINOR);
    CHECK_EQ_INT (patch, ZMQ_VERSION_PATCH);
    CHECK_EQ_INT (ZMQ_VERSION, ZMQ_MAKE_VERSION (major, minor, patch));
    CHECK_EQ_INT (major, 4);
    CHECK_EQ_INT (minor, 3);
#ifndef REFERENCE_LIBZMQ
    CHECK_EQ_INT (patch, 5);
    CHECK_EQ_INT (ZMQ_VERSION, 40305);
    /* NULL out-pointers are not written through. */
    zmq_version (NULL, NULL, NULL);
#endif
}

static void check_errno (void)
{
    zmq_msg_t msg;
    char text[8];
    unsigned char bytes[3] = {1, 2, 3};

    zmq_msg_init (&msg);
    errno = 0;
    CHECK_EQ_INT (zmq_msg_get (&msg, 12345), -1);
    CHECK_EQ_INT (errno, EINVAL);
    CHECK_EQ_INT (zmq_errno (), EINVAL);
    zmq_msg_close (&msg);

    errno = 0;
    CHECK (zmq_z85_encode (text, bytes, 3) == NULL);
    CHECK_EQ_INT (errno, EINVAL);
    CHECK_EQ_INT (zmq_errno (), EINVAL);

    errno = 0;
    CHECK_EQ_INT (zmq_close (NULL), -1);
    CHECK_EQ_INT (errno, ENOTSOCK);
    CHECK_EQ_INT (zmq_errno (), ENOTSOCK);

    errno = 0;
    CHECK_EQ_INT (zmq_timers_timeout (NULL), -1);
    CHECK_EQ_INT (errno, EFAULT);
    CHECK_EQ_INT (zmq_errno (), EFAULT);

    /* Whatever errno holds, zmq_errno() reports it. */
    errno = ETERM;
    CHECK_EQ_INT (zmq_errno (), ETERM);
    errno = 0;
    CHECK_EQ_INT (zmq_errno (), 0);

    thread_errno = 0;
    void *thread = zmq_threadstart (fail_in_thread, NULL);
    CHECK (thread != NULL);
    if (thread)
        zmq_threadclose (thread);
    CHECK_EQ_INT (thread_errno, EINVAL);
    CHECK_EQ_INT (zmq_errno (), 0);
}

static void check_strerror (void)
{
    /* The library's own codes and words. */
    CHECK_EQ_INT (EFSM, ZMQ_HAUSNUMERO + 51);
    CHECK_EQ_INT (ENOCOMPATPROTO, ZMQ_HAUSNUMERO + 52);
    CHECK_EQ_INT (ETERM, ZMQ_HAUSNUMERO + 53);
    CHECK_EQ_INT (EMTHREAD, ZMQ_HAUSNUMERO + 54);
    CHECK_STR (zmq_strerror (EFSM),
               "Operation cannot be accomplished in current state");
    CHECK_STR (zmq_strerror (ENOCOMPATPROTO),
               "The protocol is not compatible with the socket type");
    CHECK_STR (zmq_strerror (ETERM), "Context was terminated");
    CHECK_STR (zmq_strerror (EMTHREAD), "No thread available");
    /* libzmq words EHOSTUNREACH its own way. */
    CHECK_STR (zmq_strerror (EHOSTUNREACH), "Host unreachable");

    /* Every other code reads as the C library says. zmq_strerror's answer is
     * copied first: strerror may reuse a buffer. */
    char mine[256];
    for (int code = 0; code < 134; code++) {
        if (code == EHOSTUNREACH)
            continue;
        const char *text = zmq_strerror (code);
        CHECK (text != NULL);
        snprintf (mine, sizeof mine, "%s", text ? text : "(null)");
        CHECK_STR (mine, strerror (code));
    }
    const char *unknown = zmq_strerror (99999);
    CHECK (unknown != NULL && *unknown != '\0');
}

static void check_has (void)
{
    /* Unknown capabilities are absent; names are case-sensitive. */
    CHECK_EQ_INT (zmq_has ("nonsense"), 0);
    CHECK_EQ_INT (zmq_has (""), 0);
    CHECK_EQ_INT (zmq_has ("IPC"), 0);
    CHECK_EQ_INT (zmq_has ("ipc "), 0);
    CHECK_EQ_INT (zmq_has ("tcp"), 0);
    const char *known[] = {"ipc", "pgm", "tipc", "norm", "curve", "gssapi", "draft"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
        int has = zmq_has (known[i]);
        CHECK (has == 0 || has == 1);
    }
    /* Neither build enables the draft API; both have ipc. */
    CHECK_EQ_INT (zmq_has ("draft"), 0);
    CHECK_EQ_INT (zmq_has ("ipc"), 1);
#ifndef REFERENCE_LIBZMQ
    /* None of the optional transports and mechanisms here (Debian's libzmq
     * has pgm, norm and gssapi); NULL is answered, not dereferenced. */
    CHECK_EQ_INT (zmq_has ("pgm"), 0);
    CHECK_EQ_INT (zmq_has ("tipc"), 0);
    CHECK_EQ_INT (zmq_has ("norm"), 0);
    CHECK_EQ_INT (zmq_has ("gssapi"), 0);
    CHECK_EQ_INT (zmq_has (NULL), 0);
#endif
}

int main (void)
{
    check_version ();
    check_errno ();
    check_strerror ();
    check_has ();
    return test_result ("version_errors");
}
