/* Start-up shared by the two daemons (nsjudge-worker, nsjudge-api):
 * signals taken from a signalfd, waiting for Postgres and Redis with
 * backoff (either may start after us), and the database migrations. */
#ifndef NSJ_SERVICE_STARTUP_H
#define NSJ_SERVICE_STARTUP_H

#include <stdbool.h>

#include "queue/stream.h"
#include "store/store.h"

/* Block SIGTERM, SIGINT and SIGHUP in the calling thread (before any other
 * thread starts, so that every thread inherits the mask) and return a
 * signalfd for them, or -1 (perror'd with prog). */
int service_signals(const char *prog);

/* Wait up to ms (-1: for ever) for a signal on sfd; the signal or 0. */
int service_wait_signal(int sfd, int ms);

/* Connect to Postgres as app, retrying with backoff while it is
 * unavailable. NULL with *stopped set when a signal came first, NULL with
 * the reason on stderr on an error that waiting cannot cure. */
store_t *service_wait_postgres(const char *url, const char *app, int sfd, bool *stopped);

/* Apply the migrations of $NSJUDGE_SQL_DIR, else of the sql/ directory
 * found like the other data files; errors on stderr. 0 or -1. */
int service_migrate(store_t *db, const char *prog);

/* Connect to Redis and make sure the consumer group exists on both
 * streams (submissions and sessions) before the first XADD, retrying with
 * backoff; the connection, or NULL once a signal came (*stopped set). */
queue_conn_t *service_wait_redis(const queue_url_t *url, int timeout_ms, int sfd, bool *stopped);

#endif
