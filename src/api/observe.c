/* Request ids, access log lines and the API's metrics (observe.h). */
#define _GNU_SOURCE
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>

#include "api/observe.h"
#include "common/metrics.h"
#include "common/util.h"
#include "service/service.h"

static __thread request_t *current;

int api_observe_init(api_server_t *s)
{
    metrics_t *m = s->metrics;
    s->m_requests = metrics_counter(m, "nsjudge_http_requests_total",
                                    "HTTP requests answered by the API, by route, method and status.",
                                    "route,method,status");
    s->m_duration = metrics_histogram(m, "nsjudge_http_request_duration_seconds",
                                      "Time from a request's headers to the end of its answer, by route.", "route",
                                      metrics_seconds_buckets, metrics_seconds_nbuckets);
    s->m_streams = metrics_gauge(m, "nsjudge_http_open_streams",
                                 "Long-lived answers open now (event streams, WebSockets, waits for a result).",
                                 NULL);
    s->m_refusals = metrics_counter(m, "nsjudge_rate_limit_refusals_total",
                                    "Requests refused by a rate limit or quota (429), by route.", "route");
    return s->m_requests && s->m_duration && s->m_streams && s->m_refusals ? 0 : -1;
}

/* A client's id is kept when it is 1..API_REQUEST_ID_MAX characters of
 * [A-Za-z0-9._:-] (safe in a header and a log line), else replaced. */
static bool id_ok(const char *v)
{
    size_t n = v ? strlen(v) : 0;
    if (n == 0 || n > API_REQUEST_ID_MAX)
        return false;
    return strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") == n;
}

void api_observe_begin(api_server_t *s, struct MHD_Connection *c, const char *method, request_t *r)
{
    (void)s;
    current = r;
    r->start_ns = util_now_ns();
    snprintf(r->method, sizeof r->method, "%s", method);
    const char *given = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Request-Id");
    if (id_ok(given)) {
        snprintf(r->request_id, sizeof r->request_id, "%s", given);
        return;
    }
    unsigned char b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        uint64_t t = util_now_ns();
        memcpy(b, &t, sizeof t);
        memcpy(b + 8, &r, sizeof r < 8 ? sizeof r : 8);
    }
    for (size_t i = 0; i < sizeof b; i++)
        snprintf(r->request_id + 2 * i, 3, "%02x", b[i]);
}

static const char *route_name(const request_t *r)
{
    if (r->route != API_ROUTE_NONE)
        return api_route_name(r->route);
    switch (r->live) {
    case API_LIVE_EVENTS: return "/submissions/{id}/events";
    case API_LIVE_SESSIONS: return "/sessions";
    case API_LIVE_SESSION: return "/sessions/{id}";
    case API_LIVE_STATIC: return "/{page}";
    case API_LIVE_NONE: break;
    }
    return "unmatched";
}

void api_observe_end(api_server_t *s, request_t *r)
{
    if (current == r)
        current = NULL;
    if (!r->start_ns)
        return;
    double secs = (double)(util_now_ns() - r->start_ns) / 1e9;
    const char *route = route_name(r);
    char status[16];
    snprintf(status, sizeof status, "%u", r->status);
    /* Methods outside the usual set are counted under one name: a client
     * must not grow the series without bound. */
    static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
    const char *method = "other";
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(r->method, known[i]) == 0)
            method = known[i];
    metric_add(s->m_requests, (const char *[]){route, method, status}, 1);
    /* Every 429 is a rate limit's or a quota's refusal (auth.c). */
    if (r->status == 429)
        metric_add(s->m_refusals, (const char *[]){route}, 1);
    metric_observe(s->m_duration, (const char *[]){route}, secs);
    char when[32];
    util_utc_iso8601(when, sizeof when);
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:i, s:f}", "event", "request", "time", when,
                          "request_id", r->request_id, "key_id",
                          r->who.key_id[0] ? json_string(r->who.key_id) : json_null(), "method", method, "route",
                          route, "status", (int)r->status, "duration_s", secs);
    if (o && r->id[0])
        json_object_set_new(o, "id", json_string(r->id));
    char *line = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    if (line)
        service_log("%s", line);
    free(line);
    json_decref(o);
    r->start_ns = 0;
}

enum MHD_Result api_queue_response(struct MHD_Connection *c, unsigned status, struct MHD_Response *resp)
{
    request_t *r = current;
    if (r) {
        r->status = status;
        MHD_add_response_header(resp, "X-Request-Id", r->request_id);
    }
    return MHD_queue_response(c, status, resp);
}

enum MHD_Result api_metrics_answer(api_server_t *s, struct MHD_Connection *c)
{
    pthread_mutex_lock(&s->live_mu);
    unsigned live = s->live;
    pthread_mutex_unlock(&s->live_mu);
    metric_set(s->m_streams, NULL, live);
    char *text = metrics_render(s->metrics);
    if (!text)
        return api_send_json(c, MHD_HTTP_SERVICE_UNAVAILABLE, api_error_json("out of memory"), NULL, NULL);
    struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    enum MHD_Result ret = api_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}
