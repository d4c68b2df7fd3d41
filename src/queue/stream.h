/* The job queue on a Redis stream with one consumer group (hiredis 0.14:
 * generic commands only). Messages are acknowledged only once their results
 * are stored; pending messages of a dead consumer are reclaimed with
 * XAUTOCLAIM; a consumer running a long job keeps its message by touching it.
 *
 * Errors: err->errnum is EAGAIN when the connection failed (reconnect and
 * retry), EPROTO when Redis answered with an error. */
#ifndef NSJ_QUEUE_STREAM_H
#define NSJ_QUEUE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nsjudge/error.h"

#define QUEUE_STREAM "codesce:submissions"
/* Interactive sessions (docs/live.md): jobs on a stream of their own, read
 * by the workers' session threads under the same group name. */
#define QUEUE_SESSIONS_STREAM "codesce:sessions"
#define QUEUE_GROUP "nsjudge-workers"
#define QUEUE_FIELD "payload"

typedef struct queue_url {
    char host[256];         /* or the socket path for unix:// */
    int port;               /* 0 for a unix socket */
    char user[128];
    char password[256];
    int db;
} queue_url_t;

typedef struct queue_conn queue_conn_t;

typedef struct queue_delivery {
    char id[64];            /* stream entry id */
    char *payload;          /* owned; NULL when the entry has no payload field */
    size_t len;
} queue_delivery_t;

/* Parse redis://[[user]:password@]host[:port][/db] or unix:///path[?db=N]. */
int queue_url_parse(const char *url, queue_url_t *out, nsj_error_t *err);

/* Connect (timeout_ms for connecting and for each reply), AUTH and SELECT. */
int queue_connect(const queue_url_t *url, int timeout_ms, queue_conn_t **out, nsj_error_t *err);

/* Close a connection (NULL is fine). */
void queue_close(queue_conn_t *q);

/* Has the connection failed (reconnect before using it again)? */
bool queue_broken(const queue_conn_t *q);

/* PING. */
int queue_ping(queue_conn_t *q, nsj_error_t *err);

/* Create the stream and the group reading it from the start, if missing. */
int queue_ensure_group(queue_conn_t *q, nsj_error_t *err);

/* XADD a payload; id_out (may be NULL) gets the entry id. */
int queue_enqueue(queue_conn_t *q, const char *payload, size_t len, char *id_out, size_t cap, nsj_error_t *err);

/* Read one new message for consumer, blocking up to block_ms: 1 = got one, 0 = none. */
int queue_read(queue_conn_t *q, const char *consumer, int block_ms, queue_delivery_t *d, nsj_error_t *err);

/* Claim one message pending longer than min_idle_ms from any consumer,
 * scanning from *cursor (a "0-0"-initialised buffer of 64, advanced here;
 * back at "0-0" when the scan wrapped): 1 = got one, 0 = none. */
int queue_claim_stale(queue_conn_t *q, const char *consumer, int64_t min_idle_ms, char *cursor, queue_delivery_t *d,
                      nsj_error_t *err);

/* Times a pending message was delivered (XPENDING); 0 when not pending. */
int queue_deliveries(queue_conn_t *q, const char *id, int64_t *count, nsj_error_t *err);

/* Reset a pending message's idle time if consumer still owns it: 1 = it
 * does, 0 = it does not (acknowledged, or claimed by another consumer). */
int queue_touch(queue_conn_t *q, const char *consumer, const char *id, nsj_error_t *err);

/* Acknowledge a message and delete it from the stream. */
int queue_ack(queue_conn_t *q, const char *id, nsj_error_t *err);

/* Remove consumers with nothing pending that were idle over idle_ms; returns how many. */
int queue_prune_consumers(queue_conn_t *q, int64_t idle_ms, nsj_error_t *err);

/* The same operations on another stream than QUEUE_STREAM (same group). */
int queue_ensure_group_on(queue_conn_t *q, const char *stream, nsj_error_t *err);
int queue_enqueue_on(queue_conn_t *q, const char *stream, const char *payload, size_t len, char *id_out, size_t cap,
                     nsj_error_t *err);
int queue_read_on(queue_conn_t *q, const char *stream, const char *consumer, int block_ms, queue_delivery_t *d,
                  nsj_error_t *err);
int queue_claim_stale_on(queue_conn_t *q, const char *stream, const char *consumer, int64_t min_idle_ms, char *cursor,
                         queue_delivery_t *d, nsj_error_t *err);
int queue_touch_on(queue_conn_t *q, const char *stream, const char *consumer, const char *id, nsj_error_t *err);
int queue_ack_on(queue_conn_t *q, const char *stream, const char *id, nsj_error_t *err);
int queue_prune_consumers_on(queue_conn_t *q, const char *stream, int64_t idle_ms, nsj_error_t *err);

/* Release a delivery's payload and zero it. */
void queue_delivery_free(queue_delivery_t *d);

#endif
