#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "internal.h"
#include "queue/compile.h"

static const char *const names[] = {"ok", "compile_error", "failed"};

/* An answer left unread (the API gave up) expires. */
#define REPLY_TTL_S "300"

int queue_compile_check(queue_conn_t *q, const char *judging_json, int timeout_s, queue_compile_outcome_t *outcome,
                        char **message, nsj_error_t *err)
{
    *message = NULL;
    unsigned char rnd[16];
    if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd)
        return nsj_error_set(err, errno, "compile check: getrandom");
    char key[128];
    int n = snprintf(key, sizeof key, "%s:reply:", QUEUE_COMPILE_LIST);
    for (size_t i = 0; i < sizeof rnd; i++)
        n += snprintf(key + n, sizeof key - (size_t)n, "%02x", rnd[i]);
    json_error_t jerr;
    json_t *judging = json_loads(judging_json, 0, &jerr);
    json_t *req = judging ? json_pack("{s:s, s:o}", "reply", key, "judging", judging) : NULL;
    char *payload = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!payload)
        return nsj_error_set(err, ENOMEM, "compile check: request");
    const char *push[] = {"LPUSH", QUEUE_COMPILE_LIST, payload};
    redisReply *r = queue_command(q, 3, push, NULL, err);
    if (!r) {
        free(payload);
        return -1;
    }
    freeReplyObject(r);
    char tmo[16];
    snprintf(tmo, sizeof tmo, "%d", timeout_s);
    const char *pop[] = {"BLPOP", key, tmo};
    r = queue_command(q, 3, pop, NULL, err);
    if (!r) {
        free(payload);
        return -1;
    }
    int rc = 1;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->type == REDIS_REPLY_STRING) {
        json_t *ans = json_loadb(r->element[1]->str, r->element[1]->len, 0, &jerr);
        const char *oc = json_string_value(json_object_get(ans, "outcome"));
        const char *msg = json_string_value(json_object_get(ans, "message"));
        *outcome = QUEUE_COMPILE_FAILED;
        for (size_t i = 0; oc && i < sizeof names / sizeof names[0]; i++)
            if (strcmp(oc, names[i]) == 0)
                *outcome = (queue_compile_outcome_t)i;
        *message = strdup(msg ? msg : (oc ? "" : "a worker's answer was not understood"));
        json_decref(ans);
        rc = *message ? 0 : nsj_error_set(err, ENOMEM, "compile check: answer");
    } else {
        /* Nobody answered: withdraw the request (a worker taking it later
         * would compile for no one). */
        const char *rem[] = {"LREM", QUEUE_COMPILE_LIST, "1", payload};
        redisReply *x = queue_command(q, 4, rem, NULL, err);
        if (x)
            freeReplyObject(x);
    }
    freeReplyObject(r);
    free(payload);
    return rc;
}

int queue_compile_take(queue_conn_t *q, int block_s, char *reply_key, size_t cap, char **judging_json,
                       nsj_error_t *err)
{
    *judging_json = NULL;
    char tmo[16];
    snprintf(tmo, sizeof tmo, "%d", block_s);
    const char *argv[] = {"BRPOP", QUEUE_COMPILE_LIST, tmo};
    redisReply *r = queue_command(q, 3, argv, NULL, err);
    if (!r)
        return -1;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[1]->type != REDIS_REPLY_STRING) {
        freeReplyObject(r);
        return 0;
    }
    json_error_t jerr;
    json_t *req = json_loadb(r->element[1]->str, r->element[1]->len, 0, &jerr);
    freeReplyObject(r);
    const char *key = json_string_value(json_object_get(req, "reply"));
    json_t *judging = json_object_get(req, "judging");
    int rc = 1;
    if (!key || strncmp(key, QUEUE_COMPILE_LIST ":reply:", strlen(QUEUE_COMPILE_LIST ":reply:")) != 0 ||
        strlen(key) >= cap || !json_is_object(judging))
        rc = nsj_error_set(err, EPROTO, "compile check: a malformed request (dropped)");
    else if (!(*judging_json = json_dumps(judging, JSON_COMPACT)))
        rc = nsj_error_set(err, ENOMEM, "compile check: request");
    else
        snprintf(reply_key, cap, "%s", key);
    json_decref(req);
    return rc;
}

int queue_compile_answer(queue_conn_t *q, const char *reply_key, queue_compile_outcome_t outcome, const char *message,
                         nsj_error_t *err)
{
    json_t *ans = json_pack("{s:s, s:s}", "outcome", names[outcome], "message", message ? message : "");
    char *data = ans ? json_dumps(ans, JSON_COMPACT) : NULL;
    json_decref(ans);
    if (!data)
        return nsj_error_set(err, ENOMEM, "compile check: answer");
    const char *push[] = {"LPUSH", reply_key, data};
    redisReply *r = queue_command(q, 3, push, NULL, err);
    free(data);
    if (!r)
        return -1;
    freeReplyObject(r);
    const char *exp[] = {"EXPIRE", reply_key, REPLY_TTL_S};
    r = queue_command(q, 3, exp, NULL, err);
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}
