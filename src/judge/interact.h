/* The verdict of one interactive test from its two sandboxes' outcomes
 * (nsjudge/pair.h), by the rules in README.md ("Interactive problems"). */
#ifndef NSJ_JUDGE_INTERACT_H
#define NSJ_JUDGE_INTERACT_H

#include <stdbool.h>

#include "core/status.h"
#include "nsjudge/pair.h"

/* testlib's exit codes that are a judgement of the contestant (anything
 * else an interactor does is its own failure). */
enum {
    INTERACT_EXIT_OK = 0,
    INTERACT_EXIT_WA = 1,
    INTERACT_EXIT_PE = 2,
    INTERACT_EXIT_FAIL = 3,
    INTERACT_EXIT_DIRT = 4,
    INTERACT_EXIT_POINTS = 7,
    INTERACT_EXIT_UNEXPECTED_EOF = 8,
};

typedef struct interact_outcome {
    core_status_t status;
    bool interactor_failed;      /* internal_error because of the interactor (not the host) */
    double fraction;             /* of the test's points: 1 passed, between 0 and 1: partial points (exit 7) */
    char message[256];           /* the interactor's first line of stderr ("" = none) */
    char evidence[512];
} interact_outcome_t;

/* Decide one test. */
void interact_decide(const nsj_pair_result_t *pr, interact_outcome_t *out);

/* The interactor's own limits: generous, and its wall clock longer than
 * the contestant's (the exchange's) by INTERACT_WALL_EXTRA_MS, so that a
 * stalled exchange ends at the contestant's limit first. */
#define INTERACT_CPU_MS 10000ULL
#define INTERACT_MEMORY (512ULL << 20)
#define INTERACT_OUTPUT (64ULL << 10)
#define INTERACT_WALL_EXTRA_MS 15000ULL
/* Test data handed to an interactor is read into its sandbox's /code. */
#define INTERACT_DATA_MAX (64ULL << 20)

struct judge_build;

/* The pair's specs for one test: the program (build) as judge_run runs one
 * under limits, the interactor with its own limits (INTERACT_*), the test's
 * input and answer in its /code and testlib's argv. files (at least
 * 1 + JUDGE_BUILD_FILES_MAX + 2) and argv (LANG_MAX_ARGS + 4) are the
 * caller's storage; transcript_max and cancel_fd are left to the caller. */
void interact_pair_specs(struct judge_build *build, const nsj_limits_t *limits, struct judge_build *interactor,
                         const char *in, size_t in_len, const char *ans, size_t ans_len, nsj_file_t *files,
                         const char **argv, nsj_pair_spec_t *ps);

struct judge_submission;
struct core_report;

/* Run test i of an interactive submission (sub->interactor set): the
 * program (build) and the interactor, which gets the test's input and
 * answer files as testlib's interactors expect (interactor /code/.input
 * /tmp/.output /code/.answer); fills rep->tests[i] like judge_run's tests.
 * With job->keep_output the exchange's transcript (bounded by the output
 * limit) is the test's stdout; without, nothing of the exchange is kept. */
void interact_run_test(nsj_sandbox_t *sb, const struct judge_submission *sub, struct judge_build *build, size_t i,
                       struct core_report *rep);

#endif
