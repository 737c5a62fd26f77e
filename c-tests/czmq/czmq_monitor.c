/* CZMQ's zmonitor actor on this library: socket events as CZMQ reports
 * them (name, value, address), for a ROUTER server and a DEALER client
 * over tcp. Each monitor listens to a chosen set of events, so the events
 * it passes on arrive in a fixed order: LISTENING, ACCEPTED and
 * HANDSHAKE_SUCCEEDED on the server, CONNECTED and HANDSHAKE_SUCCEEDED on
 * the client, DISCONNECTED when the peer goes, BIND_FAILED for a port in
 * use, HANDSHAKE_FAILED_PROTOCOL for a mechanism mismatch, CLOSED on
 * unbind. The same expectations hold with the system libzmq. Every check
 * prints a line; exits 0 when all of them held. */
#include <czmq.h>

static int failures;

static void check (bool cond, const char *what)
{
    printf ("czmq: %s: %s\n", what, cond ? "ok" : "FAILED");
    if (!cond)
        failures++;
}

typedef struct {
    char name[64];
    int value;
    char address[256];
} event_t;

/* The next event from `monitor` within `wait_ms`; false if none came. */
static bool next_event (zactor_t *monitor, int wait_ms, event_t *event)
{
    zsock_set_rcvtimeo (monitor, wait_ms);
    zmsg_t *msg = zmsg_recv (monitor);
    if (!msg)
        return false;
    char *name = zmsg_popstr (msg);
    char *value = zmsg_popstr (msg);
    char *address = zmsg_popstr (msg);
    snprintf (event->name, sizeof event->name, "%s", name ? name : "");
    event->value = value ? atoi (value) : -1;
    snprintf (event->address, sizeof event->address, "%s", address ? address : "");
    zstr_free (&name);
    zstr_free (&value);
    zstr_free (&address);
    zmsg_destroy (&msg);
    return true;
}

/* Checks that the next event is `name` at `address` (unless NULL);
 * returns its value, or -1. */
static int expect (zactor_t *monitor, const char *who, const char *name, const char *address)
{
    event_t event;
    char what[400];
    bool got = next_event (monitor, 5000, &event);
    /* zsock_bind looks for a free port itself (from 49152 up), and libzmq
       reports a CLOSED for each port it found taken before the one it got:
       those are not this endpoint's events. */
    while (got && streq (name, "LISTENING") && streq (event.name, "CLOSED") && address
           && !streq (event.address, address))
        got = next_event (monitor, 5000, &event);
    bool ok = got && streq (event.name, name) && (!address || streq (event.address, address));
    if (got)
        snprintf (what, sizeof what, "%s: %s (got %s %d %s)", who, name, event.name,
                  event.value, event.address);
    else
        snprintf (what, sizeof what, "%s: %s (got nothing in 5 s)", who, name);
    check (ok, what);
    return ok ? event.value : -1;
}

static void expect_none (zactor_t *monitor, const char *who, int wait_ms)
{
    event_t event;
    char what[400];
    bool got = next_event (monitor, wait_ms, &event);
    if (got)
        snprintf (what, sizeof what, "%s: no further event (got %s %d %s)", who, event.name,
                  event.value, event.address);
    else
        snprintf (what, sizeof what, "%s: no further event in %d ms", who, wait_ms);
    check (!got, what);
}

static zactor_t *monitor_of (zsock_t *sock, const char *events[])
{
    zactor_t *monitor = zactor_new (zmonitor, sock);
    assert (monitor);
    zmsg_t *listen = zmsg_new ();
    zmsg_addstr (listen, "LISTEN");
    for (int i = 0; events[i]; i++)
        zmsg_addstr (listen, events[i]);
    zmsg_send (&listen, monitor);
    zstr_send (monitor, "START");
    zsock_wait (monitor);
    return monitor;
}

static bool exchange (zsock_t *client, zsock_t *server)
{
    zsock_set_rcvtimeo (server, 5000);
    zsock_set_rcvtimeo (client, 5000);
    zstr_send (client, "ping");
    zmsg_t *msg = zmsg_recv (server);
    zframe_t *id = msg ? zmsg_pop (msg) : NULL;
    char *ping = msg ? zmsg_popstr (msg) : NULL;
    bool ok = id && ping && streq (ping, "ping");
    zstr_free (&ping);
    zmsg_destroy (&msg);
    if (ok) {
        zmsg_t *reply = zmsg_new ();
        zmsg_addstr (reply, "pong");
        zmsg_prepend (reply, &id);
        zmsg_send (&reply, server);
        char *pong = zstr_recv (client);
        ok = pong && streq (pong, "pong");
        zstr_free (&pong);
    }
    zframe_destroy (&id);
    return ok;
}

int main (void)
{
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    printf ("czmq on libzmq %d.%d.%d\n", major, minor, patch);

    const char *server_events[] = {"LISTENING", "ACCEPTED", "HANDSHAKE_SUCCEEDED",
                                   "DISCONNECTED", "CLOSED", NULL};
    const char *client_events[] = {"CONNECTED", "HANDSHAKE_SUCCEEDED", "DISCONNECTED", NULL};
    zsock_t *server = zsock_new (ZMQ_ROUTER);
    zsock_t *client = zsock_new (ZMQ_DEALER);
    assert (server && client);
    zactor_t *server_monitor = monitor_of (server, server_events);
    zactor_t *client_monitor = monitor_of (client, client_events);

    check (zsock_bind (server, "tcp://127.0.0.1:*") > 0, "server bound");
    char *endpoint = zsock_last_endpoint (server);
    assert (endpoint);
    int listener = expect (server_monitor, "server", "LISTENING", endpoint);
    check (listener > 0, "server: LISTENING carries the listening descriptor");

    zsock_connect (client, "%s", endpoint);
    check (exchange (client, server), "ping-pong over the connection");
    int accepted = expect (server_monitor, "server", "ACCEPTED", endpoint);
    check (accepted > 0 && accepted != listener, "server: ACCEPTED carries the new descriptor");
    check (expect (server_monitor, "server", "HANDSHAKE_SUCCEEDED", endpoint) == 0,
           "server: HANDSHAKE_SUCCEEDED value is 0");
    int connected = expect (client_monitor, "client", "CONNECTED", endpoint);
    check (connected > 0, "client: CONNECTED carries the descriptor");
    check (expect (client_monitor, "client", "HANDSHAKE_SUCCEEDED", endpoint) == 0,
           "client: HANDSHAKE_SUCCEEDED value is 0");

    /* The client goes: the server sees the connection drop; the client
     * itself reports nothing for a disconnection it asked for. */
    zsock_disconnect (client, "%s", endpoint);
    /* The connection closes once the client socket has handled its
     * session's termination: a receive lets it do so. */
    zsock_set_rcvtimeo (client, 200);
    char *none = zstr_recv (client);
    zstr_free (&none);
    check (expect (server_monitor, "server", "DISCONNECTED", endpoint) == accepted,
           "server: DISCONNECTED names the accepted descriptor");
    expect_none (client_monitor, "client", 300);

    /* And comes back. */
    zsock_connect (client, "%s", endpoint);
    check (exchange (client, server), "ping-pong after reconnecting");
    accepted = expect (server_monitor, "server", "ACCEPTED", endpoint);
    expect (server_monitor, "server", "HANDSHAKE_SUCCEEDED", endpoint);
    connected = expect (client_monitor, "client", "CONNECTED", endpoint);
    expect (client_monitor, "client", "HANDSHAKE_SUCCEEDED", endpoint);

    /* A port in use: BIND_FAILED with EADDRINUSE. */
    const char *bind_events[] = {"LISTENING", "BIND_FAILED", NULL};
    zsock_t *other = zsock_new (ZMQ_PULL);
    zactor_t *other_monitor = monitor_of (other, bind_events);
    check (zsock_bind (other, "%s", endpoint) == -1, "binding a port in use fails");
    check (expect (other_monitor, "other", "BIND_FAILED", NULL) == EADDRINUSE,
           "other: BIND_FAILED value is EADDRINUSE");
    expect_none (other_monitor, "other", 100);
    zactor_destroy (&other_monitor);
    zsock_destroy (&other);

    /* A PLAIN server and a NULL client: both sides fail the handshake
     * with a mechanism mismatch, and the server drops the connection. */
    const char *plain_events[] = {"ACCEPTED", "HANDSHAKE_SUCCEEDED", "HANDSHAKE_FAILED_PROTOCOL",
                                  "DISCONNECTED", NULL};
    const char *null_events[] = {"CONNECTED", "HANDSHAKE_SUCCEEDED", "HANDSHAKE_FAILED_PROTOCOL", NULL};
    zsock_t *plain = zsock_new (ZMQ_PULL);
    zsock_set_plain_server (plain, 1);
    zactor_t *plain_monitor = monitor_of (plain, plain_events);
    check (zsock_bind (plain, "tcp://127.0.0.1:*") > 0, "PLAIN server bound");
    char *plain_endpoint = zsock_last_endpoint (plain);
    zsock_t *push = zsock_new (ZMQ_PUSH);
    zsock_set_linger (push, 0);
    zactor_t *push_monitor = monitor_of (push, null_events);
    zsock_connect (push, "%s", plain_endpoint);
    int plain_accepted = expect (plain_monitor, "PLAIN server", "ACCEPTED", plain_endpoint);
    check (expect (plain_monitor, "PLAIN server", "HANDSHAKE_FAILED_PROTOCOL", plain_endpoint)
           == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,
           "PLAIN server: the value is ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH");
    check (expect (plain_monitor, "PLAIN server", "DISCONNECTED", plain_endpoint) == plain_accepted,
           "PLAIN server: DISCONNECTED names the accepted descriptor");
    expect (push_monitor, "NULL client", "CONNECTED", plain_endpoint);
    check (expect (push_monitor, "NULL client", "HANDSHAKE_FAILED_PROTOCOL", plain_endpoint)
           == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,
           "NULL client: the value is ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH");
    zactor_destroy (&push_monitor);
    zactor_destroy (&plain_monitor);
    zsock_destroy (&push);
    zsock_destroy (&plain);
    zstr_free (&plain_endpoint);

    /* Unbinding closes the listener (CLOSED, the listening descriptor)
     * and the connections it accepted: the client sees DISCONNECTED once
     * the server socket has handled the unbind (a receive does that). */
    check (zsock_unbind (server, "%s", endpoint) == 0, "server unbound");
    check (expect (server_monitor, "server", "CLOSED", endpoint) == listener,
           "server: CLOSED names the listening descriptor");
    zsock_set_rcvtimeo (server, 50);
    zmsg_t *nothing = zmsg_recv (server);
    zmsg_destroy (&nothing);
    check (expect (client_monitor, "client", "DISCONNECTED", endpoint) == connected,
           "client: DISCONNECTED names its descriptor");

    zactor_destroy (&server_monitor);
    zactor_destroy (&client_monitor);
    zsock_destroy (&client);
    zsock_destroy (&server);
    zstr_free (&endpoint);
    printf ("czmq monitor: %s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
