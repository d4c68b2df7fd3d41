/* Rate limits and concurrency caps shared by every API host through Redis
 * (issue #13), each decided atomically by one Lua script (EVALSHA, loaded
 * again by EVAL when Redis lost its script cache):
 *   - a token bucket: `rate` tokens a second up to `burst`;
 *   - a lease set: at most `cap` holders at once, each a member of a
 *     sorted set scored by its expiry, so a holder that died frees its
 *     place when its lease runs out. */
#ifndef NSJ_QUEUE_RATELIMIT_H
#define NSJ_QUEUE_RATELIMIT_H

#include <stdint.h>

#include "nsjudge/error.h"
#include "queue/stream.h"

/* Take cost tokens from the bucket at key: 0 when taken, else
 * *retry_ms > 0 (nothing taken) says when there will be enough. */
int queue_rate_take(queue_conn_t *q, const char *key, double rate, double burst, double cost, uint64_t *retry_ms,
                    nsj_error_t *err);

/* Hold one of cap places of the set at key as member for lease_ms:
 * *held true when taken (or renewed), false when all are held. */
int queue_lease_take(queue_conn_t *q, const char *key, const char *member, unsigned cap, uint64_t lease_ms,
                     bool *held, nsj_error_t *err);

/* Give a place back. */
int queue_lease_give(queue_conn_t *q, const char *key, const char *member, nsj_error_t *err);

#endif
