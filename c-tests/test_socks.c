/* SOCKS5 proxies (ZMQ_SOCKS_PROXY, ZMQ_SOCKS_USERNAME, ZMQ_SOCKS_PASSWORD):
 * the options' rules, tcp connects through Debian's microsocks (started
 * here, with and without a user name), and proxies played by this test that
 * refuse, hang up or answer nonsense. */
#include "testmon.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#ifndef ZMQ_SOCKS_USERNAME
#define ZMQ_SOCKS_USERNAME 99 /* draft names in libzmq's zmq.h; every build takes them */
#define ZMQ_SOCKS_PASSWORD 100
#endif

extern char **environ;

/* ---- the options ---- */

static int get_text (void *s, int option, char *buf, size_t size, size_t *len)
{
    *len = size;
    return zmq_getsockopt (s, option, buf, len);
}

static void check_options (void)
{
    void *s = new_socket (ZMQ_PUSH);
    char buf[300];
    size_t len;
    const int options[] = {ZMQ_SOCKS_PROXY, ZMQ_SOCKS_USERNAME, ZMQ_SOCKS_PASSWORD};
    for (int i = 0; i < 3; i++) {
        /* Unset: the empty string. */
        CHECK_EQ_INT (get_text (s, options[i], buf, sizeof buf, &len), 0);
        CHECK_EQ_INT ((int) len, 1);
        CHECK_EQ_INT (buf[0], 0);
        /* A value comes back with its NUL, into a buffer big enough only. */
        CHECK_EQ_INT (zmq_setsockopt (s, options[i], "10.0.0.1:1080", 13), 0);
        CHECK_EQ_INT (get_text (s, options[i], buf, sizeof buf, &len), 0);
        CHECK_EQ_INT ((int) len, 14);
        CHECK_STR (buf, "10.0.0.1:1080");
        CHECK_ERRNO (get_text (s, options[i], buf, 13, &len), EINVAL);
        /* NULL clears. */
        CHECK_EQ_INT (zmq_setsockopt (s, options[i], NULL, 0), 0);
        CHECK_EQ_INT (get_text (s, options[i], buf, sizeof buf, &len), 0);
        CHECK_EQ_INT ((int) len, 1);
    }
    /* An empty proxy address is refused; empty credentials clear. */
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_SOCKS_PROXY, "", 0), EINVAL);
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_SOCKS_USERNAME, "u", 1), 0);
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_SOCKS_USERNAME, "", 0), 0);
    CHECK_EQ_INT (get_text (s, ZMQ_SOCKS_USERNAME, buf, sizeof buf, &len), 0);
    CHECK_EQ_INT ((int) len, 1);
    /* RFC 1929 carries at most 255 bytes of each. */
    char long_text[257];
    memset (long_text, 'x', sizeof long_text);
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_SOCKS_USERNAME, long_text, 255), 0);
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_SOCKS_USERNAME, long_text, 256), EINVAL);
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_SOCKS_PASSWORD, long_text, 255), 0);
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_SOCKS_PASSWORD, long_text, 256), EINVAL);
    CHECK_EQ_INT (get_text (s, ZMQ_SOCKS_PASSWORD, buf, sizeof buf, &len), 0);
    CHECK_EQ_INT ((int) len, 256);
    zmq_close (s);
}

/* ---- microsocks ---- */

/* A free port on 127.0.0.1 (free when asked; the proxy then takes it). */
static int free_port (void)
{
    char endpoint[64];
    int fd = raw_listen (endpoint, sizeof endpoint);
    if (fd < 0)
        return -1;
    close (fd);
    return endpoint_port (endpoint);
}

/* Starts microsocks on 127.0.0.1, with RFC 1929 credentials when `user`
 * is given; returns its pid (its port in *port), or -1. */
static pid_t start_microsocks (int *port, const char *user, const char *password)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        char port_text[16];
        *port = free_port ();
        snprintf (port_text, sizeof port_text, "%d", *port);
        char *argv[] = {"microsocks", "-i", "127.0.0.1", "-p", port_text,
                        user ? "-u" : NULL, (char *) user, "-P", (char *) password, NULL};
        pid_t pid;
        if (posix_spawnp (&pid, "microsocks", NULL, NULL, argv, environ) != 0) {
            fprintf (stderr, "cannot start microsocks (apt-get install microsocks)\n");
            return -1;
        }
        /* Ready once it takes connections. */
        for (int wait = 0; wait < 100; wait++) {
            int fd = raw_connect (*port);
            if (fd >= 0) {
                close (fd);
                return pid;
            }
            if (waitpid (pid, NULL, WNOHANG) == pid)
                break; /* the port was taken meanwhile: another one */
            usleep (20 * 1000);
        }
        kill (pid, SIGTERM);
        waitpid (pid, NULL, 0);
    }
    return -1;
}

static void stop (pid_t pid)
{
    kill (pid, SIGTERM);
    waitpid (pid, NULL, 0);
}

/* A PULL on every local address (IPv4 and IPv6: a proxy resolving
 * "localhost" may take either); its port goes to *port. */
static void *pull_anywhere (int *port)
{
    void *pull = new_socket (ZMQ_PULL);
    set_int (pull, ZMQ_IPV6, 1);
    if (zmq_bind (pull, "tcp://*:*") != 0)
        return NULL;
    *port = bound_port (pull);
    return pull;
}

/* A PUSH that goes through the proxy at 127.0.0.1:`proxy_port`. */
static void *push_via (int proxy_port, const char *user, const char *password)
{
    void *push = new_socket (ZMQ_PUSH);
    char proxy[64];
    snprintf (proxy, sizeof proxy, "127.0.0.1:%d", proxy_port);
    zmq_setsockopt (push, ZMQ_SOCKS_PROXY, proxy, strlen (proxy));
    if (user) {
        zmq_setsockopt (push, ZMQ_SOCKS_USERNAME, user, strlen (user));
        zmq_setsockopt (push, ZMQ_SOCKS_PASSWORD, password, strlen (password));
    }
    return push;
}

static int message_passes (void *push, void *pull, const char *text)
{
    char buf[64];
    if (zmq_send (push, text, strlen (text), 0) != (int) strlen (text))
        return 0;
    int n = zmq_recv (pull, buf, sizeof buf - 1, 0);
    if (n < 0)
        return 0;
    buf[n] = 0;
    return strcmp (buf, text) == 0;
}

/* ---- the monitor (watch and next_event: testmon.h) ---- */

/* Waits for a failed attempt: CLOSED then CONNECT_RETRIED, with no
 * CONNECTED before them. Returns 1 when so. */
static inline int attempt_fails (void *mon)
{
    int closed = 0;
    for (;;) {
        int event = next_event (mon, EVENT_MS, NULL, NULL, 0);
        if (event < 0 || event == ZMQ_EVENT_CONNECTED)
            return 0;
        if (event == ZMQ_EVENT_CLOSED)
            closed = 1;
        if (event == ZMQ_EVENT_CONNECT_RETRIED)
            return closed;
    }
}

/* Waits for CONNECTED (after CONNECT_DELAYED): 1 when it comes. */
static int connects (void *mon)
{
    for (;;) {
        int event = next_event (mon, EVENT_MS, NULL, NULL, 0);
        if (event < 0 || event == ZMQ_EVENT_CLOSED)
            return 0;
        if (event == ZMQ_EVENT_CONNECTED)
            return 1;
    }
}

/* ---- through microsocks ---- */

static void check_microsocks (void)
{
    int proxy_port, port;
    pid_t proxy = start_microsocks (&proxy_port, NULL, NULL);
    REQUIRE_VOID (proxy > 0);
    void *pull = pull_anywhere (&port);
    REQUIRE_VOID (pull != NULL);
    char endpoint[64];

    /* An address, and a name the proxy looks up. */
    const char *hosts[] = {"127.0.0.1", "localhost"};
    for (int i = 0; i < 2; i++) {
        void *push = push_via (proxy_port, NULL, NULL);
        void *mon = watch (push);
        snprintf (endpoint, sizeof endpoint, "tcp://%s:%d", hosts[i], port);
        CHECK_EQ_INT (zmq_connect (push, endpoint), 0);
        CHECK (connects (mon));
        CHECK (message_passes (push, pull, hosts[i]));
        zmq_close (mon);
        zmq_close (push);
    }

    /* ipc has no use for a proxy. */
    void *ipc_pull = new_socket (ZMQ_PULL);
    CHECK_EQ_INT (bind_fresh (ipc_pull, "ipc", endpoint, sizeof endpoint), 0);
    void *push = push_via (free_port (), NULL, NULL);
    CHECK_EQ_INT (zmq_connect (push, endpoint), 0);
    CHECK (message_passes (push, ipc_pull, "over ipc"));
    zmq_close (push);
    zmq_close (ipc_pull);

#ifndef REFERENCE_LIBZMQ
    /* A proxy that asks for no credentials refuses a client that offers
     * only them (microsocks answers "no acceptable method"). */
    push = push_via (proxy_port, "user", "secret");
    void *mon = watch (push);
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    CHECK_EQ_INT (zmq_connect (push, endpoint), 0);
    CHECK (attempt_fails (mon));
    zmq_close (mon);
    zmq_close (push);
#endif

    stop (proxy);
    zmq_close (pull);
}

static void check_microsocks_with_password (void)
{
    int proxy_port, port;
    pid_t proxy = start_microsocks (&proxy_port, "zmq", "secret");
    REQUIRE_VOID (proxy > 0);
    void *pull = pull_anywhere (&port);
    REQUIRE_VOID (pull != NULL);
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);

    void *push = push_via (proxy_port, "zmq", "secret");
    void *mon = watch (push);
    CHECK_EQ_INT (zmq_connect (push, endpoint), 0);
    CHECK (connects (mon));
    CHECK (message_passes (push, pull, "authenticated"));
    zmq_close (mon);
    zmq_close (push);

#ifndef REFERENCE_LIBZMQ
    /* A wrong password, and no credentials at all: each attempt fails,
     * nothing is connected, and the socket closes at once. */
    const char *users[] = {"zmq", NULL};
    for (int i = 0; i < 2; i++) {
        push = push_via (proxy_port, users[i], "wrong");
        mon = watch (push);
        CHECK_EQ_INT (zmq_connect (push, endpoint), 0);
        CHECK (attempt_fails (mon));
        CHECK (attempt_fails (mon));
        zmq_close (mon);
        zmq_close (push);
    }
#endif
    stop (proxy);
    zmq_close (pull);
}

/* ---- proxies that misbehave ----
 *
 * The system libzmq (4.3.4) runs none of these: closing a socket whose
 * SOCKS attempt failed aborts it ("Bad file descriptor (src/epoll.cpp:113)"),
 * whichever way the attempt failed. */
#ifndef REFERENCE_LIBZMQ

struct fake {
    int listener;
    const unsigned char *answer; /* written after the greeting */
    size_t answer_len;
    int read_request; /* then reads the CONNECT request and writes `reply` */
    const unsigned char *reply;
    size_t reply_len;
};

/* Serves one connection: reads the 3-byte greeting, answers, perhaps
 * reads the request and answers that, then hangs up. */
static void *serve_fake (void *arg)
{
    struct fake *f = arg;
    int fd = accept (f->listener, NULL, NULL);
    if (fd < 0)
        return NULL;
    unsigned char buf[300];
    read_timeout (fd, 5);
    if (read_n (fd, buf, 3) == 3 && write (fd, f->answer, f->answer_len) >= 0 && f->read_request) {
        /* 05 01 00 01 + IPv4 + port */
        if (read_n (fd, buf, 10) == 10 && f->reply_len > 0)
            (void) !write (fd, f->reply, f->reply_len);
    }
    close (fd);
    return NULL;
}

static void check_fake (const char *what, struct fake f)
{
    char proxy_endpoint[64], endpoint[64];
    f.listener = raw_listen (proxy_endpoint, sizeof proxy_endpoint);
    REQUIRE_VOID (f.listener >= 0);
    pthread_t thread;
    pthread_create (&thread, NULL, serve_fake, &f);
    void *push = push_via (endpoint_port (proxy_endpoint), NULL, NULL);
    void *mon = watch (push);
    /* The peer never gets a connection: a closed port will do. */
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", free_port ());
    CHECK_EQ_INT (zmq_connect (push, endpoint), 0);
    int failed = attempt_fails (mon);
    if (!failed)
        fprintf (stderr, "proxy that %s: the attempt did not fail as expected\n", what);
    CHECK (failed);
    zmq_close (mon);
    zmq_close (push);
    pthread_join (thread, NULL);
    close (f.listener);
}

static void check_misbehaving_proxies (void)
{
    static const unsigned char http[] = "HTTP/1.0 400 Bad Request\r\n\r\n";
    static const unsigned char no_method[] = {5, 0xff};
    static const unsigned char socks4[] = {4, 0};
    static const unsigned char no_auth[] = {5, 0};
    static const unsigned char refused[] = {5, 5, 0, 1, 0, 0, 0, 0, 0, 0};
    static const unsigned char unreachable[] = {5, 4, 0, 1, 0, 0, 0, 0, 0, 0};
    static const unsigned char half_reply[] = {5, 0, 0, 1, 127};
    static const unsigned char bad_address_type[] = {5, 0, 0, 9, 0, 0, 0, 0, 0, 0};
    check_fake ("speaks HTTP", (struct fake){-1, http, sizeof http - 1, 0, NULL, 0});
    check_fake ("takes no method", (struct fake){-1, no_method, 2, 0, NULL, 0});
    check_fake ("speaks SOCKS4", (struct fake){-1, socks4, 2, 0, NULL, 0});
    check_fake ("hangs up after the method", (struct fake){-1, no_auth, 2, 1, NULL, 0});
    check_fake ("refuses the connect", (struct fake){-1, no_auth, 2, 1, refused, sizeof refused});
    check_fake ("finds no route", (struct fake){-1, no_auth, 2, 1, unreachable, sizeof unreachable});
    check_fake ("hangs up mid-reply", (struct fake){-1, no_auth, 2, 1, half_reply, sizeof half_reply});
    check_fake ("names an unknown address type",
                (struct fake){-1, no_auth, 2, 1, bad_address_type, sizeof bad_address_type});

    /* No proxy listening: every attempt is refused and retried. */
    void *push = push_via (free_port (), NULL, NULL);
    void *mon = watch (push);
    CHECK_EQ_INT (zmq_connect (push, "tcp://127.0.0.1:5555"), 0);
    int retried = 0;
    for (int i = 0; i < 20 && !retried; i++) {
        int event = next_event (mon, EVENT_MS, NULL, NULL, 0);
        CHECK (event != ZMQ_EVENT_CONNECTED);
        retried = event == ZMQ_EVENT_CONNECT_RETRIED;
        if (event < 0)
            break;
    }
    CHECK (retried);
    zmq_close (mon);
    zmq_close (push);
}

/* A proxy that takes the connection and then says nothing. libzmq waits
 * for it forever; here the attempt ends after ZMQ_HANDSHAKE_IVL
 * (docs/differences.md). */
static void check_silent_proxy (void)
{
    char proxy_endpoint[64];
    int listener = raw_listen (proxy_endpoint, sizeof proxy_endpoint);
    REQUIRE_VOID (listener >= 0);
    void *push = push_via (endpoint_port (proxy_endpoint), NULL, NULL);
    set_int (push, ZMQ_HANDSHAKE_IVL, 200);
    void *mon = watch (push);
    CHECK_EQ_INT (zmq_connect (push, "tcp://127.0.0.1:5555"), 0);
    CHECK (attempt_fails (mon));
    zmq_close (mon);
    zmq_close (push);
    close (listener);
}
#endif

/* zmq_connect refuses what can never work: a proxy address that is no
 * "host:port", a target name longer than SOCKS can carry. */
static void check_refused_connects (void)
{
    void *push = new_socket (ZMQ_PUSH);
    zmq_setsockopt (push, ZMQ_SOCKS_PROXY, "127.0.0.1:1080", 14);
    char endpoint[300];
    memset (endpoint, 0, sizeof endpoint);
    strcpy (endpoint, "tcp://");
    memset (endpoint + 6, 'a', 256);
    strcat (endpoint, ":5555");
#ifndef REFERENCE_LIBZMQ
    /* libzmq aborts on its first attempt for this one. */
    CHECK_ERRNO (zmq_connect (push, endpoint), EINVAL);
    zmq_setsockopt (push, ZMQ_SOCKS_PROXY, "no port", 7);
    CHECK_ERRNO (zmq_connect (push, "tcp://127.0.0.1:5555"), EINVAL);
#endif
    zmq_close (push);
}

int main (void)
{
    signal (SIGPIPE, SIG_IGN);
    ctx = zmq_ctx_new ();
    snprintf (ipc_dir, sizeof ipc_dir, "/tmp/zmq-socks-%d", (int) getpid ());
    mkdir (ipc_dir, 0700);
    check_options ();
    check_microsocks ();
    check_microsocks_with_password ();
#ifndef REFERENCE_LIBZMQ
    check_misbehaving_proxies ();
    check_silent_proxy ();
#endif
    check_refused_connects ();
    zmq_ctx_term (ctx);
    char path[128];
    snprintf (path, sizeof path, "%s/1.sock", ipc_dir);
    unlink (path);
    rmdir (ipc_dir);
    return test_result ("test_socks");
}
