/* Live streams on Redis. Appends go through a script so that a batch of
 * entries and the key's expiry are one round trip and one atomic step: a
 * reader never sees a batch half written, and no key is left without its
 * expiry by a connection lost between two commands. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "live.h"

/* KEYS[1] the stream; ARGV[1] maxlen (0 = none), ARGV[2] ttl seconds (0 =
 * none), then type, data pairs. Returns the last id. */
static const char add_script[] =
    "local id = false\n"
    "for i = 3, #ARGV - 1, 2 do\n"
    "  if ARGV[1] ~= '0' then\n"
    "    id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'type', ARGV[i], 'data', ARGV[i + 1])\n"
    "  else\n"
    "    id = redis.call('XADD', KEYS[1], '*', 'type', ARGV[i], 'data', ARGV[i + 1])\n"
    "  end\n"
    "end\n"
    "if ARGV[2] ~= '0' then redis.call('EXPIRE', KEYS[1], ARGV[2]) end\n"
    "return id\n";

static int fail(nsj_error_t *err, const char *what, const redisReply *r)
{
    snprintf(err->msg, sizeof err->msg, "redis %s: unexpected reply type %d", what, r ? r->type : -1);
    err->errnum = EPROTO;
    return -1;
}

int live_add(queue_conn_t *q, const char *key, const live_item_t *items, size_t n, long maxlen, long ttl_s,
             char *id_out, size_t cap, nsj_error_t *err)
{
    if (n == 0)
        return 0;
    if (n == 1 && ttl_s <= 0) {
        /* One entry, no expiry to set: a plain XADD (a script costs Redis
         * several times the CPU, and results are most of the events). */
        char ml[24];
        snprintf(ml, sizeof ml, "%ld", maxlen);
        const char *with_max[] = {"XADD", key, "MAXLEN", "~", ml, "*", "type", items[0].type, "data",
                                  items[0].data ? items[0].data : ""};
        size_t lens[] = {4, strlen(key), 6, 1, strlen(ml), 1, 4, strlen(items[0].type), 4,
                         items[0].data ? items[0].len : 0};
        int off = maxlen > 0 ? 0 : 3; /* without MAXLEN ~ N */
        const char *argv[10];
        size_t alens[10];
        int argc1 = 0;
        for (int i = 0; i < 10; i++) {
            if (i >= 2 && i < 2 + off)
                continue;
            argv[argc1] = with_max[i];
            alens[argc1++] = lens[i];
        }
        redisReply *r = queue_command(q, argc1, argv, alens, err);
        if (!r)
            return -1;
        int rc = 0;
        if (r->type != REDIS_REPLY_STRING)
            rc = fail(err, "XADD", r);
        else if (id_out)
            snprintf(id_out, cap, "%s", r->str);
        freeReplyObject(r);
        return rc;
    }
    size_t argc = 6 + 2 * n;
    const char **argv = calloc(argc, sizeof *argv);
    size_t *lens = calloc(argc, sizeof *lens);
    if (!argv || !lens) {
        free(argv);
        free(lens);
        return nsj_error_set(err, ENOMEM, "redis: out of memory");
    }
    char ml[24], ttl[24];
    snprintf(ml, sizeof ml, "%ld", maxlen > 0 ? maxlen : 0);
    snprintf(ttl, sizeof ttl, "%ld", ttl_s > 0 ? ttl_s : 0);
    const char *fixed[] = {"EVAL", add_script, "1", key, ml, ttl};
    for (size_t i = 0; i < 6; i++) {
        argv[i] = fixed[i];
        lens[i] = strlen(fixed[i]);
    }
    for (size_t i = 0; i < n; i++) {
        argv[6 + 2 * i] = items[i].type;
        lens[6 + 2 * i] = strlen(items[i].type);
        argv[7 + 2 * i] = items[i].data ? items[i].data : "";
        lens[7 + 2 * i] = items[i].data ? items[i].len : 0;
    }
    redisReply *r = queue_command(q, (int)argc, argv, lens, err);
    free(argv);
    free(lens);
    if (!r)
        return -1;
    int rc = 0;
    if (r->type != REDIS_REPLY_STRING)
        rc = fail(err, "XADD", r);
    else if (id_out)
        snprintf(id_out, cap, "%s", r->str);
    freeReplyObject(r);
    return rc;
}

void live_entries_free(live_entry_t *e, size_t n)
{
    for (size_t i = 0; e && i < n; i++)
        free(e[i].data);
    free(e);
}

/* [id, [field, value, ...]] into e; 0, or <0 when the shape is wrong. */
static int take(const redisReply *r, live_entry_t *e)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING)
        return -1;
    snprintf(e->id, sizeof e->id, "%s", r->element[0]->str);
    const redisReply *fv = r->element[1];
    if (fv->type != REDIS_REPLY_ARRAY)
        return 0;
    for (size_t i = 0; i + 1 < fv->elements; i += 2) {
        const redisReply *f = fv->element[i], *v = fv->element[i + 1];
        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        if (strcmp(f->str, "type") == 0) {
            snprintf(e->type, sizeof e->type, "%s", v->str);
        } else if (strcmp(f->str, "data") == 0 && !e->data) {
            if (!(e->data = malloc(v->len + 1)))
                return -1;
            memcpy(e->data, v->str, v->len);
            e->data[v->len] = '\0';
            e->len = v->len;
        }
    }
    return 0;
}

/* An array of entries into *out. */
static int take_list(const redisReply *list, live_entry_t **out, size_t *n, nsj_error_t *err)
{
    live_entry_t *e = calloc(list->elements ? list->elements : 1, sizeof *e);
    if (!e)
        return nsj_error_set(err, ENOMEM, "redis: out of memory");
    for (size_t i = 0; i < list->elements; i++) {
        if (take(list->element[i], &e[i]) < 0) {
            live_entries_free(e, list->elements);
            return fail(err, "stream entry", list->element[i]);
        }
    }
    *out = e;
    *n = list->elements;
    return 0;
}

int live_range(queue_conn_t *q, const char *key, const char *start, const char *end, size_t count,
               live_entry_t **out, size_t *n, nsj_error_t *err)
{
    *out = NULL;
    *n = 0;
    char cnt[24];
    snprintf(cnt, sizeof cnt, "%zu", count ? count : 1);
    const char *argv[] = {"XRANGE", key, start, end, "COUNT", cnt};
    redisReply *r = queue_command(q, 6, argv, NULL, err);
    if (!r)
        return -1;
    int rc = r->type == REDIS_REPLY_ARRAY ? take_list(r, out, n, err) : fail(err, "XRANGE", r);
    freeReplyObject(r);
    return rc;
}

int live_read(queue_conn_t *q, const char *key, const char *after, int block_ms, size_t count, live_entry_t **out,
              size_t *n, nsj_error_t *err)
{
    *out = NULL;
    *n = 0;
    char cnt[24], block[24];
    snprintf(cnt, sizeof cnt, "%zu", count ? count : 1);
    snprintf(block, sizeof block, "%d", block_ms);
    const char *with_block[] = {"XREAD", "COUNT", cnt, "BLOCK", block, "STREAMS", key, after};
    const char *no_block[] = {"XREAD", "COUNT", cnt, "STREAMS", key, after};
    redisReply *r = block_ms > 0 ? queue_command(q, 8, with_block, NULL, err) : queue_command(q, 6, no_block, NULL, err);
    if (!r)
        return -1;
    int rc = 0;
    if (r->type == REDIS_REPLY_NIL) {
        /* timed out: nothing new */
    } else if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 || r->element[0]->type != REDIS_REPLY_ARRAY ||
               r->element[0]->elements != 2 || r->element[0]->element[1]->type != REDIS_REPLY_ARRAY) {
        rc = fail(err, "XREAD", r);
    } else {
        rc = take_list(r->element[0]->element[1], out, n, err);
    }
    freeReplyObject(r);
    return rc;
}

int live_expire(queue_conn_t *q, const char *key, long ttl_s, nsj_error_t *err)
{
    char ttl[24];
    snprintf(ttl, sizeof ttl, "%ld", ttl_s);
    const char *argv[] = {"EXPIRE", key, ttl};
    redisReply *r = queue_command(q, 3, argv, NULL, err);
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}

int live_exists(queue_conn_t *q, const char *key, bool *exists, nsj_error_t *err)
{
    const char *argv[] = {"EXISTS", key};
    redisReply *r = queue_command(q, 2, argv, NULL, err);
    if (!r)
        return -1;
    int rc = 0;
    if (r->type == REDIS_REPLY_INTEGER)
        *exists = r->integer > 0;
    else
        rc = fail(err, "EXISTS", r);
    freeReplyObject(r);
    return rc;
}

int live_delete(queue_conn_t *q, const char *key, nsj_error_t *err)
{
    const char *argv[] = {"DEL", key};
    redisReply *r = queue_command(q, 2, argv, NULL, err);
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}
