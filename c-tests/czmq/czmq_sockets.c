/* CZMQ sockets, pollers and reactors on this library, beyond what
 * czmq_actors.c covers: zsock option setters and getters (read back
 * through zmq_getsockopt), ROUTER_MANDATORY and CONFLATE at work,
 * zsock_bind's port ranges ("*[first-last]" and "!" random), zpoller
 * over several sockets with add/remove, zloop with readers ended from a
 * callback, cancelled and repeating timers, tickets and a plain file
 * descriptor poller, and zactor commands in zsock_send/zsock_recv and
 * zsock_bsend/zsock_brecv pictures. Every check prints a line; exits 0
 * when all of them held. */
#include <czmq.h>

static int failures;

static void check (bool cond, const char *what)
{
    printf ("czmq: %s: %s\n", what, cond ? "ok" : "FAILED");
    if (!cond)
        failures++;
}

static void options (void)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    assert (sock);
    check (zsock_type (sock) == ZMQ_DEALER && streq (zsock_type_str (sock), "DEALER"),
           "zsock_type and zsock_type_str");
    zsock_set_sndhwm (sock, 123);
    zsock_set_rcvhwm (sock, 456);
    zsock_set_linger (sock, 250);
    zsock_set_rcvtimeo (sock, 1500);
    zsock_set_sndtimeo (sock, 2500);
    zsock_set_reconnect_ivl (sock, 300);
    zsock_set_reconnect_ivl_max (sock, 3000);
    zsock_set_maxmsgsize (sock, 65536);
    zsock_set_immediate (sock, 1);
    zsock_set_tcp_keepalive (sock, 1);
    zsock_set_tcp_keepalive_idle (sock, 60);
    zsock_set_heartbeat_ivl (sock, 700);
    zsock_set_heartbeat_timeout (sock, 2100);
    zsock_set_handshake_ivl (sock, 4000);
    zsock_set_tos (sock, 0x28);
    zsock_set_identity (sock, "peer-1");
    check (zsock_sndhwm (sock) == 123 && zsock_rcvhwm (sock) == 456, "sndhwm and rcvhwm read back");
    check (zsock_linger (sock) == 250 && zsock_rcvtimeo (sock) == 1500 && zsock_sndtimeo (sock) == 2500,
           "linger, rcvtimeo and sndtimeo read back");
    check (zsock_reconnect_ivl (sock) == 300 && zsock_reconnect_ivl_max (sock) == 3000,
           "reconnect_ivl and reconnect_ivl_max read back");
    check (zsock_maxmsgsize (sock) == 65536 && zsock_immediate (sock) == 1, "maxmsgsize and immediate read back");
    check (zsock_tcp_keepalive (sock) == 1 && zsock_tcp_keepalive_idle (sock) == 60,
           "tcp_keepalive and tcp_keepalive_idle read back");
    check (zsock_heartbeat_ivl (sock) == 700 && zsock_heartbeat_timeout (sock) == 2100
           && zsock_handshake_ivl (sock) == 4000, "heartbeat and handshake intervals read back");
    check (zsock_tos (sock) == 0x28, "tos reads back");
    char *identity = zsock_identity (sock);
    check (identity && streq (identity, "peer-1"), "identity reads back");
    zstr_free (&identity);
    check (zsock_mechanism (sock) == ZMQ_NULL, "mechanism is NULL by default");
    zsock_set_plain_server (sock, 1);
    check (zsock_mechanism (sock) == ZMQ_PLAIN && zsock_plain_server (sock) == 1, "mechanism PLAIN");
    zcert_t *cert = zcert_new ();
    zcert_apply (cert, sock);
    zsock_set_curve_server (sock, 1);
    char *public_key = zsock_curve_publickey (sock);
    check (zsock_mechanism (sock) == ZMQ_CURVE && public_key
           && streq (public_key, zcert_public_txt (cert)), "mechanism CURVE, public key reads back as Z85");
    zstr_free (&public_key);
    zcert_destroy (&cert);
    check (zsock_fd (sock) >= 0 && zsock_events (sock) == 0 && zsock_rcvmore (sock) == 0,
           "fd, events (nothing to read or write unconnected) and rcvmore");
    int value = 0;
    size_t size = sizeof value;
    check (zmq_getsockopt (zsock_resolve (sock), ZMQ_SNDHWM, &value, &size) == 0 && value == 123,
           "zsock_resolve gives the libzmq socket");
    zsock_destroy (&sock);

    /* ROUTER_MANDATORY: an unknown routing id is an error. */
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zsock_set_router_mandatory (router, 1);
    int rc = zstr_sendx (router, "nobody", "hello", NULL);
    check (rc == -1 && zmq_errno () == EHOSTUNREACH, "ROUTER_MANDATORY: unknown peer is EHOSTUNREACH");
    zsock_destroy (&router);

    /* CONFLATE: only the last message waits. */
    zsock_t *pull = zsock_new (ZMQ_PULL);
    zsock_set_conflate (pull, 1);
    zsock_set_rcvtimeo (pull, 5000);
    zsock_bind (pull, "tcp://127.0.0.1:*");
    zsock_t *push = zsock_new (ZMQ_PUSH);
    zsock_connect (push, "%s", zsock_endpoint (pull));
    zstr_send (push, "ready");
    char *ready = zstr_recv (pull);
    for (int i = 0; i < 10; i++)
        zstr_sendf (push, "message %d", i);
    zclock_sleep (300);
    char *last = zstr_recv (pull);
    zsock_set_rcvtimeo (pull, 100);
    char *more = zstr_recv (pull);
    check (ready && last && streq (last, "message 9") && !more, "CONFLATE keeps the last message only");
    zstr_free (&ready);
    zstr_free (&last);
    zstr_free (&more);
    zsock_destroy (&push);
    zsock_destroy (&pull);
}

static void port_ranges (void)
{
    char what[200];
    zsock_t *a = zsock_new (ZMQ_PULL);
    zsock_t *b = zsock_new (ZMQ_PULL);
    zsock_t *c = zsock_new (ZMQ_PULL);
    int pa = zsock_bind (a, "tcp://127.0.0.1:*[60000-]");
    char expected[64];
    snprintf (expected, sizeof expected, "tcp://127.0.0.1:%d", pa);
    snprintf (what, sizeof what, "*[60000-] gives port %d, zsock_endpoint %s", pa, zsock_endpoint (a));
    check (pa >= 60000 && pa <= 65535 && streq (zsock_endpoint (a), expected), what);
    char *last = zsock_last_endpoint (a);
    check (last && streq (last, expected), "ZMQ_LAST_ENDPOINT agrees");
    zstr_free (&last);

    check (zsock_bind (b, "tcp://127.0.0.1:*[%d-%d]", pa, pa) == -1, "a range of one port in use fails");
    int pc = zsock_bind (c, "tcp://127.0.0.1:*[%d-]", pa);
    snprintf (what, sizeof what, "*[%d-] skips the port in use, gives %d", pa, pc);
    check (pc > pa, what);
    int pr = zsock_bind (b, "tcp://127.0.0.1:![60000-60999]");
    snprintf (what, sizeof what, "![60000-60999] gives %d", pr);
    check (pr >= 60000 && pr <= 60999 && pr != pa && pr != pc, what);

    zsock_t *push = zsock_new (ZMQ_PUSH);
    zsock_connect (push, "tcp://127.0.0.1:%d", pc);
    zstr_send (push, "ranged");
    zsock_set_rcvtimeo (c, 5000);
    char *text = zstr_recv (c);
    check (text && streq (text, "ranged"), "a message through the ranged port");
    zstr_free (&text);
    zsock_destroy (&push);

    /* Once unbound, the port can be bound again (the listener closes in
     * the background: retry for a while). */
    check (zsock_unbind (a, "tcp://127.0.0.1:%d", pa) == 0, "unbind the first port");
    zsock_t *d = zsock_new (ZMQ_PULL);
    int pd = -1;
    for (int i = 0; i < 200 && pd == -1; i++) {
        pd = zsock_bind (d, "tcp://127.0.0.1:*[%d-%d]", pa, pa);
        if (pd == -1)
            zclock_sleep (10);
    }
    check (pd == pa, "the unbound port binds again");
    zsock_destroy (&a);
    zsock_destroy (&b);
    zsock_destroy (&c);
    zsock_destroy (&d);
}

static void pollers (void)
{
    zsock_t *pulls[3];
    zsock_t *pushes[3];
    for (int i = 0; i < 3; i++) {
        pulls[i] = zsock_new_pull (NULL);
        zsock_bind (pulls[i], "inproc://czmq-sockets-poll-%d", i);
        pushes[i] = zsock_new_push (NULL);
        zsock_connect (pushes[i], "inproc://czmq-sockets-poll-%d", i);
    }
    zpoller_t *poller = zpoller_new (pulls[0], NULL);
    zpoller_add (poller, pulls[1]);
    zpoller_add (poller, zsock_resolve (pulls[2]));     /* a bare libzmq socket */
    zstr_send (pushes[1], "one");
    void *which = zpoller_wait (poller, 2000);
    check (which == pulls[1], "zpoller_wait returns the socket with a message");
    char *one = zstr_recv (pulls[1]);
    zstr_free (&one);
    zstr_send (pushes[2], "two");
    which = zpoller_wait (poller, 2000);
    check (which == zsock_resolve (pulls[2]), "zpoller returns a bare libzmq socket as given");
    char *two = zstr_recv (pulls[2]);
    zstr_free (&two);
    zpoller_remove (poller, pulls[1]);
    zstr_send (pushes[1], "ignored");
    which = zpoller_wait (poller, 100);
    check (which == NULL && zpoller_expired (poller) && !zpoller_terminated (poller),
           "a removed socket is not polled; zpoller_expired");
    zstr_send (pushes[0], "zero");
    which = zpoller_wait (poller, 2000);
    check (which == pulls[0], "the first socket still polled");
    zpoller_destroy (&poller);
    for (int i = 0; i < 3; i++) {
        zsock_destroy (&pushes[i]);
        zsock_destroy (&pulls[i]);
    }
}

typedef struct {
    zsock_t *push;
    int ticks;
    int read;
    int cancelled_fired;
    int cancelled_id;
    int ticket_fired;
    int fd_reads;
    int pipe_fds[2];
    int64_t started;
    int64_t ended;
} loop_state_t;

static int on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    loop_state_t *state = (loop_state_t *) arg;
    state->ticks++;
    zstr_sendf (state->push, state->ticks == 5 ? "stop" : "tick %d", state->ticks);
    return 0;
}

static int on_cancelled (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    ((loop_state_t *) arg)->cancelled_fired++;
    return 0;
}

static int on_read (zloop_t *loop, zsock_t *reader, void *arg)
{
    loop_state_t *state = (loop_state_t *) arg;
    char *text = zstr_recv (reader);
    if (text) {
        state->read++;
        if (state->read == 1)
            zloop_timer_end (loop, state->cancelled_id);
        if (streq (text, "stop"))
            zloop_reader_end (loop, reader);
    }
    zstr_free (&text);
    return 0;
}

static int on_ticket (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    loop_state_t *state = (loop_state_t *) arg;
    state->ticket_fired++;
    ssize_t n = write (state->pipe_fds[1], "x", 1);
    (void) n;
    return 0;
}

static int on_fd (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    loop_state_t *state = (loop_state_t *) arg;
    char byte;
    if (read (item->fd, &byte, 1) == 1 && byte == 'x')
        state->fd_reads++;
    return 0;
}

static int on_end (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    ((loop_state_t *) arg)->ended = zclock_mono ();
    return -1;
}

static void reactor (void)
{
    loop_state_t state;
    memset (&state, 0, sizeof state);
    zsock_t *pull = zsock_new_pull ("@tcp://127.0.0.1:*");
    assert (pull);
    state.push = zsock_new_push (NULL);
    zsock_connect (state.push, "%s", zsock_endpoint (pull));
    int rc = pipe (state.pipe_fds);
    assert (rc == 0);

    zloop_t *loop = zloop_new ();
    zloop_reader (loop, pull, on_read, &state);
    zloop_timer (loop, 20, 5, on_tick, &state);
    /* Ended by the first message read, before its 150 ms are up. */
    state.cancelled_id = zloop_timer (loop, 150, 1, on_cancelled, &state);
    zmq_pollitem_t item = {NULL, state.pipe_fds[0], ZMQ_POLLIN, 0};
    zloop_poller (loop, &item, on_fd, &state);
    /* A ticket fires once after its delay, unless reset or deleted. */
    zloop_set_ticket_delay (loop, 100);
    void *ticket = zloop_ticket (loop, on_ticket, &state);
    void *dropped = zloop_ticket (loop, on_ticket, &state);
    zloop_ticket_delete (loop, dropped);
    zloop_ticket_reset (loop, ticket);
    zloop_timer (loop, 400, 1, on_end, &state);
    state.started = zclock_mono ();
    zloop_start (loop);
    zloop_destroy (&loop);

    check (state.ticks == 5 && state.read == 5, "zloop: 5 timer ticks, 5 messages read");
    check (state.cancelled_fired == 0, "zloop: the cancelled timer never fired");
    check (state.ticket_fired == 1, "zloop: one ticket fired, the deleted one did not");
    check (state.fd_reads == 1, "zloop: the file descriptor poller saw the ticket's byte");
    check (state.ended - state.started >= 390, "zloop: the ending timer waited its 400 ms");

    /* The reader was ended: the socket is unread. */
    zstr_send (state.push, "after");
    zsock_set_rcvtimeo (pull, 2000);
    char *after = zstr_recv (pull);
    check (after && streq (after, "after"), "zloop: socket usable after zloop_reader_end");
    zstr_free (&after);
    close (state.pipe_fds[0]);
    close (state.pipe_fds[1]);
    zsock_destroy (&state.push);
    zsock_destroy (&pull);
}

/* Answers "ECHO" commands with the same picture, and "SUM" in binary
 * pictures with the sum of its numbers. */
static void picture_actor (zsock_t *pipe, void *args)
{
    const char *greeting = (const char *) args;
    zsock_signal (pipe, 0);
    zsock_send (pipe, "s", greeting);
    while (true) {
        char *command = NULL;
        char *text = NULL;
        int number = 0;
        uint64_t big = 0;
        zframe_t *frame = NULL;
        zmsg_t *msg = NULL;
        if (zsock_recv (pipe, "ssi8fm", &command, &text, &number, &big, &frame, &msg) == -1)
            break;
        if (streq (command, "$TERM")) {
            zstr_free (&command);
            break;
        }
        zsock_send (pipe, "si8fm", text, number + 1, big + 1, frame, msg);
        zstr_free (&command);
        zstr_free (&text);
        zframe_destroy (&frame);
        zmsg_destroy (&msg);
        uint8_t a;
        uint16_t b;
        uint32_t c;
        uint64_t d;
        char *label;
        if (zsock_brecv (pipe, "1248s", &a, &b, &c, &d, &label) == -1)
            break;
        uint64_t sum = a + b + c + d;
        zsock_bsend (pipe, "8s", sum, label);
    }
}

static void actors (void)
{
    zactor_t *actor = zactor_new (picture_actor, "hello");
    assert (actor);
    char *greeting = NULL;
    zsock_recv (actor, "s", &greeting);
    check (greeting && streq (greeting, "hello"), "zactor: argument passed, greeting received");
    zstr_free (&greeting);

    zframe_t *frame = zframe_new ("\0\1\2", 3);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "part 1");
    zmsg_addstr (msg, "part 2");
    zsock_send (actor, "ssi8fm", "ECHO", "text", 41, (uint64_t) 1 << 40, frame, msg);
    char *text = NULL;
    int number = 0;
    uint64_t big = 0;
    zframe_t *frame_back = NULL;
    zmsg_t *msg_back = NULL;
    int rc = zsock_recv (actor, "si8fm", &text, &number, &big, &frame_back, &msg_back);
    check (rc == 0 && text && streq (text, "text") && number == 42 && big == ((uint64_t) 1 << 40) + 1
           && frame_back && zframe_eq (frame, frame_back) && msg_back && zmsg_eq (msg, msg_back),
           "zactor: zsock_send/zsock_recv picture with string, int, uint64, frame, message");
    zstr_free (&text);
    zframe_destroy (&frame);
    zframe_destroy (&frame_back);
    zmsg_destroy (&msg);
    zmsg_destroy (&msg_back);

    zsock_bsend (actor, "1248s", (uint8_t) 200, (uint16_t) 60000, (uint32_t) 4000000000u,
                 (uint64_t) 1 << 50, "sum");
    uint64_t sum = 0;
    char *label = NULL;
    rc = zsock_brecv (actor, "8s", &sum, &label);
    uint64_t expected = 200 + 60000 + 4000000000u + ((uint64_t) 1 << 50);
    check (rc == 0 && sum == expected && label && streq (label, "sum"),
           "zactor: zsock_bsend/zsock_brecv binary picture");
    check (zsock_type (zactor_sock (actor)) == ZMQ_PAIR && zactor_resolve (actor) != NULL,
           "zactor: the pipe is a PAIR socket");
    zactor_destroy (&actor);
    check (actor == NULL, "zactor: destroyed");
}

int main (void)
{
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    printf ("czmq on libzmq %d.%d.%d\n", major, minor, patch);
    options ();
    port_ranges ();
    pollers ();
    reactor ();
    actors ();
    printf ("czmq sockets: %s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
