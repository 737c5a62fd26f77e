/* The exact sequence of monitor events in common situations, printed so
 * that c-tests/test_monitor_sequences.sh can compare this library with the
 * system libzmq line by line: a session made and ended over tcp and ipc, a
 * refused connect, a connect before the bind, a bind that fails, a peer
 * that goes away, a mechanism mismatch, a ZAP refusal, and a monitor
 * stopped by hand.
 *
 * Each line reads "<situation> <socket>: EVENT value endpoint". Values
 * that differ from run to run are named instead: "fd" for a descriptor,
 * "ms" for a retry interval; in endpoints the tcp port reads PORT and the
 * ipc path PATH. Events are read until the one that ends the step, and
 * then for SETTLE_MS more, so that an event that follows it shows too.
 * Each situation has a context of its own. */
#include "../testmon.h"

#include <stdint.h>
#include <sys/stat.h>

#define SETTLE_MS 500
#define LONG_IVL 10000 /* no second retry while a step is watched */

static const char *event_name (int event)
{
    switch (event) {
        case ZMQ_EVENT_CONNECTED: return "CONNECTED";
        case ZMQ_EVENT_CONNECT_DELAYED: return "CONNECT_DELAYED";
        case ZMQ_EVENT_CONNECT_RETRIED: return "CONNECT_RETRIED";
        case ZMQ_EVENT_LISTENING: return "LISTENING";
        case ZMQ_EVENT_BIND_FAILED: return "BIND_FAILED";
        case ZMQ_EVENT_ACCEPTED: return "ACCEPTED";
        case ZMQ_EVENT_ACCEPT_FAILED: return "ACCEPT_FAILED";
        case ZMQ_EVENT_CLOSED: return "CLOSED";
        case ZMQ_EVENT_CLOSE_FAILED: return "CLOSE_FAILED";
        case ZMQ_EVENT_DISCONNECTED: return "DISCONNECTED";
        case ZMQ_EVENT_MONITOR_STOPPED: return "MONITOR_STOPPED";
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: return "HANDSHAKE_FAILED_NO_DETAIL";
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: return "HANDSHAKE_SUCCEEDED";
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: return "HANDSHAKE_FAILED_PROTOCOL";
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: return "HANDSHAKE_FAILED_AUTH";
        default: return "UNKNOWN";
    }
}

/* The endpoint with its port or path named. */
static void normalise (const char *endpoint, char *out, size_t size)
{
    if (strncmp (endpoint, "ipc://", 6) == 0) {
        snprintf (out, size, "ipc://PATH");
        return;
    }
    const char *colon = strrchr (endpoint, ':');
    if (colon && colon[1] >= '0' && colon[1] <= '9')
        snprintf (out, size, "%.*s:PORT", (int) (colon - endpoint), endpoint);
    else
        snprintf (out, size, "%s", endpoint);
}

/* Prints the events of `mon` until `last` (or EVENT_MS without it, which
 * prints "(no <last>)"), then those of the next SETTLE_MS. */
static void print_until (const char *situation, const char *who, void *mon, int last)
{
    int seen_last = 0;
    for (;;) {
        uint32_t value = 0;
        char endpoint[256], shown[256];
        int event = next_event (mon, seen_last ? SETTLE_MS : EVENT_MS, &value, endpoint,
                                sizeof endpoint);
        if (event < 0)
            break;
        normalise (endpoint, shown, sizeof shown);
        printf ("%s %s: %s ", situation, who, event_name (event));
        switch (event) {
            case ZMQ_EVENT_CONNECTED:
            case ZMQ_EVENT_LISTENING:
            case ZMQ_EVENT_ACCEPTED:
            case ZMQ_EVENT_CLOSED:
            case ZMQ_EVENT_DISCONNECTED: printf ("fd"); break;
            case ZMQ_EVENT_CONNECT_RETRIED: printf ("ms"); break;
            default: printf ("%u", value); break;
        }
        printf (" %s\n", shown);
        if (event == last)
            seen_last = 1;
    }
    if (!seen_last)
        printf ("%s %s: (no %s)\n", situation, who, event_name (last));
    fflush (stdout);
}

static void *socket_of (int type)
{
    void *s = zmq_socket (ctx, type);
    set_int (s, ZMQ_LINGER, 0);
    set_int (s, ZMQ_RECONNECT_IVL, LONG_IVL);
    return s;
}

static void close_all (void *a, void *b, void *c, void *d)
{
    void *all[] = {a, b, c, d};
    for (int i = 0; i < 4; i++)
        if (all[i])
            zmq_close (all[i]);
}

/* A session made, used and ended, the client leaving first. */
static void session (const char *transport)
{
    char situation[32], endpoint[256];
    snprintf (situation, sizeof situation, "%s-session", transport);
    void *server = socket_of (ZMQ_REP), *client = socket_of (ZMQ_REQ);
    void *server_mon = watch (server), *client_mon = watch (client);
    if (bind_fresh (server, transport, endpoint, sizeof endpoint) != 0)
        printf ("%s: bind failed\n", situation);
    print_until (situation, "server", server_mon, ZMQ_EVENT_LISTENING);
    zmq_connect (client, endpoint);
    print_until (situation, "client", client_mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    print_until (situation, "server", server_mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    zmq_close (client);
    print_until (situation, "client", client_mon, ZMQ_EVENT_MONITOR_STOPPED);
    print_until (situation, "server", server_mon, ZMQ_EVENT_DISCONNECTED);
    zmq_unbind (server, endpoint);
    print_until (situation, "server", server_mon, ZMQ_EVENT_CLOSED);
    zmq_close (server);
    print_until (situation, "server", server_mon, ZMQ_EVENT_MONITOR_STOPPED);
    close_all (server_mon, client_mon, NULL, NULL);
}

/* Nobody listens. */
static void refused (void)
{
    char endpoint[64];
    int listener = raw_listen (endpoint, sizeof endpoint);
    close (listener);
    void *client = socket_of (ZMQ_REQ);
    void *mon = watch (client);
    zmq_connect (client, endpoint);
    print_until ("tcp-refused", "client", mon, ZMQ_EVENT_CONNECT_RETRIED);
    close_all (client, mon, NULL, NULL);
}

/* The connect comes first; the bind later. */
static void connect_before_bind (void)
{
    char endpoint[64];
    int listener = raw_listen (endpoint, sizeof endpoint);
    close (listener);
    void *client = socket_of (ZMQ_REQ);
    set_int (client, ZMQ_RECONNECT_IVL, 1000); /* more than SETTLE_MS */
    void *mon = watch (client);
    zmq_connect (client, endpoint);
    print_until ("tcp-connect-first", "client", mon, ZMQ_EVENT_CONNECT_RETRIED);
    void *server = socket_of (ZMQ_REP);
    zmq_bind (server, endpoint);
    print_until ("tcp-connect-first", "client", mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    close_all (client, mon, server, NULL);
}

/* A second bind to the same address. */
static void bind_failed (void)
{
    char endpoint[256];
    void *first = socket_of (ZMQ_REP), *second = socket_of (ZMQ_REP);
    bind_fresh (first, "tcp", endpoint, sizeof endpoint);
    void *mon = watch (second);
    zmq_bind (second, endpoint);
    print_until ("tcp-bind-failed", "second", mon, ZMQ_EVENT_BIND_FAILED);
    close_all (first, second, mon, NULL);
}

/* The server goes; the client notices and plans a retry. */
static void peer_gone (void)
{
    char endpoint[256];
    void *server = socket_of (ZMQ_REP), *client = socket_of (ZMQ_REQ);
    bind_fresh (server, "tcp", endpoint, sizeof endpoint);
    void *mon = watch (client);
    zmq_connect (client, endpoint);
    print_until ("tcp-peer-gone", "client", mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    zmq_close (server);
    print_until ("tcp-peer-gone", "client", mon, ZMQ_EVENT_CONNECT_RETRIED);
    close_all (client, mon, NULL, NULL);
}

/* A CURVE server and a NULL client. */
static void mechanism_mismatch (void)
{
    char endpoint[256], public_key[41], secret_key[41];
    zmq_curve_keypair (public_key, secret_key);
    void *server = socket_of (ZMQ_REP), *client = socket_of (ZMQ_REQ);
    set_int (server, ZMQ_CURVE_SERVER, 1);
    zmq_setsockopt (server, ZMQ_CURVE_SECRETKEY, secret_key, 40);
    bind_fresh (server, "tcp", endpoint, sizeof endpoint);
    void *server_mon = watch (server), *client_mon = watch (client);
    zmq_connect (client, endpoint);
    print_until ("tcp-mechanism-mismatch", "server", server_mon,
                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
    print_until ("tcp-mechanism-mismatch", "client", client_mon,
                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
    close_all (server, client, server_mon, client_mon);
}

/* The ZAP handler's judge (testsec.h): everybody is refused. */
static void refuse_all (zap_t *z, zmq_msg_t *request, zap_reply_t *reply)
{
    (void) z;
    (void) request;
    reply->status = "400";
    reply->text = "no";
}

static void auth_refused (void)
{
    zap_t handler;
    zap_start (&handler, "PLAIN", "tcp", "", "", refuse_all, NULL);
    char endpoint[256];
    void *server = socket_of (ZMQ_REP), *client = socket_of (ZMQ_REQ);
    set_int (server, ZMQ_PLAIN_SERVER, 1);
    zmq_setsockopt (client, ZMQ_PLAIN_USERNAME, "user", 4);
    zmq_setsockopt (client, ZMQ_PLAIN_PASSWORD, "wrong", 5);
    bind_fresh (server, "tcp", endpoint, sizeof endpoint);
    void *server_mon = watch (server), *client_mon = watch (client);
    zmq_connect (client, endpoint);
    print_until ("tcp-auth-refused", "server", server_mon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    print_until ("tcp-auth-refused", "client", client_mon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    close_all (server, client, server_mon, client_mon);
    zap_stop (&handler);
}

/* zmq_socket_monitor with NULL stops the monitor. */
static void stopped_by_hand (void)
{
    void *s = socket_of (ZMQ_PAIR);
    void *mon = watch (s);
    zmq_socket_monitor (s, NULL, 0);
    print_until ("monitor-stop", "pair", mon, ZMQ_EVENT_MONITOR_STOPPED);
    close_all (s, mon, NULL, NULL);
}

static void tcp_session (void)
{
    session ("tcp");
}

static void ipc_session (void)
{
    session ("ipc");
}

int main (void)
{
    snprintf (ipc_dir, sizeof ipc_dir, "/tmp/zmq-sequences-%d", (int) getpid ());
    mkdir (ipc_dir, 0700);
    void (*situations[]) (void) = {tcp_session,     ipc_session,        refused,
                                   connect_before_bind, bind_failed, peer_gone,
                                   mechanism_mismatch, auth_refused, stopped_by_hand};
    for (size_t i = 0; i < sizeof situations / sizeof situations[0]; i++) {
        ctx = zmq_ctx_new ();
        situations[i] ();
        zmq_ctx_term (ctx);
    }
    char path[128];
    for (int i = 1; i <= ipc_counter; i++) {
        snprintf (path, sizeof path, "%s/%d.sock", ipc_dir, i);
        unlink (path);
    }
    rmdir (ipc_dir);
    return 0;
}
