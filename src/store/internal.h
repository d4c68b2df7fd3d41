/* Shared by the store's files: one libpq connection and query helpers. */
#ifndef NSJ_STORE_INTERNAL_H
#define NSJ_STORE_INTERNAL_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "common/util.h"
#include "store.h"

/* Statements with parameters are prepared once per connection and then
 * only bound and executed: Postgres parses, analyses and (after a few runs,
 * for a generic plan) plans each text once, not at every call. Keyed by the
 * statement's text (the multi-row inserts give one text per row count); at
 * most STORE_PREPARED_MAX per connection, the least recently used
 * deallocated to make room. */
#define STORE_PREPARED_MAX 64

typedef struct store_prepared {
    char *sql;                   /* the text (a copy); NULL: free entry */
    uint64_t hash;
    unsigned long used;          /* the store's clock at its last use */
    int nparams;
    char name[40];               /* nsj_<the store's tag>_<serial>: unique on a server session */
} store_prepared_t;

struct store {
    PGconn *conn;
    store_prepared_t prepared[STORE_PREPARED_MAX];
    unsigned long clock;
    unsigned long long tag;      /* random: a pooler's server session may serve many stores */
    unsigned serial;             /* names handed out on this connection */
    bool prepare_off;            /* the server lost one (a pooler between): plain execution from now on */
};

/* Run sql with text parameters; the result when its status is want (or
 * PGRES_COMMAND_OK/TUPLES_OK as appropriate), else NULL + a classified err. */
PGresult *store_exec(store_t *s, const char *sql, int nparams, const char *const *params, nsj_error_t *err);

/* The same with binary parameters (formats[i] 1: lengths[i] bytes) and,
 * with result_format 1, binary results (bytea as its bytes). */
PGresult *store_exec_binary(store_t *s, const char *sql, int nparams, const char *const *params, const int *lengths,
                            const int *formats, int result_format, nsj_error_t *err);

/* Bytes in memory to store as a blob; out gets its hash and size. */
typedef struct store_mem {
    const char *data;
    size_t len;
    core_blob_t *out;
} store_mem_t;

/* Store n blobs from memory in a few statements (their heads in one, the
 * chunks of those not stored yet in another, per batch), in the caller's
 * transaction or in one of their own. */
int store_blobs_put_mem(store_t *s, store_mem_t *items, size_t n, nsj_error_t *err);

/* BEGIN / COMMIT; ROLLBACK ignores errors (the connection may be gone). */
int store_begin(store_t *s, nsj_error_t *err);
int store_commit(store_t *s, nsj_error_t *err);
void store_rollback(store_t *s);

/* Insert test cases (owner column "question_id" or "submission_id") with
 * ordinals 0..n-1; an inline test's bytes are stored as blobs first (its
 * input and answer refs are filled in). */
int store_insert_tests(store_t *s, const char *owner_col, const char *owner_id, int version, core_test_t *tests,
                       size_t n, nsj_error_t *err);

/* Load test cases (their blobs' hashes and sizes, not their bytes), in
 * order, of a question's version ("question_id") or of a submission
 * ("submission_id", version 1); *tests malloc'd. */
int store_load_tests(store_t *s, const char *owner_col, const char *owner_id, int version, core_test_t **tests,
                     size_t *n, nsj_error_t *err);

/* The columns of core_limits_t, in order, and how to read them back. */
#define STORE_LIMIT_COLUMNS "time_limit_ms, wall_limit_ms, memory_limit, output_limit"
void store_get_limits(const PGresult *r, int row, int col, core_limits_t *out);

/* Text parameters for a core_limits_t (NULL when unset); bufs holds the digits. */
void store_limit_params(const core_limits_t *l, char bufs[4][24], const char *params[4]);

/* A timestamp column as UTC ISO 8601 text. */
#define STORE_TIME(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* The ids in column 0 of r's rows (with status, only the rows whose column 1
 * is status) into a malloc'd *ids of *n; clears r. */
int store_take_ids(PGresult *r, const char *status, char (**ids)[STORE_UUID_LEN + 1], size_t *n, nsj_error_t *err);

/* A malloc'd copy of a text value (NULL column: NULL); *bad set when out of memory. */
char *store_dup(const PGresult *r, int row, int col, bool *bad);

/* judging.c: the judging column's text (NULL for the default; *bad set
 * when out of memory) and back; a report's subtask results and back. */
char *store_judging_text(const core_judging_t *j, bool *bad);
int store_judging_parse(const char *text, size_t ntests, core_judging_t *out, nsj_error_t *err);
/* Record a question version's judging (nothing for the default), inside the caller's transaction. */
int store_judging_put(store_t *s, const char *question_id, int version, const core_judging_t *j, nsj_error_t *err);
char *store_groups_text(const core_report_t *rep, bool *bad);
int store_groups_parse(const char *text, core_report_t *rep, nsj_error_t *err);

#endif
