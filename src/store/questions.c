/* Questions: a title, a statement and their test cases. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

int store_question_create(store_t *s, const store_new_question_t *q, char id[STORE_UUID_LEN + 1], nsj_error_t *err)
{
    if (store_begin(s, err) < 0)
        return -1;
    const char *p[] = {q->title, q->statement ? q->statement : ""};
    PGresult *r = store_exec(s, "INSERT INTO questions (title, statement) VALUES ($1, $2) RETURNING id", 2, p, err);
    if (!r)
        goto rollback;
    snprintf(id, STORE_UUID_LEN + 1, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    if (store_insert_tests(s, "question_id", id, q->tests, q->ntests, NULL, err) < 0 || store_commit(s, err) < 0)
        goto rollback;
    return 0;
rollback:
    store_rollback(s);
    return -1;
}

int store_question_json(store_t *s, const char *id, char **json, nsj_error_t *err)
{
    const char *p[] = {id};
    int rc = store_single_text(
        s,
        "SELECT json_build_object("
        " 'id', q.id, 'title', q.title, 'statement', q.statement, 'created_at', q.created_at,"
        " 'max_score', (SELECT COALESCE(sum(score), 0) FROM test_cases t WHERE t.question_id = q.id),"
        " 'test_cases', COALESCE((SELECT json_agg(json_build_object("
        "   'id', t.id, 'ordinal', t.ordinal, 'input', t.input, 'expected_output', t.expected_output,"
        "   'score', t.score) ORDER BY t.ordinal) FROM test_cases t WHERE t.question_id = q.id), '[]'::json)"
        ")::text FROM questions q WHERE q.id = $1",
        1, p, json, err);
    if (rc < 0 && err->errnum == ENOENT)
        snprintf(err->msg, sizeof err->msg, "question %s not found", id);
    return rc;
}
