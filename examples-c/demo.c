/* A short tour of the library through zmq.h: version and capabilities,
 * messages (inline, shared and zero-copy), Z85, CURVE keys and timers.
 * Built and run by `make run`; it grows as the library does. */
#include <zmq.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

static void release_buffer (void *data, void *hint)
{
    printf ("  zero-copy buffer released (hint: %s)\n", (const char *) hint);
    free (data);
}

static void on_tick (int timer_id, void *arg)
{
    int *ticks = (int *) arg;
    ++*ticks;
    printf ("  timer %d fired (%d)\n", timer_id, *ticks);
}

int main (void)
{
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    printf ("libzmq API %d.%d.%d (Rust implementation)\n", major, minor, patch);
    const char *caps[] = {"ipc", "curve", "pgm", "draft"};
    for (size_t i = 0; i < sizeof caps / sizeof *caps; i++)
        printf ("  has %-6s %s\n", caps[i], zmq_has (caps[i]) ? "yes" : "no");

    printf ("messages:\n");
    zmq_msg_t big, copy;
    zmq_msg_init_size (&big, 1000);
    memset (zmq_msg_data (&big), 'x', 1000);
    zmq_msg_init (&copy);
    zmq_msg_copy (&copy, &big);
    printf ("  copy of a 1000-byte message shares its buffer: %s\n",
            zmq_msg_data (&copy) == zmq_msg_data (&big) ? "yes" : "no");
    zmq_msg_close (&big);
    zmq_msg_close (&copy);

    char *owned = malloc (16);
    strcpy (owned, "handed over");
    zmq_msg_t zc;
    zmq_msg_init_data (&zc, owned, strlen (owned), release_buffer, "demo");
    printf ("  zero-copy message: %.*s\n", (int) zmq_msg_size (&zc),
            (const char *) zmq_msg_data (&zc));
    zmq_msg_close (&zc);

    printf ("Z85 and CURVE:\n");
    uint8_t bytes[8] = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};
    char text[11];
    printf ("  z85(86 4F D2 6F B5 59 F7 5B) = %s\n", zmq_z85_encode (text, bytes, 8));
    char public_key[41], secret_key[41], derived[41];
    zmq_curve_keypair (public_key, secret_key);
    zmq_curve_public (derived, secret_key);
    printf ("  new CURVE public key %s (derived again: %s)\n", public_key,
            strcmp (public_key, derived) == 0 ? "same" : "DIFFERENT");

    printf ("timers:\n");
    int ticks = 0;
    void *timers = zmq_timers_new ();
    zmq_timers_add (timers, 50, on_tick, &ticks);
    while (ticks < 3) {
        zmq_poll (NULL, 0, zmq_timers_timeout (timers));
        zmq_timers_execute (timers);
    }
    zmq_timers_destroy (&timers);

    printf ("sockets over inproc:\n");
    void *ctx = zmq_ctx_new ();
    void *sink = zmq_socket (ctx, ZMQ_PULL);
    zmq_bind (sink, "inproc://demo");
    void *workers[3];
    for (int i = 0; i < 3; i++) {
        workers[i] = zmq_socket (ctx, ZMQ_PUSH);
        zmq_connect (workers[i], "inproc://demo");
        char task[32];
        int len = snprintf (task, sizeof task, "result from worker %d", i);
        zmq_send (workers[i], task, (size_t) len, 0);
    }
    for (int i = 0; i < 3; i++) {
        char buf[64];
        int n = zmq_recv (sink, buf, sizeof buf - 1, 0);
        buf[n < 0 ? 0 : n] = 0;
        printf ("  PULL got \"%s\"\n", buf);
    }
    zmq_pollitem_t item = {sink, 0, ZMQ_POLLIN, 0};
    printf ("  zmq_poll with nothing left: %d ready after 100 ms\n", zmq_poll (&item, 1, 100));
    for (int i = 0; i < 3; i++)
        zmq_close (workers[i]);
    zmq_close (sink);
    zmq_ctx_term (ctx);
    return 0;
}
