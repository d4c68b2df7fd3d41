/* Where an entry waits in a stream: how many entries, itself included,
 * the group has not been handed yet up to it (issue #13: a session
 * waiting for a worker is told its place). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "queue/internal.h"
#include "queue/position.h"

int queue_position(queue_conn_t *q, const char *stream, const char *group, const char *entry, long *pos,
                   nsj_error_t *err)
{
    *pos = 0;
    const char *info[] = {"XINFO", "GROUPS", stream};
    redisReply *r = queue_command(q, 3, info, NULL, err);
    if (!r)
        return -1;
    char last[64] = "";
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const redisReply *g = r->element[i];
        bool ours = false;
        const char *delivered = NULL;
        for (size_t k = 0; g->type == REDIS_REPLY_ARRAY && k + 1 < g->elements; k += 2) {
            const redisReply *name = g->element[k], *v = g->element[k + 1];
            if (name->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
                continue;
            if (strcmp(name->str, "name") == 0)
                ours = strcmp(v->str, group) == 0;
            else if (strcmp(name->str, "last-delivered-id") == 0)
                delivered = v->str;
        }
        if (ours && delivered)
            snprintf(last, sizeof last, "%s", delivered);
    }
    freeReplyObject(r);
    if (!last[0])
        return nsj_error_set(err, ENOENT, "redis: no group %s on %s", group, stream);
    char from[72];
    snprintf(from, sizeof from, "(%s", last);
    const char *range[] = {"XRANGE", stream, from, entry, "COUNT", "100000"};
    r = queue_command(q, 6, range, NULL, err);
    if (!r)
        return -1;
    if (r->type == REDIS_REPLY_ARRAY)
        *pos = (long)r->elements;
    freeReplyObject(r);
    return 0;
}
