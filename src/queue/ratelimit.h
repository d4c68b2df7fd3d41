/* Rate limits and concurrency caps shared by every API host through Redis
 * (issue #13), each decided atomically by one Lua script (EVALSHA, loaded
 * again by EVAL when Redis lost its script cache):
 *   - token buckets: `rate` tokens a second up to `burst` each, several
 *     taken together or none (one round trip for all of a request's);
 *   - a lease set: at most `cap` holders at once, each a member of a
 *     sorted set scored by its expiry, so a holder that died frees its
 *     place when its lease runs out. */
#ifndef NSJ_QUEUE_RATELIMIT_H
#define NSJ_QUEUE_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nsjudge/error.h"
#include "queue/stream.h"

typedef struct queue_bucket {
    const char *key;
    double rate, burst;          /* tokens a second, most held */
} queue_bucket_t;

#define QUEUE_BUCKETS_MAX 4

/* Take up to want (at least 1) tokens from each of n buckets, the same
 * number from all or none: 0 with *retry_ms 0 and *taken (1..want) when
 * taken, else *retry_ms > 0 (nothing taken) says when every bucket will
 * have one, and *which the first bucket that had none. */
int queue_rate_take(queue_conn_t *q, const queue_bucket_t *b, size_t n, unsigned want, unsigned *taken,
                    uint64_t *retry_ms, size_t *which, nsj_error_t *err);

/* Hold one of cap places of the set at key as member for lease_ms:
 * *held true when taken (or renewed), false when all are held. */
int queue_lease_take(queue_conn_t *q, const char *key, const char *member, unsigned cap, uint64_t lease_ms,
                     bool *held, nsj_error_t *err);

/* Give a place back. */
int queue_lease_give(queue_conn_t *q, const char *key, const char *member, nsj_error_t *err);

#endif
