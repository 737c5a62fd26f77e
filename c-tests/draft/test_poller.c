/* The draft zmq_poller API through zmq.h: registrations of sockets and
 * descriptors (counted, checked, modified, removed), waits that report
 * each ready registration with its user data, timeouts, the errors libzmq
 * documents for each call, a poller of a thousand sockets, the poller's
 * own descriptor while it holds a thread-safe socket, and a socket closed
 * by another thread during a wait. Built with
 * ZMQ_BUILD_DRAFT_API against the draft build of the library. */
#include "testnet.h"

#include <poll.h>
#include <pthread.h>
#include <unistd.h>

static void *ctx;

static void registrations (void)
{
    void *poller = zmq_poller_new ();
    REQUIRE_VOID (poller);
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    void *other = zmq_socket (ctx, ZMQ_PULL);
    int fds[2];
    REQUIRE_VOID (pipe (fds) == 0);
    CHECK_EQ_INT (zmq_poller_size (poller), 0);
    CHECK_EQ_INT (zmq_poller_add (poller, pull, NULL, ZMQ_POLLIN), 0);
    CHECK_ERRNO (zmq_poller_add (poller, pull, NULL, ZMQ_POLLIN), EINVAL);
    CHECK_ERRNO (zmq_poller_add (poller, NULL, NULL, ZMQ_POLLIN), ENOTSOCK);
    CHECK_ERRNO (zmq_poller_add (poller, ctx, NULL, ZMQ_POLLIN), ENOTSOCK);
    CHECK_ERRNO (zmq_poller_modify (poller, other, ZMQ_POLLIN), EINVAL);
    CHECK_ERRNO (zmq_poller_remove (poller, other), EINVAL);
    CHECK_EQ_INT (zmq_poller_add_fd (poller, fds[0], NULL, ZMQ_POLLIN), 0);
    CHECK_ERRNO (zmq_poller_add_fd (poller, fds[0], NULL, ZMQ_POLLIN), EINVAL);
    CHECK_ERRNO (zmq_poller_add_fd (poller, -1, NULL, ZMQ_POLLIN), EBADF);
    CHECK_ERRNO (zmq_poller_modify_fd (poller, fds[1], ZMQ_POLLIN), EINVAL);
    CHECK_ERRNO (zmq_poller_remove_fd (poller, fds[1]), EINVAL);
    CHECK_EQ_INT (zmq_poller_size (poller), 2);
    /* Events off still count in the size. */
    CHECK_EQ_INT (zmq_poller_modify (poller, pull, 0), 0);
    CHECK_EQ_INT (zmq_poller_modify_fd (poller, fds[0], 0), 0);
    CHECK_EQ_INT (zmq_poller_size (poller), 2);
    /* Nothing to wait for: EAGAIN after the timeout, EFAULT for ever. */
    zmq_poller_event_t event;
    CHECK_ERRNO (zmq_poller_wait (poller, &event, 10), EAGAIN);
    CHECK (event.socket == NULL && event.fd == -1 && event.events == 0);
    CHECK_ERRNO (zmq_poller_wait (poller, &event, -1), EFAULT);
    CHECK_EQ_INT (zmq_poller_remove (poller, pull), 0);
    CHECK_EQ_INT (zmq_poller_remove_fd (poller, fds[0]), 0);
    CHECK_EQ_INT (zmq_poller_size (poller), 0);
    CHECK_ERRNO (zmq_poller_wait_all (poller, &event, 1, -1), EFAULT);
    /* No thread-safe socket, so no descriptor. */
    zmq_fd_t fd;
    CHECK_ERRNO (zmq_poller_fd (poller, &fd), EINVAL);
    /* Bad pollers and arguments. */
    CHECK_ERRNO (zmq_poller_wait_all (poller, NULL, 1, 0), EFAULT);
    CHECK_ERRNO (zmq_poller_wait_all (poller, &event, -1, 0), EINVAL);
    CHECK_ERRNO (zmq_poller_size (NULL), EFAULT);
    CHECK_ERRNO (zmq_poller_size (pull), EFAULT);
    CHECK_ERRNO (zmq_poller_add (NULL, pull, NULL, ZMQ_POLLIN), EFAULT);
    CHECK_ERRNO (zmq_poller_wait (NULL, &event, 0), EFAULT);
    CHECK_ERRNO (zmq_poller_fd (NULL, &fd), EFAULT);
    CHECK_EQ_INT (zmq_poller_destroy (&poller), 0);
    CHECK (poller == NULL);
    CHECK_ERRNO (zmq_poller_destroy (&poller), EFAULT);
    CHECK_ERRNO (zmq_poller_destroy (NULL), EFAULT);
    close (fds[0]);
    close (fds[1]);
    zmq_close (pull);
    zmq_close (other);
}

static void waits (void)
{
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    REQUIRE_VOID (zmq_bind (pull, "inproc://poller") == 0);
    REQUIRE_VOID (zmq_connect (push, "inproc://poller") == 0);
    int fds[2];
    REQUIRE_VOID (pipe (fds) == 0);
    int pull_data, fd_data, push_data;
    void *poller = zmq_poller_new ();
    CHECK_EQ_INT (zmq_poller_add (poller, pull, &pull_data, ZMQ_POLLIN), 0);
    CHECK_EQ_INT (zmq_poller_add_fd (poller, fds[0], &fd_data, ZMQ_POLLIN), 0);
    CHECK_EQ_INT (zmq_poller_add (poller, push, &push_data, 0), 0);
    zmq_poller_event_t events[3];
    CHECK_ERRNO (zmq_poller_wait_all (poller, events, 3, 20), EAGAIN);

    /* A message: the PULL alone, with its user data and no descriptor. */
    CHECK_EQ_INT (zmq_send (push, "hi", 2, 0), 2);
    CHECK_EQ_INT (zmq_poller_wait_all (poller, events, 3, 2000), 1);
    CHECK (events[0].socket == pull && events[0].user_data == &pull_data);
    CHECK_EQ_INT (events[0].fd, -1);
    CHECK_EQ_INT (events[0].events, ZMQ_POLLIN);
    /* Level-triggered: still ready until read. */
    CHECK_EQ_INT (zmq_poller_wait (poller, &events[0], 0), 0);
    CHECK (events[0].socket == pull);
    char buf[8];
    CHECK_EQ_INT (zmq_recv (pull, buf, sizeof buf, 0), 2);

    /* A descriptor: reported with no socket. */
    CHECK_EQ_INT ((int) write (fds[1], "x", 1), 1);
    CHECK_EQ_INT (zmq_poller_wait_all (poller, events, 3, 2000), 1);
    CHECK (events[0].socket == NULL && events[0].user_data == &fd_data);
    CHECK_EQ_INT (events[0].fd, fds[0]);
    CHECK_EQ_INT (events[0].events, ZMQ_POLLIN);

    /* Events turned on later count; at most n_events come back. */
    CHECK_EQ_INT (zmq_poller_modify (poller, push, ZMQ_POLLOUT), 0);
    CHECK_EQ_INT (zmq_poller_wait_all (poller, events, 3, 0), 2);
    CHECK_EQ_INT (zmq_poller_wait_all (poller, events, 1, 0), 1);
    CHECK (events[0].user_data == &fd_data);
    CHECK_EQ_INT (zmq_poller_remove_fd (poller, fds[0]), 0);
    CHECK_EQ_INT (zmq_poller_wait_all (poller, events, 3, 0), 1);
    CHECK (events[0].socket == push && events[0].events == ZMQ_POLLOUT);

    /* A message arriving while the poller sleeps wakes it. */
    CHECK_EQ_INT (zmq_poller_modify (poller, push, 0), 0);
    void *late = zmq_socket (ctx, ZMQ_PUSH);
    REQUIRE_VOID (zmq_connect (late, "inproc://poller") == 0);
    CHECK_EQ_INT (zmq_send (late, "late", 4, ZMQ_DONTWAIT), 4);
    CHECK_EQ_INT (zmq_poller_wait (poller, &events[0], 2000), 0);
    CHECK (events[0].socket == pull);
    CHECK_EQ_INT (zmq_poller_destroy (&poller), 0);
    close (fds[0]);
    close (fds[1]);
    zmq_close (late);
    zmq_close (push);
    zmq_close (pull);
}

static void many_sockets (void)
{
    enum { N = 1000 };
    static void *pairs[N][2];
    void *poller = zmq_poller_new ();
    char endpoint[64];
    for (int i = 0; i < N; i++) {
        snprintf (endpoint, sizeof endpoint, "inproc://many-%d", i);
        pairs[i][0] = zmq_socket (ctx, ZMQ_PAIR);
        pairs[i][1] = zmq_socket (ctx, ZMQ_PAIR);
        REQUIRE_VOID (zmq_bind (pairs[i][0], endpoint) == 0);
        REQUIRE_VOID (zmq_connect (pairs[i][1], endpoint) == 0);
        CHECK_EQ_INT (zmq_poller_add (poller, pairs[i][0], &pairs[i], ZMQ_POLLIN), 0);
    }
    CHECK_EQ_INT (zmq_poller_size (poller), N);
    static zmq_poller_event_t events[N];
    /* Every tenth one gets a message: exactly those come back. */
    for (int i = 0; i < N; i += 10)
        CHECK_EQ_INT (zmq_send (pairs[i][1], "m", 1, 0), 1);
    int seen = 0;
    for (int tries = 0; tries < 100 && seen < N / 10; tries++) {
        int n = zmq_poller_wait_all (poller, events, N, 100);
        if (n > 0)
            seen = n;
    }
    CHECK_EQ_INT (seen, N / 10);
    int right = 0;
    for (int i = 0; i < seen; i++) {
        void *(*pair)[2] = events[i].user_data;
        right += (*pair)[0] == events[i].socket
                 && ((pair - pairs) % 10) == 0;
    }
    CHECK_EQ_INT (right, N / 10);
    CHECK_EQ_INT (zmq_poller_destroy (&poller), 0);
    for (int i = 0; i < N; i++) {
        zmq_close (pairs[i][0]);
        zmq_close (pairs[i][1]);
    }
}

/* A thread-safe socket gives the poller a descriptor of its own, readable
 * once that socket may be ready. */
static void thread_safe_sockets (void)
{
    char endpoint[64];
    void *poller = zmq_poller_new ();
    void *server = zmq_socket (ctx, ZMQ_SERVER);
    void *client = zmq_socket (ctx, ZMQ_CLIENT);
    void *pair = zmq_socket (ctx, ZMQ_PAIR);
    CHECK_EQ_INT (bind_inproc (server, endpoint, sizeof endpoint), 0);
    CHECK_EQ_INT (zmq_connect (client, endpoint), 0);
    zmq_fd_t fd = -1;
    CHECK_EQ_INT (zmq_poller_add (poller, pair, NULL, ZMQ_POLLIN), 0);
    CHECK_ERRNO (zmq_poller_fd (poller, &fd), EINVAL);
    CHECK_EQ_INT (zmq_poller_add (poller, server, server, ZMQ_POLLIN), 0);
    CHECK_EQ_INT (zmq_poller_fd (poller, &fd), 0);
    CHECK (fd >= 0);
    CHECK_ERRNO (zmq_poller_fd (poller, NULL), EFAULT);

    zmq_poller_event_t event;
    CHECK_ERRNO (zmq_poller_wait (poller, &event, 0), EAGAIN);
    CHECK_EQ_INT (zmq_send (client, "hi", 2, 0), 2);
    struct pollfd pfd = {fd, POLLIN, 0};
    CHECK_EQ_INT (poll (&pfd, 1, 5000), 1);
    CHECK_EQ_INT (zmq_poller_wait (poller, &event, 1000), 0);
    CHECK (event.socket == server && event.user_data == server);
    CHECK_EQ_INT (event.events, ZMQ_POLLIN);
    char buf[4];
    CHECK_EQ_INT (zmq_recv (server, buf, sizeof buf, 0), 2);

    CHECK_EQ_INT (zmq_poller_remove (poller, server), 0);
    CHECK_ERRNO (zmq_poller_fd (poller, &fd), EINVAL);
    CHECK_EQ_INT (zmq_poller_destroy (&poller), 0);
    zmq_close (pair);
    zmq_close (client);
    zmq_close (server);
}

/* A socket closed by another thread while the poller waits on it: the
 * wait ends with an error, never a crash or a hang. */
static void *close_later (void *socket)
{
    usleep (100 * 1000);
    zmq_close (socket);
    return NULL;
}

static void closed_while_waiting (void)
{
    void *poller = zmq_poller_new ();
    void *s = zmq_socket (ctx, ZMQ_PULL);
    CHECK_EQ_INT (zmq_poller_add (poller, s, NULL, ZMQ_POLLIN), 0);
    pthread_t t;
    pthread_create (&t, NULL, close_later, s);
    zmq_poller_event_t event;
    long long start = now_usec ();
    CHECK_ERRNO (zmq_poller_wait (poller, &event, 10000), ENOTSOCK);
    CHECK (now_usec () - start < 9000000);
    pthread_join (t, NULL);
    CHECK_EQ_INT (zmq_poller_destroy (&poller), 0);
}

int main (void)
{
    ctx = zmq_ctx_new ();
    REQUIRE (ctx);
    /* Two sockets for each of many_sockets' thousand registrations. */
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, 4096), 0);
    registrations ();
    waits ();
    many_sockets ();
    thread_safe_sockets ();
    closed_while_waiting ();
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("test_poller");
}
