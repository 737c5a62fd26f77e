/* What the perf tools share: failing loudly, reading whole-number
 * arguments, and CURVE for the secured rows. Define TOOL (the program's
 * name, for messages) before including this. */
#ifndef PERF_UTIL_H
#define PERF_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <zmq.h>

/* Reports the failed call with zmq's errno and exits. */
static void fail (const char *what)
{
    fprintf (stderr, "%s: %s: %s\n", TOOL, what, zmq_strerror (zmq_errno ()));
    exit (1);
}

/* A command-line integer of at least `min` (and at most INT_MAX), or exit. */
static long parse (const char *text, const char *name, long min)
{
    char *end;
    errno = 0;
    long value = strtol (text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min || value > 0x7fffffffL) {
        fprintf (stderr, "%s: bad %s '%s' (want an integer >= %ld)\n", TOOL, name, text, min);
        exit (1);
    }
    return value;
}

/* With PERF_CURVE=server in the environment, the binding side becomes a
 * CURVE server with a fresh key pair and prints its public key as
 * "curve: <key>" (before its endpoint); with PERF_CURVE=<that key>, the
 * connecting side becomes a client of it with a key pair of its own.
 * Without PERF_CURVE nothing changes (the NULL mechanism). */
static inline void curve_server (void *socket)
{
    const char *mode = getenv ("PERF_CURVE");
    if (!mode || !*mode)
        return;
    char public_key[41], secret_key[41];
    int on = 1;
    if (zmq_curve_keypair (public_key, secret_key) != 0)
        fail ("zmq_curve_keypair");
    if (zmq_setsockopt (socket, ZMQ_CURVE_SERVER, &on, sizeof on) != 0
        || zmq_setsockopt (socket, ZMQ_CURVE_SECRETKEY, secret_key, 40) != 0)
        fail ("zmq_setsockopt (CURVE server)");
    printf ("curve: %s\n", public_key);
}

static inline void curve_client (void *socket)
{
    const char *server_key = getenv ("PERF_CURVE");
    if (!server_key || !*server_key)
        return;
    char public_key[41], secret_key[41];
    if (zmq_curve_keypair (public_key, secret_key) != 0)
        fail ("zmq_curve_keypair");
    if (zmq_setsockopt (socket, ZMQ_CURVE_SERVERKEY, server_key, 40) != 0
        || zmq_setsockopt (socket, ZMQ_CURVE_PUBLICKEY, public_key, 40) != 0
        || zmq_setsockopt (socket, ZMQ_CURVE_SECRETKEY, secret_key, 40) != 0)
        fail ("zmq_setsockopt (CURVE client)");
}

#endif
