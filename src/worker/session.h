/* Interactive sessions on the worker (docs/live.md): one program run live,
 * its stdin fed from the session's input stream, its output published to
 * its output stream as it comes. The thread that takes session jobs lives
 * in worker.c; this is what it does with one. */
#ifndef NSJ_WORKER_SESSION_H
#define NSJ_WORKER_SESSION_H

#include <stdatomic.h>
#include <stdbool.h>

#include "judge/languages.h"
#include "nsjudge/sandbox.h"
#include "queue/live_msg.h"
#include "queue/stream.h"
#include "service/config.h"
#include "store/store.h"

typedef struct session_ctx {
    nsj_sandbox_t *sb;
    const worker_config_t *cfg;
    const queue_url_t *redis;
    const language_table_t *langs;
    const char (*rootfs)[4096];       /* per language; "" when it cannot run here */
    const char (*rootfs_err)[512];
    atomic_bool *stopping;           /* the worker is shutting down: end sessions */
    unsigned index;                  /* for log lines */
} session_ctx_t;

/* Run the session a job names from start to end: wait for its client to
 * attach, compile, run live, publish the exit and record it. *q is the
 * thread's connection (for the output stream; remade when it fails),
 * *q_in a second one for blocking reads of the input stream (made or
 * remade here), db the thread's Postgres connection (failures there are
 * logged: the client still gets everything through Redis). */
void session_run(const session_ctx_t *ctx, queue_conn_t **q, queue_conn_t **q_in, store_t *db, const live_job_t *job);

/* End a session whose message was taken over from a worker that stopped
 * (died, or lost Redis): a session is live and never runs twice, so it is
 * marked terminated and its client told so. */
void session_orphan(const session_ctx_t *ctx, queue_conn_t **q, store_t *db, const live_job_t *job);

#endif
