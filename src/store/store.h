/* Postgres storage (libpq): migrations, questions, submissions, results.
 * A store_t is one connection, used by one thread at a time.
 *
 * Errors: err->errnum is EAGAIN when the connection or the server failed
 * (reconnect and retry: nothing was committed), ENOENT when a row does not
 * exist, EINVAL when the request contradicts what is stored (the message
 * says how), EIO for any other refusal (bad data: retrying will not help). */
#ifndef NSJ_STORE_H
#define NSJ_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/job.h"
#include "nsjudge/error.h"

#define STORE_UUID_LEN 36

typedef struct store store_t;

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

/* Apply what the status table (core/status.h) says of the status columns:
 * their CHECK constraints, recorded in schema_migrations under a version
 * named after the table's contents, so a changed table is migrated once.
 * store_migrate() runs it after the files. */
int store_migrate_statuses(store_t *s, int *applied, nsj_error_t *err);

/* The SQL of that migration (malloc'd; NULL when out of memory) and its
 * version name (cap >= 64): pure, for the unit tests. */
char *store_statuses_sql(char *version, size_t cap);

/* Insert a submission (status queued) and, when job->question_id is "",
 * job's inline tests, in one transaction; id gets its UUID. ENOENT when
 * question_id names no question. */
int store_submission_create(store_t *s, core_job_t *job, char id[STORE_UUID_LEN + 1], nsj_error_t *err);

/* Mark a submission running unless it is already final or missing. */
int store_submission_start(store_t *s, const char *id, store_start_t *state, nsj_error_t *err);

/* Load everything a worker needs to judge a submission: language, source,
 * limits (the submission's own, else its question's) and tests; ENOENT. */
int store_job_load(store_t *s, const char *id, core_job_t *job, nsj_error_t *err);

/* Store every result and the final state in one transaction, only if the
 * submission is not final yet; *committed false means someone else had
 * already finished it (nothing changed). */
int store_submission_finish(store_t *s, const char *id, const core_report_t *rep, bool *committed,
                            nsj_error_t *err);

/* Make a submission internal_error with a reason unless it is already final. */
int store_submission_fail(store_t *s, const char *id, const char *reason, bool *changed, nsj_error_t *err);

/* Pick up to limit submissions queued longer than queued_age_ms (or running
 * longer than running_age_ms; 0 = never) since they were last enqueued,
 * stamp them enqueued now and return their ids (malloc'd) to enqueue again.
 * Rows another caller is stamping are skipped, so workers never both take one. */
int store_jobs_stale(store_t *s, int64_t queued_age_ms, int64_t running_age_ms, int limit,
                     char (**ids)[STORE_UUID_LEN + 1], size_t *n, nsj_error_t *err);

/* The submission with its per-test results (its tests are not loaded); ENOENT. */
int store_submission_get(store_t *s, const char *id, core_submission_t *out, nsj_error_t *err);

/* Insert a question, its test cases and its judging (version 1); id gets its UUID. */
int store_question_create(store_t *s, core_question_t *q, char id[STORE_UUID_LEN + 1], nsj_error_t *err);

/* The question with its current version's test cases (hashes and sizes,
 * not their bytes); ENOENT. */
int store_question_get(store_t *s, const char *id, core_question_t *out, nsj_error_t *err);

/* The whole stdout kept of test n (0-based) of a submission that asked for
 * keep_output; ENOENT when there is none. */
int store_submission_stdout(store_t *s, const char *id, long n, core_blob_t *out, nsj_error_t *err);

/* Test n (0-based) of a question's current version: its blobs; ENOENT. */
int store_question_test(store_t *s, const char *id, long n, core_test_t *out, nsj_error_t *err);

/* Replace a question's tests (their blobs stored already): a new version
 * with judging (checker and subtasks), or the previous version's when it is
 * NULL; *version gets it. Submissions made before keep theirs, checker
 * included. ENOENT; EINVAL when the kept subtasks name an ordinal the new
 * tests lack. */
int store_question_replace_tests(store_t *s, const char *id, core_test_t *tests, size_t n,
                                 const core_judging_t *judging, int *version, nsj_error_t *err);

/* ---- blobs: test data stored once by SHA-256 (blobs.c) ---- */

#define STORE_BLOB_CHUNK (1 << 20)

/* Store bytes as a blob (nothing when it is there already); out gets its
 * hash and size. Inside the caller's transaction, else in one of its own. */
int store_blob_put_mem(store_t *s, const char *data, size_t len, core_blob_t *out, nsj_error_t *err);

/* Store a file whose hash and size the caller computed while writing it
 * (nothing when the blob is there already), a chunk at a time; inside the
 * caller's transaction, else in one of its own. */
int store_blob_put_fd(store_t *s, int fd, const core_blob_t *blob, nsj_error_t *err);

/* Read a blob a chunk at a time into sink (which returns <0 to fail, >0
 * to stop early); *size gets the bytes given. ENOENT when there is no
 * such blob. */
int store_blob_read(store_t *s, const char *sha, int (*sink)(void *ud, const void *data, size_t len), void *ud,
                    uint64_t *size, nsj_error_t *err);

/* Blobs of at most STORE_BLOB_CHUNK bytes are whole in their first chunk:
 * read those of shas[0..n) in one query, each given to each() (<0 stops
 * it); blobs not found are skipped. */
int store_blobs_read_small(store_t *s, const char *const *shas, size_t n,
                           int (*each)(void *ud, const char *sha, const void *data, size_t len), void *ud,
                           nsj_error_t *err);

/* ---- listings, newest first (listing.c) ---- */

typedef struct store_list_query {
    const char *owner_key_id;    /* only this API key's rows ("" = anonymous ones); NULL = everyone's */
    char question_id[STORE_UUID_LEN + 1]; /* "" = any (submissions only) */
    char status[32];             /* "" = any (submissions only) */
    int limit;                   /* rows per page */
    bool after;                  /* start after this row (a cursor was given) */
    int64_t after_created_us;
    char after_id[STORE_UUID_LEN + 1];
} store_list_query_t;

typedef struct store_list_row {
    char id[STORE_UUID_LEN + 1];
    int64_t created_us;          /* for the next cursor */
    char created_at[CORE_TIME_MAX];
    /* submissions */
    char question_id[STORE_UUID_LEN + 1]; /* "" = inline tests */
    char language[32], status[32];
    int64_t score, max_score;    /* score -1 = not judged yet */
    char finished_at[CORE_TIME_MAX];      /* "" = not final */
    /* questions */
    char *title;                 /* owned */
    int version;
} store_list_row_t;

/* Up to q->limit rows (malloc'd; store_list_free them) and whether more follow. */
int store_submissions_list(store_t *s, const store_list_query_t *q, store_list_row_t **rows, size_t *n, bool *more,
                           nsj_error_t *err);
int store_questions_list(store_t *s, const store_list_query_t *q, store_list_row_t **rows, size_t *n, bool *more,
                         nsj_error_t *err);
void store_list_free(store_list_row_t *rows, size_t n);

/* ---- callbacks: the outbox a final submission's delivery waits in (callbacks.c) ---- */

typedef struct store_callback {
    char id[STORE_UUID_LEN + 1];             /* the delivery's idempotency id */
    char submission_id[STORE_UUID_LEN + 1];
    char *url;                   /* owned */
    int attempts;                /* this one included */
} store_callback_t;

/* Take up to max deliveries that are due, leasing them for lease_ms (a
 * deliverer that dies leaves them due again after that) and counting this
 * attempt; rows another caller is taking are skipped. */
int store_callbacks_claim(store_t *s, int64_t lease_ms, int max, store_callback_t **out, size_t *n, nsj_error_t *err);

typedef enum store_callback_outcome {
    STORE_CALLBACK_DELIVERED,
    STORE_CALLBACK_RETRY,        /* again in retry_ms */
    STORE_CALLBACK_FAILED,       /* given up */
} store_callback_outcome_t;

/* Record an attempt's outcome (error may be NULL when delivered). */
int store_callback_record(store_t *s, const char *id, store_callback_outcome_t outcome, int64_t retry_ms,
                          const char *error, nsj_error_t *err);

void store_callbacks_free(store_callback_t *c, size_t n);

/* Set (replace) an API key's callback secret (64 hex digits); ENOENT when
 * there is no such key or it is revoked. */
int store_key_set_callback_secret(store_t *s, const char *key_id, const char *secret, nsj_error_t *err);

/* The callback secret of the key that made a submission: 1 and out (65
 * bytes) when it has one, 0 when not (anonymous, or a key without one). */
int store_callback_secret_of(store_t *s, const char *submission_id, char out[65], nsj_error_t *err);

/* ---- interactive sessions (docs/live.md) ---- */

typedef enum store_attach {
    STORE_ATTACH_OK,             /* attached now */
    STORE_ATTACH_TAKEN,          /* a WebSocket was attached before */
    STORE_ATTACH_MISSING,        /* no such session */
} store_attach_t;

/* Insert a session (status queued) of a key ("" = anonymous) with its
 * program; id gets its UUID. */
int store_session_create(store_t *s, const char *language, const char *source, const char *key_id,
                         char id[STORE_UUID_LEN + 1], nsj_error_t *err);

/* A session's language (cap >= 32) and program (*source malloc'd), to
 * queue it when its WebSocket attaches; ENOENT. */
int store_session_job(store_t *s, const char *id, char *language, size_t cap, char **source, nsj_error_t *err);

/* Mark the session attached unless it was already (atomic: one winner). */
int store_session_attach(store_t *s, const char *id, store_attach_t *state, nsj_error_t *err);

/* queued -> running (started_at now); false in *started when it was not queued. */
int store_session_start(store_t *s, const char *id, bool *started, nsj_error_t *err);

/* Final state ("finished" or "terminated") and the exit message, unless final already. */
int store_session_finish(store_t *s, const char *id, const char *status, const char *exit_json, nsj_error_t *err);

/* The session's status (cap >= 16) and, when final, its exit message
 * (malloc'd; NULL otherwise); ENOENT when there is no such session. */
int store_session_state(store_t *s, const char *id, char *status, size_t cap, char **exit_json, nsj_error_t *err);

/* A submission's status; ENOENT when there is no such submission. */
int store_submission_status(store_t *s, const char *id, core_status_t *status, nsj_error_t *err);

/* ---- API keys and who owns what (keys.c, issue #13) ---- */

typedef struct store_key {
    char id[STORE_UUID_LEN + 1];
    char name[201];
    char scopes[64];             /* names joined by commas (core/scope.h) */
    char prefix[16];             /* the secret's first characters */
    char created_at[32];
    char revoked_at[32];         /* "" while valid */
} store_key_t;

/* Insert a key (its secret's SHA-256 only); id gets its UUID. */
int store_key_create(store_t *s, const char *name, const char *scopes, const char *secret_sha256,
                     const char *prefix, char id[STORE_UUID_LEN + 1], nsj_error_t *err);

/* The valid (not revoked) key whose secret has this hash; ENOENT when none. */
int store_key_find(store_t *s, const char *secret_sha256, store_key_t *out, nsj_error_t *err);

/* Every key, oldest first (*keys malloc'd). */
int store_key_list(store_t *s, store_key_t **keys, size_t *n, nsj_error_t *err);

/* Revoke a key (its submissions stay); ENOENT when no such key. Revoking
 * twice is fine. */
int store_key_revoke(store_t *s, const char *id, nsj_error_t *err);

/* Whose rows a caller may see: every row (admin), or those of one key
 * (key_id "" = the anonymous rows, NULL key_id). */
typedef struct store_owner {
    const char *key_id;
    bool all;
} store_owner_t;

typedef enum store_owned {
    STORE_OWNED_SUBMISSION,
    STORE_OWNED_SESSION,
} store_owned_t;

/* 0 when the row exists and owner may see it; ENOENT otherwise (a row
 * of another key is not found, as if it did not exist). */
int store_owner_check(store_t *s, store_owned_t what, const char *id, const store_owner_t *owner, nsj_error_t *err);

/* How many submissions of a key ("" = the anonymous ones) are queued or running. */
int store_owner_unfinished(store_t *s, const char *key_id, long *n, nsj_error_t *err);

/* Submissions not yet queued (enqueue failed, issue #13): mark one so that
 * store_jobs_unqueued() picks it; that stamps up to limit of them enqueued
 * now, clears their mark and returns their ids (malloc'd) to enqueue. */
int store_submission_mark_unqueued(store_t *s, const char *id, nsj_error_t *err);
int store_jobs_unqueued(store_t *s, int limit, char (**ids)[STORE_UUID_LEN + 1], size_t *n, nsj_error_t *err);

#endif
