/* What the perf tools share: failing loudly and reading whole-number
 * arguments. Define TOOL (the program's name, for messages) before
 * including this. */
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

#endif
