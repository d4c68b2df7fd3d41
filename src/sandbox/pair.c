/* Interactive runs (nsjudge/pair.h): two sandboxes joined by two pipes.
 *
 *   interactor thread                         caller's thread
 *   -----------------                         ---------------
 *   nsj_run(interactor)                       wait: interactor at execve,
 *     stdin = c2i read end                      or ended
 *     stdout = i2c write end                  nsj_run(contestant)
 *     on_exec: wake the caller ------------>    stdin = i2c read end
 *   close its ends; note the time;              stdout = c2i write end
 *   ended with exit code != 0:                  cancel_fd = stop pipe
 *     write the stop pipe ----------------->  close its ends; note the time
 *                                             join
 *
 * No supervisor reads or writes the exchange: the programs block on each
 * other only in the kernel's pipes, so nothing either does can wedge a
 * supervisor, and every way the exchange can stall (both reading, both
 * writing into full pipes) ends at a limit: the contestant's wall clock
 * first (the interactor is given a longer one). Each side's copy of its
 * pipe ends is closed only once its sandbox ended: the other side's EOF or
 * EPIPE then comes strictly after that end, which is what makes
 * interactor_first mean "ended first, and not because of the other".
 *
 * With a transcript asked for (transcript_max), each program's stdout goes
 * to a relay thread (relay.c) that passes it on and keeps the first bytes;
 * the same reasoning holds, the relay never blocking one side on the other.
 *
 * The contestant starts only once the interactor is about to execve, so
 * that a slow interactor set-up (a slot wait on a busy host) is never on
 * the contestant's wall clock. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "internal.h"
#include "nsjudge/pair.h"

typedef struct pair_run {
    nsj_sandbox_t *sb;
    nsj_run_spec_t ispec;
    nsj_pair_result_t *res;
    int c_in, c_out, i_in, i_out; /* the programs' stdin and stdout */
    int stop[2];                  /* readable: the contestant is stopped (its cancel_fd) */
    int done[2];                  /* closed by the caller's thread once the contestant ended */
    int cancel_fd;                /* the caller's (the interactor's spec), -1 = none */
    relay_t *relay;               /* with a transcript: between the programs' pipes */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int interactor_started, interactor_done, contestant_done;
    uint64_t interactor_end_ns, contestant_end_ns;
} pair_run_t;

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void on_interactor_exec(void *ud)
{
    pair_run_t *p = ud;
    pthread_mutex_lock(&p->mu);
    p->interactor_started = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* Exit code 0 is the only way an interactor lets the contestant finish. */
static int interactor_let_go(const nsj_pair_result_t *res)
{
    return res->rc_interactor == 0 && res->interactor.verdict == NSJ_VERDICT_OK;
}

static void stop_contestant(pair_run_t *p)
{
    char one = 1;
    if (write(p->stop[1], &one, 1) < 0) {
        /* a pipe of our own, empty: cannot be full; nothing to do */
    }
}

static void *interactor_main(void *arg)
{
    pair_run_t *p = arg;
    p->res->rc_interactor = nsj_run(p->sb, &p->ispec, &p->res->interactor);
    close_fd(&p->i_in);
    close_fd(&p->i_out);
    pthread_mutex_lock(&p->mu);
    p->interactor_end_ns = util_now_ns();
    p->interactor_done = 1;
    int let_go = interactor_let_go(p->res), waiting = !p->contestant_done;
    if (!let_go && waiting)
        stop_contestant(p);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    /* Accepted: the contestant finishes on its own, unless the caller
     * cancels meanwhile (its cancel_fd stops both sides). */
    if (let_go && waiting && p->cancel_fd >= 0) {
        struct pollfd w[2] = {{.fd = p->cancel_fd, .events = POLLIN}, {.fd = p->done[0], .events = POLLIN}};
        while (poll(w, 2, -1) < 0 && errno == EINTR)
            ;
        if (w[0].revents && !w[1].revents)
            stop_contestant(p);
    }
    return NULL;
}

static void close_pipes(pair_run_t *p)
{
    close_fd(&p->c_in), close_fd(&p->c_out), close_fd(&p->i_in), close_fd(&p->i_out);
    close_fd(&p->stop[0]), close_fd(&p->stop[1]);
    close_fd(&p->done[0]), close_fd(&p->done[1]);
    if (p->relay) {
        /* Its ends are closed: it ends at once. */
        char *t;
        size_t n;
        int tr;
        relay_finish(p->relay, &t, &n, &tr);
        free(t);
        p->relay = NULL;
    }
}

/* The programs' pipes: each other's ends, or with a transcript two pipes
 * a side with the relay between them. */
static int open_pipes(pair_run_t *p, size_t transcript_max, char *why, size_t cap)
{
    int c2i[2] = {-1, -1}, i2c[2] = {-1, -1}, r2i[2] = {-1, -1}, r2c[2] = {-1, -1};
    if (pipe2(c2i, O_CLOEXEC) < 0 || pipe2(i2c, O_CLOEXEC) < 0 || pipe2(p->stop, O_CLOEXEC | O_NONBLOCK) < 0 ||
        pipe2(p->done, O_CLOEXEC) < 0 ||
        (transcript_max && (pipe2(r2i, O_CLOEXEC) < 0 || pipe2(r2c, O_CLOEXEC) < 0))) {
        snprintf(why, cap, "pipe: %s", strerror(errno));
        for (int i = 0; i < 2; i++)
            close_fd(&c2i[i]), close_fd(&i2c[i]), close_fd(&r2i[i]), close_fd(&r2c[i]), close_fd(&p->stop[i]),
                close_fd(&p->done[i]);
        return -1;
    }
    p->c_out = c2i[1];
    p->i_out = i2c[1];
    if (!transcript_max) {
        p->i_in = c2i[0];
        p->c_in = i2c[0];
        return 0;
    }
    p->i_in = r2i[0];
    p->c_in = r2c[0];
    nsj_error_t err;
    if (relay_start(c2i[0], r2i[1], i2c[0], r2c[1], transcript_max, &p->relay, &err) < 0) {
        snprintf(why, cap, "%.150s", err.msg);
        close_pipes(p);
        return -1;
    }
    return 0;
}

static int refuse(nsj_pair_result_t *res, const char *why)
{
    res->rc_interactor = res->rc_contestant = -1;
    res->interactor.verdict = res->contestant.verdict = NSJ_VERDICT_INTERNAL_ERROR;
    snprintf(res->interactor.message, sizeof res->interactor.message, "interactive run: %s", why);
    snprintf(res->contestant.message, sizeof res->contestant.message, "interactive run: %s", why);
    return -1;
}

static int stdio_given(const nsj_run_spec_t *s)
{
    return s->stdin_fd >= 0 || s->stdin_data || s->program_stdin_fd >= 0 || s->program_stdout_fd >= 0;
}

int nsj_run_pair(nsj_sandbox_t *sb, const nsj_pair_spec_t *spec, nsj_pair_result_t *res)
{
    memset(res, 0, sizeof *res);
    nsj_result_init(&res->contestant);
    nsj_result_init(&res->interactor);
    if (stdio_given(&spec->contestant) || stdio_given(&spec->interactor))
        return refuse(res, "stdin and stdout are the pipes between the two programs");

    pair_run_t p = {.sb = sb, .res = res, .c_in = -1, .c_out = -1, .i_in = -1, .i_out = -1, .stop = {-1, -1},
                    .done = {-1, -1}, .cancel_fd = spec->interactor.cancel_fd};
    char why[160];
    if (open_pipes(&p, spec->transcript_max, why, sizeof why) < 0)
        return refuse(res, why);
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);

    p.ispec = spec->interactor;
    p.ispec.program_stdin_fd = p.i_in;
    p.ispec.program_stdout_fd = p.i_out;
    p.ispec.on_output = NULL;
    p.ispec.on_exec = on_interactor_exec;
    p.ispec.ud = &p;

    pthread_t th;
    int e = pthread_create(&th, NULL, interactor_main, &p);
    if (e != 0) {
        snprintf(why, sizeof why, "thread for the interactor: %s", strerror(e));
        close_pipes(&p);
        pthread_mutex_destroy(&p.mu);
        pthread_cond_destroy(&p.cv);
        return refuse(res, why);
    }

    pthread_mutex_lock(&p.mu);
    while (!p.interactor_started && !p.interactor_done)
        pthread_cond_wait(&p.cv, &p.mu);
    int run_contestant = !p.interactor_done || interactor_let_go(res);
    pthread_mutex_unlock(&p.mu);

    if (run_contestant) {
        nsj_run_spec_t cs = spec->contestant;
        cs.program_stdin_fd = p.c_in;
        cs.program_stdout_fd = p.c_out;
        cs.cancel_fd = p.stop[0];
        res->contestant_ran = 1;
        res->rc_contestant = nsj_run(sb, &cs, &res->contestant);
    }
    close_fd(&p.c_in);
    close_fd(&p.c_out);
    pthread_mutex_lock(&p.mu);
    p.contestant_end_ns = util_now_ns();
    p.contestant_done = 1;
    pthread_mutex_unlock(&p.mu);
    close_fd(&p.done[1]); /* wakes the interactor's thread if it watches the caller's cancel */

    pthread_join(th, NULL);
    if (p.relay)
        relay_finish(p.relay, &res->transcript, &res->transcript_len, &res->transcript_truncated);
    /* The stop pipe holds a byte only if the interactor asked to stop the
     * contestant before the contestant's sandbox ended. */
    char b;
    res->contestant_stopped = res->contestant_ran && read(p.stop[0], &b, 1) == 1;
    /* Which ended first, by when each program ended (or was killed), as
     * the sandboxes saw it: the times nsj_run returned add each run's
     * teardown, and a contestant killed by its wall timer could return
     * after the interactor that its end let go (EOF). */
    uint64_t i_end = res->interactor.ended_ns, c_end = res->contestant.ended_ns;
    if (i_end && c_end)
        res->interactor_first = i_end < c_end;
    else
        res->interactor_first = p.interactor_end_ns < p.contestant_end_ns;
    close_fd(&p.stop[0]);
    close_fd(&p.stop[1]);
    close_fd(&p.done[0]);
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cv);
    return res->rc_contestant < 0 || res->rc_interactor < 0 ? -1 : 0;
}

void nsj_pair_result_free(nsj_pair_result_t *res)
{
    nsj_result_free(&res->contestant);
    nsj_result_free(&res->interactor);
    free(res->transcript);
    res->transcript = NULL;
}
