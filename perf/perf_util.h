/* What the perf tools share: failing loudly, reading whole-number
 * arguments, CURVE for the secured rows, and the throughput report. Define
 * TOOL (the program's name, for messages) before including this. */
#ifndef PERF_UTIL_H
#define PERF_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <zmq.h>

/* Reports the failed call with zmq's errno and exits. */
static inline void fail (const char *what)
{
    fprintf (stderr, "%s: %s: %s\n", TOOL, what, zmq_strerror (zmq_errno ()));
    exit (1);
}

/* A command-line integer of at least `min` (and at most INT_MAX), or exit. */
static inline long parse (const char *text, const char *name, long min)
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

/* The throughput report (perf/bench.sh reads its "msg/s" line): `count`
 * messages of `size` bytes, the first untimed, then `elapsed` microseconds
 * for the other count - 1. */
static inline void print_throughput (size_t size, long count, unsigned long elapsed)
{
    if (elapsed == 0)
        elapsed = 1;
    double per_second = (double) (count - 1) * 1000000.0 / (double) elapsed;
    printf ("message size: %zu [B]\n", size);
    printf ("message count: %ld\n", count);
    printf ("mean throughput: %.0f [msg/s]\n", per_second);
    printf ("mean throughput: %.3f [Mb/s]\n", per_second * (double) size * 8.0 / 1000000.0);
}

#endif
