/* Atomic counters, from one thread and from several at once. */
#include "testutil.h"
#include <pthread.h>

#define THREADS 4
#define INCREMENTS 100000

static void *increment (void *counter)
{
    for (int i = 0; i < INCREMENTS; i++)
        zmq_atomic_counter_inc (counter);
    return NULL;
}

/* Up then down again: the total comes back to where it was. */
static void *up_and_down (void *counter)
{
    for (int i = 0; i < INCREMENTS / 2; i++)
        zmq_atomic_counter_inc (counter);
    for (int i = 0; i < INCREMENTS / 2; i++)
        zmq_atomic_counter_dec (counter);
    return NULL;
}

static void run_threads (void *(*body) (void *), void *counter)
{
    pthread_t threads[THREADS];
    int started[THREADS];
    for (int i = 0; i < THREADS; i++)
        started[i] = pthread_create (&threads[i], NULL, body, counter) == 0;
    for (int i = 0; i < THREADS; i++) {
        CHECK (started[i]);
        if (started[i])
            pthread_join (threads[i], NULL);
    }
}

int main (void)
{
    void *counter = zmq_atomic_counter_new ();
    REQUIRE (counter != NULL);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 0);

    /* inc answers the value before the increment. */
    CHECK_EQ_INT (zmq_atomic_counter_inc (counter), 0);
    CHECK_EQ_INT (zmq_atomic_counter_inc (counter), 1);
    CHECK_EQ_INT (zmq_atomic_counter_inc (counter), 2);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 3);

    /* dec answers 1 while the counter stays above zero, 0 when it gets
     * there. */
    CHECK_EQ_INT (zmq_atomic_counter_dec (counter), 1);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 2);
    CHECK_EQ_INT (zmq_atomic_counter_dec (counter), 1);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 1);
    CHECK_EQ_INT (zmq_atomic_counter_dec (counter), 0);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 0);

    /* set replaces the value. */
    zmq_atomic_counter_set (counter, 42);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 42);
    CHECK_EQ_INT (zmq_atomic_counter_inc (counter), 42);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 43);
    zmq_atomic_counter_set (counter, 1);
    CHECK_EQ_INT (zmq_atomic_counter_dec (counter), 0);
    zmq_atomic_counter_set (counter, 1000000);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 1000000);
    zmq_atomic_counter_set (counter, 0);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 0);

    /* Counters are independent of each other. */
    void *other = zmq_atomic_counter_new ();
    REQUIRE (other != NULL);
    CHECK (other != counter);
    zmq_atomic_counter_set (other, 7);
    zmq_atomic_counter_inc (counter);
    CHECK_EQ_INT (zmq_atomic_counter_value (other), 7);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 1);
    zmq_atomic_counter_destroy (&other);
    CHECK (other == NULL);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 1);

    /* No increment is lost between threads. */
    zmq_atomic_counter_set (counter, 0);
    run_threads (increment, counter);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), THREADS * INCREMENTS);
    run_threads (up_and_down, counter);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), THREADS * INCREMENTS);

    zmq_atomic_counter_destroy (&counter);
    CHECK (counter == NULL);

#ifndef REFERENCE_LIBZMQ
    /* NULL and foreign counters are ignored, not used. */
    CHECK_EQ_INT (zmq_atomic_counter_inc (NULL), 0);
    CHECK_EQ_INT (zmq_atomic_counter_dec (NULL), 0);
    CHECK_EQ_INT (zmq_atomic_counter_value (NULL), 0);
    zmq_atomic_counter_set (NULL, 5);
    zmq_atomic_counter_destroy (NULL);
    void *none = NULL;
    zmq_atomic_counter_destroy (&none);
    CHECK (none == NULL);
    _Alignas (8) unsigned char foreign[64];
    memset (foreign, 0x11, sizeof foreign);
    CHECK_EQ_INT (zmq_atomic_counter_inc (foreign), 0);
    void *foreign_p = foreign;
    zmq_atomic_counter_destroy (&foreign_p);
    CHECK (foreign_p == foreign);
    CHECK_EQ_INT (foreign[0], 0x11);
    /* A counter used after it was destroyed (freed memory in libzmq). */
    void *gone = zmq_atomic_counter_new ();
    void *stale = gone;
    zmq_atomic_counter_destroy (&gone);
    CHECK (gone == NULL);
    CHECK_EQ_INT (zmq_atomic_counter_inc (stale), 0);
    CHECK_EQ_INT (zmq_atomic_counter_value (stale), 0);
    zmq_atomic_counter_destroy (&stale);
    CHECK (stale != NULL);
#endif
    return test_result ("atomic_counter");
}
