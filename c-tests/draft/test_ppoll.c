/* zmq_ppoll (draft API): with a NULL mask it is zmq_poll; with a mask,
 * only that mask is in force while it sleeps. SIGUSR1 is blocked in the
 * thread; a ppoll whose mask lets it in returns EINTR when it comes (and
 * the handler ran), while one whose mask keeps it out sleeps to its
 * timeout and leaves it pending. Sockets and plain descriptors are
 * watched as by zmq_poll. */
#define _GNU_SOURCE
#include "testnet.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

static volatile sig_atomic_t caught;

static void on_usr1 (int sig)
{
    (void) sig;
    caught++;
}

static pthread_t target;

static void *signal_later (void *arg)
{
    (void) arg;
    usleep (100 * 1000);
    pthread_kill (target, SIGUSR1);
    return NULL;
}

int main (void)
{
    void *ctx = zmq_ctx_new ();
    REQUIRE (ctx);
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction (SIGUSR1, &sa, NULL);
    sigset_t blocked, open_mask;
    sigemptyset (&blocked);
    sigaddset (&blocked, SIGUSR1);
    pthread_sigmask (SIG_BLOCK, &blocked, &open_mask);
    sigdelset (&open_mask, SIGUSR1);
    target = pthread_self ();

    void *a = zmq_socket (ctx, ZMQ_PAIR);
    void *b = zmq_socket (ctx, ZMQ_PAIR);
    char endpoint[64];
    CHECK_EQ_INT (bind_inproc (a, endpoint, sizeof endpoint), 0);
    CHECK_EQ_INT (zmq_connect (b, endpoint), 0);
    zmq_pollitem_t items[] = {{a, 0, ZMQ_POLLIN, 0}};

    /* A mask that lets SIGUSR1 in: interrupted, handler run. */
    pthread_t t;
    pthread_create (&t, NULL, signal_later, NULL);
    long long start = now_usec ();
    CHECK_ERRNO (zmq_ppoll (items, 1, 5000, &open_mask) == -1, EINTR);
    CHECK (now_usec () - start < 4000000);
    CHECK_EQ_INT (caught, 1);
    pthread_join (t, NULL);

    /* A mask that keeps it out: the full timeout, the signal pending. */
    pthread_create (&t, NULL, signal_later, NULL);
    start = now_usec ();
    CHECK_EQ_INT (zmq_ppoll (items, 1, 400, &blocked), 0);
    CHECK (now_usec () - start >= 390000);
    CHECK_EQ_INT (caught, 1);
    pthread_join (t, NULL);
    sigset_t pending;
    sigpending (&pending);
    CHECK (sigismember (&pending, SIGUSR1));
    /* Let it in now that we are outside the call. */
    CHECK_ERRNO (zmq_ppoll (items, 1, 1000, &open_mask) == -1, EINTR);
    CHECK_EQ_INT (caught, 2);

    /* Readiness as zmq_poll: a socket, a plain descriptor, NULL mask. */
    CHECK_EQ_INT (zmq_send (b, "x", 1, 0), 1);
    CHECK_EQ_INT (zmq_ppoll (items, 1, 1000, &open_mask), 1);
    CHECK_EQ_INT (items[0].revents, ZMQ_POLLIN);
    items[0].revents = 0;
    CHECK_EQ_INT (zmq_ppoll (items, 1, 1000, NULL), 1);
    CHECK_EQ_INT (items[0].revents, ZMQ_POLLIN);
    int fds[2];
    REQUIRE (pipe (fds) == 0);
    CHECK_EQ_INT (write (fds[1], "y", 1), 1);
    zmq_pollitem_t fd_item[] = {{NULL, fds[0], ZMQ_POLLIN, 0}};
    CHECK_EQ_INT (zmq_ppoll (fd_item, 1, 1000, &blocked), 1);
    CHECK_EQ_INT (fd_item[0].revents, ZMQ_POLLIN);
    close (fds[0]);
    close (fds[1]);

    /* Bad input as zmq_poll. */
    CHECK_ERRNO (zmq_ppoll (NULL, 1, 0, &blocked) == -1, EFAULT);
    long long not_a_socket[16] = {0};
    zmq_pollitem_t bogus[] = {{not_a_socket, 0, ZMQ_POLLIN, 0}};
    CHECK_ERRNO (zmq_ppoll (bogus, 1, 0, &blocked) == -1, ENOTSOCK);

    zmq_close (a);
    zmq_close (b);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("test_ppoll");
}
