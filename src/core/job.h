/* The job model: one struct per concept from the API to the sandbox and
 * back. A test case is a core_test_t in the API's parser, the store and the
 * judge alike; a result is a core_test_result_t from the judge to the
 * store and out again to the API's JSON; the queue carries only a
 * submission's id (queue/message.h) and the worker loads the job.
 *
 *   API (parse -> core_job_t / core_question_t) -> store -> queue(id)
 *   -> worker -> store (core_job_t) -> judge -> sandbox -> core_report_t
 *   -> store -> API (core_submission_t -> JSON)
 *
 * Nothing here does I/O. */
#ifndef NSJ_CORE_JOB_H
#define NSJ_CORE_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/judging.h"
#include "core/status.h"
#include "nsjudge/sandbox.h"

#define CORE_UUID_LEN 36
#define CORE_LANG_MAX 32
#define CORE_URL_MAX 2048         /* a callback_url */
#define CORE_TIME_MAX 40         /* "2026-11-30T01:42:44.123456Z" */

/* Limits a question or a submission sets; 0 = not set (the worker's
 * default applies). On a test result: the limits that test ran under. */
typedef struct core_limits {
    uint64_t time_ms;            /* CPU time ("time_limit", seconds on the wire) */
    uint64_t wall_ms;            /* wall clock ("wall_limit") */
    uint64_t memory_bytes;       /* "memory_limit" */
    uint64_t output_bytes;       /* stdout and stderr each ("output_limit") */
} core_limits_t;

/* The smallest values a limit may take (whatever the operator's maxima). */
#define CORE_LIMIT_TIME_MIN_MS 10ULL
#define CORE_LIMIT_MEMORY_MIN (4ULL << 20)
#define CORE_LIMIT_OUTPUT_MIN 1ULL

/* A file of test data, stored once by content: its SHA-256 names it. */
#define CORE_SHA256_LEN 64
typedef struct core_blob {
    char sha256[CORE_SHA256_LEN + 1];
    uint64_t size;
} core_blob_t;

/* One test case. */
typedef struct core_test {
    char id[CORE_UUID_LEN + 1];  /* its test_cases row; "" before it is stored */
    int64_t score;
    core_blob_t input, answer;   /* its stdin and its expected output */
    /* An inline test's bytes, from the request until the store keeps them
     * as blobs (NULL in a job a worker loads: it reads the blobs). */
    char *input_data;            /* owned, NUL-terminated */
    size_t input_len;
    char *answer_data;           /* owned, NUL-terminated */
    size_t answer_len;
} core_test_t;

/* One submission to judge. */
typedef struct core_job {
    char submission_id[CORE_UUID_LEN + 1];  /* "" before it is stored */
    char question_id[CORE_UUID_LEN + 1];    /* "" when the tests came inline */
    int question_version;        /* the version of the question's tests it is judged against */
    char language[CORE_LANG_MAX];
    char *source;                /* owned */
    size_t source_len;
    core_limits_t limits;        /* the submission's own, else its question's, per field */
    bool keep_output;            /* keep each test's whole stdout as a blob */
    char callback_url[CORE_URL_MAX + 1]; /* "" = none: where the final state is POSTed */
    char key_id[CORE_UUID_LEN + 1];         /* the API key that submitted it; "" = anonymous */
    core_test_t *tests;          /* owned, in order */
    size_t ntests;
    /* How each test is judged and how tests are grouped (issue #12: the
     * checker and subtasks here; the interactive mode joins them). */
    core_judging_t judging;      /* the question version's, or the inline tests' */
} core_job_t;

/* A question: a problem with its tests. */
typedef struct core_question {
    char id[CORE_UUID_LEN + 1];
    char *title;                 /* owned */
    char *statement;             /* owned */
    core_limits_t limits;
    int version;                 /* of its tests: replacing them makes the next one */
    core_test_t *tests;          /* owned, in order */
    size_t ntests;
    char created_at[CORE_TIME_MAX];
    core_judging_t judging;      /* checker and subtasks (issue #12) */
} core_question_t;

/* One test's result. Strings: valid UTF-8, no NUL bytes, bounded. */
typedef struct core_test_result {
    char test_id[CORE_UUID_LEN + 1];
    int ordinal;
    core_status_t status;
    bool passed;
    char *out;                   /* owned: display text of stdout */
    char *err;                   /* owned: the same for stderr */
    uint64_t wall_ms, cpu_ms, memory_kb;
    int exit_code;               /* -1 when it did not exit normally */
    int signal;                  /* 0 when not killed by a signal */
    char evidence[512];
    core_limits_t limits;        /* what it ran under (the language's allowances included) */
    core_blob_t stdout_blob;     /* the whole stdout, when the job keeps output ("" otherwise) */
    char checker_message[256];   /* the checker's first line ("" = none) */
    double fraction;             /* of the test's points: 1 passed, 0 failed, between: a checker's partial points */
    char group[CORE_SUBTASK_NAME_MAX + 1]; /* the first subtask naming the test ("" = none) */
} core_test_result_t;

/* A subtask's outcome. */
typedef struct core_group_result {
    char name[CORE_SUBTASK_NAME_MAX + 1];
    core_status_t status;        /* passed, failed (a test or a dependency failed), or skipped (not run) */
    int64_t points, awarded;
} core_group_result_t;

/* A submission's outcome. */
typedef struct core_report {
    core_status_t status;        /* passed, or the first failing test's status */
    bool summarized;             /* score, execution_ms and memory_kb are known */
    int64_t score, max_score;    /* sum of the passed tests' scores (or of the subtasks' points) / of all */
    uint64_t execution_ms;       /* the longest test, wall clock */
    uint64_t memory_kb;          /* the largest peak */
    char *out, *err;             /* owned, may be NULL: the first failing (or last) test's output,
                                    or the compiler's on compile_error */
    core_test_result_t *tests;   /* owned, in order */
    size_t ntests;               /* tests that ran: fewer only when cancelled or the sandbox failed */
    core_group_result_t *groups; /* owned: one per subtask (none without subtasks) */
    size_t ngroups;
    bool cancelled;              /* stopped by shutdown: must not be stored */
    char error[512];             /* the reason, for internal_error */
} core_report_t;

/* A stored submission: the job, where it is, its outcome. */
typedef struct core_submission {
    core_job_t job;              /* tests not loaded (ntests 0) */
    core_report_t report;        /* status is the submission's status */
    char created_at[CORE_TIME_MAX], started_at[CORE_TIME_MAX], finished_at[CORE_TIME_MAX]; /* "" = null */
} core_submission_t;

/* Is v (0 included) a valid value of the limit named name ("time_limit",
 * "wall_limit", "memory_limit", "output_limit") under max? When not, msg
 * names the field and the range and the result is <0. */
int core_limit_check(const char *name, uint64_t v, const core_limits_t *max, char *msg, size_t cap);

/* Is every field of l either unset or within [minimum, max's field]? When
 * not, msg names the field and the range ("field 'time_limit' must be from
 * 0.01 to 30 seconds") and the result is <0. */
int core_limits_check(const core_limits_t *l, const core_limits_t *max, char *msg, size_t cap);

/* The sandbox limits for a job: the worker's defaults with the job's set
 * fields over them. A job that sets a CPU time but no wall clock gets at
 * least twice the CPU time plus a second of wall clock. */
void core_limits_resolve(const core_limits_t *set, const nsj_limits_t *defaults, nsj_limits_t *out);

/* A sandbox's limits as the four a result reports. */
void core_limits_from_sandbox(const nsj_limits_t *l, core_limits_t *out);

/* The sum of the tests' scores. */
int64_t core_tests_max_score(const core_test_t *tests, size_t n);

/* Release what these own and zero them (NULL is fine). */
void core_tests_free(core_test_t *tests, size_t n);
void core_job_free(core_job_t *job);
void core_question_free(core_question_t *q);
void core_report_free(core_report_t *rep);
void core_submission_free(core_submission_t *s);

#endif
