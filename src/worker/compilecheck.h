/* The worker's compile-check thread (queue/compile.h): takes a question's
 * custom checker from the API before the question is stored, compiles it
 * into this host's program cache and answers whether it compiles. */
#ifndef NSJ_WORKER_COMPILECHECK_H
#define NSJ_WORKER_COMPILECHECK_H

#include <stdatomic.h>

#include "nsjudge/sandbox.h"
#include "queue/stream.h"
#include "worker/progcache.h"

typedef struct compilecheck_ctx {
    nsj_sandbox_t *sb;
    const queue_url_t *redis;
    progcache_langs_t where;         /* the languages and their rootfs */
    progcache_t *programs;
    const nsj_limits_t *limits;      /* the worker's defaults: a compile's base */
    atomic_bool *stopping;           /* return soon after it is set */
} compilecheck_ctx_t;

/* Take and answer compile checks until *ctx->stopping (a thread's body). */
void compilecheck_run(const compilecheck_ctx_t *ctx);

#endif
