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
#include "judge/checker.h"
#include "judge/interact.h"
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

/* A test's share of its points: 1 passed, else its checker's partial points. */
static double fraction(const core_test_result_t *t)
{
    return t->passed ? 1.0 : t->fraction;
}

int64_t judge_max_score(const core_test_t *tests, size_t ntests, const core_judging_t *j)
{
    if (!j || !j->nsubtasks)
        return core_tests_max_score(tests, ntests);
    int64_t sum = 0;
    for (size_t g = 0; g < j->nsubtasks; g++)
        sum += j->subtasks[g].points;
    return sum;
}

/* Has group g (or a group it depends on) lost points? 0 no, 1 yes, seen
 * guards the walk (the parser refused cycles). Tests not run count as lost. */
static bool group_lost(const core_report_t *rep, const core_judging_t *j, size_t g, unsigned depth)
{
    const core_subtask_t *s = &j->subtasks[g];
    for (size_t k = 0; k < s->ntests; k++) {
        size_t i = (size_t)s->tests[k];
        if (i < rep->ntests && rep->tests[i].status != CORE_STATUS_SKIPPED && fraction(&rep->tests[i]) < 1)
            return true;
    }
    for (size_t d = 0; depth < 64 && d < s->ndepends; d++)
        if (group_lost(rep, j, s->depends[d], depth + 1))
            return true;
    return false;
}

bool judge_skip(const core_report_t *rep, size_t i, const core_judging_t *j, char *why, size_t cap)
{
    if (!j || !j->nsubtasks || j->run_all)
        return false;
    bool named = false;
    for (size_t g = 0; g < j->nsubtasks; g++) {
        const core_subtask_t *s = &j->subtasks[g];
        bool has = false;
        for (size_t k = 0; k < s->ntests && !has; k++)
            has = (size_t)s->tests[k] == i;
        if (!has)
            continue;
        if (!group_lost(rep, j, g, 0))
            return false;
        if (!named)
            snprintf(why, cap, "skipped: subtask '%s' has lost its points", s->name);
        named = true;
    }
    return named;
}

static void summarize_groups(core_report_t *rep, const core_judging_t *j)
{
    free(rep->groups);
    rep->ngroups = 0;
    if (!(rep->groups = calloc(j->nsubtasks, sizeof *rep->groups)))
        return;
    rep->ngroups = j->nsubtasks;
    rep->score = 0;
    for (size_t g = 0; g < j->nsubtasks; g++) {
        const core_subtask_t *s = &j->subtasks[g];
        core_group_result_t *r = &rep->groups[g];
        snprintf(r->name, sizeof r->name, "%s", s->name);
        r->points = s->points;
        double least = 1;
        bool all_skipped = true;
        for (size_t k = 0; k < s->ntests; k++) {
            size_t i = (size_t)s->tests[k];
            bool ran = i < rep->ntests && rep->tests[i].status != CORE_STATUS_SKIPPED;
            all_skipped &= !ran;
            double f = ran ? fraction(&rep->tests[i]) : 0;
            least = f < least ? f : least;
        }
        bool deps_ok = true;
        for (size_t d = 0; d < s->ndepends; d++)
            deps_ok &= !group_lost(rep, j, s->depends[d], 0);
        r->awarded = deps_ok ? (int64_t)((double)s->points * least + 1e-9) : 0;
        r->status = all_skipped ? CORE_STATUS_SKIPPED
                    : r->awarded == s->points && least >= 1 && deps_ok ? CORE_STATUS_PASSED
                                                                        : CORE_STATUS_FAILED;
        rep->score += r->awarded;
    }
}

void judge_summarize(core_report_t *rep, const core_test_t *tests, size_t ntests, const core_judging_t *j)
{
    rep->score = 0;
    rep->max_score = judge_max_score(tests, ntests, j);
    rep->execution_ms = rep->memory_kb = 0;
    rep->summarized = true;
    size_t first_fail = rep->ntests;
    for (size_t i = 0; i < rep->ntests; i++) {
        const core_test_result_t *t = &rep->tests[i];
        rep->score += (int64_t)((double)tests[i].score * fraction(t) + 1e-9);
        if (!t->passed && t->status != CORE_STATUS_SKIPPED && first_fail == rep->ntests)
            first_fail = i;
        if (t->wall_ms > rep->execution_ms)
            rep->execution_ms = t->wall_ms;
        if (t->memory_kb > rep->memory_kb)
            rep->memory_kb = t->memory_kb;
    }
    if (j && j->nsubtasks)
        summarize_groups(rep, j);
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

void judge_end_test(const judge_submission_t *sub, core_report_t *rep, size_t i, core_test_result_t *t)
{
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
    if (sub->on_test)
        sub->on_test(sub->ud, i, t);
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

void judge_test_group(const core_judging_t *j, size_t i, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t g = 0; g < j->nsubtasks && !out[0]; g++)
        for (size_t k = 0; k < j->subtasks[g].ntests; k++)
            if ((size_t)j->subtasks[g].tests[k] == i) {
                snprintf(out, cap, "%s", j->subtasks[g].name);
                break;
            }
}

/* A test not run: its subtask had already lost its points. */
static void skip_test(const judge_submission_t *sub, size_t i, const char *why, core_report_t *rep)
{
    core_test_result_t *t = &rep->tests[i];
    snprintf(t->test_id, sizeof t->test_id, "%s", sub->job->tests[i].id);
    t->ordinal = (int)i;
    t->status = CORE_STATUS_SKIPPED;
    t->exit_code = -1;
    t->out = strdup("");
    t->err = strdup("");
    judge_test_group(&sub->job->judging, i, t->group, sizeof t->group);
    snprintf(t->evidence, sizeof t->evidence, "%s", why);
    rep->ntests = i + 1;
    if (!t->out || !t->err) {
        t->status = rep->status = CORE_STATUS_INTERNAL_ERROR;
        snprintf(rep->error, sizeof rep->error, "out of memory");
        return;
    }
    if (sub->on_test)
        sub->on_test(sub->ud, i, t);
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
    judge_test_group(&sub->job->judging, i, t->group, sizeof t->group);
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
    judge_check_t chk = {.outcome = JUDGE_CHECK_WRONG};
    if (rc == 0 && res.verdict == NSJ_VERDICT_OK) {
        /* The expected output is read from its file, never whole in memory
         * (a custom checker gets it, and the input, in its sandbox's /code). */
        want_fd = sub->open_data(sub->ud, &tc->answer, &err);
        if (want_fd < 0) {
            snprintf(res.message, sizeof res.message, "test answer %.64s: %.400s", tc->answer.sha256, err.msg);
            rc = -1;
        } else if (!sub->checker &&
                   judge_checker_compare(&sub->job->judging.checker, res.out, res.out_len, want_fd, &chk) < 0) {
            snprintf(res.message, sizeof res.message, "test answer %.64s: read failed", tc->answer.sha256);
            rc = -1;
        } else if (sub->checker) {
            int cin = sub->open_data(sub->ud, &tc->input, &err);
            if (cin < 0 || judge_checker_run(sb, &sub->job->judging.checker, sub->checker, cin, res.out, res.out_len,
                                             want_fd, sub->cancel_fd, &chk, &err) < 0) {
                snprintf(res.message, sizeof res.message, "checker: %.480s", err.msg);
                rc = -1;
            }
            if (cin >= 0)
                close(cin);
        }
        if (want_fd >= 0)
            close(want_fd);
    }
    snprintf(t->checker_message, sizeof t->checker_message, "%s", chk.message);
    bool match = rc == 0 && res.verdict == NSJ_VERDICT_OK && chk.outcome == JUDGE_CHECK_ACCEPTED;
    t->status = rc < 0 ? CORE_STATUS_INTERNAL_ERROR : judge_classify(&res, match);
    if (rc == 0 && res.verdict == NSJ_VERDICT_OK && chk.outcome == JUDGE_CHECK_FAILED)
        t->status = CORE_STATUS_INTERNAL_ERROR; /* the checker's failure, never the program's */
    t->passed = t->status == CORE_STATUS_PASSED;
    t->fraction = t->passed ? 1 : t->status == CORE_STATUS_FAILED ? chk.fraction : 0;
    t->out = judge_display_text(res.out, res.out_len, sub->preview_max);
    t->err = judge_display_text(res.err, res.err_len, sub->preview_max);
    t->wall_ms = res.wall_ms;
    t->cpu_ms = res.cpu_ms;
    t->memory_kb = res.memory_kb;
    t->exit_code = res.exit_code;
    t->signal = res.signal;
    if (rc < 0)
        snprintf(t->evidence, sizeof t->evidence, "%s", res.message);
    else if (t->status == CORE_STATUS_INTERNAL_ERROR)
        snprintf(t->evidence, sizeof t->evidence, "%s checker: %.440s", core_checker_name(sub->job->judging.checker.type),
                 chk.message);
    else if (t->status == CORE_STATUS_FAILED)
        snprintf(t->evidence, sizeof t->evidence, "%.200s; %s checker: %.250s", res.evidence,
                 core_checker_name(sub->job->judging.checker.type), chk.message);
    else
        snprintf(t->evidence, sizeof t->evidence, "%s", res.evidence);
    if (rc == 0 && sub->job->keep_output && sub->keep_stdout &&
        sub->keep_stdout(sub->ud, res.out ? res.out : "", res.out_len, &t->stdout_blob, &err) < 0) {
        t->status = CORE_STATUS_INTERNAL_ERROR;
        t->passed = false;
        snprintf(t->evidence, sizeof t->evidence, "keeping the output: %.480s", err.msg);
    }
    nsj_result_free(&res);
    judge_end_test(sub, rep, i, t);
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
        judge_summarize(rep, job->tests, job->ntests, &job->judging);
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
        judge_summarize(rep, job->tests, job->ntests, &job->judging);
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
    for (size_t i = 0; i < job->ntests && !rep->cancelled && rep->status == CORE_STATUS_PASSED; i++) {
        char why[128];
        if (judge_skip(rep, i, &job->judging, why, sizeof why))
            skip_test(sub, i, why, rep);
        else if (sub->interactor)
            interact_run_test(sb, sub, &build, i, rep);
        else
            run_test(sb, sub, &build, i, rep);
    }
    judge_build_cleanup(&build);
    judge_summarize(rep, job->tests, job->ntests, &job->judging);
}
