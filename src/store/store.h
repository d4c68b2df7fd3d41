/* Postgres storage (libpq): migrations, questions, submissions, results.
 * A store_t is one connection, used by one thread at a time.
 *
 * Errors: err->errnum is EAGAIN when the connection or the server failed
 * (reconnect and retry: nothing was committed), ENOENT when a row does not
 * exist, EIO for any other refusal (bad data: retrying will not help). */
#ifndef NSJ_STORE_H
#define NSJ_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nsjudge/error.h"

#define STORE_UUID_LEN 36

typedef struct store store_t;

typedef struct store_new_test {
    const char *input;           /* NUL-terminated, valid UTF-8 */
    const char *expected;
    int64_t score;
} store_new_test_t;

typedef struct store_new_submission {
    const char *language;
    const char *source;
    const char *question_id;     /* NULL: the tests below come inline */
    const store_new_test_t *tests;
    size_t ntests;
} store_new_submission_t;

typedef struct store_new_question {
    const char *title;
    const char *statement;
    const store_new_test_t *tests;
    size_t ntests;
} store_new_question_t;

/* A submission as the queue carries it: everything a worker needs. */
typedef struct store_test {
    char id[STORE_UUID_LEN + 1];
    char *input;                 /* owned */
    char *expected;              /* owned */
    int64_t score;
} store_test_t;

typedef struct store_job {
    char submission_id[STORE_UUID_LEN + 1];
    char question_id[STORE_UUID_LEN + 1];   /* "" when inline */
    char language[32];
    char *source;                /* owned */
    store_test_t *tests;         /* owned, in order */
    size_t ntests;
} store_job_t;

/* One test's result; strings NUL-terminated, valid UTF-8, no NUL bytes. */
typedef struct store_test_result {
    const char *test_case_id;
    int ordinal;
    const char *status;
    bool passed;
    const char *out;
    const char *err;
    int64_t execution_ms, cpu_ms, memory_kb;
    int exit_code;               /* <0: NULL */
    int signal;                  /* 0: NULL */
    const char *evidence;
} store_test_result_t;

typedef struct store_outcome {
    const char *submission_id;
    const char *status;
    const char *out, *err;       /* of the first failing or the last test; may be NULL */
    int64_t execution_ms, memory_kb, score_awarded, max_score;
    const char *error;           /* internal_error reason, or NULL */
    const store_test_result_t *results;
    size_t nresults;
} store_outcome_t;

typedef enum store_start {
    STORE_STARTED,               /* now running */
    STORE_FINISHED,              /* already in a final state: nothing to do */
    STORE_MISSING,               /* no such submission */
} store_start_t;

/* Connect with a libpq URL or keyword string; app names the program. */
int store_connect(const char *conninfo, const char *app, store_t **out, nsj_error_t *err);

/* Close (NULL is fine). */
void store_close(store_t *s);

/* Has the connection failed (store_reconnect before using it again)? */
bool store_broken(const store_t *s);

/* Re-establish a failed connection. */
int store_reconnect(store_t *s, nsj_error_t *err);

/* SELECT 1. */
int store_ping(store_t *s, nsj_error_t *err);

/* Apply the numbered NNN_*.sql files of dir not yet in schema_migrations,
 * each in its own transaction, under an advisory lock (safe when several
 * programs start at once). *applied (may be NULL) gets how many ran. */
int store_migrate(store_t *s, const char *dir, int *applied, nsj_error_t *err);

/* Insert a submission (status queued) and its inline test cases in one
 * transaction and fill job with what the queue needs; ENOENT when
 * question_id names no question. */
int store_submission_create(store_t *s, const store_new_submission_t *in, store_job_t *job, nsj_error_t *err);

/* Mark a submission running unless it is already final or missing. */
int store_submission_start(store_t *s, const char *id, store_start_t *state, nsj_error_t *err);

/* Store every result and the final state in one transaction, only if the
 * submission is not final yet; *committed false means someone else had
 * already finished it (nothing changed). */
int store_submission_finish(store_t *s, const store_outcome_t *o, bool *committed, nsj_error_t *err);

/* Make a submission internal_error with a reason unless it is already final. */
int store_submission_fail(store_t *s, const char *id, const char *reason, bool *changed, nsj_error_t *err);

/* Pick up to limit submissions queued longer than queued_age_ms (or running
 * longer than running_age_ms; 0 = never) since they were last enqueued,
 * stamp them enqueued now and return them as jobs to enqueue again. Rows
 * another caller is stamping are skipped, so workers never both take one. */
int store_jobs_stale(store_t *s, int64_t queued_age_ms, int64_t running_age_ms, int limit, store_job_t **jobs,
                     size_t *njobs, nsj_error_t *err);

/* The submission with its per-test results, as a JSON object (malloc'd); ENOENT. */
int store_submission_json(store_t *s, const char *id, char **json, nsj_error_t *err);

/* Insert a question and its test cases; id gets its UUID. */
int store_question_create(store_t *s, const store_new_question_t *q, char id[STORE_UUID_LEN + 1], nsj_error_t *err);

/* The question with its test cases, as a JSON object (malloc'd); ENOENT. */
int store_question_json(store_t *s, const char *id, char **json, nsj_error_t *err);

/* ---- interactive sessions (docs/live.md) ---- */

typedef enum store_attach {
    STORE_ATTACH_OK,             /* attached now */
    STORE_ATTACH_TAKEN,          /* a WebSocket was attached before */
    STORE_ATTACH_MISSING,        /* no such session */
} store_attach_t;

/* Insert a session (status queued); id gets its UUID. */
int store_session_create(store_t *s, const char *language, char id[STORE_UUID_LEN + 1], nsj_error_t *err);

/* Mark the session attached unless it was already (atomic: one winner). */
int store_session_attach(store_t *s, const char *id, store_attach_t *state, nsj_error_t *err);

/* queued -> running (started_at now); false in *started when it was not queued. */
int store_session_start(store_t *s, const char *id, bool *started, nsj_error_t *err);

/* Final state ("finished" or "terminated") and the exit message, unless final already. */
int store_session_finish(store_t *s, const char *id, const char *status, const char *exit_json, nsj_error_t *err);

/* The session's status (cap >= 16) and, when final, its exit message
 * (malloc'd; NULL otherwise); ENOENT when there is no such session. */
int store_session_state(store_t *s, const char *id, char *status, size_t cap, char **exit_json, nsj_error_t *err);

/* A submission's status (cap >= 32); ENOENT when there is no such submission. */
int store_submission_status(store_t *s, const char *id, char *status, size_t cap, nsj_error_t *err);

/* Release what a job owns and zero it. */
void store_job_free(store_job_t *job);

/* Release an array of jobs from store_jobs_stale(). */
void store_jobs_free(store_job_t *jobs, size_t n);

#endif
