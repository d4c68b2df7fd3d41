/* GET /healthz: Postgres and Redis reachable, at least one worker alive
 * (its heartbeat in Redis, queue/health.h), the queue's depth and lag.
 * GET /healthz?live checks only that this API process answers: for a load
 * balancer, which must not take every API host out when the workers are
 * away. */
#define _GNU_SOURCE
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/health.h"
#include "queue/health.h"

unsigned api_health(api_server_t *s, bool live_only, char **body)
{
    json_t *o = json_object();
    if (live_only) {
        json_object_set_new(o, "status", json_string("ok"));
        *body = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        return MHD_HTTP_OK;
    }
    nsj_error_t derr, rerr;
    store_t *db;
    queue_conn_t *q;
    size_t slot;
    bool db_ok = false, redis_ok = false;
    json_t *workers = NULL;
    queue_stats_t st = {0};
    if (api_db_take(s, &db, &slot, &derr) == 0) {
        db_ok = store_ping(db, &derr) == 0;
        api_db_give(s, slot);
    }
    if (api_redis_take(s, &q, &slot, &rerr) == 0) {
        char *hb = NULL;
        redis_ok = queue_ping(q, &rerr) == 0 && queue_heartbeats(q, &hb, &rerr) == 0 &&
                   queue_stats(q, &st, &rerr) == 0;
        if (redis_ok)
            workers = json_loads(hb, 0, NULL);
        free(hb);
        api_redis_give(s, slot);
    }
    size_t alive = json_array_size(workers);
    json_object_set_new(o, "postgres", json_string(db_ok ? "ok" : derr.msg));
    json_object_set_new(o, "redis", json_string(redis_ok ? "ok" : rerr.msg));
    if (redis_ok) {
        json_object_set_new(o, "workers", workers ? workers : json_array());
        json_object_set_new(o, "workers_alive", json_integer((json_int_t)alive));
        json_object_set_new(o, "queue", json_pack("{s:I, s:I, s:f}", "depth", (json_int_t)st.depth, "pending",
                                                  (json_int_t)st.pending, "oldest_pending_age_seconds",
                                                  st.oldest_pending_s));
    }
    unsigned status = MHD_HTTP_OK;
    if (db_ok && redis_ok && alive > 0) {
        json_object_set_new(o, "status", json_string("ok"));
    } else {
        char msg[2 * NSJ_ERROR_MSG_MAX + 128] = "";
        size_t n = 0;
        if (!db_ok)
            n += (size_t)snprintf(msg + n, sizeof msg - n, "postgres: %s", derr.msg);
        if (!redis_ok && n < sizeof msg)
            n += (size_t)snprintf(msg + n, sizeof msg - n, "%sredis: %s", n ? "; " : "", rerr.msg);
        else if (!alive && n < sizeof msg)
            snprintf(msg + n, sizeof msg - n, "%sno worker alive (no heartbeat in the last %d s)", n ? "; " : "",
                     QUEUE_HEARTBEAT_TTL_MS / 1000);
        json_object_set_new(o, "status", json_string("unavailable"));
        json_object_set_new(o, "error", json_string(msg));
        status = MHD_HTTP_SERVICE_UNAVAILABLE;
    }
    *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return status;
}

enum MHD_Result api_health_answer(api_server_t *s, struct MHD_Connection *c)
{
    bool live_only = MHD_lookup_connection_value_n(c, MHD_GET_ARGUMENT_KIND, "live", strlen("live"), NULL, NULL) ==
                     MHD_YES;
    char *body = NULL;
    unsigned status = api_health(s, live_only, &body);
    return api_send_json(c, status, body, NULL, NULL);
}
