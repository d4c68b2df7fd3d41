/* What a worker process tells about itself: its heartbeat in Redis (for
 * GET /healthz), its Prometheus metrics (served on METRICS_LISTEN when set)
 * and one JSON log line per finished job. */
#ifndef NSJ_WORKER_TELEMETRY_H
#define NSJ_WORKER_TELEMETRY_H

#include <stdint.h>

#include "nsjudge/error.h"
#include "queue/stream.h"

typedef struct telemetry telemetry_t;

/* Create the registry and, when listen is not "", serve GET /metrics on
 * that "host:port" (EADDRINUSE or EINVAL when it cannot). name is the
 * worker's name (WORKER_NAME). */
int telemetry_start(const char *name, const char *listen, telemetry_t **out, nsj_error_t *err);

/* Stop serving and free (NULL is fine). */
void telemetry_free(telemetry_t *t);

typedef struct telemetry_job {
    const char *submission_id;
    const char *language;
    const char *status;          /* the stored final status */
    double queue_wait_s;         /* from the queue entry's time to its delivery here */
    double setup_s;              /* delivery to the first run: marking it running, loading the job */
    double judge_s;              /* every run of every attempt */
    unsigned attempts;
    int64_t score, max_score;
} telemetry_job_t;

/* A job finished and was stored: count it, time it, log a JSON line. */
void telemetry_job(telemetry_t *t, const telemetry_job_t *j);

/* A job judged again after an internal_error, or a message taken over from another consumer. */
void telemetry_judge_retry(telemetry_t *t);
void telemetry_redelivery(telemetry_t *t);

/* A submission made internal_error outside judging (loading, storing, poison messages). */
void telemetry_internal_error(telemetry_t *t, const char *stage);

/* A callback attempt's outcome ("delivered", "retry", "failed"). */
void telemetry_callback(telemetry_t *t, const char *outcome);

/* Publish the heartbeat (slots now busy and in all) on q; also updates the
 * slot gauges. Failures are logged once per outage, never fatal. */
void telemetry_heartbeat(telemetry_t *t, queue_conn_t *q, unsigned busy, unsigned total, unsigned sessions_busy,
                         unsigned sessions_total);

/* Remove the heartbeat: this worker is stopping. */
void telemetry_heartbeat_remove(telemetry_t *t, queue_conn_t *q);

#endif
