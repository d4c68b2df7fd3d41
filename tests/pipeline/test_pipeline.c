/* End-to-end tests of the judge pipeline: real redis-server and postgres
 * (started by tests/pipeline/run.sh on random loopback ports), real
 * nsjudge-api and nsjudge-worker processes (started and stopped here, by
 * PID), Python programs in the real sandbox. Every check is on what a
 * client or an operator would see: HTTP answers, rows in Postgres, the
 * stream and its pending entries in Redis, processes left behind.
 *
 * The environment from run.sh and the helpers: e2e.h. */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/require.h"
#include "client.h"
#include "core/status.h"
#include "e2e.h"
#include "store/internal.h"

#define STREAM "codesce:submissions"
#define GROUP "nsjudge-workers"
#define MAX_IDS 256

static e2e_env_t E;
/* E.redis_pid is a redis-server the restart test started itself. */
static bool redis_ours;

#define PIPE_REQUIRE() REQUIRE(!E.unavailable[0], "%s", E.unavailable)

/* ---- processes (started here, stopped by PID) ---- */

/* Workers a test started and has not stopped yet. */
static pid_t live[32];

static void track(pid_t pid, bool alive)
{
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++) {
        if (alive && live[i] == 0) {
            live[i] = pid;
            return;
        }
        if (!alive && live[i] == pid)
            live[i] = 0;
    }
}

static void stop(pid_t pid, int sig)
{
    track(pid, false);
    e2e_stop(pid, sig);
}

typedef struct worker {
    pid_t pid;
    char log[1200];
    char name[64];
} worker_t;

/* Start a worker process with test-sized limits; extra overrides them. */
static worker_t worker_start(const char *name, int count, const char *const *extra)
{
    worker_t w = {0};
    snprintf(w.name, sizeof w.name, "%s", name);
    static char env[16][320];
    int n = 0;
    snprintf(env[n++], sizeof env[0], "REDIS_URL=%s", E.redis_url);
    snprintf(env[n++], sizeof env[0], "DATABASE_URL=%s", E.db_url);
    snprintf(env[n++], sizeof env[0], "WORKER_COUNT=%d", count);
    snprintf(env[n++], sizeof env[0], "WORKER_NAME=%s", name);
    snprintf(env[n++], sizeof env[0], "EXECUTION_TIMEOUT=2s");
    snprintf(env[n++], sizeof env[0], "SANDBOX_MEMORY_LIMIT=64m");
    snprintf(env[n++], sizeof env[0], "SANDBOX_OUTPUT_LIMIT=64k");
    snprintf(env[n++], sizeof env[0], "RECLAIM_IDLE=2s");
    const char *envp[32];
    int k = 0;
    for (int i = 0; i < n; i++)
        envp[k++] = env[i];
    for (const char *const *e = extra; e && *e && k < 30; e++)
        envp[k++] = *e;
    envp[k] = NULL;
    const char *argv[] = {E.bin[0], NULL};
    w.pid = e2e_spawn(name, argv, envp, w.log, sizeof w.log);
    track(w.pid, true);
    char line[64];
    snprintf(line, sizeof line, "%d workers started", count);
    if (!e2e_wait_line(w.log, line, 20000)) {
        char *t = e2e_read_file(w.log);
        fail_msg("worker %s did not start: %s", name, t);
    }
    return w;
}

/* ---- Postgres and Redis, for checks ---- */

/* Pending entries whose consumer name starts with prefix. */
static int pending_of(const char *prefix)
{
    redisContext *c = e2e_redis();
    redisReply *r = redisCommand(c, "XPENDING %s %s - + 1000", STREAM, GROUP);
    int n = 0;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        redisReply *e = r->element[i];
        if (e->type == REDIS_REPLY_ARRAY && e->elements >= 2 && strncmp(e->element[1]->str, prefix, strlen(prefix)) == 0)
            n++;
    }
    freeReplyObject(r);
    redisFree(c);
    return n;
}

/* ---- the API ---- */

/* Submit; id gets the new id on 202 (-1: a 202 without a proper body).
 * No cmocka assertions here: it also runs in the submitter threads. */
static int submit_lang(const char *lang, const char *src, const char *tests_json, const char *question_id,
                       char id[37])
{
    json_t *o = json_pack("{s:s, s:s}", "language", lang, "source_code", src);
    if (tests_json)
        json_object_set_new(o, "test_cases", json_loads(tests_json, 0, NULL));
    if (question_id)
        json_object_set_new(o, "question_id", json_string(question_id));
    char *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    http_resp_t r;
    int st = e2e_post_json("/submissions", body, &r);
    free(body);
    id[0] = '\0';
    if (st == 202) {
        json_t *j = json_loads(r.body, 0, NULL);
        const char *s = json_string_value(json_object_get(j, "id")),
                   *status = json_string_value(json_object_get(j, "status"));
        if (s && strlen(s) == 36 && status && strcmp(status, "queued") == 0)
            snprintf(id, 37, "%s", s);
        else
            st = -1;
        json_decref(j);
    }
    http_resp_free(&r);
    return st;
}

static int submit(const char *src, const char *tests_json, const char *question_id, char id[37])
{
    return submit_lang("python", src, tests_json, question_id, id);
}

static json_t *get_json(const char *path, int want_status)
{
    http_resp_t r;
    http_do(E.api_port, "GET", path, NULL, NULL, 0, HTTP_NORMAL, &r);
    if (r.status != want_status)
        fail_msg("GET %s: %d %s (want %d)", path, r.status, r.body ? r.body : "", want_status);
    json_error_t je;
    json_t *j = json_loads(r.body, 0, &je);
    if (!j)
        fail_msg("GET %s: not JSON: %s", path, r.body);
    http_resp_free(&r);
    return j;
}

/* Whether GET /healthz (workers included) answers 200 now. */
static bool healthz_ok(void)
{
    http_resp_t r;
    http_do(E.api_port, "GET", "/healthz", NULL, NULL, 0, HTTP_NORMAL, &r);
    bool ok = r.status == 200;
    http_resp_free(&r);
    return ok;
}

static json_t *get_submission(const char *id)
{
    char path[64];
    snprintf(path, sizeof path, "/submissions/%.36s", id);
    return get_json(path, 200);
}

/* The ids as an SQL list: 'a','b',... */
static char *id_list(char (*ids)[37], int n)
{
    char *s = calloc((size_t)n * 40 + 4, 1);
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += (size_t)sprintf(s + len, "%s'%s'", i ? "," : "", ids[i]);
    if (n == 0)
        strcpy(s, "NULL");
    return s;
}

/* Wait until every submission is final; fails after timeout_s. */
static void wait_final(char (*ids)[37], int n, int timeout_s)
{
    char *list = id_list(ids, n);
    double end = e2e_now_s() + timeout_s;
    long done = 0;
    while (e2e_now_s() < end) {
        done = e2e_sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status NOT IN ('queued','running')",
                            list);
        if (done == n)
            break;
        e2e_sleep_ms(50);
    }
    free(list);
    if (done != n)
        fail_msg("only %ld of %d submissions finished within %d s", done, n, timeout_s);
}

static long duplicate_results(void)
{
    return e2e_sql_long("SELECT count(*) FROM (SELECT submission_id, test_case_id FROM submission_results"
                        " GROUP BY 1, 2 HAVING count(*) > 1) d");
}


#define DOUBLE "print(int(input()) * 2)\n"
#define SLEEPY(sec) "import time\ntime.sleep(" sec ")\nprint(int(input()) * 2)\n"
#define T2(in, out, score) "{\"input\":\"" in "\",\"expected_output\":\"" out "\",\"score\":" #score "}"

/* ---- setup ---- */

static int group_setup(void **state)
{
    (void)state;
    e2e_setup(&E, "make pipeline");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    e2e_teardown(&E);
    if (redis_ours)
        stop(E.redis_pid, SIGTERM);
    return 0;
}

/* After each test: a test that failed half-way must not leave a worker
 * behind to take the next test's messages. */
static int stop_leftovers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++)
        if (live[i] > 0)
            stop(live[i], SIGTERM);
    return 0;
}

/* ---- tests ---- */

/* Every verdict end to end, with what backs it. */
/* Messages still pending once the workers had time to acknowledge what
 * they finished: a worker stores a submission's final state, then XACKs
 * its message, so a test that saw the state may look before the ack. */
static long long pending_after_acks(void)
{
    double end = e2e_now_s() + 10;
    long long n;
    while ((n = e2e_redis_int("XPENDING " STREAM " " GROUP)) != 0 && e2e_now_s() < end)
        e2e_sleep_ms(20);
    return n;
}

static int fills_of(const char *log, const char *sha);

static void verdicts(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    /* A data cache of its own: the fills counted below are this test's. */
    char cache_env[sizeof E.dir + 40];
    snprintf(cache_env, sizeof cache_env, "NSJUDGE_DATA_CACHE=%s/cache-verdicts", E.dir);
    const char *wenv[] = {cache_env, NULL};
    worker_t w = worker_start("verdicts", 2, wenv);
    char *log = e2e_read_file(w.log);
    assert_true(e2e_has_line(log, "connected to Redis"));
    assert_true(e2e_has_line(log, "connected to Postgres"));
    assert_true(e2e_has_line(log, "2 workers started"));
    free(log);
    static const struct {
        const char *src, *tests, *status;
        long score, max;
        size_t ntests;
        const char *evidence;    /* in the first failing test's evidence */
    } cases[] = {
        {DOUBLE, "[" T2("2", "4", 1) "," T2("5", "10\\n", 2) "]", "passed", 3, 3, 2, NULL},
        {DOUBLE, "[" T2("2", "4", 1) "," T2("5", "11", 2) "]", "failed", 1, 3, 2, "output differs"},
        {"import sys\nprint('boom', file=sys.stderr)\nsys.exit(3)\n", "[" T2("", "", 1) "]", "runtime_error", 0, 1, 1,
         "exit code 3"},
        {"while True:\n    pass\n", "[" T2("", "", 1) "]", "time_limit", 0, 1, 1, "ms"},
        {"x = b'a' * (512 << 20)\nprint(len(x))\n", "[" T2("", "", 1) "]", "memory_limit", 0, 1, 1, "oom_kill"},
        {"import sys\nsys.stdout.write('x' * (1 << 20))\n", "[" T2("", "", 1) "]", "output_limit", 0, 1, 1, "stdout"},
        /* The same input and answer twice in one submission: stored once. */
        {DOUBLE, "[" T2("3", "6", 1) "," T2("3", "6", 2) "," T2("0", "0", 1) "]", "passed", 4, 4, 3, NULL},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    char ids[N][37];
    for (int i = 0; i < N; i++)
        assert_int_equal(submit(cases[i].src, cases[i].tests, NULL, ids[i]), 202);
    wait_final(ids, N, 60);
    for (int i = 0; i < N; i++) {
        json_t *s = get_submission(ids[i]);
        if (strcmp(e2e_jstr(s, "status"), cases[i].status) != 0) {
            char *dump = json_dumps(s, JSON_COMPACT);
            print_message("%s\n", dump);
            free(dump);
            fail_msg("case %d: status %s, want %s", i, e2e_jstr(s, "status"), cases[i].status);
        }
        assert_int_equal(e2e_jint(s, "score_awarded"), cases[i].score);
        assert_int_equal(e2e_jint(s, "max_score"), cases[i].max);
        json_t *res = json_object_get(s, "results");
        assert_int_equal(json_array_size(res), cases[i].ntests);
        assert_true(json_is_null(json_object_get(s, "question_id")));
        assert_true(json_is_string(json_object_get(s, "finished_at")));
        assert_true(e2e_jint(s, "execution_ms") >= 0);
        if (cases[i].evidence) {
            const json_t *first = NULL;
            for (size_t k = 0; k < json_array_size(res) && !first; k++)
                if (!json_is_true(json_object_get(json_array_get(res, k), "passed")))
                    first = json_array_get(res, k);
            assert_non_null(first);
            assert_string_equal(e2e_jstr(first, "status"), cases[i].status);
            if (!strstr(e2e_jstr(first, "evidence"), cases[i].evidence))
                fail_msg("case %d: evidence '%s' lacks '%s'", i, e2e_jstr(first, "evidence"), cases[i].evidence);
        }
        json_decref(s);
    }
    /* Details a submitter relies on. */
    json_t *s = get_submission(ids[1]);
    assert_string_equal(e2e_jstr(s, "stdout"), "10\n"); /* of the first failing test */
    json_t *r0 = json_array_get(json_object_get(s, "results"), 0);
    assert_true(json_is_true(json_object_get(r0, "passed")));
    assert_int_equal(e2e_jint(r0, "exit_code"), 0);
    json_decref(s);
    s = get_submission(ids[2]);
    assert_non_null(strstr(e2e_jstr(s, "stderr"), "boom"));
    assert_int_equal(e2e_jint(json_array_get(json_object_get(s, "results"), 0), "exit_code"), 3);
    json_decref(s);
    s = get_submission(ids[5]);
    assert_true(strlen(e2e_jstr(s, "stdout")) <= 64 * 1024 + 100); /* stored output is bounded */
    json_decref(s);
    /* A submission's inline test data is stored as blobs in a few
     * statements: each content once, head and chunks, an empty one as one
     * empty chunk. */
    assert_int_equal(e2e_sql_long("SELECT count(*) FROM blobs WHERE sha256 IN (encode(sha256('3'), 'hex'),"
                                  " encode(sha256('6'), 'hex'), encode(sha256(''), 'hex'))"), 3);
    assert_int_equal(e2e_sql_long("SELECT count(*) FROM blob_chunks WHERE sha256 IN (encode(sha256('3'), 'hex'),"
                                  " encode(sha256('6'), 'hex'), encode(sha256(''), 'hex'))"), 3);
    assert_int_equal(e2e_sql_long("SELECT count(*) FROM blob_chunks WHERE (sha256 = encode(sha256('6'), 'hex')"
                                  " AND data = '6') OR (sha256 = encode(sha256(''), 'hex') AND data = '')"), 2);
    /* The worker read a submission's small data in one query into its
     * cache (each blob once, used by both tests that share it). */
    PGresult *h = e2e_sql("SELECT encode(sha256('3'), 'hex'), encode(sha256('6'), 'hex')");
    char s3[65], s6[65];
    snprintf(s3, sizeof s3, "%s", PQgetvalue(h, 0, 0));
    snprintf(s6, sizeof s6, "%s", PQgetvalue(h, 0, 1));
    PQclear(h);
    assert_int_equal(fills_of(w.log, s3), 1);
    assert_int_equal(fills_of(w.log, s6), 1);
    stop(w.pid, SIGTERM);
}

/* Compiled languages through the whole pipeline: compiled once in the
 * sandbox, every test run from the artefact; a failed compile is
 * compile_error with the compiler's output and no test run. */
static void compiled_languages(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    worker_t w = worker_start("compiled", 2, NULL);
    (void)w;
    static const char c_sum[] = "#include <stdio.h>\nint main(void){int a,b;scanf(\"%d %d\",&a,&b);"
                                "printf(\"%d\\n\",a+b);return 0;}\n";
    static const char java_sum[] = "import java.util.*;\npublic class Main{public static void main(String[] a)"
                                   "{Scanner s=new Scanner(System.in);System.out.println(s.nextInt()+s.nextInt());}}\n";
    static const char c_bad[] = "int main(void){ return missing; }\n";
    const char *tests = "[" T2("1 2", "3", 1) "," T2("20 22", "42", 2) "]";
    char ids[3][37];
    assert_int_equal(submit_lang("c", c_sum, tests, NULL, ids[0]), 202);
    assert_int_equal(submit_lang("java", java_sum, tests, NULL, ids[1]), 202);
    assert_int_equal(submit_lang("c", c_bad, tests, NULL, ids[2]), 202);
    wait_final(ids, 3, 120);
    for (int i = 0; i < 2; i++) {
        json_t *s = get_submission(ids[i]);
        if (strcmp(e2e_jstr(s, "status"), "passed") != 0) {
            char *dump = json_dumps(s, JSON_COMPACT);
            fail_msg("compiled submission %d: %s", i, dump);
        }
        assert_int_equal(e2e_jint(s, "score_awarded"), 3);
        assert_int_equal(json_array_size(json_object_get(s, "results")), 2);
        json_decref(s);
    }
    json_t *s = get_submission(ids[2]);
    assert_string_equal(e2e_jstr(s, "status"), "compile_error");
    assert_int_equal(e2e_jint(s, "score_awarded"), 0);
    assert_int_equal(json_array_size(json_object_get(s, "results")), 0);
    if (!strstr(e2e_jstr(s, "stderr"), "missing"))
        fail_msg("compile_error without the compiler's message: stderr '%s'", e2e_jstr(s, "stderr"));
    json_decref(s);
}

static void question_and_scores(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    http_resp_t r;
    assert_int_equal(e2e_post_json("/questions",
                                   "{\"title\":\"Double it\",\"statement\":\"Print twice n.\",\"test_cases\":["
                                   T2("1", "2", 1) "," T2("7", "14", 2) "," T2("-3", "-6", 4) "]}",
                                   &r),
                     201);
    json_t *q = json_loads(r.body, 0, NULL);
    char qid[37];
    snprintf(qid, sizeof qid, "%s", e2e_jstr(q, "id"));
    json_decref(q);
    http_resp_free(&r);
    char path[64];
    snprintf(path, sizeof path, "/questions/%s", qid);
    q = get_json(path, 200);
    assert_string_equal(e2e_jstr(q, "title"), "Double it");
    assert_int_equal(json_array_size(json_object_get(q, "test_cases")), 3);
    assert_int_equal(e2e_jint(q, "max_score"), 7);
    json_decref(q);

    worker_t w = worker_start("question", 2, NULL);
    char ids[3][37];
    assert_int_equal(submit(DOUBLE, NULL, qid, ids[0]), 202);
    /* Wrong for positive n above 5: passes tests 1 and 3 only. */
    assert_int_equal(submit("n = int(input())\nprint(n * 2 if n < 5 else 0)\n", NULL, qid, ids[1]), 202);
    assert_int_equal(submit("print(", NULL, qid, ids[2]), 202); /* a syntax error is a runtime error */
    wait_final(ids, 3, 60);
    json_t *s = get_submission(ids[0]);
    assert_string_equal(e2e_jstr(s, "status"), "passed");
    assert_int_equal(e2e_jint(s, "score_awarded"), 7);
    assert_string_equal(e2e_jstr(s, "question_id"), qid);
    json_decref(s);
    s = get_submission(ids[1]);
    assert_string_equal(e2e_jstr(s, "status"), "failed");
    assert_int_equal(e2e_jint(s, "score_awarded"), 5);
    assert_int_equal(e2e_jint(s, "max_score"), 7);
    json_t *res = json_object_get(s, "results");
    assert_int_equal(json_array_size(res), 3);
    assert_true(json_is_true(json_object_get(json_array_get(res, 0), "passed")));
    assert_true(json_is_false(json_object_get(json_array_get(res, 1), "passed")));
    assert_true(json_is_true(json_object_get(json_array_get(res, 2), "passed")));
    json_decref(s);
    s = get_submission(ids[2]);
    assert_string_equal(e2e_jstr(s, "status"), "runtime_error");
    assert_non_null(strstr(e2e_jstr(s, "stderr"), "SyntaxError"));
    json_decref(s);
    stop(w.pid, SIGTERM);
}

#define SPIN2 "import time\nt = time.process_time()\nwhile time.process_time() - t < 2.0:\n    pass\n" DOUBLE
#define ALLOC100 "b = b'x' * (100 * 1024 * 1024)\n" DOUBLE

/* POST /questions; the new id in qid. */
static void make_question(const char *body, char qid[37])
{
    http_resp_t r;
    int st = e2e_post_json("/questions", body, &r);
    if (st != 201)
        fail_msg("POST /questions: %d %s", st, r.body ? r.body : "");
    json_t *q = json_loads(r.body, 0, NULL);
    snprintf(qid, 37, "%s", e2e_jstr(q, "id"));
    json_decref(q);
    http_resp_free(&r);
}

static void expect_limits(const json_t *result, double time_s, long memory)
{
    const json_t *l = json_object_get(result, "limits");
    if (!json_is_object(l))
        fail_msg("a result without its limits");
    if (time_s > 0 && json_real_value(json_object_get(l, "time_limit")) != time_s)
        fail_msg("time_limit %g, want %g", json_real_value(json_object_get(l, "time_limit")), time_s);
    if (memory > 0 && json_integer_value(json_object_get(l, "memory_limit")) < memory)
        fail_msg("memory_limit %lld, want at least %ld", (long long)json_integer_value(json_object_get(l, "memory_limit")),
                 memory);
}

/* Limits per question and per submission (issue #11) over the worker's
 * defaults (here 2 s of wall clock, 64 MiB): a 2 s CPU spin under a 1 s
 * limit is time_limit and passes under 5 s; 100 MB under 64 MiB is
 * memory_limit and passes under 256 MiB; each result says what it ran
 * under; out-of-range limits are refused with the field and the range. */
static void limits_per_question(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    char q_time[37], q_mem[37];
    make_question("{\"title\":\"spin\",\"time_limit\":1,\"test_cases\":[" T2("21", "42", 1) "]}", q_time);
    make_question("{\"title\":\"alloc\",\"memory_limit\":\"64m\",\"test_cases\":[" T2("21", "42", 1) "]}", q_mem);
    char path[64];
    snprintf(path, sizeof path, "/questions/%s", q_time);
    json_t *q = get_json(path, 200);
    assert_true(json_real_value(json_object_get(q, "time_limit")) == 1.0);
    assert_true(json_is_null(json_object_get(q, "memory_limit")));
    json_decref(q);

    http_resp_t r;
    assert_int_equal(e2e_post_json("/questions", "{\"title\":\"t\",\"memory_limit\":\"64g\",\"test_cases\":["
                                   T2("1", "1", 1) "]}", &r), 400);
    assert_non_null(strstr(r.body, "field 'memory_limit' must be from 4194304 to 2147483648 bytes"));
    http_resp_free(&r);
    assert_int_equal(e2e_post_json("/submissions", "{\"language\":\"python\",\"source_code\":\"x\",\"time_limit\":31,"
                                   "\"test_cases\":[" T2("1", "1", 1) "]}", &r), 400);
    assert_non_null(strstr(r.body, "field 'time_limit' must be from 0.01 to 30 seconds"));
    http_resp_free(&r);

    worker_t w = worker_start("limits", 2, NULL);
    char ids[4][37];
    assert_int_equal(submit(SPIN2, NULL, q_time, ids[0]), 202);
    assert_int_equal(submit(ALLOC100, NULL, q_mem, ids[1]), 202);
    static const char inline_time[] = "{\"language\":\"python\",\"source_code\":\"import time\\nt = time.process_time()\\n"
                                      "while time.process_time() - t < 2.0:\\n    pass\\nprint(int(input()) * 2)\\n\","
                                      "\"time_limit\":5,\"wall_limit\":30,\"test_cases\":[" T2("21", "42", 1) "]}";
    static const char inline_mem[] = "{\"language\":\"python\",\"source_code\":\"b = b'x' * (100 * 1024 * 1024)\\n"
                                     "print(int(input()) * 2)\\n\",\"memory_limit\":\"256m\",\"wall_limit\":20,"
                                     "\"test_cases\":[" T2("21", "42", 1) "]}";
    const char *bodies[2] = {inline_time, inline_mem};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(e2e_post_json("/submissions", bodies[i], &r), 202);
        json_t *j = json_loads(r.body, 0, NULL);
        snprintf(ids[2 + i], 37, "%s", e2e_jstr(j, "id"));
        json_decref(j);
        http_resp_free(&r);
    }
    wait_final(ids, 4, 120);
    static const struct {
        const char *status;
        double time_s;
        long memory;
    } want[4] = {
        {"time_limit", 1.0, 0},
        {"memory_limit", 0, 64L << 20},
        {"passed", 5.0, 0},
        {"passed", 0, 256L << 20},
    };
    for (int i = 0; i < 4; i++) {
        json_t *s = get_submission(ids[i]);
        json_t *r0 = json_array_get(json_object_get(s, "results"), 0);
        if (strcmp(e2e_jstr(s, "status"), want[i].status) != 0)
            fail_msg("submission %d: %s (%s), want %s", i, e2e_jstr(s, "status"), e2e_jstr(r0, "evidence"),
                     want[i].status);
        expect_limits(r0, want[i].time_s, want[i].memory);
        json_decref(s);
    }
    /* Under the worker's defaults alone the same programs fail: the limits did it. */
    json_t *s = get_submission(ids[2]);
    assert_true(json_real_value(json_object_get(s, "wall_limit")) == 30.0);
    json_decref(s);
    stop(w.pid, SIGTERM);
}

/* A database of the schema before issue #11 (migrations 001 and 002, rows
 * in it, and a queue message of the old, whole-job kind) is upgraded in
 * place by nsjudge-api --migrate: the rows stay, the status constraints
 * come from the status table, and the old message is judged. */
static void schema_upgrade(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    PQclear(e2e_sql("DROP DATABASE IF EXISTS nsjudge_upgrade"));
    PQclear(e2e_sql("CREATE DATABASE nsjudge_upgrade"));
    char url[256];
    snprintf(url, sizeof url, "postgresql://postgres@127.0.0.1:%d/nsjudge_upgrade", E.pg_port);
    PGconn *old = PQconnectdb(url);
    assert_int_equal(PQstatus(old), CONNECTION_OK);
    const char *files[] = {"001_schema.sql", "002_sessions.sql"};
    PQclear(PQexec(old, "CREATE TABLE schema_migrations (version text PRIMARY KEY,"
                        " applied_at timestamptz NOT NULL DEFAULT now())"));
    for (int i = 0; i < 2; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/sql/%s", getenv("NSJUDGE_HOME"), files[i]);
        char *sql = e2e_read_file(path);
        assert_true(sql[0] != '\0');
        PGresult *r = PQexec(old, sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            fail_msg("%s: %s", files[i], PQerrorMessage(old));
        PQclear(r);
        free(sql);
        const char *p[] = {files[i]};
        PQclear(PQexecParams(old, "INSERT INTO schema_migrations (version) VALUES ($1)", 1, NULL, p, NULL, NULL, 0));
    }
    /* A judged submission with its result, and a queued one. */
    PGresult *r = PQexec(old, "WITH s AS (INSERT INTO submissions (language, source_code, status, max_score, score_awarded)"
                              " VALUES ('python', 'print(4)', 'passed', 1, 1) RETURNING id),"
                              " t AS (INSERT INTO test_cases (submission_id, ordinal, input, expected_output, score)"
                              "  SELECT id, 0, '', '4', 1 FROM s RETURNING id, submission_id)"
                              " INSERT INTO submission_results (submission_id, test_case_id, ordinal, status, passed,"
                              "  stdout, stderr, execution_ms, cpu_ms, memory_kb, evidence)"
                              " SELECT submission_id, id, 0, 'passed', true, '4', '', 5, 4, 100, 'exit 0' FROM t"
                              " RETURNING submission_id");
    assert_int_equal(PQntuples(r), 1);
    char done_id[37];
    snprintf(done_id, sizeof done_id, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    r = PQexec(old, "WITH s AS (INSERT INTO submissions (language, source_code, max_score)"
                    " VALUES ('python', 'print(int(input()) * 2)', 3) RETURNING id)"
                    " INSERT INTO test_cases (submission_id, ordinal, input, expected_output, score)"
                    " SELECT id, 0, '21', '42', 3 FROM s RETURNING submission_id, id");
    char ids[1][37], tid[37];
    snprintf(ids[0], sizeof ids[0], "%s", PQgetvalue(r, 0, 0));
    snprintf(tid, sizeof tid, "%s", PQgetvalue(r, 0, 1));
    PQclear(r);

    char env_url[300];
    snprintf(env_url, sizeof env_url, "DATABASE_URL=%s", url);
    const char *env[] = {env_url, NULL};
    const char *argv[] = {E.bin[1], "--migrate", NULL};
    char log[1200];
    pid_t pid = e2e_spawn("upgrade", argv, env, log, sizeof log);
    int st = e2e_reap(pid, 60000);
    if (st < 0)
        stop(pid, SIGKILL);
    if (!(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        char *t = e2e_read_file(log);
        fail_msg("nsjudge-api --migrate failed: %s", t);
    }
    r = PQexec(old, "SELECT count(*) FILTER (WHERE version IN ('003_limits.sql', '004_blobs.sql')),"
                    " count(*) FILTER (WHERE version LIKE 'statuses-%') FROM schema_migrations");
    assert_string_equal(PQgetvalue(r, 0, 0), "2");
    assert_string_equal(PQgetvalue(r, 0, 1), "1");
    PQclear(r);
    r = PQexec(old, "SELECT s.status, s.score_awarded, r.stdout, r.time_limit_ms IS NULL FROM submissions s"
                    " JOIN submission_results r ON r.submission_id = s.id WHERE s.id = (SELECT id FROM submissions"
                    " WHERE status = 'passed')");
    assert_int_equal(PQntuples(r), 1);
    assert_string_equal(PQgetvalue(r, 0, 0), "passed");
    assert_string_equal(PQgetvalue(r, 0, 1), "1");
    assert_string_equal(PQgetvalue(r, 0, 2), "4");
    assert_string_equal(PQgetvalue(r, 0, 3), "t");
    PQclear(r);
    /* The test data became blobs, once each: '', '4', '21', '42'. */
    r = PQexec(old, "SELECT (SELECT count(*) FROM blobs), (SELECT count(*) FROM blob_chunks),"
                    " (SELECT count(*) FROM test_cases WHERE input_sha256 = encode(sha256('21'), 'hex'))");
    assert_string_equal(PQgetvalue(r, 0, 0), "4");
    assert_string_equal(PQgetvalue(r, 0, 1), "4");
    assert_string_equal(PQgetvalue(r, 0, 2), "1");
    PQclear(r);
    /* The constraints made from the status table hold. */
    const char *p[] = {done_id};
    r = PQexecParams(old, "UPDATE submission_results SET status = 'running' WHERE submission_id = $1", 1, NULL, p,
                     NULL, NULL, 0);
    assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
    assert_non_null(strstr(PQresultErrorField(r, PG_DIAG_SQLSTATE), "23514")); /* check_violation */
    PQclear(r);
    r = PQexec(old, "SELECT nsjudge_status_final('passed'), nsjudge_status_final('running')");
    assert_string_equal(PQgetvalue(r, 0, 0), "t");
    assert_string_equal(PQgetvalue(r, 0, 1), "f");
    PQclear(r);

    /* The message an older API wrote for the queued submission: the whole job. */
    char msg[1024];
    snprintf(msg, sizeof msg,
             "{\"submission_id\":\"%s\",\"question_id\":null,\"language\":\"python\",\"source_code\":"
             "\"print(int(input()) * 2)\",\"test_cases\":[{\"id\":\"%s\",\"input\":\"21\",\"expected_output\":\"42\","
             "\"score\":3}]}", ids[0], tid);
    redisContext *c = e2e_redis();
    freeReplyObject(redisCommand(c, "XADD %s * payload %s", STREAM, msg));
    redisFree(c);
    char wenv[300];
    snprintf(wenv, sizeof wenv, "DATABASE_URL=%s", url);
    const char *extra[] = {wenv, NULL};
    worker_t w = worker_start("upgraded", 1, extra);
    double end = e2e_now_s() + 60;
    const char *q[] = {ids[0]};
    char status[32] = "";
    while (e2e_now_s() < end) {
        r = PQexecParams(old, "SELECT status FROM submissions WHERE id = $1", 1, NULL, q, NULL, NULL, 0);
        snprintf(status, sizeof status, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
        PQclear(r);
        if (core_status_name_final(status))
            break;
        e2e_sleep_ms(50);
    }
    assert_string_equal(status, "passed");
    r = PQexecParams(old, "SELECT score_awarded, (SELECT time_limit_ms FROM submission_results WHERE submission_id = $1)"
                          " FROM submissions WHERE id = $1", 1, NULL, q, NULL, NULL, 0);
    assert_string_equal(PQgetvalue(r, 0, 0), "3");
    assert_false(PQgetisnull(r, 0, 1)); /* the limits it ran under are recorded */
    PQclear(r);
    stop(w.pid, SIGTERM);
    PQfinish(old);
    PQclear(e2e_sql("DROP DATABASE nsjudge_upgrade"));
}

/* An archive (zip, or tar.gz) of test files in memory: names[i] holds
 * datas[i] (sizes[i] bytes; 0 = strlen). */
static char *make_archive(bool zip, const char *const *names, const char *const *datas, const size_t *sizes,
                          size_t n, size_t *len)
{
    struct archive *a = archive_write_new();
    if (zip) {
        archive_write_set_format_zip(a);
    } else {
        archive_write_set_format_pax_restricted(a);
        archive_write_add_filter_gzip(a);
    }
    size_t cap = 64 << 20;
    char *buf = malloc(cap);
    size_t used = 0;
    assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        size_t sz = sizes && sizes[i] ? sizes[i] : strlen(datas[i]);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, names[i]);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)sz);
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        assert_int_equal(archive_write_data(a, datas[i], sz), (la_ssize_t)sz);
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    *len = used;
    return buf;
}

static int put_archive(const char *qid, const char *ctype, const char *body, size_t len, http_resp_t *r)
{
    char path[96];
    snprintf(path, sizeof path, "/questions/%s/tests", qid);
    http_do(E.api_port, "PUT", path, ctype, body, len, HTTP_NORMAL, r);
    return r->status;
}

/* Lines of a worker log that say a blob came from Postgres. */
static int fills_of(const char *log, const char *sha)
{
    char *t = e2e_read_file(log);
    int n = 0;
    for (const char *p = t; (p = strstr(p, "data cache: filled ")); p++)
        n += strncmp(p + 19, sha, 64) == 0;
    free(t);
    return n;
}

/* Test data uploaded as archives (issue #11): zip and tar.gz, a 20 MB
 * test, the listing and the files by hash, the refusals, versions (a job
 * started before a replace finishes on its own version), and the data
 * read from Postgres once per host whatever the submissions. */
static void test_data_archives(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    char qid[37];
    make_question("{\"title\":\"double\",\"test_cases\":[" T2("1", "2", 1) "]}", qid);
    const char *names[] = {"tests/1.in", "tests/1.out", "tests/2.in", "tests/2.ans"};
    const char *datas[] = {"3\n", "6\n", "50\n", "100\n"};
    size_t len;
    char *zip = make_archive(true, names, datas, NULL, 4, &len);
    http_resp_t r;
    assert_int_equal(put_archive(qid, "application/json", zip, len, &r), 415);
    http_resp_free(&r);
    if (put_archive(qid, "application/zip", zip, len, &r) != 200)
        fail_msg("PUT zip: %d %s", r.status, r.body);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_int_equal(e2e_jint(j, "version"), 2);
    assert_int_equal(e2e_jint(j, "tests"), 2);
    json_decref(j);
    http_resp_free(&r);
    free(zip);
    char path[128];
    snprintf(path, sizeof path, "/questions/%s", qid);
    json_t *q = get_json(path, 200);
    assert_int_equal(e2e_jint(q, "version"), 2);
    json_t *t1 = json_array_get(json_object_get(q, "test_cases"), 1);
    assert_int_equal(e2e_jint(t1, "input_size"), 3);
    assert_int_equal(e2e_jint(t1, "answer_size"), 4);
    assert_int_equal(strlen(e2e_jstr(t1, "input_sha256")), 64);
    assert_null(json_object_get(t1, "input")); /* the listing has no bytes */
    json_decref(q);
    snprintf(path, sizeof path, "/questions/%s/tests/1/answer", qid);
    http_do(E.api_port, "GET", path, NULL, NULL, 0, HTTP_NORMAL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 4);
    assert_memory_equal(r.body, "100\n", 4);
    http_resp_free(&r);
    snprintf(path, sizeof path, "/questions/%s/tests/7/input", qid);
    http_do(E.api_port, "GET", path, NULL, NULL, 0, HTTP_NORMAL, &r);
    assert_int_equal(r.status, 404);
    http_resp_free(&r);

    /* Refusals, each naming the entry. */
    const char *bad_names[] = {"../1.in", "1.out"};
    char *bad = make_archive(false, bad_names, datas, NULL, 2, &len);
    assert_int_equal(put_archive(qid, "application/gzip", bad, len, &r), 400);
    assert_non_null(strstr(r.body, "'../1.in'"));
    http_resp_free(&r);
    free(bad);
    const char *odd_names[] = {"1.in", "notes.txt"};
    bad = make_archive(true, odd_names, datas, NULL, 2, &len);
    assert_int_equal(put_archive(qid, "application/zip", bad, len, &r), 400);
    assert_non_null(strstr(r.body, "'notes.txt'"));
    http_resp_free(&r);
    free(bad);
    assert_int_equal(put_archive(qid, "application/zip", "not a zip", 9, &r), 400);
    http_resp_free(&r);
    assert_int_equal(put_archive("0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01", "application/zip", "x", 1, &r), 400);
    http_resp_free(&r);
    q = get_json((snprintf(path, sizeof path, "/questions/%s", qid), path), 200);
    assert_int_equal(e2e_jint(q, "version"), 2); /* refusals change nothing */
    json_decref(q);

    /* A job running during a replace finishes on its version. */
    /* A cache of its own, so that the fills counted are this test's. */
    char cache_env[1200];
    snprintf(cache_env, sizeof cache_env, "NSJUDGE_DATA_CACHE=%s/cache-archives", E.dir);
    const char *const env[] = {"EXECUTION_TIMEOUT=10s", cache_env, NULL};
    worker_t w = worker_start("archives", 1, env);
    char ids[3][37];
    assert_int_equal(submit("import time\ntime.sleep(1.5)\n" DOUBLE, NULL, qid, ids[0]), 202);
    double end = e2e_now_s() + 30;
    while (e2e_now_s() < end && e2e_sql_long("SELECT count(*) FROM submissions WHERE id = '%s' AND status = 'running'",
                                            ids[0]) != 1)
        e2e_sleep_ms(20);
    const char *v3_datas[] = {"3\n", "7\n", "50\n", "101\n"}; /* doubling fails every test of version 3 */
    zip = make_archive(true, names, v3_datas, NULL, 4, &len);
    assert_int_equal(put_archive(qid, "application/zip", zip, len, &r), 200);
    http_resp_free(&r);
    free(zip);
    assert_int_equal(submit(DOUBLE, NULL, qid, ids[1]), 202);
    wait_final(ids, 2, 60);
    json_t *s0 = get_submission(ids[0]), *s1 = get_submission(ids[1]);
    assert_string_equal(e2e_jstr(s0, "status"), "passed");
    assert_int_equal(e2e_jint(s0, "score_awarded"), 2);
    assert_string_equal(e2e_jstr(s1, "status"), "failed");
    json_decref(s0);
    json_decref(s1);
    assert_int_equal(e2e_sql_long("SELECT question_version FROM submissions WHERE id = '%s'", ids[0]), 2);
    assert_int_equal(e2e_sql_long("SELECT question_version FROM submissions WHERE id = '%s'", ids[1]), 3);

    /* A 20 MB test in a tar.gz; judged twice, read from Postgres once. */
    size_t big = 20 << 20;
    char *data = malloc(big);
    memset(data, 'x', big);
    const char *bnames[] = {"1.in", "1.out"};
    const char *bdatas[] = {data, "20971520\n"};
    size_t bsizes[] = {big, 0};
    char *tgz = make_archive(false, bnames, bdatas, bsizes, 2, &len);
    assert_true(len < 1 << 20);
    assert_int_equal(put_archive(qid, "application/gzip", tgz, len, &r), 200);
    http_resp_free(&r);
    free(tgz);
    char sha[65];
    q = get_json(path, 200);
    snprintf(sha, sizeof sha, "%s", e2e_jstr(json_array_get(json_object_get(q, "test_cases"), 0), "input_sha256"));
    assert_int_equal(e2e_jint(json_array_get(json_object_get(q, "test_cases"), 0), "input_size"), (long)big);
    json_decref(q);
    free(data);
    static const char count[] = "import sys\nprint(len(sys.stdin.buffer.read()))\n";
    assert_int_equal(submit(count, NULL, qid, ids[2]), 202);
    wait_final(&ids[2], 1, 60);
    s0 = get_submission(ids[2]);
    if (strcmp(e2e_jstr(s0, "status"), "passed") != 0)
        fail_msg("20 MB test: %s", json_dumps(s0, 0));
    json_decref(s0);
    assert_int_equal(submit(count, NULL, qid, ids[2]), 202);
    wait_final(&ids[2], 1, 60);
    s0 = get_submission(ids[2]);
    assert_string_equal(e2e_jstr(s0, "status"), "passed");
    json_decref(s0);
    assert_int_equal(fills_of(w.log, sha), 1); /* the second run read the host's cache */
    /* A part of the big file by Range. */
    int fd = http_dial(E.api_port);
    char req[256];
    int rl = snprintf(req, sizeof req, "GET /questions/%s/tests/0/input HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Range: bytes=10-19\r\nConnection: close\r\n\r\n", qid);
    assert_int_equal(http_send_all(fd, req, (size_t)rl), 0);
    char resp[2048];
    size_t got = 0;
    ssize_t k;
    while (got < sizeof resp - 1 && (k = read(fd, resp + got, sizeof resp - 1 - got)) > 0)
        got += (size_t)k;
    resp[got] = '\0';
    close(fd);
    assert_non_null(strstr(resp, " 206 "));
    assert_non_null(strstr(resp, "bytes 10-19/20971520"));
    assert_non_null(strstr(resp, "\r\n\r\nxxxxxxxxxx"));
    snprintf(path, sizeof path, "/questions/%s/tests/0/input", qid);
    http_do(E.api_port, "GET", path, NULL, NULL, 0, HTTP_NORMAL, &r);
    assert_int_equal(r.status, 413); /* over 16 MiB: ask by Range */
    http_resp_free(&r);
    /* A manifest: its own names, order and scores. */
    const char *mnames[] = {"b.txt", "a.txt", "tests.json"};
    const char *mdatas[] = {"4\n", "8\n", "{\"tests\":[{\"input\":\"b.txt\",\"answer\":\"a.txt\",\"score\":5},"
                                            "{\"input\":\"a.txt\",\"answer\":\"a.txt\",\"score\":7}]}"};
    zip = make_archive(true, mnames, mdatas, NULL, 3, &len);
    assert_int_equal(put_archive(qid, "application/zip", zip, len, &r), 200);
    http_resp_free(&r);
    free(zip);
    snprintf(path, sizeof path, "/questions/%s", qid);
    q = get_json(path, 200);
    assert_int_equal(e2e_jint(q, "version"), 5);
    assert_int_equal(e2e_jint(q, "max_score"), 12);
    assert_int_equal(e2e_jint(json_array_get(json_object_get(q, "test_cases"), 1), "score"), 7);
    json_decref(q);
    stop(w.pid, SIGTERM);
}

/* The size refusals of test data (a second API with small MAX_TEST_DATA
 * and MAX_TEST_FILE): a file over the limit, a zip bomb, a body declared
 * too large, too many entries — 413 each, nothing stored; and two worker
 * processes sharing one data cache fill an 8 MiB blob once between them. */
static void test_data_limits_and_shared_cache(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    char qid[37];
    make_question("{\"title\":\"limits\",\"test_cases\":[" T2("1", "2", 1) "]}", qid);
    int port = e2e_free_port();
    char listen[64], r_env[200], d_env[300], ready[80], log[1200];
    snprintf(listen, sizeof listen, "LISTEN=127.0.0.1:%d", port);
    snprintf(r_env, sizeof r_env, "REDIS_URL=%s", E.redis_url);
    snprintf(d_env, sizeof d_env, "DATABASE_URL=%s", E.db_url);
    const char *extra[] = {listen, r_env, d_env, "MAX_TEST_DATA=64k", "MAX_TEST_FILE=16k",
                           "ANONYMOUS_SCOPES=submit,read,admin", NULL};
    const char *argv[] = {E.bin[1], NULL};
    pid_t api2 = e2e_spawn("api-small", argv, extra, log, sizeof log);
    track(api2, true);
    snprintf(ready, sizeof ready, "listening on http://127.0.0.1:%d", port);
    assert_true(e2e_wait_line(log, ready, 20000));
    long blobs0 = e2e_sql_long("SELECT count(*) FROM blobs");
    char path[96];
    snprintf(path, sizeof path, "/questions/%s/tests", qid);
    http_resp_t r;
    size_t len;
    char *zeros = calloc(1, 20 << 10);
    /* One file over MAX_TEST_FILE. */
    const char *n1[] = {"1.in", "1.out"};
    const char *d1[] = {zeros, "x"};
    size_t s1[] = {20 << 10, 0};
    char *ar = make_archive(false, n1, d1, s1, 2, &len);
    http_do(port, "PUT", path, "application/gzip", ar, len, HTTP_NORMAL, &r);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body, "'1.in' is over the 16384-byte limit"));
    http_resp_free(&r);
    free(ar);
    /* A bomb: 6 files of 15 KiB of zeros, a few hundred bytes zipped, 90 KiB expanded. */
    const char *n2[] = {"1.in", "1.out", "2.in", "2.out", "3.in", "3.out"};
    const char *d2[] = {zeros, zeros, zeros, zeros, zeros, zeros};
    size_t s2[] = {15 << 10, 15 << 10, 15 << 10, 15 << 10, 15 << 10, 15 << 10};
    ar = make_archive(true, n2, d2, s2, 6, &len);
    assert_true(len < 4096);
    http_do(port, "PUT", path, "application/zip", ar, len, HTTP_NORMAL, &r);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body, "MAX_TEST_DATA"));
    http_resp_free(&r);
    free(ar);
    /* A body over MAX_TEST_DATA: refused from its declared length. */
    char *big = malloc(70 << 10);
    memset(big, 'z', 70 << 10);
    http_do(port, "PUT", path, "application/x-tar", big, 70 << 10, HTTP_HEADERS_FIRST, &r);
    assert_int_equal(r.status, 413);
    http_resp_free(&r);
    free(big);
    free(zeros);
    /* More entries than 2 x MAX_TEST_CASES + 64 (the main API: 264). */
    enum { MANY = 300 };
    const char *mn[MANY], *md[MANY];
    char names[MANY][16];
    for (int i = 0; i < MANY; i++) {
        snprintf(names[i], sizeof names[i], "%d.%s", i / 2, i % 2 ? "out" : "in");
        mn[i] = names[i];
        md[i] = "1\n";
    }
    ar = make_archive(false, mn, md, NULL, MANY, &len);
    assert_int_equal(put_archive(qid, "application/gzip", ar, len, &r), 413);
    assert_non_null(strstr(r.body, "more than 264 entries"));
    http_resp_free(&r);
    free(ar);
    /* An absolute name. */
    const char *n3[] = {"/tmp/1.in", "1.out"};
    ar = make_archive(false, n3, n1, NULL, 2, &len);
    assert_int_equal(put_archive(qid, "application/gzip", ar, len, &r), 400);
    assert_non_null(strstr(r.body, "'/tmp/1.in'"));
    http_resp_free(&r);
    free(ar);
    stop(api2, SIGTERM);
    char qpath[64];
    snprintf(qpath, sizeof qpath, "/questions/%s", qid);
    json_t *q = get_json(qpath, 200);
    assert_int_equal(e2e_jint(q, "version"), 1); /* nothing replaced */
    json_decref(q);
    assert_int_equal(e2e_sql_long("SELECT count(*) FROM blobs"), blobs0); /* nothing stored */

    /* Two worker processes, one cache: the 8 MiB input is read from Postgres once. */
    size_t in_len = 8 << 20;
    char *input = malloc(in_len);
    memset(input, ' ', in_len);
    memcpy(input, "21", 2);
    input[in_len - 1] = '\n';
    const char *dn[] = {input, "42\n"};
    size_t ds[] = {in_len, 0};
    ar = make_archive(false, n1, dn, ds, 2, &len);
    free(input);
    assert_int_equal(put_archive(qid, "application/gzip", ar, len, &r), 200);
    http_resp_free(&r);
    free(ar);
    q = get_json(qpath, 200);
    char sha[65];
    snprintf(sha, sizeof sha, "%s", e2e_jstr(json_array_get(json_object_get(q, "test_cases"), 0), "input_sha256"));
    json_decref(q);
    char cache_env[1200];
    snprintf(cache_env, sizeof cache_env, "NSJUDGE_DATA_CACHE=%s/cache-shared", E.dir);
    const char *const env[] = {"EXECUTION_TIMEOUT=20s", cache_env, NULL};
    worker_t w1 = worker_start("shared1", 2, env), w2 = worker_start("shared2", 2, env);
    enum { SUBS = 6 };
    char ids[SUBS][37];
    for (int i = 0; i < SUBS; i++)
        assert_int_equal(submit("import sys\nprint(int(sys.stdin.read().split()[0]) * 2)\n", NULL, qid, ids[i]), 202);
    wait_final(ids, SUBS, 120);
    char *list = id_list(ids, SUBS);
    assert_int_equal(e2e_sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'passed'", list), SUBS);
    free(list);
    int f1 = fills_of(w1.log, sha), f2 = fills_of(w2.log, sha);
    print_message("8 MiB blob filled %d + %d times by two workers for %d submissions\n", f1, f2, SUBS);
    assert_int_equal(f1 + f2, 1);
    stop(w1.pid, SIGTERM);
    stop(w2.pid, SIGTERM);
}

/* A test that ends in internal_error (here: its input's bytes are missing
 * from Postgres, a fault of the host) makes the worker judge the job again,
 * JUDGE_ATTEMPTS runs in all, before internal_error is stored, with the
 * reason, never as the program's fault. */
static void internal_error_retried(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    PGresult *r = e2e_sql("INSERT INTO submissions (language, source_code, max_score) VALUES ('python', 'print(42)', 1)"
                          " RETURNING id");
    char id[1][37];
    snprintf(id[0], sizeof id[0], "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    /* A blob whose head is there but whose chunks are not. */
    PQclear(e2e_sql("INSERT INTO blobs (sha256, size) VALUES (encode(sha256('gone'), 'hex'), 4) ON CONFLICT DO NOTHING"));
    PQclear(e2e_sql("INSERT INTO blobs (sha256, size) VALUES (encode(sha256('42'), 'hex'), 2) ON CONFLICT DO NOTHING"));
    PQclear(e2e_sql("INSERT INTO blob_chunks (sha256, n, data) VALUES (encode(sha256('42'), 'hex'), 0, '42')"
                    " ON CONFLICT DO NOTHING"));
    PQclear(e2e_sql("INSERT INTO test_cases (submission_id, ordinal, input_sha256, answer_sha256, score)"
                    " VALUES ('%s', 0, encode(sha256('gone'), 'hex'), encode(sha256('42'), 'hex'), 1)", id[0]));
    char cache_env[1200];
    snprintf(cache_env, sizeof cache_env, "NSJUDGE_DATA_CACHE=%s/cache-retry", E.dir);
    const char *const env[] = {"JUDGE_ATTEMPTS=3", "STALE_QUEUED_AGE=1s", cache_env, NULL};
    worker_t w = worker_start("retry", 1, env);
    wait_final(id, 1, 60);
    r = e2e_sql("SELECT status, error FROM submissions WHERE id = '%s'", id[0]);
    assert_string_equal(PQgetvalue(r, 0, 0), "internal_error");
    if (!strstr(PQgetvalue(r, 0, 1), "not found"))
        fail_msg("error: %s", PQgetvalue(r, 0, 1));
    PQclear(r);
    char *t = e2e_read_file(w.log);
    assert_non_null(strstr(t, "internal_error on attempt 1 of 3"));
    assert_non_null(strstr(t, "internal_error on attempt 2 of 3"));
    assert_null(strstr(t, "attempt 3 of 3"));
    free(t);
    stop(w.pid, SIGTERM);
}

/* keep_output (issue #11): the whole stdout of each test is kept as a blob
 * beside the bounded preview, and served; without it there is none. */
static void keep_output_full_stdout(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    static const char *const env[] = {"STORED_OUTPUT_MAX=1k", NULL};
    worker_t w = worker_start("keep", 1, env);
    static const char body[] = "{\"language\":\"python\",\"source_code\":\"print('y' * 10000)\\nprint(int(input()) * 2)\\n\","
                               "\"keep_output\":true,\"test_cases\":[" T2("21", "42", 1) "," T2("1", "2", 1) "]}";
    http_resp_t r;
    char ids[2][37];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(e2e_post_json("/submissions", i == 0 ? body : "{\"language\":\"python\",\"source_code\":"
                                       "\"print(42)\",\"test_cases\":[" T2("21", "42", 1) "]}", &r), 202);
        json_t *j = json_loads(r.body, 0, NULL);
        snprintf(ids[i], 37, "%s", e2e_jstr(j, "id"));
        json_decref(j);
        http_resp_free(&r);
    }
    wait_final(ids, 2, 60);
    json_t *s = get_submission(ids[0]);
    assert_true(json_is_true(json_object_get(s, "keep_output")));
    json_t *r1 = json_array_get(json_object_get(s, "results"), 1);
    assert_int_equal(e2e_jint(r1, "stdout_size"), 10003);
    assert_non_null(strstr(e2e_jstr(r1, "stdout"), "[output truncated")); /* the preview */
    json_decref(s);
    char path[128];
    snprintf(path, sizeof path, "/submissions/%s/tests/1/stdout", ids[0]);
    http_do(E.api_port, "GET", path, NULL, NULL, 0, HTTP_NORMAL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 10003);
    assert_memory_equal(r.body + 10000, "\n2\n", 3);
    http_resp_free(&r);
    snprintf(path, sizeof path, "/submissions/%s/tests/0/stdout", ids[1]);
    http_do(E.api_port, "GET", path, NULL, NULL, 0, HTTP_NORMAL, &r);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.body, "keep_output"));
    http_resp_free(&r);
    stop(w.pid, SIGTERM);
}

typedef struct batch {
    int first, count;
    char (*ids)[37];
    int failures;
} batch_t;

static void *submit_batch(void *arg)
{
    batch_t *b = arg;
    for (int i = b->first; i < b->first + b->count; i++) {
        /* Test 2 is wrong for every third submission: score 1 of 3. */
        char tests[256], src[128];
        snprintf(src, sizeof src, "print(int(input()) + %d)\n", i);
        snprintf(tests, sizeof tests,
                 "[{\"input\":\"%d\",\"expected_output\":\"%d\",\"score\":1},"
                 "{\"input\":\"%d\",\"expected_output\":\"%d\",\"score\":2}]",
                 i, 2 * i, 1000 + i, 1000 + 2 * i + (i % 3 == 0));
        if (submit(src, tests, NULL, b->ids[i]) != 202)
            b->failures++;
    }
    return NULL;
}

static void concurrent_200(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    enum { N = 200, THREADS = 8 };
    static char ids[N][37];
    worker_t w = worker_start("concurrent", 4, NULL);
    pthread_t th[THREADS];
    batch_t b[THREADS];
    for (int t = 0; t < THREADS; t++) {
        b[t] = (batch_t){.first = t * (N / THREADS), .count = N / THREADS, .ids = ids};
        pthread_create(&th[t], NULL, submit_batch, &b[t]);
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(b[t].failures, 0);
    }
    wait_final(ids, N, 180);
    char *list = id_list(ids, N);
    PGresult *r = e2e_sql("SELECT id, status, score_awarded, max_score,"
                          " (SELECT count(*) FROM submission_results x WHERE x.submission_id = s.id)"
                          " FROM submissions s WHERE id IN (%s)", list);
    assert_int_equal(PQntuples(r), N);
    for (int k = 0; k < N; k++) {
        int i = -1;
        for (int j = 0; j < N; j++)
            if (strcmp(ids[j], PQgetvalue(r, k, 0)) == 0)
                i = j;
        assert_true(i >= 0);
        const char *want = i % 3 == 0 ? "failed" : "passed";
        if (strcmp(PQgetvalue(r, k, 1), want) != 0 || atoi(PQgetvalue(r, k, 2)) != (i % 3 == 0 ? 1 : 3) ||
            atoi(PQgetvalue(r, k, 3)) != 3 || atoi(PQgetvalue(r, k, 4)) != 2)
            fail_msg("submission %d: %s score %s/%s with %s results (want %s)", i, PQgetvalue(r, k, 1),
                     PQgetvalue(r, k, 2), PQgetvalue(r, k, 3), PQgetvalue(r, k, 4), want);
    }
    PQclear(r);
    free(list);
    assert_int_equal(duplicate_results(), 0);
    /* The same through the API, for a sample. */
    for (int i = 0; i < N; i += 17) {
        json_t *s = get_submission(ids[i]);
        assert_int_equal(e2e_jint(s, "score_awarded"), i % 3 == 0 ? 1 : 3);
        json_decref(s);
    }
    stop(w.pid, SIGTERM);
    assert_int_equal(pending_after_acks(), 0);
}

/* How many "submission <id>: <status>, score" lines (a stored result) the
 * logs hold for id. */
static int stored_lines(const char *const *logs, int nlogs, const char *id)
{
    int n = 0;
    char needle[64];
    snprintf(needle, sizeof needle, "submission %s: ", id);
    for (int l = 0; l < nlogs; l++) {
        char *t = e2e_read_file(logs[l]);
        for (char *p = strstr(t, needle); p; p = strstr(p + 1, needle)) {
            char *eol = strchr(p, '\n');
            size_t len = eol ? (size_t)(eol - p) : strlen(p);
            char line[512];
            snprintf(line, sizeof line, "%.*s", (int)(len < 511 ? len : 511), p);
            if (strstr(line, ", score ") && !strstr(line, "not stored again"))
                n++;
        }
        free(t);
    }
    return n;
}

static void kill9_mid_batch(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    enum { N = 30 };
    char ids[N][37];
    worker_t a = worker_start("k9a", 2, NULL), b = worker_start("k9b", 2, NULL);
    for (int i = 0; i < N; i++)
        assert_int_equal(submit(SLEEPY("0.25"), "[" T2("1", "2", 1) "," T2("2", "4", 1) "]", NULL, ids[i]), 202);
    /* Kill worker a while it holds messages (the pending entries prove it). */
    char prefix[64];
    snprintf(prefix, sizeof prefix, "k9a-%d-", (int)a.pid);
    double end = e2e_now_s() + 20;
    int held = 0;
    while (e2e_now_s() < end && (held = pending_of(prefix)) < 2)
        e2e_sleep_ms(10);
    assert_true(held >= 1);
    long running = e2e_sql_long("SELECT count(*) FROM submissions WHERE status = 'running'");
    kill(a.pid, SIGKILL);
    int st = e2e_reap(a.pid, 10000);
    track(a.pid, false);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    print_message("killed k9a holding %d messages (%ld submissions running)\n", held, running);
    wait_final(ids, N, 120);
    char *list = id_list(ids, N);
    assert_int_equal(e2e_sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'passed'"
                                  " AND score_awarded = 2 AND finished_at IS NOT NULL", list), N);
    assert_int_equal(e2e_sql_long("SELECT count(*) FROM submission_results WHERE submission_id IN (%s)", list), 2 * N);
    free(list);
    assert_int_equal(duplicate_results(), 0);
    /* Each result was stored exactly once, by one of the two workers. */
    const char *logs[] = {a.log, b.log};
    for (int i = 0; i < N; i++)
        if (stored_lines(logs, 2, ids[i]) != 1)
            fail_msg("submission %s stored %d times", ids[i], stored_lines(logs, 2, ids[i]));
    /* The survivor took over what the dead one held. */
    char *t = e2e_read_file(b.log);
    assert_non_null(strstr(t, "reclaimed message"));
    free(t);
    assert_int_equal(pending_after_acks(), 0);
    assert_int_equal(e2e_redis_int("XLEN " STREAM), 0);
    /* The dead worker's sandboxes died with it (PR_SET_PDEATHSIG). */
    end = e2e_now_s() + 5;
    while (e2e_now_s() < end && e2e_sandbox_processes_of(a.pid) > 0)
        e2e_sleep_ms(50);
    assert_int_equal(e2e_sandbox_processes_of(a.pid), 0);
    stop(b.pid, SIGTERM);
    assert_int_equal(e2e_run_cgroups_of("/sys/fs/cgroup", b.pid, 8), 0);
    /* The dead worker could not remove its run cgroups; the next worker's
     * sandbox sweeps them when it starts. */
    int left = e2e_run_cgroups_of("/sys/fs/cgroup", a.pid, 8);
    print_message("run cgroups left by the killed worker: %d\n", left);
    worker_t c = worker_start("k9c", 1, NULL);
    assert_int_equal(e2e_run_cgroups_of("/sys/fs/cgroup", a.pid, 8), 0);
    stop(c.pid, SIGTERM);
}

static void sigterm_drains(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    enum { N = 8 };
    char ids[N][37];
    worker_t w = worker_start("drain", 2, NULL);
    for (int i = 0; i < N; i++)
        assert_int_equal(submit(SLEEPY("0.4"), "[" T2("1", "2", 1) "," T2("3", "6", 1) "]", NULL, ids[i]), 202);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "drain-%d-", (int)w.pid);
    double end = e2e_now_s() + 20;
    while (e2e_now_s() < end && pending_of(prefix) < 2)
        e2e_sleep_ms(10);
    assert_true(pending_of(prefix) >= 1);
    char *list = id_list(ids, N);
    PGresult *r = e2e_sql("SELECT id FROM submissions WHERE id IN (%s) AND status = 'running'", list);
    int in_flight = PQntuples(r);
    char held[2][37] = {"", ""};
    for (int i = 0; i < in_flight && i < 2; i++)
        snprintf(held[i], 37, "%s", PQgetvalue(r, i, 0));
    PQclear(r);
    assert_true(in_flight >= 1);
    kill(w.pid, SIGTERM);
    int st = e2e_reap(w.pid, 60000);
    track(w.pid, false);
    assert_true(st >= 0 && WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    char *t = e2e_read_file(w.log);
    assert_non_null(strstr(t, "received"));
    assert_true(e2e_has_line(t, "stopped"));
    free(t);
    /* Nothing left running, the jobs in flight were finished and stored... */
    assert_int_equal(e2e_sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'running'", list), 0);
    for (int i = 0; i < in_flight && i < 2; i++)
        assert_int_equal(
            e2e_sql_long("SELECT count(*) FROM submissions WHERE id = '%s' AND status = 'passed'", held[i]), 1);
    assert_int_equal(pending_of(prefix), 0);
    /* No sandbox of the drained worker survives it, nor any of its cgroups. */
    assert_int_equal(e2e_sandbox_processes_of(w.pid), 0);
    assert_int_equal(e2e_run_cgroups_of("/sys/fs/cgroup", w.pid, 8), 0);
    /* ... and nothing was lost: every other one is still queued, with its message. */
    long queued = e2e_sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'queued'", list);
    long done = e2e_sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'passed'", list);
    assert_int_equal(queued + done, N);
    assert_int_equal(e2e_redis_int("XLEN " STREAM), queued);
    assert_true(queued > 0);
    worker_t w2 = worker_start("drain2", 2, NULL);
    wait_final(ids, N, 60);
    assert_int_equal(e2e_sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'passed'", list), N);
    assert_int_equal(duplicate_results(), 0);
    free(list);
    stop(w2.pid, SIGTERM);
}

static void redis_wait_gone(pid_t pid)
{
    double end = e2e_now_s() + 30;
    while (e2e_now_s() < end) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        char *t = e2e_read_file(path);
        char *rp = strrchr(t, ')');
        bool gone = !t[0] || (rp && rp[1] == ' ' && rp[2] == 'Z');
        free(t);
        if (gone)
            return;
        e2e_sleep_ms(20);
    }
    fail_msg("redis-server %d did not stop", (int)pid);
}

static void redis_start_again(void)
{
    char port[16], dir[1100], logf[1200];
    snprintf(port, sizeof port, "%d", E.redis_port);
    snprintf(dir, sizeof dir, "%s", E.redis_dir);
    snprintf(logf, sizeof logf, "%s/redis.log", E.redis_dir);
    const char *argv[] = {"redis-server", "--port", port, "--bind", "127.0.0.1", "--daemonize", "no", "--dir", dir,
                          "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--logfile", logf, NULL};
    char log[1200];
    E.redis_pid = e2e_spawn("redis", argv, NULL, log, sizeof log);
    redis_ours = true;
    for (int i = 0; i < 200; i++) {
        struct timeval tv = {1, 0};
        redisContext *c = redisConnectWithTimeout("127.0.0.1", E.redis_port, tv);
        redisReply *r = c && !c->err ? redisCommand(c, "PING") : NULL;
        bool ok = r && r->type == REDIS_REPLY_STATUS;
        freeReplyObject(r);
        if (c)
            redisFree(c);
        if (ok)
            return;
        e2e_sleep_ms(50);
    }
    fail_msg("redis-server did not come back");
}

static void redis_restart_mid_batch(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    enum { N = 24 };
    char ids[N][37];
    worker_t w = worker_start("redis", 2, NULL);
    for (int i = 0; i < N; i++)
        assert_int_equal(submit(SLEEPY("0.15"), "[" T2("4", "8", 1) "," T2("5", "10", 1) "]", NULL, ids[i]), 202);
    char *list = id_list(ids, N);
    double end = e2e_now_s() + 30;
    while (e2e_now_s() < end &&
           e2e_sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'passed'", list) < 4)
        e2e_sleep_ms(20);
    /* Stop Redis (it saves its AOF) while jobs are in flight. */
    kill(E.redis_pid, SIGTERM);
    redis_wait_gone(E.redis_pid);
    if (redis_ours)
        e2e_reap(E.redis_pid, 5000);
    long done_at_stop = e2e_sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'passed'", list);
    print_message("redis stopped with %ld of %d finished\n", done_at_stop, N);
    /* Meanwhile: the enqueue fails, yet the row is stored: accepted, left
     * queued and marked for the workers' sweep (issue #13), never
     * internal_error for the queue's outage. */
    char lost[1][37];
    assert_int_equal(submit(DOUBLE, "[" T2("1", "2", 1) "]", NULL, lost[0]), 202);
    assert_int_equal(e2e_sql_long("SELECT count(*) FROM submissions WHERE id = '%s' AND status = 'queued'"
                                  " AND enqueue_failed", lost[0]), 1);
    json_t *h = get_json("/healthz", 503);
    assert_non_null(strstr(e2e_jstr(h, "error"), "redis"));
    json_decref(h);
    e2e_sleep_ms(1000);
    redis_start_again();
    /* The API's pooled connections died with Redis: the first request after
     * the restart must reconnect, not fail. */
    char again[37];
    assert_int_equal(submit(DOUBLE, "[" T2("1", "2", 1) "]", NULL, again), 202);
    wait_final(ids, N, 120);
    assert_int_equal(e2e_sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'passed'", list), N);
    assert_int_equal(duplicate_results(), 0);
    free(list);
    /* Healthy again once the worker's heartbeat is back in the new Redis. */
    for (int i = 0; i < 150 && !healthz_ok(); i++)
        e2e_sleep_ms(100);
    h = get_json("/healthz", 200);
    json_decref(h);
    wait_final(&again, 1, 30);
    wait_final(lost, 1, 30);
    assert_int_equal(e2e_sql_long("SELECT count(*) FROM submissions WHERE id = '%s' AND status = 'passed'", lost[0]), 1);
    stop(w.pid, SIGTERM);
    assert_int_equal(pending_after_acks(), 0);
    char *t = e2e_read_file(w.log);
    assert_non_null(strstr(t, "Redis"));
    free(t);
}

static void postgres_start_again(void)
{
    char port[16], data[1100], sock[1100], bin[1100];
    snprintf(port, sizeof port, "%d", E.pg_port);
    snprintf(data, sizeof data, "%s/data", E.pg_dir);
    snprintf(sock, sizeof sock, "%s/sock", E.pg_dir);
    snprintf(bin, sizeof bin, "%s/postgres", E.pg_bin);
    /* As run.sh starts it (postgres refuses root): setpriv execs it, so the
     * PID is the postmaster's. */
    const char *argv[] = {"setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", bin, "-D", data, "-p",
                          port, "-k", sock, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
                          "max_connections=200", NULL};
    char log[1200], path[1200];
    E.pg_pid = e2e_spawn("postgres", argv, NULL, log, sizeof log);
    /* Not a worker: run.sh stops it gently (SIGINT), from its own file. */
    e2e_pidfile(E.pg_pid, false);
    snprintf(path, sizeof path, "%s/pg.pid", E.dir);
    FILE *f = fopen(path, "we");
    if (f) {
        fprintf(f, "%d\n", (int)E.pg_pid);
        fclose(f);
    }
    for (int i = 0; i < 300; i++) {
        PQreset(E.pg);
        if (PQstatus(E.pg) == CONNECTION_OK) {
            PQclear(PQexec(E.pg, "SET client_min_messages = warning"));
            return;
        }
        e2e_sleep_ms(50);
    }
    fail_msg("postgres did not come back (see %s)", log);
}

/* Postgres stops (fast shutdown: transactions in progress are aborted)
 * while jobs are in flight and comes back: every job is stored once. */
static void postgres_restart_mid_batch(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    REQUIRE(E.pg_pid > 0 && E.pg_dir[0] && E.pg_bin[0], "run.sh did not say how postgres was started");
    enum { N = 20 };
    char ids[N][37];
    worker_t w = worker_start("pgrestart", 2, NULL);
    for (int i = 0; i < N; i++)
        assert_int_equal(submit(SLEEPY("0.15"), "[" T2("4", "8", 1) "," T2("5", "10", 1) "]", NULL, ids[i]), 202);
    char *list = id_list(ids, N);
    double end = e2e_now_s() + 30;
    while (e2e_now_s() < end &&
           e2e_sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'passed'", list) < 3)
        e2e_sleep_ms(20);
    long before = e2e_sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'passed'", list);
    kill(E.pg_pid, SIGINT);
    end = e2e_now_s() + 30;
    while (e2e_now_s() < end && kill(E.pg_pid, 0) == 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)E.pg_pid);
        char *t = e2e_read_file(path), *rp = strrchr(t, ')');
        bool zombie = rp && rp[1] == ' ' && rp[2] == 'Z';
        free(t);
        if (zombie)
            break;
        e2e_sleep_ms(20);
    }
    waitpid(E.pg_pid, NULL, WNOHANG); /* ours only after a previous restart */
    print_message("postgres stopped with %ld of %d finished\n", before, N);
    /* Meanwhile the API says so instead of failing obscurely. */
    char lost[37];
    assert_int_equal(submit(DOUBLE, "[" T2("1", "2", 1) "]", NULL, lost), 503);
    e2e_sleep_ms(1500);
    postgres_start_again();
    wait_final(ids, N, 120);
    assert_int_equal(e2e_sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'passed'"
                                  " AND score_awarded = 2", list), N);
    assert_int_equal(e2e_sql_long("SELECT count(*) FROM submission_results WHERE submission_id IN (%s)", list), 2 * N);
    assert_int_equal(duplicate_results(), 0);
    free(list);
    assert_int_equal(pending_after_acks(), 0);
    char *t = e2e_read_file(w.log);
    assert_non_null(strstr(t, "Postgres"));
    free(t);
    /* The API reconnects too. */
    e2e_sleep_ms(2500);
    char again[37];
    assert_int_equal(submit(DOUBLE, "[" T2("1", "2", 1) "]", NULL, again), 202);
    wait_final(&again, 1, 30);
    stop(w.pid, SIGTERM);
}

typedef struct bad_case {
    const char *method, *path, *ctype;
    const char *body;            /* NULL: none; "@big": 2 MiB; "@src": source over the cap; "@many": 101 tests */
    http_mode_t mode;
    int status;
    const char *allow;
} bad_case_t;

static char *big_body(const char *which)
{
    if (strcmp(which, "@big") == 0) {
        char *b = malloc(2 << 20);
        memset(b, 'a', 2 << 20);
        b[(2 << 20) - 1] = '\0';
        return b;
    }
    if (strcmp(which, "@deep") == 0) {
        /* 500 000 nested arrays inside a valid object: refused at
         * jansson's depth limit, on a connection thread's own stack. */
        const char *pre = "{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":";
        size_t n = 500000, pl = strlen(pre);
        char *b = malloc(pl + 2 * n + 2);
        memcpy(b, pre, pl);
        memset(b + pl, '[', n);
        memset(b + pl + n, ']', n);
        memcpy(b + pl + 2 * n, "}", 2);
        return b;
    }
    if (strcmp(which, "@src") == 0) {
        char *src = malloc(70001);
        memset(src, '#', 70000);
        src[70000] = '\0';
        json_t *o = json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "language", "python", "source_code", src, "test_cases",
                              "input", "", "expected_output", "");
        free(src);
        char *b = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        return b;
    }
    json_t *tests = json_array();
    for (int i = 0; i < 101; i++)
        json_array_append_new(tests, json_pack("{s:s, s:s}", "input", "", "expected_output", ""));
    json_t *o = json_pack("{s:s, s:s, s:o}", "language", "python", "source_code", "print(1)", "test_cases", tests);
    char *b = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return b;
}

static void bad_input_matrix(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    static const bad_case_t cases[] = {
        {"POST", "/submissions", "application/json", "{\"language\":", HTTP_NORMAL, 400, NULL},
        {"POST", "/submissions", "application/json", "[]", HTTP_NORMAL, 400, NULL},
        {"POST", "/submissions", "application/json", "{\"language\":7,\"source_code\":\"x\"}", HTTP_NORMAL, 400, NULL},
        {"POST", "/submissions", "application/json", "{\"language\":\"python\",\"source_code\":1,\"test_cases\":[]}",
         HTTP_NORMAL, 400, NULL},
        {"POST", "/submissions", "application/json",
         "{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":[{\"input\":1,\"expected_output\":\"\"}]}",
         HTTP_NORMAL, 400, NULL},
        {"POST", "/submissions", "application/json", "{\"language\":\"cobol\",\"source_code\":\"x\"}", HTTP_NORMAL,
         400, NULL},
        {"POST", "/submissions", "application/json", "{\"source_code\":\"x\"}", HTTP_NORMAL, 400, NULL},
        {"POST", "/submissions", "application/json", "{\"language\":\"python\"}", HTTP_NORMAL, 400, NULL},
        {"POST", "/submissions", "application/json", "{\"language\":\"python\",\"source_code\":\"print(1)\"}",
         HTTP_NORMAL, 400, NULL},
        {"POST", "/submissions", "application/json",
         "{\"language\":\"python\",\"source_code\":\"\",\"test_cases\":[{\"input\":\"\",\"expected_output\":\"\"}]}",
         HTTP_NORMAL, 400, NULL},
        {"POST", "/submissions", "application/json",
         "{\"language\":\"python\",\"source_code\":\"x\\u0000\",\"test_cases\":[]}", HTTP_NORMAL, 400, NULL},
        {"POST", "/submissions", "application/json",
         "{\"language\":\"python\",\"source_code\":\"x\",\"question_id\":\"00000000-0000-4000-8000-000000000000\"}",
         HTTP_NORMAL, 404, NULL},
        {"POST", "/submissions", "application/json", "@src", HTTP_NORMAL, 413, NULL},
        {"POST", "/submissions", "application/json", "@big", HTTP_HEADERS_FIRST, 413, NULL},
        {"POST", "/submissions", "application/json", "@big", HTTP_CHUNKED, 413, NULL},
        {"POST", "/submissions", "application/json", "@many", HTTP_NORMAL, 400, NULL},
        {"POST", "/submissions", "application/json", "@deep", HTTP_NORMAL, 400, NULL},
        {"POST", "/sessions", "application/json", "@deep", HTTP_NORMAL, 400, NULL},
        {"POST", "/submissions", "application/json", "{\"language\":\"binary\",\"source_code\":\"x\"}",
         HTTP_NORMAL, 400, NULL},
        {"POST", "/sessions", "application/json", "{\"language\":\"binary\",\"source_code\":\"x\"}",
         HTTP_NORMAL, 400, NULL},
        {"POST", "/submissions", "text/plain", "{}", HTTP_NORMAL, 415, NULL},
        {"POST", "/submissions", NULL, "{}", HTTP_NORMAL, 415, NULL},
        {"POST", "/submissions", "application/json; charset=latin1", "{}", HTTP_NORMAL, 415, NULL},
        {"POST", "/submissions", "text/plain", "@big", HTTP_HEADERS_FIRST, 415, NULL},
        {"POST", "/questions", "application/json", "{\"title\":\"\",\"test_cases\":[]}", HTTP_NORMAL, 400, NULL},
        {"POST", "/questions", "application/json", "{\"title\":\"t\",\"test_cases\":[{}]}", HTTP_NORMAL, 400, NULL},
        {"GET", "/submissions/00000000-0000-4000-8000-000000000000", NULL, NULL, HTTP_NORMAL, 404, NULL},
        {"GET", "/submissions/not-a-uuid", NULL, NULL, HTTP_NORMAL, 404, NULL},
        {"GET", "/submissions/00000000-0000-4000-8000-00000000000", NULL, NULL, HTTP_NORMAL, 404, NULL},
        {"GET", "/questions/00000000-0000-4000-8000-000000000000", NULL, NULL, HTTP_NORMAL, 404, NULL},
        {"GET", "/nowhere", NULL, NULL, HTTP_NORMAL, 404, NULL},
        {"DELETE", "/submissions", NULL, NULL, HTTP_NORMAL, 405, "GET, HEAD, POST"},
        {"PUT", "/questions", "application/json", "{}", HTTP_NORMAL, 405, "GET, HEAD, POST"},
        {"POST", "/healthz", "application/json", "{}", HTTP_NORMAL, 405, "GET, HEAD"},
        {"DELETE", "/submissions/00000000-0000-4000-8000-000000000000", NULL, NULL, HTTP_NORMAL, 405, "GET, HEAD"},
    };
    long before = e2e_sql_long("SELECT count(*) FROM submissions") + e2e_sql_long("SELECT count(*) FROM questions");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const bad_case_t *c = &cases[i];
        char *owned = c->body && c->body[0] == '@' ? big_body(c->body) : NULL;
        const char *body = owned ? owned : c->body;
        http_resp_t r;
        http_do(E.api_port, c->method, c->path, c->ctype, body, body ? strlen(body) : 0, c->mode, &r);
        if (r.status != c->status)
            fail_msg("case %zu (%s %s): status %d, want %d: %s", i, c->method, c->path, r.status, c->status,
                     r.body ? r.body : "");
        json_t *j = json_loads(r.body, 0, NULL);
        if (!json_is_string(json_object_get(j, "error")) || json_object_size(j) != 1)
            fail_msg("case %zu: body is not {\"error\": ...}: %s", i, r.body);
        char ct[128], allow[64];
        assert_int_equal(http_header(&r, "Content-Type", ct, sizeof ct), 0);
        assert_string_equal(ct, "application/json");
        if (c->allow) {
            assert_int_equal(http_header(&r, "Allow", allow, sizeof allow), 0);
            assert_string_equal(allow, c->allow);
        }
        json_decref(j);
        http_resp_free(&r);
        free(owned);
    }
    /* Nothing was stored, and the server is alive and well. */
    long after = e2e_sql_long("SELECT count(*) FROM submissions") + e2e_sql_long("SELECT count(*) FROM questions");
    assert_int_equal(after, before);
    json_t *h = get_json("/healthz?live", 200);
    assert_string_equal(e2e_jstr(h, "status"), "ok");
    json_decref(h);
    json_t *l = get_json("/languages", 200);
    assert_string_equal(e2e_jstr(json_array_get(l, 0), "name"), "python");
    json_decref(l);
    char id[37];
    assert_int_equal(submit(DOUBLE, "[" T2("1", "2", 1) "]", NULL, id), 202);
    assert_int_equal(kill(E.api_pid, 0), 0);
}

/* A message delivered more than MAX_DELIVERIES times makes the submission
 * internal_error, naming the count; nothing is dropped silently. */
static void max_deliveries(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    char id[37];
    assert_int_equal(submit(DOUBLE, "[" T2("1", "2", 1) "]", NULL, id), 202);
    /* A consumer that takes it and dies, three times over. */
    redisContext *c = e2e_redis();
    redisReply *r = redisCommand(c, "XREADGROUP GROUP %s ghost COUNT 1 STREAMS %s >", GROUP, STREAM);
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        redisReply *g = redisCommand(c, "XINFO GROUPS %s", STREAM);
        redisReply *p = redisCommand(c, "XPENDING %s %s - + 10", STREAM, GROUP);
        print_message("XREADGROUP: type %d; XLEN %lld; groups %zu; pending %zu; submission %s is %s\n",
                      r ? r->type : -1, e2e_redis_int("XLEN " STREAM), g ? g->elements : 0, p ? p->elements : 0, id,
                      PQgetvalue(e2e_sql("SELECT status FROM submissions WHERE id = '%s'", id), 0, 0));
        for (size_t i = 0; p && i < p->elements; i++)
            print_message("  pending %s owned by %s\n", p->element[i]->element[0]->str, p->element[i]->element[1]->str);
        fail_msg("the message of a fresh submission was not in the stream");
    }
    char mid[64];
    snprintf(mid, sizeof mid, "%s", r->element[0]->element[1]->element[0]->element[0]->str);
    freeReplyObject(r);
    for (int i = 0; i < 2; i++)
        freeReplyObject(redisCommand(c, "XCLAIM %s %s ghost 0 %s", STREAM, GROUP, mid));
    redisFree(c);
    static const char *const env[] = {"RECLAIM_IDLE=1s", "MAX_DELIVERIES=3", NULL};
    worker_t w = worker_start("deliveries", 1, env);
    wait_final(&id, 1, 30);
    json_t *s = get_submission(id);
    assert_string_equal(e2e_jstr(s, "status"), "internal_error");
    if (!strstr(e2e_jstr(s, "error"), "delivered 4 times"))
        fail_msg("error: %s", e2e_jstr(s, "error"));
    json_decref(s);
    stop(w.pid, SIGTERM);
    assert_int_equal(pending_after_acks(), 0);
}

/* Entries that are not valid messages are acknowledged, never retried
 * forever; one naming a submission marks it. */
static void poison_messages(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    PGresult *r = e2e_sql("INSERT INTO submissions (language, source_code, max_score) VALUES ('python', 'x', 1)"
                          " RETURNING id");
    char id[37];
    snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    redisContext *c = e2e_redis();
    freeReplyObject(redisCommand(c, "XADD %s * payload %s", STREAM, "not-json"));
    freeReplyObject(redisCommand(c, "XADD %s * other field", STREAM));
    char msg[256];
    snprintf(msg, sizeof msg, "{\"submission_id\":\"%s\",\"enqueued_ms\":\"soon\"}", id);
    freeReplyObject(redisCommand(c, "XADD %s * payload %s", STREAM, msg));
    redisFree(c);
    worker_t w = worker_start("poison", 1, NULL);
    wait_final(&id, 1, 30);
    r = e2e_sql("SELECT status, error FROM submissions WHERE id = '%s'", id);
    assert_string_equal(PQgetvalue(r, 0, 0), "internal_error");
    assert_non_null(strstr(PQgetvalue(r, 0, 1), "malformed queue message"));
    PQclear(r);
    double end = e2e_now_s() + 10;
    while (e2e_now_s() < end && e2e_redis_int("XLEN " STREAM) != 0)
        e2e_sleep_ms(20);
    assert_int_equal(e2e_redis_int("XLEN " STREAM), 0);
    assert_int_equal(pending_after_acks(), 0);
    assert_int_equal(kill(w.pid, 0), 0); /* still alive */
    stop(w.pid, SIGTERM);
}

/* A row left queued without a message (the API died between its INSERT and
 * its XADD) is enqueued again by a worker and judged. */
static void stale_queued_row(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    PGresult *r = e2e_sql("INSERT INTO submissions (language, source_code, max_score, created_at, enqueued_at)"
                          " VALUES ('python', 'print(int(input()) * 2)', 5, now() - interval '1 hour',"
                          " now() - interval '1 hour') RETURNING id");
    char id[37];
    snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    /* Test data is stored once by content hash (sql/004_blobs.sql). */
    PQclear(e2e_sql("INSERT INTO blobs (sha256, size) VALUES (encode(sha256('21'), 'hex'), 2),"
                    " (encode(sha256('42'), 'hex'), 2) ON CONFLICT DO NOTHING"));
    PQclear(e2e_sql("INSERT INTO blob_chunks (sha256, n, data) VALUES (encode(sha256('21'), 'hex'), 0, '21'),"
                    " (encode(sha256('42'), 'hex'), 0, '42') ON CONFLICT DO NOTHING"));
    PQclear(e2e_sql("INSERT INTO test_cases (submission_id, ordinal, input_sha256, answer_sha256, score)"
                    " VALUES ('%s', 0, encode(sha256('21'), 'hex'), encode(sha256('42'), 'hex'), 5)", id));
    static const char *const env[] = {"STALE_QUEUED_AGE=1s", NULL};
    worker_t w = worker_start("stale", 1, env);
    wait_final(&id, 1, 30);
    json_t *s = get_submission(id);
    assert_string_equal(e2e_jstr(s, "status"), "passed");
    assert_int_equal(e2e_jint(s, "score_awarded"), 5);
    json_decref(s);
    char *t = e2e_read_file(w.log);
    assert_non_null(strstr(t, "stale submission"));
    free(t);
    stop(w.pid, SIGTERM);
}

/* Statements with parameters are prepared once per connection (store.c):
 * the server holds one per text. A server that loses them (a transaction-
 * pooling proxy in between, DEALLOCATE ALL) costs no error outside a
 * transaction and one transient error (EAGAIN: the caller retries) inside
 * one; from then on the connection executes the texts themselves. */
static void prepared_statements(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    static const char q[] = "SELECT $1::int * 6";
    const char *seven[] = {"7"}, *text[] = {q};
    nsj_error_t err = {0};
    for (int inside = 0; inside < 2; inside++) {
        store_t *s = NULL;
        assert_int_equal(store_connect(E.db_url, "test-prepared", &s, &err), 0);
        for (int i = 0; i < 3; i++) {
            PGresult *r = store_exec(s, q, 1, seven, &err);
            assert_non_null(r);
            assert_string_equal(PQgetvalue(r, 0, 0), "42");
            PQclear(r);
        }
        PGresult *r = store_exec(s, "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", 1, text, &err);
        assert_non_null(r);
        assert_string_equal(PQgetvalue(r, 0, 0), "1");
        PQclear(r);
        assert_false(s->prepare_off);
        if (inside)
            assert_int_equal(store_begin(s, &err), 0);
        PQclear(store_exec(s, "DEALLOCATE ALL", 0, NULL, &err));
        r = store_exec(s, q, 1, seven, &err);
        if (inside) {
            assert_null(r);
            assert_int_equal(err.errnum, EAGAIN);
            store_rollback(s);
            r = store_exec(s, q, 1, seven, &err);
        }
        assert_non_null(r);
        assert_string_equal(PQgetvalue(r, 0, 0), "42");
        PQclear(r);
        assert_true(s->prepare_off);
        r = store_exec(s, "SELECT count(*) FROM pg_prepared_statements", 0, NULL, &err);
        assert_string_equal(PQgetvalue(r, 0, 0), "0");
        PQclear(r);
        store_close(s);
    }
    /* A PREPARE that fails inside a transaction (a pooler's server session
     * already holds the name) aborts it: the error is transient, and the
     * retry runs the text unprepared. */
    store_t *s = NULL;
    assert_int_equal(store_connect(E.db_url, "test-prepared", &s, &err), 0);
    char taken[96];
    snprintf(taken, sizeof taken, "PREPARE nsj_%016llx_%u AS SELECT 1", s->tag, s->serial);
    PQclear(store_exec(s, taken, 0, NULL, &err));
    assert_int_equal(store_begin(s, &err), 0);
    assert_null(store_exec(s, q, 1, seven, &err));
    assert_int_equal(err.errnum, EAGAIN);
    assert_true(s->prepare_off);
    store_rollback(s);
    assert_int_equal(store_begin(s, &err), 0);
    PGresult *r = store_exec(s, q, 1, seven, &err);
    assert_non_null(r);
    assert_string_equal(PQgetvalue(r, 0, 0), "42");
    PQclear(r);
    assert_int_equal(store_commit(s, &err), 0);
    store_close(s);

    /* Past STORE_PREPARED_MAX texts, the least recently used goes: the
     * server holds that many, and every text still answers. */
    s = NULL;
    assert_int_equal(store_connect(E.db_url, "test-prepared", &s, &err), 0);
    for (int k = 0; k < STORE_PREPARED_MAX + 6; k++) {
        char sql[64], want[16];
        snprintf(sql, sizeof sql, "SELECT $1::int + %d", k);
        snprintf(want, sizeof want, "%d", 7 + k);
        for (int again = 0; again < (k == 0 ? 1 : 2); again++) {
            PGresult *kr = store_exec(s, k && again ? q : sql, 1, seven, &err);
            assert_non_null(kr);
            assert_string_equal(PQgetvalue(kr, 0, 0), k && again ? "42" : want);
            PQclear(kr);
        }
    }
    char last[64];
    snprintf(last, sizeof last, "SELECT $1::int + %d", STORE_PREPARED_MAX + 5);
    const char *texts[] = {q, last, "SELECT $1::int + 0"};
    r = store_exec(s,
                             "SELECT count(*), count(*) FILTER (WHERE statement = $1), count(*) FILTER (WHERE"
                             " statement = $2), count(*) FILTER (WHERE statement = $3) FROM pg_prepared_statements",
                             3, texts, &err);
    assert_non_null(r);
    assert_int_equal(atoi(PQgetvalue(r, 0, 0)), STORE_PREPARED_MAX);
    assert_string_equal(PQgetvalue(r, 0, 1), "1"); /* used at every step: never the one to go */
    assert_string_equal(PQgetvalue(r, 0, 2), "1"); /* the newest is prepared */
    assert_string_equal(PQgetvalue(r, 0, 3), "0"); /* the least recently used went first */
    PQclear(r);
    store_close(s);
}

/* Bad settings: a clear message naming the variable, exit status 2. */
static void bad_settings(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    static const struct {
        int bin;
        const char *env, *needle;
    } cases[] = {
        {0, "WORKER_COUNT=many", "WORKER_COUNT"},
        {0, "EXECUTION_TIMEOUT=-5", "EXECUTION_TIMEOUT"},
        {0, "SANDBOX_MEMORY_LIMIT=1k", "SANDBOX_MEMORY_LIMIT"},
        {0, "REDIS_URL=http://x", "Redis URL"},
        {1, "LISTEN=nowhere", "LISTEN"},
        {1, "SOURCE_MAX=big", "SOURCE_MAX"},
        {1, "MAX_TEST_CASES=0", "MAX_TEST_CASES"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *env[] = {cases[i].env, NULL};
        const char *argv[] = {E.bin[cases[i].bin], NULL};
        char log[1200];
        pid_t pid = e2e_spawn("settings", argv, env, log, sizeof log);
        int st = e2e_reap(pid, 10000);
        if (st < 0)
            stop(pid, SIGKILL);
        assert_true(st >= 0 && WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 2);
        char *t = e2e_read_file(log);
        if (!strstr(t, cases[i].needle))
            fail_msg("%s: message '%s' lacks '%s'", cases[i].env, t, cases[i].needle);
        free(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(bad_settings, stop_leftovers),
        cmocka_unit_test_teardown(prepared_statements, stop_leftovers),
        cmocka_unit_test_teardown(verdicts, stop_leftovers),
        cmocka_unit_test_teardown(compiled_languages, stop_leftovers),
        cmocka_unit_test_teardown(question_and_scores, stop_leftovers),
        cmocka_unit_test_teardown(limits_per_question, stop_leftovers),
        cmocka_unit_test_teardown(schema_upgrade, stop_leftovers),
        cmocka_unit_test_teardown(test_data_archives, stop_leftovers),
        cmocka_unit_test_teardown(test_data_limits_and_shared_cache, stop_leftovers),
        cmocka_unit_test_teardown(keep_output_full_stdout, stop_leftovers),
        cmocka_unit_test_teardown(internal_error_retried, stop_leftovers),
        cmocka_unit_test_teardown(bad_input_matrix, stop_leftovers),
        cmocka_unit_test_teardown(concurrent_200, stop_leftovers),
        cmocka_unit_test_teardown(kill9_mid_batch, stop_leftovers),
        cmocka_unit_test_teardown(sigterm_drains, stop_leftovers),
        cmocka_unit_test_teardown(redis_restart_mid_batch, stop_leftovers),
        cmocka_unit_test_teardown(postgres_restart_mid_batch, stop_leftovers),
        cmocka_unit_test_teardown(max_deliveries, stop_leftovers),
        cmocka_unit_test_teardown(poison_messages, stop_leftovers),
        cmocka_unit_test_teardown(stale_queued_row, stop_leftovers),
    };
    return cmocka_run_group_tests_name("pipeline", tests, group_setup, group_teardown);
}
