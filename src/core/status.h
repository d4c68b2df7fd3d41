/* The one table of statuses. A submission and each of its tests carry one
 * of these; the names, the "is final" predicate and the SQL constraints of
 * the status columns (store/statuses.c makes a migration of them) all come
 * from CORE_STATUSES, so a new status is one line ("skipped": a test not run because its subtask had failed).
 *
 * Flags: SUB = a submission may be in it, TEST = a test result may have it,
 * FINAL = nothing happens to a submission after it. */
#ifndef NSJ_CORE_STATUS_H
#define NSJ_CORE_STATUS_H

#include <stdbool.h>

enum { CORE_ST_SUB = 1, CORE_ST_TEST = 2, CORE_ST_FINAL = 4 };

/*      enum suffix     wire name         flags */
#define CORE_STATUSES(X)                                                              \
    X(QUEUED,         "queued",         CORE_ST_SUB)                                  \
    X(RUNNING,        "running",        CORE_ST_SUB)                                  \
    X(PASSED,         "passed",         CORE_ST_SUB | CORE_ST_TEST | CORE_ST_FINAL)   \
    X(FAILED,         "failed",         CORE_ST_SUB | CORE_ST_TEST | CORE_ST_FINAL)   \
    X(RUNTIME_ERROR,  "runtime_error",  CORE_ST_SUB | CORE_ST_TEST | CORE_ST_FINAL)   \
    X(COMPILE_ERROR,  "compile_error",  CORE_ST_SUB | CORE_ST_TEST | CORE_ST_FINAL)   \
    X(TIME_LIMIT,     "time_limit",     CORE_ST_SUB | CORE_ST_TEST | CORE_ST_FINAL)   \
    X(MEMORY_LIMIT,   "memory_limit",   CORE_ST_SUB | CORE_ST_TEST | CORE_ST_FINAL)   \
    X(OUTPUT_LIMIT,   "output_limit",   CORE_ST_SUB | CORE_ST_TEST | CORE_ST_FINAL)   \
    X(INTERNAL_ERROR, "internal_error", CORE_ST_SUB | CORE_ST_TEST | CORE_ST_FINAL)   \
    X(SKIPPED,        "skipped",        CORE_ST_TEST)

typedef enum core_status {
#define CORE_STATUS_ENUM(id, name, flags) CORE_STATUS_##id,
    CORE_STATUSES(CORE_STATUS_ENUM)
#undef CORE_STATUS_ENUM
    CORE_STATUS_COUNT
} core_status_t;

/* The wire and database name: "passed", "time_limit", ... */
const char *core_status_name(core_status_t s);

/* The status named name; <0 when there is none (NULL included). */
int core_status_from_name(const char *name, core_status_t *out);

/* The status's CORE_ST_* flags (0 for an out-of-range value). */
unsigned core_status_flags(core_status_t s);

/* Is nothing more going to happen to a submission in this status? */
bool core_status_final(core_status_t s);

/* Is name a final status's name? (false for NULL and unknown names) */
bool core_status_name_final(const char *name);

#endif
