/* Session records. The rows follow the session's life (queued, running,
 * finished or terminated) so that an operator sees them next to the
 * submissions; the attach-once rule is a conditional UPDATE, so two
 * WebSockets racing for one session have exactly one winner even across
 * several API processes. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* err without strerror: the message is shown to clients as it is. */
static int fail(nsj_error_t *err, int kind, const char *what, const char *id)
{
    snprintf(err->msg, sizeof err->msg, "%s %s", what, id);
    err->errnum = kind;
    return -1;
}

int store_session_create(store_t *s, const char *language, const char *source, const char *key_id,
                         char id[STORE_UUID_LEN + 1], nsj_error_t *err)
{
    const char *p[] = {language, source, key_id && *key_id ? key_id : NULL};
    PGresult *r = store_exec(s, "INSERT INTO sessions (language, source_code, key_id) VALUES ($1, $2, $3) RETURNING id",
                             3, p, err);
    if (!r)
        return -1;
    snprintf(id, STORE_UUID_LEN + 1, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

int store_session_attach(store_t *s, const char *id, store_attach_t *state, nsj_error_t *err)
{
    const char *p[] = {id};
    PGresult *r = store_exec(s,
                             "WITH u AS (UPDATE sessions SET attached_at = now() WHERE id = $1"
                             " AND attached_at IS NULL RETURNING 1)"
                             " SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM sessions WHERE id = $1)",
                             1, p, err);
    if (!r)
        return -1;
    bool won = strcmp(PQgetvalue(r, 0, 0), "0") != 0, exists = strcmp(PQgetvalue(r, 0, 1), "0") != 0;
    PQclear(r);
    *state = won ? STORE_ATTACH_OK : exists ? STORE_ATTACH_TAKEN : STORE_ATTACH_MISSING;
    return 0;
}

int store_session_start(store_t *s, const char *id, bool *started, nsj_error_t *err)
{
    const char *p[] = {id};
    PGresult *r = store_exec(s,
                             "UPDATE sessions SET status = 'running', started_at = now()"
                             " WHERE id = $1 AND status = 'queued' RETURNING 1",
                             1, p, err);
    if (!r)
        return -1;
    *started = PQntuples(r) > 0;
    PQclear(r);
    return 0;
}

int store_session_finish(store_t *s, const char *id, const char *status, const char *exit_json, nsj_error_t *err)
{
    const char *p[] = {id, status, exit_json};
    PGresult *r = store_exec(s,
                             "UPDATE sessions SET status = $2, exit = $3::jsonb, finished_at = now()"
                             " WHERE id = $1 AND status IN ('queued', 'running')",
                             3, p, err);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

int store_session_state(store_t *s, const char *id, char *status, size_t cap, char **exit_json, nsj_error_t *err)
{
    *exit_json = NULL;
    const char *p[] = {id};
    PGresult *r = store_exec(s, "SELECT status, exit::text FROM sessions WHERE id = $1", 1, p, err);
    if (!r)
        return -1;
    int rc = 0;
    if (PQntuples(r) == 0) {
        rc = fail(err, ENOENT, "no such session:", id);
    } else {
        snprintf(status, cap, "%s", PQgetvalue(r, 0, 0));
        if (!PQgetisnull(r, 0, 1) && !(*exit_json = strdup(PQgetvalue(r, 0, 1)))) {
            rc = fail(err, ENOMEM, "postgres: out of memory reading session", id);
        }
    }
    PQclear(r);
    return rc;
}

int store_session_job(store_t *s, const char *id, char *language, size_t cap, char **source, nsj_error_t *err)
{
    *source = NULL;
    const char *p[] = {id};
    PGresult *r = store_exec(s, "SELECT language, COALESCE(source_code, '') FROM sessions WHERE id = $1", 1, p, err);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return fail(err, ENOENT, "no such session:", id);
    }
    snprintf(language, cap, "%s", PQgetvalue(r, 0, 0));
    *source = strdup(PQgetvalue(r, 0, 1));
    PQclear(r);
    return *source ? 0 : fail(err, ENOMEM, "out of memory reading session", id);
}
