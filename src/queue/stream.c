/* Redis stream client. One connection is used by one thread at a time.
 *
 * Why a script for touching: XCLAIM with min-idle 0 resets a message's idle
 * time but takes the message from whoever holds it. A worker that missed
 * its heartbeats (Redis was away) must not steal back a message another
 * worker has reclaimed since, so ownership is checked in the same atomic
 * step. JUSTID keeps the delivery counter unchanged: touching is not a
 * delivery. */
#define _GNU_SOURCE
#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "internal.h"
#include "stream.h"

static const char touch_script[] =
    "local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)\n"
    "if #p == 0 or p[1][2] ~= ARGV[2] then return 0 end\n"
    "redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')\n"
    "return 1\n";

/* DELCONSUMER drops the consumer's pending entries, which nothing could
 * reclaim afterwards: the check and the delete must be one atomic step. */
static const char prune_script[] =
    "local n = 0\n"
    "for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do\n"
    "  local f = {}\n"
    "  for i = 1, #c, 2 do f[c[i]] = c[i + 1] end\n"
    "  if f['pending'] == 0 and f['idle'] >= tonumber(ARGV[2]) then\n"
    "    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], f['name'])\n"
    "    n = n + 1\n"
    "  end\n"
    "end\n"
    "return n\n";

int queue_url_parse(const char *url, queue_url_t *out, nsj_error_t *err)
{
    memset(out, 0, sizeof *out);
    if (!url || !*url)
        return nsj_error_kind(err, EINVAL, "empty Redis URL");
    if (strncmp(url, "unix://", 7) == 0) {
        const char *path = url + 7, *q = strchr(path, '?');
        size_t n = q ? (size_t)(q - path) : strlen(path);
        if (n == 0 || path[0] != '/' || n >= sizeof out->host)
            return nsj_error_kind(err, EINVAL, "Redis URL '%s': expected unix:///absolute/path[?db=N]", url);
        memcpy(out->host, path, n);
        if (q) {
            char *end;
            if (strncmp(q, "?db=", 4) != 0 || !q[4])
                return nsj_error_kind(err, EINVAL, "Redis URL '%s': only ?db=N is understood", url);
            long db = strtol(q + 4, &end, 10);
            if (*end || db < 0 || db > 1000000)
                return nsj_error_kind(err, EINVAL, "Redis URL '%s': bad database number", url);
            out->db = (int)db;
        }
        return 0;
    }
    if (strncmp(url, "redis://", 8) != 0)
        return nsj_error_kind(err, EINVAL, "Redis URL '%s' must start with redis:// or unix://", url);
    const char *p = url + 8;
    const char *slash = strchr(p, '/');
    const char *at = memrchr(p, '@', slash ? (size_t)(slash - p) : strlen(p));
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        size_t ulen = colon ? (size_t)(colon - p) : 0;
        const char *pw = colon ? colon + 1 : p;
        size_t plen = (size_t)(at - pw);
        if (ulen >= sizeof out->user || plen >= sizeof out->password)
            return nsj_error_kind(err, EINVAL, "Redis URL: user or password too long");
        memcpy(out->user, p, ulen);
        memcpy(out->password, pw, plen);
        p = at + 1;
    }
    const char *hend;
    if (*p == '[') {
        hend = strchr(p, ']');
        if (!hend)
            return nsj_error_kind(err, EINVAL, "Redis URL '%s': unterminated [IPv6 address]", url);
        size_t n = (size_t)(hend - p - 1);
        if (n == 0 || n >= sizeof out->host)
            return nsj_error_kind(err, EINVAL, "Redis URL '%s': bad host", url);
        memcpy(out->host, p + 1, n);
        hend++;
    } else {
        hend = p + strcspn(p, ":/");
        size_t n = (size_t)(hend - p);
        if (n == 0 || n >= sizeof out->host)
            return nsj_error_kind(err, EINVAL, "Redis URL '%s': missing or too long host", url);
        memcpy(out->host, p, n);
    }
    out->port = 6379;
    p = hend;
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port < 1 || port > 65535 || (*end && *end != '/'))
            return nsj_error_kind(err, EINVAL, "Redis URL '%s': bad port", url);
        out->port = (int)port;
        p = end;
    }
    if (*p == '/' && p[1]) {
        char *end;
        long db = strtol(p + 1, &end, 10);
        if (*end || db < 0 || db > 1000000)
            return nsj_error_kind(err, EINVAL, "Redis URL '%s': bad database number", url);
        out->db = (int)db;
    } else if (*p && strcmp(p, "/") != 0) {
        return nsj_error_kind(err, EINVAL, "Redis URL '%s': unexpected '%s'", url, p);
    }
    return 0;
}

/* Errors Redis gives while it cannot serve yet (loading its AOF after a
 * restart, a busy script, a replica without its master): retry later. */
static bool transient_reply(const char *s)
{
    static const char *const codes[] = {"LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN", "READONLY"};
    size_t n = strcspn(s, " ");   /* the error code is the first word */
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strlen(codes[i]) == n && strncmp(s, codes[i], n) == 0)
            return true;
    return false;
}

redisReply *queue_command(queue_conn_t *q, int argc, const char **argv, const size_t *lens, nsj_error_t *err)
{
    if (!q || !q->c || q->c->err) {
        nsj_error_kind(err, EAGAIN, "redis: %s", q && q->c && q->c->err ? q->c->errstr : "not connected");
        return NULL;
    }
    redisReply *r = redisCommandArgv(q->c, argc, argv, lens);
    if (!r) {
        nsj_error_kind(err, EAGAIN, "redis %s: %s", argv[0], q->c->errstr[0] ? q->c->errstr : "connection lost");
        return NULL;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        nsj_error_kind(err, transient_reply(r->str) ? EAGAIN : EPROTO, "redis %s: %s", argv[0], r->str);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

#define CMD(q, err, ...)                                                       \
    ({                                                                        \
        const char *argv_[] = {__VA_ARGS__};                                  \
        queue_command(q, (int)(sizeof argv_ / sizeof argv_[0]), argv_, NULL, err); \
    })

int queue_connect(const queue_url_t *url, int timeout_ms, queue_conn_t **out, nsj_error_t *err)
{
    *out = NULL;
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    redisContext *c = url->port ? redisConnectWithTimeout(url->host, url->port, tv)
                                : redisConnectUnixWithTimeout(url->host, tv);
    if (!c)
        return nsj_error_kind(err, EAGAIN, "redis: connect %s: out of memory", url->host);
    if (c->err) {
        nsj_error_kind(err, EAGAIN, "redis: connect %s:%d: %s", url->host, url->port, c->errstr);
        redisFree(c);
        return -1;
    }
    if (redisSetTimeout(c, tv) != REDIS_OK || (url->port && redisEnableKeepAlive(c) != REDIS_OK)) {
        nsj_error_kind(err, EAGAIN, "redis: set socket options: %s", c->errstr);
        redisFree(c);
        return -1;
    }
    queue_conn_t *q = calloc(1, sizeof *q);
    if (!q) {
        redisFree(c);
        return nsj_error_kind(err, ENOMEM, "redis: out of memory");
    }
    q->c = c;
    redisReply *r = NULL;
    if (url->password[0]) {
        r = url->user[0] ? CMD(q, err, "AUTH", url->user, url->password) : CMD(q, err, "AUTH", url->password);
        if (!r)
            goto fail;
        freeReplyObject(r);
    }
    if (url->db) {
        char db[16];
        snprintf(db, sizeof db, "%d", url->db);
        if (!(r = CMD(q, err, "SELECT", db)))
            goto fail;
        freeReplyObject(r);
    }
    *out = q;
    return 0;
fail:
    queue_close(q);
    return -1;
}

void queue_close(queue_conn_t *q)
{
    if (!q)
        return;
    if (q->c)
        redisFree(q->c);
    free(q);
}

bool queue_broken(const queue_conn_t *q)
{
    return !q || !q->c || q->c->err != 0;
}

int queue_ping(queue_conn_t *q, nsj_error_t *err)
{
    redisReply *r = CMD(q, err, "PING");
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}

int queue_ensure_group(queue_conn_t *q, nsj_error_t *err)
{
    return queue_ensure_group_on(q, QUEUE_STREAM, err);
}

int queue_ensure_group_on(queue_conn_t *q, const char *stream, nsj_error_t *err)
{
    /* From id 0: a group made after producers wrote must still see them. */
    redisReply *r = CMD(q, err, "XGROUP", "CREATE", stream, QUEUE_GROUP, "0", "MKSTREAM");
    if (r) {
        freeReplyObject(r);
        return 0;
    }
    return err->errnum == EPROTO && strstr(err->msg, "BUSYGROUP") ? 0 : -1;
}

int queue_enqueue(queue_conn_t *q, const char *payload, size_t len, char *id_out, size_t cap, nsj_error_t *err)
{
    return queue_enqueue_on(q, QUEUE_STREAM, payload, len, id_out, cap, err);
}

int queue_enqueue_on(queue_conn_t *q, const char *stream, const char *payload, size_t len, char *id_out, size_t cap,
                     nsj_error_t *err)
{
    const char *argv[] = {"XADD", stream, "*", QUEUE_FIELD, payload};
    size_t lens[] = {4, strlen(stream), 1, strlen(QUEUE_FIELD), len};
    redisReply *r = queue_command(q, 5, argv, lens, err);
    if (!r)
        return -1;
    int rc = 0;
    if (r->type != REDIS_REPLY_STRING)
        rc = nsj_error_kind(err, EPROTO, "redis XADD: unexpected reply type %d", r->type);
    else if (id_out)
        snprintf(id_out, cap, "%s", r->str);
    freeReplyObject(r);
    return rc;
}

void queue_delivery_free(queue_delivery_t *d)
{
    free(d->payload);
    memset(d, 0, sizeof *d);
}

/* One stream entry, [id, [field, value, ...]], into d: 1, or 0 when the
 * entry is nil (deleted from the stream while pending). */
static int take_entry(const redisReply *e, queue_delivery_t *d, nsj_error_t *err)
{
    memset(d, 0, sizeof *d);
    if (e->type == REDIS_REPLY_NIL)
        return 0;
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING)
        return nsj_error_kind(err, EPROTO, "redis: unexpected stream entry shape");
    snprintf(d->id, sizeof d->id, "%s", e->element[0]->str);
    const redisReply *fv = e->element[1];
    if (fv->type != REDIS_REPLY_ARRAY)
        return 1; /* deleted entry (Redis 6.2 style): no fields */
    for (size_t i = 0; i + 1 < fv->elements; i += 2) {
        const redisReply *f = fv->element[i], *v = fv->element[i + 1];
        if (f->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING && strcmp(f->str, QUEUE_FIELD) == 0) {
            d->payload = malloc(v->len + 1);
            if (!d->payload)
                return nsj_error_kind(err, ENOMEM, "redis: out of memory");
            memcpy(d->payload, v->str, v->len);
            d->payload[v->len] = '\0';
            d->len = v->len;
            break;
        }
    }
    return 1;
}

int queue_read(queue_conn_t *q, const char *consumer, int block_ms, queue_delivery_t *d, nsj_error_t *err)
{
    return queue_read_on(q, QUEUE_STREAM, consumer, block_ms, d, err);
}

int queue_read_on(queue_conn_t *q, const char *stream, const char *consumer, int block_ms, queue_delivery_t *d,
                  nsj_error_t *err)
{
    char block[24];
    snprintf(block, sizeof block, "%d", block_ms);
    redisReply *r = CMD(q, err, "XREADGROUP", "GROUP", QUEUE_GROUP, consumer, "COUNT", "1", "BLOCK", block, "STREAMS",
                        stream, ">");
    if (!r) {
        /* The stream or group vanished (Redis restarted without its data):
         * make them again and report "nothing yet". */
        if (err->errnum == EPROTO && strstr(err->msg, "NOGROUP"))
            return queue_ensure_group_on(q, stream, err);
        return -1;
    }
    int rc = 0;
    memset(d, 0, sizeof *d);
    if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1) {
        const redisReply *s = r->element[0];
        if (s->type == REDIS_REPLY_ARRAY && s->elements == 2 && s->element[1]->type == REDIS_REPLY_ARRAY &&
            s->element[1]->elements >= 1)
            rc = take_entry(s->element[1]->element[0], d, err);
        else
            rc = nsj_error_kind(err, EPROTO, "redis XREADGROUP: unexpected reply shape");
    } else if (r->type != REDIS_REPLY_NIL) {
        rc = nsj_error_kind(err, EPROTO, "redis XREADGROUP: unexpected reply type %d", r->type);
    }
    freeReplyObject(r);
    return rc;
}

int queue_claim_stale(queue_conn_t *q, const char *consumer, int64_t min_idle_ms, char *cursor, queue_delivery_t *d,
                      nsj_error_t *err)
{
    return queue_claim_stale_on(q, QUEUE_STREAM, consumer, min_idle_ms, cursor, d, err);
}

int queue_claim_stale_on(queue_conn_t *q, const char *stream, const char *consumer, int64_t min_idle_ms, char *cursor,
                         queue_delivery_t *d, nsj_error_t *err)
{
    char idle[24];
    snprintf(idle, sizeof idle, "%lld", (long long)min_idle_ms);
    memset(d, 0, sizeof *d);
    redisReply *r = CMD(q, err, "XAUTOCLAIM", stream, QUEUE_GROUP, consumer, idle, cursor, "COUNT", "1");
    if (!r) {
        if (err->errnum == EPROTO && strstr(err->msg, "NOGROUP"))
            return queue_ensure_group_on(q, stream, err);
        return -1;
    }
    /* Redis 7: [next cursor, [entries], [ids deleted from the stream]]. */
    int rc = 0;
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 || r->element[0]->type != REDIS_REPLY_STRING ||
        r->element[1]->type != REDIS_REPLY_ARRAY) {
        rc = nsj_error_kind(err, EPROTO, "redis XAUTOCLAIM: unexpected reply shape");
    } else {
        snprintf(cursor, 64, "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements && rc == 0; i++)
            rc = take_entry(r->element[1]->element[i], d, err);
    }
    freeReplyObject(r);
    return rc;
}

int queue_deliveries(queue_conn_t *q, const char *id, int64_t *count, nsj_error_t *err)
{
    *count = 0;
    redisReply *r = CMD(q, err, "XPENDING", QUEUE_STREAM, QUEUE_GROUP, id, id, "1");
    if (!r)
        return -1;
    int rc = 0;
    if (r->type != REDIS_REPLY_ARRAY)
        rc = nsj_error_kind(err, EPROTO, "redis XPENDING: unexpected reply type %d", r->type);
    else if (r->elements == 1) {
        const redisReply *e = r->element[0];
        if (e->type == REDIS_REPLY_ARRAY && e->elements == 4 && e->element[3]->type == REDIS_REPLY_INTEGER)
            *count = e->element[3]->integer;
        else
            rc = nsj_error_kind(err, EPROTO, "redis XPENDING: unexpected entry shape");
    }
    freeReplyObject(r);
    return rc;
}

int queue_touch(queue_conn_t *q, const char *consumer, const char *id, nsj_error_t *err)
{
    return queue_touch_on(q, QUEUE_STREAM, consumer, id, err);
}

int queue_touch_on(queue_conn_t *q, const char *stream, const char *consumer, const char *id, nsj_error_t *err)
{
    redisReply *r = CMD(q, err, "EVAL", touch_script, "1", stream, QUEUE_GROUP, consumer, id);
    if (!r)
        return -1;
    int rc = r->type == REDIS_REPLY_INTEGER ? (r->integer == 1)
                                            : nsj_error_kind(err, EPROTO, "redis touch: unexpected reply");
    freeReplyObject(r);
    return rc;
}

int queue_ack(queue_conn_t *q, const char *id, nsj_error_t *err)
{
    return queue_ack_on(q, QUEUE_STREAM, id, err);
}

int queue_ack_on(queue_conn_t *q, const char *stream, const char *id, nsj_error_t *err)
{
    redisReply *r = CMD(q, err, "XACK", stream, QUEUE_GROUP, id);
    if (!r)
        return -1;
    freeReplyObject(r);
    /* Acknowledged entries are of no further use: keep the stream short. */
    if (!(r = CMD(q, err, "XDEL", stream, id)))
        return -1;
    freeReplyObject(r);
    return 0;
}

int queue_prune_consumers(queue_conn_t *q, int64_t idle_ms, nsj_error_t *err)
{
    return queue_prune_consumers_on(q, QUEUE_STREAM, idle_ms, err);
}

int queue_prune_consumers_on(queue_conn_t *q, const char *stream, int64_t idle_ms, nsj_error_t *err)
{
    char idle[24];
    snprintf(idle, sizeof idle, "%lld", (long long)idle_ms);
    redisReply *r = CMD(q, err, "EVAL", prune_script, "1", stream, QUEUE_GROUP, idle);
    if (!r)
        return -1;
    int rc = r->type == REDIS_REPLY_INTEGER ? (int)r->integer
                                            : nsj_error_kind(err, EPROTO, "redis prune: unexpected reply");
    freeReplyObject(r);
    return rc;
}
