/* The HTTP API on libmicrohttpd (its own thread pool), with small pools of
 * Postgres and Redis connections that reconnect on failure. */
#ifndef NSJ_API_SERVER_H
#define NSJ_API_SERVER_H

#include "judge/languages.h"
#include "nsjudge/error.h"
#include "queue/stream.h"
#include "service/config.h"

typedef struct api_server api_server_t;

/* Listen and serve; the first connections may be handed in (taken over). */
int api_server_start(const api_config_t *cfg, const queue_url_t *redis, const language_table_t *langs,
                     api_server_t **out, nsj_error_t *err);

/* Stop listening, finish the requests in progress and free everything. */
void api_server_stop(api_server_t *s);

#endif
