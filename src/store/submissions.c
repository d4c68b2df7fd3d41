/* Submissions and their results. The exactly-once rule lives in
 * store_submission_finish(): the final state is written only while the
 * submission is not final, in the same transaction as its results, so a
 * message delivered twice (a worker presumed dead, a stale row enqueued
 * again) changes nothing the second time. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define FINAL_STATES "('passed','failed','runtime_error','compile_error','time_limit','memory_limit'," \
                     "'output_limit','internal_error')"
/* Rows per INSERT: 13 parameters a result row, well under libpq's 65535. */
#define BATCH_ROWS 1000

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} sbuf_t;

static void sb_add(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(sbuf_t *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = b->oom ? -1 : vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if (b->p && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap ? b->cap * 2 : 1024) + (size_t)n;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
}

static int oom(nsj_error_t *err)
{
    snprintf(err->msg, sizeof err->msg, "postgres: out of memory");
    err->errnum = ENOMEM;
    return -1;
}

int store_insert_tests(store_t *s, const char *owner_col, const char *owner_id, const store_new_test_t *tests,
                       size_t n, char (*ids)[STORE_UUID_LEN + 1], nsj_error_t *err)
{
    for (size_t base = 0; base < n; base += BATCH_ROWS) {
        size_t rows = n - base < BATCH_ROWS ? n - base : BATCH_ROWS;
        const char **params = calloc(1 + rows * 4, sizeof *params);
        char(*nums)[2][24] = calloc(rows, sizeof *nums);
        sbuf_t sql = {0};
        if (!params || !nums) {
            free(params);
            free(nums);
            return oom(err);
        }
        params[0] = owner_id;
        sb_add(&sql, "INSERT INTO test_cases (%s, ordinal, input, expected_output, score) VALUES ", owner_col);
        for (size_t i = 0; i < rows; i++) {
            const store_new_test_t *t = &tests[base + i];
            int k = 1 + (int)i * 4;
            snprintf(nums[i][0], sizeof nums[i][0], "%zu", base + i);
            snprintf(nums[i][1], sizeof nums[i][1], "%" PRId64, t->score);
            params[k] = nums[i][0];
            params[k + 1] = t->input;
            params[k + 2] = t->expected;
            params[k + 3] = nums[i][1];
            sb_add(&sql, "%s($1, $%d, $%d, $%d, $%d)", i ? ", " : "", k + 1, k + 2, k + 3, k + 4);
        }
        sb_add(&sql, " RETURNING id, ordinal");
        PGresult *r = sql.oom ? NULL : store_exec(s, sql.p, 1 + (int)rows * 4, params, err);
        int was_oom = sql.oom;
        free(sql.p);
        free(params);
        free(nums);
        if (was_oom)
            return oom(err);
        if (!r)
            return -1;
        for (int i = 0; ids && i < PQntuples(r); i++) {
            long ord = strtol(PQgetvalue(r, i, 1), NULL, 10);
            if (ord >= 0 && (size_t)ord < n)
                snprintf(ids[ord], STORE_UUID_LEN + 1, "%s", PQgetvalue(r, i, 0));
        }
        PQclear(r);
    }
    return 0;
}

static char *dup_or_null(const char *s)
{
    return strdup(s ? s : "");
}

/* Load a job's test cases, in order, from its question or its own. */
static int load_tests(store_t *s, store_job_t *job, nsj_error_t *err)
{
    const char *p[] = {job->question_id[0] ? job->question_id : job->submission_id};
    const char *sql = job->question_id[0] ? "SELECT id, input, expected_output, score FROM test_cases"
                                            " WHERE question_id = $1 ORDER BY ordinal"
                                          : "SELECT id, input, expected_output, score FROM test_cases"
                                            " WHERE submission_id = $1 ORDER BY ordinal";
    PGresult *r = store_exec(s, sql, 1, p, err);
    if (!r)
        return -1;
    int n = PQntuples(r);
    job->tests = calloc(n ? (size_t)n : 1, sizeof *job->tests);
    if (!job->tests) {
        PQclear(r);
        return oom(err);
    }
    for (int i = 0; i < n; i++) {
        store_test_t *t = &job->tests[i];
        job->ntests = (size_t)i + 1;
        snprintf(t->id, sizeof t->id, "%s", PQgetvalue(r, i, 0));
        t->input = dup_or_null(PQgetvalue(r, i, 1));
        t->expected = dup_or_null(PQgetvalue(r, i, 2));
        t->score = strtoll(PQgetvalue(r, i, 3), NULL, 10);
        if (!t->input || !t->expected) {
            PQclear(r);
            return oom(err);
        }
    }
    PQclear(r);
    return 0;
}

int store_submission_create(store_t *s, const store_new_submission_t *in, store_job_t *job, nsj_error_t *err)
{
    memset(job, 0, sizeof *job);
    snprintf(job->language, sizeof job->language, "%s", in->language);
    if (!(job->source = strdup(in->source)))
        return oom(err);
    if (store_begin(s, err) < 0)
        goto fail;
    int64_t max_score = 0;
    if (in->question_id) {
        snprintf(job->question_id, sizeof job->question_id, "%s", in->question_id);
        /* FOR SHARE: the question cannot vanish before the insert below. */
        const char *p[] = {in->question_id};
        PGresult *r = store_exec(s, "SELECT 1 FROM questions WHERE id = $1 FOR SHARE", 1, p, err);
        if (!r)
            goto rollback;
        int found = PQntuples(r);
        PQclear(r);
        if (!found) {
            snprintf(err->msg, sizeof err->msg, "question %s not found", in->question_id);
            err->errnum = ENOENT;
            goto rollback;
        }
        if (load_tests(s, job, err) < 0)
            goto rollback;
        for (size_t i = 0; i < job->ntests; i++)
            max_score += job->tests[i].score;
    } else {
        for (size_t i = 0; i < in->ntests; i++)
            max_score += in->tests[i].score;
    }
    char score[24];
    snprintf(score, sizeof score, "%" PRId64, max_score);
    const char *p[] = {in->question_id, in->language, in->source, score};
    PGresult *r = store_exec(s,
                             "INSERT INTO submissions (question_id, language, source_code, max_score)"
                             " VALUES ($1, $2, $3, $4) RETURNING id",
                             4, p, err);
    if (!r)
        goto rollback;
    snprintf(job->submission_id, sizeof job->submission_id, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    if (!in->question_id) {
        char(*ids)[STORE_UUID_LEN + 1] = calloc(in->ntests ? in->ntests : 1, sizeof *ids);
        job->tests = calloc(in->ntests ? in->ntests : 1, sizeof *job->tests);
        if (!ids || !job->tests) {
            free(ids);
            oom(err);
            goto rollback;
        }
        int rc = store_insert_tests(s, "submission_id", job->submission_id, in->tests, in->ntests, ids, err);
        for (size_t i = 0; rc == 0 && i < in->ntests; i++) {
            store_test_t *t = &job->tests[i];
            job->ntests = i + 1;
            memcpy(t->id, ids[i], sizeof t->id);
            t->input = strdup(in->tests[i].input);
            t->expected = strdup(in->tests[i].expected);
            t->score = in->tests[i].score;
            if (!t->input || !t->expected)
                rc = oom(err);
        }
        free(ids);
        if (rc < 0)
            goto rollback;
    }
    if (store_commit(s, err) < 0)
        goto fail;
    return 0;
rollback:
    store_rollback(s);
fail:
    store_job_free(job);
    return -1;
}

int store_submission_start(store_t *s, const char *id, store_start_t *state, nsj_error_t *err)
{
    const char *p[] = {id};
    PGresult *r = store_exec(s,
                             "UPDATE submissions SET status = 'running', started_at = now()"
                             " WHERE id = $1 AND status IN ('queued', 'running') RETURNING 1",
                             1, p, err);
    if (!r)
        return -1;
    int n = PQntuples(r);
    PQclear(r);
    if (n > 0) {
        *state = STORE_STARTED;
        return 0;
    }
    if (!(r = store_exec(s, "SELECT 1 FROM submissions WHERE id = $1", 1, p, err)))
        return -1;
    *state = PQntuples(r) > 0 ? STORE_FINISHED : STORE_MISSING;
    PQclear(r);
    return 0;
}

static int insert_results(store_t *s, const store_outcome_t *o, nsj_error_t *err)
{
    enum { COLS = 13 };
    for (size_t base = 0; base < o->nresults; base += BATCH_ROWS) {
        size_t rows = o->nresults - base < BATCH_ROWS ? o->nresults - base : BATCH_ROWS;
        const char **params = calloc(1 + rows * (COLS - 1), sizeof *params);
        char(*nums)[6][24] = calloc(rows, sizeof *nums);
        sbuf_t sql = {0};
        if (!params || !nums) {
            free(params);
            free(nums);
            return oom(err);
        }
        params[0] = o->submission_id;
        sb_add(&sql, "INSERT INTO submission_results (submission_id, test_case_id, ordinal, status, passed, stdout,"
                     " stderr, execution_ms, cpu_ms, memory_kb, exit_code, signal, evidence) VALUES ");
        for (size_t i = 0; i < rows; i++) {
            const store_test_result_t *t = &o->results[base + i];
            const char **q = &params[1 + i * (COLS - 1)];
            snprintf(nums[i][0], 24, "%d", t->ordinal);
            snprintf(nums[i][1], 24, "%" PRId64, t->execution_ms);
            snprintf(nums[i][2], 24, "%" PRId64, t->cpu_ms);
            snprintf(nums[i][3], 24, "%" PRId64, t->memory_kb);
            snprintf(nums[i][4], 24, "%d", t->exit_code);
            snprintf(nums[i][5], 24, "%d", t->signal);
            q[0] = t->test_case_id;
            q[1] = nums[i][0];
            q[2] = t->status;
            q[3] = t->passed ? "t" : "f";
            q[4] = t->out ? t->out : "";
            q[5] = t->err ? t->err : "";
            q[6] = nums[i][1];
            q[7] = nums[i][2];
            q[8] = nums[i][3];
            q[9] = t->exit_code >= 0 ? nums[i][4] : NULL;
            q[10] = t->signal > 0 ? nums[i][5] : NULL;
            q[11] = t->evidence ? t->evidence : "";
            int k = 2 + (int)i * (COLS - 1);
            sb_add(&sql, "%s($1", i ? ", " : "");
            for (int c = 0; c < COLS - 1; c++)
                sb_add(&sql, ", $%d", k + c);
            sb_add(&sql, ")");
        }
        sb_add(&sql, " ON CONFLICT (submission_id, test_case_id) DO NOTHING");
        PGresult *r = sql.oom ? NULL : store_exec(s, sql.p, 1 + (int)rows * (COLS - 1), params, err);
        int was_oom = sql.oom;
        free(sql.p);
        free(params);
        free(nums);
        if (was_oom)
            return oom(err);
        if (!r)
            return -1;
        PQclear(r);
    }
    return 0;
}

int store_submission_finish(store_t *s, const store_outcome_t *o, bool *committed, nsj_error_t *err)
{
    *committed = false;
    char ms[24], kb[24], score[24], max[24];
    snprintf(ms, sizeof ms, "%" PRId64, o->execution_ms);
    snprintf(kb, sizeof kb, "%" PRId64, o->memory_kb);
    snprintf(score, sizeof score, "%" PRId64, o->score_awarded);
    snprintf(max, sizeof max, "%" PRId64, o->max_score);
    const char *p[] = {o->submission_id, o->status, o->out, o->err, ms, kb, score, max, o->error};
    if (store_begin(s, err) < 0)
        return -1;
    /* The update first: it takes the row lock, so a second worker finishing
     * the same submission waits here, then finds it final and touches nothing. */
    PGresult *r = store_exec(s,
                             "UPDATE submissions SET status = $2, stdout = $3, stderr = $4, execution_ms = $5,"
                             " memory_kb = $6, score_awarded = $7, max_score = $8, error = $9, finished_at = now()"
                             " WHERE id = $1 AND status NOT IN " FINAL_STATES " RETURNING 1",
                             9, p, err);
    if (!r)
        goto rollback;
    int n = PQntuples(r);
    PQclear(r);
    if (n == 0) {
        store_rollback(s);
        return 0;
    }
    if (insert_results(s, o, err) < 0 || store_commit(s, err) < 0)
        goto rollback;
    *committed = true;
    return 0;
rollback:
    store_rollback(s);
    return -1;
}

int store_submission_fail(store_t *s, const char *id, const char *reason, bool *changed, nsj_error_t *err)
{
    const char *p[] = {id, reason};
    PGresult *r = store_exec(s,
                             "UPDATE submissions SET status = 'internal_error', error = $2, finished_at = now()"
                             " WHERE id = $1 AND status NOT IN " FINAL_STATES " RETURNING 1",
                             2, p, err);
    if (!r)
        return -1;
    if (changed)
        *changed = PQntuples(r) > 0;
    PQclear(r);
    return 0;
}

int store_jobs_stale(store_t *s, int64_t queued_age_ms, int64_t running_age_ms, int limit, store_job_t **jobs,
                     size_t *njobs, nsj_error_t *err)
{
    *jobs = NULL;
    *njobs = 0;
    char qa[24], ra[24], lim[24];
    snprintf(qa, sizeof qa, "%" PRId64, queued_age_ms);
    snprintf(ra, sizeof ra, "%" PRId64, running_age_ms);
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p[] = {qa, ra, lim};
    /* Stamped and committed before the caller enqueues: if that fails the
     * rows are simply picked again after another age has passed. */
    PGresult *r = store_exec(
        s,
        "UPDATE submissions SET enqueued_at = now() WHERE id IN ("
        " SELECT id FROM submissions WHERE"
        "  ($1::bigint > 0 AND status = 'queued' AND enqueued_at < now() - $1::bigint * interval '1 millisecond')"
        "  OR ($2::bigint > 0 AND status = 'running' AND enqueued_at < now() - $2::bigint * interval '1 millisecond')"
        " ORDER BY enqueued_at LIMIT $3::int FOR UPDATE SKIP LOCKED)"
        " RETURNING id, question_id, language, source_code",
        3, p, err);
    if (!r)
        return -1;
    int n = PQntuples(r);
    store_job_t *out = calloc(n ? (size_t)n : 1, sizeof *out);
    if (!out) {
        PQclear(r);
        return oom(err);
    }
    int rc = 0;
    size_t got = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        store_job_t *j = &out[got];
        snprintf(j->submission_id, sizeof j->submission_id, "%s", PQgetvalue(r, i, 0));
        if (!PQgetisnull(r, i, 1))
            snprintf(j->question_id, sizeof j->question_id, "%s", PQgetvalue(r, i, 1));
        snprintf(j->language, sizeof j->language, "%s", PQgetvalue(r, i, 2));
        if (!(j->source = strdup(PQgetvalue(r, i, 3))))
            rc = oom(err);
        got++;
    }
    PQclear(r);
    for (size_t i = 0; i < got && rc == 0; i++)
        rc = load_tests(s, &out[i], err);
    if (rc < 0) {
        store_jobs_free(out, got);
        return -1;
    }
    *jobs = out;
    *njobs = got;
    return 0;
}

int store_submission_json(store_t *s, const char *id, char **json, nsj_error_t *err)
{
    const char *p[] = {id};
    int rc = store_single_text(
        s,
        "SELECT json_build_object("
        " 'id', s.id, 'question_id', s.question_id, 'language', s.language, 'status', s.status,"
        " 'source_code', s.source_code, 'stdout', s.stdout, 'stderr', s.stderr,"
        " 'execution_ms', s.execution_ms, 'memory_kb', s.memory_kb,"
        " 'score_awarded', s.score_awarded, 'max_score', s.max_score, 'error', s.error,"
        " 'created_at', s.created_at, 'started_at', s.started_at, 'finished_at', s.finished_at,"
        " 'results', COALESCE((SELECT json_agg(json_build_object("
        "   'test_case_id', r.test_case_id, 'ordinal', r.ordinal, 'status', r.status, 'passed', r.passed,"
        "   'stdout', r.stdout, 'stderr', r.stderr, 'execution_ms', r.execution_ms, 'cpu_ms', r.cpu_ms,"
        "   'memory_kb', r.memory_kb, 'exit_code', r.exit_code, 'signal', r.signal, 'evidence', r.evidence)"
        "   ORDER BY r.ordinal) FROM submission_results r WHERE r.submission_id = s.id), '[]'::json)"
        ")::text FROM submissions s WHERE s.id = $1",
        1, p, json, err);
    if (rc < 0 && err->errnum == ENOENT)
        snprintf(err->msg, sizeof err->msg, "submission %s not found", id);
    return rc;
}
