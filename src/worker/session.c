/* Interactive sessions on the worker.
 *
 * Life of a session
 * -----------------
 *  1. The job comes off codesce:sessions. Its row must still be queued
 *     (else someone ended it already: nothing to do).
 *  2. Wait for the client: the API queues the job when the WebSocket
 *     attaches (an unattached session holds no thread here) and writes
 *     "attach" to the input stream right after. A program starts only when
 *     someone is there to talk to it; none within SESSION_ATTACH ends the
 *     session.
 *  3. Compile (compiled languages), as for submissions; a failure ends the
 *     session with exit status compile_error and the compiler's output.
 *  4. Run with judge_build_run(): stdin is a pipe fed by the input thread, output
 *     goes out through on_output; idle timeout SESSION_IDLE, wall limit
 *     SESSION_LIMIT, SESSION_OUTPUT_LIMIT for stdout and stderr together.
 *  5. Publish the final state and the exit message in one step, record
 *     them in Postgres, delete the input stream.
 *
 * Threads of one running session
 * ------------------------------
 *   this thread   calls nsj_run() (the sandbox dies with the thread that
 *                 called it: this one outlives the run)
 *   input         XREAD BLOCK on :in -> the stdin pipe; "close" (the client
 *                 went away) or the worker stopping -> the cancel eventfd
 *   flusher       every FLUSH_MS, buffered output -> one XADD batch on
 *                 :out; decides "waiting" and "running"
 * on_output runs on nsj_run's thread and only appends to a buffer: a Redis
 * round trip per write() of a chatty program would slow the sandbox's
 * draining of its pipes and cost a stream entry per write.
 *
 * "waiting" is a heuristic (the sandbox cannot see a read(2) block): all
 * input sent so far has left our pipe (FIONREAD is 0), and there was no
 * output and no input for WAIT_MS. A program computing silently for that
 * long looks the same; any output or input makes it "running" again. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "judge/build.h"
#include "judge/text.h"
#include "queue/live.h"
#include "service/service.h"
#include "session.h"

#define FLUSH_MS 20              /* output is batched this long at most */
#define FLUSH_BYTES 16384        /* ... or until this much is waiting */
#define WAIT_MS 150              /* silence before "waiting" (see above) */
#define INPUT_BLOCK_MS 250       /* XREAD wait of the input thread: how soon it sees the end */
#define RUN_TTL_S 3600           /* streams expire even if everything else fails */
#define END_TTL_S 600            /* the output stream after the exit: a late reader still gets it */
#define REPLY_TIMEOUT_MS 10000

typedef enum end_reason {
    END_NONE = 0,
    END_CLIENT,                  /* "close" on the input stream: the client went away */
    END_SHUTDOWN,                /* the worker is stopping */
    END_OUTPUT,                  /* more than SESSION_OUTPUT_LIMIT of output */
} end_reason_t;

typedef struct chunk {
    bool is_err;
    char *data;
    size_t len, cap;
} chunk_t;

typedef struct live_run {
    const session_ctx_t *ctx;
    const live_job_t *job;
    char out_key[LIVE_KEY_MAX], in_key[LIVE_KEY_MAX];
    char in_after[LIVE_ID_MAX];   /* the input thread reads after this id */
    queue_conn_t **q, **q_in;
    int pipe_r, pipe_w;           /* the program's stdin, fed by the input thread */
    int cancel_fd;                /* eventfd: readable = end the run */

    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* under mu */
    chunk_t *chunks;
    size_t nchunks, chunks_cap, pending;
    uint64_t accepted;            /* output bytes taken so far (the cap counts these) */
    uint64_t last_out_ns, last_in_ns;
    bool input_since_wait;
    bool run_done, input_stop;
    end_reason_t reason;

    /* the flusher's own */
    bool waiting;
    char carry[2][4];
    size_t carry_len[2];
    bool add_failed_logged;
} live_run_t;

static uint64_t now_ns(void)
{
    return util_now_ns();
}

/* Make *q usable again if it failed; false when Redis is still away. */
static bool redis_ok(const session_ctx_t *ctx, queue_conn_t **q)
{
    if (!queue_broken(*q))
        return true;
    queue_close(*q);
    *q = NULL;
    nsj_error_t err;
    return queue_connect(ctx->redis, REPLY_TIMEOUT_MS, q, &err) == 0;
}

/* Append to the output stream; a failure is logged once per session and
 * is not fatal (the API falls back on the Postgres record for the end). */
static int publish(const session_ctx_t *ctx, queue_conn_t **q, const char *key, const live_item_t *items, size_t n,
                   long ttl_s, bool *logged)
{
    nsj_error_t err;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!redis_ok(ctx, q)) {
            snprintf(err.msg, sizeof err.msg, "Redis unavailable");
            continue;
        }
        if (live_add(*q, key, items, n, 0, ttl_s, NULL, 0, &err) == 0)
            return 0;
        if (err.errnum != EAGAIN)
            break;
    }
    if (!logged || !*logged)
        service_log("session worker %u: publishing to %s: %s", ctx->index, key, err.msg);
    if (logged)
        *logged = true;
    return -1;
}

static void fire(live_run_t *r, end_reason_t why)
{
    pthread_mutex_lock(&r->mu);
    if (r->reason == END_NONE)
        r->reason = why;
    pthread_mutex_unlock(&r->mu);
    uint64_t one = 1;
    if (write(r->cancel_fd, &one, sizeof one) < 0) {
        /* an eventfd write of 1 only fails at the counter's limit: already fired */
    }
}

/* ---- output: on_output (nsj_run's thread) and the flusher ---- */

static void on_output(void *ud, nsj_stream_t stream, const char *buf, size_t len)
{
    live_run_t *r = ud;
    bool is_err = stream == NSJ_STDERR, over = false;
    pthread_mutex_lock(&r->mu);
    r->last_out_ns = now_ns();
    uint64_t cap = r->ctx->cfg->session_output;
    size_t keep = r->accepted >= cap ? 0 : (cap - r->accepted < len ? (size_t)(cap - r->accepted) : len);
    if (keep < len)
        over = true;
    if (keep) {
        chunk_t *c = r->nchunks ? &r->chunks[r->nchunks - 1] : NULL;
        if (!c || c->is_err != is_err) {
            if (r->nchunks == r->chunks_cap) {
                size_t ncap = r->chunks_cap ? r->chunks_cap * 2 : 8;
                chunk_t *nc = realloc(r->chunks, ncap * sizeof *nc);
                if (!nc)
                    goto out;
                r->chunks = nc;
                r->chunks_cap = ncap;
            }
            c = &r->chunks[r->nchunks++];
            *c = (chunk_t){.is_err = is_err};
        }
        if (c->len + keep > c->cap) {
            size_t ncap = c->cap ? c->cap : 4096;
            while (ncap < c->len + keep)
                ncap *= 2;
            char *nd = realloc(c->data, ncap);
            if (!nd)
                goto out;
            c->data = nd;
            c->cap = ncap;
        }
        memcpy(c->data + c->len, buf, keep);
        c->len += keep;
        r->accepted += keep;
        r->pending += keep;
        if (r->pending >= FLUSH_BYTES)
            pthread_cond_signal(&r->cv);
    }
out:
    pthread_mutex_unlock(&r->mu);
    if (over)
        fire(r, END_OUTPUT);
}

/* One output message for a chunk of stream s; a UTF-8 character cut at the
 * chunk's end waits for the rest in carry (last: no more is coming). */
static char *format_chunk(live_run_t *r, bool is_err, const char *data, size_t len, bool last)
{
    int s = is_err ? 1 : 0;
    size_t total = r->carry_len[s] + len;
    char *buf = malloc(total ? total : 1);
    if (!buf)
        return NULL;
    memcpy(buf, r->carry[s], r->carry_len[s]);
    if (len)
        memcpy(buf + r->carry_len[s], data, len);
    size_t send = last ? total : live_utf8_complete(buf, total);
    r->carry_len[s] = total - send;
    memcpy(r->carry[s], buf + send, r->carry_len[s]);
    char *msg = send ? live_msg_output(is_err, buf, send) : NULL;
    free(buf);
    return msg;
}

static bool input_pending(const live_run_t *r)
{
    int n = 0;
    return ioctl(r->pipe_r, FIONREAD, &n) == 0 && n > 0;
}

static void *flusher_main(void *arg)
{
    live_run_t *r = arg;
    for (;;) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += FLUSH_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&r->mu);
        while (!r->run_done && r->pending < FLUSH_BYTES && !(r->waiting && r->input_since_wait)) {
            if (pthread_cond_timedwait(&r->cv, &r->mu, &ts) == ETIMEDOUT)
                break;
        }
        chunk_t *chunks = r->chunks;
        size_t nchunks = r->nchunks;
        r->chunks = NULL;
        r->nchunks = r->chunks_cap = r->pending = 0;
        bool done = r->run_done, input_since = r->input_since_wait;
        uint64_t last_io = r->last_out_ns > r->last_in_ns ? r->last_out_ns : r->last_in_ns;
        r->input_since_wait = false;
        pthread_mutex_unlock(&r->mu);

        /* At most: a state, each chunk, the carried tails at the end. */
        live_item_t *items = calloc(nchunks + 4, sizeof *items);
        char **owned = calloc(nchunks + 4, sizeof *owned);
        size_t n = 0;
        if (items && owned) {
            if (r->waiting && (nchunks || input_since)) {
                r->waiting = false;
                owned[n] = live_msg_state("running");
                items[n] = (live_item_t){"state", owned[n], owned[n] ? strlen(owned[n]) : 0};
                n += owned[n] != NULL;
            }
            for (size_t i = 0; i < nchunks; i++) {
                char *m = format_chunk(r, chunks[i].is_err, chunks[i].data, chunks[i].len, false);
                if (m) {
                    owned[n] = m;
                    items[n++] = (live_item_t){chunks[i].is_err ? "stderr" : "stdout", m, strlen(m)};
                }
            }
            for (int s = 0; done && s < 2; s++) {
                char *m = r->carry_len[s] ? format_chunk(r, s == 1, NULL, 0, true) : NULL;
                if (m) {
                    owned[n] = m;
                    items[n++] = (live_item_t){s ? "stderr" : "stdout", m, strlen(m)};
                }
            }
            if (!done && !r->waiting && !nchunks && !input_since && now_ns() - last_io >= WAIT_MS * 1000000ULL &&
                !input_pending(r)) {
                r->waiting = true;
                owned[n] = live_msg_state("waiting");
                items[n] = (live_item_t){"state", owned[n], owned[n] ? strlen(owned[n]) : 0};
                n += owned[n] != NULL;
            }
            if (n)
                publish(r->ctx, r->q, r->out_key, items, n, RUN_TTL_S, &r->add_failed_logged);
        }
        for (size_t i = 0; owned && i < n; i++)
            free(owned[i]);
        free(owned);
        free(items);
        for (size_t i = 0; i < nchunks; i++)
            free(chunks[i].data);
        free(chunks);
        if (done)
            return NULL;
    }
}

/* ---- input: the input stream -> the program's stdin ---- */

static bool input_stopped(live_run_t *r)
{
    pthread_mutex_lock(&r->mu);
    bool stop = r->input_stop;
    pthread_mutex_unlock(&r->mu);
    return stop;
}

/* Write all of data to the pipe, waiting while the program does not read
 * (the pipe is non-blocking: a program that never reads must not hold
 * this thread past the run). */
static void feed(live_run_t *r, const char *data, size_t len)
{
    while (len > 0 && r->pipe_w >= 0 && !input_stopped(r)) {
        ssize_t w = write(r->pipe_w, data, len);
        if (w > 0) {
            data += w;
            len -= (size_t)w;
            pthread_mutex_lock(&r->mu);
            r->last_in_ns = now_ns();
            r->input_since_wait = true;
            pthread_cond_signal(&r->cv);
            pthread_mutex_unlock(&r->mu);
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd p = {.fd = r->pipe_w, .events = POLLOUT};
            poll(&p, 1, 200);
            continue;
        }
        return; /* EPIPE: the run is over */
    }
}

static void *input_main(void *arg)
{
    live_run_t *r = arg;
    bool logged = false;
    while (!input_stopped(r)) {
        if (atomic_load(r->ctx->stopping)) {
            fire(r, END_SHUTDOWN);
            break;
        }
        if (!redis_ok(r->ctx, r->q_in)) {
            usleep(200 * 1000);
            continue;
        }
        live_entry_t *e;
        size_t n;
        nsj_error_t err;
        if (live_read(*r->q_in, r->in_key, r->in_after, INPUT_BLOCK_MS, 64, &e, &n, &err) < 0) {
            if (!logged)
                service_log("session worker %u: reading %s: %s", r->ctx->index, r->in_key, err.msg);
            logged = true;
            usleep(200 * 1000);
            continue;
        }
        bool closed = false;
        for (size_t i = 0; i < n && !closed; i++) {
            snprintf(r->in_after, sizeof r->in_after, "%s", e[i].id);
            if (strcmp(e[i].type, "input") == 0) {
                feed(r, e[i].data, e[i].len);
            } else if (strcmp(e[i].type, "eof") == 0) {
                if (r->pipe_w >= 0)
                    close(r->pipe_w);
                r->pipe_w = -1;
            } else if (strcmp(e[i].type, "close") == 0) {
                fire(r, END_CLIENT);
                closed = true;
            }
        }
        live_entries_free(e, n);
        if (closed)
            break;
    }
    return NULL;
}

/* ---- the session ---- */

typedef enum attach_result { ATTACHED, ATTACH_TIMEOUT, ATTACH_CLOSED, ATTACH_SHUTDOWN } attach_result_t;

static attach_result_t wait_attach(live_run_t *r)
{
    uint64_t deadline = now_ns() + r->ctx->cfg->session_attach_ms * 1000000ULL;
    snprintf(r->in_after, sizeof r->in_after, "0");
    while (now_ns() < deadline) {
        if (atomic_load(r->ctx->stopping))
            return ATTACH_SHUTDOWN;
        if (!redis_ok(r->ctx, r->q_in)) {
            usleep(200 * 1000);
            continue;
        }
        uint64_t left_ms = (deadline - now_ns()) / 1000000ULL;
        int block = left_ms < 500 ? (int)left_ms + 1 : 500;
        live_entry_t *e;
        size_t n;
        nsj_error_t err;
        if (live_read(*r->q_in, r->in_key, r->in_after, block, 16, &e, &n, &err) < 0) {
            usleep(200 * 1000);
            continue;
        }
        attach_result_t res = ATTACH_TIMEOUT;
        for (size_t i = 0; i < n && res == ATTACH_TIMEOUT; i++) {
            snprintf(r->in_after, sizeof r->in_after, "%s", e[i].id);
            if (strcmp(e[i].type, "attach") == 0)
                res = ATTACHED;
            else if (strcmp(e[i].type, "close") == 0)
                res = ATTACH_CLOSED;
        }
        live_entries_free(e, n);
        if (res != ATTACH_TIMEOUT)
            return res;
    }
    return ATTACH_TIMEOUT;
}

/* Publish the final state and the exit message together, then record them. */
static void finish(const session_ctx_t *ctx, queue_conn_t **q, store_t *db, const char *id, const char *state,
                   const live_exit_t *x)
{
    char out_key[LIVE_KEY_MAX], in_key[LIVE_KEY_MAX];
    live_session_key(id, false, out_key);
    live_session_key(id, true, in_key);
    char *st = live_msg_state(state), *ex = live_msg_exit(x);
    if (st && ex) {
        live_item_t items[] = {{"state", st, strlen(st)}, {"exit", ex, strlen(ex)}};
        if (publish(ctx, q, out_key, items, 2, END_TTL_S, NULL) == 0) {
            nsj_error_t err;
            live_delete(*q, in_key, &err);
        }
    }
    nsj_error_t err;
    if (db && ex && store_session_finish(db, id, state, ex, &err) < 0)
        service_log("session worker %u: session %s: recording the end: %s", ctx->index, id, err.msg);
    service_log("session worker %u: session %s %s: %s (%s)", ctx->index, id, state, x->status,
                x->evidence ? x->evidence : "");
    free(st);
    free(ex);
}

static void finish_early(const session_ctx_t *ctx, queue_conn_t **q, store_t *db, const char *id, const char *status,
                         const char *evidence)
{
    live_exit_t x = {.status = status, .exit_code = -1, .evidence = evidence};
    finish(ctx, q, db, id, "terminated", &x);
}

/* Publish program output outside a run (the compiler's), in bounded messages. */
static void publish_text(const session_ctx_t *ctx, queue_conn_t **q, const char *key, bool is_err, const char *s,
                         size_t len)
{
    for (size_t off = 0; off < len;) {
        size_t n = len - off < 16384 ? len - off : 16384;
        if (off + n < len)
            n = live_utf8_complete(s + off, n) ?: n;
        char *m = live_msg_output(is_err, s + off, n);
        if (m) {
            live_item_t it = {is_err ? "stderr" : "stdout", m, strlen(m)};
            publish(ctx, q, key, &it, 1, RUN_TTL_S, NULL);
            free(m);
        }
        off += n;
    }
}

/* The environment of a session: the language's plus its session_env. */
static const char **session_envp(const language_t *lang)
{
    size_t n = 0, k = 0;
    while (lang->env[n])
        n++;
    const char **envp = calloc(n + lang->nsession_env + 1, sizeof *envp);
    if (!envp)
        return NULL;
    for (size_t i = 0; i < n; i++)
        envp[k++] = lang->env[i];
    for (size_t i = 0; i < lang->nsession_env; i++)
        envp[k++] = lang->session_env[i];
    envp[k] = NULL;
    return envp;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The session's state and exit message from the run's result. Finished:
 * the program ended on its own (its exit code or a signal of its own
 * doing); terminated: the judge ended it (a limit, the idle timeout, the
 * session limit, the output cap, the client gone, the worker stopping). */
static const char *outcome(const live_run_t *r, end_reason_t why, int rc, const nsj_result_t *res, live_exit_t *x,
                           char *evidence, size_t cap)
{
    const worker_config_t *cfg = r->ctx->cfg;
    *x = (live_exit_t){.status = nsj_verdict_name(res->verdict), .exit_code = res->exit_code, .signal = res->signal,
                       .cpu_ms = res->cpu_ms, .wall_ms = res->wall_ms, .memory_kb = res->memory_kb,
                       .evidence = evidence};
    snprintf(evidence, cap, "%s", rc < 0 ? res->message : res->evidence);
    if (rc < 0)
        return "terminated";
    bool cancelled = res->verdict == NSJ_VERDICT_RUNTIME_ERROR && starts_with(res->evidence, "cancelled");
    if (why == END_OUTPUT && (cancelled || res->verdict == NSJ_VERDICT_OUTPUT_LIMIT)) {
        x->status = "output_limit";
        snprintf(evidence, cap, "stdout and stderr together over %llu bytes",
                 (unsigned long long)cfg->session_output);
        return "terminated";
    }
    if (cancelled) {
        snprintf(evidence, cap, "%s", why == END_SHUTDOWN ? "cancelled: the worker is shutting down"
                                                          : "cancelled: the client closed the session");
        return "terminated";
    }
    if (res->verdict == NSJ_VERDICT_RUNTIME_ERROR && starts_with(res->evidence, "idle timeout")) {
        snprintf(evidence, cap, "idle timeout: no input and no output for %llu ms",
                 (unsigned long long)cfg->session_idle_ms);
        return "terminated";
    }
    if (res->verdict == NSJ_VERDICT_TIME_LIMIT && res->time_kind == NSJ_TIME_WALL) {
        snprintf(evidence, cap, "session limit: %s", res->evidence);
        return "terminated";
    }
    if (res->verdict == NSJ_VERDICT_OK || res->verdict == NSJ_VERDICT_RUNTIME_ERROR)
        return "finished";
    return "terminated";
}

static void run_program(live_run_t *r, judge_build_t *build, store_t *db)
{
    const session_ctx_t *ctx = r->ctx;
    const live_job_t *job = r->job;
    nsj_run_spec_t spec;
    nsj_run_spec_init(&spec);
    judge_build_run_spec(build, &ctx->cfg->limits, &spec);
    spec.limits.wall_ms = ctx->cfg->session_limit_ms;
    spec.limits.output_bytes = ctx->cfg->session_output;
    const char **envp = session_envp(build->lang);
    if (envp)
        spec.envp = envp;
    spec.stdin_fd = r->pipe_r;
    spec.on_output = on_output;
    spec.ud = r;
    spec.cancel_fd = r->cancel_fd;
    spec.idle_ms = ctx->cfg->session_idle_ms;

    /* "running" before the flusher exists: it must not say "waiting" first. */
    char *st = live_msg_state("running");
    if (st) {
        live_item_t it = {"state", st, strlen(st)};
        publish(ctx, r->q, r->out_key, &it, 1, RUN_TTL_S, NULL);
        free(st);
    }
    r->last_out_ns = r->last_in_ns = now_ns();
    pthread_t in_tid, fl_tid;
    bool in_started = pthread_create(&in_tid, NULL, input_main, r) == 0;
    bool fl_started = pthread_create(&fl_tid, NULL, flusher_main, r) == 0;
    if (!in_started || !fl_started) {
        pthread_mutex_lock(&r->mu);
        r->input_stop = r->run_done = true;
        pthread_cond_signal(&r->cv);
        pthread_mutex_unlock(&r->mu);
        if (in_started)
            pthread_join(in_tid, NULL);
        if (fl_started)
            pthread_join(fl_tid, NULL);
        free(envp);
        finish_early(ctx, r->q, db, job->session_id, "internal_error", "cannot start the session's threads");
        return;
    }
    nsj_result_t res;
    int rc = judge_build_run(build, ctx->sb, &spec, &res);

    /* Output first (the flusher drains everything), then the end. */
    pthread_mutex_lock(&r->mu);
    r->run_done = true;
    end_reason_t why = r->reason;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(fl_tid, NULL);
    live_exit_t x;
    char evidence[600];
    const char *state = outcome(r, why, rc, &res, &x, evidence, sizeof evidence);
    finish(ctx, r->q, db, job->session_id, state, &x);
    pthread_mutex_lock(&r->mu);
    r->input_stop = true;
    pthread_mutex_unlock(&r->mu);
    pthread_join(in_tid, NULL);
    nsj_result_free(&res);
    free(envp);
}

void session_run(const session_ctx_t *ctx, queue_conn_t **q, queue_conn_t **q_in, store_t *db, const live_job_t *job)
{
    nsj_error_t err;
    bool started = false;
    if (db && store_session_start(db, job->session_id, &started, &err) < 0) {
        service_log("session worker %u: session %s: marking it running: %s (running it anyway)", ctx->index,
                    job->session_id, err.msg);
        started = true;
    }
    if (!started) {
        service_log("session worker %u: session %s is no longer queued: skipped", ctx->index, job->session_id);
        return;
    }
    const language_t *lang = languages_find(ctx->langs, job->language);
    if (!lang) {
        char why[128];
        snprintf(why, sizeof why, "language '%s' is not in this worker's language table", job->language);
        finish_early(ctx, q, db, job->session_id, "internal_error", why);
        return;
    }
    size_t li = (size_t)(lang - ctx->langs->langs);
    if (!ctx->rootfs[li][0]) {
        finish_early(ctx, q, db, job->session_id, "internal_error", ctx->rootfs_err[li]);
        return;
    }

    live_run_t *r = calloc(1, sizeof *r);
    if (!r) {
        finish_early(ctx, q, db, job->session_id, "internal_error", "out of memory");
        return;
    }
    r->ctx = ctx;
    r->job = job;
    r->q = q;
    r->q_in = q_in;
    r->pipe_r = r->pipe_w = r->cancel_fd = -1;
    live_session_key(job->session_id, false, r->out_key);
    live_session_key(job->session_id, true, r->in_key);
    pthread_mutex_init(&r->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);

    judge_build_t build;
    bool built = false;
    char evidence[600];
    switch (wait_attach(r)) {
    case ATTACHED:
        break;
    case ATTACH_TIMEOUT:
        snprintf(evidence, sizeof evidence, "no client attached within %llu ms (SESSION_ATTACH)",
                 (unsigned long long)ctx->cfg->session_attach_ms);
        finish_early(ctx, q, db, job->session_id, "runtime_error", evidence);
        goto out;
    case ATTACH_CLOSED:
        finish_early(ctx, q, db, job->session_id, "runtime_error", "cancelled: the client closed the session");
        goto out;
    case ATTACH_SHUTDOWN:
        finish_early(ctx, q, db, job->session_id, "runtime_error", "cancelled: the worker is shutting down");
        goto out;
    }

    /* A source that is itself the program (a prebuilt binary) must be executable. */
    bool exec_source = lang->run_argc > 0 && strncmp(lang->run_argv[0], "/code/", 6) == 0 &&
                       strcmp(lang->run_argv[0] + 6, lang->source) == 0;
    if (judge_build_init(&build, ctx->sb, lang, ctx->rootfs[li], job->source, job->source_len,
                         exec_source ? 0755 : 0644, &err) < 0) {
        finish_early(ctx, q, db, job->session_id, "internal_error", err.msg);
        goto out;
    }
    built = true;
    nsj_result_t cres;
    int crc = judge_build_compile(&build, ctx->sb, &ctx->cfg->limits, &cres);
    if (crc != 0) {
        if (crc > 0) {
            publish_text(ctx, q, r->out_key, false, cres.out, cres.out_len);
            publish_text(ctx, q, r->out_key, true, cres.err, cres.err_len);
            snprintf(evidence, sizeof evidence, "compiler: %s", cres.evidence);
            live_exit_t x = {.status = "compile_error", .exit_code = cres.exit_code, .signal = cres.signal,
                             .cpu_ms = cres.cpu_ms, .wall_ms = cres.wall_ms, .memory_kb = cres.memory_kb,
                             .evidence = evidence};
            finish(ctx, q, db, job->session_id, "finished", &x);
        } else {
            snprintf(evidence, sizeof evidence, "compile step: %s", cres.message);
            finish_early(ctx, q, db, job->session_id, "internal_error", evidence);
        }
        nsj_result_free(&cres);
        goto out;
    }
    nsj_result_free(&cres);

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0 || (r->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
        snprintf(evidence, sizeof evidence, "pipe/eventfd: %s", strerror(errno));
        finish_early(ctx, q, db, job->session_id, "internal_error", evidence);
        goto out;
    }
    r->pipe_r = fds[0];
    r->pipe_w = fds[1];
    fcntl(r->pipe_w, F_SETFL, fcntl(r->pipe_w, F_GETFL) | O_NONBLOCK);
    run_program(r, &build, db);
out:
    if (built)
        judge_build_cleanup(&build);
    if (r->pipe_r >= 0)
        close(r->pipe_r);
    if (r->pipe_w >= 0)
        close(r->pipe_w);
    if (r->cancel_fd >= 0)
        close(r->cancel_fd);
    for (size_t i = 0; i < r->nchunks; i++)
        free(r->chunks[i].data);
    free(r->chunks);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

void session_orphan(const session_ctx_t *ctx, queue_conn_t **q, store_t *db, const live_job_t *job)
{
    char status[16] = "", *exit_json = NULL;
    nsj_error_t err;
    if (db && store_session_state(db, job->session_id, status, sizeof status, &exit_json, &err) == 0) {
        free(exit_json);
        if (strcmp(status, "finished") == 0 || strcmp(status, "terminated") == 0)
            return; /* it did end: only its acknowledgement was lost */
    }
    finish_early(ctx, q, db, job->session_id, "internal_error",
                 "the worker running this session stopped (a session is live: it is not run again)");
}
