/* Connection, prepared statements, error classification and migrations. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/util.h"
#include "internal.h"

/* Any number: identifies "nsjudge migrations" among advisory locks. */
#define MIGRATION_LOCK_KEY "4242117001"

/* libpq's messages end with a newline; keep one line. */
static void one_line(char *s)
{
    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = (p[1] ? ' ' : '\0');
}

/* Server NOTICEs ("relation already exists, skipping") are not errors. */
static void ignore_notice(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

int store_connect(const char *conninfo, const char *app, store_t **out, nsj_error_t *err)
{
    *out = NULL;
    /* conninfo comes after connect_timeout so that its own value wins;
     * fallback_application_name only applies when it names none. */
    const char *keys[] = {"connect_timeout", "dbname", "fallback_application_name", NULL};
    const char *vals[] = {"5", conninfo, app, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (!c)
        return nsj_error_kind(err, ENOMEM, "postgres: out of memory");
    if (PQstatus(c) != CONNECTION_OK) {
        nsj_error_kind(err, EAGAIN, "postgres: connect: %s", PQerrorMessage(c));
        one_line(err->msg);
        PQfinish(c);
        return -1;
    }
    PQsetNoticeProcessor(c, ignore_notice, NULL);
    store_t *s = calloc(1, sizeof *s);
    if (!s) {
        PQfinish(c);
        return nsj_error_kind(err, ENOMEM, "postgres: out of memory");
    }
    s->conn = c;
    if (getrandom(&s->tag, sizeof s->tag, 0) != (ssize_t)sizeof s->tag)
        s->tag = (unsigned long long)getpid() << 32 ^ (uintptr_t)s;
    *out = s;
    return 0;
}

/* Forget every prepared statement (the server's are gone with its session). */
static void prepared_clear(store_t *s)
{
    for (size_t i = 0; i < STORE_PREPARED_MAX; i++) {
        free(s->prepared[i].sql);
        s->prepared[i].sql = NULL;
    }
}

/* Plain execution from now on, on this connection: a pooler shares or
 * swaps its server sessions, or a PREPARE failed inside a transaction. */
static void prepared_stop(store_t *s)
{
    prepared_clear(s);
    s->prepare_off = true;
}

void store_close(store_t *s)
{
    if (!s)
        return;
    PQfinish(s->conn);
    prepared_clear(s);
    free(s);
}

bool store_broken(const store_t *s)
{
    return !s || !s->conn || PQstatus(s->conn) != CONNECTION_OK;
}

int store_reconnect(store_t *s, nsj_error_t *err)
{
    prepared_clear(s);
    PQreset(s->conn);
    if (PQstatus(s->conn) != CONNECTION_OK) {
        nsj_error_kind(err, EAGAIN, "postgres: reconnect: %s", PQerrorMessage(s->conn));
        one_line(err->msg);
        return -1;
    }
    return 0;
}

/* SQLSTATE classes worth retrying: connection exception, transaction
 * rollback (serialization, deadlock), insufficient resources, operator
 * intervention (shutdown, cannot connect now), system error. */
static bool transient_state(const char *state)
{
    static const char *const classes[] = {"08", "40", "53", "57", "58"};
    if (!state)
        return true;
    for (size_t i = 0; i < ARRAY_SIZE(classes); i++)
        if (strncmp(state, classes[i], 2) == 0)
            return true;
    return false;
}

PGresult *store_exec(store_t *s, const char *sql, int nparams, const char *const *params, nsj_error_t *err)
{
    return store_exec_binary(s, sql, nparams, params, NULL, NULL, 0, err);
}

/* The name sql is prepared under on this connection, preparing it now if
 * need be; NULL when it is not (the table full inside a transaction, or the
 * PREPARE failed: the plain execution then reports the error, if any).
 * When the failed PREPARE aborted the caller's transaction, *aborted gets
 * its result, and this connection prepares no more: the caller's retry then
 * runs the text itself (a pooler's shared session said "already exists"). */
static const char *prepared_name(store_t *s, const char *sql, int nparams, PGresult **aborted)
{
    if (s->prepare_off)
        return NULL;
    uint64_t h = util_fnv1a(UTIL_FNV1A_BASIS, sql, strlen(sql));
    store_prepared_t *free_slot = NULL, *oldest = NULL;
    s->clock++;
    for (size_t i = 0; i < STORE_PREPARED_MAX; i++) {
        store_prepared_t *p = &s->prepared[i];
        if (!p->sql) {
            free_slot = free_slot ? free_slot : p;
            continue;
        }
        if (p->hash == h && p->nparams == nparams && strcmp(p->sql, sql) == 0) {
            p->used = s->clock;
            return p->name;
        }
        if (!oldest || p->used < oldest->used)
            oldest = p;
    }
    /* A DEALLOCATE that failed would abort a transaction: only between them. */
    if (!free_slot && oldest && PQtransactionStatus(s->conn) == PQTRANS_IDLE) {
        char cmd[64];
        snprintf(cmd, sizeof cmd, "DEALLOCATE %s", oldest->name);
        PGresult *r = PQexec(s->conn, cmd);
        bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok)
            return NULL;
        free(oldest->sql);
        oldest->sql = NULL;
        free_slot = oldest;
    }
    if (!free_slot || !(free_slot->sql = strdup(sql)))
        return NULL;
    snprintf(free_slot->name, sizeof free_slot->name, "nsj_%016llx_%u", s->tag, s->serial++);
    PGresult *r = PQprepare(s->conn, free_slot->name, sql, nparams, NULL);
    bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) {
        free(free_slot->sql);
        free_slot->sql = NULL;
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        bool aborted_tx = r && PQtransactionStatus(s->conn) == PQTRANS_INERROR;
        /* 42P05 "already exists": a server session not ours alone. */
        if (aborted_tx || (state && strcmp(state, "42P05") == 0))
            prepared_stop(s);
        if (aborted_tx)
            *aborted = r;
        else
            PQclear(r);
        return NULL;
    }
    PQclear(r);
    free_slot->hash = h;
    free_slot->nparams = nparams;
    free_slot->used = s->clock;
    return free_slot->name;
}

/* After "prepared statement does not exist" (a transaction-pooling proxy
 * hands each statement to any server session) or "cached plan must not
 * change result type" (a migration altered a table): prepare no more; the
 * error is transient, and the caller's retry executes the text itself. */
static bool prepared_lost(store_t *s, const char *state)
{
    if (!state || (strcmp(state, "26000") != 0 && strcmp(state, "0A000") != 0))
        return false;
    prepared_stop(s);
    return true;
}

PGresult *store_exec_binary(store_t *s, const char *sql, int nparams, const char *const *params, const int *lengths,
                            const int *formats, int result_format, nsj_error_t *err)
{
    if (store_broken(s)) {
        nsj_error_kind(err, EAGAIN, "postgres: not connected");
        return NULL;
    }
    PGresult *aborted = NULL;
    const char *name = nparams ? prepared_name(s, sql, nparams, &aborted) : NULL;
    PGresult *r = aborted ? aborted
                  : name  ? PQexecPrepared(s->conn, name, nparams, params, lengths, formats, result_format)
                  : nparams || result_format
                      ? PQexecParams(s->conn, sql, nparams, NULL, params, lengths, formats, result_format)
                      : PQexec(s->conn, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return r;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    bool lost = name && prepared_lost(s, state);
    if (lost && PQtransactionStatus(s->conn) == PQTRANS_IDLE) {
        /* Not in a transaction: nothing was undone, execute the text now. */
        PQclear(r);
        return store_exec_binary(s, sql, nparams, params, lengths, formats, result_format, err);
    }
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(s->conn);
    bool transient = store_broken(s) || transient_state(state) || lost || aborted;
    nsj_error_kind(err, transient ? EAGAIN : EIO, "postgres: %s%s%s", state ? state : "", state ? " " : "",
                   msg && *msg ? msg : "query failed");
    one_line(err->msg);
    PQclear(r);
    return NULL;
}

int store_begin(store_t *s, nsj_error_t *err)
{
    PGresult *r = store_exec(s, "BEGIN", 0, NULL, err);
    PQclear(r);
    return r ? 0 : -1;
}

int store_commit(store_t *s, nsj_error_t *err)
{
    PGresult *r = store_exec(s, "COMMIT", 0, NULL, err);
    PQclear(r);
    return r ? 0 : -1;
}

void store_rollback(store_t *s)
{
    if (!store_broken(s))
        PQclear(PQexec(s->conn, "ROLLBACK"));
}

int store_ping(store_t *s, nsj_error_t *err)
{
    PGresult *r = store_exec(s, "SELECT 1", 0, NULL, err);
    PQclear(r);
    return r ? 0 : -1;
}

char *store_dup(const PGresult *r, int row, int col, bool *bad)
{
    if (PQgetisnull(r, row, col))
        return NULL;
    char *p = strdup(PQgetvalue(r, row, col));
    if (!p)
        *bad = true;
    return p;
}

int store_take_ids(PGresult *r, const char *status, char (**ids)[STORE_UUID_LEN + 1], size_t *n, nsj_error_t *err)
{
    int rows = PQntuples(r);
    char(*out)[STORE_UUID_LEN + 1] = calloc(rows ? (size_t)rows : 1, sizeof *out);
    if (!out) {
        PQclear(r);
        return nsj_error_kind(err, ENOMEM, "postgres: out of memory");
    }
    size_t k = 0;
    for (int i = 0; i < rows; i++)
        if (!status || strcmp(PQgetvalue(r, i, 1), status) == 0)
            snprintf(out[k++], sizeof out[0], "%s", PQgetvalue(r, i, 0));
    PQclear(r);
    *ids = out;
    *n = k;
    return 0;
}

static uint64_t get_u64(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtoull(PQgetvalue(r, row, col), NULL, 10);
}

void store_get_limits(const PGresult *r, int row, int col, core_limits_t *out)
{
    *out = (core_limits_t){.time_ms = get_u64(r, row, col), .wall_ms = get_u64(r, row, col + 1),
                           .memory_bytes = get_u64(r, row, col + 2), .output_bytes = get_u64(r, row, col + 3)};
}

void store_limit_params(const core_limits_t *l, char bufs[4][24], const char *params[4])
{
    const uint64_t v[4] = {l->time_ms, l->wall_ms, l->memory_bytes, l->output_bytes};
    for (int i = 0; i < 4; i++) {
        snprintf(bufs[i], 24, "%" PRIu64, v[i]);
        params[i] = v[i] ? bufs[i] : NULL;
    }
}

static bool migration_name(const char *n)
{
    size_t len = strlen(n), digits = strspn(n, "0123456789");
    return digits > 0 && n[digits] == '_' && len > 4 && strcmp(n + len - 4, ".sql") == 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int apply_one(store_t *s, const char *dir, const char *name, int *applied, nsj_error_t *err)
{
    const char *p[] = {name};
    PGresult *r = store_exec(s, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, p, err);
    if (!r)
        return -1;
    bool done = PQntuples(r) > 0;
    PQclear(r);
    if (done)
        return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *sql = NULL;
    if (util_read_whole_file(path, 16 << 20, &sql, NULL, err) < 0)
        return nsj_error_wrap(err, "migration");
    if (store_begin(s, err) < 0) {
        free(sql);
        return -1;
    }
    r = store_exec(s, sql, 0, NULL, err);
    free(sql);
    if (r) {
        PQclear(r);
        r = store_exec(s, "INSERT INTO schema_migrations (version) VALUES ($1)", 1, p, err);
    }
    if (!r || (PQclear(r), store_commit(s, err) < 0)) {
        store_rollback(s);
        return nsj_error_wrap(err, "migration %s", name);
    }
    (*applied)++;
    return 0;
}

int store_migrate(store_t *s, const char *dir, int *applied, nsj_error_t *err)
{
    int n_applied = 0;
    if (applied)
        *applied = 0;
    DIR *d = opendir(dir);
    if (!d)
        return nsj_error_set(err, errno, "migrations: open %s", dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!migration_name(e->d_name))
            continue;
        if (n == cap) {
            char **nn = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof *names);
            if (!nn) {
                rc = nsj_error_kind(err, ENOMEM, "migrations: out of memory");
                break;
            }
            names = nn;
        }
        if (!(names[n] = strdup(e->d_name))) {
            rc = nsj_error_kind(err, ENOMEM, "migrations: out of memory");
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == 0 && n == 0)
        rc = nsj_error_kind(err, ENOENT, "migrations: no NNN_*.sql files in %s", dir);
    if (rc == 0) {
        qsort(names, n, sizeof *names, cmp_names);
        const char *lock[] = {MIGRATION_LOCK_KEY};
        PGresult *r = store_exec(s, "SELECT pg_advisory_lock($1::bigint)", 1, lock, err);
        if (!r) {
            rc = -1;
        } else {
            PQclear(r);
            r = store_exec(s,
                           "CREATE TABLE IF NOT EXISTS schema_migrations ("
                           " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                           0, NULL, err);
            rc = r ? 0 : -1;
            PQclear(r);
            for (size_t i = 0; rc == 0 && i < n; i++)
                rc = apply_one(s, dir, names[i], &n_applied, err);
            if (rc == 0)
                rc = store_migrate_statuses(s, &n_applied, err);
            nsj_error_t ignored;
            PQclear(store_exec(s, "SELECT pg_advisory_unlock($1::bigint)", 1, lock, &ignored));
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (applied)
        *applied = n_applied;
    return rc;
}
