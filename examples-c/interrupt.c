/* Handling Ctrl-C in a server: a SIGINT handler (installed without
 * SA_RESTART) only sets a flag; the signal makes the blocking zmq_recv
 * return -1 with EINTR, the loop sees the flag, and the server closes its
 * socket and terminates its context instead of dying mid-way. The server
 * is a child process; the parent sends it two requests, then SIGINT. */
#define _GNU_SOURCE
#include <zmq.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

static void on_sigint (int signum)
{
    (void) signum;
    interrupted = 1;
}

static void server (int ready_fd)
{
    prctl (PR_SET_PDEATHSIG, SIGKILL); /* never outlive the parent */
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = on_sigint;
    action.sa_flags = 0; /* no SA_RESTART: blocking calls return EINTR */
    sigemptyset (&action.sa_mask);
    sigaction (SIGINT, &action, NULL);

    void *ctx = zmq_ctx_new ();
    void *rep = zmq_socket (ctx, ZMQ_REP);
    char endpoint[256] = "";
    size_t size = sizeof endpoint;
    if (zmq_bind (rep, "tcp://127.0.0.1:*") == 0)
        zmq_getsockopt (rep, ZMQ_LAST_ENDPOINT, endpoint, &size);
    if (write (ready_fd, endpoint, sizeof endpoint) != (ssize_t) sizeof endpoint)
        _exit (1);
    close (ready_fd);

    int status = 1;
    while (!interrupted) {
        char request[32];
        int n = zmq_recv (rep, request, sizeof request - 1, 0); /* no timeout */
        if (n < 0) {
            int error = zmq_errno ();
            printf ("server: zmq_recv returned -1, errno %s\n",
                    error == EINTR ? "EINTR" : zmq_strerror (error));
            if (error == EINTR && interrupted)
                status = 0;
            break;
        }
        request[n] = 0;
        printf ("server: handling \"%s\"\n", request);
        zmq_send (rep, "done", 4, 0);
    }
    printf ("server: SIGINT %s, closing the socket and terminating the context\n",
            interrupted ? "caught" : "not seen");
    zmq_close (rep);
    if (zmq_ctx_term (ctx) != 0)
        status = 1;
    printf ("server: shut down cleanly\n");
    fflush (stdout);
    _exit (status);
}

/* Waits up to timeout_ms for the child to end; returns 1 if it did. */
static int ended (pid_t pid, int *status, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        if (waitpid (pid, status, WNOHANG) == pid)
            return 1;
        usleep (10000);
    }
    return 0;
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

    int answers = 0;
    if (got == (ssize_t) sizeof endpoint && endpoint[0]) {
        void *ctx = zmq_ctx_new ();
        void *req = zmq_socket (ctx, ZMQ_REQ);
        int patience = 2000, zero = 0;
        zmq_setsockopt (req, ZMQ_RCVTIMEO, &patience, sizeof patience);
        zmq_setsockopt (req, ZMQ_LINGER, &zero, sizeof zero);
        zmq_connect (req, endpoint);
        for (int i = 1; i <= 2; i++) {
            char request[16], answer[16];
            int len = snprintf (request, sizeof request, "job %d", i);
            zmq_send (req, request, (size_t) len, 0);
            if (zmq_recv (req, answer, sizeof answer, 0) == 4)
                answers++;
        }
        printf ("client: %d answers; now the server waits in zmq_recv\n", answers);
        zmq_close (req);
        zmq_ctx_term (ctx);
    }

    /* Give the server time to block again, then interrupt it (again, in
     * case the first signal came just before it blocked). */
    usleep (200000);
    int status = 0, done = 0;
    for (int tries = 0; tries < 3 && !done; tries++) {
        kill (pid, SIGINT);
        done = ended (pid, &status, 1000);
    }
    if (!done) {
        printf ("client: the server ignored SIGINT\n");
        kill (pid, SIGKILL);
        waitpid (pid, &status, 0);
        return 1;
    }
    int clean = WIFEXITED (status) && WEXITSTATUS (status) == 0;
    printf ("client: sent SIGINT; the server %s\n",
            clean ? "exited with status 0" : "did not exit cleanly");
    return clean && answers == 2 ? 0 : 1;
}
