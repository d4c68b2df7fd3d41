/* GET /submissions/{id}/events: a submission's progress as Server-Sent
 * Events, read from the Redis stream codesce:events:<id> that the API
 * ("queued") and the worker ("running", each "result", the final "status")
 * append to. SSE ids are the stream's entry ids, so a reconnect with
 * Last-Event-ID resumes exactly after the last event the client got.
 *
 * The stream is followed with XREAD BLOCK on a connection of this request's
 * own (a pooled one would be held for minutes), in libmicrohttpd's content
 * reader callback, which may block: each connection has its own thread.
 * The stream ends after the final status event.
 *
 * Postgres is read at the start (404, and the status) and as a fallback,
 * never to follow progress:
 *  - no events stream (expired, lost by Redis, or a submission older than
 *    this feature) and the submission is final: its results and final
 *    status are sent once from Postgres, ids "0-1", "0-2", ...;
 *  - the stream falls silent for FALLBACK_MS while Postgres says the
 *    submission is final (a worker's append failed: publishing is best
 *    effort): the results not seen yet and the final status are sent from
 *    Postgres, and the stream ends. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "api/observe.h"
#include "core/job.h"
#include "common/util.h"
#include "queue/live.h"
#include "service/service.h"

#define BLOCK_MS 1000            /* XREAD wait: how soon a stop is noticed */
#define KEEPALIVE_MS 15000       /* a comment when nothing was sent this long */
#define FALLBACK_MS 5000         /* silence before Postgres is asked whether it is over */
#define MAX_ORDINALS 10000       /* QUEUE_MAX_TESTS */

typedef struct sse {
    api_server_t *s;
    char id[37];
    char key[LIVE_KEY_MAX];
    char last[LIVE_ID_MAX];      /* the last event id sent (or the client's Last-Event-ID) */
    queue_conn_t *q;
    char *buf;                   /* formatted, not yet handed to libmicrohttpd */
    size_t len, off, cap;
    bool started, final_seen, done;
    bool synth_tried;
    int fd;                      /* the client's socket, watched for its close (-1: unknown) */
    uint64_t last_sent_ms, last_event_ms;
    unsigned char seen[MAX_ORDINALS / 8]; /* ordinals of results sent */
} sse_t;

static uint64_t now_ms(void)
{
    return util_now_ns() / 1000000ULL;
}

static int append(sse_t *e, const char *p, size_t n)
{
    if (e->len + n > e->cap) {
        size_t ncap = e->cap ? e->cap : 4096;
        while (ncap < e->len + n)
            ncap *= 2;
        char *nb = realloc(e->buf, ncap);
        if (!nb)
            return -1;
        e->buf = nb;
        e->cap = ncap;
    }
    memcpy(e->buf + e->len, p, n);
    e->len += n;
    e->last_sent_ms = now_ms();
    return 0;
}

static int send_event(sse_t *e, const char *id, const char *type, const char *data, size_t len)
{
    size_t n;
    char *ev = api_sse_event(id, type, data, len, &n);
    int rc = ev ? append(e, ev, n) : -1;
    free(ev);
    if (rc == 0 && id)
        snprintf(e->last, sizeof e->last, "%s", id);
    return rc;
}

/* Note what an event says: results by ordinal, and whether it is the end. */
static void note(sse_t *e, const char *type, const char *data, size_t len)
{
    json_t *j = json_loadb(data, len, 0, NULL);
    if (strcmp(type, "result") == 0) {
        json_int_t o = json_integer_value(json_object_get(j, "ordinal"));
        if (o >= 0 && o < MAX_ORDINALS)
            e->seen[o / 8] |= (unsigned char)(1u << (o % 8));
    } else if (strcmp(type, "status") == 0 && core_status_name_final(json_string_value(json_object_get(j, "status")))) {
        e->final_seen = true;
    }
    json_decref(j);
}

/* The id after base ("ms-seq" -> "ms-(seq+k)"), for events made up from
 * Postgres: they sort after every event sent, so a client resuming from
 * one of them misses nothing the stream may still get. */
static void next_id(const char *base, uint64_t k, char *out, size_t cap)
{
    unsigned long long ms = 0, seq = 0;
    if (sscanf(base, "%llu-%llu", &ms, &seq) != 2)
        ms = seq = 0;
    snprintf(out, cap, "%llu-%llu", ms, seq + k);
}

/* Events made up from the submission's row: the results not sent yet and
 * the final status. Returns 1 when the submission was final (the stream
 * then ends), 0 when it is not final yet, <0 when Postgres failed. */
static int synthesize(sse_t *e)
{
    store_t *db;
    size_t slot;
    nsj_error_t err;
    if (api_db_take(e->s, &db, &slot, &err) < 0)
        return -1;
    core_submission_t sub;
    int rc = store_submission_get(db, e->id, &sub, &err);
    api_db_give(e->s, slot);
    if (rc < 0)
        return -1;
    const core_report_t *rep = &sub.report;
    if (!core_status_final(rep->status)) {
        core_submission_free(&sub);
        return 0;
    }
    /* After a real event, ids follow it. With no stream at all they are
     * "0-1", "0-2", ... every time, so a client resuming from "0-k" gets
     * the ones after k. */
    char base[LIVE_ID_MAX];
    unsigned long long ms = 1, skip = 0;
    if (strcmp(e->last, "0") == 0 || (sscanf(e->last, "%llu-%llu", &ms, &skip) == 2 && ms == 0))
        snprintf(base, sizeof base, "0-0");
    else
        snprintf(base, sizeof base, "%s", e->last), skip = 0;
    uint64_t k = 0;
    for (size_t i = 0; i < rep->ntests; i++) {
        const core_test_result_t *t = &rep->tests[i];
        int o = t->ordinal;
        if (o < 0 || o >= MAX_ORDINALS || (e->seen[o / 8] & (1u << (o % 8))))
            continue;
        live_result_t lr = {.ordinal = o, .status = core_status_name(t->status), .passed = t->passed,
                            .execution_ms = (int64_t)t->wall_ms, .cpu_ms = (int64_t)t->cpu_ms,
                            .memory_kb = (int64_t)t->memory_kb, .evidence = t->evidence,
                            .checker_message = t->checker_message, .group = t->group};
        char *data = live_event_result(&lr), id[LIVE_ID_MAX];
        next_id(base, ++k, id, sizeof id);
        if (data && k > skip)
            send_event(e, id, "result", data, strlen(data));
        free(data);
        e->seen[o / 8] |= (unsigned char)(1u << (o % 8));
    }
    const char *status = core_status_name(rep->status);
    live_final_t f = {.status = status, .score = rep->summarized ? rep->score : -1, .max_score = rep->max_score,
                      .execution_ms = rep->summarized ? (int64_t)rep->execution_ms : 0,
                      .memory_kb = rep->summarized ? (int64_t)rep->memory_kb : 0,
                      .error = rep->error[0] ? rep->error : NULL};
    char *data = live_event_status(status, &f), id[LIVE_ID_MAX];
    next_id(base, ++k, id, sizeof id);
    if (data && k > skip)
        send_event(e, id, "status", data, strlen(data));
    free(data);
    e->final_seen = true;
    core_submission_free(&sub);
    return 1;
}

static bool redis_ready(sse_t *e)
{
    if (!queue_broken(e->q))
        return true;
    queue_close(e->q);
    e->q = NULL;
    nsj_error_t err;
    return queue_connect(&e->s->redis, BLOCK_MS + 5000, &e->q, &err) == 0;
}

/* The client has closed (an EventSource closed, a tab gone): its FIN or
 * RST shows on the socket at once, while no write fails until the
 * keep-alive after next (~30 s), all that time holding a MAX_STREAMS
 * place. A client sends nothing after its request: only an end or an
 * error counts. */
static bool client_gone(const sse_t *e)
{
    struct pollfd p = {.fd = e->fd, .events = POLLRDHUP};
    return e->fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Fill the buffer with at least something: events, a keep-alive, or the end. */
static void fill(sse_t *e)
{
    if (!e->started) {
        e->started = true;
        /* Headers out at once, and how soon EventSource should reconnect. */
        const char hello[] = "retry: 1000\n: progress of a submission\n\n";
        append(e, hello, sizeof hello - 1);
        bool exists = true;
        nsj_error_t err;
        if (redis_ready(e) && live_exists(e->q, e->key, &exists, &err) == 0 && !exists && synthesize(e) == 1)
            e->done = true;
        /* Resuming: what the client has already (the events up to its
         * Last-Event-ID) must not come again, not even from the fallback. */
        unsigned long long ms = 0, seq;
        if (!e->done && exists && sscanf(e->last, "%llu-%llu", &ms, &seq) >= 1 && ms > 0) {
            live_entry_t *ents = NULL;
            size_t n = 0;
            if (redis_ready(e) && live_range(e->q, e->key, "-", e->last, 1000000, &ents, &n, &err) == 0)
                for (size_t i = 0; i < n; i++)
                    note(e, ents[i].type, ents[i].data ? ents[i].data : "", ents[i].len);
            live_entries_free(ents, n);
        }
        e->last_event_ms = now_ms();
        return;
    }
    while (e->len == e->off && !e->done) {
        if (atomic_load(&e->s->stopping)) {
            e->done = true; /* the client reconnects, to this server's successor */
            return;
        }
        if (client_gone(e)) {
            e->done = true;
            return;
        }
        if (e->final_seen) {
            e->done = true;
            return;
        }
        live_entry_t *ents = NULL;
        size_t n = 0;
        nsj_error_t err;
        if (!redis_ready(e) || live_read(e->q, e->key, e->last, BLOCK_MS, 100, &ents, &n, &err) < 0) {
            /* Redis away: wait a little (the keep-alive below still goes out). */
            struct timespec ts = {0, 200 * 1000000L};
            nanosleep(&ts, NULL);
        }
        for (size_t i = 0; i < n; i++) {
            send_event(e, ents[i].id, ents[i].type, ents[i].data ? ents[i].data : "", ents[i].len);
            note(e, ents[i].type, ents[i].data ? ents[i].data : "", ents[i].len);
        }
        live_entries_free(ents, n);
        uint64_t now = now_ms();
        if (n) {
            e->last_event_ms = now;
            e->synth_tried = false;
            continue;
        }
        if (now - e->last_event_ms >= FALLBACK_MS && !e->synth_tried) {
            e->synth_tried = true; /* once per silence, not a poll */
            if (synthesize(e) == 1)
                e->done = true;
        }
        if (e->len == e->off && now - e->last_sent_ms >= KEEPALIVE_MS) {
            const char ka[] = ": keep-alive\n\n";
            append(e, ka, sizeof ka - 1);
        }
    }
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    sse_t *e = cls;
    if (e->off == e->len) {
        e->off = e->len = 0;
        if (e->done)
            return MHD_CONTENT_READER_END_OF_STREAM;
        fill(e);
        if (e->off == e->len)
            return MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t n = e->len - e->off < max ? e->len - e->off : max;
    memcpy(buf, e->buf + e->off, n);
    e->off += n;
    return (ssize_t)n;
}

static void release(void *cls)
{
    sse_t *e = cls;
    queue_close(e->q);
    free(e->buf);
    api_live_leave(e->s);
    free(e);
}

enum MHD_Result api_events_answer(api_server_t *s, struct MHD_Connection *c, request_t *r)
{
    const char *last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
    if (last && *last && !live_entry_id_valid(last))
        return api_send_json(c, MHD_HTTP_BAD_REQUEST,
                             api_error_json("Last-Event-ID '%.64s' is not an event id of this stream", last), NULL,
                             NULL);
    store_t *db;
    size_t slot;
    nsj_error_t err;
    core_status_t status;
    if (api_db_take(s, &db, &slot, &err) < 0)
        return api_send_db_unavailable(c, &err);
    int rc = store_submission_status(db, r->id, &status, &err);
    api_db_give(s, slot);
    if (rc < 0)
        return api_send_store_error(c, "reading the submission", &err);
    sse_t *e = calloc(1, sizeof *e);
    if (!e)
        return MHD_NO;
    e->s = s;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    e->fd = ci ? ci->connect_fd : -1;
    memcpy(e->id, r->id, sizeof e->id);
    live_events_key(r->id, e->key);
    snprintf(e->last, sizeof e->last, "%s", last && *last ? last : "0");
    api_live_enter(s);
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, reader, e, release);
    if (!resp) {
        release(e);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream; charset=utf-8");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    /* Proxies such as nginx buffer responses unless told not to. */
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    enum MHD_Result ret = api_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}
