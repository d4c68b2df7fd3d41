/* Shared by the store's files: one libpq connection and query helpers. */
#ifndef NSJ_STORE_INTERNAL_H
#define NSJ_STORE_INTERNAL_H

#include <libpq-fe.h>

#include "store.h"

struct store {
    PGconn *conn;
};

/* Run sql with text parameters; the result when its status is want (or
 * PGRES_COMMAND_OK/TUPLES_OK as appropriate), else NULL + a classified err. */
PGresult *store_exec(store_t *s, const char *sql, int nparams, const char *const *params, nsj_error_t *err);

/* BEGIN / COMMIT; ROLLBACK ignores errors (the connection may be gone). */
int store_begin(store_t *s, nsj_error_t *err);
int store_commit(store_t *s, nsj_error_t *err);
void store_rollback(store_t *s);

/* Insert test cases (owner column "question_id" or "submission_id") with
 * ordinals 0..n-1; ids (may be NULL) get their UUIDs in order. */
int store_insert_tests(store_t *s, const char *owner_col, const char *owner_id, const store_new_test_t *tests,
                       size_t n, char (*ids)[STORE_UUID_LEN + 1], nsj_error_t *err);

/* A one-row, one-column text result as a malloc'd string; ENOENT when no row. */
int store_single_text(store_t *s, const char *sql, int nparams, const char *const *params, char **out,
                      nsj_error_t *err);

#endif
