/* Every monitor event of a socket, read one at a time: for tests that
 * step through or print event sequences (test_socks.c,
 * monitor/sequences.c). The monitors are made in testsec.h's `ctx`.
 * (testnet.h's mon_* keep a log of chosen events instead.) */
#ifndef TESTMON_H
#define TESTMON_H

#include "testsec.h"

/* A PAIR that receives every event of `s`, or NULL. */
static inline void *watch (void *s)
{
    return mon_open (ctx, s, ZMQ_EVENT_ALL);
}

/* The next event within `ms`: its number, or -1 when none came. Its value
 * goes to *value and its endpoint to `endpoint` (`size` bytes with the
 * NUL), for those not NULL. */
static inline int next_event (void *mon, int ms, uint32_t *value, char *endpoint, size_t size)
{
    set_int (mon, ZMQ_RCVTIMEO, ms);
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    if (zmq_msg_recv (&frame, mon, 0) < 0) {
        zmq_msg_close (&frame);
        return -1;
    }
    uint16_t event = 0;
    if (zmq_msg_size (&frame) == 6) {
        memcpy (&event, zmq_msg_data (&frame), 2);
        if (value)
            memcpy (value, (char *) zmq_msg_data (&frame) + 2, 4);
    }
    zmq_msg_recv (&frame, mon, 0);
    if (endpoint && size > 0) {
        size_t n = zmq_msg_size (&frame) < size - 1 ? zmq_msg_size (&frame) : size - 1;
        memcpy (endpoint, zmq_msg_data (&frame), n);
        endpoint[n] = 0;
    }
    zmq_msg_close (&frame);
    return event;
}

#endif
