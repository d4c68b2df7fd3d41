/* A worker's heartbeat, metrics and job log lines (telemetry.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/metrics.h"
#include "common/util.h"
#include "queue/health.h"
#include "service/config.h"
#include "service/service.h"
#include "worker/telemetry.h"

#ifndef NSJ_VERSION
#define NSJ_VERSION "unknown"
#endif

struct telemetry {
    metrics_t *reg;
    metric_t *callbacks;
    metric_t *jobs, *queue_wait, *setup, *judge, *slots_busy, *slots_total, *internal_errors, *retries;
    struct MHD_Daemon *httpd;
    char id[192], host[128];
    int64_t started_ms;
    bool hb_failed;
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **state)
{
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)state;
    telemetry_t *t = cls;
    unsigned status = MHD_HTTP_OK;
    const char *ctype = "text/plain; version=0.0.4; charset=utf-8";
    char *body;
    if (strcmp(url, "/metrics") != 0) {
        status = MHD_HTTP_NOT_FOUND;
        ctype = "application/json";
        body = strdup("{\"error\":\"not found: this worker serves GET /metrics only\"}");
    } else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
        ctype = "application/json";
        body = strdup("{\"error\":\"method not allowed (allowed: GET, HEAD)\"}");
    } else {
        body = metrics_render(t->reg);
    }
    if (!body)
        return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static int serve(telemetry_t *t, const char *listen, nsj_error_t *err)
{
    char host[256];
    int port;
    if (config_parse_listen(listen, host, sizeof host, &port) < 0)
        return nsj_error_set(err, EINVAL, "METRICS_LISTEN '%s': expected host:port", listen);
    char ports[16];
    snprintf(ports, sizeof ports, "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai;
    int gai = getaddrinfo(host, ports, &hints, &ai);
    if (gai)
        return nsj_error_set(err, EINVAL, "METRICS_LISTEN %s: %s", host, gai_strerror(gai));
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    t->httpd = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, t, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                                MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64, MHD_OPTION_CONNECTION_TIMEOUT,
                                (unsigned int)10, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!t->httpd)
        return nsj_error_set(err, EADDRINUSE, "METRICS_LISTEN: cannot listen on %s", listen);
    return 0;
}

int telemetry_start(const char *name, const char *listen, telemetry_t **out, nsj_error_t *err)
{
    *out = NULL;
    telemetry_t *t = calloc(1, sizeof *t);
    if (!t || !(t->reg = metrics_new())) {
        free(t);
        return nsj_error_set(err, ENOMEM, "telemetry");
    }
    struct timeval tv;
    gettimeofday(&tv, NULL);
    t->started_ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
    snprintf(t->host, sizeof t->host, "%s", name);
    snprintf(t->id, sizeof t->id, "%s-%d", name, (int)getpid());
    const double *b = metrics_seconds_buckets;
    size_t nb = metrics_seconds_nbuckets;
    t->jobs = metrics_counter(t->reg, "nsjudge_worker_jobs_total",
                              "Submissions judged and stored by this worker, by final status and language.",
                              "status,language");
    t->queue_wait = metrics_histogram(t->reg, "nsjudge_worker_queue_wait_seconds",
                                      "Time from a submission's queue entry to its delivery to this worker.",
                                      "language", b, nb);
    t->setup = metrics_histogram(t->reg, "nsjudge_worker_setup_seconds",
                                 "Time from delivery to the first run: marking it running and loading the job.",
                                 "language", b, nb);
    t->judge = metrics_histogram(t->reg, "nsjudge_worker_judge_seconds",
                                 "Time judging a submission: compiling and running every test, every attempt.",
                                 "language", b, nb);
    t->slots_busy = metrics_gauge(t->reg, "nsjudge_worker_slots_busy", "Job threads judging now, by kind.", "kind");
    t->slots_total = metrics_gauge(t->reg, "nsjudge_worker_slots", "Job threads of this worker, by kind.", "kind");
    t->internal_errors = metrics_counter(t->reg, "nsjudge_worker_internal_errors_total",
                                         "Submissions stored as internal_error, by the stage that failed.", "stage");
    t->retries = metrics_counter(t->reg, "nsjudge_worker_retries_total",
                                 "Jobs judged again after an internal_error (judge) or taken over from a consumer "
                                 "that stopped (redelivery).", "kind");
    t->callbacks = metrics_counter(t->reg, "nsjudge_worker_callback_attempts_total",
                                   "Callback deliveries attempted by this worker, by outcome (delivered, retry, failed).",
                                   "outcome");
    if (!t->callbacks || !t->jobs || !t->queue_wait || !t->setup || !t->judge || !t->slots_busy || !t->slots_total ||
        !t->internal_errors || !t->retries) {
        telemetry_free(t);
        return nsj_error_set(err, ENOMEM, "telemetry");
    }
    /* Series that exist from the start, at 0, so that rates work at once. */
    metric_add(t->retries, (const char *[]){"judge"}, 0);
    metric_add(t->retries, (const char *[]){"redelivery"}, 0);
    if (listen && listen[0] && serve(t, listen, err) < 0) {
        telemetry_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

void telemetry_free(telemetry_t *t)
{
    if (!t)
        return;
    if (t->httpd)
        MHD_stop_daemon(t->httpd);
    metrics_free(t->reg);
    free(t);
}

void telemetry_job(telemetry_t *t, const telemetry_job_t *j)
{
    if (!t)
        return;
    const char *const lang[] = {j->language};
    metric_add(t->jobs, (const char *[]){j->status, j->language}, 1);
    metric_observe(t->queue_wait, lang, j->queue_wait_s);
    metric_observe(t->setup, lang, j->setup_s);
    metric_observe(t->judge, lang, j->judge_s);
    if (strcmp(j->status, "internal_error") == 0)
        metric_add(t->internal_errors, (const char *[]){"judge"}, 1);
    char when[32];
    util_utc_iso8601(when, sizeof when);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:i, s:f, s:f, s:f}", "event", "job", "time",
                          when, "submission_id", j->submission_id,
                          "language", j->language, "status", j->status, "score", (json_int_t)j->score, "max_score",
                          (json_int_t)j->max_score, "attempts", (int)j->attempts, "queue_wait_s", j->queue_wait_s,
                          "setup_s", j->setup_s, "judge_s", j->judge_s);
    char *line = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    if (line)
        service_log("%s", line);
    free(line);
    json_decref(o);
}

void telemetry_judge_retry(telemetry_t *t)
{
    if (t)
        metric_add(t->retries, (const char *[]){"judge"}, 1);
}

void telemetry_redelivery(telemetry_t *t)
{
    if (t)
        metric_add(t->retries, (const char *[]){"redelivery"}, 1);
}

void telemetry_internal_error(telemetry_t *t, const char *stage)
{
    if (t)
        metric_add(t->internal_errors, (const char *[]){stage}, 1);
}

void telemetry_callback(telemetry_t *t, const char *outcome)
{
    if (t)
        metric_add(t->callbacks, (const char *[]){outcome}, 1);
}

void telemetry_heartbeat(telemetry_t *t, queue_conn_t *q, unsigned busy, unsigned total, unsigned sessions_busy,
                         unsigned sessions_total)
{
    if (!t)
        return;
    metric_set(t->slots_busy, (const char *[]){"submission"}, busy);
    metric_set(t->slots_total, (const char *[]){"submission"}, total);
    metric_set(t->slots_busy, (const char *[]){"session"}, sessions_busy);
    metric_set(t->slots_total, (const char *[]){"session"}, sessions_total);
    queue_heartbeat_t hb = {.id = t->id, .host = t->host, .pid = (long)getpid(), .slots_busy = busy,
                            .slots_total = total, .sessions_busy = sessions_busy, .sessions_total = sessions_total,
                            .version = NSJ_VERSION, .started_ms = t->started_ms};
    nsj_error_t err;
    if (queue_heartbeat_publish(q, &hb, &err) < 0) {
        if (!t->hb_failed)
            service_log("maintenance: publishing the heartbeat: %s", err.msg);
        t->hb_failed = true;
    } else {
        t->hb_failed = false;
    }
}

void telemetry_heartbeat_remove(telemetry_t *t, queue_conn_t *q)
{
    nsj_error_t err;
    if (t && q && queue_heartbeat_remove(q, t->id, &err) < 0)
        service_log("maintenance: removing the heartbeat: %s", err.msg);
}
