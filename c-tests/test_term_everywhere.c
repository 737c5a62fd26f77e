/* zmq_ctx_term while every kind of blocking call is in progress in other
 * threads, each on its own socket: a receive, a send with no peer to
 * take it, a zmq_poll with no timeout, a zmq_proxy, and a
 * receive through a monitor. Each returns ETERM (zmq_poll -1 with ETERM),
 * its thread closes its socket, and zmq_ctx_term returns 0. */
#include "testutil.h"
#include <pthread.h>

static void *ctx;

typedef struct {
    void *socket, *other;
    int rc, err;
} call_t;

static void *blocked_recv (void *arg)
{
    call_t *c = arg;
    char buf[8];
    c->rc = zmq_recv (c->socket, buf, sizeof buf, 0);
    c->err = errno;
    zmq_close (c->socket);
    return NULL;
}

static void *blocked_send (void *arg)
{
    call_t *c = arg;
    /* A PUSH with no peer: the send waits for one. */
    c->rc = zmq_send (c->socket, "x", 1, 0);
    c->err = errno;
    zmq_close (c->socket);
    return NULL;
}

static void *blocked_poll (void *arg)
{
    call_t *c = arg;
    zmq_pollitem_t item = {c->socket, 0, ZMQ_POLLIN, 0};
    c->rc = zmq_poll (&item, 1, -1);
    c->err = errno;
    zmq_close (c->socket);
    return NULL;
}

static void *running_proxy (void *arg)
{
    call_t *c = arg;
    c->rc = zmq_proxy (c->socket, c->other, NULL);
    c->err = errno;
    zmq_close (c->socket);
    zmq_close (c->other);
    return NULL;
}

int main (void)
{
    ctx = zmq_ctx_new ();
    REQUIRE (ctx);
    call_t calls[5];
    memset (calls, 0, sizeof calls);

    calls[0].socket = zmq_socket (ctx, ZMQ_PULL);
    zmq_bind (calls[0].socket, "inproc://recv");

    calls[1].socket = zmq_socket (ctx, ZMQ_PUSH);
    zmq_bind (calls[1].socket, "tcp://127.0.0.1:*");

    calls[2].socket = zmq_socket (ctx, ZMQ_SUB);
    zmq_bind (calls[2].socket, "tcp://127.0.0.1:*");

    calls[3].socket = zmq_socket (ctx, ZMQ_ROUTER);
    calls[3].other = zmq_socket (ctx, ZMQ_DEALER);
    zmq_bind (calls[3].socket, "inproc://front");
    zmq_bind (calls[3].other, "inproc://back");

    /* A monitor's reader waiting for an event that never comes. */
    void *watched = zmq_socket (ctx, ZMQ_PAIR);
    zmq_socket_monitor (watched, "inproc://watch", ZMQ_EVENT_ACCEPTED);
    calls[4].socket = zmq_socket (ctx, ZMQ_PAIR);
    zmq_connect (calls[4].socket, "inproc://watch");

    for (int i = 0; i < 5; i++)
        set_int (calls[i].socket, ZMQ_LINGER, 0);
    set_int (calls[3].other, ZMQ_LINGER, 0);

    pthread_t threads[5];
    void *(*bodies[5]) (void *) = {blocked_recv, blocked_send, blocked_poll, running_proxy,
                                   blocked_recv};
    for (int i = 0; i < 5; i++)
        pthread_create (&threads[i], NULL, bodies[i], &calls[i]);
    /* Let every call get to where it blocks. */
    zmq_pollitem_t pause = {NULL, -1, 0, 0};
    zmq_poll (&pause, 1, 200);

    /* The sockets of this thread go first; then termination wakes the
     * others, which close theirs, and it returns. */
    zmq_socket_monitor (watched, NULL, 0);
    zmq_close (watched);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    for (int i = 0; i < 5; i++) {
        pthread_join (threads[i], NULL);
        CHECK_EQ_INT (calls[i].rc, -1);
        CHECK_EQ_INT (calls[i].err, ETERM);
    }
    return test_result ("test_term_everywhere");
}
