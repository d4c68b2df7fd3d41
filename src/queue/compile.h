/* Compile checks (issue #12): the API, which has no sandbox, asks the
 * workers to compile a question's custom checker before storing the
 * question, so that a checker that does not compile is a 400 with the
 * compiler's message at creation, not an internal_error on every
 * submission later. A request is a Redis list entry on codesce:compile
 * naming a reply list; one worker takes it (BRPOP), compiles the program
 * into its program cache (worker/progcache.h: the question's first
 * submission on that host then finds it compiled) and pushes the answer.
 * A request no worker takes in time is withdrawn: the API answers 503 and
 * nothing is stored. */
#ifndef NSJ_QUEUE_COMPILE_H
#define NSJ_QUEUE_COMPILE_H

#include <stddef.h>

#include "queue/stream.h"

#define QUEUE_COMPILE_LIST "codesce:compile"

/* Request: {"reply": key, "judging": {"checker": ...}} (core/judging.h). */
typedef enum queue_compile_outcome {
    QUEUE_COMPILE_OK,            /* it compiles (or needs no compiling) */
    QUEUE_COMPILE_ERROR,         /* the compiler refused it: message has its output */
    QUEUE_COMPILE_FAILED,        /* the worker could not try (host failure): message says why */
} queue_compile_outcome_t;

/* Send a request (payload: the judging JSON text) and wait up to
 * timeout_s for the answer: 0 with *outcome and message (malloc'd), 1 when
 * no worker answered in time (the request is withdrawn), <0 on a Redis
 * failure. q must have been connected with a reply timeout beyond timeout_s. */
int queue_compile_check(queue_conn_t *q, const char *judging_json, int timeout_s, queue_compile_outcome_t *outcome,
                        char **message, nsj_error_t *err);

/* Worker side: wait up to block_s for a request: 1 with its reply key
 * (cap >= 128) and judging JSON (malloc'd), 0 when none came, <0 on failure. */
int queue_compile_take(queue_conn_t *q, int block_s, char *reply_key, size_t cap, char **judging_json,
                       nsj_error_t *err);

/* Worker side: answer a request. */
int queue_compile_answer(queue_conn_t *q, const char *reply_key, queue_compile_outcome_t outcome, const char *message,
                         nsj_error_t *err);

#endif
