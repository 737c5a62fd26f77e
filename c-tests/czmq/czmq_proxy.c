/* CZMQ's zproxy actor on this library, steered through its command pipe:
 * a request broker (ROUTER frontend on inproc, DEALER backend connecting
 * over tcp to a REP worker) and a pub-sub forwarder (XSUB and XPUB, both
 * connecting over tcp to a bound PUB and SUB). Each proxy is paused and
 * resumed (nothing crosses while paused, what waited crosses after), and
 * a capture socket sees every message the proxy switches, subscriptions
 * included. Every check prints a line; exits 0 when all of them held. */
#include <czmq.h>

static int failures;

static void check (bool cond, const char *what)
{
    printf ("czmq: %s: %s\n", what, cond ? "ok" : "FAILED");
    if (!cond)
        failures++;
}

/* A REP worker thread as an actor: answers "reply to <request>". */
static void worker (zsock_t *pipe, void *args)
{
    zsock_t *rep = (zsock_t *) args;
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, rep, NULL);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which != rep)
            break;              /* $TERM or interrupted */
        char *request = zstr_recv (rep);
        if (!request)
            break;
        zstr_sendf (rep, "reply to %s", request);
        zstr_free (&request);
    }
    zpoller_destroy (&poller);
}

/* Reads every message waiting on `capture` (up to `wait_ms` for the
 * first); returns how many, appending each one's last frame to `seen`. */
static int drain (zsock_t *capture, int wait_ms, zlist_t *seen)
{
    int count = 0;
    zpoller_t *poller = zpoller_new (capture, NULL);
    while (zpoller_wait (poller, count ? 100 : wait_ms) == capture) {
        zmsg_t *msg = zmsg_recv (capture);
        if (!msg)
            break;
        count++;
        zframe_t *last = zmsg_last (msg);
        if (seen && last) {
            /* Subscriptions are binary: 1 or 0, then the topic. */
            char text[300];
            size_t size = zframe_size (last);
            const byte *data = zframe_data (last);
            if (size > 0 && data[0] <= 1)
                snprintf (text, sizeof text, "%s:%.*s", data[0] ? "subscribe" : "unsubscribe",
                          (int) size - 1, (const char *) data + 1);
            else
                snprintf (text, sizeof text, "%.*s", (int) size, (const char *) data);
            zlist_append (seen, strdup (text));
        }
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    return count;
}

static bool contains (zlist_t *list, const char *text)
{
    for (char *item = (char *) zlist_first (list); item; item = (char *) zlist_next (list))
        if (streq (item, text))
            return true;
    return false;
}

static void free_all (zlist_t **list_p)
{
    char *item;
    while ((item = (char *) zlist_pop (*list_p)))
        free (item);
    zlist_destroy (list_p);
}

/* Sends `request` on `req`, returns whether "reply to <request>" came
 * back within `wait_ms`. */
static bool ask (zsock_t *req, const char *request, int wait_ms)
{
    zstr_send (req, request);
    zsock_set_rcvtimeo (req, wait_ms);
    char *reply = zstr_recv (req);
    char expected[200];
    snprintf (expected, sizeof expected, "reply to %s", request);
    bool ok = reply && streq (reply, expected);
    zstr_free (&reply);
    return ok;
}

static void broker (void)
{
    zsock_t *capture = zsock_new_pull ("@inproc://czmq-proxy-capture-1");
    zsock_t *rep = zsock_new (ZMQ_REP);
    check (zsock_bind (rep, "tcp://127.0.0.1:*") > 0, "broker: worker REP bound on tcp");
    char *endpoint = zsock_last_endpoint (rep);
    char backend[300];
    snprintf (backend, sizeof backend, ">%s", endpoint ? endpoint : "tcp://127.0.0.1:1");
    zstr_free (&endpoint);
    zactor_t *work = zactor_new (worker, rep);

    zactor_t *proxy = zactor_new (zproxy, NULL);
    assert (proxy);
    zstr_sendx (proxy, "FRONTEND", "ROUTER", "inproc://czmq-proxy-front", NULL);
    zsock_wait (proxy);
    zstr_sendx (proxy, "BACKEND", "DEALER", backend, NULL);
    zsock_wait (proxy);
    zstr_sendx (proxy, "CAPTURE", "inproc://czmq-proxy-capture-1", NULL);
    zsock_wait (proxy);

    zsock_t *first = zsock_new_req (">inproc://czmq-proxy-front");
    zsock_t *second = zsock_new_req (">inproc://czmq-proxy-front");
    bool a = ask (first, "alpha", 5000);
    bool b = ask (second, "beta", 5000);
    check (a && b, "broker: two REQ clients answered through ROUTER/DEALER");

    /* A request and its reply each cross as routing id, empty delimiter,
     * body: the capture socket sees four 3-frame messages. */
    zlist_t *seen = zlist_new ();
    int captured = drain (capture, 1000, seen);
    check (captured == 4 && contains (seen, "alpha") && contains (seen, "reply to alpha")
           && contains (seen, "beta") && contains (seen, "reply to beta"),
           "broker: capture saw both requests and both replies");
    free_all (&seen);

    zstr_send (proxy, "PAUSE");
    zsock_wait (proxy);
    check (!ask (first, "gamma", 300), "broker: paused, no reply within 300 ms");
    check (drain (capture, 100, NULL) == 0, "broker: paused, nothing captured");
    zstr_send (proxy, "RESUME");
    zsock_wait (proxy);
    zsock_set_rcvtimeo (first, 5000);
    char *late = zstr_recv (first);
    check (late && streq (late, "reply to gamma"), "broker: resumed, the waiting request is answered");
    zstr_free (&late);
    check (ask (second, "delta", 5000), "broker: resumed, new requests answered");

    zactor_destroy (&proxy);
    zactor_destroy (&work);
    zsock_destroy (&first);
    zsock_destroy (&second);
    zsock_destroy (&rep);
    zsock_destroy (&capture);
}

/* Publishes "<topic> <n>" on `pub` every 20 ms until `sub` receives a
 * message, for at most `wait_ms`; returns what `sub` received. */
static char *publish_until_received (zsock_t *pub, zsock_t *sub, const char *topic, int wait_ms)
{
    zpoller_t *poller = zpoller_new (sub, NULL);
    char *text = NULL;
    for (int n = 0; n * 20 < wait_ms && !text; n++) {
        zstr_sendf (pub, "%s %d", topic, n);
        if (zpoller_wait (poller, 20) == sub)
            text = zstr_recv (sub);
    }
    zpoller_destroy (&poller);
    return text;
}

static void forwarder (void)
{
    zsock_t *capture = zsock_new_pull ("@inproc://czmq-proxy-capture-2");
    zsock_t *pub = zsock_new (ZMQ_PUB);
    zsock_t *sub = zsock_new (ZMQ_SUB);
    check (zsock_bind (pub, "tcp://127.0.0.1:*") > 0 && zsock_bind (sub, "tcp://127.0.0.1:*") > 0,
           "forwarder: PUB and SUB bound on tcp");
    char frontend[300], backend[300];
    char *endpoint = zsock_last_endpoint (pub);
    snprintf (frontend, sizeof frontend, ">%s", endpoint);
    zstr_free (&endpoint);
    endpoint = zsock_last_endpoint (sub);
    snprintf (backend, sizeof backend, ">%s", endpoint);
    zstr_free (&endpoint);
    zsock_set_subscribe (sub, "weather");

    zactor_t *proxy = zactor_new (zproxy, NULL);
    assert (proxy);
    zstr_sendx (proxy, "CAPTURE", "inproc://czmq-proxy-capture-2", NULL);
    zsock_wait (proxy);
    zstr_sendx (proxy, "FRONTEND", "XSUB", frontend, NULL);
    zsock_wait (proxy);
    zstr_sendx (proxy, "BACKEND", "XPUB", backend, NULL);
    zsock_wait (proxy);

    /* The subscription travels SUB -> XPUB -> XSUB -> PUB; until it has
     * arrived, PUB drops what it sends. */
    char *text = publish_until_received (pub, sub, "weather", 5000);
    check (text && strncmp (text, "weather ", 8) == 0,
           "forwarder: subscriber receives what the publisher sends");
    zstr_free (&text);
    zstr_send (pub, "sports 1");
    zstr_send (pub, "weather last");
    zsock_set_rcvtimeo (sub, 2000);
    text = zstr_recv (sub);
    check (text && streq (text, "weather last"), "forwarder: topics not subscribed are filtered out");
    zstr_free (&text);
    zlist_t *seen = zlist_new ();
    drain (capture, 500, seen);
    /* PUB filters on its side: "sports 1" never reaches the proxy. */
    check (contains (seen, "subscribe:weather") && contains (seen, "weather last")
           && !contains (seen, "sports 1"),
           "forwarder: capture saw the subscription and the subscribed messages only");
    free_all (&seen);

    zstr_send (proxy, "PAUSE");
    zsock_wait (proxy);
    zstr_send (pub, "weather paused");
    zsock_set_rcvtimeo (sub, 300);
    text = zstr_recv (sub);
    check (text == NULL, "forwarder: paused, nothing forwarded within 300 ms");
    zstr_free (&text);
    zstr_send (proxy, "RESUME");
    zsock_wait (proxy);
    zsock_set_rcvtimeo (sub, 5000);
    text = zstr_recv (sub);
    check (text && streq (text, "weather paused"), "forwarder: resumed, the held message arrives");
    zstr_free (&text);

    /* Unsubscribing travels the same way. */
    zsock_set_unsubscribe (sub, "weather");
    seen = zlist_new ();
    drain (capture, 2000, seen);
    check (contains (seen, "unsubscribe:weather"), "forwarder: capture saw the unsubscription");
    free_all (&seen);

    zactor_destroy (&proxy);
    zsock_destroy (&pub);
    zsock_destroy (&sub);
    zsock_destroy (&capture);
}

int main (void)
{
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    printf ("czmq on libzmq %d.%d.%d\n", major, minor, patch);
    broker ();
    forwarder ();
    printf ("czmq proxy: %s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
