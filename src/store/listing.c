/* Listings newest first, keyset-paginated on (created_at, id): a page
 * after a cursor is the rows strictly before it in that order, so rows
 * inserted meanwhile (newer) never shift the pages being read. One row
 * more than asked tells whether another page follows. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CREATED_US "(extract(epoch FROM created_at) * 1000000)::bigint"

/* Run a listing query: base selects the columns, conditions are appended
 * with their parameters (at most 6), then the order and the limit. */
static PGresult *run(store_t *s, const char *base, const store_list_query_t *q, bool submissions, nsj_error_t *err)
{
    char sql[2048], lim[16], after_us[32];
    const char *p[6];
    int np = 0;
    size_t len = (size_t)snprintf(sql, sizeof sql, "%s WHERE true", base);
    if (submissions && q->owner_key_id) {
        p[np++] = q->owner_key_id[0] ? q->owner_key_id : NULL;
        len += (size_t)snprintf(sql + len, sizeof sql - len, " AND key_id IS NOT DISTINCT FROM $%d::uuid", np);
    }
    if (submissions && q->question_id[0]) {
        p[np++] = q->question_id;
        len += (size_t)snprintf(sql + len, sizeof sql - len, " AND question_id = $%d", np);
    }
    if (submissions && q->status[0]) {
        p[np++] = q->status;
        len += (size_t)snprintf(sql + len, sizeof sql - len, " AND status = $%d", np);
    }
    if (q->after) {
        snprintf(after_us, sizeof after_us, "%" PRId64, q->after_created_us);
        p[np++] = after_us;
        p[np++] = q->after_id;
        /* Microseconds are what Postgres keeps, and interval arithmetic is
         * exact (to_timestamp() would go through a double). */
        len += (size_t)snprintf(sql + len, sizeof sql - len,
                                " AND (created_at, id) < ('epoch'::timestamptz + $%d::bigint * interval '1 microsecond', $%d::uuid)", np - 1,
                                np);
    }
    snprintf(lim, sizeof lim, "%d", q->limit + 1);
    p[np++] = lim;
    snprintf(sql + len, sizeof sql - len, " ORDER BY created_at DESC, id DESC LIMIT $%d", np);
    return store_exec(s, sql, np, p, err);
}

static int finish(PGresult *r, const store_list_query_t *q, store_list_row_t **rows, size_t *n, bool *more,
                  bool submissions, nsj_error_t *err)
{
    size_t got = (size_t)PQntuples(r);
    *more = got > (size_t)q->limit;
    if (*more)
        got = (size_t)q->limit;
    store_list_row_t *out = calloc(got ? got : 1, sizeof *out);
    if (!out) {
        PQclear(r);
        return nsj_error_set(err, ENOMEM, "postgres: out of memory");
    }
    bool bad = false;
    for (size_t i = 0; i < got; i++) {
        int row = (int)i;
        store_list_row_t *o = &out[i];
        snprintf(o->id, sizeof o->id, "%s", PQgetvalue(r, row, 0));
        o->created_us = strtoll(PQgetvalue(r, row, 1), NULL, 10);
        snprintf(o->created_at, sizeof o->created_at, "%s", PQgetvalue(r, row, 2));
        if (submissions) {
            snprintf(o->question_id, sizeof o->question_id, "%s", PQgetvalue(r, row, 3));
            snprintf(o->language, sizeof o->language, "%s", PQgetvalue(r, row, 4));
            snprintf(o->status, sizeof o->status, "%s", PQgetvalue(r, row, 5));
            o->score = PQgetisnull(r, row, 6) ? -1 : strtoll(PQgetvalue(r, row, 6), NULL, 10);
            o->max_score = strtoll(PQgetvalue(r, row, 7), NULL, 10);
            snprintf(o->finished_at, sizeof o->finished_at, "%s", PQgetvalue(r, row, 8));
        } else {
            o->title = store_dup(r, row, 3, &bad);
            o->version = atoi(PQgetvalue(r, row, 4));
        }
    }
    PQclear(r);
    if (bad) {
        store_list_free(out, got);
        return nsj_error_set(err, ENOMEM, "postgres: out of memory");
    }
    *rows = out;
    *n = got;
    return 0;
}

int store_submissions_list(store_t *s, const store_list_query_t *q, store_list_row_t **rows, size_t *n, bool *more,
                           nsj_error_t *err)
{
    *rows = NULL;
    *n = 0;
    PGresult *r = run(s,
                      "SELECT id, " CREATED_US ", " STORE_TIME("created_at") ", coalesce(question_id::text, ''),"
                      " language, status, score_awarded, max_score, coalesce(" STORE_TIME("finished_at") ", '')"
                      " FROM submissions",
                      q, true, err);
    return r ? finish(r, q, rows, n, more, true, err) : -1;
}

int store_questions_list(store_t *s, const store_list_query_t *q, store_list_row_t **rows, size_t *n, bool *more,
                         nsj_error_t *err)
{
    *rows = NULL;
    *n = 0;
    PGresult *r = run(s, "SELECT id, " CREATED_US ", " STORE_TIME("created_at") ", title, version FROM questions", q,
                      false, err);
    return r ? finish(r, q, rows, n, more, false, err) : -1;
}

void store_list_free(store_list_row_t *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        free(rows[i].title);
    free(rows);
}
