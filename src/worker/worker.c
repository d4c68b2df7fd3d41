/* The worker pool.
 *
 * Life of a message
 * -----------------
 *  1. XREADGROUP (or XAUTOCLAIM of a message idle longer than RECLAIM_IDLE
 *     in a consumer presumed dead) gives one thread one message.
 *  2. The message id goes into the thread's slot: from now on the
 *     maintenance thread touches it every RECLAIM_IDLE/3 so that no other
 *     worker reclaims it while this one is running it, however long the job.
 *  3. A reclaimed message's delivery count is read (XPENDING): over
 *     MAX_DELIVERIES, the submission becomes internal_error with that reason.
 *  4. The submission is marked running (unless it is final already: then
 *     the message is only acknowledged), its job (core/job.h: language,
 *     source, limits, tests) is loaded from Postgres (the message carries
 *     only the id), every test runs in the sandbox, and the results and
 *     the final state are stored in one transaction that does nothing if
 *     someone else finished the submission first. A run in which a test
 *     ended in internal_error (the host failed, not the program) is
 *     judged again, JUDGE_ATTEMPTS runs in all, before internal_error is
 *     stored.
 *  5. Only then is the message acknowledged (XACK + XDEL).
 *
 * A worker that dies anywhere in 2-5 leaves the message pending: another
 * one reclaims it, runs it again and at most one of them stores anything.
 * When Redis or Postgres goes away a thread keeps what it holds and retries
 * with backoff (0.1 s doubling up to 5 s), reconnecting; it only gives up on
 * a message while shutting down, and a message given up stays pending, so
 * it is never lost. A job thread takes no new message while Postgres is
 * away: it could not start it.
 *
 * Progress events (docs/live.md): each job thread appends its submission's
 * "running", one "result" per finished test and the final "status" to the
 * stream codesce:events:<id> as they happen. Publishing is best effort: a
 * failed append is logged and the job goes on (the API then falls back on
 * Postgres for the end).
 *
 * Interactive sessions run on SESSION_WORKERS threads of their own, taking
 * jobs from codesce:sessions (worker/session.c): a session lasts minutes,
 * and it must never keep submissions waiting. Their messages are touched
 * like the others while they run; one taken over from a dead worker is not
 * run again but ended as terminated (a session is live). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "judge/judge.h"
#include "queue/health.h"
#include "queue/live.h"
#include "queue/message.h"
#include "service/service.h"
#include "session.h"
#include "store/store.h"
#include "worker.h"
#include "worker/callbacks.h"
#include "worker/compilecheck.h"
#include "worker/datacache.h"
#include "worker/progcache.h"
#include "worker/telemetry.h"

#define BLOCK_MS 1000            /* XREADGROUP wait: how soon a stop is noticed */
#define REPLY_TIMEOUT_MS 10000   /* a Redis reply (beyond BLOCK_MS) or a connect */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define DRAIN_RETRY_MS 30000     /* while stopping, how long to retry storing a finished job */
#define STALE_BATCH 100
#define PRUNE_EVERY_MS (10 * 60 * 1000)

typedef struct slot {
    bool busy;
    const char *stream;
    char id[64];
    char consumer[192];
} slot_t;

typedef struct job_thread {
    worker_pool_t *pool;
    unsigned index;              /* slot index: job threads first, then session threads */
    pthread_t tid;
    bool started;
    bool session;                /* takes sessions, not submissions */
    char consumer[192];
    queue_conn_t *q;
    queue_conn_t *q_in;          /* session threads: blocking reads of a session's input */
    store_t *db;
    bool q_down, db_down;        /* an outage was logged; log the recovery */
    /* the submission in progress: its events stream */
    char ev_key[LIVE_KEY_MAX];
    long ev_maxlen;
    bool ev_failed;              /* an append failed (logged once per job) */
    uint64_t delivered_ms;       /* when the message in progress came */
    double queue_wait_s;         /* its entry's age then */
} job_thread_t;

struct worker_pool {
    worker_config_t cfg;
    queue_url_t redis;
    nsj_sandbox_t *sb;
    const language_table_t *langs;
    datacache_t *cache;          /* test data on this host (NSJUDGE_DATA_CACHE) */
    progcache_t *programs;       /* questions' compiled checkers (NSJUDGE_DATA_CACHE/programs) */
    char (*rootfs)[4096];        /* per language; "" when missing (rootfs_err says why) */
    char (*rootfs_err)[512];
    telemetry_t *tel;            /* heartbeat, metrics, job log lines */
    callbacks_t *callbacks;      /* the callback delivery thread (NULL without CALLBACK_SECRET) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_bool stopping, cancelling, maint_stop;
    uint64_t stop_at_ms;
    int cancel_pipe[2];
    int done_fd;
    unsigned alive;              /* job and session threads still running */
    unsigned nthreads;           /* cfg.workers + cfg.session_workers */
    slot_t *slots;
    job_thread_t *threads;
    pthread_t maint;
    bool maint_started;
    pthread_t ccheck;            /* compile checks of questions' checkers (worker/compilecheck.h) */
    bool ccheck_started;
};

static uint64_t now_ms(void)
{
    return util_now_ns() / 1000000ULL;
}

/* Sleep up to ms; wakes early on cancel, and on stop when wake_on_stop. */
static void pool_wait(worker_pool_t *p, uint64_t ms, bool wake_on_stop)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->mu);
    while (!atomic_load(&p->cancelling) && !(wake_on_stop && atomic_load(&p->stopping)) &&
           !atomic_load(&p->maint_stop)) {
        if (pthread_cond_timedwait(&p->cv, &p->mu, &ts) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&p->mu);
}

static uint64_t next_backoff(uint64_t ms)
{
    return ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms * 2;
}

/* Should a thread holding a message stop retrying (the message then stays
 * pending, and another worker will take it)? */
static bool give_up(worker_pool_t *p)
{
    if (atomic_load(&p->cancelling))
        return true;
    if (!atomic_load(&p->stopping))
        return false;
    pthread_mutex_lock(&p->mu);
    bool late = now_ms() - p->stop_at_ms > DRAIN_RETRY_MS;
    pthread_mutex_unlock(&p->mu);
    return late;
}

static void slot_set(worker_pool_t *p, unsigned i, const char *stream, const char *id, const char *consumer)
{
    pthread_mutex_lock(&p->mu);
    p->slots[i].busy = true;
    p->slots[i].stream = stream;
    snprintf(p->slots[i].id, sizeof p->slots[i].id, "%s", id);
    snprintf(p->slots[i].consumer, sizeof p->slots[i].consumer, "%s", consumer);
    pthread_mutex_unlock(&p->mu);
}

static void slot_clear(worker_pool_t *p, unsigned i)
{
    pthread_mutex_lock(&p->mu);
    p->slots[i].busy = false;
    pthread_mutex_unlock(&p->mu);
}

/* ---- connections ---- */

static int redis_connect(worker_pool_t *p, queue_conn_t **q, nsj_error_t *err)
{
    queue_close(*q);
    *q = NULL;
    if (queue_connect(&p->redis, REPLY_TIMEOUT_MS, q, err) < 0)
        return -1;
    if (queue_ensure_group(*q, err) < 0 || queue_ensure_group_on(*q, QUEUE_SESSIONS_STREAM, err) < 0) {
        queue_close(*q);
        *q = NULL;
        return -1;
    }
    return 0;
}

static int db_connect(worker_pool_t *p, store_t **db, nsj_error_t *err)
{
    if (*db)
        return store_reconnect(*db, err);
    return store_connect(p->cfg.database_url, "nsjudge-worker", db, err);
}

enum { NEED_REDIS = 1, NEED_DB = 2 };

/* Make sure the connections in need work: 0, or <0 when the thread should
 * stop (wake_on_stop) or give up instead of waiting longer. */
static int ensure_connected(job_thread_t *t, int need, bool wake_on_stop)
{
    worker_pool_t *p = t->pool;
    uint64_t delay = BACKOFF_MIN_MS;
    for (;;) {
        nsj_error_t err;
        bool ok = true;
        if ((need & NEED_REDIS) && queue_broken(t->q)) {
            if (redis_connect(p, &t->q, &err) < 0) {
                if (!t->q_down)
                    service_log("worker %u: Redis unavailable, retrying: %s", t->index, err.msg);
                t->q_down = true;
                ok = false;
            } else if (t->q_down) {
                service_log("worker %u: reconnected to Redis", t->index);
                t->q_down = false;
            }
        }
        if (ok && (need & NEED_DB) && store_broken(t->db)) {
            if (db_connect(p, &t->db, &err) < 0) {
                if (!t->db_down)
                    service_log("worker %u: Postgres unavailable, retrying: %s", t->index, err.msg);
                t->db_down = true;
                ok = false;
            } else if (t->db_down) {
                service_log("worker %u: reconnected to Postgres", t->index);
                t->db_down = false;
            }
        }
        if (ok)
            return 0;
        if ((wake_on_stop && atomic_load(&p->stopping)) || give_up(p))
            return -1;
        pool_wait(p, delay, wake_on_stop);
        delay = next_backoff(delay);
    }
}

/* ---- retried operations ---- */

typedef int (*store_fn)(store_t *db, void *ctx, nsj_error_t *err);
typedef int (*queue_fn)(queue_conn_t *q, const char *consumer, void *ctx, nsj_error_t *err);

enum { OP_OK = 0, OP_FAILED = -1, OP_GAVE_UP = -2 };

/* Run fn until it succeeds or fails for a reason retrying cannot fix
 * (OP_FAILED, err says why); transient failures reconnect and back off
 * until give_up() (OP_GAVE_UP). */
static int with_store(job_thread_t *t, store_fn fn, void *ctx, nsj_error_t *err)
{
    uint64_t delay = BACKOFF_MIN_MS;
    for (;;) {
        if (ensure_connected(t, NEED_DB, false) < 0)
            return OP_GAVE_UP;
        if (fn(t->db, ctx, err) == 0)
            return OP_OK;
        if (err->errnum != EAGAIN)
            return OP_FAILED;
        if (!t->db_down)
            service_log("worker %u: Postgres failed, retrying: %s", t->index, err->msg);
        t->db_down = true;
        if (give_up(t->pool))
            return OP_GAVE_UP;
        pool_wait(t->pool, delay, false);
        delay = next_backoff(delay);
    }
}

static int with_queue(job_thread_t *t, queue_fn fn, void *ctx, nsj_error_t *err)
{
    uint64_t delay = BACKOFF_MIN_MS;
    for (;;) {
        if (ensure_connected(t, NEED_REDIS, false) < 0)
            return OP_GAVE_UP;
        if (fn(t->q, t->consumer, ctx, err) == 0)
            return OP_OK;
        if (err->errnum != EAGAIN)
            return OP_FAILED;
        if (!t->q_down)
            service_log("worker %u: Redis failed, retrying: %s", t->index, err->msg);
        t->q_down = true;
        if (give_up(t->pool))
            return OP_GAVE_UP;
        pool_wait(t->pool, delay, false);
        delay = next_backoff(delay);
    }
}

typedef struct fail_ctx {
    const char *id, *reason;
    bool changed;
} fail_ctx_t;

static int op_fail(store_t *db, void *ctx, nsj_error_t *err)
{
    fail_ctx_t *c = ctx;
    return store_submission_fail(db, c->id, c->reason, &c->changed, err);
}

typedef struct start_ctx {
    const char *id;
    store_start_t state;
} start_ctx_t;

static int op_start(store_t *db, void *ctx, nsj_error_t *err)
{
    start_ctx_t *c = ctx;
    return store_submission_start(db, c->id, &c->state, err);
}

typedef struct finish_ctx {
    const char *id;
    const core_report_t *rep;
    bool committed;
} finish_ctx_t;

static int op_finish(store_t *db, void *ctx, nsj_error_t *err)
{
    finish_ctx_t *c = ctx;
    return store_submission_finish(db, c->id, c->rep, &c->committed, err);
}

static int op_ack(queue_conn_t *q, const char *consumer, void *ctx, nsj_error_t *err)
{
    (void)consumer;
    return queue_ack(q, ctx, err);
}

typedef struct count_ctx {
    const char *id;
    int64_t count;
} count_ctx_t;

static int op_deliveries(queue_conn_t *q, const char *consumer, void *ctx, nsj_error_t *err)
{
    (void)consumer;
    count_ctx_t *c = ctx;
    return queue_deliveries(q, c->id, &c->count, err);
}

/* ---- progress events ---- */

/* Events of one delivery: running, each result, the final status; a
 * redelivery repeats them. The bound keeps every delivery's events. */
static void events_begin(job_thread_t *t, const char *submission_id, size_t ntests)
{
    live_events_key(submission_id, t->ev_key);
    t->ev_maxlen = (long)(t->pool->cfg.max_deliveries + 1) * (long)(t->pool->cfg.attempts * ntests + 3);
    if (t->ev_maxlen < 64)
        t->ev_maxlen = 64;
    t->ev_failed = false;
}

/* Append one event (data is taken over). Never fails the job. Status
 * events (re)set the stream's expiry, so that it is EVENTS_TTL after the
 * last of them; results leave it as it is. */
static void event(job_thread_t *t, const char *type, char *data, bool refresh_ttl)
{
    nsj_error_t err;
    int rc = -1;
    if (!data)
        snprintf(err.msg, sizeof err.msg, "out of memory");
    else if (queue_broken(t->q))
        snprintf(err.msg, sizeof err.msg, "Redis connection down");
    else {
        live_item_t it = {type, data, strlen(data)};
        long ttl = refresh_ttl ? (long)(t->pool->cfg.events_ttl_ms / 1000) : 0;
        rc = live_add(t->q, t->ev_key, &it, 1, t->ev_maxlen, ttl, NULL, 0, &err);
    }
    if (rc < 0 && !t->ev_failed)
        service_log("worker %u: %s: could not publish a %s event (the job goes on): %s", t->index, t->ev_key, type,
                    err.msg);
    if (rc < 0)
        t->ev_failed = true;
    free(data);
}

static void on_test(void *ud, size_t i, const core_test_result_t *r)
{
    job_thread_t *t = ud;
    live_result_t lr = {.ordinal = (int)i, .status = core_status_name(r->status), .passed = r->passed,
                        .execution_ms = (int64_t)r->wall_ms, .cpu_ms = (int64_t)r->cpu_ms,
                        .memory_kb = (int64_t)r->memory_kb, .evidence = r->evidence,
                        .checker_message = r->checker_message, .group = r->group};
    event(t, "result", live_event_result(&lr), false);
}

/* Make the submission internal_error with a reason. OP_GAVE_UP: leave the
 * message pending. OP_FAILED is logged: the message is acknowledged anyway,
 * as nothing a retry could do would help. */
static int fail_submission(job_thread_t *t, const char *id, const char *reason)
{
    fail_ctx_t c = {.id = id, .reason = reason};
    nsj_error_t err;
    int rc = with_store(t, op_fail, &c, &err);
    if (rc == OP_FAILED)
        service_log("worker %u: submission %s: could not record internal_error (%s): %s", t->index, id, reason,
                    err.msg);
    else if (rc == OP_OK)
        service_log("worker %u: submission %s: internal_error: %s%s", t->index, id, reason,
                    c.changed ? "" : " (it was already final: left as it was)");
    if (rc == OP_OK && c.changed)
        telemetry_internal_error(t->pool->tel, "handling");
    if (rc == OP_OK && c.changed) {
        char key[LIVE_KEY_MAX];
        live_events_key(id, key);
        if (strcmp(key, t->ev_key) != 0) {
            events_begin(t, id, 0);
            t->ev_maxlen = 0; /* the number of tests is unknown here: trim nothing */
        }
        live_final_t f = {.status = "internal_error", .score = -1, .error = reason};
        event(t, "status", live_event_status("internal_error", &f), true);
    }
    return rc == OP_GAVE_UP ? OP_GAVE_UP : OP_OK;
}

/* ---- one job ---- */

/* ---- test data: the host's cache, filled from Postgres ---- */

static int fetch_blob(void *ud, const char *sha, int (*sink)(void *, const void *, size_t), void *sctx,
                      nsj_error_t *err)
{
    job_thread_t *t = ud;
    uint64_t size;
    if (ensure_connected(t, NEED_DB, false) < 0)
        return nsj_error_set(err, EAGAIN, "Postgres unavailable");
    return store_blob_read(t->db, sha, sink, sctx, &size, err);
}

/* A Postgres outage while a test's data or output is read or written is
 * the host's fault, not the program's: wait for Postgres as with_store()
 * does (the step is redone whole: a fill starts again, a blob is written
 * once), until give_up(). true: retry now. */
static bool retry_store_step(job_thread_t *t, const nsj_error_t *err, uint64_t *delay)
{
    if (err->errnum != EAGAIN || give_up(t->pool))
        return false;
    if (!t->db_down)
        service_log("worker %u: Postgres failed mid-test, retrying: %s", t->index, err->msg);
    t->db_down = true;
    pool_wait(t->pool, *delay, false);
    *delay = next_backoff(*delay);
    return true;
}

static int open_data(void *ud, const core_blob_t *blob, nsj_error_t *err)
{
    job_thread_t *t = ud;
    int fd;
    bool filled;
    uint64_t delay = BACKOFF_MIN_MS;
    while (datacache_get(t->pool->cache, blob, fetch_blob, t, &fd, &filled, err) < 0)
        if (!retry_store_step(t, err, &delay))
            return -1;
    if (filled)
        service_log("worker %u: data cache: filled %s (%llu bytes) from Postgres", t->index, blob->sha256,
                    (unsigned long long)blob->size);
    return fd;
}

/* A job's small test data not in the host's cache yet is read from
 * Postgres in one query, rather than in one per blob as each test opens
 * it (open_data then finds it here): a submission with inline tests
 * brings a new input and answer for every test. Whatever this does not
 * get (Postgres away, a blob too big) open_data fills as before. */
#define PREFETCH_BLOB_MAX (256u << 10)
#define PREFETCH_BYTES_MAX (16u << 20)
#define PREFETCH_BLOBS_MAX 512

typedef struct prefetch {
    job_thread_t *t;
    const core_blob_t *want[PREFETCH_BLOBS_MAX];
    size_t n;
} prefetch_t;

static int prefetched(void *ud, const char *sha, const void *data, size_t len)
{
    prefetch_t *pf = ud;
    for (size_t i = 0; i < pf->n; i++) {
        const core_blob_t *b = pf->want[i];
        if (strcmp(b->sha256, sha) != 0)
            continue;
        nsj_error_t err;
        if (len == b->size && datacache_put(pf->t->pool->cache, b, data, len, &err) == 0)
            service_log("worker %u: data cache: filled %s (%llu bytes) from Postgres", pf->t->index, sha,
                        (unsigned long long)len);
        return 0; /* else open_data fills it, and says what is wrong */
    }
    return 0;
}

static void prefetch_data(job_thread_t *t, const core_job_t *job)
{
    prefetch_t *pf = calloc(1, sizeof *pf);
    if (!pf)
        return;
    pf->t = t;
    datacache_t *c = t->pool->cache;
    const char *shas[PREFETCH_BLOBS_MAX];
    /* The shards' locks, taken as a fill's are (without waiting: a blob
     * whose shard is busy is left to open_data, which waits), so the host
     * still reads each blob once. */
    int held[256];
    for (int i = 0; i < 256; i++)
        held[i] = -1;
    uint64_t bytes = 0;
    for (size_t i = 0; i < job->ntests && pf->n < PREFETCH_BLOBS_MAX; i++)
        for (int k = 0; k < 2 && pf->n < PREFETCH_BLOBS_MAX; k++) {
            const core_blob_t *b = k ? &job->tests[i].answer : &job->tests[i].input;
            if (b->size > PREFETCH_BLOB_MAX || bytes + b->size > PREFETCH_BYTES_MAX)
                continue;
            bool dup = false;
            for (size_t j = 0; j < pf->n && !dup; j++)
                dup = strcmp(pf->want[j]->sha256, b->sha256) == 0;
            if (dup || datacache_has(c, b))
                continue;
            int sh = datacache_shard(b);
            if (held[sh] < 0 && (held[sh] = datacache_trylock(c, b)) < 0)
                continue;
            if (datacache_has(c, b)) /* filled while we took the lock */
                continue;
            shas[pf->n] = b->sha256;
            pf->want[pf->n++] = b;
            bytes += b->size;
        }
    nsj_error_t err;
    /* One blob: its own fill costs the same query. */
    if (pf->n >= 2 && ensure_connected(t, NEED_DB, false) == 0)
        store_blobs_read_small(t->db, shas, pf->n, prefetched, pf, &err);
    for (int i = 0; i < 256; i++)
        if (held[i] >= 0)
            close(held[i]);
    free(pf);
}

static int keep_stdout(void *ud, const char *data, size_t len, core_blob_t *blob, nsj_error_t *err)
{
    job_thread_t *t = ud;
    uint64_t delay = BACKOFF_MIN_MS;
    for (;;) {
        if (ensure_connected(t, NEED_DB, false) < 0)
            return nsj_error_set(err, EAGAIN, "Postgres unavailable");
        if (store_blob_put_mem(t->db, data, len, blob, err) == 0)
            return 0;
        if (!retry_store_step(t, err, &delay))
            return -1;
    }
}

typedef struct load_ctx {
    const char *id;
    core_job_t *job;
} load_ctx_t;

static int op_load(store_t *db, void *ctx, nsj_error_t *err)
{
    load_ctx_t *c = ctx;
    return store_job_load(db, c->id, c->job, err);
}

/* Judge a job, again while a test ends in internal_error (a fault of this
 * host, never of the program: a sandbox step failed) up to cfg.attempts
 * runs in all; the last run's report is the one stored. */
static unsigned judge_attempts(job_thread_t *t, judge_submission_t *sub, core_report_t *rep)
{
    worker_pool_t *p = t->pool;
    for (unsigned attempt = 1;; attempt++) {
        judge_run(p->sb, sub, rep);
        if (rep->cancelled || rep->status != CORE_STATUS_INTERNAL_ERROR || attempt >= p->cfg.attempts ||
            atomic_load(&p->stopping))
            return attempt;
        service_log("worker %u: submission %s: internal_error on attempt %u of %u (%s): judging it again", t->index,
                    sub->job->submission_id, attempt, p->cfg.attempts, rep->error);
        telemetry_judge_retry(p->tel);
        core_report_free(rep);
    }
}

/* A question's helper program (its custom checker, its interactor: what),
 * from this host's program cache or compiled into it. A program that does
 * not compile, or cannot run here, is the question's fault or the host's,
 * never the submission's: <0 with the reason (the submission becomes
 * internal_error naming the program). */
static int prepare_program(job_thread_t *t, const core_program_t *prog, const char *what, const nsj_limits_t *limits,
                           progcache_prog_t *out, char *reason, size_t cap)
{
    worker_pool_t *p = t->pool;
    progcache_langs_t where = {p->langs, (const char(*)[4096])p->rootfs, (const char(*)[512])p->rootfs_err};
    uint64_t t0 = now_ms();
    if (progcache_prepare(p->programs, p->sb, &where, what, prog, limits, out, NULL, 0, reason, cap) != 0)
        return -1;
    if (out->compiled)
        service_log("worker %u: program cache: compiled %s %s (%s) in %" PRIu64 " ms", t->index, what, out->key,
                    prog->language, now_ms() - t0);
    return 0;
}

/* Load the submission's job, judge it and store the outcome. OP_GAVE_UP:
 * leave the message pending (cancelled, or shutting down with the store away). */
static int judge_and_store(job_thread_t *t, const char *id)
{
    worker_pool_t *p = t->pool;
    char reason[NSJ_ERROR_MSG_MAX + 128];
    nsj_error_t err;
    core_job_t job;
    memset(&job, 0, sizeof job);
    load_ctx_t lc = {.id = id, .job = &job};
    int rc = with_store(t, op_load, &lc, &err);
    if (rc == OP_GAVE_UP)
        return OP_GAVE_UP;
    if (rc == OP_FAILED) {
        snprintf(reason, sizeof reason, "loading the job: %s", err.msg);
        return fail_submission(t, id, reason);
    }
    events_begin(t, id, job.ntests);
    event(t, "status", live_event_status("running", NULL), true);
    const language_t *lang = languages_find(p->langs, job.language);
    char limits_msg[200];
    if (!lang) {
        snprintf(reason, sizeof reason, "language '%s' is not in this worker's language table", job.language);
        rc = fail_submission(t, id, reason);
        goto out_job;
    }
    if (job.ntests == 0) {
        rc = fail_submission(t, id, "the submission has no test cases");
        goto out_job;
    }
    size_t li = (size_t)(lang - p->langs->langs);
    if (!p->rootfs[li][0]) {
        snprintf(reason, sizeof reason, "%s", p->rootfs_err[li]);
        rc = fail_submission(t, id, reason);
        goto out_job;
    }
    /* The API checked them against its maxima; this worker's may differ. */
    if (core_limits_check(&job.limits, &p->cfg.max_limits, limits_msg, sizeof limits_msg) < 0) {
        snprintf(reason, sizeof reason, "this worker's MAX_* limits refuse the job's limits: %s", limits_msg);
        rc = fail_submission(t, id, reason);
        goto out_job;
    }
    judge_submission_t sub = {.lang = lang, .rootfs = p->rootfs[li], .job = &job,
                              .cancel_fd = p->cancel_pipe[0], .preview_max = p->cfg.keep_output,
                              .on_test = on_test, .ud = t, .open_data = open_data,
                              .keep_stdout = keep_stdout};
    core_limits_resolve(&job.limits, &p->cfg.limits, &sub.limits);
    progcache_prog_t checker;
    bool have_checker = false;
    if (job.judging.checker.type == CORE_CHECKER_CUSTOM) {
        if (prepare_program(t, &job.judging.checker.program, "checker", &sub.limits, &checker, reason,
                            sizeof reason) < 0) {
            rc = fail_submission(t, id, reason);
            goto out_job;
        }
        have_checker = true;
        sub.checker = &checker.build;
    }
    progcache_prog_t interactor; /* (an interactive question has no custom checker) */
    bool have_interactor = false;
    if (job.judging.mode == CORE_MODE_INTERACTIVE) {
        if (prepare_program(t, &job.judging.interactor, "interactor", &sub.limits, &interactor, reason,
                            sizeof reason) < 0) {
            rc = fail_submission(t, id, reason);
            goto out_job;
        }
        have_interactor = true;
        sub.interactor = &interactor.build;
    }
    prefetch_data(t, &job);
    core_report_t rep;
    uint64_t t0 = now_ms();
    unsigned attempts = judge_attempts(t, &sub, &rep);
    uint64_t t1 = now_ms();
    if (rep.cancelled) {
        service_log("worker %u: submission %s: cancelled by shutdown; its message stays pending", t->index, id);
        rc = OP_GAVE_UP;
        goto out;
    }
    finish_ctx_t fc = {.id = id, .rep = &rep};
    rc = with_store(t, op_finish, &fc, &err);
    const char *status = core_status_name(rep.status);
    if (rc == OP_FAILED) {
        snprintf(reason, sizeof reason, "storing the results: %s", err.msg);
        rc = fail_submission(t, id, reason);
    } else if (rc == OP_OK) {
        service_log("worker %u: submission %s: %s, score %" PRId64 "/%" PRId64 ", %zu tests, %" PRIu64 " ms%s",
                    t->index, id, status, rep.score, rep.max_score, rep.ntests, now_ms() - t0,
                    fc.committed ? "" : " (already finished by another worker: not stored again)");
        /* After the commit: a client told "passed" finds it final in Postgres. */
        if (fc.committed) {
            telemetry_job_t tj = {.submission_id = id, .language = job.language, .status = status,
                                  .queue_wait_s = t->queue_wait_s, .setup_s = (double)(t0 - t->delivered_ms) / 1e3,
                                  .judge_s = (double)(t1 - t0) / 1e3, .attempts = attempts,
                                  .score = rep.score, .max_score = rep.max_score};
            telemetry_job(p->tel, &tj);
            live_final_t f = {.status = status, .score = rep.score, .max_score = rep.max_score,
                              .execution_ms = (int64_t)rep.execution_ms, .memory_kb = (int64_t)rep.memory_kb,
                              .error = rep.status == CORE_STATUS_INTERNAL_ERROR ? rep.error : NULL};
            event(t, "status", live_event_status(status, &f), true);
        }
    }
out:
    core_report_free(&rep);
    if (have_checker)
        progcache_prog_free(&checker);
    if (have_interactor)
        progcache_prog_free(&interactor);
out_job:
    core_job_free(&job);
    return rc;
}

static void handle(job_thread_t *t, const queue_delivery_t *d, bool claimed)
{
    worker_pool_t *p = t->pool;
    char reason[NSJ_ERROR_MSG_MAX + 128];
    nsj_error_t err;
    queue_message_t m;
    memset(&m, 0, sizeof m);
    slot_set(p, t->index, QUEUE_STREAM, d->id, t->consumer);
    t->ev_key[0] = '\0';
    t->delivered_ms = now_ms();
    t->queue_wait_s = queue_entry_age_s(d->id);
    if (!d->payload) {
        service_log("worker %u: stream entry %s has no '%s' field: acknowledged and dropped", t->index, d->id,
                    QUEUE_FIELD);
        goto ack;
    }
    int parsed = queue_message_parse(d->payload, d->len, &m, &err);
    if (parsed < 0) {
        service_log("worker %u: stream entry %s is not a valid message (%s)%s", t->index, d->id, err.msg,
                    m.submission_id[0] ? "" : ": acknowledged and dropped");
        if (m.submission_id[0]) {
            snprintf(reason, sizeof reason, "malformed queue message %s: %s", d->id, err.msg);
            if (fail_submission(t, m.submission_id, reason) == OP_GAVE_UP)
                goto leave;
        }
        goto ack;
    }
    if (claimed) {
        count_ctx_t c = {.id = d->id};
        int rc = with_queue(t, op_deliveries, &c, &err);
        if (rc == OP_GAVE_UP)
            goto leave;
        if (rc == OP_OK && c.count > (int64_t)p->cfg.max_deliveries) {
            snprintf(reason, sizeof reason,
                     "queue message delivered %" PRId64 " times (MAX_DELIVERIES=%u): every worker that took it "
                     "stopped before finishing it (crashed, killed, or cut off from Redis or Postgres)",
                     c.count, p->cfg.max_deliveries);
            if (fail_submission(t, m.submission_id, reason) == OP_GAVE_UP)
                goto leave;
            goto ack;
        }
        service_log("worker %u: reclaimed message %s (submission %s, delivery %" PRId64 ")", t->index, d->id,
                    m.submission_id, c.count);
        telemetry_redelivery(p->tel);
    }
    start_ctx_t sc = {.id = m.submission_id};
    int rc = with_store(t, op_start, &sc, &err);
    if (rc == OP_GAVE_UP)
        goto leave;
    if (rc == OP_FAILED) {
        snprintf(reason, sizeof reason, "marking it running: %s", err.msg);
        if (fail_submission(t, m.submission_id, reason) == OP_GAVE_UP)
            goto leave;
        goto ack;
    }
    if (sc.state == STORE_MISSING) {
        service_log("worker %u: message %s names submission %s, which does not exist: acknowledged", t->index,
                    d->id, m.submission_id);
        goto ack;
    }
    if (sc.state == STORE_STARTED) {
        if (judge_and_store(t, m.submission_id) == OP_GAVE_UP)
            goto leave;
    }
ack:
    if (with_queue(t, op_ack, (void *)d->id, &err) == OP_FAILED)
        service_log("worker %u: acknowledging %s: %s", t->index, d->id, err.msg);
leave:
    slot_clear(p, t->index);
}

static void note_queue_error(job_thread_t *t, const nsj_error_t *err, uint64_t *delay)
{
    if (!t->q_down || err->errnum != EAGAIN)
        service_log("worker %u: %s", t->index, err->msg);
    if (err->errnum == EAGAIN)
        t->q_down = true;
    pool_wait(t->pool, *delay, true);
    *delay = next_backoff(*delay);
}

typedef void (*handle_fn)(job_thread_t *t, const queue_delivery_t *d, bool claimed);

/* A thread's loop on its stream (submissions or sessions): first what
 * dead consumers left pending (XAUTOCLAIM, every RECLAIM_IDLE/2 once
 * nothing is left), else new messages (XREADGROUP BLOCK); Redis errors
 * back off. */
static void consume(job_thread_t *t, const char *stream, handle_fn handle_one)
{
    worker_pool_t *p = t->pool;
    char cursor[64] = "0-0";
    uint64_t claim_every = p->cfg.reclaim_idle_ms / 2, next_claim = 0, delay = BACKOFF_MIN_MS;
    while (!atomic_load(&p->stopping)) {
        if (ensure_connected(t, NEED_REDIS | NEED_DB, true) < 0)
            break;
        queue_delivery_t d;
        nsj_error_t err;
        bool claimed = false;
        int got;
        if (now_ms() >= next_claim) {
            got = queue_claim_stale_on(t->q, stream, t->consumer, (int64_t)p->cfg.reclaim_idle_ms, cursor, &d,
                                       &err);
            if (got < 0) {
                note_queue_error(t, &err, &delay);
                continue;
            }
            if (got == 0 && strcmp(cursor, "0-0") == 0)
                next_claim = now_ms() + claim_every;
            claimed = got > 0;
        }
        if (!claimed) {
            got = queue_read_on(t->q, stream, t->consumer, BLOCK_MS, &d, &err);
            if (got < 0) {
                note_queue_error(t, &err, &delay);
                continue;
            }
            if (got == 0)
                continue;
        }
        if (t->q_down) {
            service_log("worker %u: Redis is back", t->index);
            t->q_down = false;
        }
        delay = BACKOFF_MIN_MS;
        handle_one(t, &d, claimed);
        queue_delivery_free(&d);
    }
}

/* ---- session threads ---- */

static void session_ctx(job_thread_t *t, session_ctx_t *ctx)
{
    worker_pool_t *p = t->pool;
    *ctx = (session_ctx_t){.sb = p->sb, .cfg = &p->cfg, .redis = &p->redis, .langs = p->langs,
                           .rootfs = (const char(*)[4096])p->rootfs,
                           .rootfs_err = (const char(*)[512])p->rootfs_err, .stopping = &p->stopping,
                           .index = t->index - p->cfg.workers};
}

static void handle_session(job_thread_t *t, const queue_delivery_t *d, bool claimed)
{
    worker_pool_t *p = t->pool;
    session_ctx_t ctx;
    session_ctx(t, &ctx);
    live_job_t job;
    nsj_error_t err;
    memset(&job, 0, sizeof job);
    slot_set(p, t->index, QUEUE_SESSIONS_STREAM, d->id, t->consumer);
    if (!d->payload || live_job_parse(d->payload, d->len, &job, &err) < 0) {
        service_log("session worker %u: stream entry %s is not a valid session job (%s): acknowledged and dropped",
                    ctx.index, d->id, d->payload ? err.msg : "no payload");
        if (d->payload && job.session_id[0]) {
            live_job_t named = {0};
            memcpy(named.session_id, job.session_id, sizeof named.session_id);
            session_orphan(&ctx, &t->q, t->db, &named);
        }
    } else if (claimed) {
        service_log("session worker %u: took over session %s from a worker that stopped: ending it", ctx.index,
                    job.session_id);
        session_orphan(&ctx, &t->q, t->db, &job);
    } else {
        session_run(&ctx, &t->q, &t->q_in, t->db, &job);
    }
    live_job_free(&job);
    /* Acknowledged once, whatever happened: a session never runs twice. */
    if (queue_broken(t->q))
        ensure_connected(t, NEED_REDIS, false);
    if (!queue_broken(t->q) && queue_ack_on(t->q, QUEUE_SESSIONS_STREAM, d->id, &err) < 0)
        service_log("session worker %u: acknowledging %s: %s", ctx.index, d->id, err.msg);
    slot_clear(p, t->index);
}

static void *thread_main(void *arg)
{
    job_thread_t *t = arg;
    worker_pool_t *p = t->pool;
    if (t->session)
        consume(t, QUEUE_SESSIONS_STREAM, handle_session);
    else
        consume(t, QUEUE_STREAM, handle);
    queue_close(t->q);
    queue_close(t->q_in);
    store_close(t->db);
    t->q = t->q_in = NULL;
    t->db = NULL;
    pthread_mutex_lock(&p->mu);
    bool last = --p->alive == 0;
    pthread_mutex_unlock(&p->mu);
    if (last) {
        uint64_t one = 1;
        if (write(p->done_fd, &one, sizeof one) < 0) {
            /* an eventfd write of 1 cannot fail short of a bug */
        }
    }
    return NULL;
}

/* ---- maintenance: heartbeats, stale rows, dead consumers ---- */

static void touch_all(worker_pool_t *p, queue_conn_t *q)
{
    slot_t busy[256];
    size_t n = 0;
    pthread_mutex_lock(&p->mu);
    for (unsigned i = 0; i < p->nthreads && n < ARRAY_SIZE(busy); i++)
        if (p->slots[i].busy)
            busy[n++] = p->slots[i];
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < n; i++) {
        nsj_error_t err;
        int rc = queue_touch_on(q, busy[i].stream, busy[i].consumer, busy[i].id, &err);
        if (rc < 0) {
            service_log("maintenance: touching message %s: %s", busy[i].id, err.msg);
            if (queue_broken(q))
                return;
        } else if (rc == 0) {
            /* Acknowledged just now, or reclaimed by another worker after we
             * missed heartbeats: then both run it and the first to store wins. */
        }
    }
}

/* Stale rows (fresh false), or rows whose enqueue failed in the API (fresh true). */
/* How often rows whose enqueue failed in the API are looked for. */
#define UNQUEUED_EVERY_MS 1000

static void requeue_stale(worker_pool_t *p, store_t *db, queue_conn_t *q, bool fresh)
{
    char(*ids)[STORE_UUID_LEN + 1];
    size_t n;
    nsj_error_t err;
    if ((fresh ? store_jobs_unqueued(db, STALE_BATCH, &ids, &n, &err)
               : store_jobs_stale(db, (int64_t)p->cfg.stale_queued_ms, (int64_t)p->cfg.stale_running_ms, STALE_BATCH,
                                  &ids, &n, &err)) < 0) {
        service_log("maintenance: looking for %s submissions: %s", fresh ? "unqueued" : "stale", err.msg);
        return;
    }
    size_t sent = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *payload = queue_message_for(ids[i], &len);
        if (!payload || queue_enqueue(q, payload, len, NULL, 0, &err) < 0) {
            service_log("maintenance: enqueueing stale submission %s again: %s", ids[i],
                        payload ? err.msg : "out of memory");
            free(payload);
            /* Those not sent keep their mark, to be tried again soon. */
            for (size_t k = i; fresh && k < n; k++)
                store_submission_mark_unqueued(db, ids[k], &err);
            if (queue_broken(q) || fresh)
                break;
            continue;
        }
        free(payload);
        sent++;
    }
    if (sent)
        service_log("maintenance: enqueued %zu %s submissions", sent, fresh ? "unqueued" : "stale");
    free(ids);
}

/* Slots busy now, published for GET /healthz (queue/health.h). */
static void heartbeat(worker_pool_t *p, queue_conn_t *q)
{
    unsigned busy = 0, sessions = 0;
    pthread_mutex_lock(&p->mu);
    for (unsigned i = 0; i < p->nthreads; i++)
        if (p->slots[i].busy)
            *(i < p->cfg.workers ? &busy : &sessions) += 1;
    pthread_mutex_unlock(&p->mu);
    telemetry_heartbeat(p->tel, q, busy, p->cfg.workers, sessions, p->cfg.session_workers);
}

static void *maint_main(void *arg)
{
    worker_pool_t *p = arg;
    queue_conn_t *q = NULL;
    store_t *db = NULL;
    uint64_t touch_every = p->cfg.reclaim_idle_ms / 3;
    uint64_t stale_every = p->cfg.stale_queued_ms ? p->cfg.stale_queued_ms / 4 : 60000;
    if (p->cfg.stale_running_ms && p->cfg.stale_running_ms / 4 < stale_every)
        stale_every = p->cfg.stale_running_ms / 4;
    if (stale_every > 30000)
        stale_every = 30000;
    if (stale_every < 250)
        stale_every = 250;
    uint64_t prune_idle = p->cfg.reclaim_idle_ms * 4 > 3600000 ? p->cfg.reclaim_idle_ms * 4 : 3600000;
    uint64_t next_touch = 0, next_stale = now_ms() + 1000, next_prune = now_ms() + 60000, retry_at = 0;
    uint64_t next_heartbeat = 0;
    uint64_t next_unqueued = 0;
    bool stale_on = p->cfg.stale_queued_ms || p->cfg.stale_running_ms;
    while (!atomic_load(&p->maint_stop)) {
        nsj_error_t err;
        uint64_t now = now_ms();
        if (now >= retry_at && queue_broken(q) && redis_connect(p, &q, &err) < 0)
            retry_at = now + 1000;
        if (now >= retry_at && stale_on && store_broken(db) && db_connect(p, &db, &err) < 0)
            retry_at = now + 1000;
        if (!queue_broken(q)) {
            if (now >= next_touch) {
                touch_all(p, q);
                next_touch = now + touch_every;
            }
            if (now >= next_heartbeat) {
                heartbeat(p, q);
                next_heartbeat = now + QUEUE_HEARTBEAT_EVERY_MS;
            }
            if (stale_on && now >= next_stale && !store_broken(db) && !atomic_load(&p->stopping)) {
                requeue_stale(p, db, q, false);
                next_stale = now_ms() + stale_every;
            }
            if (stale_on && now >= next_unqueued && !store_broken(db) && !atomic_load(&p->stopping)) {
                requeue_stale(p, db, q, true);
                next_unqueued = now_ms() + UNQUEUED_EVERY_MS;
            }
            if (now >= next_prune) {
                int n = queue_prune_consumers(q, (int64_t)prune_idle, &err), ns = 0;
                if (n < 0)
                    service_log("maintenance: pruning consumers: %s", err.msg);
                else if ((ns = queue_prune_consumers_on(q, QUEUE_SESSIONS_STREAM, (int64_t)prune_idle, &err)) < 0)
                    service_log("maintenance: pruning session consumers: %s", err.msg);
                else if (n + ns > 0)
                    service_log("maintenance: removed %d idle consumers with nothing pending", n + ns);
                next_prune = now + PRUNE_EVERY_MS;
                /* Run cgroups of supervisors on this host that died mid-run. */
                int swept = nsj_sandbox_sweep(p->sb);
                if (swept > 0)
                    service_log("maintenance: removed %d run cgroups of dead supervisors", swept);
            }
        }
        uint64_t wake = next_touch < next_heartbeat ? next_touch : next_heartbeat;
        if (stale_on && next_stale < wake)
            wake = next_stale;
        if (queue_broken(q) || (stale_on && store_broken(db)))
            wake = retry_at;
        now = now_ms();
        if (wake > now)
            pool_wait(p, wake - now < 1000 ? wake - now : 1000, false);
    }
    if (!queue_broken(q))
        telemetry_heartbeat_remove(p->tel, q);
    queue_close(q);
    store_close(db);
    return NULL;
}

static void *ccheck_main(void *arg)
{
    worker_pool_t *p = arg;
    compilecheck_ctx_t ctx = {.sb = p->sb, .redis = &p->redis,
                              .where = {p->langs, (const char(*)[4096])p->rootfs, (const char(*)[512])p->rootfs_err},
                              .programs = p->programs, .limits = &p->cfg.limits, .stopping = &p->stopping};
    compilecheck_run(&ctx);
    return NULL;
}

/* ---- the pool ---- */

static void wake_all(worker_pool_t *p)
{
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

int worker_pool_start(const worker_config_t *cfg, const queue_url_t *redis, nsj_sandbox_t *sb,
                      const language_table_t *langs, worker_pool_t **out, nsj_error_t *err)
{
    *out = NULL;
    worker_pool_t *p = calloc(1, sizeof *p);
    if (!p)
        return nsj_error_set(err, ENOMEM, "worker pool");
    p->cfg = *cfg;
    p->redis = *redis;
    p->sb = sb;
    p->langs = langs;
    p->cancel_pipe[0] = p->cancel_pipe[1] = p->done_fd = -1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    p->nthreads = cfg->workers + cfg->session_workers;
    p->slots = calloc(p->nthreads, sizeof *p->slots);
    p->threads = calloc(p->nthreads, sizeof *p->threads);
    p->rootfs = calloc(langs->n ? langs->n : 1, sizeof *p->rootfs);
    p->rootfs_err = calloc(langs->n ? langs->n : 1, sizeof *p->rootfs_err);
    if (!p->slots || !p->threads || !p->rootfs || !p->rootfs_err) {
        nsj_error_set(err, ENOMEM, "worker pool");
        goto fail;
    }
    for (size_t i = 0; i < langs->n; i++) {
        nsj_error_t e;
        if (languages_rootfs_path(&langs->langs[i], p->rootfs[i], sizeof p->rootfs[i], &e) < 0) {
            p->rootfs[i][0] = '\0';
            snprintf(p->rootfs_err[i], sizeof p->rootfs_err[i], "%s", e.msg);
            service_log("warning: language %s cannot run here: %s", langs->langs[i].name, e.msg);
        }
    }
    if (datacache_open(cfg->data_cache, cfg->data_cache_max, &p->cache, err) < 0 ||
        telemetry_start(cfg->name, cfg->metrics_listen, &p->tel, err) < 0 ||
        callbacks_start(cfg, p->tel, &p->callbacks, err) < 0)
        goto fail;
    char programs[sizeof cfg->data_cache + 16];
    snprintf(programs, sizeof programs, "%s/programs", cfg->data_cache);
    if (progcache_open(programs, &p->programs, err) < 0)
        goto fail;
    if (pipe2(p->cancel_pipe, O_CLOEXEC | O_NONBLOCK) < 0 || (p->done_fd = eventfd(0, EFD_CLOEXEC)) < 0) {
        nsj_error_set(err, errno, "worker pool: pipe/eventfd");
        goto fail;
    }
    p->alive = p->nthreads;
    for (unsigned i = 0; i < p->nthreads; i++) {
        job_thread_t *t = &p->threads[i];
        t->pool = p;
        t->index = i;
        t->session = i >= cfg->workers;
        if (t->session)
            snprintf(t->consumer, sizeof t->consumer, "%s-%d-s%u", cfg->name, (int)getpid(), i - cfg->workers);
        else
            snprintf(t->consumer, sizeof t->consumer, "%s-%d-%u", cfg->name, (int)getpid(), i);
        int e = pthread_create(&t->tid, NULL, thread_main, t);
        if (e) {
            nsj_error_set(err, e, "worker pool: start thread %u", i);
            pthread_mutex_lock(&p->mu);
            p->alive -= p->nthreads - i;
            pthread_mutex_unlock(&p->mu);
            goto fail_threads;
        }
        t->started = true;
    }
    int e = pthread_create(&p->maint, NULL, maint_main, p);
    if (e) {
        nsj_error_set(err, e, "worker pool: start the maintenance thread");
        goto fail_threads;
    }
    p->maint_started = true;
    if ((e = pthread_create(&p->ccheck, NULL, ccheck_main, p))) {
        nsj_error_set(err, e, "worker pool: start the compile-check thread");
        goto fail_threads;
    }
    p->ccheck_started = true;
    *out = p;
    return 0;
fail_threads:
    worker_pool_stop(p);
    worker_pool_free(p);
    return -1;
fail:
    worker_pool_free(p);
    return -1;
}

void worker_pool_stop(worker_pool_t *p)
{
    pthread_mutex_lock(&p->mu);
    if (!atomic_load(&p->stopping))
        p->stop_at_ms = now_ms();
    atomic_store(&p->stopping, true);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void worker_pool_cancel(worker_pool_t *p)
{
    worker_pool_stop(p);
    atomic_store(&p->cancelling, true);
    /* Never read: stays readable, so every run in progress and any later
     * one sees it. */
    if (write(p->cancel_pipe[1], "x", 1) < 0) {
        /* already written (pipe full is impossible with one byte) */
    }
    wake_all(p);
}

int worker_pool_done_fd(const worker_pool_t *p)
{
    return p->done_fd;
}

size_t worker_pool_busy(worker_pool_t *p)
{
    size_t n = 0;
    pthread_mutex_lock(&p->mu);
    for (unsigned i = 0; i < p->nthreads; i++)
        n += p->slots[i].busy;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void worker_pool_free(worker_pool_t *p)
{
    if (!p)
        return;
    for (unsigned i = 0; p->threads && i < p->nthreads; i++)
        if (p->threads[i].started)
            pthread_join(p->threads[i].tid, NULL);
    if (p->ccheck_started)
        pthread_join(p->ccheck, NULL);
    /* Job threads are gone: nothing is in flight, heartbeats can stop. */
    atomic_store(&p->maint_stop, true);
    wake_all(p);
    if (p->maint_started)
        pthread_join(p->maint, NULL);
    for (int i = 0; i < 2; i++)
        if (p->cancel_pipe[i] >= 0)
            close(p->cancel_pipe[i]);
    if (p->done_fd >= 0)
        close(p->done_fd);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->slots);
    free(p->threads);
    free(p->rootfs);
    free(p->rootfs_err);
    datacache_close(p->cache);
    progcache_close(p->programs);
    callbacks_stop(p->callbacks);
    telemetry_free(p->tel);
    free(p);
}
