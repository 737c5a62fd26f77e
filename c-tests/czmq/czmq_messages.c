/* CZMQ messages on this library: zframe (dup, eq, more flag, reuse),
 * zmsg (push/add/pop of strings and frames, dup, encode/decode), whole
 * multi-frame messages through PAIR over inproc and ROUTER/DEALER over
 * inproc and tcp (routing id frames, set and generated, replies routed
 * back, metadata on received frames), big frames, and CZMQ's signals.
 * Every check prints a line; exits 0 when all of them held. */
#include <czmq.h>

static int failures;

static void check (bool cond, const char *what)
{
    printf ("czmq: %s: %s\n", what, cond ? "ok" : "FAILED");
    if (!cond)
        failures++;
}

/* Four frames (text, empty, 256 binary bytes, text), and 1 MiB more if
 * `big`. */
static zmsg_t *sample (int big)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "first");
    zmsg_addmem (msg, NULL, 0);
    byte bytes[256];
    for (int i = 0; i < 256; i++)
        bytes[i] = (byte) i;
    zmsg_addmem (msg, bytes, sizeof bytes);
    zmsg_addstrf (msg, "number %d", 42);
    if (big) {
        size_t size = 1024 * 1024 + 7;
        byte *data = (byte *) malloc (size);
        assert (data);
        for (size_t i = 0; i < size; i++)
            data[i] = (byte) (i * 31 + 7);
        zmsg_addmem (msg, data, size);
        free (data);
    }
    return msg;
}

static void frames (void)
{
    zframe_t *frame = zframe_new ("hello", 5);
    zframe_t *copy = zframe_dup (frame);
    check (copy && zframe_eq (frame, copy) && zframe_data (copy) != zframe_data (frame),
           "zframe_dup is an equal, separate frame");
    zframe_reset (copy, "hellO", 5);
    check (!zframe_eq (frame, copy) && zframe_streq (frame, "hello"),
           "zframe_eq tells frames apart");
    zframe_t *empty = zframe_new_empty ();
    check (zframe_size (empty) == 0 && !zframe_eq (empty, frame), "empty frame");
    char *text = zframe_strdup (frame);
    check (text && streq (text, "hello"), "zframe_strdup");
    zstr_free (&text);
    zframe_destroy (&empty);
    zframe_destroy (&copy);
    zframe_destroy (&frame);
}

static void messages (void)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_pushstr (msg, "b");
    zmsg_pushstr (msg, "a");
    zmsg_addstr (msg, "c");
    zframe_t *frame = zframe_from ("z");
    zmsg_prepend (msg, &frame);
    check (frame == NULL && zmsg_size (msg) == 4 && zmsg_content_size (msg) == 4,
           "zmsg_pushstr/addstr/prepend build a 4-frame message");
    zmsg_t *copy = zmsg_dup (msg);
    check (copy && zmsg_eq (msg, copy), "zmsg_dup is equal");
    char *s1 = zmsg_popstr (msg);
    char *s2 = zmsg_popstr (msg);
    char *s3 = zmsg_popstr (msg);
    char *s4 = zmsg_popstr (msg);
    char *s5 = zmsg_popstr (msg);
    check (s1 && s2 && s3 && s4 && !s5 && streq (s1, "z") && streq (s2, "a")
           && streq (s3, "b") && streq (s4, "c") && zmsg_size (msg) == 0,
           "zmsg_popstr returns frames in order, then NULL");
    zstr_free (&s1);
    zstr_free (&s2);
    zstr_free (&s3);
    zstr_free (&s4);
    check (zmsg_size (copy) == 4, "the copy kept its frames");
    zmsg_destroy (&copy);
    zmsg_destroy (&msg);

    /* zmsg_encode and zmsg_decode: one frame holding a whole message,
     * with frames short and long (255+ bytes use the long size). */
    msg = sample (0);
    byte longer[300];
    memset (longer, 'x', sizeof longer);
    zmsg_addmem (msg, longer, sizeof longer);
    zframe_t *encoded = zmsg_encode (msg);
    zmsg_t *decoded = encoded ? zmsg_decode (encoded) : NULL;
    check (decoded && zmsg_eq (msg, decoded) && zmsg_size (decoded) == 5,
           "zmsg_encode then zmsg_decode gives the same 5 frames");
    zmsg_destroy (&decoded);
    zframe_destroy (&encoded);
    zmsg_destroy (&msg);
}

/* Sends a sample message from `a` to `b`, checks it arrives intact. */
static bool roundtrip (zsock_t *a, zsock_t *b, int big)
{
    zmsg_t *msg = sample (big);
    zmsg_t *expected = zmsg_dup (msg);
    if (zmsg_send (&msg, a) != 0 || msg != NULL)
        return false;
    zmsg_t *got = zmsg_recv (b);
    bool ok = got && zmsg_eq (got, expected);
    zmsg_destroy (&got);
    zmsg_destroy (&expected);
    return ok;
}

static void pair_inproc (void)
{
    zsock_t *a = zsock_new_pair ("@inproc://czmq-messages-pair");
    zsock_t *b = zsock_new_pair (">inproc://czmq-messages-pair");
    assert (a && b);
    zsock_set_rcvtimeo (a, 5000);
    zsock_set_rcvtimeo (b, 5000);
    check (roundtrip (a, b, 0) && roundtrip (b, a, 1),
           "multi-frame messages both ways over inproc PAIR (1 MiB frame)");

    /* Frame by frame: ZFRAME_MORE, ZFRAME_REUSE, rcvmore. */
    zframe_t *frame = zframe_from ("part");
    zframe_send (&frame, a, ZFRAME_MORE + ZFRAME_REUSE);
    bool kept = frame != NULL;
    zframe_send (&frame, a, 0);
    zframe_t *one = zframe_recv (b);
    bool more1 = one && zframe_more (one) && zsock_rcvmore (b);
    zframe_t *two = zframe_recv (b);
    bool more2 = two && !zframe_more (two) && !zsock_rcvmore (b);
    check (kept && frame == NULL && more1 && more2 && zframe_eq (one, two),
           "zframe_send with MORE and REUSE, zframe_recv sees the more flag");
    zframe_destroy (&one);
    zframe_destroy (&two);

    /* zmsg_sendm: this message is continued by the next one. */
    zmsg_t *head = zmsg_new ();
    zmsg_addstr (head, "head");
    zmsg_t *tail = zmsg_new ();
    zmsg_addstr (tail, "tail");
    zmsg_sendm (&head, a);
    zmsg_send (&tail, a);
    zmsg_t *joined = zmsg_recv (b);
    char *h = joined ? zmsg_popstr (joined) : NULL;
    char *t = joined ? zmsg_popstr (joined) : NULL;
    check (h && t && streq (h, "head") && streq (t, "tail"),
           "zmsg_sendm then zmsg_send arrive as one message");
    zstr_free (&h);
    zstr_free (&t);
    zmsg_destroy (&joined);

    /* zstr_sendx / zstr_recvx. */
    zstr_sendx (b, "one", "two", "three", NULL);
    char *x = NULL, *y = NULL, *z = NULL;
    int parts = zstr_recvx (a, &x, &y, &z, NULL);
    check (parts == 3 && x && y && z && streq (x, "one") && streq (y, "two") && streq (z, "three"),
           "zstr_sendx / zstr_recvx");
    zstr_free (&x);
    zstr_free (&y);
    zstr_free (&z);

    /* Signals: an 8-byte message CZMQ recognises, with a status byte. */
    zsock_signal (a, 7);
    zmsg_t *signal = zmsg_recv (b);
    check (signal && zmsg_signal (signal) == 7, "zsock_signal, zmsg_signal reads status 7");
    zmsg_destroy (&signal);
    zstr_send (a, "not a signal");
    zsock_signal (a, 3);
    zmsg_t *plain = zmsg_recv (b);
    check (plain && zmsg_signal (plain) == -1, "an ordinary message is no signal");
    zmsg_destroy (&plain);
    check (zsock_wait (b) == 3, "zsock_wait returns status 3");
    zsock_destroy (&a);
    zsock_destroy (&b);
}

/* A ROUTER and two DEALERs (one named, one not) on `endpoint`. */
static void router_dealer (const char *transport, const char *bind_to)
{
    char what[200];
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    assert (router);
    zsock_set_rcvtimeo (router, 5000);
    int rc = zsock_bind (router, "%s", bind_to);
    check (rc != -1, "ROUTER bind");
    const char *endpoint = zsock_endpoint (router);
    char *last = zsock_last_endpoint (router);
    snprintf (what, sizeof what, "%s: zsock_endpoint %s equals ZMQ_LAST_ENDPOINT", transport, endpoint);
    check (last && streq (last, endpoint), what);
    zstr_free (&last);

    zsock_t *named = zsock_new (ZMQ_DEALER);
    zsock_t *anonymous = zsock_new (ZMQ_DEALER);
    zsock_set_identity (named, "dealer-A");
    zsock_set_rcvtimeo (named, 5000);
    zsock_set_rcvtimeo (anonymous, 5000);
    zsock_connect (named, "%s", endpoint);
    zsock_connect (anonymous, "%s", endpoint);

    /* The named dealer's message arrives behind its routing id. */
    zmsg_t *msg = sample (1);
    zmsg_t *expected = zmsg_dup (msg);
    zmsg_send (&msg, named);
    zmsg_t *got = zmsg_recv (router);
    zframe_t *id = got ? zmsg_pop (got) : NULL;
    snprintf (what, sizeof what, "%s: ROUTER sees routing id \"dealer-A\" then the 5 frames", transport);
    check (id && zframe_streq (id, "dealer-A") && zmsg_eq (got, expected), what);
    if (got && zmsg_first (got)) {
        /* Metadata comes with the connection's handshake: over tcp the
         * peer's socket type; inproc has no handshake, hence none. */
        const char *type = zframe_meta (zmsg_first (got), "Socket-Type");
        if (streq (transport, "tcp")) {
            snprintf (what, sizeof what, "%s: frame metadata Socket-Type is DEALER", transport);
            check (type && streq (type, "DEALER"), what);
        } else {
            snprintf (what, sizeof what, "%s: frames carry no metadata", transport);
            check (type == NULL, what);
        }
    }
    zmsg_destroy (&expected);

    /* The reply goes back through the routing id; zmsg_wrap adds an
     * empty delimiter too, as the Guide's brokers do. */
    zmsg_t *reply = zmsg_new ();
    zmsg_addstr (reply, "reply");
    zmsg_wrap (reply, zframe_from ("envelope"));
    zmsg_prepend (reply, &id);
    zmsg_send (&reply, router);
    zmsg_t *back = zmsg_recv (named);
    zframe_t *envelope = back ? zmsg_unwrap (back) : NULL;
    char *text = back ? zmsg_popstr (back) : NULL;
    snprintf (what, sizeof what, "%s: reply routed to the named dealer, zmsg_unwrap", transport);
    check (envelope && zframe_streq (envelope, "envelope") && text && streq (text, "reply")
           && zmsg_size (back) == 0, what);
    zframe_destroy (&envelope);
    zstr_free (&text);
    zmsg_destroy (&back);
    zmsg_destroy (&got);

    /* The anonymous dealer gets a routing id made by the ROUTER: five
     * bytes, the first one zero. */
    zstr_send (anonymous, "who am I");
    got = zmsg_recv (router);
    id = got ? zmsg_pop (got) : NULL;
    snprintf (what, sizeof what, "%s: generated routing id is 5 bytes starting with 0", transport);
    check (id && zframe_size (id) == 5 && zframe_data (id)[0] == 0, what);
    if (id) {
        zmsg_t *answer = zmsg_new ();
        zmsg_addstr (answer, "you are you");
        zmsg_prepend (answer, &id);
        zmsg_send (&answer, router);
    }
    char *you = zstr_recv (anonymous);
    snprintf (what, sizeof what, "%s: reply routed to the anonymous dealer", transport);
    check (you && streq (you, "you are you"), what);
    zstr_free (&you);
    zmsg_destroy (&got);
    zframe_destroy (&id);

    /* An unknown routing id is dropped silently (no ROUTER_MANDATORY). */
    zmsg_t *lost = zmsg_new ();
    zmsg_addstr (lost, "nobody");
    zmsg_addstr (lost, "lost");
    snprintf (what, sizeof what, "%s: unknown routing id: send succeeds", transport);
    check (zmsg_send (&lost, router) == 0, what);
    zsock_set_rcvtimeo (named, 100);
    zsock_set_rcvtimeo (anonymous, 100);
    char *none1 = zstr_recv (named);
    char *none2 = zstr_recv (anonymous);
    snprintf (what, sizeof what, "%s: nothing arrives for an unknown routing id", transport);
    check (!none1 && !none2, what);
    zstr_free (&none1);
    zstr_free (&none2);

    zsock_destroy (&named);
    zsock_destroy (&anonymous);
    zsock_destroy (&router);
}

int main (void)
{
    int major, minor, patch, cmajor, cminor, cpatch;
    zmq_version (&major, &minor, &patch);
    zsys_version (&cmajor, &cminor, &cpatch);
    printf ("czmq %d.%d.%d on libzmq %d.%d.%d\n", cmajor, cminor, cpatch, major, minor, patch);
    frames ();
    messages ();
    pair_inproc ();
    router_dealer ("inproc", "inproc://czmq-messages-router");
    router_dealer ("tcp", "tcp://127.0.0.1:*");
    printf ("czmq messages: %s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
