/* What zmq_bind, zmq_connect, zmq_unbind and zmq_disconnect answer for
 * endpoints good and bad, one line per (call, socket type, endpoint):
 * "<call> <type> <endpoint> <rc> <errno>", or "... CRASH <signal>" when the
 * library took the process down. Each call runs in a child process with a
 * context and a socket of its own, so that no call sees what another left
 * and a crash costs one line. c-tests/test_endpoint_errors.sh builds this
 * against both libraries and compares the lines.
 *
 * Endpoints that would bind a well-known resource are made unique per run
 * where the answer does not depend on them (ipc paths under a fresh
 * directory, named "DIR" in the output). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

static const char *const type_names[] = {"PAIR", "PUB", "SUB", "REQ", "REP", "DEALER",
                                         "ROUTER", "PULL", "PUSH", "XPUB", "XSUB", "STREAM"};

static const char *errno_name (int e)
{
    switch (e) {
        case 0: return "-";
        case EINVAL: return "EINVAL";
        case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
        case ENOCOMPATPROTO: return "ENOCOMPATPROTO";
        case EADDRINUSE: return "EADDRINUSE";
        case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
        case ENODEV: return "ENODEV";
        case ENOENT: return "ENOENT";
        case ENAMETOOLONG: return "ENAMETOOLONG";
        case EACCES: return "EACCES";
        case EFAULT: return "EFAULT";
        case ENOTSOCK: return "ENOTSOCK";
        case EMTHREAD: return "EMTHREAD";
        default: {
            static char text[16];
            snprintf (text, sizeof text, "%d", e);
            return text;
        }
    }
}

/* The endpoints tried. "DIR" becomes the run's directory. */
static const char *const endpoints[] = {
    /* malformed */
    "", "tcp", "tcp:/", "tcp://", "://x", "TCP://127.0.0.1:5555", "nonsense://x",
    /* tcp */
    "tcp://127.0.0.1:*", "tcp://127.0.0.1:0", "tcp://127.0.0.1", "tcp://127.0.0.1:",
    "tcp://127.0.0.1:-1", "tcp://127.0.0.1:abc", "tcp://127.0.0.1:65535",
    "tcp://127.0.0.1:65536", "tcp://*:*", "tcp://[::1]:*", "tcp://[::1:*",
    "tcp://no.such.host.invalid:5555", "tcp://999.1.1.1:5555", "tcp://lo:*",
    "tcp://no-such-interface:*", "tcp://127.0.0.1:5555;127.0.0.1:*",
    "tcp://:5555", "tcp://*:5555x",
    /* ipc */
    "ipc://DIR/a.sock", "ipc://", "ipc://*", "ipc://@abstract-DIR",
    "ipc://DIR/no/such/dir/a.sock",
    "ipc://DIR/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    /* inproc */
    "inproc://x", "inproc://", "inproc://*",
    /* transports not built here or only for some types */
    "udp://127.0.0.1:5555", "pgm://eth0;239.192.1.1:5555", "epgm://eth0;239.192.1.1:5555",
    "norm://127.0.0.1:5555", "tipc://{5560,0,0}", "vmci://0:5555", "ws://127.0.0.1:5555",
    "wss://127.0.0.1:5555",
};

static char dir[64];

static void expand (const char *in, char *out, size_t size)
{
    const char *at = strstr (in, "DIR");
    if (!at) {
        snprintf (out, size, "%s", in);
        return;
    }
    snprintf (out, size, "%.*s%s%s", (int) (at - in), in, dir, at + 3);
}

typedef int (*call_fn) (void *, const char *);

static void probe (const char *call_name, call_fn call, int type, const char *endpoint)
{
    char real[512];
    const char *shown = endpoint ? (*endpoint ? endpoint : "(empty)") : "(null)";
    if (endpoint)
        expand (endpoint, real, sizeof real);
    fflush (stdout);
    pid_t child = fork ();
    if (child == 0) {
        void *ctx = zmq_ctx_new ();
        void *s = zmq_socket (ctx, type);
        int linger = 0;
        zmq_setsockopt (s, ZMQ_LINGER, &linger, sizeof linger);
        errno = 0;
        int rc = call (s, endpoint ? real : NULL);
        int e = rc == 0 ? 0 : errno;
        printf ("%s %s %s %d %s\n", call_name, type_names[type], shown, rc, errno_name (e));
        fflush (stdout);
        zmq_close (s);
        zmq_ctx_term (ctx);
        _exit (0);
    }
    int status = 0;
    waitpid (child, &status, 0);
    if (WIFSIGNALED (status))
        printf ("%s %s %s CRASH %d\n", call_name, type_names[type], shown, WTERMSIG (status));
}

int main (void)
{
    snprintf (dir, sizeof dir, "/tmp/zmq-endpoints-%d", (int) getpid ());
    mkdir (dir, 0700);
    const struct {
        const char *name;
        call_fn call;
    } calls[] = {{"bind", zmq_bind},
                 {"connect", zmq_connect},
                 {"unbind", zmq_unbind},
                 {"disconnect", zmq_disconnect}};
    const int types[] = {ZMQ_PAIR, ZMQ_PUB, ZMQ_SUB, ZMQ_DEALER, ZMQ_STREAM};
    for (size_t c = 0; c < sizeof calls / sizeof calls[0]; c++) {
        for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
            for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++)
                probe (calls[c].name, calls[c].call, types[t], endpoints[i]);
        probe (calls[c].name, calls[c].call, ZMQ_PAIR, NULL);
    }
    char path[256];
    snprintf (path, sizeof path, "%s/a.sock", dir);
    unlink (path);
    rmdir (dir);
    return 0;
}
