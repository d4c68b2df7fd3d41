/* The custom checker row of make bench-pipeline (issue #12). */
#ifndef NSJ_BENCH_CHECKER_H
#define NSJ_BENCH_CHECKER_H

#include <libpq-fe.h>

typedef struct checker_result {
    int submissions, tests;
    double custom_s, exact_s;    /* first POST -> last finished, summed over the chunks */
    double custom_ms, exact_ms;  /* mean started_at -> finished_at of a submission (the worker's judging) */
    long custom_passed, exact_passed;
    long compiles;               /* checker compiles the worker logged (target: 1) */
    long checked;                /* results carrying the custom checker's own "ok" message */
} checker_result_t;

/* Two questions with the same tests, one judged by a C++ custom checker
 * and one by the built-in exact rule; n submissions to each, alternating
 * in chunks; the checker's compiles counted from the worker's log. */
int bench_checker_phase(int api_port, PGconn *pg, const char *worker_log, int n, int tests, checker_result_t *out);

/* Shared with bench_pipeline.c: the monotonic clock in seconds, the lines
 * of a file containing needle, and a query's first value as a number (-1
 * when it fails or is NULL). */
double bench_now_s(void);
long bench_count_lines(const char *path, const char *needle);
long bench_sql_long(PGconn *pg, const char *q);

#endif
