/* How a question's tests are judged (issue #12): its checker and its
 * subtasks, one model from the API's parser to the store (as JSON) and the
 * judge. The checker types are one table, CORE_CHECKERS; the comparisons
 * themselves live in judge/checker.c. Nothing here does I/O.
 *
 * Wire shapes (the same text is stored, in questions.judging and, for
 * inline tests, submissions.judging):
 *   "checker":  {"type": "exact"} | {"type": "tokens"}
 *             | {"type": "float", "abs": 1e-6, "rel": 1e-6}
 *             | {"type": "custom", "language": "cpp", "source": "...",
 *                "files": {"testlib.h": "..."},
 *                "presentation_error": "failed" (the default) | "passed"}
 *   "subtasks": [{"name": "small", "points": 30, "tests": [0, 1],
 *                 "depends": ["sample"]}]
 *   "run_all_tests": true   (subtasks: never skip)
 *   "mode": "standard" | "interactive"
 *   "interactor": {"language": "cpp", "source": "...", "files": {...}}
 *                 (with mode interactive, and only then; shaped like a
 *                 custom checker without "type") */
#ifndef NSJ_CORE_JUDGING_H
#define NSJ_CORE_JUDGING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*      enum suffix  wire name   built in (inline submissions may use it) */
#define CORE_CHECKERS(X)                 \
    X(EXACT,  "exact",  true)            \
    X(TOKENS, "tokens", true)            \
    X(FLOAT,  "float",  true)            \
    X(CUSTOM, "custom", false)

typedef enum core_checker_type {
#define CORE_CHECKER_ENUM(id, name, builtin) CORE_CHECKER_##id,
    CORE_CHECKERS(CORE_CHECKER_ENUM)
#undef CORE_CHECKER_ENUM
    CORE_CHECKER_COUNT
} core_checker_type_t;

/* How a test runs: the program alone on the test's input, or talking to
 * the question's interactor (judge/interact.h, nsjudge/pair.h).
 *      enum suffix    wire name */
#define CORE_MODES(X)                   \
    X(STANDARD,    "standard")          \
    X(INTERACTIVE, "interactive")

typedef enum core_mode {
#define CORE_MODE_ENUM(id, name) CORE_MODE_##id,
    CORE_MODES(CORE_MODE_ENUM)
#undef CORE_MODE_ENUM
    CORE_MODE_COUNT
} core_mode_t;

const char *core_mode_name(core_mode_t m);
int core_mode_from_name(const char *name, core_mode_t *out);

const char *core_checker_name(core_checker_type_t t);
int core_checker_from_name(const char *name, core_checker_type_t *out);
bool core_checker_builtin(core_checker_type_t t);

/* A file given beside a helper program's source (a testlib.h). */
typedef struct core_file {
    char *name;                  /* owned: [A-Za-z0-9._-], 1..64 bytes, no leading '.' */
    char *data;                  /* owned */
    size_t len;
} core_file_t;

/* A helper program stored with a question (a custom checker; an
 * interactor has the same shape): compiled once per content on each host
 * (worker/progcache.h), run inside the sandbox. */
typedef struct core_program {
    char language[32];           /* "" = none */
    char *source;                /* owned */
    size_t source_len;
    core_file_t *files;          /* owned */
    size_t nfiles;
} core_program_t;

/* Float checker bounds: each tolerance is a finite number in [0, 1]. */
#define CORE_FLOAT_TOL_MAX 1.0

typedef struct core_checker {
    core_checker_type_t type;    /* CORE_CHECKER_EXACT when not given */
    double abs, rel;             /* float: a number passes within either (0 = that bound not used) */
    core_program_t program;      /* custom */
    bool pe_passes;              /* custom: a presentation error (exit 2) passes ("presentation_error": "passed") */
} core_checker_t;

#define CORE_SUBTASK_NAME_MAX 64

typedef struct core_subtask {
    char name[CORE_SUBTASK_NAME_MAX + 1];
    int64_t points;
    int *tests;                  /* owned: ordinals (0-based) */
    size_t ntests;
    size_t *depends;             /* owned: indexes of other subtasks */
    size_t ndepends;
} core_subtask_t;

typedef struct core_judging {
    core_checker_t checker;
    core_subtask_t *subtasks;    /* owned; none = each test scores its own score */
    size_t nsubtasks;
    bool run_all;                /* subtasks: run every test, never skip */
    core_mode_t mode;            /* CORE_MODE_STANDARD when not given */
    core_program_t interactor;   /* interactive: the interactor (testlib's convention) */
} core_judging_t;

/* Bounds the parser holds a request to. */
typedef struct core_judging_limits {
    size_t program_max;          /* bytes of a program's source and files together */
    size_t max_subtasks;
} core_judging_limits_t;

/* Parse the "checker", "subtasks", "run_all_tests", "mode" and "interactor" fields of a JSON
 * object (a request body, or a stored judging text) for a question with
 * ntests tests. builtin_only: refuse a custom checker (inline tests).
 * On a refusal msg names the field and the result is <0. */
int core_judging_parse(const json_t *obj, size_t ntests, bool builtin_only, const core_judging_limits_t *lim,
                       core_judging_t *out, char *msg, size_t cap);

/* Is it the default (exact checker, no subtasks)? Such a judging is not stored. */
bool core_judging_is_default(const core_judging_t *j);

/* The JSON object of j, {"checker": ..., "subtasks": ..., "run_all_tests": ...,
 * "mode": ...[, "interactor": ...]}; with_program false leaves out a custom
 * checker's and an interactor's source and files (for listings). NULL when
 * out of memory. */
json_t *core_judging_json(const core_judging_t *j, bool with_program);

/* Its compact text (malloc'd), NULL when out of memory. */
char *core_judging_dump(const core_judging_t *j);

/* Do the subtasks name only tests below ntests? (a question's tests replaced) */
int core_judging_check_tests(const core_judging_t *j, size_t ntests, char *msg, size_t cap);

void core_program_free(core_program_t *p);
void core_judging_free(core_judging_t *j);

#endif
