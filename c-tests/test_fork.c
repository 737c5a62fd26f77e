/* no-valgrind: the forked child keeps what it inherited, which valgrind counts as lost */
/* fork(): a child that touches the context and sockets it inherited gets
 * ETERM at once (or, for zmq_close and zmq_ctx_term, a no-op that
 * succeeds), never a hang or an abort: their I/O threads stayed in the
 * parent. A context the child makes itself works, over inproc and over tcp
 * to the parent's socket while the parent's stay open, and the parent goes
 * on as if nothing happened. */
#include "testnet.h"

#include <signal.h>
#include <sys/wait.h>

/* The child's checks; its exit status is the number that failed. */
static int child (void *ctx, void *push, void *pull, const char *parent)
{
    alarm (10); /* a hang becomes a failure, not a stuck test */
    int bad = 0;
    char buf[16];
#ifndef REFERENCE_LIBZMQ
    errno = 0;
    bad += !(zmq_send (push, "child", 5, 0) == -1 && errno == ETERM);
    bad += !(zmq_recv (pull, buf, sizeof buf, 0) == -1 && errno == ETERM);
    bad += !(zmq_socket (ctx, ZMQ_PAIR) == NULL && errno == ETERM);
    zmq_pollitem_t item = {pull, 0, ZMQ_POLLIN, 0};
    bad += !(zmq_poll (&item, 1, 1000) == -1 && errno == ETERM);
    bad += zmq_close (push) != 0;
    bad += zmq_close (pull) != 0;
    bad += zmq_ctx_term (ctx) != 0;
#else
    /* libzmq has no such guard: the child only leaves them alone. */
    (void) ctx;
    (void) push;
    (void) pull;
#endif
    /* A context of its own works. */
    void *own = zmq_ctx_new ();
    void *a = zmq_socket (own, ZMQ_PAIR);
    void *b = zmq_socket (own, ZMQ_PAIR);
    bad += zmq_bind (a, "inproc://in-the-child") != 0;
    bad += zmq_connect (b, "inproc://in-the-child") != 0;
    bad += zmq_send (a, "mine", 4, 0) != 4;
    bad += zmq_recv (b, buf, sizeof buf, 0) != 4;
    zmq_close (a);
    zmq_close (b);
    /* So does the network, with I/O threads of its own: a message to the
       parent's PULL, which is still open over there. Linger waits until
       it is written. */
    void *to_parent = zmq_socket (own, ZMQ_PUSH);
    bad += zmq_connect (to_parent, parent) != 0;
    bad += zmq_send (to_parent, "from-child", 10, 0) != 10;
    zmq_close (to_parent);
    bad += zmq_ctx_term (own) != 0;
    return bad;
}

int main (void)
{
    void *ctx = zmq_ctx_new ();
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    set_int (pull, ZMQ_RCVTIMEO, 5000);
    REQUIRE (zmq_bind (pull, "tcp://127.0.0.1:*") == 0);
    char endpoint[64];
    size_t len = sizeof endpoint;
    zmq_getsockopt (pull, ZMQ_LAST_ENDPOINT, endpoint, &len);
    REQUIRE (zmq_connect (push, endpoint) == 0);
    char buf[16];
    CHECK_EQ_INT (zmq_send (push, "before", 6, 0), 6);
    CHECK_EQ_INT (zmq_recv (pull, buf, sizeof buf, 0), 6);

    fflush (stdout);
    fflush (stderr);
    pid_t pid = fork ();
    REQUIRE (pid >= 0);
    if (pid == 0)
        _exit (child (ctx, push, pull, endpoint));
    int status = 0;
    CHECK_EQ_INT (waitpid (pid, &status, 0), pid);
    CHECK (WIFEXITED (status));
    CHECK_EQ_INT (WEXITSTATUS (status), 0);

    /* The child's own connection reached the parent's socket. */
    CHECK_EQ_INT (zmq_recv (pull, buf, sizeof buf, 0), 10);
    CHECK (memcmp (buf, "from-child", 10) == 0);

    /* The parent is unaffected. */
    CHECK_EQ_INT (zmq_send (push, "after", 5, 0), 5);
    CHECK_EQ_INT (zmq_recv (pull, buf, sizeof buf, 0), 5);
    CHECK (memcmp (buf, "after", 5) == 0);
    set_int (push, ZMQ_LINGER, 0);
    zmq_close (push);
    zmq_close (pull);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("test_fork");
}
