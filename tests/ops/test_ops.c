/* End-to-end tests of the operations side of the API and the workers
 * (issue #13): /healthz with worker heartbeats, /metrics of the API and of
 * a worker (parsed by the reference Prometheus parser, counters checked
 * against the work done), request ids and JSON log lines. Real servers
 * from tests/pipeline/run.sh; helpers in tests/pipeline/e2e.h. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/require.h"
#include "../pipeline/client.h"
#include "../pipeline/e2e.h"

static e2e_env_t E;

#define OPS_REQUIRE() REQUIRE(!E.unavailable[0], "%s", E.unavailable)

typedef struct worker {
    pid_t pid;
    char log[1200];
    int metrics_port;
} worker_t;

static worker_t worker_try(const char *name, int count, const char *extra1, const char *extra2);

/* Start a worker serving its metrics on a free port (another program on
 * the host may take the port between the choice and the bind: then again
 * with another). */
static worker_t worker_start_with(const char *name, int count, const char *extra1, const char *extra2)
{
    worker_t w;
    for (int attempt = 1;; attempt++) {
        w = worker_try(name, count, extra1, extra2);
        if (w.pid > 0)
            return w;
        if (attempt == 5)
            fail_msg("worker %s: no free port for METRICS_LISTEN after 5 attempts", name);
    }
}

static worker_t worker_try(const char *name, int count, const char *extra1, const char *extra2)
{
    worker_t w = {.metrics_port = e2e_free_port()};
    char env[6][320];
    snprintf(env[0], sizeof env[0], "REDIS_URL=%s", E.redis_url);
    snprintf(env[1], sizeof env[1], "DATABASE_URL=%s", E.db_url);
    snprintf(env[2], sizeof env[2], "WORKER_COUNT=%d", count);
    snprintf(env[3], sizeof env[3], "WORKER_NAME=%s", name);
    snprintf(env[4], sizeof env[4], "METRICS_LISTEN=127.0.0.1:%d", w.metrics_port);
    snprintf(env[5], sizeof env[5], "EXECUTION_TIMEOUT=5s");
    const char *envp[] = {env[0], env[1], env[2], env[3], env[4], env[5], extra1, extra2, NULL};
    const char *argv[] = {E.bin[0], NULL};
    w.pid = e2e_spawn(name, argv, envp, w.log, sizeof w.log);
    char line[64];
    snprintf(line, sizeof line, "%d workers started", count);
    double end = e2e_now_s() + 30;
    while (!e2e_wait_line(w.log, line, 200)) {
        char *t = e2e_read_file(w.log);
        bool taken = strstr(t, "METRICS_LISTEN: cannot listen") != NULL;
        if (taken || e2e_now_s() > end) {
            e2e_reap(w.pid, 10000);
            if (!taken)
                fail_msg("worker %s did not start: %s", name, t);
            free(t);
            w.pid = -1;
            return w;
        }
        free(t);
    }
    return w;
}

static worker_t worker_start(const char *name, int count)
{
    return worker_start_with(name, count, NULL, NULL);
}

/* SIGTERM: the worker must exit 0 (under ASan, also without leaks). */
static void worker_stop(worker_t *w)
{
    kill(w->pid, SIGTERM);
    int st = e2e_reap(w->pid, 30000);
    if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char *t = e2e_read_file(w->log);
        fail_msg("worker %d did not exit 0 on SIGTERM (status %d): %.3000s", (int)w->pid, st, t);
    }
}

/* A GET with extra header lines ("Name: value\r\n"...), on a port. */
static int get_with(int port, const char *path, const char *headers, http_resp_t *r)
{
    memset(r, 0, sizeof *r);
    int fd = http_dial(port);
    if (fd < 0)
        return 0;
    char req[2048];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n", path,
                     headers ? headers : "");
    http_send_all(fd, req, (size_t)n);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    ssize_t k;
    while ((k = read(fd, buf + len, cap - len - 1)) > 0) {
        len += (size_t)k;
        if (len + 1 == cap)
            buf = realloc(buf, cap *= 2);
    }
    close(fd);
    buf[len] = '\0';
    char *end = strstr(buf, "\r\n\r\n");
    if (sscanf(buf, "HTTP/1.1 %d", &r->status) != 1 || !end) {
        free(buf);
        return 0;
    }
    size_t hl = (size_t)(end - buf) + 2;
    memcpy(r->headers, buf, hl < sizeof r->headers - 1 ? hl : sizeof r->headers - 1);
    r->body = strdup(end + 4);
    r->len = strlen(r->body);
    free(buf);
    return r->status;
}

static json_t *get_json(const char *path, int want)
{
    http_resp_t r;
    http_do(E.api_port, "GET", path, NULL, NULL, 0, HTTP_NORMAL, &r);
    if (r.status != want)
        fail_msg("GET %s: %d %s (want %d)", path, r.status, r.body ? r.body : "", want);
    json_t *j = json_loads(r.body, 0, NULL);
    if (!j)
        fail_msg("GET %s: not JSON: %s", path, r.body);
    http_resp_free(&r);
    return j;
}

static int health_status(void)
{
    http_resp_t r;
    http_do(E.api_port, "GET", "/healthz", NULL, NULL, 0, HTTP_NORMAL, &r);
    int st = r.status;
    http_resp_free(&r);
    return st;
}

/* The samples of a /metrics answer as the reference parser reads them
 * ("name{labels sorted} value" lines, malloc'd); fails when it does not parse. */
static char *parse_metrics(int port)
{
    http_resp_t r;
    get_with(port, "/metrics", NULL, &r);
    if (r.status != 200)
        fail_msg("GET /metrics on :%d: %d", port, r.status);
    char ct[128];
    assert_int_equal(http_header(&r, "Content-Type", ct, sizeof ct), 0);
    assert_non_null(strstr(ct, "text/plain; version=0.0.4"));
    char in[] = "/tmp/nsjudge-ops-metrics.XXXXXX";
    int fd = mkstemp(in);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, r.body, r.len), (ssize_t)r.len);
    close(fd);
    http_resp_free(&r);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/ops/promcheck.py < %s", getenv("NSJUDGE_HOME"), in);
    FILE *p = popen(cmd, "r");
    char *out = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&out, &cap, '\0', p);
    int st = pclose(p);
    unlink(in);
    if (st != 0 || n < 0)
        fail_msg("the metrics do not parse (status %d)", st);
    return out;
}

/* The value of one sample ("name{labels}" exactly as promcheck prints it); -1 when absent. */
static double sample(const char *samples, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = samples; p && *p;) {
        if (strncmp(p, key, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return -1;
}

/* POST body to /submissions (202 expected): the new submission's id. */
static void post_submission(const char *body, char id[37])
{
    http_resp_t r;
    assert_int_equal(e2e_post_json("/submissions", body, &r), 202);
    json_t *j = json_loads(r.body, 0, NULL);
    snprintf(id, 37, "%s", e2e_jstr(j, "id"));
    json_decref(j);
    http_resp_free(&r);
}

static int submit(const char *src, const char *tests, char id[37])
{
    char body[1024];
    snprintf(body, sizeof body, "{\"language\":\"python\",\"source_code\":\"%s\",\"test_cases\":%s}", src, tests);
    http_resp_t r;
    int st = e2e_post_json("/submissions", body, &r);
    json_t *j = json_loads(r.body ? r.body : "", 0, NULL);
    snprintf(id, 37, "%s", st == 202 ? e2e_jstr(j, "id") : "");
    json_decref(j);
    http_resp_free(&r);
    return st;
}

static void wait_final(char (*ids)[37], int n, int timeout_s)
{
    double end = e2e_now_s() + timeout_s;
    for (int i = 0; i < n; i++) {
        for (;;) {
            long left = e2e_sql_long("SELECT count(*) FROM submissions WHERE id = '%s' AND status IN ('queued',"
                                     " 'running')", ids[i]);
            if (left == 0)
                break;
            if (e2e_now_s() > end)
                fail_msg("submission %s did not finish within %d s", ids[i], timeout_s);
            e2e_sleep_ms(50);
        }
    }
}

#define TWICE "print(int(input())*2)"
#define T_OK "[{\"input\":\"2\",\"expected_output\":\"4\",\"score\":1}]"
#define T_BAD "[{\"input\":\"2\",\"expected_output\":\"5\",\"score\":1}]"

/* /healthz is 503 while no worker is alive, 200 with one (its heartbeat
 * listed), 503 again once it stopped; ?live answers 200 throughout. */
static void health_follows_workers(void **state)
{
    (void)state;
    OPS_REQUIRE();
    json_t *h = get_json("/healthz", 503);
    assert_non_null(strstr(e2e_jstr(h, "error"), "no worker alive"));
    assert_int_equal(e2e_jint(h, "workers_alive"), 0);
    assert_string_equal(e2e_jstr(h, "postgres"), "ok");
    assert_string_equal(e2e_jstr(h, "redis"), "ok");
    json_decref(h);
    h = get_json("/healthz?live", 200);
    assert_string_equal(e2e_jstr(h, "status"), "ok");
    json_decref(h);

    worker_t w = worker_start("ops-health", 2);
    for (int i = 0; i < 300 && health_status() != 200; i++)
        e2e_sleep_ms(50);
    h = get_json("/healthz", 200);
    assert_int_equal(e2e_jint(h, "workers_alive"), 1);
    json_t *wk = json_array_get(json_object_get(h, "workers"), 0);
    assert_int_equal(e2e_jint(wk, "pid"), w.pid);
    assert_string_equal(e2e_jstr(wk, "host"), "ops-health");
    assert_int_equal(e2e_jint(wk, "slots_total"), 2);
    assert_true(json_is_number(json_object_get(wk, "last_seen")));
    assert_true(strlen(e2e_jstr(wk, "version")) > 0);
    json_t *q = json_object_get(h, "queue");
    assert_true(json_is_integer(json_object_get(q, "depth")));
    assert_true(json_is_integer(json_object_get(q, "pending")));
    assert_true(json_is_number(json_object_get(q, "oldest_pending_age_seconds")));
    json_decref(h);

    /* A clean stop removes the heartbeat at once. */
    kill(w.pid, SIGTERM);
    int st = e2e_reap(w.pid, 30000);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(health_status(), 503);
}

/* The API's and a worker's /metrics parse with the reference parser and
 * count exactly the work this test did; every answer carries a request id
 * (the client's when well-formed) and each request and job is one JSON log line. */
static void metrics_and_logs(void **state)
{
    (void)state;
    OPS_REQUIRE();
    worker_t w = worker_start("ops-metrics", 2);
    char *before = parse_metrics(E.api_port);
    double posted0 = sample(before, "nsjudge_http_requests_total{method=\"POST\",route=\"/submissions\",status=\"202\"}");
    free(before);
    if (posted0 < 0)
        posted0 = 0;
    enum { NOK = 3, NBAD = 2 };
    char ids[NOK + NBAD][37];
    for (int i = 0; i < NOK + NBAD; i++)
        assert_int_equal(submit(TWICE, i < NOK ? T_OK : T_BAD, ids[i]), 202);
    wait_final(ids, NOK + NBAD, 120);

    char *api = parse_metrics(E.api_port);
    assert_true(sample(api, "nsjudge_http_requests_total{method=\"POST\",route=\"/submissions\",status=\"202\"}") ==
                posted0 + NOK + NBAD);
    assert_true(sample(api, "nsjudge_http_request_duration_seconds_count{route=\"/submissions\"}") >= NOK + NBAD);
    assert_true(sample(api, "nsjudge_http_open_streams{}") == 0);
    free(api);
    char *wm = parse_metrics(w.metrics_port);
    assert_true(sample(wm, "nsjudge_worker_jobs_total{language=\"python\",status=\"passed\"}") == NOK);
    assert_true(sample(wm, "nsjudge_worker_jobs_total{language=\"python\",status=\"failed\"}") == NBAD);
    assert_true(sample(wm, "nsjudge_worker_judge_seconds_count{language=\"python\"}") == NOK + NBAD);
    assert_true(sample(wm, "nsjudge_worker_queue_wait_seconds_count{language=\"python\"}") == NOK + NBAD);
    assert_true(sample(wm, "nsjudge_worker_setup_seconds_count{language=\"python\"}") == NOK + NBAD);
    assert_true(sample(wm, "nsjudge_worker_retries_total{kind=\"judge\"}") == 0);
    assert_true(sample(wm, "nsjudge_worker_slots{kind=\"submission\"}") == 2);
    free(wm);

    /* Request ids: the client's is echoed; a malformed one is replaced. */
    http_resp_t r;
    char rid[128];
    get_with(E.api_port, "/languages", "X-Request-Id: ops-test.42\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(http_header(&r, "X-Request-Id", rid, sizeof rid), 0);
    assert_string_equal(rid, "ops-test.42");
    http_resp_free(&r);
    get_with(E.api_port, "/languages", "X-Request-Id: has/slash\"quote\r\n", &r);
    assert_int_equal(http_header(&r, "X-Request-Id", rid, sizeof rid), 0);
    assert_int_equal(strlen(rid), 32);
    assert_int_equal(strspn(rid, "0123456789abcdef"), 32);
    http_resp_free(&r);
    get_with(E.api_port, "/no-such-thing", NULL, &r);
    assert_int_equal(r.status, 404);
    assert_int_equal(http_header(&r, "X-Request-Id", rid, sizeof rid), 0);
    http_resp_free(&r);

    /* The access log: a JSON line per request. */
    bool found = false;
    for (int i = 0; i < 100 && !found; i++) {
        char *log = e2e_read_file(E.api_log);
        for (char *line = strtok(log, "\n"); line && !found; line = strtok(NULL, "\n")) {
            json_t *j = json_loads(line, 0, NULL);
            if (j && strcmp(e2e_jstr(j, "request_id"), "ops-test.42") == 0) {
                found = true;
                assert_string_equal(e2e_jstr(j, "event"), "request");
                assert_string_equal(e2e_jstr(j, "route"), "/languages");
                assert_string_equal(e2e_jstr(j, "method"), "GET");
                assert_int_equal(e2e_jint(j, "status"), 200);
                assert_true(json_is_number(json_object_get(j, "duration_s")));
                assert_true(json_is_null(json_object_get(j, "key_id")));
                assert_true(strlen(e2e_jstr(j, "time")) >= 20);
            }
            json_decref(j);
        }
        free(log);
        if (!found)
            e2e_sleep_ms(50);
    }
    assert_true(found);
    /* The worker's job lines: one per submission, with its status and durations. */
    char *log = e2e_read_file(w.log);
    int jobs = 0;
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *j = json_loads(line, 0, NULL);
        if (j && strcmp(e2e_jstr(j, "event"), "job") == 0) {
            for (int i = 0; i < NOK + NBAD; i++)
                if (strcmp(e2e_jstr(j, "submission_id"), ids[i]) == 0) {
                    jobs++;
                    assert_string_equal(e2e_jstr(j, "status"), i < NOK ? "passed" : "failed");
                    assert_true(json_is_number(json_object_get(j, "judge_s")));
                    assert_true(json_is_number(json_object_get(j, "queue_wait_s")));
                }
        }
        json_decref(j);
    }
    free(log);
    assert_int_equal(jobs, NOK + NBAD);
    worker_stop(&w);
}

/* POST /submissions?wait=N: the final submission when it is judged in
 * time, else the usual 202 after about N seconds; N is checked. */
static void wait_for_result(void **state)
{
    (void)state;
    OPS_REQUIRE();
    worker_t w = worker_start("ops-wait", 2);
    http_resp_t r;
    const char *fast = "{\"language\":\"python\",\"source_code\":\"" TWICE "\",\"test_cases\":" T_OK "}";
    double t0 = e2e_now_s();
    assert_int_equal(e2e_post_json("/submissions?wait=25", fast, &r), 200);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_string_equal(e2e_jstr(j, "status"), "passed");
    assert_int_equal(e2e_jint(j, "score_awarded"), 1);
    assert_int_equal(json_array_size(json_object_get(j, "results")), 1);
    char loc[128], id[37];
    snprintf(id, sizeof id, "%s", e2e_jstr(j, "id"));
    assert_int_equal(http_header(&r, "Location", loc, sizeof loc), 0);
    assert_non_null(strstr(loc, id));
    json_decref(j);
    http_resp_free(&r);
    assert_true(e2e_now_s() - t0 < 25);
    /* Not judged in time: 202, after the wait. */
    const char *slow = "{\"language\":\"python\",\"source_code\":\"import time\\ntime.sleep(4)\\n" TWICE
                       "\",\"test_cases\":" T_OK "}";
    t0 = e2e_now_s();
    assert_int_equal(e2e_post_json("/submissions?wait=1", slow, &r), 202);
    double took = e2e_now_s() - t0;
    assert_true(took >= 0.9);
    j = json_loads(r.body, 0, NULL);
    assert_string_equal(e2e_jstr(j, "status"), "queued");
    char ids[1][37];
    snprintf(ids[0], 37, "%s", e2e_jstr(j, "id"));
    json_decref(j);
    http_resp_free(&r);
    wait_final(ids, 1, 60);
    /* wait=0 is no wait at all. */
    assert_int_equal(e2e_post_json("/submissions?wait=0", fast, &r), 202);
    http_resp_free(&r);
    const char *bad[] = {"/submissions?wait=31", "/submissions?wait=abc", "/submissions?wait=-1",
                         "/submissions?wait=", "/submissions?wait"};
    long before = e2e_sql_long("SELECT count(*) FROM submissions");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(e2e_post_json(bad[i], fast, &r), 400);
        j = json_loads(r.body, 0, NULL);
        assert_non_null(strstr(e2e_jstr(j, "error"), "wait must be"));
        json_decref(j);
        http_resp_free(&r);
    }
    assert_int_equal(e2e_sql_long("SELECT count(*) FROM submissions"), before);
    worker_stop(&w);
}

typedef struct held_wait {
    int port, status;
    pthread_t tid;
} held_wait_t;

static void *hold_wait(void *arg)
{
    held_wait_t *h = arg;
    http_resp_t r;
    const char *body = "{\"language\":\"python\",\"source_code\":\"" TWICE "\",\"test_cases\":" T_OK "}";
    http_do(h->port, "POST", "/submissions?wait=4", "application/json", body, strlen(body), HTTP_NORMAL, &r);
    h->status = r.status;
    http_resp_free(&r);
    return NULL;
}

/* A wait holds a place among the long-lived streams (MAX_STREAMS): with
 * one place, a second wait meanwhile gets 429, a submission without wait
 * is accepted, and the place is free again once the first wait ended. An
 * API of its own (MAX_STREAMS=1), no worker: the waits run out. */
static void wait_counts_as_stream(void **state)
{
    (void)state;
    OPS_REQUIRE();
    int port = e2e_free_port();
    char listen[64], redis[200], db[300];
    snprintf(listen, sizeof listen, "LISTEN=127.0.0.1:%d", port);
    snprintf(redis, sizeof redis, "REDIS_URL=%s", E.redis_url);
    snprintf(db, sizeof db, "DATABASE_URL=%s", E.db_url);
    const char *env[] = {listen, redis, db, "ANONYMOUS_SCOPES=submit,read", "MAX_STREAMS=1", NULL};
    const char *argv[] = {E.bin[1], NULL};
    char log[1200], ready[80];
    pid_t api = e2e_spawn("api-streams", argv, env, log, sizeof log);
    snprintf(ready, sizeof ready, "listening on http://127.0.0.1:%d", port);
    assert_true(e2e_wait_line(log, ready, 20000));
    held_wait_t h = {.port = port};
    pthread_create(&h.tid, NULL, hold_wait, &h);
    e2e_sleep_ms(1000);
    http_resp_t r;
    const char *body = "{\"language\":\"python\",\"source_code\":\"" TWICE "\",\"test_cases\":" T_OK "}";
    http_do(port, "POST", "/submissions?wait=4", "application/json", body, strlen(body), HTTP_NORMAL, &r);
    assert_int_equal(r.status, 429);
    assert_non_null(strstr(r.body, "MAX_STREAMS"));
    char ra[16];
    assert_int_equal(http_header(&r, "Retry-After", ra, sizeof ra), 0);
    http_resp_free(&r);
    http_do(port, "POST", "/submissions", "application/json", body, strlen(body), HTTP_NORMAL, &r);
    assert_int_equal(r.status, 202);
    http_resp_free(&r);
    pthread_join(h.tid, NULL);
    assert_int_equal(h.status, 202); /* no worker: not judged within the wait */
    http_do(port, "POST", "/submissions?wait=1", "application/json", body, strlen(body), HTTP_NORMAL, &r);
    assert_int_equal(r.status, 202);
    http_resp_free(&r);
    kill(api, SIGTERM);
    int st = e2e_reap(api, 20000);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* GET a listing page: its items' ids appended to ids (n counts them), the next cursor into cur ("" = last page). */
static void list_page(const char *path, char (*ids)[37], int *n, int cap, char *cur, size_t curcap)
{
    json_t *j = get_json(path, 200);
    json_t *items = json_object_get(j, "items");
    assert_true(json_is_array(items));
    for (size_t i = 0; i < json_array_size(items); i++) {
        assert_true(*n < cap);
        snprintf(ids[(*n)++], 37, "%s", e2e_jstr(json_array_get(items, i), "id"));
    }
    json_t *next = json_object_get(j, "next_cursor");
    snprintf(cur, curcap, "%s", json_is_string(next) ? json_string_value(next) : "");
    json_decref(j);
}

static void bad_listing(const char *path, const char *msg_part)
{
    json_t *j = get_json(path, 400);
    if (!strstr(e2e_jstr(j, "error"), msg_part))
        fail_msg("GET %s: error '%s' does not say '%s'", path, e2e_jstr(j, "error"), msg_part);
    json_decref(j);
}

/* Listings come newest first, page by page with an opaque cursor; rows
 * inserted while a client pages through never make it see a row twice or
 * miss one; filters and bad parameters. No worker runs: the rows stay queued. */
static void listing_pagination(void **state)
{
    (void)state;
    OPS_REQUIRE();
    enum { N = 25, CAP = 4096 };
    char made[N][37];
    for (int i = 0; i < N; i++)
        assert_int_equal(submit(TWICE, T_OK, made[i]), 202);
    /* What a client paging from now on must see, in this order. */
    PGresult *want = e2e_sql("SELECT id FROM submissions ORDER BY created_at DESC, id DESC");
    int nwant = PQntuples(want);
    assert_true(nwant >= N && nwant < CAP);
    static char got[CAP][37];
    int ngot = 0, pages = 0;
    char cur[256] = "", path[512];
    do {
        snprintf(path, sizeof path, "/submissions?limit=7%s%s", cur[0] ? "&cursor=" : "", cur);
        list_page(path, got, &ngot, CAP, cur, sizeof cur);
        pages++;
        /* Newer rows arrive between pages. */
        char extra[37];
        assert_int_equal(submit(TWICE, T_OK, extra), 202);
    } while (cur[0] && pages < 1000);
    assert_int_equal(ngot, nwant);
    for (int i = 0; i < nwant; i++)
        assert_string_equal(got[i], PQgetvalue(want, i, 0));
    PQclear(want);
    assert_int_equal(pages, (nwant + 6) / 7);
    /* The first page now starts with the newest row. */
    char first[1][37];
    int n1 = 0;
    list_page("/submissions?limit=1", first, &n1, 1, cur, sizeof cur);
    char *newest = e2e_sql_text("SELECT id FROM submissions ORDER BY created_at DESC, id DESC LIMIT 1");
    assert_string_equal(first[0], newest);
    free(newest);

    /* Filters: a question's submissions, by status. */
    http_resp_t r;
    assert_int_equal(e2e_post_json("/questions", "{\"title\":\"listing\",\"test_cases\":" T_OK "}", &r), 201);
    json_t *qj = json_loads(r.body, 0, NULL);
    char qid[37];
    snprintf(qid, sizeof qid, "%s", e2e_jstr(qj, "id"));
    json_decref(qj);
    http_resp_free(&r);
    char body[256], qsub[3][37];
    for (int i = 0; i < 3; i++) {
        snprintf(body, sizeof body, "{\"language\":\"python\",\"source_code\":\"%s\",\"question_id\":\"%s\"}", TWICE,
                 qid);
        assert_int_equal(e2e_post_json("/submissions", body, &r), 202);
        json_t *sj = json_loads(r.body, 0, NULL);
        snprintf(qsub[2 - i], 37, "%s", e2e_jstr(sj, "id"));
        json_decref(sj);
        http_resp_free(&r);
    }
    char fl[8][37];
    int nf = 0;
    snprintf(path, sizeof path, "/submissions?question_id=%s&status=queued", qid);
    list_page(path, fl, &nf, 8, cur, sizeof cur);
    assert_int_equal(nf, 3);
    assert_string_equal(cur, "");
    for (int i = 0; i < 3; i++)
        assert_string_equal(fl[i], qsub[i]);
    json_t *one = get_json(path, 200);
    json_t *it = json_array_get(json_object_get(one, "items"), 0);
    assert_string_equal(e2e_jstr(it, "question_id"), qid);
    assert_string_equal(e2e_jstr(it, "status"), "queued");
    assert_string_equal(e2e_jstr(it, "language"), "python");
    assert_true(json_is_null(json_object_get(it, "score_awarded")));
    assert_true(json_is_null(json_object_get(it, "finished_at")));
    json_decref(one);
    nf = 0;
    snprintf(path, sizeof path, "/submissions?question_id=%s&status=passed", qid);
    list_page(path, fl, &nf, 8, cur, sizeof cur);
    assert_int_equal(nf, 0);

    /* Questions, newest first. */
    char qs[CAP][37];
    int nq = 0;
    cur[0] = '\0';
    do {
        snprintf(path, sizeof path, "/questions?limit=2%s%s", cur[0] ? "&cursor=" : "", cur);
        list_page(path, qs, &nq, CAP, cur, sizeof cur);
    } while (cur[0]);
    assert_int_equal(nq, e2e_sql_long("SELECT count(*) FROM questions"));
    assert_string_equal(qs[0], qid);

    bad_listing("/submissions?limit=0", "limit");
    bad_listing("/submissions?limit=101", "limit");
    bad_listing("/submissions?cursor=bm9wZQ", "cursor");
    bad_listing("/submissions?status=great", "status");
    bad_listing("/submissions?question_id=42", "question_id");
    bad_listing("/submissions?color=red", "unknown query parameter");
    bad_listing("/submissions?limit=1&limit=2", "twice");
    bad_listing("/questions?status=queued", "unknown query parameter");
}

/* ---- a loopback callback receiver: answers 500 to the first `fail`
 * requests, then 200; keeps what it got ---- */

#define RX_MAX 16

typedef struct receiver {
    int fd, port, fail;
    pthread_t tid;
    pthread_mutex_t mu;
    int n;
    char headers[RX_MAX][2048];
    char *body[RX_MAX];
    int answered[RX_MAX];
} receiver_t;

static void *rx_main(void *arg)
{
    receiver_t *rx = arg;
    for (;;) {
        int c = accept(rx->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        char buf[65536];
        size_t len = 0;
        ssize_t k;
        char *end = NULL;
        long clen = -1;
        while (len < sizeof buf - 1 && (k = read(c, buf + len, sizeof buf - 1 - len)) > 0) {
            len += (size_t)k;
            buf[len] = '\0';
            if (!end && (end = strstr(buf, "\r\n\r\n"))) {
                char *cl = strcasestr(buf, "\r\nContent-Length:");
                clen = cl && cl < end ? strtol(cl + 17, NULL, 10) : 0;
            }
            if (end && (long)(len - (size_t)(end + 4 - buf)) >= clen)
                break;
        }
        pthread_mutex_lock(&rx->mu);
        int i = rx->n < RX_MAX ? rx->n++ : -1;
        int status = i >= 0 && i < rx->fail ? 500 : 200;
        if (i >= 0 && end) {
            snprintf(rx->headers[i], sizeof rx->headers[i], "%.*s", (int)(end - buf), buf);
            rx->body[i] = strndup(end + 4, (size_t)clen);
            rx->answered[i] = status;
        }
        pthread_mutex_unlock(&rx->mu);
        char resp[128];
        int n = snprintf(resp, sizeof resp, "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                         status);
        http_send_all(c, resp, (size_t)n);
        close(c);
    }
}

static void rx_start(receiver_t *rx, int fail)
{
    memset(rx, 0, sizeof *rx);
    rx->fail = fail;
    pthread_mutex_init(&rx->mu, NULL);
    rx->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(rx->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(rx->fd, 16), 0);
    getsockname(rx->fd, (struct sockaddr *)&a, &al);
    rx->port = ntohs(a.sin_port);
    pthread_create(&rx->tid, NULL, rx_main, rx);
}

static int rx_count(receiver_t *rx)
{
    pthread_mutex_lock(&rx->mu);
    int n = rx->n;
    pthread_mutex_unlock(&rx->mu);
    return n;
}

static void rx_stop(receiver_t *rx)
{
    shutdown(rx->fd, SHUT_RDWR);
    close(rx->fd);
    pthread_join(rx->tid, NULL);
    for (int i = 0; i < rx->n; i++)
        free(rx->body[i]);
}

/* A header's value in a request's header block ("" when absent). */
static void rx_header(const char *headers, const char *name, char *out, size_t cap)
{
    char key[80];
    snprintf(key, sizeof key, "\r\n%s:", name);
    const char *p = strcasestr(headers, key);
    out[0] = '\0';
    if (p) {
        p += strlen(key);
        p += strspn(p, " ");
        snprintf(out, cap, "%.*s", (int)strcspn(p, "\r"), p);
    }
}

#define SECRET "ops-test-secret"

/* A submission's callback: the final state POSTed to a loopback receiver
 * that fails twice, retried, accepted exactly once; every attempt carries
 * the same delivery id and a valid HMAC-SHA256 signature. The delivery is
 * queued in Postgres: a worker without CALLBACK_SECRET judges the
 * submission and stops, and a worker started later delivers it. */
static void callback_delivered_once(void **state)
{
    (void)state;
    OPS_REQUIRE();
    receiver_t rx;
    rx_start(&rx, 2);
    char body[512];
    snprintf(body, sizeof body,
             "{\"language\":\"python\",\"source_code\":\"%s\",\"test_cases\":%s,"
             "\"callback_url\":\"http://127.0.0.1:%d/hook?x=1\"}", TWICE, T_OK, rx.port);
    worker_t judge = worker_start("ops-cb-judge", 1);
    char ids[1][37];
    post_submission(body, ids[0]);
    wait_final(ids, 1, 60);
    worker_stop(&judge);
    /* Queued durably, not delivered by a worker without a secret. */
    assert_int_equal(e2e_sql_long("SELECT count(*) FROM callback_outbox WHERE submission_id = '%s'"
                                  " AND delivered_at IS NULL", ids[0]), 1);
    assert_int_equal(rx_count(&rx), 0);

    worker_t w = worker_start_with("ops-cb-deliver", 1, "CALLBACK_SECRET=" SECRET,
                                   "CALLBACK_ALLOW=127.0.0.1/32");
    double end = e2e_now_s() + 60;
    while (e2e_now_s() < end &&
           e2e_sql_long("SELECT count(*) FROM callback_outbox WHERE submission_id = '%s' AND delivered_at IS NOT NULL",
                        ids[0]) != 1)
        e2e_sleep_ms(100);
    assert_int_equal(e2e_sql_long("SELECT attempts FROM callback_outbox WHERE submission_id = '%s'", ids[0]), 3);
    /* Nothing more comes once it was accepted. */
    e2e_sleep_ms(2500);
    assert_int_equal(rx_count(&rx), 3);
    char *delivery = e2e_sql_text("SELECT id FROM callback_outbox WHERE submission_id = '%s'", ids[0]);
    int accepted = 0;
    for (int i = 0; i < rx.n; i++) {
        char ts[64], sig[128], id[64], ct[64], want[65];
        assert_non_null(strstr(rx.headers[i], "POST /hook?x=1 HTTP/1.1"));
        rx_header(rx.headers[i], "X-Nsjudge-Timestamp", ts, sizeof ts);
        rx_header(rx.headers[i], "X-Nsjudge-Signature", sig, sizeof sig);
        rx_header(rx.headers[i], "X-Nsjudge-Delivery", id, sizeof id);
        rx_header(rx.headers[i], "Content-Type", ct, sizeof ct);
        assert_string_equal(id, delivery);
        assert_string_equal(ct, "application/json");
        long skew = labs(strtol(ts, NULL, 10) - (long)time(NULL));
        assert_true(skew < 600);
        /* HMAC-SHA256(secret, timestamp "." body), computed here independently. */
        size_t ml = strlen(ts) + 1 + strlen(rx.body[i]);
        char *msg = malloc(ml + 1);
        snprintf(msg, ml + 1, "%s.%s", ts, rx.body[i]);
        unsigned char mac[32];
        unsigned mlen = 0;
        HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (unsigned char *)msg, ml, mac, &mlen);
        free(msg);
        for (int k = 0; k < 32; k++)
            snprintf(want + 2 * k, 3, "%02x", mac[k]);
        assert_true(strncmp(sig, "sha256=", 7) == 0);
        assert_string_equal(sig + 7, want);
        json_t *p = json_loads(rx.body[i], 0, NULL);
        assert_string_equal(e2e_jstr(p, "event"), "submission.final");
        assert_string_equal(e2e_jstr(p, "delivery_id"), delivery);
        json_t *sub = json_object_get(p, "submission");
        assert_string_equal(e2e_jstr(sub, "id"), ids[0]);
        assert_string_equal(e2e_jstr(sub, "status"), "passed");
        assert_int_equal(e2e_jint(sub, "score_awarded"), 1);
        json_decref(p);
        accepted += rx.answered[i] == 200;
    }
    assert_int_equal(accepted, 1);
    free(delivery);
    char *wm = parse_metrics(w.metrics_port);
    assert_true(sample(wm, "nsjudge_worker_callback_attempts_total{outcome=\"retry\"}") == 2);
    assert_true(sample(wm, "nsjudge_worker_callback_attempts_total{outcome=\"delivered\"}") == 1);
    free(wm);
    worker_stop(&w);
    rx_stop(&rx);

    /* Bad callback URLs are refused at the door. */
    http_resp_t r;
    const char *bad[] = {"ftp://127.0.0.1/x", "http://", "http://u:p@127.0.0.1/", "http://a b/", "42"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (i == 4)
            snprintf(body, sizeof body, "{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":%s,"
                     "\"callback_url\":42}", T_OK);
        else
            snprintf(body, sizeof body, "{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":%s,"
                     "\"callback_url\":\"%s\"}", T_OK, bad[i]);
        assert_int_equal(e2e_post_json("/submissions", body, &r), 400);
        assert_non_null(strstr(r.body, "callback_url"));
        http_resp_free(&r);
    }
}

/* HMAC-SHA256(secret, ts "." body) as hex, computed here independently. */
static void hmac_hex(const char *secret, const char *ts, const char *body, char out[65])
{
    size_t ml = strlen(ts) + 1 + strlen(body);
    char *msg = malloc(ml + 1);
    snprintf(msg, ml + 1, "%s.%s", ts, body);
    unsigned char mac[32];
    unsigned mlen = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)msg, ml, mac, &mlen);
    free(msg);
    for (int k = 0; k < 32; k++)
        snprintf(out + 2 * k, 3, "%02x", mac[k]);
}

static void make_key(const char *name, const char *scopes, char *auth, size_t cap);

/* A key with a callback secret of its own (POST /keys/{id}/callback-secret,
 * admin): its submissions' callbacks are signed with that secret, not
 * CALLBACK_SECRET; a second call replaces it; bad bodies and unknown keys. */
static void callback_per_key_secret(void **state)
{
    (void)state;
    OPS_REQUIRE();
    static char auth[128];
    make_key("ops-cb-key", "submit,read", auth, sizeof auth);
    char *kid = e2e_sql_text("SELECT id FROM api_keys WHERE name = 'ops-cb-key'");
    char path[128], secret[80] = "", again[80] = "";
    snprintf(path, sizeof path, "/keys/%s/callback-secret", kid);
    http_resp_t r;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(e2e_post_json(path, "{}", &r), 200);
        json_t *j = json_loads(r.body, 0, NULL);
        snprintf(i ? again : secret, 80, "%s", e2e_jstr(j, "callback_secret"));
        assert_string_equal(e2e_jstr(j, "id"), kid);
        json_decref(j);
        http_resp_free(&r);
    }
    assert_int_equal(strlen(again), 64);
    assert_string_not_equal(secret, again);
    assert_int_equal(e2e_post_json(path, "{\"secret\":\"mine\"}", &r), 400);
    http_resp_free(&r);
    assert_int_equal(e2e_post_json("/keys/00000000-0000-4000-8000-000000000000/callback-secret", "{}", &r), 404);
    http_resp_free(&r);
    http_do(E.api_port, "GET", path, NULL, NULL, 0, HTTP_NORMAL, &r);
    assert_int_equal(r.status, 405);
    http_resp_free(&r);

    receiver_t rx;
    rx_start(&rx, 0);
    worker_t w = worker_start_with("ops-cb-own", 1, "CALLBACK_SECRET=" SECRET, "CALLBACK_ALLOW=127.0.0.1/32");
    char body[512];
    snprintf(body, sizeof body,
             "{\"language\":\"python\",\"source_code\":\"%s\",\"test_cases\":%s,"
             "\"callback_url\":\"http://127.0.0.1:%d/own\"}", TWICE, T_OK, rx.port);
    http_set_header(auth);
    char ids[1][37];
    post_submission(body, ids[0]);
    http_set_header(NULL);
    wait_final(ids, 1, 60);
    double end = e2e_now_s() + 30;
    while (e2e_now_s() < end && rx_count(&rx) < 1)
        e2e_sleep_ms(100);
    assert_int_equal(rx_count(&rx), 1);
    char ts[64], sig[128], want[65], global[65];
    rx_header(rx.headers[0], "X-Nsjudge-Timestamp", ts, sizeof ts);
    rx_header(rx.headers[0], "X-Nsjudge-Signature", sig, sizeof sig);
    hmac_hex(again, ts, rx.body[0], want);
    hmac_hex(SECRET, ts, rx.body[0], global);
    assert_string_equal(sig + 7, want);
    assert_string_not_equal(sig + 7, global);
    worker_stop(&w);
    rx_stop(&rx);
    free(kid);
}

/* A target outside CALLBACK_ALLOW is never contacted: the delivery fails, saying why. */
static void callback_target_refused(void **state)
{
    (void)state;
    OPS_REQUIRE();
    receiver_t rx;
    rx_start(&rx, 0);
    worker_t w = worker_start_with("ops-cb-deny", 1, "CALLBACK_SECRET=" SECRET, "CALLBACK_ALLOW=10.9.8.7/32");
    char body[512];
    snprintf(body, sizeof body,
             "{\"language\":\"python\",\"source_code\":\"%s\",\"test_cases\":%s,"
             "\"callback_url\":\"http://localhost:%d/\"}", TWICE, T_OK, rx.port);
    char ids[1][37];
    post_submission(body, ids[0]);
    wait_final(ids, 1, 60);
    double end = e2e_now_s() + 30;
    while (e2e_now_s() < end &&
           e2e_sql_long("SELECT count(*) FROM callback_outbox WHERE submission_id = '%s' AND failed_at IS NOT NULL",
                        ids[0]) != 1)
        e2e_sleep_ms(100);
    char *why = e2e_sql_text("SELECT last_error FROM callback_outbox WHERE submission_id = '%s'", ids[0]);
    assert_non_null(strstr(why, "not allowed (CALLBACK_ALLOW)"));
    free(why);
    assert_int_equal(rx_count(&rx), 0);
    worker_stop(&w);
    rx_stop(&rx);
}

/* A key's secret, made by POST /keys (the test's API grants admin to anonymous requests). */
static void make_key(const char *name, const char *scopes, char *auth, size_t cap)
{
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"scopes\":\"%s\"}", name, scopes);
    http_resp_t r;
    assert_int_equal(e2e_post_json("/keys", body, &r), 201);
    json_t *j = json_loads(r.body, 0, NULL);
    snprintf(auth, cap, "Authorization: Bearer %s", e2e_jstr(j, "secret"));
    json_decref(j);
    http_resp_free(&r);
}

/* With API keys, a listing shows a key only its own submissions (an admin
 * every one), and needs the read scope. */
static void listing_per_key(void **state)
{
    (void)state;
    OPS_REQUIRE();
    static char a[128], b[128], w[128];
    make_key("ops-a", "submit,read", a, sizeof a);
    make_key("ops-b", "submit,read", b, sizeof b);
    make_key("ops-w", "submit", w, sizeof w);
    char mine[3][37], theirs[37], x[37];
    http_set_header(a);
    for (int i = 0; i < 3; i++)
        assert_int_equal(submit(TWICE, T_OK, mine[2 - i]), 202);
    http_set_header(b);
    assert_int_equal(submit(TWICE, T_OK, theirs), 202);
    static char got[8][37];
    int n = 0;
    char cur[256];
    list_page("/submissions?limit=8", got, &n, 8, cur, sizeof cur);
    assert_int_equal(n, 1);
    assert_string_equal(got[0], theirs);
    http_set_header(a);
    n = 0;
    list_page("/submissions?limit=2", got, &n, 8, cur, sizeof cur);
    assert_true(cur[0]);
    char path[300];
    snprintf(path, sizeof path, "/submissions?limit=2&cursor=%s", cur);
    list_page(path, got, &n, 8, cur, sizeof cur);
    assert_int_equal(n, 3);
    assert_string_equal(cur, "");
    for (int i = 0; i < 3; i++)
        assert_string_equal(got[i], mine[i]);
    /* Without the read scope: 403. */
    http_set_header(w);
    assert_int_equal(submit(TWICE, T_OK, x), 202);
    json_decref(get_json("/submissions", 403));
    http_set_header(NULL);
    /* The admin (here: anonymous) sees them all. */
    n = 0;
    list_page("/submissions?limit=5", got, &n, 8, cur, sizeof cur);
    assert_int_equal(n, 5);
    assert_string_equal(got[0], x);
    assert_string_equal(got[1], theirs);
}

/* GET /openapi.json is docs/openapi.yaml (the comparison is in
 * tests/ops/openapi-check.mjs, which gets the served copy from
 * NSJ_OPENAPI_SERVED); a round of answers of every kind for that check
 * to validate (it validates every exchange this binary recorded). */
static void openapi_and_answers(void **state)
{
    (void)state;
    OPS_REQUIRE();
    http_resp_t r;
    http_do(E.api_port, "GET", "/openapi.json", NULL, NULL, 0, HTTP_NORMAL, &r);
    assert_int_equal(r.status, 200);
    json_t *doc = json_loads(r.body, 0, NULL);
    assert_non_null(doc);
    assert_string_equal(e2e_jstr(doc, "openapi"), "3.1.0");
    assert_non_null(json_object_get(json_object_get(doc, "paths"), "/healthz"));
    json_decref(doc);
    const char *served = getenv("NSJ_OPENAPI_SERVED");
    if (served && *served) {
        FILE *f = fopen(served, "we");
        assert_non_null(f);
        fwrite(r.body, 1, r.len, f);
        fclose(f);
    }
    http_resp_free(&r);
    char id[37];
    assert_int_equal(submit(TWICE, T_OK, id), 202);
    char path[128];
    snprintf(path, sizeof path, "/submissions/%s", id);
    json_decref(get_json(path, 200));
    json_decref(get_json("/submissions/00000000-0000-4000-8000-000000000000", 404));
    assert_int_equal(e2e_post_json("/questions", "{\"title\":\"doc\",\"test_cases\":" T_OK "}", &r), 201);
    json_t *q = json_loads(r.body, 0, NULL);
    snprintf(path, sizeof path, "/questions/%s", e2e_jstr(q, "id"));
    json_decref(q);
    http_resp_free(&r);
    json_decref(get_json(path, 200));
    json_decref(get_json("/languages", 200));
    json_decref(get_json("/no/such/thing", 404));
    http_do(E.api_port, "DELETE", "/submissions", NULL, NULL, 0, HTTP_NORMAL, &r);
    assert_int_equal(r.status, 405);
    http_resp_free(&r);
    http_do(E.api_port, "POST", "/submissions", "text/plain", "x", 1, HTTP_NORMAL, &r);
    assert_int_equal(r.status, 415);
    http_resp_free(&r);
    assert_int_equal(e2e_post_json("/submissions", "{\"language\":\"python\"}", &r), 400);
    http_resp_free(&r);
}

static int setup(void **state)
{
    (void)state;
    e2e_setup(&E, "make ops");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (!E.unavailable[0])
        e2e_teardown(&E);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(health_follows_workers),
        cmocka_unit_test(metrics_and_logs),
        cmocka_unit_test(wait_for_result),
        cmocka_unit_test(callback_delivered_once),
        cmocka_unit_test(callback_target_refused),
        cmocka_unit_test(callback_per_key_secret),
        cmocka_unit_test(wait_counts_as_stream),
        cmocka_unit_test(listing_pagination),
        cmocka_unit_test(listing_per_key),
        cmocka_unit_test(openapi_and_answers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
