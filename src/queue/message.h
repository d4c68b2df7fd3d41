/* The queue message: which submission to judge, never the job itself (the
 * worker loads that from Postgres, core/job.h), as JSON on the stream:
 *   {"submission_id": "<uuid>", "enqueued_ms": <Unix ms, optional>}
 * Other fields are ignored, so that messages written by an older or newer
 * version (the full job, before issue #11) still name their submission.
 * Pure: bytes -> struct -> bytes, no Redis here (unit-tested and fuzzed). */
#ifndef NSJ_QUEUE_MESSAGE_H
#define NSJ_QUEUE_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nsjudge/error.h"

#define QUEUE_UUID_LEN 36

typedef struct queue_message {
    char submission_id[QUEUE_UUID_LEN + 1];
    int64_t enqueued_ms;         /* when it was written (Unix ms); 0 = not said */
} queue_message_t;

/* Is s a UUID in canonical text form (8-4-4-4-12 hex digits)? */
bool queue_uuid_valid(const char *s);

/* Parse a message. On failure fills err and returns <0; out->submission_id
 * is still set when that field alone was valid, so the caller can mark the
 * submission instead of losing it. */
int queue_message_parse(const char *buf, size_t len, queue_message_t *out, nsj_error_t *err);

/* Encode a message as compact JSON (malloc'd, NUL-terminated); NULL on failure. */
char *queue_message_encode(const queue_message_t *m, size_t *len);

/* The message for a submission enqueued now (malloc'd); NULL when out of memory. */
char *queue_message_for(const char *submission_id, size_t *len);

/* For the parsers of queue payloads (this file's and live_msg.c's): the
 * message in err, errnum EINVAL, and -1. */
int queue_payload_invalid(nsj_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
