/* Worker heartbeats and queue statistics in Redis, for GET /healthz.
 *
 * Each worker process writes its heartbeat, a JSON object, to the key
 * nsjudge:worker:<id> with an expiry (QUEUE_HEARTBEAT_TTL_MS) every
 * QUEUE_HEARTBEAT_EVERY_MS: a worker is alive while its key exists, so a
 * killed worker disappears by itself and a stopping one deletes its key. */
#ifndef NSJ_QUEUE_HEALTH_H
#define NSJ_QUEUE_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "queue/stream.h"

#define QUEUE_HEARTBEAT_PREFIX "nsjudge:worker:"
#define QUEUE_HEARTBEAT_EVERY_MS 2000
#define QUEUE_HEARTBEAT_TTL_MS 10000

typedef struct queue_heartbeat {
    const char *id;              /* "<host>-<pid>": unique per process */
    const char *host;
    long pid;
    unsigned slots_busy, slots_total;      /* submission threads */
    unsigned sessions_busy, sessions_total; /* session threads */
    const char *version;
    int64_t started_ms;          /* Unix time, ms */
} queue_heartbeat_t;

/* Write (or refresh) a worker's heartbeat with its expiry. */
int queue_heartbeat_publish(queue_conn_t *q, const queue_heartbeat_t *hb, nsj_error_t *err);

/* Delete a worker's heartbeat (it is stopping). */
int queue_heartbeat_remove(queue_conn_t *q, const char *id, nsj_error_t *err);

/* The heartbeats of the live workers: a JSON array text (malloc'd), each
 * element a worker's object with "last_seen" (Unix seconds) as written. */
int queue_heartbeats(queue_conn_t *q, char **out, nsj_error_t *err);

typedef struct queue_stats {
    long long depth;             /* entries in the submissions stream (waiting or in progress) */
    long long pending;           /* delivered to a worker, not yet acknowledged */
    double oldest_pending_s;     /* age of the oldest pending entry (0 when none) */
} queue_stats_t;

/* XLEN and XPENDING of the submissions stream; ages by Redis's clock. */
int queue_stats(queue_conn_t *q, queue_stats_t *out, nsj_error_t *err);

/* Age in seconds of a stream entry by its id ("<ms>-<seq>", Redis's clock)
 * against this host's clock; 0 when the id is malformed or in the future. */
double queue_entry_age_s(const char *entry_id);

#endif
