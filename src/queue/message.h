/* The queue message: one submission ready to run, as JSON on the stream.
 *   {"submission_id", "question_id", "language", "source_code",
 *    "test_cases": [{"id", "input", "expected_output", "score"}]}
 * Pure: bytes -> struct -> bytes, no Redis here (unit-tested and fuzzed). */
#ifndef NSJ_QUEUE_MESSAGE_H
#define NSJ_QUEUE_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nsjudge/error.h"

#define QUEUE_UUID_LEN 36
#define QUEUE_LANG_MAX 32
/* Bounds a message may claim, whatever produced it. */
#define QUEUE_MAX_TESTS 10000
#define QUEUE_MAX_SCORE 1000000000LL

typedef struct queue_test_case {
    char id[QUEUE_UUID_LEN + 1];
    char *input;                 /* owned, NUL-terminated; may hold NUL bytes */
    size_t input_len;
    char *expected;              /* owned */
    size_t expected_len;
    int64_t score;
} queue_test_case_t;

typedef struct queue_message {
    char submission_id[QUEUE_UUID_LEN + 1];
    char question_id[QUEUE_UUID_LEN + 1];   /* "" when the test cases came inline */
    char language[QUEUE_LANG_MAX];
    char *source;                /* owned */
    size_t source_len;
    queue_test_case_t *tests;    /* owned */
    size_t ntests;
} queue_message_t;

/* Is s a UUID in canonical text form (8-4-4-4-12 hex digits)? */
bool queue_uuid_valid(const char *s);

/* Parse a message. On failure fills err and returns <0; out->submission_id
 * is still set when that field alone was valid, so the caller can mark the
 * submission instead of losing it. Free with queue_message_free(). */
int queue_message_parse(const char *buf, size_t len, queue_message_t *out, nsj_error_t *err);

/* Encode a message as compact JSON (malloc'd, NUL-terminated); NULL on failure. */
char *queue_message_encode(const queue_message_t *m, size_t *len);

/* For the parsers of queue payloads (this file's and live_msg.c's): the
 * message in err, errnum EINVAL, and -1. */
int queue_payload_invalid(nsj_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Release what a message owns and zero it. */
void queue_message_free(queue_message_t *m);

#endif
