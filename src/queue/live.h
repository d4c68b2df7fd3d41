/* The live streams on Redis (docs/live.md): a submission's progress
 * events and an interactive session's two directions, each a stream of
 * entries with the fields "type" and "data" (src/queue/live_msg.h).
 * Errors as for the job queue: EAGAIN when the connection failed, EPROTO
 * when Redis said no. */
#ifndef NSJ_QUEUE_LIVE_H
#define NSJ_QUEUE_LIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "live_msg.h"
#include "stream.h"

typedef struct live_entry {
    char id[LIVE_ID_MAX];
    char type[32];
    char *data;                 /* owned, NUL-terminated; may hold NUL bytes */
    size_t len;
} live_entry_t;

typedef struct live_item {
    const char *type;
    const char *data;
    size_t len;
} live_item_t;

/* Append n entries to key in one atomic step (a script): each XADD with
 * MAXLEN ~ maxlen (0 = unbounded), then EXPIRE key ttl_s when ttl_s > 0.
 * id_out (may be NULL) gets the last entry's id. */
int live_add(queue_conn_t *q, const char *key, const live_item_t *items, size_t n, long maxlen, long ttl_s,
             char *id_out, size_t cap, nsj_error_t *err);

/* Entries after the id `after` ("0" = from the start), at most count,
 * waiting up to block_ms for the first (0 = do not wait). *n = 0 when
 * none came. Free with live_entries_free(). */
int live_read(queue_conn_t *q, const char *key, const char *after, int block_ms, size_t count, live_entry_t **out,
              size_t *n, nsj_error_t *err);

/* Entries from start to end inclusive ("-" and "+" for the ends), at most count. */
int live_range(queue_conn_t *q, const char *key, const char *start, const char *end, size_t count,
               live_entry_t **out, size_t *n, nsj_error_t *err);

void live_entries_free(live_entry_t *e, size_t n);

/* EXPIRE key ttl_s. */
int live_expire(queue_conn_t *q, const char *key, long ttl_s, nsj_error_t *err);

/* Does key exist? */
int live_exists(queue_conn_t *q, const char *key, bool *exists, nsj_error_t *err);

/* DEL key. */
int live_delete(queue_conn_t *q, const char *key, nsj_error_t *err);

#endif
