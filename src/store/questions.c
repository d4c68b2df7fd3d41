/* Questions: a title, a statement, limits and their test cases. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int store_question_create(store_t *s, core_question_t *q, char id[STORE_UUID_LEN + 1], nsj_error_t *err)
{
    if (store_begin(s, err) < 0)
        return -1;
    char lbuf[4][24];
    const char *p[6] = {q->title, q->statement ? q->statement : ""};
    store_limit_params(&q->limits, lbuf, &p[2]);
    PGresult *r = store_exec(s,
                             "INSERT INTO questions (title, statement, " STORE_LIMIT_COLUMNS
                             ") VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                             6, p, err);
    if (!r)
        goto rollback;
    snprintf(id, STORE_UUID_LEN + 1, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    if (store_insert_tests(s, "question_id", id, 1, q->tests, q->ntests, err) < 0 ||
        store_judging_put(s, id, 1, &q->judging, err) < 0 || store_commit(s, err) < 0)
        goto rollback;
    return 0;
rollback:
    store_rollback(s);
    return -1;
}

int store_question_get(store_t *s, const char *id, core_question_t *out, nsj_error_t *err)
{
    memset(out, 0, sizeof *out);
    const char *p[] = {id};
    PGresult *r = store_exec(s,
                             "SELECT title, statement, " STORE_TIME("created_at") ", " STORE_LIMIT_COLUMNS ", version,"
                             " (SELECT judging::text FROM question_judging j WHERE j.question_id = q.id"
                             "  AND j.version = q.version) FROM questions q WHERE id = $1",
                             1, p, err);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        snprintf(err->msg, sizeof err->msg, "question %s not found", id);
        err->errnum = ENOENT;
        return -1;
    }
    bool bad = false;
    snprintf(out->id, sizeof out->id, "%s", id);
    out->title = store_dup(r, 0, 0, &bad);
    out->statement = store_dup(r, 0, 1, &bad);
    snprintf(out->created_at, sizeof out->created_at, "%s", PQgetvalue(r, 0, 2));
    store_get_limits(r, 0, 3, &out->limits);
    out->version = atoi(PQgetvalue(r, 0, 7));
    char *judging = PQgetisnull(r, 0, 8) ? NULL : store_dup(r, 0, 8, &bad);
    PQclear(r);
    if (bad) {
        free(judging);
        core_question_free(out);
        return nsj_error_set(err, ENOMEM, "postgres: out of memory");
    }
    if (store_load_tests(s, "question_id", id, out->version, &out->tests, &out->ntests, err) < 0 ||
        store_judging_parse(judging, out->ntests, &out->judging, err) < 0) {
        free(judging);
        core_question_free(out);
        return -1;
    }
    free(judging);
    return 0;
}

int store_question_replace_tests(store_t *s, const char *id, core_test_t *tests, size_t n,
                                 const core_judging_t *judging, int *version, nsj_error_t *err)
{
    if (store_begin(s, err) < 0)
        return -1;
    const char *p[] = {id};
    /* The row lock orders this after submissions being created (FOR SHARE):
     * each of them has the version it saw. */
    PGresult *r = store_exec(s, "UPDATE questions SET version = version + 1 WHERE id = $1 RETURNING version", 1, p,
                             err);
    if (!r)
        goto rollback;
    if (PQntuples(r) == 0) {
        PQclear(r);
        snprintf(err->msg, sizeof err->msg, "question %s not found", id);
        err->errnum = ENOENT;
        goto rollback;
    }
    *version = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    char ver[16];
    snprintf(ver, sizeof ver, "%d", *version);
    const char *pv[] = {id, ver};
    if (judging) {
        if (store_judging_put(s, id, *version, judging, err) < 0)
            goto rollback;
    } else {
        /* The new version keeps the previous one's judging: its subtasks
         * name tests by ordinal, which the new tests must still have. */
        r = store_exec(s,
                       "INSERT INTO question_judging (question_id, version, judging) SELECT question_id, $2::int,"
                       " judging FROM question_judging WHERE question_id = $1 AND version = $2::int - 1"
                       " RETURNING (SELECT max(t::int) FROM jsonb_array_elements(judging->'subtasks') g,"
                       " jsonb_array_elements_text(g->'tests') t)",
                       2, pv, err);
        if (!r)
            goto rollback;
        if (PQntuples(r) && !PQgetisnull(r, 0, 0) && (size_t)atoi(PQgetvalue(r, 0, 0)) >= n) {
            snprintf(err->msg, sizeof err->msg,
                     "the question's subtasks name test %s: the archive has %zu tests (give new subtasks in its "
                     "tests.json)", PQgetvalue(r, 0, 0), n);
            err->errnum = EINVAL;
            PQclear(r);
            goto rollback;
        }
        PQclear(r);
    }
    if (store_insert_tests(s, "question_id", id, *version, tests, n, err) < 0 || store_commit(s, err) < 0)
        goto rollback;
    return 0;
rollback:
    store_rollback(s);
    return -1;
}

int store_question_test(store_t *s, const char *id, long n, core_test_t *out, nsj_error_t *err)
{
    memset(out, 0, sizeof *out);
    char num[24];
    snprintf(num, sizeof num, "%ld", n);
    const char *p[] = {id, num};
    PGresult *r = store_exec(s,
                             "SELECT t.id, t.score, t.input_sha256, bi.size, t.answer_sha256, ba.size"
                             " FROM questions q JOIN test_cases t ON t.question_id = q.id AND t.version = q.version"
                             " JOIN blobs bi ON bi.sha256 = t.input_sha256 JOIN blobs ba ON ba.sha256 = t.answer_sha256"
                             " WHERE q.id = $1 AND t.ordinal = $2",
                             2, p, err);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        snprintf(err->msg, sizeof err->msg, "question %s has no test %ld", id, n);
        err->errnum = ENOENT;
        return -1;
    }
    snprintf(out->id, sizeof out->id, "%s", PQgetvalue(r, 0, 0));
    out->score = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    snprintf(out->input.sha256, sizeof out->input.sha256, "%s", PQgetvalue(r, 0, 2));
    out->input.size = strtoull(PQgetvalue(r, 0, 3), NULL, 10);
    snprintf(out->answer.sha256, sizeof out->answer.sha256, "%s", PQgetvalue(r, 0, 4));
    out->answer.size = strtoull(PQgetvalue(r, 0, 5), NULL, 10);
    PQclear(r);
    return 0;
}
