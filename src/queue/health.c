/* Worker heartbeats and queue statistics (health.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "queue/health.h"
#include "queue/internal.h"
#include "queue/live.h"

#define SCAN_BATCH "200"

int queue_heartbeat_publish(queue_conn_t *q, const queue_heartbeat_t *hb, nsj_error_t *err)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    json_t *o = json_pack("{s:s, s:s, s:I, s:i, s:i, s:i, s:i, s:s, s:f, s:f}", "id", hb->id, "host", hb->host,
                          "pid", (json_int_t)hb->pid, "slots_busy", (int)hb->slots_busy, "slots_total",
                          (int)hb->slots_total, "sessions_busy", (int)hb->sessions_busy, "sessions_total",
                          (int)hb->sessions_total, "version", hb->version, "started_at",
                          (double)hb->started_ms / 1000.0, "last_seen",
                          (double)tv.tv_sec + (double)tv.tv_usec / 1e6);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text)
        return nsj_error_set(err, ENOMEM, "heartbeat");
    char key[512], ttl[32];
    snprintf(key, sizeof key, QUEUE_HEARTBEAT_PREFIX "%s", hb->id);
    snprintf(ttl, sizeof ttl, "%d", QUEUE_HEARTBEAT_TTL_MS);
    const char *argv[] = {"SET", key, text, "PX", ttl};
    redisReply *r = queue_command(q, 5, argv, NULL, err);
    free(text);
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}

int queue_heartbeat_remove(queue_conn_t *q, const char *id, nsj_error_t *err)
{
    char key[512];
    snprintf(key, sizeof key, QUEUE_HEARTBEAT_PREFIX "%s", id);
    return live_delete(q, key, err);
}

/* GET each key (one that expired meanwhile is skipped). */
static int collect(queue_conn_t *q, const redisReply *keys, json_t *arr, nsj_error_t *err)
{
    for (size_t i = 0; i < keys->elements; i++) {
        const redisReply *k = keys->element[i];
        if (k->type != REDIS_REPLY_STRING)
            continue;
        const char *argv[] = {"GET", k->str};
        redisReply *r = queue_command(q, 2, argv, NULL, err);
        if (!r)
            return -1;
        json_t *o = r->type == REDIS_REPLY_STRING ? json_loadb(r->str, r->len, 0, NULL) : NULL;
        if (json_is_object(o))
            json_array_append_new(arr, o);
        else
            json_decref(o);
        freeReplyObject(r);
    }
    return 0;
}

int queue_heartbeats(queue_conn_t *q, char **out, nsj_error_t *err)
{
    *out = NULL;
    json_t *arr = json_array();
    if (!arr)
        return nsj_error_set(err, ENOMEM, "heartbeats");
    char cursor[64] = "0";
    do {
        const char *argv[] = {"SCAN", cursor, "MATCH", QUEUE_HEARTBEAT_PREFIX "*", "COUNT", SCAN_BATCH};
        redisReply *r = queue_command(q, 6, argv, NULL, err);
        if (!r) {
            json_decref(arr);
            return -1;
        }
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
            r->element[1]->type != REDIS_REPLY_ARRAY) {
            freeReplyObject(r);
            json_decref(arr);
            return nsj_error_set(err, EPROTO, "redis SCAN: unexpected reply");
        }
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        int rc = collect(q, r->element[1], arr, err);
        freeReplyObject(r);
        if (rc < 0) {
            json_decref(arr);
            return -1;
        }
    } while (strcmp(cursor, "0") != 0);
    *out = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return *out ? 0 : nsj_error_set(err, ENOMEM, "heartbeats");
}

int queue_stats(queue_conn_t *q, queue_stats_t *out, nsj_error_t *err)
{
    *out = (queue_stats_t){0};
    const char *xlen[] = {"XLEN", QUEUE_STREAM};
    redisReply *r = queue_command(q, 2, xlen, NULL, err);
    if (!r)
        return -1;
    out->depth = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
    freeReplyObject(r);
    const char *xp[] = {"XPENDING", QUEUE_STREAM, QUEUE_GROUP};
    r = queue_command(q, 3, xp, NULL, err);
    if (!r) {
        /* No group yet (no worker ever started): nothing is pending. */
        return err->errnum == EPROTO && strstr(err->msg, "NOGROUP") ? 0 : -1;
    }
    unsigned long long oldest_ms = 0;
    if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2 && r->element[0]->type == REDIS_REPLY_INTEGER) {
        out->pending = r->element[0]->integer;
        if (r->element[1]->type == REDIS_REPLY_STRING)
            oldest_ms = strtoull(r->element[1]->str, NULL, 10); /* "<ms>-<seq>" */
    }
    freeReplyObject(r);
    if (!out->pending)
        return 0;
    const char *time_argv[] = {"TIME"};
    r = queue_command(q, 1, time_argv, NULL, err);
    if (!r)
        return -1;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
        double now_ms = strtod(r->element[0]->str, NULL) * 1000.0 + strtod(r->element[1]->str, NULL) / 1000.0;
        out->oldest_pending_s = now_ms > (double)oldest_ms ? (now_ms - (double)oldest_ms) / 1000.0 : 0;
    }
    freeReplyObject(r);
    return 0;
}

double queue_entry_age_s(const char *entry_id)
{
    char *end;
    errno = 0;
    unsigned long long ms = strtoull(entry_id, &end, 10);
    if (errno || end == entry_id || *end != '-')
        return 0;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    double now = (double)tv.tv_sec * 1000.0 + (double)tv.tv_usec / 1000.0;
    return now > (double)ms ? (now - (double)ms) / 1000.0 : 0;
}
