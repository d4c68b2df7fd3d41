/* The HTTP API's request parsing and validation: pure (bytes -> struct or
 * an HTTP status with a message), no Postgres or Redis here, so every bad
 * input is unit-tested without a server. */
#ifndef NSJ_API_REQUEST_H
#define NSJ_API_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/job.h"
#include "judge/languages.h"

#define API_SCORE_MAX 1000000
#define API_SUBTASKS_MAX 100
#define API_TITLE_MAX 200

typedef struct api_error {
    unsigned status;             /* 400, 404, 405, 413, 415 */
    char msg[256];
} api_error_t;

/* Fill e (status and message) and return -1: every parser's refusal. */
int api_reject(api_error_t *e, unsigned status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

typedef struct api_limits {
    size_t source_max;           /* bytes of source_code */
    size_t max_tests;            /* test cases in one request */
    size_t program_max;          /* bytes of a custom checker's source and files */
    core_limits_t max;           /* the operator's maxima (MAX_TIME_LIMIT, ...) */
} api_limits_t;

typedef enum api_route {
    API_ROUTE_NONE = 0,
    API_ROUTE_SUBMISSIONS,       /* /submissions */
    API_ROUTE_SUBMISSION,        /* /submissions/{id} */
    API_ROUTE_QUESTIONS,         /* /questions */
    API_ROUTE_QUESTION,          /* /questions/{id} */
    API_ROUTE_QUESTION_TESTS,    /* /questions/{id}/tests (PUT an archive) */
    API_ROUTE_TEST_INPUT,        /* /questions/{id}/tests/{n}/input */
    API_ROUTE_TEST_ANSWER,       /* /questions/{id}/tests/{n}/answer */
    API_ROUTE_TEST_STDOUT,       /* /submissions/{id}/tests/{n}/stdout (keep_output) */
    API_ROUTE_LANGUAGES,         /* /languages */
    API_ROUTE_HEALTHZ,           /* /healthz */
    API_ROUTE_METRICS,           /* /metrics (Prometheus text format) */
    API_ROUTE_OPENAPI,           /* /openapi.json */
} api_route_t;

/* Match a path (no query string); id gets the UUID of {id} routes and
 * *ordinal the {n} of a test's file (0-based, as GET /questions/{id} lists
 * them). A malformed id or number matches nothing: it names no resource. */
api_route_t api_route_match(const char *path, char id[37], long *ordinal);

/* A route's path template for logs and metrics ("/submissions/{id}"). */
const char *api_route_name(api_route_t r);

/* The methods a route allows, as an Allow header value ("POST", "GET, HEAD"). */
const char *api_route_allow(api_route_t r);

/* Is the method allowed on the route? */
bool api_route_allows(api_route_t r, const char *method);

/* Is a Content-Type header value one of an archive of test data
 * (application/zip, application/x-tar, application/gzip)? */
bool api_content_type_archive(const char *value);

/* Is a Content-Type header value application/json (charset utf-8 or none)? */
bool api_content_type_json(const char *value);

/* Parse a POST /submissions body: {language, source_code, question_id} or
 * {language, source_code, test_cases: [{input, expected_output, score}],
 * time_limit?, wall_limit?, memory_limit?, output_limit?, checker? (a
 * built-in one)}, either with
 * keep_output? (a boolean), into a job
 * (core_job_free() it; its submission_id is ""). */
int api_parse_submission(const char *body, size_t len, const api_limits_t *lim, const language_table_t *langs,
                         core_job_t *out, api_error_t *e);

/* The "checker", "subtasks" and "run_all_tests" fields of root for ntests
 * tests (core/judging.h), a custom checker's language checked against
 * langs; builtin_only for inline tests. <0 with e (400 naming the field). */
int api_parse_judging(const json_t *root, size_t ntests, bool builtin_only, const api_limits_t *lim,
                      const language_table_t *langs, core_judging_t *out, api_error_t *e);

/* Parse a POST /questions body: {title, statement?, test_cases: [...],
 * time_limit?, wall_limit?, memory_limit?, output_limit?, checker?,
 * subtasks?, run_all_tests?} (core/judging.h; a custom checker's language
 * from langs) (core_question_free() it). */
int api_parse_question(const char *body, size_t len, const api_limits_t *lim, const language_table_t *langs,
                       core_question_t *out, api_error_t *e);

#endif
