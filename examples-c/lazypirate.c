/* Lazy pirate: reliability on the client side alone. The client polls its
 * REQ socket with a timeout; when no reply comes it throws the socket away
 * (a REQ that sent and got nothing is stuck), opens a new one and sends
 * the request again, and after a few tries gives the server up for lost.
 * The server is a separate process: it answers once too late (a simulated
 * overload, which one retry gets past), then dies for good (killed by a
 * signal mid-request), which the retries cannot fix. */
#define _GNU_SOURCE
#include <zmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIMEOUT_MS 600
#define TRIES 3
#define SLOW_REQUEST 3  /* answered after 1.5 timeouts */
#define FATAL_REQUEST 5 /* the server dies on receiving it */

static void server (int ready_fd)
{
    prctl (PR_SET_PDEATHSIG, SIGKILL); /* never outlive the client */
    void *ctx = zmq_ctx_new ();
    void *rep = zmq_socket (ctx, ZMQ_REP);
    int patience = 5000;
    zmq_setsockopt (rep, ZMQ_RCVTIMEO, &patience, sizeof patience);
    char endpoint[256] = "";
    size_t size = sizeof endpoint;
    if (zmq_bind (rep, "tcp://127.0.0.1:*") == 0)
        zmq_getsockopt (rep, ZMQ_LAST_ENDPOINT, endpoint, &size);
    if (write (ready_fd, endpoint, sizeof endpoint) != (ssize_t) sizeof endpoint)
        _exit (1);
    close (ready_fd);
    int slowed = 0;
    while (1) {
        char request[32];
        int n = zmq_recv (rep, request, sizeof request - 1, 0);
        if (n < 0)
            break; /* nobody asked for 5 s */
        request[n] = 0;
        int number = atoi (request);
        if (number == FATAL_REQUEST) {
            printf ("server: request %d, crashing\n", number);
            fflush (stdout);
            raise (SIGKILL);
        }
        if (number == SLOW_REQUEST && !slowed) {
            printf ("server: request %d, overloaded: answering after %d ms\n", number,
                    TIMEOUT_MS * 3 / 2);
            slowed = 1;
            zmq_poll (NULL, 0, TIMEOUT_MS * 3 / 2);
        }
        else
            printf ("server: request %d, answering\n", number);
        fflush (stdout);
        zmq_send (rep, request, (size_t) n, 0); /* the answer echoes the request */
    }
    zmq_close (rep);
    zmq_ctx_term (ctx);
    _exit (2);
}

static void *fresh_socket (void *ctx, const char *endpoint)
{
    void *req = zmq_socket (ctx, ZMQ_REQ);
    int zero = 0;
    zmq_setsockopt (req, ZMQ_LINGER, &zero, sizeof zero); /* drop what is unsent */
    zmq_connect (req, endpoint);
    return req;
}

int main (void)
{
    setvbuf (stdout, NULL, _IOLBF, 0); /* two processes share stdout */
    int fds[2];
    if (pipe (fds) != 0)
        return 1;
    pid_t pid = fork (); /* before any context exists */
    if (pid < 0)
        return 1;
    if (pid == 0) {
        close (fds[0]);
        server (fds[1]);
    }
    close (fds[1]);
    char endpoint[256];
    ssize_t got = read (fds[0], endpoint, sizeof endpoint);
    close (fds[0]);
    if (got != (ssize_t) sizeof endpoint || endpoint[0] == 0) {
        fprintf (stderr, "the server did not start\n");
        kill (pid, SIGKILL);
        waitpid (pid, NULL, 0);
        return 1;
    }

    void *ctx = zmq_ctx_new ();
    void *req = fresh_socket (ctx, endpoint);
    int answered = 0, abandoned = 0;
    for (int number = 1; number <= FATAL_REQUEST + 1 && !abandoned; number++) {
        char request[16];
        int len = snprintf (request, sizeof request, "%d", number);
        for (int try = 1; try <= TRIES; try++) {
            zmq_send (req, request, (size_t) len, 0);
            zmq_pollitem_t item = {req, 0, ZMQ_POLLIN, 0};
            if (zmq_poll (&item, 1, TIMEOUT_MS) == 1) {
                char answer[16];
                int n = zmq_recv (req, answer, sizeof answer, 0);
                if (n == len && memcmp (answer, request, (size_t) n) == 0) {
                    printf ("client: request %d answered%s\n", number,
                            try > 1 ? " after a retry" : "");
                    answered++;
                }
                else
                    printf ("client: request %d got a wrong answer\n", number);
                break;
            }
            zmq_close (req);
            req = fresh_socket (ctx, endpoint);
            if (try == TRIES) {
                printf ("client: request %d: no answer in %d tries, server abandoned\n",
                        number, TRIES);
                abandoned = 1;
            }
            else
                printf ("client: request %d: no answer in %d ms, new socket, try %d\n", number,
                        TIMEOUT_MS, try + 1);
        }
    }
    zmq_close (req);
    zmq_ctx_term (ctx);

    int status = 0;
    waitpid (pid, &status, 0); /* it died on its own */
    int killed = WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL;
    printf ("client: the server process %s\n", killed ? "was killed" : "ended otherwise");
    return answered == FATAL_REQUEST - 1 && abandoned && killed ? 0 : 1;
}
