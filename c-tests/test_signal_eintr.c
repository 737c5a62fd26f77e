/* A signal interrupts a blocking zmq_recv and zmq_poll with EINTR, as the
 * usual interrupt-handling pattern expects. */
#include "testutil.h"
#include <signal.h>
#include <sys/time.h>

static volatile sig_atomic_t interrupted;

static void on_alarm (int signum)
{
    (void) signum;
    interrupted = 1;
}

static void arm (void)
{
    struct itimerval timer = {{0, 0}, {0, 50000}};
    interrupted = 0;
    setitimer (ITIMER_REAL, &timer, NULL);
}

int main (void)
{
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = on_alarm;
    sigemptyset (&action.sa_mask);
    sigaction (SIGALRM, &action, NULL);

    void *ctx = zmq_ctx_new ();
    REQUIRE (ctx != NULL);
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    char endpoint[64], buf[8];
    CHECK_EQ_INT (bind_inproc (pull, endpoint, sizeof endpoint), 0);

    arm ();
    CHECK_ERRNO (zmq_recv (pull, buf, sizeof buf, 0) == -1, EINTR);
    CHECK_EQ_INT (interrupted, 1);

    arm ();
    zmq_pollitem_t item = {pull, 0, ZMQ_POLLIN, 0};
    CHECK_ERRNO (zmq_poll (&item, 1, -1) == -1, EINTR);
    CHECK_EQ_INT (interrupted, 1);

    /* The socket still works afterwards. */
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    CHECK_EQ_INT (zmq_connect (push, endpoint), 0);
    CHECK_EQ_INT (zmq_send (push, "ok", 2, 0), 2);
    CHECK_EQ_INT (zmq_recv (pull, buf, sizeof buf, 0), 2);
    zmq_close (push);

    /* zmq_ctx_term waiting for an open socket is interrupted too, and can
     * be called again once the socket is closed. */
    arm ();
    CHECK_ERRNO (zmq_ctx_term (ctx) == -1, EINTR);
    zmq_close (pull);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("signal_eintr");
}
