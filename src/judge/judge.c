/* Judging a submission.
 *
 * The plan is: prepare, then run each test case. Interpreted languages
 * have nothing to prepare; compiled languages (issue #5) will compile once
 * in the sandbox at the marked place and stop with compile_error there, so
 * the run loop below stays the same for every language.
 *
 * Every test runs even after one failed: the score is the sum of the
 * passed tests' scores. Only a sandbox failure (internal_error: the judge,
 * not the program, is broken) or a cancellation stops early. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "judge/build.h"
#include "judge/compare.h"
#include "judge/judge.h"
#include "judge/text.h"

core_status_t judge_classify(const nsj_result_t *r, bool output_matches)
{
    switch (r->verdict) {
    case NSJ_VERDICT_OK: return output_matches ? CORE_STATUS_PASSED : CORE_STATUS_FAILED;
    case NSJ_VERDICT_RUNTIME_ERROR: return CORE_STATUS_RUNTIME_ERROR;
    /* The program did something forbidden and was killed for it: to the
     * submitter a runtime error; the evidence names the syscall. */
    case NSJ_VERDICT_SYSCALL_BLOCKED: return CORE_STATUS_RUNTIME_ERROR;
    case NSJ_VERDICT_TIME_LIMIT: return CORE_STATUS_TIME_LIMIT;
    case NSJ_VERDICT_MEMORY_LIMIT: return CORE_STATUS_MEMORY_LIMIT;
    case NSJ_VERDICT_OUTPUT_LIMIT: return CORE_STATUS_OUTPUT_LIMIT;
    case NSJ_VERDICT_INTERNAL_ERROR: break;
    }
    return CORE_STATUS_INTERNAL_ERROR;
}

void judge_summarize(core_report_t *rep, const core_test_t *tests, size_t ntests)
{
    rep->score = 0;
    rep->max_score = core_tests_max_score(tests, ntests);
    rep->execution_ms = rep->memory_kb = 0;
    rep->summarized = true;
    size_t first_fail = rep->ntests;
    for (size_t i = 0; i < rep->ntests; i++) {
        const core_test_result_t *t = &rep->tests[i];
        if (t->passed)
            rep->score += tests[i].score;
        else if (first_fail == rep->ntests)
            first_fail = i;
        if (t->wall_ms > rep->execution_ms)
            rep->execution_ms = t->wall_ms;
        if (t->memory_kb > rep->memory_kb)
            rep->memory_kb = t->memory_kb;
    }
    size_t shown = first_fail < rep->ntests ? first_fail : rep->ntests - 1;
    if (rep->ntests && !rep->out && !rep->err) {
        /* Out of memory here leaves them null: the results keep the output. */
        rep->out = rep->tests[shown].out ? strdup(rep->tests[shown].out) : NULL;
        rep->err = rep->tests[shown].err ? strdup(rep->tests[shown].err) : NULL;
    }
    if (rep->status == CORE_STATUS_INTERNAL_ERROR || rep->status == CORE_STATUS_COMPILE_ERROR)
        return; /* set by judge_run with its reason */
    if (first_fail < rep->ntests)
        rep->status = rep->tests[first_fail].status;
    else if (rep->ntests == ntests && ntests > 0)
        rep->status = CORE_STATUS_PASSED;
    else
        rep->status = CORE_STATUS_INTERNAL_ERROR;
}

char *judge_display_text(const char *s, size_t len, size_t max)
{
    size_t keep = len > max ? max : len, n;
    char *clean = text_utf8_sanitize(s ? s : "", s ? keep : 0, &n);
    if (!clean)
        return NULL;
    size_t nuls = 0;
    for (size_t i = 0; i < n; i++)
        nuls += clean[i] == '\0';
    char note[96] = "";
    if (len > keep)
        snprintf(note, sizeof note, "\n[output truncated: %zu bytes shown of %zu]", keep, len);
    size_t notelen = strlen(note);
    char *out = malloc(n + nuls * 2 + notelen + 1);
    if (!out) {
        free(clean);
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        /* Postgres text cannot hold NUL: show it as U+FFFD, like bad bytes. */
        if (clean[i] == '\0') {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
        } else {
            out[o++] = clean[i];
        }
    }
    memcpy(out + o, note, notelen + 1);
    free(clean);
    return out;
}

static bool cancelled(const nsj_result_t *r)
{
    return r->verdict != NSJ_VERDICT_INTERNAL_ERROR && strcmp(r->evidence, "cancelled") == 0;
}

static void run_test(nsj_sandbox_t *sb, const judge_submission_t *sub, judge_build_t *build, size_t i,
                     core_report_t *rep)
{
    const core_test_t *tc = &sub->job->tests[i];
    core_test_result_t *t = &rep->tests[i];
    nsj_run_spec_t spec;
    nsj_run_spec_init(&spec);
    judge_build_run_spec(build, &sub->limits, &spec);
    snprintf(t->test_id, sizeof t->test_id, "%s", tc->id);
    t->ordinal = (int)i;
    core_limits_from_sandbox(&spec.limits, &t->limits);
    nsj_result_t res;
    nsj_result_init(&res);
    nsj_error_t err;
    int in_fd = sub->open_data(sub->ud, &tc->input, &err), want_fd = -1, rc = -1;
    if (in_fd < 0) {
        snprintf(res.message, sizeof res.message, "test input %.64s: %.400s", tc->input.sha256, err.msg);
    } else {
        spec.stdin_fd = in_fd;
        spec.cancel_fd = sub->cancel_fd;
        rc = judge_build_run(build, sb, &spec, &res);
        close(in_fd);
    }
    if (rc == 0 && cancelled(&res)) {
        rep->cancelled = true;
        nsj_result_free(&res);
        return;
    }
    size_t diff_line = 0;
    if (rc == 0 && res.verdict == NSJ_VERDICT_OK) {
        /* The expected output is compared from its file, a buffer at a time. */
        want_fd = sub->open_data(sub->ud, &tc->answer, &err);
        if (want_fd < 0) {
            snprintf(res.message, sizeof res.message, "test answer %.64s: %.400s", tc->answer.sha256, err.msg);
            rc = -1;
        } else if (judge_output_diff_line_fd(res.out, res.out_len, want_fd, &diff_line) < 0) {
            snprintf(res.message, sizeof res.message, "test answer %.64s: read failed", tc->answer.sha256);
            rc = -1;
        }
        if (want_fd >= 0)
            close(want_fd);
    }
    bool match = rc == 0 && res.verdict == NSJ_VERDICT_OK && diff_line == 0;
    t->status = rc < 0 ? CORE_STATUS_INTERNAL_ERROR : judge_classify(&res, match);
    t->passed = t->status == CORE_STATUS_PASSED;
    t->out = judge_display_text(res.out, res.out_len, sub->preview_max);
    t->err = judge_display_text(res.err, res.err_len, sub->preview_max);
    t->wall_ms = res.wall_ms;
    t->cpu_ms = res.cpu_ms;
    t->memory_kb = res.memory_kb;
    t->exit_code = res.exit_code;
    t->signal = res.signal;
    if (rc < 0)
        snprintf(t->evidence, sizeof t->evidence, "%s", res.message);
    else if (t->status == CORE_STATUS_FAILED)
        snprintf(t->evidence, sizeof t->evidence, "%.400s; output differs from the expected output at line %zu",
                 res.evidence, diff_line);
    else
        snprintf(t->evidence, sizeof t->evidence, "%s", res.evidence);
    if (rc == 0 && sub->job->keep_output && sub->keep_stdout &&
        sub->keep_stdout(sub->ud, res.out ? res.out : "", res.out_len, &t->stdout_blob, &err) < 0) {
        t->status = CORE_STATUS_INTERNAL_ERROR;
        t->passed = false;
        snprintf(t->evidence, sizeof t->evidence, "keeping the output: %.480s", err.msg);
    }
    if (!t->out || !t->err) {
        t->status = CORE_STATUS_INTERNAL_ERROR;
        t->passed = false;
        snprintf(t->evidence, sizeof t->evidence, "out of memory keeping the output");
    }
    if (t->status == CORE_STATUS_INTERNAL_ERROR) {
        rep->status = CORE_STATUS_INTERNAL_ERROR;
        /* The evidence names the step: a sandbox step, or the test's data. */
        snprintf(rep->error, sizeof rep->error, "test %zu: %.480s", i + 1, t->evidence);
    }
    rep->ntests = i + 1;
    nsj_result_free(&res);
    if (sub->on_test)
        sub->on_test(sub->ud, i, t);
}

void judge_run(nsj_sandbox_t *sb, const judge_submission_t *sub, core_report_t *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->status = CORE_STATUS_PASSED;
    const core_job_t *job = sub->job;
    rep->tests = calloc(job->ntests ? job->ntests : 1, sizeof *rep->tests);
    if (!rep->tests) {
        rep->status = CORE_STATUS_INTERNAL_ERROR;
        snprintf(rep->error, sizeof rep->error, "out of memory");
        judge_summarize(rep, job->tests, job->ntests);
        return;
    }
    /* A source that is itself the program (a prebuilt binary) must be executable. */
    bool exec_source = sub->lang->run_argc > 0 && strncmp(sub->lang->run_argv[0], "/code/", 6) == 0 &&
                       strcmp(sub->lang->run_argv[0] + 6, sub->lang->source) == 0;
    /* Compile once, in the sandbox (a no-op for interpreted languages);
     * every test then runs the artefact. */
    judge_build_t build;
    nsj_error_t err;
    if (judge_build_init(&build, sb, sub->lang, sub->rootfs, job->source, job->source_len,
                         exec_source ? 0755 : 0644, &err) < 0) {
        rep->status = CORE_STATUS_INTERNAL_ERROR;
        snprintf(rep->error, sizeof rep->error, "%s", err.msg);
        judge_summarize(rep, job->tests, job->ntests);
        return;
    }
    nsj_result_t cres;
    int crc = judge_build_compile(&build, sb, &sub->limits, &cres);
    if (crc < 0) {
        rep->status = CORE_STATUS_INTERNAL_ERROR;
        snprintf(rep->error, sizeof rep->error, "compile step: %.480s", cres.message);
    } else if (crc > 0) {
        rep->status = CORE_STATUS_COMPILE_ERROR;
        rep->out = judge_display_text(cres.out, cres.out_len, sub->preview_max);
        rep->err = judge_display_text(cres.err, cres.err_len, sub->preview_max);
        snprintf(rep->error, sizeof rep->error, "compiler: %.480s", cres.evidence);
    }
    nsj_result_free(&cres);
    for (size_t i = 0; i < job->ntests && !rep->cancelled && rep->status == CORE_STATUS_PASSED; i++)
        run_test(sb, sub, &build, i, rep);
    judge_build_cleanup(&build);
    judge_summarize(rep, job->tests, job->ntests);
}
