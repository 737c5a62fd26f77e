/* Request-reply in its simplest form: a REP service thread and a REQ
 * client talking over tcp. The REQ socket enforces the lock-step of the
 * pattern: a second request before the reply is refused with EFSM, and so
 * is a receive on the REP side before it has answered. */
#include <zmq.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define ROUNDS 4

static void *ctx;
static int surprises; /* lock-step checks that did not fail as expected */

static void expect_efsm (const char *who, const char *what, int rc)
{
    int refused = rc == -1 && zmq_errno () == EFSM;
    printf ("%s: %s: %s\n", who, what, refused ? "EFSM" : "allowed");
    surprises += !refused;
}

static void service (void *arg)
{
    void *rep = arg; /* bound by main, handed over to this thread */
    for (int i = 0; i < ROUNDS; i++) {
        char question[32];
        int n = zmq_recv (rep, question, sizeof question - 1, 0);
        if (n < 0)
            break; /* ZMQ_RCVTIMEO expired: the client went away */
        question[n] = 0;
        printf ("service: asked \"%s\"\n", question);
        if (i == 0) {
            char extra[8];
            int rc = zmq_recv (rep, extra, sizeof extra, ZMQ_DONTWAIT);
            expect_efsm ("service", "a second receive before answering", rc);
        }
        char answer[48];
        int len = snprintf (answer, sizeof answer, "answer to %s", question);
        zmq_send (rep, answer, (size_t) len, 0);
    }
    zmq_close (rep);
}

int main (void)
{
    ctx = zmq_ctx_new ();
    void *rep = zmq_socket (ctx, ZMQ_REP);
    int patience = 3000;
    zmq_setsockopt (rep, ZMQ_RCVTIMEO, &patience, sizeof patience);
    char endpoint[256];
    size_t size = sizeof endpoint;
    if (zmq_bind (rep, "tcp://127.0.0.1:*") != 0
        || zmq_getsockopt (rep, ZMQ_LAST_ENDPOINT, endpoint, &size) != 0) {
        fprintf (stderr, "bind: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    void *thread = zmq_threadstart (service, rep);

    void *req = zmq_socket (ctx, ZMQ_REQ);
    zmq_setsockopt (req, ZMQ_RCVTIMEO, &patience, sizeof patience);
    zmq_connect (req, endpoint);
    int right = 0;
    for (int i = 1; i <= ROUNDS; i++) {
        char question[32], expected[48], answer[48];
        snprintf (question, sizeof question, "question %d", i);
        snprintf (expected, sizeof expected, "answer to %s", question);
        zmq_send (req, question, strlen (question), 0);
        if (i == 1) {
            int rc = zmq_send (req, "again", 5, ZMQ_DONTWAIT);
            expect_efsm ("client", "a second request before the answer", rc);
        }
        int n = zmq_recv (req, answer, sizeof answer - 1, 0);
        if (n < 0) {
            printf ("client: no answer to \"%s\"\n", question);
            break;
        }
        answer[n] = 0;
        printf ("client: got \"%s\"\n", answer);
        right += strcmp (answer, expected) == 0;
    }
    zmq_threadclose (thread);
    zmq_close (req);
    zmq_ctx_term (ctx);
    printf ("%d of %d answers right\n", right, ROUNDS);
    return right == ROUNDS && surprises == 0 ? 0 : 1;
}
