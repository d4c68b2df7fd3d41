/* HTTP routing and handlers.
 *
 * Every answer is JSON; every error is {"error": "..."} with a 4xx status
 * for bad input and 503 when Postgres or Redis is unavailable. A body is
 * read only for a POST to a route that takes one, with the right content
 * type and a declared length within BODY_MAX: anything else is answered as
 * soon as the headers are in, without reading the body.
 *
 * POST /submissions inserts the row first, then enqueues. If the enqueue
 * fails (Redis unavailable) the row stays queued, marked enqueue_failed,
 * and the client gets its 202 all the same: the workers' sweep enqueues
 * marked rows within seconds. If this process dies between the two, the
 * row stays queued and the stale-row sweep enqueues it again.
 *
 * Threading: one thread per connection (libmicrohttpd's
 * MHD_USE_THREAD_PER_CONNECTION). Progress streams (SSE) and WebSockets
 * hold their connection for minutes, blocked on Redis; with a fixed pool of
 * threads a few of them would starve every ordinary request. A thread per
 * connection costs a stack that stays mostly untouched (the idle RSS is
 * unchanged) and lets each long request block without harm. The live
 * routes are in events.c, session_ws.c and static.c (docs/live.md). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/internal.h"
#include "api/archive.h"
#include "api/health.h"
#include "api/listing.h"
#include "api/wait.h"
#include "api/observe.h"
#include "api/openapi.h"
#include "api/render.h"
#include "api/request.h"
#include "api/server.h"
#include "common/paths.h"
#include "common/util.h"
#include "queue/live.h"
#include "queue/message.h"
#include "queue/stream.h"
#include "service/service.h"
#include "store/store.h"

/* A pooled connection unused this long is checked before use: it may have
 * outlived a server restart. */
#define IDLE_CHECK_MS 2000
#define REPLY_TIMEOUT_MS 5000
/* A thread per connection: a cap on them, and a stack of the size the
 * handlers need instead of 8 MiB each: jansson parses recursively, up to
 * 2048 levels of a client's JSON (a few hundred KiB of stack). */
#define API_MAX_CONNECTIONS 1000
#define API_THREAD_STACK (1024 * 1024)
/* The most bytes of a test file one response carries (more: ask by Range). */
#define API_FILE_ANSWER_MAX (16 * 1024 * 1024)

static uint64_t now_ms(void)
{
    return util_now_ns() / 1000000ULL;
}

/* ---- connection pools ---- */

static int pool_init(conn_pool_t *p, size_t n)
{
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->n = n;
    p->conns = calloc(n, sizeof *p->conns);
    p->last_used_ms = calloc(n, sizeof *p->last_used_ms);
    p->taken = calloc(n, sizeof *p->taken);
    return p->conns && p->last_used_ms && p->taken ? 0 : -1;
}

static size_t pool_take(conn_pool_t *p)
{
    pthread_mutex_lock(&p->mu);
    for (;;) {
        for (size_t i = 0; i < p->n; i++) {
            if (!p->taken[i]) {
                p->taken[i] = true;
                pthread_mutex_unlock(&p->mu);
                return i;
            }
        }
        pthread_cond_wait(&p->cv, &p->mu);
    }
}

static void pool_give(conn_pool_t *p, size_t i)
{
    pthread_mutex_lock(&p->mu);
    p->taken[i] = false;
    p->last_used_ms[i] = now_ms();
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

int api_db_take(api_server_t *s, store_t **out, size_t *slot, nsj_error_t *err)
{
    size_t i = pool_take(&s->db);
    store_t *db = s->db.conns[i];
    bool stale = db && now_ms() - s->db.last_used_ms[i] > IDLE_CHECK_MS;
    if (db && (store_broken(db) || (stale && store_ping(db, err) < 0))) {
        if (store_reconnect(db, err) < 0) {
            pool_give(&s->db, i);
            return -1;
        }
    } else if (!db) {
        if (store_connect(s->cfg.database_url, "nsjudge-api", &db, err) < 0) {
            pool_give(&s->db, i);
            return -1;
        }
        s->db.conns[i] = db;
    }
    *out = db;
    *slot = i;
    return 0;
}

int api_redis_take(api_server_t *s, queue_conn_t **out, size_t *slot, nsj_error_t *err)
{
    size_t i = pool_take(&s->rq);
    queue_conn_t *q = s->rq.conns[i];
    bool stale = q && now_ms() - s->rq.last_used_ms[i] > IDLE_CHECK_MS;
    if (!q || queue_broken(q) || (stale && queue_ping(q, err) < 0)) {
        queue_close(q);
        s->rq.conns[i] = NULL;
        if (queue_connect(&s->redis, REPLY_TIMEOUT_MS, &q, err) < 0) {
            pool_give(&s->rq, i);
            return -1;
        }
        s->rq.conns[i] = q;
    }
    *out = q;
    *slot = i;
    return 0;
}

void api_db_give(api_server_t *s, size_t slot)
{
    pool_give(&s->db, slot);
}

void api_redis_give(api_server_t *s, size_t slot)
{
    pool_give(&s->rq, slot);
}

/* ---- responses ---- */

char *api_error_json(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Messages may quote client bytes cut mid-character: keep valid UTF-8. */
    json_t *o = json_object();
    json_t *m = json_string(msg);
    if (!m)
        m = json_string("(message not valid UTF-8)");
    json_object_set_new(o, "error", m);
    char *out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return out;
}

enum MHD_Result api_send_json(struct MHD_Connection *c, unsigned status, char *body, const char *hname,
                              const char *hvalue)
{
    if (!body) {
        status = MHD_HTTP_SERVICE_UNAVAILABLE;
        body = strdup("{\"error\":\"out of memory\"}");
        if (!body)
            return MHD_NO;
    }
    size_t len = strlen(body);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (hname)
        MHD_add_response_header(r, hname, hvalue);
    enum MHD_Result ret = api_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- handlers ---- */

typedef struct answer {
    unsigned status;
    char *body;
    const char *hname;
    char hvalue[128];
    char id[37];                 /* of the submission created */
} answer_t;

static void answer_error(answer_t *a, unsigned status, const char *what, const nsj_error_t *err)
{
    a->status = status;
    a->body = api_error_json("%s: %s", what, err->msg);
}

static void answer_store_error(answer_t *a, const char *what, const nsj_error_t *err)
{
    if (err->errnum == ENOENT) {
        a->status = MHD_HTTP_NOT_FOUND;
        a->body = api_error_json("%s", err->msg);
    } else if (err->errnum == EINVAL) { /* the request contradicts what is stored */
        a->status = MHD_HTTP_BAD_REQUEST;
        a->body = api_error_json("%s", err->msg);
    } else if (err->errnum == EAGAIN || err->errnum == ENOMEM) {
        answer_error(a, MHD_HTTP_SERVICE_UNAVAILABLE, "database unavailable", err);
    } else {
        answer_error(a, MHD_HTTP_INTERNAL_SERVER_ERROR, what, err);
    }
}

enum MHD_Result api_send_store_error(struct MHD_Connection *c, const char *what, const nsj_error_t *err)
{
    answer_t a = {0};
    answer_store_error(&a, what, err);
    return api_send_json(c, a.status, a.body, NULL, NULL);
}

enum MHD_Result api_send_db_unavailable(struct MHD_Connection *c, const nsj_error_t *err)
{
    return api_send_json(c, MHD_HTTP_SERVICE_UNAVAILABLE, api_error_json("database unavailable: %s", err->msg), NULL,
                         NULL);
}

void api_publish_event(api_server_t *s, const char *submission_id, const char *type, char *data)
{
    queue_conn_t *q;
    size_t slot;
    nsj_error_t err;
    char key[LIVE_KEY_MAX];
    live_events_key(submission_id, key);
    int rc = -1;
    if (!data)
        snprintf(err.msg, sizeof err.msg, "out of memory");
    else if (api_redis_take(s, &q, &slot, &err) == 0) {
        live_item_t it = {type, data, strlen(data)};
        rc = live_add(q, key, &it, 1, 0, API_EVENTS_TTL_S, NULL, 0, &err);
        api_redis_give(s, slot);
    }
    if (rc < 0)
        service_log("submission %s: could not publish a %s event (not fatal): %s", submission_id, type, err.msg);
    free(data);
}

/* XADD, retried once on a fresh connection when the pooled one turns out
 * dead (Redis restarted since it was last used). If the first XADD did
 * reach Redis the message is there twice: harmless, as a submission is
 * stored once whatever the deliveries. */
int api_enqueue(api_server_t *s, const char *stream, const char *payload, size_t len, nsj_error_t *err)
{
    queue_conn_t *q;
    size_t slot;
    int rc = -1;
    for (int attempt = 0; attempt < 2 && rc < 0; attempt++) {
        if (api_redis_take(s, &q, &slot, err) < 0)
            return -1;
        rc = queue_enqueue_on(q, stream, payload, len, NULL, 0, err);
        bool retry = rc < 0 && err->errnum == EAGAIN && queue_broken(q);
        pool_give(&s->rq, slot);
        if (!retry)
            break;
    }
    return rc;
}

static api_limits_t request_limits(const api_server_t *s)
{
    return (api_limits_t){.source_max = s->cfg.source_max, .max_tests = s->cfg.max_test_cases,
                          .program_max = s->cfg.body_max,
                          .max = s->cfg.max_limits};
}

static void post_submission(api_server_t *s, const request_t *r, answer_t *a)
{
    api_limits_t lim = request_limits(s);
    core_job_t job;
    api_error_t e;
    if (api_parse_submission(r->body, r->len, &lim, s->langs, &job, &e) < 0) {
        a->status = e.status;
        a->body = api_error_json("%s", e.msg);
        return;
    }
    memcpy(job.key_id, r->who.key_id, sizeof job.key_id);
    char id[STORE_UUID_LEN + 1];
    store_t *db = NULL;
    size_t slot = 0;
    nsj_error_t err;
    if (api_db_take(s, &db, &slot, &err) < 0) {
        answer_error(a, MHD_HTTP_SERVICE_UNAVAILABLE, "database unavailable", &err);
        goto out;
    }
    int rc = store_submission_create(db, &job, id, &err);
    pool_give(&s->db, slot);
    if (rc < 0) {
        answer_store_error(a, "storing the submission", &err);
        goto out;
    }
    /* Before the enqueue, so that no worker's "running" can come first. */
    api_publish_event(s, id, "status", live_event_status("queued", NULL));
    size_t len;
    char *payload = queue_message_for(id, &len);
    if (!payload || api_enqueue(s, QUEUE_STREAM, payload, len, &err) < 0) {
        /* The row is stored: it stays queued, marked for the workers'
         * sweep, which enqueues it within seconds (issue #13); unmarked
         * (Postgres gone too), STALE_QUEUED_AGE's sweep finds it later. */
        nsj_error_t merr;
        bool marked = api_db_take(s, &db, &slot, &merr) == 0;
        if (marked) {
            marked = store_submission_mark_unqueued(db, id, &merr) == 0;
            pool_give(&s->db, slot);
        }
        service_log("submission %s: enqueue failed (%s): %s", id, payload ? err.msg : "out of memory",
                    marked ? "marked for the workers' sweep" : "left queued for the stale-row sweep");
    }
    free(payload);
    json_t *o = json_pack("{s:s, s:s}", "id", id, "status", "queued");
    a->status = MHD_HTTP_ACCEPTED;
    a->body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    a->hname = MHD_HTTP_HEADER_LOCATION;
    snprintf(a->hvalue, sizeof a->hvalue, "/submissions/%s", id);
    snprintf(a->id, sizeof a->id, "%s", id);
    json_decref(o);
out:
    core_job_free(&job);
}

static void post_question(api_server_t *s, const request_t *r, answer_t *a)
{
    api_limits_t lim = request_limits(s);
    core_question_t q;
    api_error_t e;
    if (api_parse_question(r->body, r->len, &lim, s->langs, &q, &e) < 0) {
        a->status = e.status;
        a->body = api_error_json("%s", e.msg);
        return;
    }
    if (api_checker_compiles(s, &q.judging, &a->status, &a->body) < 0) {
        core_question_free(&q);
        return;
    }
    store_t *db;
    size_t slot;
    nsj_error_t err;
    char id[STORE_UUID_LEN + 1];
    if (api_db_take(s, &db, &slot, &err) < 0) {
        answer_error(a, MHD_HTTP_SERVICE_UNAVAILABLE, "database unavailable", &err);
    } else {
        int rc = store_question_create(db, &q, id, &err);
        pool_give(&s->db, slot);
        if (rc < 0) {
            answer_store_error(a, "storing the question", &err);
        } else {
            json_t *o = json_pack("{s:s, s:i}", "id", id, "test_cases", (json_int_t)q.ntests);
            a->status = MHD_HTTP_CREATED;
            a->body = o ? json_dumps(o, JSON_COMPACT) : NULL;
            a->hname = MHD_HTTP_HEADER_LOCATION;
            snprintf(a->hvalue, sizeof a->hvalue, "/questions/%s", id);
            json_decref(o);
        }
    }
    core_question_free(&q);
}

static void get_submission(api_server_t *s, const request_t *r, answer_t *a)
{
    store_t *db;
    size_t slot;
    nsj_error_t err;
    if (api_db_take(s, &db, &slot, &err) < 0) {
        answer_error(a, MHD_HTTP_SERVICE_UNAVAILABLE, "database unavailable", &err);
        return;
    }
    core_submission_t sub;
    int rc = store_submission_get(db, r->id, &sub, &err);
    pool_give(&s->db, slot);
    if (rc < 0) {
        answer_store_error(a, "reading", &err);
        return;
    }
    a->status = MHD_HTTP_OK;
    a->body = api_render_submission(&sub);
    core_submission_free(&sub);
}

static void get_question(api_server_t *s, const request_t *r, answer_t *a)
{
    store_t *db;
    size_t slot;
    nsj_error_t err;
    if (api_db_take(s, &db, &slot, &err) < 0) {
        answer_error(a, MHD_HTTP_SERVICE_UNAVAILABLE, "database unavailable", &err);
        return;
    }
    core_question_t q;
    int rc = store_question_get(db, r->id, &q, &err);
    pool_give(&s->db, slot);
    if (rc < 0) {
        answer_store_error(a, "reading", &err);
        return;
    }
    a->status = MHD_HTTP_OK;
    a->body = api_render_question(&q);
    core_question_free(&q);
}

/* PUT /questions/{id}/tests: the spooled archive read (api/archive.c),
 * each file stored once as a blob (a transaction each: a blob is whole or
 * absent), then the tests replaced by a new version in one transaction. */
static void put_question_tests(api_server_t *s, const request_t *r, answer_t *a)
{
    api_archive_limits_t lim = {.max_total = s->cfg.max_test_data, .max_file = s->cfg.max_test_file,
                                .max_entries = 2 * s->cfg.max_test_cases + 64, .tmpdir = s->cfg.spool_dir,
                                .program_max = s->cfg.body_max, .langs = s->langs};
    api_archive_t ar;
    api_error_t e;
    if (api_archive_read(r->spool_fd, &lim, &ar, &e) < 0) {
        a->status = e.status;
        a->body = api_error_json("%s", e.msg);
        return;
    }
    if (ar.ntests > s->cfg.max_test_cases) {
        a->status = MHD_HTTP_CONTENT_TOO_LARGE;
        a->body = api_error_json("too many tests: %zu (the limit is %zu, MAX_TEST_CASES)", ar.ntests,
                                 s->cfg.max_test_cases);
        api_archive_free(&ar);
        return;
    }
    if (ar.has_judging && api_checker_compiles(s, &ar.judging, &a->status, &a->body) < 0) {
        api_archive_free(&ar);
        return;
    }
    store_t *db;
    size_t slot;
    nsj_error_t err;
    if (api_db_take(s, &db, &slot, &err) < 0) {
        answer_error(a, MHD_HTTP_SERVICE_UNAVAILABLE, "database unavailable", &err);
        api_archive_free(&ar);
        return;
    }
    int rc = 0, version = 0;
    uint64_t bytes = 0;
    for (size_t i = 0; rc == 0 && i < ar.ntests; i++) {
        rc = store_blob_put_fd(db, ar.fds[i][0], &ar.tests[i].input, &err);
        if (rc == 0)
            rc = store_blob_put_fd(db, ar.fds[i][1], &ar.tests[i].answer, &err);
        bytes += ar.tests[i].input.size + ar.tests[i].answer.size;
    }
    if (rc == 0)
        rc = store_question_replace_tests(db, r->id, ar.tests, ar.ntests, ar.has_judging ? &ar.judging : NULL,
                                          &version, &err);
    pool_give(&s->db, slot);
    if (rc < 0) {
        answer_store_error(a, "storing the test data", &err);
    } else {
        json_t *o = json_pack("{s:s, s:i, s:I, s:I}", "id", r->id, "version", version, "tests",
                              (json_int_t)ar.ntests, "bytes", (json_int_t)bytes);
        a->status = MHD_HTTP_OK;
        a->body = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        service_log("question %s: test data version %d: %zu tests, %llu bytes", r->id, version, ar.ntests,
                    (unsigned long long)bytes);
    }
    api_archive_free(&ar);
}

typedef struct range_sink {
    char *buf;
    uint64_t from, to;           /* [from, to) of the blob */
    uint64_t pos;
} range_sink_t;

static int range_sink(void *ud, const void *data, size_t len)
{
    range_sink_t *rs = ud;
    uint64_t a = rs->pos, b = rs->pos + len;
    rs->pos = b;
    uint64_t lo = a > rs->from ? a : rs->from, hi = b < rs->to ? b : rs->to;
    if (lo < hi)
        memcpy(rs->buf + (lo - rs->from), (const char *)data + (lo - a), hi - lo);
    return b >= rs->to ? 1 : 0;
}

/* "bytes=a-b" or "bytes=a-" (one range) of a file of size bytes into
 * [from, to); <0 when unsatisfiable or not understood. */
static int parse_range(const char *h, uint64_t size, uint64_t *from, uint64_t *to)
{
    unsigned long long a, b;
    int n = -1;
    if (sscanf(h, "bytes=%llu-%n", &a, &n) < 1 || n < 0)
        return -1;
    const char *rest = h + n;
    if (*rest == '\0')
        b = size ? size - 1 : 0;
    else if (sscanf(rest, "%llu%n", &b, &n) != 1 || rest[n] != '\0' || b < a)
        return -1;
    if (a >= size)
        return -1;
    *from = a;
    *to = (b >= size ? size - 1 : b) + 1;
    return 0;
}

/* GET /questions/{id}/tests/{n}/input|answer and
 * /submissions/{id}/tests/{n}/stdout: the file's bytes, at most
 * API_FILE_ANSWER_MAX of them per response (a Range header asks for a part). */
static enum MHD_Result answer_test_file(api_server_t *s, struct MHD_Connection *c, request_t *r)
{
    store_t *db;
    size_t slot;
    nsj_error_t err;
    if (api_db_take(s, &db, &slot, &err) < 0)
        return api_send_db_unavailable(c, &err);
    core_test_t t;
    int found = r->route == API_ROUTE_TEST_STDOUT ? store_submission_stdout(db, r->id, r->ordinal, &t.input, &err)
                                                   : store_question_test(db, r->id, r->ordinal, &t, &err);
    if (found < 0) {
        api_db_give(s, slot);
        return api_send_store_error(c, "reading the test", &err);
    }
    const core_blob_t *b = r->route == API_ROUTE_TEST_ANSWER ? &t.answer : &t.input;
    uint64_t from = 0, to = b->size;
    const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
    unsigned status = MHD_HTTP_OK;
    if (range) {
        if (parse_range(range, b->size, &from, &to) < 0) {
            api_db_give(s, slot);
            char cr[64];
            snprintf(cr, sizeof cr, "bytes */%llu", (unsigned long long)b->size);
            return api_send_json(c, MHD_HTTP_RANGE_NOT_SATISFIABLE,
                                 api_error_json("Range '%.60s' is not one satisfiable range of this %llu-byte file",
                                                range, (unsigned long long)b->size),
                                 MHD_HTTP_HEADER_CONTENT_RANGE, cr);
        }
        status = MHD_HTTP_PARTIAL_CONTENT;
    }
    if (to - from > API_FILE_ANSWER_MAX) {
        api_db_give(s, slot);
        return api_send_json(c, MHD_HTTP_CONTENT_TOO_LARGE,
                             api_error_json("the file is %llu bytes: ask for at most %d at a time with a Range header"
                                            " (bytes=first-last)", (unsigned long long)b->size, API_FILE_ANSWER_MAX),
                             NULL, NULL);
    }
    range_sink_t rs = {.buf = malloc(to - from ? to - from : 1), .from = from, .to = to};
    uint64_t got;
    int rc = rs.buf ? (to > from ? store_blob_read(db, b->sha256, range_sink, &rs, &got, &err) : 0)
                    : nsj_error_set(&err, ENOMEM, "file buffer");
    api_db_give(s, slot);
    if (rc < 0) {
        free(rs.buf);
        return api_send_store_error(c, "reading the file", &err);
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(to - from, rs.buf, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(rs.buf);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
    MHD_add_response_header(resp, "X-Content-SHA256", b->sha256);
    if (status == MHD_HTTP_PARTIAL_CONTENT) {
        char cr[96];
        snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", (unsigned long long)from, (unsigned long long)(to - 1),
                 (unsigned long long)b->size);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
    }
    enum MHD_Result ret = api_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void dispatch(api_server_t *s, const request_t *r, answer_t *a)
{
    switch (r->route) {
    case API_ROUTE_SUBMISSIONS: post_submission(s, r, a); return;
    case API_ROUTE_QUESTIONS: post_question(s, r, a); return;
    case API_ROUTE_SUBMISSION: get_submission(s, r, a); return;
    case API_ROUTE_QUESTION_TESTS: put_question_tests(s, r, a); return;
    case API_ROUTE_TEST_INPUT:
    case API_ROUTE_TEST_ANSWER:
    case API_ROUTE_TEST_STDOUT: break; /* answer_test_file() */
    case API_ROUTE_QUESTION: get_question(s, r, a); return;
    case API_ROUTE_LANGUAGES:
        a->status = MHD_HTTP_OK;
        a->body = strdup(s->languages_json);
        return;
    case API_ROUTE_HEALTHZ:
    case API_ROUTE_METRICS: break; /* api_health_answer(), api_metrics_answer() */
    case API_ROUTE_OPENAPI:
        a->status = MHD_HTTP_OK;
        a->body = strndup(api_openapi_json, api_openapi_json_len);
        return;
    case API_ROUTE_NONE: break;
    }
    a->status = MHD_HTTP_NOT_FOUND;
    a->body = api_error_json("not found");
}

/* PUT /questions/{id}/tests: an archive type, a length within
 * MAX_TEST_DATA, and a temporary file the body is written to as it comes
 * (it is never held in memory). */
static unsigned check_archive_headers(api_server_t *s, struct MHD_Connection *c, request_t *r)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!api_content_type_archive(ct)) {
        r->early_body = api_error_json("Content-Type must be application/zip, application/x-tar or application/gzip,"
                                       " not %.100s", ct ? ct : "(none)");
        return MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
    }
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno || end == cl || n > s->cfg.max_test_data) {
            r->early_body = api_error_json("the archive is over the %llu-byte limit (MAX_TEST_DATA)",
                                           (unsigned long long)s->cfg.max_test_data);
            return MHD_HTTP_CONTENT_TOO_LARGE;
        }
    }
    r->spool_fd = open(s->cfg.spool_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (r->spool_fd < 0) {
        r->early_body = api_error_json("cannot spool the upload in %.200s: %s", s->cfg.spool_dir, strerror(errno));
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    }
    return 0;
}

/* Decide from the headers alone; 0 when the request may go on. */
static unsigned check_headers(api_server_t *s, struct MHD_Connection *c, const char *url, const char *method,
                              request_t *r)
{
    if (r->route == API_ROUTE_NONE && r->live == API_LIVE_STATIC && !api_static_exists(s, r->file))
        r->live = API_LIVE_NONE;
    if (r->route == API_ROUTE_NONE && r->live == API_LIVE_NONE && r->keys == API_KEYS_NONE) {
        r->early_body = api_error_json("no such resource: %.200s", url);
        return MHD_HTTP_NOT_FOUND;
    }
    /* Before the limits: a wait holds a place among the streams. */
    if (r->route == API_ROUTE_SUBMISSIONS && strcmp(method, "POST") == 0) {
        unsigned st = api_wait_check(s, c, r);
        if (st)
            return st;
    }
    unsigned auth = api_auth_check_headers(s, c, method, r);
    if (auth)
        return auth;
    if (r->keys != API_KEYS_NONE) {
        if (!api_keys_route_allows(r->keys, method)) {
            r->early_body = api_error_json("method %.20s not allowed on %.200s (allowed: %s)", method, url,
                                           api_keys_route_allow(r->keys));
            r->early_allow = api_keys_route_allow(r->keys);
            return MHD_HTTP_METHOD_NOT_ALLOWED;
        }
    } else if (r->route == API_ROUTE_NONE) {
        if (!api_live_route_allows(r->live, method)) {
            r->early_body = api_error_json("method %.20s not allowed on %.200s (allowed: %s)", method, url,
                                           api_live_route_allow(r->live));
            r->early_allow = api_live_route_allow(r->live);
            return MHD_HTTP_METHOD_NOT_ALLOWED;
        }
        unsigned st = api_live_check_headers(s, c, method, r);
        if (st)
            return st;
    } else if (!api_route_allows(r->route, method)) {
        r->early_body = api_error_json("method %.20s not allowed on %.200s (allowed: %s)", method, url,
                                   api_route_allow(r->route));
        r->early_allow = api_route_allow(r->route);
        return MHD_HTTP_METHOD_NOT_ALLOWED;
    }
    if (r->route == API_ROUTE_QUESTION_TESTS)
        return check_archive_headers(s, c, r);
    if (strcmp(method, "POST") != 0)
        return 0;
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!api_content_type_json(ct)) {
        r->early_body = api_error_json("Content-Type must be application/json, not %.100s", ct ? ct : "(none)");
        return MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
    }
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno || end == cl || n > s->cfg.body_max) {
            r->early_body = api_error_json("the body is over the %zu-byte limit", s->cfg.body_max);
            return MHD_HTTP_CONTENT_TOO_LARGE;
        }
    }
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **state)
{
    api_server_t *s = cls;
    request_t *r = *state;
    if (!r) {
        if (!(r = calloc(1, sizeof *r)))
            return MHD_NO;
        *state = r;
        r->spool_fd = -1;
        api_observe_begin(s, c, method, r);
        r->route = api_route_match(url, r->id, &r->ordinal);
        if (r->route == API_ROUTE_NONE)
            r->keys = api_keys_route_match(url, r->id);
        if (r->route == API_ROUTE_NONE && r->keys == API_KEYS_NONE)
            r->live = api_live_route_match(url, r->id, r->file, sizeof r->file);
        /* RFC 9112 3.2: an HTTP/1.1 request without Host is refused. */
        if (strcmp(version, MHD_HTTP_VERSION_1_1) == 0 &&
            !MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST)) {
            r->early_body = api_error_json("an HTTP/1.1 request needs a Host header");
            r->early_status = MHD_HTTP_BAD_REQUEST;
        } else {
            r->early_status = check_headers(s, c, url, method, r);
        }
        if (!r->early_status)
            return MHD_YES;
        api_deadlines_busy(s, c, true);
        /* Answer now, without reading a body (the connection is then closed). */
        char *body = r->early_body;
        r->early_body = NULL;
        const char *hname = r->early_allow ? MHD_HTTP_HEADER_ALLOW : r->early_hname;
        const char *hvalue = r->early_allow ? r->early_allow : r->early_hvalue;
        enum MHD_Result ret = api_send_json(c, r->early_status, body, hname, hvalue);
        if (ret == MHD_YES)
            r->early_status = 1; /* answered */
        return ret;
    }
    if (*upload_size && r->spool_fd >= 0) {
        if (!r->too_large && !r->spool_failed) {
            if (r->spooled + *upload_size > s->cfg.max_test_data)
                r->too_large = true;
            else if (util_write_all(r->spool_fd, upload, *upload_size) < 0)
                r->spool_failed = errno ? errno : EIO;
            else
                r->spooled += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        /* Past the limit (chunked bodies have no declared length): drop the
         * rest and answer 413 at the end. */
        if (!r->early_status && !r->too_large) {
            if (r->len + *upload_size > s->cfg.body_max) {
                r->too_large = true;
                free(r->body);
                r->body = NULL;
                r->len = r->cap = 0;
            } else {
                if (r->len + *upload_size + 1 > r->cap) {
                    size_t cap = r->cap ? r->cap : 4096;
                    while (cap < r->len + *upload_size + 1)
                        cap *= 2;
                    char *nb = realloc(r->body, cap);
                    if (!nb)
                        return MHD_NO;
                    r->body = nb;
                    r->cap = cap;
                }
                memcpy(r->body + r->len, upload, *upload_size);
                r->len += *upload_size;
                r->body[r->len] = '\0';
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->early_status)
        return MHD_YES;
    api_deadlines_busy(s, c, true);
    if (r->too_large && r->spool_fd >= 0)
        return api_send_json(c, MHD_HTTP_CONTENT_TOO_LARGE,
                             api_error_json("the archive is over the %llu-byte limit (MAX_TEST_DATA)",
                                            (unsigned long long)s->cfg.max_test_data), NULL, NULL);
    if (r->spool_failed)
        return api_send_json(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                             api_error_json("spooling the upload: %s", strerror(r->spool_failed)), NULL, NULL);
    if (r->too_large)
        return api_send_json(c, MHD_HTTP_CONTENT_TOO_LARGE, api_error_json("the body is over the %zu-byte limit",
                                                                  s->cfg.body_max), NULL, NULL);
    if (strcmp(method, "POST") == 0 && r->len == 0)
        return api_send_json(c, MHD_HTTP_BAD_REQUEST, api_error_json("the body is empty: expected a JSON object"),
                             NULL, NULL);
    char *denied = NULL;
    unsigned owner = api_auth_check_owner(s, r, &denied);
    if (owner)
        return api_send_json(c, owner, denied, NULL, NULL);
    if (r->keys != API_KEYS_NONE)
        return api_keys_answer(s, c, r, method);
    if (r->route == API_ROUTE_TEST_INPUT || r->route == API_ROUTE_TEST_ANSWER || r->route == API_ROUTE_TEST_STDOUT)
        return answer_test_file(s, c, r);
    if ((r->route == API_ROUTE_SUBMISSIONS || r->route == API_ROUTE_QUESTIONS) && strcmp(r->method, "POST") != 0)
        return api_listing_answer(s, c, r, r->who.scopes & CORE_SCOPE_ADMIN ? NULL : r->who.key_id);
    if (r->route == API_ROUTE_HEALTHZ)
        return api_health_answer(s, c);
    if (r->route == API_ROUTE_METRICS)
        return api_metrics_answer(s, c);
    switch (r->route == API_ROUTE_NONE ? r->live : API_LIVE_NONE) {
    case API_LIVE_EVENTS: return api_events_answer(s, c, r);
    case API_LIVE_SESSIONS: return api_session_create(s, c, r);
    case API_LIVE_SESSION: return api_session_connect(s, c, r);
    case API_LIVE_STATIC: return api_static_answer(s, c, r);
    case API_LIVE_NONE: break;
    }
    answer_t a = {0};
    dispatch(s, r, &a);
    char *final;
    if (r->wait_s && a.status == MHD_HTTP_ACCEPTED && api_wait_final(s, a.id, r->wait_s, &final) == 1) {
        free(a.body);
        a.body = final;
        a.status = MHD_HTTP_OK;
    }
    return api_send_json(c, a.status, a.body, a.hname, a.hvalue);
}

void api_live_enter(api_server_t *s)
{
    pthread_mutex_lock(&s->live_mu);
    s->live++;
    pthread_mutex_unlock(&s->live_mu);
}

void api_live_leave(api_server_t *s)
{
    pthread_mutex_lock(&s->live_mu);
    s->live--;
    pthread_cond_broadcast(&s->live_cv);
    pthread_mutex_unlock(&s->live_mu);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode code)
{
    (void)code;
    request_t *r = *state;
    api_deadlines_busy(cls, c, false);
    if (r) {
        api_observe_end(cls, r);
        api_auth_release(cls, r);
        if (r->spool_fd >= 0)
            close(r->spool_fd);
        free(r->body);
        free(r->early_body);
        free(r);
        *state = NULL;
    }
}

static char *languages_json(const language_table_t *langs)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < langs->n; i++) {
        const language_t *l = &langs->langs[i];
        if (!l->listed)
            continue;
        json_t *aliases = json_array();
        for (size_t k = 0; aliases && k < l->naliases; k++)
            json_array_append_new(aliases, json_string(l->aliases[k]));
        json_array_append_new(arr, json_pack("{s:s, s:o, s:s}", "name", l->name, "aliases", aliases, "version",
                                             l->version));
    }
    char *out = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    return out;
}

static void pool_close(conn_pool_t *p, bool db)
{
    for (size_t i = 0; p->conns && i < p->n; i++) {
        if (db)
            store_close(p->conns[i]);
        else
            queue_close(p->conns[i]);
    }
    free(p->conns);
    free(p->last_used_ms);
    free(p->taken);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
}

int api_server_start(const api_config_t *cfg, const queue_url_t *redis, const language_table_t *langs,
                     api_server_t **out, nsj_error_t *err)
{
    *out = NULL;
    api_server_t *s = calloc(1, sizeof *s);
    if (!s)
        return nsj_error_set(err, ENOMEM, "api");
    s->cfg = *cfg;
    s->redis = *redis;
    s->langs = langs;
    s->web_fd = -1;
    pthread_mutex_init(&s->live_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->live_cv, &ca);
    pthread_condattr_destroy(&ca);
    /* The page: WEB_ROOT, else web/ found like the other data files. */
    if (strcmp(cfg->web_root, "none") == 0)
        s->web_root[0] = '\0';
    else if (cfg->web_root[0])
        snprintf(s->web_root, sizeof s->web_root, "%s", cfg->web_root);
    else if (paths_find_data("web/index.html", s->web_root, sizeof s->web_root) == 0)
        s->web_root[strlen(s->web_root) - strlen("/index.html")] = '\0';
    else
        s->web_root[0] = '\0'; /* no page installed: the API alone */
    if (s->web_root[0] && (s->web_fd = open(s->web_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        nsj_error_set(err, errno, "WEB_ROOT %s", s->web_root);
        err->errnum = EINVAL;
        goto fail;
    }
    s->languages_json = languages_json(langs);
    s->metrics = metrics_new();
    s->auth = api_auth_new();
    if (!s->languages_json || !s->metrics || api_observe_init(s) < 0 || !s->auth ||
        api_deadlines_start(cfg->request_deadline_ms, &s->deadlines) < 0 || pool_init(&s->db, cfg->db_connections) < 0 ||
        pool_init(&s->rq, cfg->redis_connections) < 0) {
        nsj_error_set(err, ENOMEM, "api");
        goto fail;
    }
    char port[16];
    snprintf(port, sizeof port, "%d", cfg->listen_port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai;
    int gai = getaddrinfo(cfg->listen_host, port, &hints, &ai);
    if (gai) {
        nsj_error_set(err, 0, "LISTEN %s: %s", cfg->listen_host, gai_strerror(gai));
        err->errnum = EINVAL;
        goto fail;
    }
    /* Thread per connection (see the top of this file); poll(), not
     * select(): no FD_SETSIZE ceiling on descriptor numbers. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
                     MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->httpd = MHD_start_daemon(flags, (uint16_t)cfg->listen_port, NULL, NULL, on_request, s,
                                MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                                MHD_OPTION_CONNECTION_LIMIT, (unsigned int)API_MAX_CONNECTIONS,
                                MHD_OPTION_THREAD_STACK_SIZE, (size_t)API_THREAD_STACK,
                                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
                                MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                MHD_OPTION_NOTIFY_CONNECTION, api_deadlines_notify, s,
                                MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)cfg->max_per_address,
                                MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!s->httpd) {
        nsj_error_set(err, 0, "cannot listen on %s:%d (in use, or not an address of this host)", cfg->listen_host,
                      cfg->listen_port);
        err->errnum = EADDRINUSE;
        goto fail;
    }
    *out = s;
    return 0;
fail:
    api_server_stop(s);
    return -1;
}

void api_server_stop(api_server_t *s)
{
    if (!s)
        return;
    /* Long-lived streams first: each notices within a second, ends its
     * stream or closes its WebSocket (which ends its session), and only
     * then may the daemon take the connections down. */
    atomic_store(&s->stopping, true);
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&s->live_mu);
    while (s->live > 0 && pthread_cond_timedwait(&s->live_cv, &s->live_mu, &until) == 0)
        ;
    if (s->live > 0)
        service_log("stopping with %u live streams still open", s->live);
    pthread_mutex_unlock(&s->live_mu);
    if (s->httpd)
        MHD_stop_daemon(s->httpd);
    api_deadlines_stop(s->deadlines);
    if (s->web_fd >= 0)
        close(s->web_fd);
    pthread_cond_destroy(&s->live_cv);
    pthread_mutex_destroy(&s->live_mu);
    if (s->db.conns)
        pool_close(&s->db, true);
    if (s->rq.conns)
        pool_close(&s->rq, false);
    free(s->languages_json);
    metrics_free(s->metrics);
    api_auth_free(s->auth);
    free(s);
}
