/* What the perf tools that run as two processes share (pubsub_thr,
 * router_thr): the fork, pinning with PERF_PIN, and each side ending when
 * the other fails. Include after perf_util.h, with CHILD_ROLE defined
 * ("the subscribing process"...) for the message when the child fails. */
#ifndef TWO_PROCESS_H
#define TWO_PROCESS_H

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;

/* The child failed: stop at once rather than wait for it forever. */
static void on_child (int sig)
{
    (void) sig;
    int saved = errno;
    siginfo_t info;
    memset (&info, 0, sizeof info);
    if (waitid (P_PID, (id_t) child, &info, WEXITED | WNOHANG | WNOWAIT) == 0
        && info.si_pid == child && !(info.si_code == CLD_EXITED && info.si_status == 0)) {
        static const char text[] = TOOL ": " CHILD_ROLE " failed\n";
        if (write (2, text, sizeof text - 1) < 0) {
        }
        _exit (1);
    }
    errno = saved;
}

/* PERF_PIN=<a>,<b>: this process on CPU a (side 0) or b (side 1). */
static void pin (int side)
{
    const char *spec = getenv ("PERF_PIN");
    int cpus[2];
    if (!spec || !*spec)
        return;
    if (sscanf (spec, "%d,%d", &cpus[0], &cpus[1]) != 2 || cpus[0] < 0 || cpus[1] < 0) {
        fprintf (stderr, "%s: PERF_PIN is <cpu>,<cpu>, not '%s'\n", TOOL, spec);
        exit (1);
    }
    cpu_set_t set;
    CPU_ZERO (&set);
    CPU_SET (cpus[side], &set);
    if (sched_setaffinity (0, sizeof set, &set) != 0) {
        perror (TOOL ": sched_setaffinity");
        exit (1);
    }
}

/* Forks. Returns 0 in the child (on side 1, killed with the parent), the
 * child's pid in the parent (on side 0, ended by the child's failure), or
 * -1 when fork fails. */
static pid_t split (void)
{
    fflush (stdout);
    child = fork ();
    if (child < 0) {
        perror (TOOL ": fork");
        return -1;
    }
    if (child == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (getppid () == 1)
            _exit (1);
        pin (1);
        return 0;
    }
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = on_child;
    sigemptyset (&action.sa_mask);
    action.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction (SIGCHLD, &action, NULL);
    pin (0);
    return child;
}

/* The parent's end: the child is killed if the parent's side failed
 * (rc != 0), then waited for. Returns 0 when both sides succeeded. */
static int join (int rc)
{
    if (rc != 0)
        kill (child, SIGKILL);
    int status;
    while (waitpid (child, &status, 0) < 0)
        if (errno != EINTR) {
            perror (TOOL ": waitpid");
            return 1;
        }
    return rc != 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0;
}

#endif
