/* Shared by the queue's Redis files (stream.c, live.c): the connection and
 * the command helper. Not for other modules: they see queue_conn_t only. */
#ifndef NSJ_QUEUE_INTERNAL_H
#define NSJ_QUEUE_INTERNAL_H

#include <hiredis/hiredis.h>

#include "stream.h"

struct queue_conn {
    redisContext *c;
};

/* Run a command (binary-safe when lens is given); NULL + err when the
 * connection failed (EAGAIN, also for Redis's transient refusals such as
 * LOADING) or Redis said no (EPROTO). */
redisReply *queue_command(queue_conn_t *q, int argc, const char **argv, const size_t *lens, nsj_error_t *err);

#endif
