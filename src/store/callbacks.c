/* The callback outbox (sql/009_ops.sql): rows are made by a trigger in
 * the transaction that makes a submission final; deliverers lease them. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int store_callbacks_claim(store_t *s, int64_t lease_ms, int max, store_callback_t **out, size_t *n, nsj_error_t *err)
{
    *out = NULL;
    *n = 0;
    char lease[32], lim[16];
    snprintf(lease, sizeof lease, "%" PRId64, lease_ms);
    snprintf(lim, sizeof lim, "%d", max);
    const char *p[] = {lease, lim};
    PGresult *r = store_exec(s,
                             "UPDATE callback_outbox SET attempts = attempts + 1,"
                             " next_attempt_at = now() + $1::bigint * interval '1 millisecond'"
                             " WHERE id IN (SELECT id FROM callback_outbox WHERE delivered_at IS NULL"
                             " AND failed_at IS NULL AND next_attempt_at <= now() ORDER BY next_attempt_at"
                             " LIMIT $2::int FOR UPDATE SKIP LOCKED)"
                             " RETURNING id, submission_id, url, attempts",
                             2, p, err);
    if (!r)
        return -1;
    size_t rows = (size_t)PQntuples(r);
    store_callback_t *c = calloc(rows ? rows : 1, sizeof *c);
    bool bad = !c;
    for (size_t i = 0; c && i < rows; i++) {
        snprintf(c[i].id, sizeof c[i].id, "%s", PQgetvalue(r, (int)i, 0));
        snprintf(c[i].submission_id, sizeof c[i].submission_id, "%s", PQgetvalue(r, (int)i, 1));
        c[i].url = store_dup(r, (int)i, 2, &bad);
        c[i].attempts = atoi(PQgetvalue(r, (int)i, 3));
    }
    PQclear(r);
    if (bad) {
        /* The rows stay leased and become due again: nothing is lost. */
        store_callbacks_free(c, rows);
        return nsj_error_set(err, ENOMEM, "postgres: out of memory");
    }
    *out = c;
    *n = rows;
    return 0;
}

int store_callback_record(store_t *s, const char *id, store_callback_outcome_t outcome, int64_t retry_ms,
                          const char *error, nsj_error_t *err)
{
    char retry[32];
    snprintf(retry, sizeof retry, "%" PRId64, retry_ms);
    const char *p[] = {id, error, retry};
    static const char *const sql[] = {
        [STORE_CALLBACK_DELIVERED] = "UPDATE callback_outbox SET delivered_at = now(), last_error = $2 WHERE id = $1",
        [STORE_CALLBACK_RETRY] = "UPDATE callback_outbox SET last_error = $2,"
                                 " next_attempt_at = now() + $3::bigint * interval '1 millisecond' WHERE id = $1",
        [STORE_CALLBACK_FAILED] = "UPDATE callback_outbox SET failed_at = now(), last_error = $2 WHERE id = $1",
    };
    PGresult *r = store_exec(s, sql[outcome], outcome == STORE_CALLBACK_RETRY ? 3 : 2, p, err);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

void store_callbacks_free(store_callback_t *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++)
        free(c[i].url);
    free(c);
}

int store_key_set_callback_secret(store_t *s, const char *key_id, const char *secret, nsj_error_t *err)
{
    const char *p[] = {key_id, secret};
    PGresult *r = store_exec(s, "UPDATE api_keys SET callback_secret = $2 WHERE id = $1 AND revoked_at IS NULL", 2, p,
                             err);
    if (!r)
        return -1;
    bool found = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    return found ? 0 : nsj_error_set(err, ENOENT, "key %s not found (or revoked)", key_id);
}

int store_callback_secret_of(store_t *s, const char *submission_id, char out[65], nsj_error_t *err)
{
    const char *p[] = {submission_id};
    PGresult *r = store_exec(s,
                             "SELECT k.callback_secret FROM submissions s JOIN api_keys k ON k.id = s.key_id"
                             " WHERE s.id = $1 AND k.callback_secret IS NOT NULL",
                             1, p, err);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found)
        snprintf(out, 65, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return found;
}
