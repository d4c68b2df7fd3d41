/* Judging one submission: run every test case through the sandbox,
 * compare outputs, score. No queue, database or HTTP here: the caller
 * hands in plain data and stores the report. */
#ifndef NSJ_JUDGE_H
#define NSJ_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "judge/languages.h"
#include "nsjudge/sandbox.h"

typedef enum judge_status {
    JUDGE_PASSED = 0,
    JUDGE_FAILED,          /* wrong answer */
    JUDGE_RUNTIME_ERROR,   /* includes a syscall the policy kills for */
    JUDGE_COMPILE_ERROR,
    JUDGE_TIME_LIMIT,
    JUDGE_MEMORY_LIMIT,
    JUDGE_OUTPUT_LIMIT,
    JUDGE_INTERNAL_ERROR,
} judge_status_t;

typedef struct judge_test {
    const char *input;
    size_t input_len;
    const char *expected;
    size_t expected_len;
    int64_t score;
} judge_test_t;

struct judge_test_result;

typedef struct judge_submission {
    const language_t *lang;
    const char *rootfs;          /* the language's rootfs directory */
    const char *source;
    size_t source_len;
    const judge_test_t *tests;
    size_t ntests;
    nsj_limits_t limits;         /* for each test, before the language's adjustments */
    int cancel_fd;               /* readable = stop now (-1 = never) */
    size_t keep_output;          /* bytes of stdout/stderr kept per test in the report */
    /* Optional: called by judge_run right after test i finished (not for a
     * cancelled test), so that progress can be published as it happens. */
    void (*on_test)(void *ud, size_t i, const struct judge_test_result *t);
    void *ud;
} judge_submission_t;

typedef struct judge_test_result {
    judge_status_t status;
    bool passed;
    char *out;                   /* display text: valid UTF-8, no NUL, bounded (owned) */
    char *err;                   /* the same for stderr (owned) */
    uint64_t wall_ms, cpu_ms, memory_kb;
    int exit_code;               /* -1 when it did not exit normally */
    int signal;                  /* 0 when not killed by a signal */
    char evidence[512];
} judge_test_result_t;

typedef struct judge_report {
    judge_status_t status;       /* passed, or the first failing test's status */
    int64_t score, max_score;    /* sum of the passed tests' scores / of all */
    uint64_t execution_ms;       /* the longest test, wall clock */
    uint64_t memory_kb;          /* the largest peak */
    size_t shown;                /* test whose output the submission shows */
    judge_test_result_t *tests;  /* ntests entries, in order (owned) */
    size_t ntests;               /* tests that ran; fewer only when cancelled or the sandbox failed */
    bool cancelled;              /* cancel_fd fired: the report must not be stored */
    char *compile_out;           /* compile_error: the compiler's output (display text, owned) */
    char *compile_err;
    char error[512];             /* the reason, for internal_error */
} judge_report_t;

/* The status's wire name: "passed", "failed", "runtime_error", ... */
const char *judge_status_name(judge_status_t s);

/* A sandbox result's status for one test, given whether its output matched. */
judge_status_t judge_classify(const nsj_result_t *r, bool output_matches);

/* Score and summarise rep->tests (status, score, maxima, shown test). */
void judge_summarize(judge_report_t *rep, const judge_test_t *tests, size_t ntests);

/* Make program output storable: valid UTF-8, NUL bytes replaced, at most
 * max bytes plus a note saying how much there was (malloc'd). */
char *judge_display_text(const char *s, size_t len, size_t max);

/* Judge a submission; always fills rep (judge_report_free() it). */
void judge_run(nsj_sandbox_t *sb, const judge_submission_t *sub, judge_report_t *rep);

/* Release a report's buffers. */
void judge_report_free(judge_report_t *rep);

#endif
