/* The draft context options of any size through zmq.h: zmq_ctx_set_ext
 * and zmq_ctx_get_ext with ZMQ_THREAD_NAME_PREFIX as a string (naming the
 * I/O threads) or as an int, and what they refuse. Built with
 * ZMQ_BUILD_DRAFT_API against the draft build of the library. */
#include "testnet.h"

#include <dirent.h>
#include <unistd.h>

/* Whether a thread of this process has this name, waiting up to 2 s. */
static int thread_named (const char *name)
{
    for (int tries = 0; tries < 200; tries++) {
        DIR *dir = opendir ("/proc/self/task");
        if (!dir)
            return 0;
        struct dirent *entry;
        int found = 0;
        while (!found && (entry = readdir (dir))) {
            char path[300], comm[64] = "";
            snprintf (path, sizeof path, "/proc/self/task/%s/comm", entry->d_name);
            FILE *f = fopen (path, "r");
            if (!f)
                continue;
            if (fgets (comm, sizeof comm, f))
                comm[strcspn (comm, "\n")] = 0;
            fclose (f);
            found = strcmp (comm, name) == 0;
        }
        closedir (dir);
        if (found)
            return 1;
        usleep (10000);
    }
    return 0;
}

int main (void)
{
    void *ctx = zmq_ctx_new ();
    REQUIRE (ctx);
    char name[32];
    size_t len = sizeof name;
    memset (name, 0, sizeof name);
    /* A string prefix names the I/O threads. */
    CHECK_EQ_INT (zmq_ctx_set_ext (ctx, ZMQ_THREAD_NAME_PREFIX, "wk", 2), 0);
    CHECK_EQ_INT (zmq_ctx_get_ext (ctx, ZMQ_THREAD_NAME_PREFIX, name, &len), 0);
    CHECK_STR (name, "wk");
    CHECK_EQ_INT ((int) len, (int) sizeof name);
    void *s = zmq_socket (ctx, ZMQ_PAIR);
    if (getenv ("ZMQ_TEST_SCALE"))
        printf ("under valgrind: thread names not checked\n");
    else
        CHECK (thread_named ("wk/ZMQbg/IO/0"));
    /* An int, through either call. */
    int value = 5;
    CHECK_EQ_INT (zmq_ctx_set_ext (ctx, ZMQ_THREAD_NAME_PREFIX, &value, sizeof value), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_THREAD_NAME_PREFIX), 5);
    value = 0;
    len = sizeof value;
    CHECK_EQ_INT (zmq_ctx_get_ext (ctx, ZMQ_THREAD_NAME_PREFIX, &value, &len), 0);
    CHECK_EQ_INT (value, 5);
    len = sizeof value;
    CHECK_EQ_INT (zmq_ctx_get_ext (ctx, ZMQ_IO_THREADS, &value, &len), 0);
    CHECK_EQ_INT (value, 1);
    /* Refused: too long for a thread name, empty, NULL, a string for an
       int option, a buffer too small, a bad context. */
    CHECK_ERRNO (zmq_ctx_set_ext (ctx, ZMQ_THREAD_NAME_PREFIX, "seventeen-bytes!!", 17), EINVAL);
    CHECK_ERRNO (zmq_ctx_set_ext (ctx, ZMQ_THREAD_NAME_PREFIX, "", 0), EINVAL);
    CHECK_ERRNO (zmq_ctx_set_ext (ctx, ZMQ_THREAD_NAME_PREFIX, NULL, 3), EFAULT);
    CHECK_ERRNO (zmq_ctx_set_ext (ctx, ZMQ_IO_THREADS, "two", 3), EINVAL);
    CHECK_EQ_INT (zmq_ctx_set_ext (ctx, ZMQ_THREAD_NAME_PREFIX, "sixteen-bytes-ok", 16), 0);
    len = 8;
    CHECK_ERRNO (zmq_ctx_get_ext (ctx, ZMQ_THREAD_NAME_PREFIX, name, &len), EINVAL);
    CHECK_ERRNO (zmq_ctx_get_ext (ctx, ZMQ_THREAD_NAME_PREFIX, name, NULL), EFAULT);
    CHECK_ERRNO (zmq_ctx_set_ext (NULL, ZMQ_THREAD_NAME_PREFIX, "x", 1), EFAULT);
    CHECK_ERRNO (zmq_ctx_get_ext (s, ZMQ_THREAD_NAME_PREFIX, name, &len), EFAULT);
    zmq_close (s);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("test_ctx_ext");
}
