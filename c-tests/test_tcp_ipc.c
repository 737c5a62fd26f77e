/* tcp:// and ipc:// through zmq.h: endpoints (wildcards, ZMQ_LAST_ENDPOINT,
 * unbind, disconnect, errors), every pattern over both transports with each
 * side binding, message sizes around the frame-length edges, connect before
 * bind, reconnection, metadata, heartbeats, linger on close, and peers that
 * send garbage. */
#include "testnet.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>

static void *ctx;
static int ipc_counter;

/* Binds to a fresh endpoint of `transport` ("tcp" or "ipc"); the endpoint
 * to connect to is stored in `endpoint`. */
static int bind_fresh (void *s, const char *transport, char *endpoint, size_t size)
{
    int rc;
    if (strcmp (transport, "tcp") == 0)
        rc = zmq_bind (s, "tcp://127.0.0.1:*");
    else {
        char path[256];
        snprintf (path, sizeof path, "ipc:///tmp/zmq-test-%d-%d.ipc", (int) getpid (),
                  ++ipc_counter);
        rc = zmq_bind (s, path);
    }
    if (rc != 0)
        return rc;
    size_t len = size;
    return zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, endpoint, &len);
}

static void *socket_with_timeout (int type)
{
    void *s = zmq_socket (ctx, type);
    set_int (s, ZMQ_RCVTIMEO, 5000);
    set_int (s, ZMQ_SNDTIMEO, 5000);
    set_int (s, ZMQ_LINGER, 0);
    return s;
}

static int send_str (void *s, const char *text, int flags)
{
    return zmq_send (s, text, strlen (text), flags);
}

/* Receives one frame and compares it with `text`; frames that say "sync"
 * (left over from until_subscribed) are skipped. */
static int recv_is (void *s, const char *text)
{
    char buf[256];
    int n;
    do {
        n = zmq_recv (s, buf, sizeof buf - 1, 0);
        if (n >= 0)
            buf[n < (int) sizeof buf - 1 ? n : (int) sizeof buf - 1] = 0;
    } while (n > 0 && strstr (text, "sync") == NULL && strstr (buf, "sync") != NULL);
    if (n < 0)
        return 0;
    return n == (int) strlen (text) && memcmp (buf, text, n) == 0;
}

/* Sends a multipart message of frames with the sizes that matter to the
 * framing (0, 1, 255, 256, 64 KiB, 1 MiB), each filled with its index;
 * the receiver checks every byte. */
static const size_t sizes[] = {0, 1, 255, 256, 65536, 1 << 20};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static void send_sizes (void *s)
{
    for (size_t i = 0; i < NSIZES; i++) {
        zmq_msg_t msg;
        zmq_msg_init_size (&msg, sizes[i]);
        memset (zmq_msg_data (&msg), (int) i + 1, sizes[i]);
        CHECK_EQ_INT (zmq_msg_send (&msg, s, i + 1 < NSIZES ? ZMQ_SNDMORE : 0),
                      (int) sizes[i]);
    }
}

static void recv_sizes (void *s)
{
    for (size_t i = 0; i < NSIZES; i++) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        int n = zmq_msg_recv (&msg, s, 0);
        CHECK_EQ_INT (n, (int) sizes[i]);
        int ok = n == (int) sizes[i];
        const unsigned char *data = zmq_msg_data (&msg);
        for (int j = 0; ok && j < n; j++)
            ok = data[j] == (unsigned char) (i + 1);
        CHECK (ok);
        CHECK_EQ_INT (zmq_msg_more (&msg), i + 1 < NSIZES);
        zmq_msg_close (&msg);
    }
}

/* Two sockets joined over `transport`; `bind_first` says which binds. */
static int join (void *binder, void *connecter, const char *transport)
{
    char endpoint[256];
    if (bind_fresh (binder, transport, endpoint, sizeof endpoint) != 0)
        return -1;
    return zmq_connect (connecter, endpoint);
}

static void test_pair (const char *transport)
{
    void *a = socket_with_timeout (ZMQ_PAIR);
    void *b = socket_with_timeout (ZMQ_PAIR);
    CHECK_EQ_INT (join (a, b, transport), 0);
    send_sizes (b);
    recv_sizes (a);
    send_sizes (a);
    recv_sizes (b);
    zmq_close (a);
    zmq_close (b);
}

static void test_reqrep (const char *transport, int rep_binds)
{
    void *req = socket_with_timeout (ZMQ_REQ);
    void *rep = socket_with_timeout (ZMQ_REP);
    CHECK_EQ_INT (rep_binds ? join (rep, req, transport) : join (req, rep, transport), 0);
    for (int i = 0; i < 20; i++) {
        CHECK_EQ_INT (send_str (req, "hello", 0), 5);
        CHECK (recv_is (rep, "hello"));
        CHECK_EQ_INT (send_str (rep, "world", 0), 5);
        CHECK (recv_is (req, "world"));
    }
    send_sizes (req);
    recv_sizes (rep);
    send_sizes (rep);
    recv_sizes (req);
    zmq_close (req);
    zmq_close (rep);
}

static void test_dealer_router (const char *transport, int router_binds)
{
    void *dealer = socket_with_timeout (ZMQ_DEALER);
    void *router = socket_with_timeout (ZMQ_ROUTER);
    CHECK_EQ_INT (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "dealer-1", 8), 0);
    CHECK_EQ_INT (router_binds ? join (router, dealer, transport)
                               : join (dealer, router, transport),
                  0);
    CHECK_EQ_INT (send_str (dealer, "ping", 0), 4);
    /* The id frame carries the connection's properties as well. */
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    CHECK_EQ_INT (zmq_msg_recv (&msg, router, 0), 8);
    CHECK (memcmp (zmq_msg_data (&msg), "dealer-1", 8) == 0);
    CHECK_STR (zmq_msg_gets (&msg, "Socket-Type"), "DEALER");
    CHECK_EQ_INT (get_int (router, ZMQ_RCVMORE), 1);
    CHECK_EQ_INT (zmq_msg_recv (&msg, router, 0), 4);
    CHECK_STR (zmq_msg_gets (&msg, "Socket-Type"), "DEALER");
    CHECK_STR (zmq_msg_gets (&msg, "Identity"), "dealer-1");
    /* The connection's descriptor (deprecated, but libzmq answers it). */
    int srcfd = zmq_msg_get (&msg, ZMQ_SRCFD);
    CHECK (srcfd >= 0 && fcntl (srcfd, F_GETFD) != -1);
    /* Peers announce "Identity"; "Routing-Id" is no property of theirs. */
    CHECK_ERRNO (zmq_msg_gets (&msg, "Routing-Id") == NULL, EINVAL);
    if (strcmp (transport, "tcp") == 0)
        CHECK_STR (zmq_msg_gets (&msg, "Peer-Address"), "127.0.0.1");
    zmq_msg_close (&msg);
    CHECK_EQ_INT (send_str (router, "dealer-1", ZMQ_SNDMORE), 8);
    CHECK_EQ_INT (send_str (router, "pong", 0), 4);
    CHECK (recv_is (dealer, "pong"));
    /* An unknown id is dropped, or refused with ROUTER_MANDATORY. */
    CHECK_EQ_INT (send_str (router, "nobody", ZMQ_SNDMORE), 6);
    CHECK_EQ_INT (send_str (router, "lost", 0), 4);
    set_int (router, ZMQ_ROUTER_MANDATORY, 1);
    CHECK_ERRNO (send_str (router, "nobody", ZMQ_SNDMORE) < 0, EHOSTUNREACH);
    CHECK_EQ_INT (send_str (router, "dealer-1", ZMQ_SNDMORE), 8);
    send_sizes (router);
    recv_sizes (dealer);
    zmq_close (dealer);
    zmq_close (router);
}

static void test_push_pull (const char *transport)
{
    void *push = socket_with_timeout (ZMQ_PUSH);
    void *pull1 = socket_with_timeout (ZMQ_PULL);
    void *pull2 = socket_with_timeout (ZMQ_PULL);
    char endpoint[256];
    CHECK_EQ_INT (bind_fresh (push, transport, endpoint, sizeof endpoint), 0);
    CHECK_EQ_INT (zmq_connect (pull1, endpoint), 0);
    CHECK_EQ_INT (zmq_connect (pull2, endpoint), 0);
    /* Wait until both are connected: a message reaches each. */
    int got1 = 0, got2 = 0, sent = 0;
    while ((got1 == 0 || got2 == 0) && sent < 2000) {
        CHECK_EQ_INT (send_str (push, "x", 0), 1);
        sent++;
        char c;
        while (zmq_recv (pull1, &c, 1, ZMQ_DONTWAIT) == 1)
            got1++;
        while (zmq_recv (pull2, &c, 1, ZMQ_DONTWAIT) == 1)
            got2++;
        usleep (1000);
    }
    CHECK (got1 > 0 && got2 > 0);
    /* Drain what is in flight, then count a fair split. */
    usleep (100000);
    char c;
    while (zmq_recv (pull1, &c, 1, ZMQ_DONTWAIT) == 1)
        got1++;
    while (zmq_recv (pull2, &c, 1, ZMQ_DONTWAIT) == 1)
        got2++;
    CHECK_EQ_INT (got1 + got2, sent);
    for (int i = 0; i < 100; i++)
        send_str (push, "y", 0);
    int a = 0, b = 0;
    for (int i = 0; i < 100; i++) {
        zmq_pollitem_t items[] = {{pull1, 0, ZMQ_POLLIN, 0}, {pull2, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll (items, 2, 5000) <= 0)
            break;
        if (items[0].revents & ZMQ_POLLIN && zmq_recv (pull1, &c, 1, 0) == 1)
            a++;
        else if (items[1].revents & ZMQ_POLLIN && zmq_recv (pull2, &c, 1, 0) == 1)
            b++;
    }
    while (a + b < 100 && zmq_recv (pull1, &c, 1, ZMQ_DONTWAIT) == 1)
        a++;
    while (a + b < 100 && zmq_recv (pull2, &c, 1, ZMQ_DONTWAIT) == 1)
        b++;
    CHECK_EQ_INT (a + b, 100);
    CHECK (a == 50 && b == 50);
    zmq_close (push);
    zmq_close (pull1);
    zmq_close (pull2);
}

/* Sends `topic`-prefixed messages until `sub` gets one (subscriptions
 * travel asynchronously). */
static int until_subscribed (void *pub, void *sub, const char *topic)
{
    char buf[64];
    for (int i = 0; i < 500; i++) {
        send_str (pub, topic, 0);
        int n = zmq_recv (sub, buf, sizeof buf, ZMQ_DONTWAIT);
        if (n > 0) {
            while (zmq_recv (sub, buf, sizeof buf, ZMQ_DONTWAIT) > 0)
                ;
            return 1;
        }
        usleep (2000);
    }
    return 0;
}

static void test_pub_sub (const char *transport, int pub_binds)
{
    void *pub = socket_with_timeout (ZMQ_PUB);
    void *sub = socket_with_timeout (ZMQ_SUB);
    CHECK_EQ_INT (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "A", 1), 0);
    CHECK_EQ_INT (pub_binds ? join (pub, sub, transport) : join (sub, pub, transport), 0);
    CHECK (until_subscribed (pub, sub, "A-sync"));
    CHECK_EQ_INT (send_str (pub, "B-not", 0), 5);
    CHECK_EQ_INT (send_str (pub, "A-yes", 0), 5);
    CHECK (recv_is (sub, "A-yes"));
    /* Unsubscribe from A, subscribe to B. */
    CHECK_EQ_INT (zmq_setsockopt (sub, ZMQ_UNSUBSCRIBE, "A", 1), 0);
    CHECK_EQ_INT (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "B", 1), 0);
    CHECK (until_subscribed (pub, sub, "B-sync"));
    CHECK_EQ_INT (send_str (pub, "A-not", 0), 5);
    CHECK_EQ_INT (send_str (pub, "B-yes", 0), 5);
    CHECK (recv_is (sub, "B-yes"));
    zmq_close (pub);
    zmq_close (sub);
}

static void test_xpub_xsub (const char *transport)
{
    void *xpub = socket_with_timeout (ZMQ_XPUB);
    void *xsub = socket_with_timeout (ZMQ_XSUB);
    CHECK_EQ_INT (join (xpub, xsub, transport), 0);
    CHECK_EQ_INT (zmq_send (xsub, "\1news", 5, 0), 5);
    char buf[16];
    CHECK_EQ_INT (zmq_recv (xpub, buf, sizeof buf, 0), 5);
    CHECK (memcmp (buf, "\1news", 5) == 0);
    CHECK_EQ_INT (send_str (xpub, "news!", 0), 5);
    CHECK (recv_is (xsub, "news!"));
    CHECK_EQ_INT (zmq_send (xsub, "\0news", 5, 0), 5);
    CHECK_EQ_INT (zmq_recv (xpub, buf, sizeof buf, 0), 5);
    CHECK (memcmp (buf, "\0news", 5) == 0);
    zmq_close (xpub);
    zmq_close (xsub);
}

/* A connecting PUSH queues while nobody listens; the messages arrive when
 * the PULL binds. */
static void test_connect_before_bind (const char *transport)
{
    char endpoint[256];
    void *probe = zmq_socket (ctx, ZMQ_PULL);
    REQUIRE_VOID (bind_fresh (probe, transport, endpoint, sizeof endpoint) == 0);
    zmq_close (probe); /* The endpoint is free again. */
    usleep (50000);
    void *push = socket_with_timeout (ZMQ_PUSH);
    set_int (push, ZMQ_RECONNECT_IVL, 20);
    CHECK_EQ_INT (zmq_connect (push, endpoint), 0);
    for (int i = 0; i < 10; i++)
        CHECK_EQ_INT (send_str (push, "early", 0), 5);
    usleep (100000);
    void *pull = socket_with_timeout (ZMQ_PULL);
    CHECK_EQ_INT (zmq_bind (pull, endpoint), 0);
    for (int i = 0; i < 10; i++)
        CHECK (recv_is (pull, "early"));
    /* The binder goes away and comes back: the connecter reconnects. */
    zmq_close (pull);
    usleep (100000);
    pull = socket_with_timeout (ZMQ_PULL);
    CHECK_EQ_INT (zmq_bind (pull, endpoint), 0);
    CHECK_EQ_INT (send_str (push, "again", 0), 5);
    CHECK (recv_is (pull, "again"));
    zmq_close (push);
    zmq_close (pull);
}

static void test_subscriptions_survive_reconnect (const char *transport)
{
    char endpoint[256];
    void *pub = socket_with_timeout (ZMQ_PUB);
    REQUIRE_VOID (bind_fresh (pub, transport, endpoint, sizeof endpoint) == 0);
    void *sub = socket_with_timeout (ZMQ_SUB);
    set_int (sub, ZMQ_RECONNECT_IVL, 20);
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "T", 1);
    CHECK_EQ_INT (zmq_connect (sub, endpoint), 0);
    CHECK (until_subscribed (pub, sub, "T1"));
    zmq_close (pub);
    usleep (100000);
    pub = socket_with_timeout (ZMQ_PUB);
    CHECK_EQ_INT (zmq_bind (pub, endpoint), 0);
    CHECK (until_subscribed (pub, sub, "T2"));
    zmq_close (pub);
    zmq_close (sub);
}

/* An ipc path bound again at once, by another socket, after the first
 * closed: the first one's closing leaves the new file alone. */
static void test_ipc_path_bound_again (void)
{
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "ipc:///tmp/zmq-test-rebind-%d", (int) getpid ());
    for (int round = 0; round < 20; round++) {
        /* The first socket has a peer, so its closing takes a moment. */
        void *first = socket_with_timeout (ZMQ_PULL);
        CHECK_EQ_INT (zmq_bind (first, endpoint), 0);
        void *old_peer = socket_with_timeout (ZMQ_PUSH);
        CHECK_EQ_INT (zmq_connect (old_peer, endpoint), 0);
        CHECK_EQ_INT (zmq_send (old_peer, "x", 1, 0), 1);
        char buf[4];
        CHECK_EQ_INT (zmq_recv (first, buf, sizeof buf, 0), 1);
        zmq_close (first);
        void *second = socket_with_timeout (ZMQ_PULL);
        CHECK_EQ_INT (zmq_bind (second, endpoint), 0);
        void *push = socket_with_timeout (ZMQ_PUSH);
        set_int (push, ZMQ_RECONNECT_IVL, 5000);
        CHECK_EQ_INT (zmq_connect (push, endpoint), 0);
        CHECK_EQ_INT (zmq_send (push, "x", 1, 0), 1);
        CHECK_EQ_INT (zmq_recv (second, buf, sizeof buf, 0), 1);
        zmq_close (push);
        zmq_close (old_peer);
        zmq_close (second);
    }
}

static void test_endpoints (void)
{
    void *s = zmq_socket (ctx, ZMQ_PULL);
    char endpoint[256];
    size_t len = sizeof endpoint;
    CHECK_EQ_INT (zmq_bind (s, "tcp://127.0.0.1:*"), 0);
    zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, endpoint, &len);
    CHECK (strncmp (endpoint, "tcp://127.0.0.1:", 16) == 0);
    CHECK (atoi (endpoint + 16) > 0);
    /* The same port again is taken. */
    void *t = zmq_socket (ctx, ZMQ_PULL);
    CHECK_ERRNO (zmq_bind (t, endpoint) < 0, EADDRINUSE);
    /* Unbind by the wildcard spec is not found; by the real one it is. */
    CHECK_ERRNO (zmq_unbind (s, "tcp://127.0.0.1:*") < 0, ENOENT);
    CHECK_EQ_INT (zmq_unbind (s, endpoint), 0);
    CHECK_ERRNO (zmq_unbind (s, endpoint) < 0, ENOENT);
    /* Now the port is free (libzmq closes it a moment later, once the
     * socket has processed its commands). */
    int rc = -1;
    for (int i = 0; i < 100 && (rc = zmq_bind (t, endpoint)) != 0; i++) {
        get_int (s, ZMQ_EVENTS);
        usleep (10000);
    }
    CHECK_EQ_INT (rc, 0);
    CHECK_EQ_INT (zmq_unbind (t, endpoint), 0);

    CHECK_EQ_INT (zmq_bind (s, "tcp://*:*"), 0);
    len = sizeof endpoint;
    zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, endpoint, &len);
    CHECK (strncmp (endpoint, "tcp://0.0.0.0:", 14) == 0);

    /* ipc: the file exists while bound and goes with unbind. */
    char path[128], ipc[160];
    snprintf (path, sizeof path, "/tmp/zmq-test-%d-ep.ipc", (int) getpid ());
    snprintf (ipc, sizeof ipc, "ipc://%s", path);
    CHECK_EQ_INT (zmq_bind (s, ipc), 0);
    len = sizeof endpoint;
    zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, endpoint, &len);
    CHECK_STR (endpoint, ipc);
    struct stat st;
    CHECK_EQ_INT (stat (path, &st), 0);
    CHECK_EQ_INT (zmq_unbind (s, ipc), 0);
#ifndef REFERENCE_LIBZMQ
    /* We remove the socket file with its listener; libzmq 4.3.4 leaves it
     * behind (the next bind replaces it). */
    CHECK (stat (path, &st) != 0);
#else
    unlink (path);
#endif

    /* A wildcard ipc endpoint gets a unique path. */
    CHECK_EQ_INT (zmq_bind (s, "ipc://*"), 0);
    len = sizeof endpoint;
    zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, endpoint, &len);
    CHECK (strncmp (endpoint, "ipc://", 6) == 0 && strlen (endpoint) > 7);
    void *c = zmq_socket (ctx, ZMQ_PUSH);
    CHECK_EQ_INT (zmq_connect (c, endpoint), 0);
    set_int (c, ZMQ_LINGER, 0);
    CHECK_EQ_INT (send_str (c, "wild", 0), 4);
    set_int (s, ZMQ_RCVTIMEO, 5000);
    CHECK (recv_is (s, "wild"));
    CHECK_EQ_INT (zmq_disconnect (c, endpoint), 0);
    CHECK_ERRNO (zmq_disconnect (c, endpoint) < 0, ENOENT);
    CHECK_ERRNO (zmq_disconnect (c, "tcp://127.0.0.1:1") < 0, ENOENT);
    zmq_close (c);

    /* Malformed endpoints and unknown transports. */
    CHECK_ERRNO (zmq_bind (s, "tcp://127.0.0.1") < 0, EINVAL);
    CHECK_ERRNO (zmq_bind (s, "tcp://") < 0, EINVAL);
    CHECK_ERRNO (zmq_connect (s, "tcp://127.0.0.1") < 0, EINVAL);
    CHECK_ERRNO (zmq_connect (s, "tcp://127.0.0.1:") < 0, EINVAL);
#ifndef REFERENCE_LIBZMQ
    /* libzmq binds port 99999 modulo 65536; we refuse it. */
    CHECK_ERRNO (zmq_bind (s, "tcp://127.0.0.1:99999") < 0, EINVAL);
#endif
    CHECK_ERRNO (zmq_bind (s, "tcp://no-such-interface-zz:5555") < 0, ENODEV);
    CHECK_ERRNO (zmq_bind (s, "ipc://") < 0, EINVAL);
    CHECK_ERRNO (zmq_bind (s, "carrier-pigeon://x") < 0, EPROTONOSUPPORT);
    /* udp is for the draft RADIO and DISH types only. */
    CHECK_ERRNO (zmq_connect (s, "udp://127.0.0.1:5555") < 0, ENOCOMPATPROTO);
    CHECK_ERRNO (zmq_bind (s, "udp://127.0.0.1:5555") < 0, ENOCOMPATPROTO);
#ifndef REFERENCE_LIBZMQ
    /* Debian's libzmq has the draft ws transport; this build has none. */
    CHECK_ERRNO (zmq_connect (s, "ws://127.0.0.1:5555") < 0, EPROTONOSUPPORT);
#endif
    zmq_close (s);
    zmq_close (t);
}

/* Sockets that cannot talk to each other get nothing through. */
static void test_incompatible_types (const char *transport)
{
    void *pub = socket_with_timeout (ZMQ_PUB);
    void *pull = socket_with_timeout (ZMQ_PULL);
    set_int (pull, ZMQ_RCVTIMEO, 200);
    CHECK_EQ_INT (join (pull, pub, transport), 0);
    for (int i = 0; i < 20; i++) {
        send_str (pub, "x", 0);
        usleep (5000);
    }
    char c;
    CHECK_ERRNO (zmq_recv (pull, &c, 1, 0) < 0, EAGAIN);
    zmq_close (pub);
    zmq_close (pull);
}



/* Garbage, a truncated greeting, a huge frame length and a frame that
 * never ends: each breaks only its own connection. */
static void test_hostile_peers (void)
{
    void *router = socket_with_timeout (ZMQ_ROUTER);
    char endpoint[256];
    int64_t max = 1 << 20;
    zmq_setsockopt (router, ZMQ_MAXMSGSIZE, &max, sizeof max);
    REQUIRE_VOID (bind_fresh (router, "tcp", endpoint, sizeof endpoint) == 0);
    int port = endpoint_port (endpoint);
    const unsigned char huge[] = {2, 0x80, 0, 0, 0, 0, 0, 0, 0};
    const unsigned char big[] = {2, 0, 0, 0, 0, 0x10, 0, 0, 0};
    int fds[6];
    fds[0] = raw_connect (port);
    CHECK (write (fds[0], "GET / HTTP/1.0\r\n\r\n", 18) == 18);
    fds[1] = raw_connect (port);
    CHECK (write (fds[1], zmtp_greeting, 20) == 20);
    close (fds[1]); /* truncated greeting, then gone */
    fds[1] = -1;
    for (int i = 2; i < 5; i++) {
        fds[i] = raw_connect (port);
        CHECK (zmtp_handshake (fds[i], "DEALER"));
    }
    CHECK (write (fds[2], huge, sizeof huge) == sizeof huge);  /* 2^63 bytes */
    CHECK (write (fds[3], big, sizeof big) == sizeof big);     /* over MAXMSGSIZE */
    unsigned char partial[9] = {2, 0, 0, 0, 0, 0, 0, 0x80, 0};  /* 32 KiB, never sent */
    CHECK (write (fds[4], partial, sizeof partial) == sizeof partial);
    fds[5] = raw_connect (port);
    /* A signature, then a mechanism nobody knows, then noise. */
    unsigned char noise[4096];
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (unsigned char) (i * 131 + 7);
    memcpy (noise, zmtp_greeting, 12);
    memcpy (noise + 12, "JUNK", 4);
    CHECK (write (fds[5], noise, sizeof noise) == sizeof noise);
    /* A real peer is still served. */
    void *dealer = socket_with_timeout (ZMQ_DEALER);
    zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "good", 4);
    CHECK_EQ_INT (zmq_connect (dealer, endpoint), 0);
    CHECK_EQ_INT (send_str (dealer, "still here", 0), 10);
    CHECK (recv_is (router, "good"));
    CHECK (recv_is (router, "still here"));
    /* The broken connections were closed by the library: reads see EOF
     * (or a reset) rather than hanging. */
    for (int i = 2; i < 4; i++) {
        char buf[512];
        ssize_t n;
        while ((n = read (fds[i], buf, sizeof buf)) > 0)
            ;
        CHECK (n <= 0);
    }
    for (int i = 0; i < 6; i++)
        if (fds[i] >= 0)
            close (fds[i]);
    zmq_close (dealer);
    zmq_close (router);
}

static void test_heartbeats (const char *transport)
{
    void *a = socket_with_timeout (ZMQ_DEALER);
    void *b = socket_with_timeout (ZMQ_ROUTER);
    set_int (a, ZMQ_HEARTBEAT_IVL, 20);
    set_int (a, ZMQ_HEARTBEAT_TIMEOUT, 1000);
    set_int (a, ZMQ_HEARTBEAT_TTL, 1000);
    set_int (b, ZMQ_HEARTBEAT_IVL, 20);
    zmq_setsockopt (a, ZMQ_ROUTING_ID, "hb", 2);
    CHECK_EQ_INT (join (b, a, transport), 0);
    CHECK_EQ_INT (send_str (a, "1", 0), 1);
    CHECK (recv_is (b, "hb"));
    CHECK (recv_is (b, "1"));
    usleep (300000); /* many heartbeats */
    CHECK_EQ_INT (send_str (b, "hb", ZMQ_SNDMORE), 2);
    CHECK_EQ_INT (send_str (b, "2", 0), 1);
    CHECK (recv_is (a, "2"));
    zmq_close (a);
    zmq_close (b);
}

/* IPv6 needs ZMQ_IPV6; with it a wildcard bind takes IPv4 peers too. */
static void test_ipv6 (void)
{
    void *rep = socket_with_timeout (ZMQ_REP);
    void *req = socket_with_timeout (ZMQ_REQ);
    CHECK_ERRNO (zmq_bind (rep, "tcp://[::1]:*") < 0, ENODEV);
    set_int (rep, ZMQ_IPV6, 1);
    set_int (req, ZMQ_IPV6, 1);
    CHECK_EQ_INT (zmq_bind (rep, "tcp://[::1]:*"), 0);
    char endpoint[256];
    size_t len = sizeof endpoint;
    zmq_getsockopt (rep, ZMQ_LAST_ENDPOINT, endpoint, &len);
    CHECK (strncmp (endpoint, "tcp://[::1]:", 12) == 0);
    CHECK_EQ_INT (zmq_connect (req, endpoint), 0);
    CHECK_EQ_INT (send_str (req, "six", 0), 3);
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    CHECK_EQ_INT (zmq_msg_recv (&msg, rep, 0), 3);
    CHECK_STR (zmq_msg_gets (&msg, "Peer-Address"), "::1");
    zmq_msg_close (&msg);
    CHECK_EQ_INT (send_str (rep, "ok", 0), 2);
    CHECK (recv_is (req, "ok"));
    zmq_close (req);
    zmq_close (rep);

    /* tcp://[::]:* with ZMQ_IPV6 serves an IPv4 client. */
    void *pull = socket_with_timeout (ZMQ_PULL);
    set_int (pull, ZMQ_IPV6, 1);
    CHECK_EQ_INT (zmq_bind (pull, "tcp://*:*"), 0);
    len = sizeof endpoint;
    zmq_getsockopt (pull, ZMQ_LAST_ENDPOINT, endpoint, &len);
    CHECK (strncmp (endpoint, "tcp://[::]:", 11) == 0);
    char v4[64];
    snprintf (v4, sizeof v4, "tcp://127.0.0.1:%s", strrchr (endpoint, ':') + 1);
    void *push = socket_with_timeout (ZMQ_PUSH);
    CHECK_EQ_INT (zmq_connect (push, v4), 0);
    CHECK_EQ_INT (send_str (push, "four", 0), 4);
    CHECK (recv_is (pull, "four"));
    zmq_close (push);
    zmq_close (pull);
}

/* A peer that completes the handshake and then goes silent is dropped
 * once ZMQ_HEARTBEAT_TIMEOUT passes, and the connecter dials again. */
static void test_dead_peer_detected (void)
{
    char endpoint[64];
    int listener = raw_listen (endpoint, sizeof endpoint);
    REQUIRE_VOID (listener >= 0);
    void *dealer = socket_with_timeout (ZMQ_DEALER);
    set_int (dealer, ZMQ_HEARTBEAT_IVL, 50);
    set_int (dealer, ZMQ_HEARTBEAT_TIMEOUT, 200);
    set_int (dealer, ZMQ_RECONNECT_IVL, 50);
    CHECK_EQ_INT (zmq_connect (dealer, endpoint), 0);
    int fd = accept (listener, NULL, NULL);
    REQUIRE_VOID (fd >= 0);
    read_timeout (fd, 10);
    CHECK (zmtp_handshake (fd, "ROUTER"));
    /* Read everything the dealer says (greeting, READY, PINGs) until it
     * hangs up: it must, since we never answer. */
    char buf[1024];
    ssize_t n;
    size_t total = 0;
    while ((n = read (fd, buf, sizeof buf)) > 0)
        total += n;
    CHECK_EQ_INT (n, 0);
    CHECK (total > 64);
    close (fd);
    /* And it comes back. */
    fd = accept (listener, NULL, NULL);
    CHECK (fd >= 0);
    if (fd >= 0)
        close (fd);
    close (listener);
    zmq_close (dealer);
}

/* Small high-water marks on both sides, a reader that starts late: the
 * sender blocks and resumes, and every message arrives once, in order. */
struct flow_args {
    const char *endpoint;
    int count;
    int received; /* set by the reader when it is done */
};

static void *flow_sender (void *arg)
{
    struct flow_args *a = arg;
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    set_int (push, ZMQ_SNDHWM, 10);
    set_int (push, ZMQ_LINGER, -1);
    zmq_connect (push, a->endpoint);
    for (int i = 0; i < a->count; i++)
        if (zmq_send (push, &i, sizeof i, 0) != sizeof i)
            break;
    /* Closed only once everything arrived: libzmq 4.3.4 may drop the tail
     * of a queue whose socket closes while the peer is full. */
    while (!__atomic_load_n (&a->received, __ATOMIC_ACQUIRE))
        usleep (1000);
    zmq_close (push);
    return NULL;
}

static void test_flow_control (const char *transport)
{
    void *pull = socket_with_timeout (ZMQ_PULL);
    set_int (pull, ZMQ_RCVHWM, 10);
    char endpoint[256];
    REQUIRE_VOID (bind_fresh (pull, transport, endpoint, sizeof endpoint) == 0);
    struct flow_args args = {endpoint, scaled (50000), 0};
    pthread_t thread;
    pthread_create (&thread, NULL, flow_sender, &args);
    usleep (200000); /* let every buffer fill */
    int expected = 0, value;
    while (expected < args.count && zmq_recv (pull, &value, sizeof value, 0) == sizeof value) {
        if (value != expected)
            break;
        expected++;
    }
    CHECK_EQ_INT (expected, args.count);
    __atomic_store_n (&args.received, 1, __ATOMIC_RELEASE);
    pthread_join (thread, NULL);
    zmq_close (pull);
}

/* One ROUTER, many DEALERs on their own connections: each is told apart
 * and answered. */
static void test_many_peers (const char *transport)
{
    enum { PEERS = 100 };
    void *router = socket_with_timeout (ZMQ_ROUTER);
    char endpoint[256];
    REQUIRE_VOID (bind_fresh (router, transport, endpoint, sizeof endpoint) == 0);
    void *dealers[PEERS];
    for (int i = 0; i < PEERS; i++) {
        dealers[i] = socket_with_timeout (ZMQ_DEALER);
        char id[16];
        snprintf (id, sizeof id, "d%d", i);
        zmq_setsockopt (dealers[i], ZMQ_ROUTING_ID, id, strlen (id));
        zmq_connect (dealers[i], endpoint);
        zmq_send (dealers[i], id, strlen (id), 0);
    }
    int answered = 0;
    for (int i = 0; i < PEERS; i++) {
        char id[16], body[16];
        int n = zmq_recv (router, id, sizeof id, 0);
        int m = zmq_recv (router, body, sizeof body, 0);
        if (n <= 0 || m != n || memcmp (id, body, (size_t) n) != 0)
            break;
        zmq_send (router, id, (size_t) n, ZMQ_SNDMORE);
        zmq_send (router, body, (size_t) m, 0);
        answered++;
    }
    CHECK_EQ_INT (answered, PEERS);
    int back = 0;
    for (int i = 0; i < PEERS; i++) {
        char want[16], got[16];
        snprintf (want, sizeof want, "d%d", i);
        int n = zmq_recv (dealers[i], got, sizeof got, 0);
        back += n == (int) strlen (want) && memcmp (got, want, (size_t) n) == 0;
        zmq_close (dealers[i]);
    }
    CHECK_EQ_INT (back, PEERS);
    zmq_close (router);
}

/* Messages sent just before zmq_close are delivered within the linger, by
 * the context's termination. */
static void *linger_sender (void *endpoint)
{
    void *c = zmq_ctx_new ();
    void *push = zmq_socket (c, ZMQ_PUSH);
    set_int (push, ZMQ_LINGER, 5000);
    zmq_connect (push, endpoint);
    for (int i = 0; i < 100; i++)
        zmq_send (push, "bye", 3, 0);
    zmq_close (push);
    zmq_ctx_term (c);
    return NULL;
}

static void test_linger_delivers (const char *transport)
{
    void *pull = socket_with_timeout (ZMQ_PULL);
    char endpoint[256];
    REQUIRE_VOID (bind_fresh (pull, transport, endpoint, sizeof endpoint) == 0);
    pthread_t thread;
    pthread_create (&thread, NULL, linger_sender, endpoint);
    pthread_join (thread, NULL);
    int got = 0;
    while (got < 100 && recv_is (pull, "bye"))
        got++;
    CHECK_EQ_INT (got, 100);
    zmq_close (pull);
}

int main (void)
{
    ctx = zmq_ctx_new ();
    REQUIRE (ctx);
    const char *transports[] = {"tcp", "ipc"};
    for (int t = 0; t < 2; t++) {
        const char *tr = transports[t];
        test_pair (tr);
        test_reqrep (tr, 1);
        test_reqrep (tr, 0);
        test_dealer_router (tr, 1);
        test_dealer_router (tr, 0);
        test_push_pull (tr);
        test_pub_sub (tr, 1);
        test_pub_sub (tr, 0);
        test_xpub_xsub (tr);
        test_connect_before_bind (tr);
        test_subscriptions_survive_reconnect (tr);
        test_incompatible_types (tr);
        test_heartbeats (tr);
        test_flow_control (tr);
        test_many_peers (tr);
        test_linger_delivers (tr);
    }
    test_endpoints ();
    test_ipc_path_bound_again ();
    test_ipv6 ();
    test_dead_peer_detected ();
    test_hostile_peers ();
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("test_tcp_ipc");
}
