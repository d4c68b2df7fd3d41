/* Judging one submission: run every test case through the sandbox,
 * compare outputs, score. No queue, database or HTTP here: the caller
 * hands in plain data and stores the report. */
#ifndef NSJ_JUDGE_H
#define NSJ_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/job.h"
#include "judge/build.h"
#include "judge/languages.h"
#include "nsjudge/sandbox.h"

/* What the caller hands in: the job (core/job.h) and where to run it. */
typedef struct judge_submission {
    const language_t *lang;
    const char *rootfs;          /* the language's rootfs directory */
    const core_job_t *job;
    nsj_limits_t limits;         /* for each test, before the language's adjustments */
    int cancel_fd;               /* readable = stop now (-1 = never) */
    size_t preview_max;          /* bytes of stdout/stderr kept per test in the report (STORED_OUTPUT_MAX) */
    /* Optional: called by judge_run right after test i finished (not for a
     * cancelled test), so that progress can be published as it happens. */
    void (*on_test)(void *ud, size_t i, const core_test_result_t *t);
    void *ud;
    /* Open a test's file (its input or its answer) for reading: a
     * descriptor the judge closes, or <0 with err (the test is then
     * internal_error: the host could not provide its data). */
    int (*open_data)(void *ud, const core_blob_t *blob, nsj_error_t *err);
    /* With job->keep_output: store a test's whole stdout, filling blob;
     * <0 with err (the test is then internal_error). */
    int (*keep_stdout)(void *ud, const char *data, size_t len, core_blob_t *blob, nsj_error_t *err);
    /* A custom checker (job->judging.checker.type custom), built and ready
     * (worker/progcache.h); NULL otherwise. */
    judge_build_t *checker;
    /* Interactive (job->judging.mode): the interactor, built and ready
     * (worker/progcache.h); each test then runs as judge/interact.h says. */
    judge_build_t *interactor;
} judge_submission_t;

/* A sandbox result's status for one test, given whether its output matched. */
core_status_t judge_classify(const nsj_result_t *r, bool output_matches);

/* Score and summarise rep->tests (status, score, maxima, and the output
 * the submission shows: the first failing test's, else the last's). With
 * subtasks (j->nsubtasks), rep->groups gets each group's result and the
 * score is the sum of the groups' awards: a group scores its points times
 * the least fraction of its tests (1 passed, 0 failed or skipped, a
 * checker's partial points between), and nothing unless each group it
 * depends on scored in full. Without subtasks a test scores its score
 * times its fraction (rounded down). */
void judge_summarize(core_report_t *rep, const core_test_t *tests, size_t ntests, const core_judging_t *j);

/* The sum of the subtasks' points, else of the tests' scores. */
int64_t judge_max_score(const core_test_t *tests, size_t ntests, const core_judging_t *j);

/* Should test i be skipped (not run) given the results so far? Only with
 * subtasks and without run_all: when each subtask naming it has a failed
 * test or depends on a group that has. why gets the subtask's name. */
bool judge_skip(const core_report_t *rep, size_t i, const core_judging_t *j, char *why, size_t cap);

/* The first subtask naming test i ("" = none). */
void judge_test_group(const core_judging_t *j, size_t i, char *out, size_t cap);

/* Make program output storable: valid UTF-8, NUL bytes replaced, at most
 * max bytes plus a note saying how much there was (malloc'd). */
char *judge_display_text(const char *s, size_t len, size_t max);

/* End test i of a run (its output and its status set): a missing output
 * copy is an internal error, which fails the run with the test's evidence;
 * counts the test and reports it to sub->on_test. */
void judge_end_test(const judge_submission_t *sub, core_report_t *rep, size_t i, core_test_result_t *t);

/* Judge a submission; always fills rep (core_report_free() it). */
void judge_run(nsj_sandbox_t *sb, const judge_submission_t *sub, core_report_t *rep);

#endif
