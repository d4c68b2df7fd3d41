/* The custom checker row (issue #12): a question's checker is compiled
 * once per question version, not once per submission. n submissions are
 * judged against a question with a C++ custom checker and, side by side
 * (alternating chunks, so that load from elsewhere hits both alike), the
 * same against a question with the built-in exact rule; the worker's log
 * says how many times a checker was compiled. */
#define _GNU_SOURCE
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_checker.h"
#include "../tests/pipeline/client.h"

static const char program[] = "n = int(input())\nprint(n * 2)\n";

/* testlib's convention: exit 0 accepted, 1 wrong answer. */
static const char checker_cpp[] =
    "#include <cstdio>\n"
    "int main(int argc, char **argv) {\n"
    "    if (argc != 4) return 3;\n"
    "    FILE *o = std::fopen(argv[2], \"r\"), *a = std::fopen(argv[3], \"r\");\n"
    "    long x, y;\n"
    "    if (!o || !a || std::fscanf(a, \"%ld\", &y) != 1) return 3;\n"
    "    if (std::fscanf(o, \"%ld\", &x) != 1) { std::fprintf(stderr, \"no number\\n\"); return 2; }\n"
    "    if (x != y) { std::fprintf(stderr, \"expected %ld, got %ld\\n\", y, x); return 1; }\n"
    "    std::fprintf(stderr, \"ok %ld\\n\", x);\n"
    "    return 0;\n"
    "}\n";

double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

long bench_count_lines(const char *path, const char *needle)
{
    FILE *f = fopen(path, "re");
    char line[1024];
    long n = 0;
    while (f && fgets(line, sizeof line, f))
        n += strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return n;
}

static int create(int port, int tests, bool custom, char qid[37])
{
    json_t *tc = json_array();
    for (int t = 0; t < tests; t++) {
        char in[32], out[32];
        snprintf(in, sizeof in, "%d\n", 7000 + t);
        snprintf(out, sizeof out, "%d\n", (7000 + t) * 2);
        json_array_append_new(tc, json_pack("{s:s, s:s}", "input", in, "expected_output", out));
    }
    json_t *o = json_pack("{s:s, s:o}", "title", custom ? "bench: custom checker" : "bench: exact", "test_cases", tc);
    if (custom)
        json_object_set_new(o, "checker", json_pack("{s:s, s:s, s:s}", "type", "custom", "language", "cpp", "source",
                                                    checker_cpp));
    char *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    http_resp_t r;
    http_do(port, "POST", "/questions", "application/json", body, strlen(body), HTTP_NORMAL, &r);
    free(body);
    json_t *j = r.status == 201 ? json_loads(r.body, 0, NULL) : NULL;
    if (!j)
        fprintf(stderr, "bench: creating the %s question: %d %s\n", custom ? "custom checker" : "exact", r.status,
                r.body ? r.body : "");
    snprintf(qid, 37, "%s", j ? json_string_value(json_object_get(j, "id")) : "");
    json_decref(j);
    http_resp_free(&r);
    return qid[0] ? 0 : -1;
}

long bench_sql_long(PGconn *pg, const char *q)
{
    PGresult *r = PQexec(pg, q);
    long v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) && !PQgetisnull(r, 0, 0)
                 ? (long)strtod(PQgetvalue(r, 0, 0), NULL)
                 : -1;
    PQclear(r);
    return v;
}

/* Submit n to qid and wait for all: seconds, or <0. *passed counts full scores. */
static double judge(int port, PGconn *pg, const char *qid, int n, long *passed)
{
    char q[512];
    snprintf(q, sizeof q, "SELECT count(*) FROM submissions WHERE question_id = '%s'"
                          " AND status NOT IN ('queued', 'running')", qid);
    long before = bench_sql_long(pg, q);
    double t0 = bench_now_s();
    for (int i = 0; i < n; i++) {
        json_t *o = json_pack("{s:s, s:s, s:s}", "language", "python", "source_code", program, "question_id", qid);
        char *body = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        http_resp_t r;
        http_do(port, "POST", "/submissions", "application/json", body, strlen(body), HTTP_NORMAL, &r);
        free(body);
        int st = r.status;
        http_resp_free(&r);
        if (st != 202) {
            fprintf(stderr, "bench: a submission was refused (%d)\n", st);
            return -1;
        }
    }
    double deadline = bench_now_s() + 900;
    while (bench_sql_long(pg, q) != before + n) {
        if (bench_now_s() > deadline) {
            fprintf(stderr, "bench: the checker row's submissions did not finish\n");
            return -1;
        }
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    double dt = bench_now_s() - t0;
    snprintf(q, sizeof q, "SELECT count(*) FROM submissions WHERE question_id = '%s' AND status = 'passed'"
                          " AND score_awarded = max_score", qid);
    *passed = bench_sql_long(pg, q);
    if (*passed != n) {
        /* The evidence of any that did not pass: the bench reports, never hides. */
        snprintf(q, sizeof q,
                 "SELECT s.id, s.status, coalesce(s.error, ''), coalesce(string_agg(r.status || ': ' ||"
                 " r.evidence, ' | ' ORDER BY r.ordinal), '') FROM submissions s"
                 " LEFT JOIN submission_results r ON r.submission_id = s.id WHERE s.question_id = '%s'"
                 " AND NOT (s.status = 'passed' AND s.score_awarded = s.max_score) GROUP BY s.id LIMIT 5",
                 qid);
        PGresult *r = PQexec(pg, q);
        for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++)
            fprintf(stderr, "bench: submission %s: %s %s; tests: %.600s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
                    PQgetvalue(r, i, 2), PQgetvalue(r, i, 3));
        PQclear(r);
    }
    return dt;
}

int bench_checker_phase(int api_port, PGconn *pg, const char *worker_log, int n, int tests, checker_result_t *out)
{
    memset(out, 0, sizeof *out);
    out->submissions = n;
    out->tests = tests;
    long c0 = bench_count_lines(worker_log, "program cache: compiled checker");
    char custom[37], exact[37];
    if (create(api_port, tests, true, custom) < 0 || create(api_port, tests, false, exact) < 0)
        return -1;
    enum { CHUNKS = 5 };
    for (int k = 0; k < CHUNKS; k++) {
        int per = n / CHUNKS + (k < n % CHUNKS);
        long p;
        double a = judge(api_port, pg, custom, per, &p);
        if (a < 0)
            return -1;
        out->custom_s += a;
        double b = judge(api_port, pg, exact, per, &p);
        if (b < 0)
            return -1;
        out->exact_s += b;
        fprintf(stderr, "bench checker chunk %d/%d: custom checker %.1f s, exact %.1f s\n", k + 1, CHUNKS, a, b);
    }
    long p;
    char q[256];
    snprintf(q, sizeof q, "SELECT count(*) FROM submissions WHERE question_id = '%s' AND status = 'passed'", custom);
    out->custom_passed = (p = bench_sql_long(pg, q));
    snprintf(q, sizeof q, "SELECT count(*) FROM submissions WHERE question_id = '%s' AND status = 'passed'", exact);
    out->exact_passed = bench_sql_long(pg, q);
    out->compiles = bench_count_lines(worker_log, "program cache: compiled checker") - c0;
    /* Evidence that the checker ran for every test: its own message. */
    snprintf(q, sizeof q, "SELECT count(*) FROM submission_results r JOIN submissions s ON s.id = r.submission_id"
                          " WHERE s.question_id = '%s' AND r.checker_message LIKE 'ok %%'", custom);
    out->checked = bench_sql_long(pg, q);
    /* The judging itself, apart from how fast this client posts: each
     * submission's started_at -> finished_at (Postgres' clock). */
    for (int k = 0; k < 2; k++) {
        snprintf(q, sizeof q, "SELECT avg(extract(epoch FROM finished_at - started_at)) * 1000000 FROM submissions"
                              " WHERE question_id = '%s'", k ? exact : custom);
        double us = (double)bench_sql_long(pg, q);
        *(k ? &out->exact_ms : &out->custom_ms) = us / 1000.0;
    }
    return 0;
}
