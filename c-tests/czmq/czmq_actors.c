/* CZMQ on this library: an echo actor (zactor: inproc PAIR pipes and
 * signals), a PUSH/PULL pair driven by a zloop reactor (ZMQ_FD and
 * ZMQ_EVENTS under the hood) with a timer, and zpoller. Exits 0 when every
 * step did what CZMQ promises. */
#include <czmq.h>

static void echo_actor (zsock_t *pipe, void *args)
{
    (void) args;
    zsock_signal (pipe, 0);
    while (true) {
        zmsg_t *msg = zmsg_recv (pipe);
        if (!msg)
            break;
        char *command = zmsg_popstr (msg);
        bool terminate = streq (command, "$TERM");
        if (streq (command, "ECHO"))
            zmsg_send (&msg, pipe);
        zstr_free (&command);
        zmsg_destroy (&msg);
        if (terminate)
            break;
    }
}

static int received;

static int on_message (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    (void) arg;
    char *text = zstr_recv (reader);
    if (text)
        received++;
    zstr_free (&text);
    return received == 100 ? -1 : 0;
}

static int on_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    for (int i = 0; i < 50; i++)
        zstr_sendf ((zsock_t *) arg, "message %d", i);
    return 0;
}

int main (void)
{
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    printf ("czmq on libzmq %d.%d.%d\n", major, minor, patch);
    zactor_t *actor = zactor_new (echo_actor, NULL);
    assert (actor);
    zstr_sendx (actor, "ECHO", "hello", NULL);
    char *hello = zstr_recv (actor);
    int ok = hello && streq (hello, "hello");
    zstr_free (&hello);
    zactor_destroy (&actor);

    zsock_t *pull = zsock_new_pull ("inproc://czmq-loop");
    zsock_t *push = zsock_new_push (">inproc://czmq-loop");
    zloop_t *loop = zloop_new ();
    zloop_reader (loop, pull, on_message, NULL);
    zloop_timer (loop, 10, 2, on_timer, push);
    zloop_start (loop);
    ok = ok && received == 100;
    zloop_destroy (&loop);

    zpoller_t *poller = zpoller_new (pull, NULL);
    ok = ok && zpoller_wait (poller, 50) == NULL && zpoller_expired (poller);
    zstr_send (push, "last");
    ok = ok && zpoller_wait (poller, 1000) == pull;
    char *last = zstr_recv (pull);
    ok = ok && last && streq (last, "last");
    zstr_free (&last);
    zpoller_destroy (&poller);
    zsock_destroy (&push);
    zsock_destroy (&pull);
    printf ("czmq: actor echo, zloop with %d messages, zpoller: %s\n", received, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
