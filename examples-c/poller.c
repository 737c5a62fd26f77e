/* Reading from several sockets in one thread with zmq_poll: a PULL socket
 * fed with tasks and a SUB socket fed with news, each from its own thread
 * at its own pace. Whichever has a message is served; when neither has,
 * the thread sleeps in zmq_poll. The news publisher is an XPUB, which
 * sees the subscription arrive and only then starts (so nothing is
 * dropped before the subscriber is listening). */
#include <zmq.h>
#include <stdio.h>
#include <string.h>

static void *ctx;

static void task_source (void *arg)
{
    (void) arg;
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    zmq_connect (push, "inproc://tasks");
    for (int i = 1; i <= 5; i++) {
        char task[16];
        int len = snprintf (task, sizeof task, "task %d", i);
        zmq_send (push, task, (size_t) len, 0);
        zmq_poll (NULL, 0, 15);
    }
    zmq_send (push, "END", 3, 0);
    zmq_close (push);
}

static void news_source (void *arg)
{
    void *xpub = arg; /* bound by main */
    int patience = 2000;
    zmq_setsockopt (xpub, ZMQ_RCVTIMEO, &patience, sizeof patience);
    unsigned char subscription[32];
    int n = zmq_recv (xpub, subscription, sizeof subscription, 0);
    if (n >= 1 && subscription[0] == 1) {
        const char *items[] = {"news: rain tomorrow", "sport: 2-1", "news: roads closed",
                               "news: END"};
        for (int i = 0; i < 4; i++) {
            zmq_send (xpub, items[i], strlen (items[i]), 0);
            zmq_poll (NULL, 0, 25);
        }
    }
    zmq_close (xpub);
}

int main (void)
{
    ctx = zmq_ctx_new ();
    void *tasks = zmq_socket (ctx, ZMQ_PULL);
    void *news = zmq_socket (ctx, ZMQ_SUB);
    void *xpub = zmq_socket (ctx, ZMQ_XPUB);
    zmq_bind (tasks, "inproc://tasks");
    zmq_bind (xpub, "inproc://news");
    zmq_connect (news, "inproc://news");
    zmq_setsockopt (news, ZMQ_SUBSCRIBE, "news:", 5);
    void *threads[] = {zmq_threadstart (task_source, NULL), zmq_threadstart (news_source, xpub)};

    int tasks_open = 1, news_open = 1, received = 0;
    zmq_pollitem_t items[] = {{tasks, 0, ZMQ_POLLIN, 0}, {news, 0, ZMQ_POLLIN, 0}};
    while (tasks_open || news_open) {
        if (zmq_poll (items, 2, 1000) <= 0) {
            printf ("nothing for a second: giving up\n");
            break;
        }
        char buf[32];
        if (items[0].revents & ZMQ_POLLIN) {
            int n = zmq_recv (tasks, buf, sizeof buf - 1, 0);
            buf[n < 0 ? 0 : n] = 0;
            if (strcmp (buf, "END") == 0)
                tasks_open = 0;
            else {
                printf ("PULL socket: %s\n", buf);
                received++;
            }
        }
        if (items[1].revents & ZMQ_POLLIN) {
            int n = zmq_recv (news, buf, sizeof buf - 1, 0);
            buf[n < 0 ? 0 : n] = 0;
            if (strcmp (buf, "news: END") == 0)
                news_open = 0;
            else {
                printf ("SUB socket: %s\n", buf);
                received++;
            }
        }
    }
    int idle = zmq_poll (items, 2, 100);
    printf ("both sources done; zmq_poll then returns %d after 100 ms\n", idle);
    zmq_threadclose (threads[0]);
    zmq_threadclose (threads[1]);
    zmq_close (tasks);
    zmq_close (news);
    zmq_ctx_term (ctx);
    return received == 7 && idle == 0 ? 0 : 1;
}
