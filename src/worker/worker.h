/* The worker pool: WORKER_COUNT threads taking jobs from the stream,
 * judging them in the sandbox and storing the results, plus one
 * maintenance thread (heartbeats of messages in progress, stale rows
 * enqueued again, dead consumers pruned). */
#ifndef NSJ_WORKER_H
#define NSJ_WORKER_H

#include <stddef.h>

#include "judge/languages.h"
#include "nsjudge/sandbox.h"
#include "queue/stream.h"
#include "service/config.h"

typedef struct worker_pool worker_pool_t;

/* Start the threads (each connects on its own, retrying with backoff). */
int worker_pool_start(const worker_config_t *cfg, const queue_url_t *redis, nsj_sandbox_t *sb,
                      const language_table_t *langs, worker_pool_t **out, nsj_error_t *err);

/* Stop taking jobs; jobs in progress finish and are stored. */
void worker_pool_stop(worker_pool_t *p);

/* Also stop the runs in progress: their messages stay pending for another worker. */
void worker_pool_cancel(worker_pool_t *p);

/* An fd that becomes readable once every job thread has exited. */
int worker_pool_done_fd(const worker_pool_t *p);

/* Jobs in progress right now. */
size_t worker_pool_busy(worker_pool_t *p);

/* Wait for every thread (after stop) and free the pool. */
void worker_pool_free(worker_pool_t *p);

#endif
