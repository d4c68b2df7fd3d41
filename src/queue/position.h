/* Where an entry waits in a stream (issue #13). */
#ifndef NSJ_QUEUE_POSITION_H
#define NSJ_QUEUE_POSITION_H

#include "nsjudge/error.h"
#include "queue/stream.h"

/* How many entries of stream, up to and including entry, group has not
 * been handed yet (0: a consumer has it). */
int queue_position(queue_conn_t *q, const char *stream, const char *group, const char *entry, long *pos,
                   nsj_error_t *err);

#endif
