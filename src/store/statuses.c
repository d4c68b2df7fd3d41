/* The status columns' constraints, made from the status table (core/status.h):
 * submissions.status takes the statuses flagged SUB, submission_results.status
 * those flagged TEST, and nsjudge_status_final() (used by the queries that
 * must not touch a finished submission) is true for those flagged FINAL. The
 * migration is recorded under a version naming a hash of its SQL: a changed
 * table makes a new version, applied once like a file migration. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* "'a', 'b'" of the statuses with any of flags; NULL when out of memory. */
static char *status_list(unsigned flags)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    bool first = true;
    for (unsigned i = 0; i < CORE_STATUS_COUNT; i++) {
        if (!(core_status_flags((core_status_t)i) & flags))
            continue;
        fprintf(f, "%s'%s'", first ? "" : ", ", core_status_name((core_status_t)i));
        first = false;
    }
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

char *store_statuses_sql(char *version, size_t cap)
{
    char *sub = status_list(CORE_ST_SUB), *test = status_list(CORE_ST_TEST), *fin = status_list(CORE_ST_FINAL);
    char *sql = NULL;
    if (sub && test && fin &&
        asprintf(&sql,
                 "ALTER TABLE submissions DROP CONSTRAINT IF EXISTS submissions_status_check,\n"
                 "    ADD CONSTRAINT submissions_status_check CHECK (status IN (%s));\n"
                 "ALTER TABLE submission_results DROP CONSTRAINT IF EXISTS submission_results_status_check,\n"
                 "    ADD CONSTRAINT submission_results_status_check CHECK (status IN (%s));\n"
                 "CREATE OR REPLACE FUNCTION nsjudge_status_final(status text) RETURNS boolean\n"
                 "    LANGUAGE sql IMMUTABLE AS $$ SELECT status IN (%s) $$;\n",
                 sub, test, fin) < 0)
        sql = NULL;
    free(sub);
    free(test);
    free(fin);
    if (sql) {
        /* The basis is not FNV's (a digit short), and stays: it names the
         * migrations already applied. */
        uint64_t h = util_fnv1a(1469598103934665603ULL, sql, strlen(sql));
        snprintf(version, cap, "statuses-%016" PRIx64, h);
    }
    return sql;
}

int store_migrate_statuses(store_t *s, int *applied, nsj_error_t *err)
{
    char version[64];
    char *sql = store_statuses_sql(version, sizeof version);
    if (!sql)
        return nsj_error_set(err, ENOMEM, "status migration");
    const char *p[] = {version};
    PGresult *r = store_exec(s, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, p, err);
    int rc = -1;
    if (!r)
        goto out;
    bool done = PQntuples(r) > 0;
    PQclear(r);
    if (done) {
        rc = 0;
        goto out;
    }
    if (store_begin(s, err) < 0)
        goto out;
    r = store_exec(s, sql, 0, NULL, err);
    if (r) {
        PQclear(r);
        r = store_exec(s, "INSERT INTO schema_migrations (version) VALUES ($1)", 1, p, err);
    }
    if (!r || (PQclear(r), store_commit(s, err) < 0)) {
        store_rollback(s);
        nsj_error_wrap(err, "migration %s", version);
        goto out;
    }
    (*applied)++;
    rc = 0;
out:
    free(sql);
    return rc;
}
