/* A small harness for the C tests. CHECK, CHECK_EQ_INT, CHECK_EQ_PTR,
 * CHECK_STR and CHECK_ERRNO count a check and, when it fails, print
 * file:line and the values without stopping; REQUIRE stops main() at once.
 * `return test_result ("name");` prints "name: N checks, M failed" and
 * gives the exit status (non-zero when any check failed).
 *
 * Time may only be checked from below (a sleep lasts at least as long as
 * asked): machines and valgrind are slow in ways no upper bound survives. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

static int checks_run;
static int checks_failed;

#define CHECK(cond)                                                            \
    do {                                                                       \
        checks_run++;                                                          \
        if (!(cond)) {                                                         \
            checks_failed++;                                                   \
            fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,  \
                     #cond);                                                   \
        }                                                                      \
    } while (0)

#define CHECK_EQ_INT(actual, expected)                                         \
    do {                                                                       \
        long long a_ = (long long) (actual), e_ = (long long) (expected);      \
        checks_run++;                                                          \
        if (a_ != e_) {                                                        \
            checks_failed++;                                                   \
            fprintf (stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__,   \
                     __LINE__, #actual, a_, e_);                               \
        }                                                                      \
    } while (0)

#define CHECK_STR(actual, expected)                                            \
    do {                                                                       \
        const char *a_ = (actual), *e_ = (expected);                           \
        checks_run++;                                                          \
        if (!a_ || strcmp (a_, e_) != 0) {                                     \
            checks_failed++;                                                   \
            fprintf (stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n",         \
                     __FILE__, __LINE__, #actual, a_ ? a_ : "(null)", e_);     \
        }                                                                      \
    } while (0)

#define CHECK_EQ_PTR(actual, expected)                                         \
    do {                                                                       \
        const void *a_ = (actual), *e_ = (expected);                           \
        checks_run++;                                                          \
        if (a_ != e_) {                                                        \
            checks_failed++;                                                   \
            fprintf (stderr, "%s:%d: %s is %p, expected %p\n", __FILE__,      \
                     __LINE__, #actual, a_, e_);                               \
        }                                                                      \
    } while (0)

/* `failed` is true when the call reported failure; errno must then be
 * `expected_errno`. */
#define CHECK_ERRNO(failed, expected_errno)                                    \
    do {                                                                       \
        int failed_ = (failed);                                                \
        int errno_ = errno;                                                    \
        checks_run++;                                                          \
        if (!failed_ || errno_ != (expected_errno)) {                          \
            checks_failed++;                                                   \
            fprintf (stderr, "%s:%d: %s: %s, errno %d (%s), expected %d\n",    \
                     __FILE__, __LINE__, #failed,                              \
                     failed_ ? "failed" : "succeeded", errno_,                 \
                     zmq_strerror (errno_), (expected_errno));                 \
        }                                                                      \
    } while (0)

/* Aborts the test at once: for setup steps everything after depends on. */
#define REQUIRE(cond)                                                          \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf (stderr, "%s:%d: required: %s (errno %d: %s)\n", __FILE__, \
                     __LINE__, #cond, errno, zmq_strerror (errno));            \
            return 1;                                                          \
        }                                                                      \
    } while (0)

static inline int test_result (const char *name)
{
    printf ("%s: %d checks, %d failed\n", name, checks_run, checks_failed);
    return checks_failed == 0 ? 0 : 1;
}

/* Microseconds on the monotonic clock: for lower bounds on elapsed time. */
static inline long long now_usec (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Binds `s` to a fresh inproc endpoint (unique in the process) and stores
 * it in `endpoint`. */
static inline int bind_inproc (void *s, char *endpoint, size_t size)
{
    static int counter;
    snprintf (endpoint, size, "inproc://test-%d", ++counter);
    return zmq_bind (s, endpoint);
}

/* Loop counts for stress tests: smaller under valgrind, which runs the
 * test about thirty times slower (run.sh sets ZMQ_TEST_SCALE there). */
static inline int scaled (int count)
{
    const char *scale = getenv ("ZMQ_TEST_SCALE");
    return scale && strcmp (scale, "valgrind") == 0 ? count / 50 + 1 : count;
}

/* Sizes for load tests: `ci` in the test suite, `soak` when `make soak`
 * runs them (ZMQ_TEST_SOAK=1). */
static inline int soak_sized (int ci, int soak)
{
    const char *on = getenv ("ZMQ_TEST_SOAK");
    return on && strcmp (on, "1") == 0 ? soak : ci;
}

/* Reads an int socket option. */
static inline int get_int (void *s, int option)
{
    int value = -12345;
    size_t len = sizeof value;
    if (zmq_getsockopt (s, option, &value, &len) != 0)
        return -12345;
    return value;
}

static inline int set_int (void *s, int option, int value)
{
    return zmq_setsockopt (s, option, &value, sizeof value);
}

#endif
