/* RADIO and DISH through the draft API, over inproc, tcp and ipc: a DISH
 * receives the groups it joined and nothing else (a DISH that joined
 * nothing receives nothing), groups at the ZMQ_GROUP_MAX_LENGTH limit
 * travel whole, zmq_leave stops a group, joins are told again when the
 * RADIO comes back on the same tcp port, and misuse is refused: an
 * over-long or repeated join (EINVAL), a leave of a group not joined
 * (EINVAL), zmq_join on another type (ENOTSUP), sending on a DISH or
 * receiving on a RADIO (ENOTSUP), ZMQ_SNDMORE (EINVAL), udp the wrong
 * way round (ENOCOMPATPROTO). Over udp, the same groups, and datagrams
 * truncated or announcing a group longer than themselves are dropped. */
#include "testnet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static void *ctx;
static char longest[ZMQ_GROUP_MAX_LENGTH + 1];

static int send_group (void *radio, const char *group, const char *body)
{
    zmq_msg_t msg;
    zmq_msg_init_size (&msg, strlen (body));
    memcpy (zmq_msg_data (&msg), body, strlen (body));
    if (zmq_msg_set_group (&msg, group) != 0 || zmq_msg_send (&msg, radio, 0) < 0) {
        int saved = errno;
        zmq_msg_close (&msg);
        errno = saved;
        return -1;
    }
    return 0;
}

/* Receives one message: body and group; -1 on timeout. */
static int recv_group (void *dish, char *body, size_t size, char *group, size_t group_size)
{
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    int rc = zmq_msg_recv (&msg, dish, 0);
    if (rc >= 0) {
        size_t len = zmq_msg_size (&msg) < size - 1 ? zmq_msg_size (&msg) : size - 1;
        memcpy (body, zmq_msg_data (&msg), len);
        body[len] = 0;
        snprintf (group, group_size, "%s", zmq_msg_group (&msg));
    }
    zmq_msg_close (&msg);
    return rc;
}

/* Sends `body` to `group` until `dish` has it (joins travel while the
 * first ones are sent, so the first may reach nobody, as with PUB/SUB). */
static int until_received (void *radio, void *dish, const char *group, const char *body)
{
    char got[64], got_group[ZMQ_GROUP_MAX_LENGTH + 1];
    set_int (dish, ZMQ_RCVTIMEO, 20);
    for (int i = 0; i < 500; i++) {
        if (send_group (radio, group, body) != 0)
            return -1;
        if (recv_group (dish, got, sizeof got, got_group, sizeof got_group) >= 0) {
            int right_group = strcmp (got_group, group) == 0;
            /* Later copies of the probe may follow: take them. */
            set_int (dish, ZMQ_RCVTIMEO, 100);
            while (recv_group (dish, got, sizeof got, got_group, sizeof got_group) >= 0)
                ;
            set_int (dish, ZMQ_RCVTIMEO, 2000);
            return right_group ? 0 : -1;
        }
    }
    return -1;
}

static void groups_on (const char *transport)
{
    char endpoint[256], body[64], group[ZMQ_GROUP_MAX_LENGTH + 1];
    void *radio = zmq_socket (ctx, ZMQ_RADIO);
    void *dish = zmq_socket (ctx, ZMQ_DISH);
    void *idle = zmq_socket (ctx, ZMQ_DISH); /* joins nothing */
    CHECK_EQ_INT (get_int (radio, ZMQ_THREAD_SAFE), 1);
    CHECK_EQ_INT (bind_transport (radio, transport, endpoint, sizeof endpoint), 0);
    CHECK_EQ_INT (zmq_join (dish, "news"), 0);
    CHECK_EQ_INT (zmq_join (dish, longest), 0);
    CHECK_EQ_INT (zmq_connect (dish, endpoint), 0);
    CHECK_EQ_INT (zmq_connect (idle, endpoint), 0);
    CHECK_EQ_INT (until_received (radio, dish, "news", "probe"), 0);
    CHECK_EQ_INT (until_received (radio, dish, longest, "long probe"), 0);

    /* Only the joined groups arrive, in order, with their group. */
    CHECK_EQ_INT (send_group (radio, "sport", "s1"), 0);
    CHECK_EQ_INT (send_group (radio, "news", "n1"), 0);
    CHECK_EQ_INT (send_group (radio, "", "no group"), 0);
    CHECK_EQ_INT (send_group (radio, longest, "l1"), 0);
    CHECK_EQ_INT (send_group (radio, "new", "prefix is not a match"), 0);
    CHECK_EQ_INT (send_group (radio, "news", "n2"), 0);
    set_int (dish, ZMQ_RCVTIMEO, 2000);
    CHECK (recv_group (dish, body, sizeof body, group, sizeof group) >= 0);
    CHECK_STR (body, "n1");
    CHECK_STR (group, "news");
    CHECK (recv_group (dish, body, sizeof body, group, sizeof group) >= 0);
    CHECK_STR (body, "l1");
    CHECK_STR (group, longest);
    CHECK (recv_group (dish, body, sizeof body, group, sizeof group) >= 0);
    CHECK_STR (body, "n2");

    /* After a leave, news stops; the long group still comes. */
    CHECK_EQ_INT (zmq_leave (dish, "news"), 0);
    CHECK_EQ_INT (until_received (radio, dish, longest, "after leave"), 0);
    CHECK_EQ_INT (send_group (radio, "news", "n3"), 0);
    CHECK_EQ_INT (send_group (radio, longest, "l2"), 0);
    CHECK (recv_group (dish, body, sizeof body, group, sizeof group) >= 0);
    CHECK_STR (body, "l2");

    /* The DISH that joined nothing got nothing. */
    CHECK_EQ_INT (zmq_recv (idle, body, sizeof body, ZMQ_DONTWAIT), -1);
    CHECK_EQ_INT (get_int (idle, ZMQ_EVENTS) & ZMQ_POLLIN, 0);

    set_int (radio, ZMQ_LINGER, 0);
    set_int (dish, ZMQ_LINGER, 0);
    set_int (idle, ZMQ_LINGER, 0);
    zmq_close (idle);
    zmq_close (dish);
    zmq_close (radio);
}

/* The RADIO goes and a new one binds the same port: the DISH reconnects
 * and tells it its groups again. */
static void joins_survive_reconnects (void)
{
    char endpoint[256];
    void *radio = zmq_socket (ctx, ZMQ_RADIO);
    void *dish = zmq_socket (ctx, ZMQ_DISH);
    set_int (dish, ZMQ_RECONNECT_IVL, 20);
    CHECK_EQ_INT (bind_transport (radio, "tcp", endpoint, sizeof endpoint), 0);
    CHECK_EQ_INT (zmq_join (dish, "kept"), 0);
    CHECK_EQ_INT (zmq_connect (dish, endpoint), 0);
    CHECK_EQ_INT (until_received (radio, dish, "kept", "before"), 0);
    set_int (radio, ZMQ_LINGER, 0);
    zmq_close (radio);
    radio = zmq_socket (ctx, ZMQ_RADIO);
    int bound = -1;
    for (int i = 0; i < 100 && bound != 0; i++) {
        bound = zmq_bind (radio, endpoint);
        if (bound != 0)
            usleep (20000);
    }
    CHECK_EQ_INT (bound, 0);
    CHECK_EQ_INT (until_received (radio, dish, "kept", "after"), 0);
    set_int (radio, ZMQ_LINGER, 0);
    set_int (dish, ZMQ_LINGER, 0);
    zmq_close (dish);
    zmq_close (radio);
}

/* udp: the DISH binds, the RADIO connects; joins stay local. */
static void groups_over_udp (void)
{
    char endpoint[256], body[64], group[ZMQ_GROUP_MAX_LENGTH + 1];
    size_t size = sizeof endpoint;
    void *radio = zmq_socket (ctx, ZMQ_RADIO);
    void *dish = zmq_socket (ctx, ZMQ_DISH);
    CHECK_EQ_INT (zmq_bind (dish, "udp://127.0.0.1:*"), 0);
    CHECK_EQ_INT (zmq_getsockopt (dish, ZMQ_LAST_ENDPOINT, endpoint, &size), 0);
    CHECK (strncmp (endpoint, "udp://127.0.0.1:", 16) == 0 && endpoint_port (endpoint) > 0);
    CHECK_EQ_INT (zmq_join (dish, "news"), 0);
    CHECK_EQ_INT (zmq_join (dish, longest), 0);
    CHECK_EQ_INT (zmq_connect (radio, endpoint), 0);
    CHECK_EQ_INT (until_received (radio, dish, "news", "probe"), 0);
    CHECK_EQ_INT (send_group (radio, "sport", "s1"), 0);
    CHECK_EQ_INT (send_group (radio, longest, "l1"), 0);
    CHECK_EQ_INT (send_group (radio, "news", "n1"), 0);
    CHECK (recv_group (dish, body, sizeof body, group, sizeof group) >= 0);
    CHECK_STR (body, "l1");
    CHECK_STR (group, longest);
    CHECK (recv_group (dish, body, sizeof body, group, sizeof group) >= 0);
    CHECK_STR (body, "n1");

    /* Hostile datagrams: nothing comes of them, and the DISH goes on. */
    int fd = socket (AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET};
    to.sin_port = htons ((unsigned short) endpoint_port (endpoint));
    to.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    const char *bad[] = {"", "\x05news", "\xffshort", "\x02a"};
    const size_t bad_len[] = {0, 5, 6, 2};
    for (int i = 0; i < 4; i++)
        sendto (fd, bad[i], bad_len[i], 0, (struct sockaddr *) &to, sizeof to);
    sendto (fd, "\x04newsraw", 11, 0, (struct sockaddr *) &to, sizeof to);
    close (fd);
    CHECK (recv_group (dish, body, sizeof body, group, sizeof group) >= 0);
    CHECK_STR (body, "raw");
    CHECK_STR (group, "news");

    CHECK_EQ_INT (zmq_disconnect (radio, endpoint), 0);
    CHECK_EQ_INT (zmq_unbind (dish, endpoint), 0);
    CHECK_ERRNO (zmq_unbind (dish, endpoint) == -1, ENOENT);
    set_int (radio, ZMQ_LINGER, 0);
    zmq_close (dish);
    zmq_close (radio);
}

/* Multicast on the loopback interface: the DISH joins the group there,
 * the RADIO sends to it there. */
static void groups_over_multicast (void)
{
    char endpoint[256], target[300], body[64], group[ZMQ_GROUP_MAX_LENGTH + 1];
    size_t size = sizeof endpoint;
    void *radio = zmq_socket (ctx, ZMQ_RADIO);
    void *dish = zmq_socket (ctx, ZMQ_DISH);
    CHECK_EQ_INT (zmq_bind (dish, "udp://lo;239.77.77.77:*"), 0);
    CHECK_EQ_INT (zmq_getsockopt (dish, ZMQ_LAST_ENDPOINT, endpoint, &size), 0);
    CHECK (strncmp (endpoint, "udp://239.77.77.77:", 19) == 0);
    snprintf (target, sizeof target, "udp://lo;%s", endpoint + 6);
    CHECK_EQ_INT (zmq_join (dish, "m"), 0);
    CHECK_EQ_INT (zmq_connect (radio, target), 0);
    CHECK_EQ_INT (until_received (radio, dish, "m", "probe"), 0);
    CHECK_EQ_INT (send_group (radio, "other", "o1"), 0);
    CHECK_EQ_INT (send_group (radio, "m", "m1"), 0);
    CHECK (recv_group (dish, body, sizeof body, group, sizeof group) >= 0);
    CHECK_STR (body, "m1");
    set_int (radio, ZMQ_LINGER, 0);
    zmq_close (dish);
    zmq_close (radio);
}

static void misuse (void)
{
    char too_long[ZMQ_GROUP_MAX_LENGTH + 2];
    memset (too_long, 'x', sizeof too_long);
    too_long[sizeof too_long - 1] = 0;
    void *radio = zmq_socket (ctx, ZMQ_RADIO);
    void *dish = zmq_socket (ctx, ZMQ_DISH);
    void *pub = zmq_socket (ctx, ZMQ_PUB);
    CHECK_ERRNO (zmq_join (dish, too_long) == -1, EINVAL);
    CHECK_EQ_INT (zmq_join (dish, "once"), 0);
    CHECK_ERRNO (zmq_join (dish, "once") == -1, EINVAL);
    CHECK_ERRNO (zmq_leave (dish, "never") == -1, EINVAL);
    CHECK_EQ_INT (zmq_leave (dish, "once"), 0);
    CHECK_ERRNO (zmq_leave (dish, "once") == -1, EINVAL);
    CHECK_ERRNO (zmq_join (dish, NULL) == -1, EFAULT);
    CHECK_ERRNO (zmq_join (pub, "x") == -1, ENOTSUP);
    CHECK_ERRNO (zmq_leave (radio, "x") == -1, ENOTSUP);
    CHECK_ERRNO (zmq_join (NULL, "x") == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_send (dish, "x", 1, ZMQ_DONTWAIT) == -1, ENOTSUP);
    char buf[4];
    CHECK_ERRNO (zmq_recv (radio, buf, sizeof buf, ZMQ_DONTWAIT) == -1, ENOTSUP);
    CHECK_ERRNO (zmq_send (radio, "x", 1, ZMQ_SNDMORE) == -1, EINVAL);
    /* A RADIO with nobody joined takes the message and drops it. */
    CHECK_EQ_INT (send_group (radio, "nobody", "x"), 0);
    CHECK_EQ_INT (get_int (radio, ZMQ_EVENTS), ZMQ_POLLOUT);
    /* udp: a DISH binds, a RADIO connects, nothing else takes it. */
    CHECK_ERRNO (zmq_bind (radio, "udp://127.0.0.1:5555") == -1, ENOCOMPATPROTO);
    CHECK_ERRNO (zmq_connect (dish, "udp://127.0.0.1:5555") == -1, ENOCOMPATPROTO);
    CHECK_ERRNO (zmq_bind (pub, "udp://127.0.0.1:5555") == -1, ENOCOMPATPROTO);
    CHECK_ERRNO (zmq_connect (radio, "udp://127.0.0.1") == -1, EINVAL);
    CHECK_ERRNO (zmq_connect (radio, "udp://127.0.0.1:0") == -1, EINVAL);
    CHECK_ERRNO (zmq_bind (dish, "udp://no-such-interface:5555") == -1, ENODEV);
    zmq_close (pub);
    zmq_close (dish);
    zmq_close (radio);
}

int main (void)
{
    memset (longest, 'g', ZMQ_GROUP_MAX_LENGTH);
    longest[ZMQ_GROUP_MAX_LENGTH] = 0;
    ctx = zmq_ctx_new ();
    REQUIRE (ctx);
    groups_on ("inproc");
    groups_on ("tcp");
    groups_on ("ipc");
    joins_survive_reconnects ();
    groups_over_udp ();
    groups_over_multicast ();
    misuse ();
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("test_radio_dish");
}
