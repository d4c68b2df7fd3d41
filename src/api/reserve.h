/* Token reserves: a busy client's rate-limit tokens, taken from the shared
 * Redis buckets (queue/ratelimit.h) a batch at a time and spent here.
 *
 * Every request checks its client's buckets, and a Redis round trip per
 * request cost an API 12-18% of its submissions a second (make
 * bench-pipeline). A client that sent d requests in the last window
 * (API_RESERVE_WINDOW_MS) gets up to d tokens from Redis at its next
 * request (at most api_reserve_cap: 32, and 5% of the slowest bucket's
 * second), and spends the rest here, without Redis, within the window.
 * The limit still holds across API hosts: every token spent was taken
 * from the shared bucket first. What is left of a batch at the window's
 * end is not spent (giving it back would be exact only if the bucket had
 * not filled meanwhile, which Redis cannot tell): a client whose requests
 * stop short of a batch gets that many fewer, one batch at most a
 * window; another host may refuse it while this one holds part of its
 * tokens. A client that sends less than two requests a window, or whose
 * buckets refill less than 40 tokens a second, is never batched. A
 * refused client is refused here until Redis said it would have a token,
 * so a flood of requests over the limit costs no round trip each either. */
#ifndef NSJ_API_RESERVE_H
#define NSJ_API_RESERVE_H

#include <stdbool.h>
#include <stdint.h>

#define API_RESERVE_WINDOW_MS 50
#define API_RESERVE_BATCH_MAX 32

typedef struct api_reserve api_reserve_t;

api_reserve_t *api_reserve_new(void);
void api_reserve_free(api_reserve_t *r);

/* The largest batch for buckets whose slowest refills rate tokens a second. */
unsigned api_reserve_cap(double rate);

typedef enum {
    API_RESERVE_ASK,             /* ask Redis (api_reserve_put or _refused after) */
    API_RESERVE_SPENT,           /* a token of the reserve was spent on it */
    API_RESERVE_REFUSED,         /* Redis refused the client lately and has no token yet */
} api_reserve_outcome_t;

/* A request of the client and bucket set `name` at now_ms. ASK: ask
 * Redis for *want tokens (1..cap). REFUSED: *retry_ms and *which as Redis
 * said them, less the time since. */
api_reserve_outcome_t api_reserve_take(api_reserve_t *r, const char *name, unsigned cap, uint64_t now_ms,
                                       unsigned *want, uint64_t *retry_ms, size_t *which);

/* Redis gave got tokens for name at now_ms: one is the request's, the
 * rest are kept for the name's next requests until the window ends. */
void api_reserve_put(api_reserve_t *r, const char *name, unsigned got, uint64_t now_ms);

/* Redis refused name at now_ms, with no token before retry_ms (bucket
 * which): its requests until then are refused here, without Redis. */
void api_reserve_refused(api_reserve_t *r, const char *name, uint64_t retry_ms, size_t which, uint64_t now_ms);

#endif
