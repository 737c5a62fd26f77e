/* ZMQ_USE_FD: a bind that listens on a socket the application made (tcp
 * and ipc), with ZMQ_LAST_ENDPOINT naming where it really listens; and
 * descriptors that are not listening sockets of the right family. */
#include "testutil.h"
#include "testnet.h"

#include <fcntl.h>
#include <sys/un.h>

/* A listening tcp socket on 127.0.0.1, port chosen by the kernel. */
static int tcp_listener (int *port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind (fd, (struct sockaddr *) &a, sizeof a) != 0 || listen (fd, 16) != 0
        || getsockname (fd, (struct sockaddr *) &a, &len) != 0)
        return -1;
    *port = ntohs (a.sin_port);
    return fd;
}

static int ipc_listener (const char path[90])
{
    int fd = socket (AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf (a.sun_path, sizeof a.sun_path, "%s", path);
    unlink (path);
    if (fd < 0 || bind (fd, (struct sockaddr *) &a, sizeof a) != 0 || listen (fd, 16) != 0)
        return -1;
    return fd;
}

/* `server` is bound on a given descriptor: a PUSH connects to its
 * ZMQ_LAST_ENDPOINT and a message arrives. */
static void carries (void *ctx, void *server, const char *endpoint)
{
    void *client = zmq_socket (ctx, ZMQ_PUSH);
    CHECK_EQ_INT (zmq_connect (client, endpoint), 0);
    CHECK_EQ_INT (zmq_send (client, "through the fd", 14, 0), 14);
    set_int (server, ZMQ_RCVTIMEO, 5000);
    char buf[32];
    CHECK_EQ_INT (zmq_recv (server, buf, sizeof buf, 0), 14);
    CHECK (memcmp (buf, "through the fd", 14) == 0);
    set_int (client, ZMQ_LINGER, 0);
    zmq_close (client);
}

int main (void)
{
    void *ctx = zmq_ctx_new ();
    REQUIRE (ctx != NULL);

    /* tcp: the endpoint's port is the descriptor's, not a new one. */
    int port = 0;
    int fd = tcp_listener (&port);
    REQUIRE (fd >= 0);
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    CHECK_EQ_INT (get_int (pull, ZMQ_USE_FD), -1);
    CHECK_EQ_INT (set_int (pull, ZMQ_USE_FD, fd), 0);
    CHECK_EQ_INT (get_int (pull, ZMQ_USE_FD), fd);
    CHECK_EQ_INT (zmq_bind (pull, "tcp://127.0.0.1:*"), 0);
    char endpoint[256];
    size_t len = sizeof endpoint;
    CHECK_EQ_INT (zmq_getsockopt (pull, ZMQ_LAST_ENDPOINT, endpoint, &len), 0);
    char expected[64];
    snprintf (expected, sizeof expected, "tcp://127.0.0.1:%d", port);
    CHECK_STR (endpoint, expected);
    carries (ctx, pull, endpoint);
#ifndef REFERENCE_LIBZMQ
    /* The address is still checked. libzmq takes this one, adopts the same
     * descriptor a second time, and aborts when the two listeners close. */
    CHECK_ERRNO (zmq_bind (pull, "tcp://127.0.0.1:port") == -1, EINVAL);
#endif
    zmq_close (pull);
#ifndef REFERENCE_LIBZMQ
    /* The socket worked on a copy: the application's descriptor is still
     * open, and still its own (libzmq closes it; docs/differences.md). */
    CHECK (fcntl (fd, F_GETFD) != -1);
    close (fd);
#endif

    /* ipc: the endpoint is the descriptor's path. */
    char path[90];
    snprintf (path, sizeof path, "/tmp/zmq-test-use-fd-%d.sock", (int) getpid ());
    fd = ipc_listener (path);
    REQUIRE (fd >= 0);
    pull = zmq_socket (ctx, ZMQ_PULL);
    CHECK_EQ_INT (set_int (pull, ZMQ_USE_FD, fd), 0);
    char given[160];
    snprintf (given, sizeof given, "ipc://%s", path);
    CHECK_EQ_INT (zmq_bind (pull, given), 0);
    len = sizeof endpoint;
    CHECK_EQ_INT (zmq_getsockopt (pull, ZMQ_LAST_ENDPOINT, endpoint, &len), 0);
    CHECK_STR (endpoint, given);
    carries (ctx, pull, endpoint);
    zmq_close (pull);
#ifndef REFERENCE_LIBZMQ
    close (fd); /* libzmq owns it, and closes it itself */
#endif
    unlink (path);

    /* Values the option refuses. */
    void *s = zmq_socket (ctx, ZMQ_PULL);
    CHECK_ERRNO (set_int (s, ZMQ_USE_FD, -2) == -1, EINVAL);
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_USE_FD, "ab", 2) == -1, EINVAL);
#ifndef REFERENCE_LIBZMQ
    /* Descriptors that cannot listen are refused at bind (libzmq takes
     * them and never accepts anything). */
    int udp = socket (AF_INET, SOCK_DGRAM, 0);
    int unbound = socket (AF_INET, SOCK_STREAM, 0);
    int unix_fd = ipc_listener (path);
    int tcp_fd = tcp_listener (&port);
    CHECK_EQ_INT (set_int (s, ZMQ_USE_FD, udp), 0);
    CHECK_ERRNO (zmq_bind (s, "tcp://127.0.0.1:*") == -1, EINVAL);
    CHECK_EQ_INT (set_int (s, ZMQ_USE_FD, unbound), 0);
    CHECK_ERRNO (zmq_bind (s, "tcp://127.0.0.1:*") == -1, EINVAL);
    /* The wrong family for the transport. */
    CHECK_EQ_INT (set_int (s, ZMQ_USE_FD, unix_fd), 0);
    CHECK_ERRNO (zmq_bind (s, "tcp://127.0.0.1:*") == -1, EINVAL);
    CHECK_EQ_INT (set_int (s, ZMQ_USE_FD, tcp_fd), 0);
    CHECK_ERRNO (zmq_bind (s, given) == -1, EINVAL);
    /* Not a descriptor at all, and a file. */
    CHECK_EQ_INT (set_int (s, ZMQ_USE_FD, 100000), 0);
    CHECK_ERRNO (zmq_bind (s, "tcp://127.0.0.1:*") == -1, EBADF);
    int file = open ("/dev/null", O_RDONLY);
    CHECK_EQ_INT (set_int (s, ZMQ_USE_FD, file), 0);
    CHECK_ERRNO (zmq_bind (s, "tcp://127.0.0.1:*") == -1, ENOTSOCK);
    /* Each of them is still open and the application's. */
    CHECK (fcntl (udp, F_GETFD) != -1 && fcntl (unbound, F_GETFD) != -1);
    CHECK (fcntl (file, F_GETFD) != -1);
    close (udp);
    close (unbound);
    close (unix_fd);
    close (tcp_fd);
    close (file);
    unlink (path);
#endif
    zmq_close (s);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("use_fd");
}
