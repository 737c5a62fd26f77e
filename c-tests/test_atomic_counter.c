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

int main (void)
{
    void *counter = zmq_atomic_counter_new ();
    REQUIRE (counter != NULL);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 0);
    CHECK_EQ_INT (zmq_atomic_counter_inc (counter), 0);
    CHECK_EQ_INT (zmq_atomic_counter_inc (counter), 1);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 2);
    CHECK_EQ_INT (zmq_atomic_counter_dec (counter), 1);
    CHECK_EQ_INT (zmq_atomic_counter_dec (counter), 0);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 0);
    zmq_atomic_counter_set (counter, 42);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 42);
    zmq_atomic_counter_set (counter, 0);

    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create (&threads[i], NULL, increment, counter);
    for (int i = 0; i < THREADS; i++)
        pthread_join (threads[i], NULL);
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
    _Alignas (8) unsigned char foreign[64];
    memset (foreign, 0x11, sizeof foreign);
    CHECK_EQ_INT (zmq_atomic_counter_inc (foreign), 0);
    void *foreign_p = foreign;
    zmq_atomic_counter_destroy (&foreign_p);
    CHECK (foreign_p == foreign);
    CHECK_EQ_INT (foreign[0], 0x11);
#endif
    return test_result ("atomic_counter");
}
