/* Network helpers for the C tests: plain BSD sockets standing in for
 * peers (raw clients and listeners on 127.0.0.1), and the ZMTP bytes such a
 * peer sends to look like a libzmq socket. */
#ifndef TESTNET_H
#define TESTNET_H

#include "testutil.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* REQUIRE for test functions returning void: counts a failed check and
 * returns. */
#define REQUIRE_VOID(cond)                                                     \
    do {                                                                       \
        checks_run++;                                                          \
        if (!(cond)) {                                                         \
            checks_failed++;                                                   \
            fprintf (stderr, "%s:%d: required: %s (errno %d: %s)\n", __FILE__, \
                     __LINE__, #cond, errno, zmq_strerror (errno));            \
            return;                                                            \
        }                                                                      \
    } while (0)

/* The port of a "tcp://host:port" endpoint. */
static inline int endpoint_port (const char *endpoint)
{
    const char *colon = strrchr (endpoint, ':');
    return colon ? atoi (colon + 1) : -1;
}

/* Binds `s` on a fresh endpoint of `transport` ("inproc", "tcp" on
 * 127.0.0.1 with a port the system picks, or "ipc" under /tmp) and stores
 * where to connect (its ZMQ_LAST_ENDPOINT) in `endpoint`. */
static inline int bind_transport (void *s, const char *transport, char *endpoint, size_t size)
{
    static int counter;
    char where[256];
    counter++;
    if (strcmp (transport, "inproc") == 0)
        snprintf (where, sizeof where, "inproc://bound-%d", counter);
    else if (strcmp (transport, "tcp") == 0)
        snprintf (where, sizeof where, "tcp://127.0.0.1:*");
    else
        snprintf (where, sizeof where, "ipc:///tmp/zmq-test-%d-bound-%d.ipc", (int) getpid (),
                  counter);
    if (zmq_bind (s, where) != 0)
        return -1;
    return zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, endpoint, &size);
}

/* The port a socket is bound to (its ZMQ_LAST_ENDPOINT). */
static inline int bound_port (void *s)
{
    char endpoint[256];
    size_t len = sizeof endpoint;
    if (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, endpoint, &len) != 0)
        return -1;
    return endpoint_port (endpoint);
}

/* Reads on `fd` give up after `seconds`. */
static inline void read_timeout (int fd, int seconds)
{
    struct timeval tv = {seconds, 0};
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* A plain tcp connection to 127.0.0.1:`port` (reads time out after 5 s),
 * or -1. */
static inline int raw_connect (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons (port);
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0) {
        close (fd);
        return -1;
    }
    read_timeout (fd, 5);
    return fd;
}

/* A plain listener on 127.0.0.1 (accept times out after 10 s); its
 * endpoint goes to `endpoint`. */
static inline int raw_listen (char *endpoint, size_t size)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t alen = sizeof addr;
    if (bind (fd, (struct sockaddr *) &addr, sizeof addr) != 0 || listen (fd, 4) != 0) {
        close (fd);
        return -1;
    }
    getsockname (fd, (struct sockaddr *) &addr, &alen);
    snprintf (endpoint, size, "tcp://127.0.0.1:%d", ntohs (addr.sin_port));
    read_timeout (fd, 10);
    return fd;
}

/* A ZMTP 3.1 greeting for the NULL mechanism (the signature's padding as
 * libzmq sends it). */
static const unsigned char zmtp_greeting[64] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1,  0x7f,
                                                3,    1, 'N', 'U', 'L', 'L'};

/* Writes the NULL handshake of a peer of `socket_type` ("ROUTER"...):
 * greeting and READY. Returns 1 when all was written. */
static inline int zmtp_handshake (int fd, const char *socket_type)
{
    unsigned char ready[64];
    size_t type_len = strlen (socket_type);
    size_t body = 1 + 5 + 1 + 11 + 4 + type_len;
    size_t n = 0;
    ready[n++] = 4; /* a short command frame */
    ready[n++] = (unsigned char) body;
    ready[n++] = 5;
    memcpy (ready + n, "READY", 5);
    n += 5;
    ready[n++] = 11;
    memcpy (ready + n, "Socket-Type", 11);
    n += 11;
    ready[n++] = 0;
    ready[n++] = 0;
    ready[n++] = 0;
    ready[n++] = (unsigned char) type_len;
    memcpy (ready + n, socket_type, type_len);
    n += type_len;
    return write (fd, zmtp_greeting, sizeof zmtp_greeting) == (ssize_t) sizeof zmtp_greeting
           && write (fd, ready, n) == (ssize_t) n;
}

/* Reads exactly `size` bytes (or less, when the peer stops). */
static inline size_t read_n (int fd, unsigned char *buf, size_t size)
{
    size_t got = 0;
    while (got < size) {
        ssize_t n = read (fd, buf + got, size - got);
        if (n <= 0)
            break;
        got += (size_t) n;
    }
    return got;
}

/* Writes all of `data`; returns 1 when everything went out. */
static inline int write_all (int fd, const void *data, size_t size)
{
    const unsigned char *p = data;
    while (size > 0) {
        ssize_t n = write (fd, p, size);
        if (n <= 0)
            return 0;
        p += n;
        size -= (size_t) n;
    }
    return 1;
}

/* Reads what the peer sends until it closes the connection or a read
 * times out (see read_timeout). Keeps the first `size` bytes in `buf` and
 * the total count in *got. Returns 1 when the peer closed (end of file or
 * a reset), 0 when a read timed out. */
static inline int read_until_closed (int fd, unsigned char *buf, size_t size, size_t *got)
{
    unsigned char scratch[4096];
    *got = 0;
    for (;;) {
        ssize_t n = read (fd, scratch, sizeof scratch);
        if (n == 0)
            return 1;
        if (n < 0)
            return errno == ECONNRESET || errno == EPIPE;
        for (ssize_t i = 0; i < n; i++, (*got)++)
            if (*got < size)
                buf[*got] = scratch[i];
    }
}

/* A ZMTP 3.1 greeting for `mechanism` ("NULL", "PLAIN", "CURVE"), with
 * the as-server flag. */
static inline void zmtp_greeting_for (unsigned char out[64], const char *mechanism, int as_server)
{
    memcpy (out, zmtp_greeting, 64);
    memset (out + 12, 0, 20);
    memcpy (out + 12, mechanism, strlen (mechanism) < 20 ? strlen (mechanism) : 20);
    out[32] = as_server ? 1 : 0;
}

/* Frames a ZMTP 3 command `name` + `body` into `out` (short or long form
 * by size); returns the frame's length, 0 when it does not fit. */
static inline size_t zmtp_command (unsigned char *out, size_t cap, const char *name,
                                   const void *body, size_t body_len)
{
    size_t name_len = strlen (name);
    size_t size = 1 + name_len + body_len;
    size_t header = size < 256 ? 2 : 9;
    if (name_len > 255 || header + size > cap)
        return 0;
    if (size < 256) {
        out[0] = 0x04;
        out[1] = (unsigned char) size;
    } else {
        out[0] = 0x06;
        for (int i = 0; i < 8; i++)
            out[1 + i] = (unsigned char) ((uint64_t) size >> (56 - 8 * i));
    }
    out[header] = (unsigned char) name_len;
    memcpy (out + header + 1, name, name_len);
    if (body_len)
        memcpy (out + header + 1 + name_len, body, body_len);
    return header + size;
}

/* ---- Socket monitors ---------------------------------------------------
 * mon_open starts monitoring `s` (the events in the mask `events`) and
 * returns the PAIR that reads them. A mon_log_t keeps what was read:
 * mon_until reads until a given event comes (or time runs out), mon_for
 * reads for a while; mon_count / mon_value look at what came. mon_close
 * stops monitoring and closes the reader (in that order: libzmq sends
 * MONITOR_STOPPED blocking and waits for ever when the reader is gone). */
typedef struct {
    int n;           /* events read (also those past the arrays' end) */
    int event[256];
    uint32_t value[256];
} mon_log_t;

static inline void *mon_open (void *ctx, void *s, int events)
{
    static int counter;
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://testnet-monitor-%d",
              __atomic_add_fetch (&counter, 1, __ATOMIC_RELAXED));
    if (zmq_socket_monitor (s, endpoint, events) != 0)
        return NULL;
    void *mon = zmq_socket (ctx, ZMQ_PAIR);
    set_int (mon, ZMQ_LINGER, 0);
    if (zmq_connect (mon, endpoint) != 0) {
        zmq_close (mon);
        return NULL;
    }
    return mon;
}

/* One event, waiting at most `timeout_ms`: its number (its value in
 * *value), or -1 when none came. */
static inline int mon_next (void *mon, uint32_t *value, int timeout_ms)
{
    zmq_pollitem_t item = {mon, 0, ZMQ_POLLIN, 0};
    if (zmq_poll (&item, 1, timeout_ms) <= 0)
        return -1;
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    int event = -1;
    if (zmq_msg_recv (&msg, mon, ZMQ_DONTWAIT) == 6 && zmq_msg_more (&msg)) {
        uint16_t e;
        memcpy (&e, zmq_msg_data (&msg), 2);
        memcpy (value, (char *) zmq_msg_data (&msg) + 2, 4);
        event = e;
    }
    while (zmq_msg_more (&msg)) { /* the endpoint frame */
        zmq_msg_close (&msg);
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, mon, 0) < 0)
            break;
    }
    zmq_msg_close (&msg);
    return event;
}

static inline void mon_record (mon_log_t *log, int event, uint32_t value)
{
    if (log->n < (int) (sizeof log->event / sizeof log->event[0])) {
        log->event[log->n] = event;
        log->value[log->n] = value;
    }
    log->n++;
}

/* Reads events into `log` until `wanted` comes (returns 1) or
 * `timeout_ms` has passed (returns 0). */
static inline int mon_until (void *mon, mon_log_t *log, int wanted, int timeout_ms)
{
    long long deadline = now_usec () + (long long) timeout_ms * 1000;
    for (;;) {
        long long left = (deadline - now_usec ()) / 1000;
        if (left < 0)
            return 0;
        uint32_t value = 0;
        int event = mon_next (mon, &value, (int) left);
        if (event < 0)
            return 0;
        mon_record (log, event, value);
        if (event == wanted)
            return 1;
    }
}

/* Reads whatever events come within `ms` into `log`. */
static inline void mon_for (void *mon, mon_log_t *log, int ms)
{
    mon_until (mon, log, -2, ms);
}

/* How often `event` is in the log. */
static inline int mon_count (const mon_log_t *log, int event)
{
    int n = 0;
    int stored = log->n < 256 ? log->n : 256;
    for (int i = 0; i < stored; i++)
        n += log->event[i] == event;
    return n;
}

/* The value of the first `event` in the log, or 0xffffffff. */
static inline uint32_t mon_value (const mon_log_t *log, int event)
{
    int stored = log->n < 256 ? log->n : 256;
    for (int i = 0; i < stored; i++)
        if (log->event[i] == event)
            return log->value[i];
    return 0xffffffffu;
}

/* Whether every `event` in the log has the value `value` (and there is
 * at least one). */
static inline int mon_all_values (const mon_log_t *log, int event, uint32_t value)
{
    int seen = 0;
    int stored = log->n < 256 ? log->n : 256;
    for (int i = 0; i < stored; i++)
        if (log->event[i] == event) {
            if (log->value[i] != value)
                return 0;
            seen = 1;
        }
    return seen;
}

static inline void mon_close (void *s, void *mon)
{
    zmq_socket_monitor (s, NULL, 0);
    zmq_close (mon);
}

/* ---- Private directories for ipc endpoints ---------------------------- */

/* Makes a fresh directory (mkdtemp under /tmp) and stores its path in
 * `dir` (at least 64 bytes). Returns 0, or -1. */
/* Descriptors this process has open (counting the one that reads them). */
static inline int open_descriptors (void)
{
    DIR *dir = opendir ("/proc/self/fd");
    if (!dir)
        return -1;
    int n = 0;
    while (readdir (dir))
        n++;
    closedir (dir);
    return n;
}

/* This process's resident memory in bytes (/proc/self/statm), or -1. */
static inline long long resident_bytes (void)
{
    FILE *f = fopen ("/proc/self/statm", "r");
    long long size, resident;
    int got = f ? fscanf (f, "%lld %lld", &size, &resident) : 0;
    if (f)
        fclose (f);
    return got == 2 ? resident * sysconf (_SC_PAGESIZE) : -1;
}

static inline int tmpdir_make (char *dir, size_t size)
{
    snprintf (dir, size, "/tmp/zmq-test-XXXXXX");
    return mkdtemp (dir) ? 0 : -1;
}

/* Removes the directory and the files left in it (libzmq leaves its ipc
 * socket files behind). */
static inline void tmpdir_remove (const char *dir)
{
    DIR *d = opendir (dir);
    if (d) {
        struct dirent *e;
        char path[512];
        while ((e = readdir (d)) != NULL) {
            if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
                continue;
            snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
            unlink (path);
        }
        closedir (d);
    }
    rmdir (dir);
}

#endif
