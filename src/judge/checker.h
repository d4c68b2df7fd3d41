/* Checkers: how a test's output is judged (issue #12). The types are the
 * table CORE_CHECKERS (core/judging.h); the rules:
 *
 *  exact   today's rule (judge/compare.c): trailing whitespace of each line
 *          and trailing blank lines ignored, every other byte counts.
 *  tokens  the whitespace-separated tokens (space, \t, \r, \n, \v, \f) are
 *          equal, one by one, and as many.
 *  float   tokens as above; where the expected token is a number (decimal:
 *          [+-]digits[.digits][e[+-]digits], or inf/infinity/nan in any case),
 *          the output's token must be a number within abs OR within rel of
 *          it: |got - want| <= abs, or <= rel * |want| (each bound plus
 *          1e-9 of itself, for the rounding of decimal text to binary).
 *          NaN matches only NaN, an infinity only the same infinity. Other
 *          tokens are compared exactly.
 *  custom  a program in testlib's convention (judge_checker_run below).
 *
 * No "lines-unordered": none of our problems needs it, and a custom
 * checker does it in a few lines, so it would be a fourth rule to keep
 * without a user. */
#ifndef NSJ_JUDGE_CHECKER_H
#define NSJ_JUDGE_CHECKER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/judging.h"
#include "judge/build.h"
#include "nsjudge/sandbox.h"

typedef enum judge_check_outcome {
    JUDGE_CHECK_ACCEPTED,        /* fraction 1 */
    JUDGE_CHECK_WRONG,           /* fraction 0 (wrong answer, presentation error) */
    JUDGE_CHECK_PARTIAL,         /* 0 < fraction < 1 */
    JUDGE_CHECK_FAILED,          /* the checker failed: internal_error, never the contestant's fault */
} judge_check_outcome_t;

typedef struct judge_check {
    judge_check_outcome_t outcome;
    double fraction;             /* of the test's points */
    char message[256];           /* why (first line of a checker's output), UTF-8, bounded */
} judge_check_t;

/* Limits of one custom checker run. */
#define JUDGE_CHECKER_CPU_MS 5000ULL
#define JUDGE_CHECKER_WALL_MS 10000ULL
#define JUDGE_CHECKER_MEMORY (512ULL << 20)
#define JUDGE_CHECKER_OUTPUT (64ULL << 10)
/* Test data handed to a custom checker is read into the sandbox's /code. */
#define JUDGE_CHECKER_DATA_MAX (64ULL << 20)

/* Judge got against the expected output in the file want_fd with a
 * built-in checker (exact, tokens, float); <0 when the file cannot be read. */
int judge_checker_compare(const core_checker_t *c, const char *got, size_t got_len, int want_fd, judge_check_t *out);

/* The same over two buffers (for the unit tests and inline data). */
void judge_checker_compare_mem(const core_checker_t *c, const char *got, size_t got_len, const char *want,
                               size_t want_len, judge_check_t *out);

/* Run a custom checker (prog: built, from worker/progcache.h) inside the
 * sandbox as `checker input output answer` (files in its /code), and read
 * its verdict in testlib's convention: exit 0 accepted, 1 wrong answer,
 * 2 presentation error (wrong answer unless c->pe_passes), 3 failure, 7 partial points
 * ("points X" on the first line of stderr, X the fraction 0..1 of the
 * test's points); anything else (a crash, a limit, another exit code) is a
 * failure of the checker. A presentation error passes when c->pe_passes.
 * <0 only when the sandbox itself failed (err). */
int judge_checker_run(nsj_sandbox_t *sb, const core_checker_t *c, judge_build_t *prog, int input_fd, const char *got,
                      size_t got_len, int answer_fd, int cancel_fd, judge_check_t *out, nsj_error_t *err);

/* The verdict of a finished run of checker c (pure: unit-tested). */
void judge_checker_verdict(const core_checker_t *c, const nsj_result_t *r, judge_check_t *out);

#endif
