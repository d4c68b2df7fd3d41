/* API keys, who owns a submission or a session, and submissions whose
 * enqueue failed (issue #13). Only a key's SHA-256 is stored: the secret
 * itself is shown once, when it is made. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define KEY_COLUMNS "id, name, scopes, prefix, " STORE_TIME("created_at") ", " \
                    "COALESCE(" STORE_TIME("revoked_at") ", '')"

static void get_key(const PGresult *r, int row, store_key_t *k)
{
    snprintf(k->id, sizeof k->id, "%s", PQgetvalue(r, row, 0));
    snprintf(k->name, sizeof k->name, "%s", PQgetvalue(r, row, 1));
    snprintf(k->scopes, sizeof k->scopes, "%s", PQgetvalue(r, row, 2));
    snprintf(k->prefix, sizeof k->prefix, "%s", PQgetvalue(r, row, 3));
    snprintf(k->created_at, sizeof k->created_at, "%s", PQgetvalue(r, row, 4));
    snprintf(k->revoked_at, sizeof k->revoked_at, "%s", PQgetvalue(r, row, 5));
}

int store_key_create(store_t *s, const char *name, const char *scopes, const char *secret_sha256,
                     const char *prefix, char id[STORE_UUID_LEN + 1], nsj_error_t *err)
{
    const char *p[] = {name, scopes, secret_sha256, prefix};
    PGresult *r = store_exec(s,
                             "INSERT INTO api_keys (name, scopes, secret_sha256, prefix)"
                             " VALUES ($1, $2, $3, $4) RETURNING id",
                             4, p, err);
    if (!r)
        return -1;
    snprintf(id, STORE_UUID_LEN + 1, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

int store_key_find(store_t *s, const char *secret_sha256, store_key_t *out, nsj_error_t *err)
{
    const char *p[] = {secret_sha256};
    PGresult *r = store_exec(s, "SELECT " KEY_COLUMNS " FROM api_keys WHERE secret_sha256 = $1"
                                " AND revoked_at IS NULL", 1, p, err);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found)
        get_key(r, 0, out);
    PQclear(r);
    return found ? 0 : nsj_error_kind(err, ENOENT, "%s", "no such key (or it was revoked)");
}

int store_key_list(store_t *s, store_key_t **keys, size_t *n, nsj_error_t *err)
{
    *keys = NULL;
    *n = 0;
    PGresult *r = store_exec(s, "SELECT " KEY_COLUMNS " FROM api_keys ORDER BY created_at, id", 0, NULL, err);
    if (!r)
        return -1;
    int rows = PQntuples(r);
    store_key_t *k = calloc(rows ? (size_t)rows : 1, sizeof *k);
    if (!k) {
        PQclear(r);
        return nsj_error_kind(err, ENOMEM, "%s", "postgres: out of memory");
    }
    for (int i = 0; i < rows; i++)
        get_key(r, i, &k[i]);
    PQclear(r);
    *keys = k;
    *n = (size_t)rows;
    return 0;
}

int store_key_revoke(store_t *s, const char *id, nsj_error_t *err)
{
    const char *p[] = {id};
    PGresult *r = store_exec(s, "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1"
                                " RETURNING 1", 1, p, err);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    PQclear(r);
    return found ? 0 : nsj_error_kind(err, ENOENT, "key %s not found", id);
}

int store_owner_check(store_t *s, store_owned_t what, const char *id, const store_owner_t *owner, nsj_error_t *err)
{
    const char *sql = what == STORE_OWNED_SESSION ? "SELECT key_id FROM sessions WHERE id = $1"
                                                  : "SELECT key_id FROM submissions WHERE id = $1";
    const char *p[] = {id};
    PGresult *r = store_exec(s, sql, 1, p, err);
    if (!r)
        return -1;
    bool visible = false;
    if (PQntuples(r) > 0) {
        const char *key = PQgetisnull(r, 0, 0) ? "" : PQgetvalue(r, 0, 0);
        visible = owner->all || strcmp(key, owner->key_id ? owner->key_id : "") == 0;
    }
    PQclear(r);
    if (visible)
        return 0;
    return nsj_error_kind(err, ENOENT, "%s %s not found", what == STORE_OWNED_SESSION ? "session" : "submission", id);
}

int store_owner_unfinished(store_t *s, const char *key_id, long *n, nsj_error_t *err)
{
    const char *p[] = {key_id && *key_id ? key_id : NULL};
    PGresult *r = store_exec(s, "SELECT count(*) FROM submissions WHERE key_id IS NOT DISTINCT FROM $1::uuid"
                                " AND status IN ('queued', 'running')", 1, p, err);
    if (!r)
        return -1;
    *n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return 0;
}

int store_submission_mark_unqueued(store_t *s, const char *id, nsj_error_t *err)
{
    const char *p[] = {id};
    PGresult *r = store_exec(s, "UPDATE submissions SET enqueue_failed = true WHERE id = $1 AND status = 'queued'",
                             1, p, err);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

int store_jobs_unqueued(store_t *s, int limit, char (**ids)[STORE_UUID_LEN + 1], size_t *n, nsj_error_t *err)
{
    *ids = NULL;
    *n = 0;
    char lim[24];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p[] = {lim};
    /* Stamped and unmarked before the caller enqueues: if that fails too,
     * STALE_QUEUED_AGE's sweep still finds the row (it stays queued). */
    PGresult *r = store_exec(s,
                             "UPDATE submissions SET enqueue_failed = false, enqueued_at = now() WHERE id IN ("
                             " SELECT id FROM submissions WHERE enqueue_failed"
                             " ORDER BY enqueued_at LIMIT $1::int FOR UPDATE SKIP LOCKED)"
                             " RETURNING id, status",
                             1, p, err);
    return r ? store_take_ids(r, "queued", ids, n, err) : -1;
}
