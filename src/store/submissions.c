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

#include "common/util.h"
#include "internal.h"

/* Rows per INSERT: 18 parameters a result row, well under libpq's 65535. */
#define BATCH_ROWS 1000

static int oom(nsj_error_t *err)
{
    snprintf(err->msg, sizeof err->msg, "postgres: out of memory");
    err->errnum = ENOMEM;
    return -1;
}

int store_insert_tests(store_t *s, const char *owner_col, const char *owner_id, int version, core_test_t *tests,
                       size_t n, nsj_error_t *err)
{
    /* An inline test's bytes become blobs first (the rows refer to them),
     * all of them in a few statements. */
    store_mem_t *mem = calloc(2 * n + 1, sizeof *mem);
    if (!mem)
        return oom(err);
    size_t nmem = 0;
    for (size_t i = 0; i < n; i++) {
        core_test_t *t = &tests[i];
        if (t->input_data)
            mem[nmem++] = (store_mem_t){t->input_data, t->input_len, &t->input};
        if (t->answer_data)
            mem[nmem++] = (store_mem_t){t->answer_data, t->answer_len, &t->answer};
    }
    int put = store_blobs_put_mem(s, mem, nmem, err);
    free(mem);
    if (put < 0)
        return -1;
    enum { COLS = 4 };
    char ver[16];
    snprintf(ver, sizeof ver, "%d", version);
    for (size_t base = 0; base < n; base += BATCH_ROWS) {
        size_t rows = n - base < BATCH_ROWS ? n - base : BATCH_ROWS;
        const char **params = calloc(2 + rows * COLS, sizeof *params);
        char(*nums)[2][24] = calloc(rows, sizeof *nums);
        util_sbuf_t sql = {0};
        if (!params || !nums) {
            free(params);
            free(nums);
            return oom(err);
        }
        params[0] = owner_id;
        params[1] = ver;
        util_sb_add(&sql, "INSERT INTO test_cases (%s, version, ordinal, input_sha256, answer_sha256, score) VALUES ",
               owner_col);
        for (size_t i = 0; i < rows; i++) {
            const core_test_t *t = &tests[base + i];
            int k = 2 + (int)i * COLS;
            snprintf(nums[i][0], sizeof nums[i][0], "%zu", base + i);
            snprintf(nums[i][1], sizeof nums[i][1], "%" PRId64, t->score);
            params[k] = nums[i][0];
            params[k + 1] = t->input.sha256;
            params[k + 2] = t->answer.sha256;
            params[k + 3] = nums[i][1];
            util_sb_add(&sql, "%s($1, $2, $%d, $%d, $%d, $%d)", i ? ", " : "", k + 1, k + 2, k + 3, k + 4);
        }
        PGresult *r = sql.oom ? NULL : store_exec(s, sql.p, 2 + (int)rows * COLS, params, err);
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

int store_load_tests(store_t *s, const char *owner_col, const char *owner_id, int version, core_test_t **tests,
                     size_t *n, nsj_error_t *err)
{
    *tests = NULL;
    *n = 0;
    char sql[512], ver[16];
    snprintf(sql, sizeof sql,
             "SELECT t.id, t.score, t.input_sha256, bi.size, t.answer_sha256, ba.size FROM test_cases t"
             " JOIN blobs bi ON bi.sha256 = t.input_sha256 JOIN blobs ba ON ba.sha256 = t.answer_sha256"
             " WHERE t.%s = $1 AND t.version = $2 ORDER BY t.ordinal", owner_col);
    snprintf(ver, sizeof ver, "%d", version);
    const char *p[] = {owner_id, ver};
    PGresult *r = store_exec(s, sql, 2, p, err);
    if (!r)
        return -1;
    int rows = PQntuples(r);
    core_test_t *t = calloc(rows ? (size_t)rows : 1, sizeof *t);
    if (!t) {
        PQclear(r);
        return oom(err);
    }
    for (int i = 0; i < rows; i++) {
        snprintf(t[i].id, sizeof t[i].id, "%s", PQgetvalue(r, i, 0));
        t[i].score = strtoll(PQgetvalue(r, i, 1), NULL, 10);
        snprintf(t[i].input.sha256, sizeof t[i].input.sha256, "%s", PQgetvalue(r, i, 2));
        t[i].input.size = strtoull(PQgetvalue(r, i, 3), NULL, 10);
        snprintf(t[i].answer.sha256, sizeof t[i].answer.sha256, "%s", PQgetvalue(r, i, 4));
        t[i].answer.size = strtoull(PQgetvalue(r, i, 5), NULL, 10);
    }
    PQclear(r);
    *tests = t;
    *n = (size_t)rows;
    return 0;
}

int store_submission_create(store_t *s, core_job_t *job, char id[STORE_UUID_LEN + 1], nsj_error_t *err)
{
    const char *qid = job->question_id[0] ? job->question_id : NULL;
    char *judging = NULL;
    if (store_begin(s, err) < 0)
        return -1;
    int64_t max_score = core_tests_max_score(job->tests, job->ntests);
    if (qid) {
        /* FOR SHARE: the question (and its version) cannot change before
         * the insert below; the submission keeps that version. */
        const char *p[] = {qid};
        PGresult *r = store_exec(s,
                                 "SELECT COALESCE((SELECT sum((g->>'points')::bigint)"
                                 "   FROM question_judging j, jsonb_array_elements(j.judging->'subtasks') g"
                                 "   WHERE j.question_id = q.id AND j.version = q.version),"
                                 "  (SELECT COALESCE(sum(score), 0) FROM test_cases t"
                                 "  WHERE t.question_id = q.id AND t.version = q.version)), q.version"
                                 " FROM questions q WHERE q.id = $1 FOR SHARE",
                                 1, p, err);
        if (!r)
            goto rollback;
        int found = PQntuples(r);
        if (found) {
            max_score = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
            job->question_version = atoi(PQgetvalue(r, 0, 1));
        }
        PQclear(r);
        if (!found) {
            snprintf(err->msg, sizeof err->msg, "question %s not found", qid);
            err->errnum = ENOENT;
            goto rollback;
        }
    }
    char score[24], lbuf[4][24], ver[16];
    snprintf(score, sizeof score, "%" PRId64, max_score);
    snprintf(ver, sizeof ver, "%d", job->question_version);
    bool bad = false;
    judging = qid ? NULL : store_judging_text(&job->judging, &bad);
    if (bad) {
        oom(err);
        goto rollback;
    }
    const char *p[13] = {qid, job->language, job->source, score};
    store_limit_params(&job->limits, lbuf, &p[4]);
    p[8] = qid ? ver : NULL;
    p[9] = job->keep_output ? "t" : "f";
    p[10] = judging;
    p[11] = job->key_id[0] ? job->key_id : NULL;
    p[12] = job->callback_url[0] ? job->callback_url : NULL;
    PGresult *r = store_exec(s,
                             "INSERT INTO submissions (question_id, language, source_code, max_score, "
                             STORE_LIMIT_COLUMNS ", question_version, keep_output, judging, key_id, callback_url)"
                             " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                             13, p, err);
    if (!r)
        goto rollback;
    snprintf(id, STORE_UUID_LEN + 1, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    if (!qid && store_insert_tests(s, "submission_id", id, 1, job->tests, job->ntests, err) < 0)
        goto rollback;
    if (store_commit(s, err) < 0)
        goto rollback;
    free(judging);
    return 0;
rollback:
    store_rollback(s);
    free(judging);
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

int store_job_load(store_t *s, const char *id, core_job_t *job, nsj_error_t *err)
{
    memset(job, 0, sizeof *job);
    const char *p[] = {id};
    PGresult *r = store_exec(s,
                             "SELECT s.question_id, s.language, s.source_code, s.question_version, s.keep_output,"
                             " COALESCE(s.time_limit_ms, q.time_limit_ms), COALESCE(s.wall_limit_ms, q.wall_limit_ms),"
                             " COALESCE(s.memory_limit, q.memory_limit), COALESCE(s.output_limit, q.output_limit),"
                             " COALESCE(s.judging, (SELECT j.judging FROM question_judging j"
                             "  WHERE j.question_id = s.question_id AND j.version = s.question_version))::text"
                             " FROM submissions s LEFT JOIN questions q ON q.id = s.question_id WHERE s.id = $1",
                             1, p, err);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        snprintf(err->msg, sizeof err->msg, "submission %s not found", id);
        err->errnum = ENOENT;
        return -1;
    }
    bool bad = false;
    snprintf(job->submission_id, sizeof job->submission_id, "%s", id);
    if (!PQgetisnull(r, 0, 0))
        snprintf(job->question_id, sizeof job->question_id, "%s", PQgetvalue(r, 0, 0));
    snprintf(job->language, sizeof job->language, "%s", PQgetvalue(r, 0, 1));
    job->source = store_dup(r, 0, 2, &bad);
    job->source_len = (size_t)PQgetlength(r, 0, 2);
    job->question_version = PQgetisnull(r, 0, 3) ? 1 : atoi(PQgetvalue(r, 0, 3));
    job->keep_output = PQgetvalue(r, 0, 4)[0] == 't';
    store_get_limits(r, 0, 5, &job->limits);
    cleanup_free char *judging = PQgetisnull(r, 0, 9) ? NULL : store_dup(r, 0, 9, &bad);
    PQclear(r);
    if (bad) {
        core_job_free(job);
        return oom(err);
    }
    int rc = job->question_id[0]
                 ? store_load_tests(s, "question_id", job->question_id, job->question_version, &job->tests,
                                    &job->ntests, err)
                 : store_load_tests(s, "submission_id", id, 1, &job->tests, &job->ntests, err);
    if (rc == 0)
        rc = store_judging_parse(judging, job->ntests, &job->judging, err);
    if (rc < 0)
        core_job_free(job);
    return rc;
}

static int insert_results(store_t *s, const char *id, const core_report_t *rep, nsj_error_t *err)
{
    enum { COLS = 21 };
    for (size_t base = 0; base < rep->ntests; base += BATCH_ROWS) {
        size_t rows = rep->ntests - base < BATCH_ROWS ? rep->ntests - base : BATCH_ROWS;
        const char **params = calloc(1 + rows * (COLS - 1), sizeof *params);
        char(*nums)[11][24] = calloc(rows, sizeof *nums);
        util_sbuf_t sql = {0};
        if (!params || !nums) {
            free(params);
            free(nums);
            return oom(err);
        }
        params[0] = id;
        util_sb_add(&sql, "INSERT INTO submission_results (submission_id, test_case_id, ordinal, status, passed, stdout,"
                     " stderr, execution_ms, cpu_ms, memory_kb, exit_code, signal, evidence, " STORE_LIMIT_COLUMNS
                     ", stdout_sha256, checker_message, points_fraction, subtask) VALUES ");
        for (size_t i = 0; i < rows; i++) {
            const core_test_result_t *t = &rep->tests[base + i];
            const char **q = &params[1 + i * (COLS - 1)];
            snprintf(nums[i][0], 24, "%d", t->ordinal);
            snprintf(nums[i][1], 24, "%" PRIu64, t->wall_ms);
            snprintf(nums[i][2], 24, "%" PRIu64, t->cpu_ms);
            snprintf(nums[i][3], 24, "%" PRIu64, t->memory_kb);
            snprintf(nums[i][4], 24, "%d", t->exit_code);
            snprintf(nums[i][5], 24, "%d", t->signal);
            q[0] = t->test_id;
            q[1] = nums[i][0];
            q[2] = core_status_name(t->status);
            q[3] = t->passed ? "t" : "f";
            q[4] = t->out ? t->out : "";
            q[5] = t->err ? t->err : "";
            q[6] = nums[i][1];
            q[7] = nums[i][2];
            q[8] = nums[i][3];
            q[9] = t->exit_code >= 0 ? nums[i][4] : NULL;
            q[10] = t->signal > 0 ? nums[i][5] : NULL;
            q[11] = t->evidence;
            store_limit_params(&t->limits, &nums[i][6], &q[12]);
            q[16] = t->stdout_blob.sha256[0] ? t->stdout_blob.sha256 : NULL;
            snprintf(nums[i][10], 24, "%.17g", t->passed ? 1.0 : t->fraction);
            q[17] = t->checker_message[0] ? t->checker_message : NULL;
            q[18] = nums[i][10];
            q[19] = t->group[0] ? t->group : NULL;
            int k = 2 + (int)i * (COLS - 1);
            util_sb_add(&sql, "%s($1", i ? ", " : "");
            for (int c = 0; c < COLS - 1; c++)
                util_sb_add(&sql, ", $%d", k + c);
            util_sb_add(&sql, ")");
        }
        util_sb_add(&sql, " ON CONFLICT (submission_id, test_case_id) DO NOTHING");
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

int store_submission_finish(store_t *s, const char *id, const core_report_t *rep, bool *committed,
                            nsj_error_t *err)
{
    *committed = false;
    char ms[24], kb[24], score[24], max[24];
    snprintf(ms, sizeof ms, "%" PRIu64, rep->execution_ms);
    snprintf(kb, sizeof kb, "%" PRIu64, rep->memory_kb);
    snprintf(score, sizeof score, "%" PRId64, rep->score);
    snprintf(max, sizeof max, "%" PRId64, rep->max_score);
    bool bad = false;
    cleanup_free char *groups = store_groups_text(rep, &bad);
    if (bad)
        return oom(err);
    const char *p[] = {id, core_status_name(rep->status), rep->out, rep->err, ms, kb, score, max,
                       rep->status == CORE_STATUS_INTERNAL_ERROR ? rep->error : NULL, groups};
    if (store_begin(s, err) < 0)
        return -1;
    /* The update first: it takes the row lock, so a second worker finishing
     * the same submission waits here, then finds it final and touches nothing. */
    PGresult *r = store_exec(s,
                             "UPDATE submissions SET status = $2, stdout = $3, stderr = $4, execution_ms = $5,"
                             " memory_kb = $6, score_awarded = $7, max_score = $8, error = $9, finished_at = now(),"
                             " subtask_results = $10 WHERE id = $1 AND NOT nsjudge_status_final(status) RETURNING 1",
                             10, p, err);
    if (!r)
        goto rollback;
    int n = PQntuples(r);
    PQclear(r);
    if (n == 0) {
        store_rollback(s);
        return 0;
    }
    if (insert_results(s, id, rep, err) < 0 || store_commit(s, err) < 0)
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
                             " WHERE id = $1 AND NOT nsjudge_status_final(status) RETURNING 1",
                             2, p, err);
    if (!r)
        return -1;
    if (changed)
        *changed = PQntuples(r) > 0;
    PQclear(r);
    return 0;
}

int store_jobs_stale(store_t *s, int64_t queued_age_ms, int64_t running_age_ms, int limit,
                     char (**ids)[STORE_UUID_LEN + 1], size_t *n, nsj_error_t *err)
{
    *ids = NULL;
    *n = 0;
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
        " RETURNING id",
        3, p, err);
    return r ? store_take_ids(r, NULL, ids, n, err) : -1;
}

static void not_found(nsj_error_t *err, const char *what, const char *id)
{
    snprintf(err->msg, sizeof err->msg, "%s %s not found", what, id);
    err->errnum = ENOENT;
}

static void get_time(const PGresult *r, int row, int col, char out[CORE_TIME_MAX])
{
    snprintf(out, CORE_TIME_MAX, "%s", PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

static int load_results(store_t *s, const char *id, core_report_t *rep, nsj_error_t *err)
{
    const char *p[] = {id};
    PGresult *r = store_exec(s,
                             "SELECT r.test_case_id, r.ordinal, r.status, r.passed, r.stdout, r.stderr, r.execution_ms,"
                             " r.cpu_ms, r.memory_kb, r.exit_code, r.signal, r.evidence, r.time_limit_ms,"
                             " r.wall_limit_ms, r.memory_limit, r.output_limit, r.stdout_sha256, b.size,"
                             " r.checker_message, r.points_fraction, r.subtask"
                             " FROM submission_results r LEFT JOIN blobs b ON b.sha256 = r.stdout_sha256"
                             " WHERE r.submission_id = $1 ORDER BY r.ordinal",
                             1, p, err);
    if (!r)
        return -1;
    int rows = PQntuples(r);
    rep->tests = calloc(rows ? (size_t)rows : 1, sizeof *rep->tests);
    if (!rep->tests) {
        PQclear(r);
        return oom(err);
    }
    bool bad = false;
    for (int i = 0; i < rows; i++) {
        core_test_result_t *t = &rep->tests[i];
        rep->ntests = (size_t)i + 1;
        snprintf(t->test_id, sizeof t->test_id, "%s", PQgetvalue(r, i, 0));
        t->ordinal = atoi(PQgetvalue(r, i, 1));
        if (core_status_from_name(PQgetvalue(r, i, 2), &t->status) < 0)
            t->status = CORE_STATUS_INTERNAL_ERROR; /* the CHECK constraint makes this unreachable */
        t->passed = PQgetvalue(r, i, 3)[0] == 't';
        t->out = store_dup(r, i, 4, &bad);
        t->err = store_dup(r, i, 5, &bad);
        t->wall_ms = strtoull(PQgetvalue(r, i, 6), NULL, 10);
        t->cpu_ms = strtoull(PQgetvalue(r, i, 7), NULL, 10);
        t->memory_kb = strtoull(PQgetvalue(r, i, 8), NULL, 10);
        t->exit_code = PQgetisnull(r, i, 9) ? -1 : atoi(PQgetvalue(r, i, 9));
        t->signal = PQgetisnull(r, i, 10) ? 0 : atoi(PQgetvalue(r, i, 10));
        snprintf(t->evidence, sizeof t->evidence, "%s", PQgetvalue(r, i, 11));
        store_get_limits(r, i, 12, &t->limits);
        if (!PQgetisnull(r, i, 16)) {
            snprintf(t->stdout_blob.sha256, sizeof t->stdout_blob.sha256, "%s", PQgetvalue(r, i, 16));
            t->stdout_blob.size = strtoull(PQgetvalue(r, i, 17), NULL, 10);
        }
        snprintf(t->checker_message, sizeof t->checker_message, "%s", PQgetvalue(r, i, 18));
        t->fraction = PQgetisnull(r, i, 19) ? (t->passed ? 1 : 0) : strtod(PQgetvalue(r, i, 19), NULL);
        snprintf(t->group, sizeof t->group, "%s", PQgetvalue(r, i, 20));
    }
    PQclear(r);
    return bad ? oom(err) : 0;
}

int store_submission_get(store_t *s, const char *id, core_submission_t *out, nsj_error_t *err)
{
    memset(out, 0, sizeof *out);
    const char *p[] = {id};
    PGresult *r = store_exec(s,
                             "SELECT question_id, language, source_code, status, stdout, stderr, execution_ms,"
                             " memory_kb, score_awarded, max_score, error, " STORE_TIME("created_at") ", "
                             STORE_TIME("started_at") ", " STORE_TIME("finished_at") ", " STORE_LIMIT_COLUMNS
                             ", keep_output, subtask_results::text FROM submissions WHERE id = $1",
                             1, p, err);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        not_found(err, "submission", id);
        return -1;
    }
    bool bad = false;
    core_job_t *j = &out->job;
    core_report_t *rep = &out->report;
    snprintf(j->submission_id, sizeof j->submission_id, "%s", id);
    if (!PQgetisnull(r, 0, 0))
        snprintf(j->question_id, sizeof j->question_id, "%s", PQgetvalue(r, 0, 0));
    snprintf(j->language, sizeof j->language, "%s", PQgetvalue(r, 0, 1));
    j->source = store_dup(r, 0, 2, &bad);
    j->source_len = (size_t)PQgetlength(r, 0, 2);
    if (core_status_from_name(PQgetvalue(r, 0, 3), &rep->status) < 0)
        rep->status = CORE_STATUS_INTERNAL_ERROR; /* the CHECK constraint makes this unreachable */
    rep->out = store_dup(r, 0, 4, &bad);
    rep->err = store_dup(r, 0, 5, &bad);
    rep->summarized = !PQgetisnull(r, 0, 8);
    rep->execution_ms = strtoull(PQgetvalue(r, 0, 6), NULL, 10);
    rep->memory_kb = strtoull(PQgetvalue(r, 0, 7), NULL, 10);
    rep->score = strtoll(PQgetvalue(r, 0, 8), NULL, 10);
    rep->max_score = strtoll(PQgetvalue(r, 0, 9), NULL, 10);
    snprintf(rep->error, sizeof rep->error, "%s", PQgetvalue(r, 0, 10));
    get_time(r, 0, 11, out->created_at);
    get_time(r, 0, 12, out->started_at);
    get_time(r, 0, 13, out->finished_at);
    store_get_limits(r, 0, 14, &j->limits);
    j->keep_output = PQgetvalue(r, 0, 18)[0] == 't';
    int grc = store_groups_parse(PQgetisnull(r, 0, 19) ? NULL : PQgetvalue(r, 0, 19), rep, err);
    PQclear(r);
    if (grc < 0) {
        core_submission_free(out);
        return -1;
    }
    if (bad || load_results(s, id, rep, err) < 0) {
        core_submission_free(out);
        return bad ? oom(err) : -1;
    }
    return 0;
}

int store_submission_status(store_t *s, const char *id, core_status_t *status, nsj_error_t *err)
{
    const char *p[] = {id};
    PGresult *r = store_exec(s, "SELECT status FROM submissions WHERE id = $1", 1, p, err);
    if (!r)
        return -1;
    int rc = 0;
    if (PQntuples(r) == 0)
        not_found(err, "submission", id);
    if (PQntuples(r) == 0 || core_status_from_name(PQgetvalue(r, 0, 0), status) < 0)
        rc = -1;
    if (rc < 0 && PQntuples(r) > 0)
        rc = nsj_error_set(err, EIO, "submission %s: unknown status '%s'", id, PQgetvalue(r, 0, 0));
    PQclear(r);
    return rc;
}

int store_submission_stdout(store_t *s, const char *id, long n, core_blob_t *out, nsj_error_t *err)
{
    char num[24];
    snprintf(num, sizeof num, "%ld", n);
    const char *p[] = {id, num};
    PGresult *r = store_exec(s,
                             "SELECT b.sha256, b.size FROM submission_results r JOIN blobs b ON b.sha256 = r.stdout_sha256"
                             " WHERE r.submission_id = $1 AND r.ordinal = $2",
                             2, p, err);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        snprintf(err->msg, sizeof err->msg,
                 "submission %s has no kept stdout of test %ld (it is kept when the submission asks keep_output)", id, n);
        err->errnum = ENOENT;
        return -1;
    }
    snprintf(out->sha256, sizeof out->sha256, "%s", PQgetvalue(r, 0, 0));
    out->size = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
    PQclear(r);
    return 0;
}
