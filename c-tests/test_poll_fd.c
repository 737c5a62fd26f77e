/* zmq_poll over sockets and plain descriptors, and ZMQ_FD / ZMQ_EVENTS
 * driven from poll(2) the way event loops use them. */
#include "testutil.h"
#include <poll.h>
#include <unistd.h>

int main (void)
{
    void *ctx = zmq_ctx_new ();
    REQUIRE (ctx != NULL);
    char endpoint[64], buf[16];
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    CHECK_EQ_INT (bind_inproc (pull, endpoint, sizeof endpoint), 0);
    CHECK_EQ_INT (zmq_connect (push, endpoint), 0);
    int pipe_fds[2];
    REQUIRE (pipe (pipe_fds) == 0);

    zmq_pollitem_t items[3] = {
      {pull, 0, ZMQ_POLLIN, 0},
      {NULL, pipe_fds[0], ZMQ_POLLIN, 0},
      {push, 0, ZMQ_POLLOUT, 0},
    };
    /* Only the PUSH can act. */
    CHECK_EQ_INT (zmq_poll (items, 3, 100), 1);
    CHECK_EQ_INT (items[0].revents, 0);
    CHECK_EQ_INT (items[1].revents, 0);
    CHECK_EQ_INT (items[2].revents, ZMQ_POLLOUT);
    /* Nothing to read: times out. */
    void *watch = zmq_stopwatch_start ();
    CHECK_EQ_INT (zmq_poll (items, 2, 50), 0);
    CHECK (zmq_stopwatch_stop (watch) >= 40000);

    CHECK_EQ_INT (zmq_send (push, "hi", 2, 0), 2);
    CHECK_EQ_INT (write (pipe_fds[1], "p", 1), 1);
    CHECK_EQ_INT (zmq_poll (items, 2, -1), 2);
    CHECK_EQ_INT (items[0].revents, ZMQ_POLLIN);
    CHECK_EQ_INT (items[1].revents, ZMQ_POLLIN);
    CHECK_EQ_INT (zmq_recv (pull, buf, sizeof buf, 0), 2);
    CHECK_EQ_INT (read (pipe_fds[0], buf, 1), 1);

    /* ZMQ_FD: wait with poll(2) until it is readable, then ZMQ_EVENTS
     * says what the socket can do; drain until EAGAIN before waiting. */
    int fd = get_int (pull, ZMQ_FD);
    CHECK (fd >= 0);
    CHECK_EQ_INT (get_int (pull, ZMQ_EVENTS) & ZMQ_POLLIN, 0);
    int received = 0;
    for (int round = 0; round < 3; round++) {
        CHECK_EQ_INT (zmq_send (push, "ev", 2, 0), 2);
        for (int spins = 0; spins < 100; spins++) {
            if (get_int (pull, ZMQ_EVENTS) & ZMQ_POLLIN)
                break;
            struct pollfd pfd = {fd, POLLIN, 0};
            poll (&pfd, 1, 1000);
        }
        while (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT) == 2)
            received++;
    }
    CHECK_EQ_INT (received, 3);

    /* Thousands of items. */
    int count = 2000;
    zmq_pollitem_t *many = calloc ((size_t) count, sizeof *many);
    for (int i = 0; i < count; i++) {
        many[i].socket = i % 2 ? push : NULL;
        many[i].fd = pipe_fds[1];
        many[i].events = ZMQ_POLLOUT;
    }
    CHECK_EQ_INT (zmq_poll (many, count, 0), count);
    free (many);

    close (pipe_fds[0]);
    close (pipe_fds[1]);
    zmq_close (push);
    zmq_close (pull);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("poll_fd");
}
