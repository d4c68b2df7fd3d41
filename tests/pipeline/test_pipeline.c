/* End-to-end tests of the judge pipeline: real redis-server and postgres
 * (started by tests/pipeline/run.sh on random loopback ports), real
 * nsjudge-api and nsjudge-worker processes (started and stopped here, by
 * PID), Python programs in the real sandbox. Every check is on what a
 * client or an operator would see: HTTP answers, rows in Postgres, the
 * stream and its pending entries in Redis, processes left behind.
 *
 * Environment from run.sh: PIPE_DIR (temp dir; pids/ holds the PID of each
 * process started here so that run.sh's trap can stop them), PIPE_PG_PORT,
 * PIPE_REDIS_PORT, PIPE_REDIS_PID, PIPE_REDIS_DIR, BUILD, NSJUDGE_HOME;
 * PIPE_UNAVAILABLE when the servers could not be started (tests then skip,
 * or fail under NSJUDGE_TESTS_MUST_RUN=1). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/require.h"
#include "client.h"

#define STREAM "codesce:submissions"
#define GROUP "nsjudge-workers"
#define MAX_IDS 256

typedef struct env {
    char unavailable[1024];
    char dir[1024];
    char bin[2][2048];           /* worker, api */
    int pg_port, redis_port, api_port;
    pid_t redis_pid;             /* run.sh's, until the restart test replaces it */
    bool redis_ours;
    char redis_dir[1024];
    pid_t api_pid;
    pid_t pg_pid;                /* run.sh's, until the restart test replaces it */
    char pg_dir[1024], pg_bin[1024];
    PGconn *pg;
    char db_url[256], redis_url[128];
    int seq;
} env_t;

static env_t E;

#define PIPE_REQUIRE() REQUIRE(!E.unavailable[0], "%s", E.unavailable)

/* ---- small helpers ---- */

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return strdup("");
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&buf, &cap, '\0', f);
    fclose(f);
    if (n < 0) {
        free(buf);
        return strdup("");
    }
    return buf;
}

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len == n && memcmp(p, line, n) == 0)
            return true;
        p = eol ? eol + 1 : NULL;
    }
    return false;
}

/* ---- processes (started here, stopped by PID) ---- */

static void pidfile(pid_t pid, bool add)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/pids/%d.pid", E.dir, (int)pid);
    if (!add) {
        unlink(path);
        return;
    }
    FILE *f = fopen(path, "we");
    if (f) {
        fprintf(f, "%d\n", (int)pid);
        fclose(f);
    }
}

/* Start argv with extra environment ("NAME=value", NULL-terminated);
 * stdout and stderr go to log (its path written to log_out). */
static pid_t spawn(const char *name, const char *const *argv, const char *const *extra, char *log_out, size_t cap)
{
    snprintf(log_out, cap, "%s/%s-%d.log", E.dir, name, ++E.seq);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log_out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        for (const char *const *e = extra; e && *e; e++)
            putenv((char *)*e);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    if (pid > 0)
        pidfile(pid, true);
    return pid;
}

/* Wait for a child; its wait status, or -1 after timeout_ms. */
static int reap(pid_t pid, int timeout_ms)
{
    double end = now_s() + timeout_ms / 1000.0;
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            pidfile(pid, false);
            return st;
        }
        if (r < 0 || now_s() > end)
            return -1;
        sleep_ms(20);
    }
}

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
    if (pid <= 0)
        return;
    track(pid, false);
    kill(pid, sig);
    if (reap(pid, 30000) < 0) {
        kill(pid, SIGKILL);
        reap(pid, 5000);
    }
}

/* Wait until the file at path has the line; false after timeout_ms. */
static bool wait_line(const char *path, const char *line, int timeout_ms)
{
    double end = now_s() + timeout_ms / 1000.0;
    do {
        char *t = read_file(path);
        bool ok = has_line(t, line);
        free(t);
        if (ok)
            return true;
        sleep_ms(25);
    } while (now_s() < end);
    return false;
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
    w.pid = spawn(name, argv, envp, w.log, sizeof w.log);
    track(w.pid, true);
    char line[64];
    snprintf(line, sizeof line, "%d workers started", count);
    if (!wait_line(w.log, line, 20000)) {
        char *t = read_file(w.log);
        fail_msg("worker %s did not start: %s", name, t);
    }
    return w;
}

/* ---- Postgres and Redis, for checks ---- */

static PGresult *sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static PGresult *sql(const char *fmt, ...)
{
    char q[65536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    PGresult *r = PQexec(E.pg, q);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        fail_msg("SQL failed: %s\n%s", PQresultErrorMessage(r), q);
    return r;
}

static long sql_long(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long sql_long(const char *fmt, ...)
{
    char q[65536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    PGresult *r = sql("%s", q);
    long v = PQntuples(r) && !PQgetisnull(r, 0, 0) ? strtol(PQgetvalue(r, 0, 0), NULL, 10) : -1;
    PQclear(r);
    return v;
}

static redisContext *redis(void)
{
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", E.redis_port, tv);
    if (!c || c->err)
        fail_msg("redis connect: %s", c ? c->errstr : "oom");
    return c;
}

static long long redis_int(const char *cmd)
{
    redisContext *c = redis();
    redisReply *r = redisCommand(c, cmd);
    long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 && r->element[0]->type == REDIS_REPLY_INTEGER)
        v = r->element[0]->integer; /* XPENDING summary: [count, ...] */
    freeReplyObject(r);
    redisFree(c);
    return v;
}

/* Pending entries whose consumer name starts with prefix. */
static int pending_of(const char *prefix)
{
    redisContext *c = redis();
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

static int post_json(const char *path, const char *body, http_resp_t *r)
{
    http_do(E.api_port, "POST", path, "application/json", body, strlen(body), HTTP_NORMAL, r);
    return r->status;
}

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
    int st = post_json("/submissions", body, &r);
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
    double end = now_s() + timeout_s;
    long done = 0;
    while (now_s() < end) {
        done = sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status NOT IN ('queued','running')",
                        list);
        if (done == n)
            break;
        sleep_ms(50);
    }
    free(list);
    if (done != n)
        fail_msg("only %ld of %d submissions finished within %d s", done, n, timeout_s);
}

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "(null)";
}

static long jint(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

static long duplicate_results(void)
{
    return sql_long("SELECT count(*) FROM (SELECT submission_id, test_case_id FROM submission_results"
                    " GROUP BY 1, 2 HAVING count(*) > 1) d");
}

/* Sandboxes of one worker process: processes with the sandbox's uids
 * (100000, 100001) in one of its run cgroups ("run-<pid>-N"). Other
 * programs on the host may run sandboxes of their own meanwhile. */
static int sandbox_processes_of(pid_t worker)
{
    char mark[32];
    snprintf(mark, sizeof mark, "/run-%d-", (int)worker);
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
        char *t = read_file(path);
        char *uid = strstr(t, "\nUid:");
        unsigned u = 0;
        bool sandboxed = uid && sscanf(uid + 5, "%u", &u) == 1 && (u == 100000 || u == 100001);
        free(t);
        if (!sandboxed)
            continue;
        snprintf(path, sizeof path, "/proc/%s/cgroup", e->d_name);
        t = read_file(path);
        n += strstr(t, mark) != NULL;
        free(t);
    }
    if (d)
        closedir(d);
    return n;
}

/* Run cgroups ("run-<worker>-N") of one worker process, in any hierarchy. */
static int run_cgroups_of(const char *dir, pid_t worker, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char prefix[32];
    snprintf(prefix, sizeof prefix, "run-%d-", (int)worker);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.')
            continue;
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
        if (depth > 0) {
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
            n += run_cgroups_of(sub, worker, depth - 1);
        }
    }
    closedir(d);
    return n;
}

#define DOUBLE "print(int(input()) * 2)\n"
#define SLEEPY(sec) "import time\ntime.sleep(" sec ")\nprint(int(input()) * 2)\n"
#define T2(in, out, score) "{\"input\":\"" in "\",\"expected_output\":\"" out "\",\"score\":" #score "}"

/* ---- setup ---- */

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

static int free_port(void)
{
    for (;;) {
        int p = 20000 + rand() % 40000;
        char cmd[64];
        snprintf(cmd, sizeof cmd, "ss -Htln 'sport = :%d' | grep -q .", p);
        if (system(cmd) != 0)
            return p;
    }
}

static int group_setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    srand((unsigned)getpid());
    const char *why = getenv("PIPE_UNAVAILABLE");
    if (why && *why) {
        snprintf(E.unavailable, sizeof E.unavailable, "%s", why);
        return 0;
    }
    snprintf(E.dir, sizeof E.dir, "%s", env_or("PIPE_DIR", ""));
    E.pg_port = atoi(env_or("PIPE_PG_PORT", "0"));
    E.redis_port = atoi(env_or("PIPE_REDIS_PORT", "0"));
    E.redis_pid = atoi(env_or("PIPE_REDIS_PID", "0"));
    snprintf(E.redis_dir, sizeof E.redis_dir, "%s", env_or("PIPE_REDIS_DIR", ""));
    E.pg_pid = atoi(env_or("PIPE_PG_PID", "0"));
    snprintf(E.pg_dir, sizeof E.pg_dir, "%s", env_or("PIPE_PG_DIR", ""));
    snprintf(E.pg_bin, sizeof E.pg_bin, "%s", env_or("PIPE_PG_BIN", ""));
    if (!E.dir[0] || !E.pg_port || !E.redis_port || !E.redis_pid) {
        snprintf(E.unavailable, sizeof E.unavailable, "run through tests/pipeline/run.sh (make pipeline)");
        return 0;
    }
    const char *home = env_or("NSJUDGE_HOME", "."), *build = env_or("BUILD", "build");
    snprintf(E.bin[0], sizeof E.bin[0], "%s/%s/nsjudge-worker", home, build);
    snprintf(E.bin[1], sizeof E.bin[1], "%s/%s/nsjudge-api", home, build);
    snprintf(E.db_url, sizeof E.db_url, "postgresql://postgres@127.0.0.1:%d/nsjudge", E.pg_port);
    snprintf(E.redis_url, sizeof E.redis_url, "redis://127.0.0.1:%d", E.redis_port);
    char conninfo[300];
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%d user=postgres dbname=nsjudge", E.pg_port);
    E.pg = PQconnectdb(conninfo);
    if (PQstatus(E.pg) != CONNECTION_OK) {
        snprintf(E.unavailable, sizeof E.unavailable, "postgres: %s", PQerrorMessage(E.pg));
        return 0;
    }
    PQclear(PQexec(E.pg, "SET client_min_messages = warning"));
    E.api_port = free_port();
    static char listen[64], r_env[200], d_env[300];
    snprintf(listen, sizeof listen, "LISTEN=127.0.0.1:%d", E.api_port);
    snprintf(r_env, sizeof r_env, "REDIS_URL=%s", E.redis_url);
    snprintf(d_env, sizeof d_env, "DATABASE_URL=%s", E.db_url);
    const char *env[] = {listen, r_env, d_env, NULL};
    const char *argv[] = {E.bin[1], NULL};
    char log[1200], ready[80];
    E.api_pid = spawn("api", argv, env, log, sizeof log);
    snprintf(ready, sizeof ready, "listening on http://127.0.0.1:%d", E.api_port);
    if (!wait_line(log, ready, 20000)) {
        char *t = read_file(log);
        snprintf(E.unavailable, sizeof E.unavailable, "nsjudge-api did not start: %.900s", t);
        free(t);
        return 0;
    }
    for (int i = 0; i < 200; i++) {
        http_resp_t r;
        http_do(E.api_port, "GET", "/healthz", NULL, NULL, 0, HTTP_NORMAL, &r);
        int st = r.status;
        http_resp_free(&r);
        if (st == 200)
            return 0;
        sleep_ms(50);
    }
    snprintf(E.unavailable, sizeof E.unavailable, "nsjudge-api never became healthy (see %.900s)", log);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (E.api_pid > 0) {
        kill(E.api_pid, SIGTERM);
        int st = reap(E.api_pid, 10000);
        if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            fprintf(stderr, "nsjudge-api did not exit 0 on SIGTERM (status %d)\n", st);
    }
    if (E.redis_ours)
        stop(E.redis_pid, SIGTERM);
    if (E.pg)
        PQfinish(E.pg);
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
static void verdicts(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    worker_t w = worker_start("verdicts", 2, NULL);
    char *log = read_file(w.log);
    assert_true(has_line(log, "connected to Redis"));
    assert_true(has_line(log, "connected to Postgres"));
    assert_true(has_line(log, "2 workers started"));
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
    };
    enum { N = sizeof cases / sizeof cases[0] };
    char ids[N][37];
    for (int i = 0; i < N; i++)
        assert_int_equal(submit(cases[i].src, cases[i].tests, NULL, ids[i]), 202);
    wait_final(ids, N, 60);
    for (int i = 0; i < N; i++) {
        json_t *s = get_submission(ids[i]);
        if (strcmp(jstr(s, "status"), cases[i].status) != 0) {
            char *dump = json_dumps(s, JSON_COMPACT);
            print_message("%s\n", dump);
            free(dump);
            fail_msg("case %d: status %s, want %s", i, jstr(s, "status"), cases[i].status);
        }
        assert_int_equal(jint(s, "score_awarded"), cases[i].score);
        assert_int_equal(jint(s, "max_score"), cases[i].max);
        json_t *res = json_object_get(s, "results");
        assert_int_equal(json_array_size(res), cases[i].ntests);
        assert_true(json_is_null(json_object_get(s, "question_id")));
        assert_true(json_is_string(json_object_get(s, "finished_at")));
        assert_true(jint(s, "execution_ms") >= 0);
        if (cases[i].evidence) {
            const json_t *first = NULL;
            for (size_t k = 0; k < json_array_size(res) && !first; k++)
                if (!json_is_true(json_object_get(json_array_get(res, k), "passed")))
                    first = json_array_get(res, k);
            assert_non_null(first);
            assert_string_equal(jstr(first, "status"), cases[i].status);
            if (!strstr(jstr(first, "evidence"), cases[i].evidence))
                fail_msg("case %d: evidence '%s' lacks '%s'", i, jstr(first, "evidence"), cases[i].evidence);
        }
        json_decref(s);
    }
    /* Details a submitter relies on. */
    json_t *s = get_submission(ids[1]);
    assert_string_equal(jstr(s, "stdout"), "10\n"); /* of the first failing test */
    json_t *r0 = json_array_get(json_object_get(s, "results"), 0);
    assert_true(json_is_true(json_object_get(r0, "passed")));
    assert_int_equal(jint(r0, "exit_code"), 0);
    json_decref(s);
    s = get_submission(ids[2]);
    assert_non_null(strstr(jstr(s, "stderr"), "boom"));
    assert_int_equal(jint(json_array_get(json_object_get(s, "results"), 0), "exit_code"), 3);
    json_decref(s);
    s = get_submission(ids[5]);
    assert_true(strlen(jstr(s, "stdout")) <= 64 * 1024 + 100); /* stored output is bounded */
    json_decref(s);
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
        if (strcmp(jstr(s, "status"), "passed") != 0) {
            char *dump = json_dumps(s, JSON_COMPACT);
            fail_msg("compiled submission %d: %s", i, dump);
        }
        assert_int_equal(jint(s, "score_awarded"), 3);
        assert_int_equal(json_array_size(json_object_get(s, "results")), 2);
        json_decref(s);
    }
    json_t *s = get_submission(ids[2]);
    assert_string_equal(jstr(s, "status"), "compile_error");
    assert_int_equal(jint(s, "score_awarded"), 0);
    assert_int_equal(json_array_size(json_object_get(s, "results")), 0);
    if (!strstr(jstr(s, "stderr"), "missing"))
        fail_msg("compile_error without the compiler's message: stderr '%s'", jstr(s, "stderr"));
    json_decref(s);
}

static void question_and_scores(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    http_resp_t r;
    assert_int_equal(post_json("/questions",
                               "{\"title\":\"Double it\",\"statement\":\"Print twice n.\",\"test_cases\":["
                               T2("1", "2", 1) "," T2("7", "14", 2) "," T2("-3", "-6", 4) "]}",
                               &r),
                     201);
    json_t *q = json_loads(r.body, 0, NULL);
    char qid[37];
    snprintf(qid, sizeof qid, "%s", jstr(q, "id"));
    json_decref(q);
    http_resp_free(&r);
    char path[64];
    snprintf(path, sizeof path, "/questions/%s", qid);
    q = get_json(path, 200);
    assert_string_equal(jstr(q, "title"), "Double it");
    assert_int_equal(json_array_size(json_object_get(q, "test_cases")), 3);
    assert_int_equal(jint(q, "max_score"), 7);
    json_decref(q);

    worker_t w = worker_start("question", 2, NULL);
    char ids[3][37];
    assert_int_equal(submit(DOUBLE, NULL, qid, ids[0]), 202);
    /* Wrong for positive n above 5: passes tests 1 and 3 only. */
    assert_int_equal(submit("n = int(input())\nprint(n * 2 if n < 5 else 0)\n", NULL, qid, ids[1]), 202);
    assert_int_equal(submit("print(", NULL, qid, ids[2]), 202); /* a syntax error is a runtime error */
    wait_final(ids, 3, 60);
    json_t *s = get_submission(ids[0]);
    assert_string_equal(jstr(s, "status"), "passed");
    assert_int_equal(jint(s, "score_awarded"), 7);
    assert_string_equal(jstr(s, "question_id"), qid);
    json_decref(s);
    s = get_submission(ids[1]);
    assert_string_equal(jstr(s, "status"), "failed");
    assert_int_equal(jint(s, "score_awarded"), 5);
    assert_int_equal(jint(s, "max_score"), 7);
    json_t *res = json_object_get(s, "results");
    assert_int_equal(json_array_size(res), 3);
    assert_true(json_is_true(json_object_get(json_array_get(res, 0), "passed")));
    assert_true(json_is_false(json_object_get(json_array_get(res, 1), "passed")));
    assert_true(json_is_true(json_object_get(json_array_get(res, 2), "passed")));
    json_decref(s);
    s = get_submission(ids[2]);
    assert_string_equal(jstr(s, "status"), "runtime_error");
    assert_non_null(strstr(jstr(s, "stderr"), "SyntaxError"));
    json_decref(s);
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
    PGresult *r = sql("SELECT id, status, score_awarded, max_score,"
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
        assert_int_equal(jint(s, "score_awarded"), i % 3 == 0 ? 1 : 3);
        json_decref(s);
    }
    stop(w.pid, SIGTERM);
    assert_int_equal(redis_int("XPENDING " STREAM " " GROUP), 0);
}

/* How many "submission <id>: <status>, score" lines (a stored result) the
 * logs hold for id. */
static int stored_lines(const char *const *logs, int nlogs, const char *id)
{
    int n = 0;
    char needle[64];
    snprintf(needle, sizeof needle, "submission %s: ", id);
    for (int l = 0; l < nlogs; l++) {
        char *t = read_file(logs[l]);
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
    double end = now_s() + 20;
    int held = 0;
    while (now_s() < end && (held = pending_of(prefix)) < 2)
        sleep_ms(10);
    assert_true(held >= 1);
    long running = sql_long("SELECT count(*) FROM submissions WHERE status = 'running'");
    kill(a.pid, SIGKILL);
    int st = reap(a.pid, 10000);
    track(a.pid, false);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    print_message("killed k9a holding %d messages (%ld submissions running)\n", held, running);
    wait_final(ids, N, 120);
    char *list = id_list(ids, N);
    assert_int_equal(sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'passed'"
                              " AND score_awarded = 2 AND finished_at IS NOT NULL", list), N);
    assert_int_equal(sql_long("SELECT count(*) FROM submission_results WHERE submission_id IN (%s)", list), 2 * N);
    free(list);
    assert_int_equal(duplicate_results(), 0);
    /* Each result was stored exactly once, by one of the two workers. */
    const char *logs[] = {a.log, b.log};
    for (int i = 0; i < N; i++)
        if (stored_lines(logs, 2, ids[i]) != 1)
            fail_msg("submission %s stored %d times", ids[i], stored_lines(logs, 2, ids[i]));
    /* The survivor took over what the dead one held. */
    char *t = read_file(b.log);
    assert_non_null(strstr(t, "reclaimed message"));
    free(t);
    assert_int_equal(redis_int("XPENDING " STREAM " " GROUP), 0);
    assert_int_equal(redis_int("XLEN " STREAM), 0);
    /* The dead worker's sandboxes died with it (PR_SET_PDEATHSIG). */
    end = now_s() + 5;
    while (now_s() < end && sandbox_processes_of(a.pid) > 0)
        sleep_ms(50);
    assert_int_equal(sandbox_processes_of(a.pid), 0);
    stop(b.pid, SIGTERM);
    assert_int_equal(run_cgroups_of("/sys/fs/cgroup", b.pid, 8), 0);
    /* The dead worker could not remove its run cgroups; the next worker's
     * sandbox sweeps them when it starts. */
    int left = run_cgroups_of("/sys/fs/cgroup", a.pid, 8);
    print_message("run cgroups left by the killed worker: %d\n", left);
    worker_t c = worker_start("k9c", 1, NULL);
    assert_int_equal(run_cgroups_of("/sys/fs/cgroup", a.pid, 8), 0);
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
    double end = now_s() + 20;
    while (now_s() < end && pending_of(prefix) < 2)
        sleep_ms(10);
    assert_true(pending_of(prefix) >= 1);
    char *list = id_list(ids, N);
    PGresult *r = sql("SELECT id FROM submissions WHERE id IN (%s) AND status = 'running'", list);
    int in_flight = PQntuples(r);
    char held[2][37] = {"", ""};
    for (int i = 0; i < in_flight && i < 2; i++)
        snprintf(held[i], 37, "%s", PQgetvalue(r, i, 0));
    PQclear(r);
    assert_true(in_flight >= 1);
    kill(w.pid, SIGTERM);
    int st = reap(w.pid, 60000);
    track(w.pid, false);
    assert_true(st >= 0 && WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    char *t = read_file(w.log);
    assert_non_null(strstr(t, "received"));
    assert_true(has_line(t, "stopped"));
    free(t);
    /* Nothing left running, the jobs in flight were finished and stored... */
    assert_int_equal(sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'running'", list), 0);
    for (int i = 0; i < in_flight && i < 2; i++)
        assert_int_equal(sql_long("SELECT count(*) FROM submissions WHERE id = '%s' AND status = 'passed'", held[i]),
                         1);
    assert_int_equal(pending_of(prefix), 0);
    /* No sandbox of the drained worker survives it, nor any of its cgroups. */
    assert_int_equal(sandbox_processes_of(w.pid), 0);
    assert_int_equal(run_cgroups_of("/sys/fs/cgroup", w.pid, 8), 0);
    /* ... and nothing was lost: every other one is still queued, with its message. */
    long queued = sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'queued'", list);
    long done = sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'passed'", list);
    assert_int_equal(queued + done, N);
    assert_int_equal(redis_int("XLEN " STREAM), queued);
    assert_true(queued > 0);
    worker_t w2 = worker_start("drain2", 2, NULL);
    wait_final(ids, N, 60);
    assert_int_equal(sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'passed'", list), N);
    assert_int_equal(duplicate_results(), 0);
    free(list);
    stop(w2.pid, SIGTERM);
}

static void redis_wait_gone(pid_t pid)
{
    double end = now_s() + 30;
    while (now_s() < end) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        char *t = read_file(path);
        char *rp = strrchr(t, ')');
        bool gone = !t[0] || (rp && rp[1] == ' ' && rp[2] == 'Z');
        free(t);
        if (gone)
            return;
        sleep_ms(20);
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
    E.redis_pid = spawn("redis", argv, NULL, log, sizeof log);
    E.redis_ours = true;
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
        sleep_ms(50);
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
    double end = now_s() + 30;
    while (now_s() < end &&
           sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'passed'", list) < 4)
        sleep_ms(20);
    /* Stop Redis (it saves its AOF) while jobs are in flight. */
    kill(E.redis_pid, SIGTERM);
    redis_wait_gone(E.redis_pid);
    if (E.redis_ours)
        reap(E.redis_pid, 5000);
    long done_at_stop = sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'passed'", list);
    print_message("redis stopped with %ld of %d finished\n", done_at_stop, N);
    /* Meanwhile: the enqueue fails, the client is told, the row is not left queued. */
    char lost[37];
    assert_int_equal(submit(DOUBLE, "[" T2("1", "2", 1) "]", NULL, lost), 503);
    assert_int_equal(sql_long("SELECT count(*) FROM submissions WHERE status = 'internal_error'"
                              " AND error LIKE 'enqueue failed: %%' AND created_at > now() - interval '1 minute'"),
                     1);
    assert_int_equal(sql_long("SELECT count(*) FROM submissions WHERE status = 'queued'"
                              " AND id NOT IN (%s)", list), 0);
    json_t *h = get_json("/healthz", 503);
    assert_non_null(strstr(jstr(h, "error"), "redis"));
    json_decref(h);
    sleep_ms(1000);
    redis_start_again();
    /* The API's pooled connections died with Redis: the first request after
     * the restart must reconnect, not fail. */
    char again[37];
    assert_int_equal(submit(DOUBLE, "[" T2("1", "2", 1) "]", NULL, again), 202);
    wait_final(ids, N, 120);
    assert_int_equal(sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'passed'", list), N);
    assert_int_equal(duplicate_results(), 0);
    free(list);
    h = get_json("/healthz", 200);
    json_decref(h);
    wait_final(&again, 1, 30);
    stop(w.pid, SIGTERM);
    assert_int_equal(redis_int("XPENDING " STREAM " " GROUP), 0);
    char *t = read_file(w.log);
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
    E.pg_pid = spawn("postgres", argv, NULL, log, sizeof log);
    /* Not a worker: run.sh stops it gently (SIGINT), from its own file. */
    pidfile(E.pg_pid, false);
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
        sleep_ms(50);
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
    double end = now_s() + 30;
    while (now_s() < end &&
           sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'passed'", list) < 3)
        sleep_ms(20);
    long before = sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'passed'", list);
    kill(E.pg_pid, SIGINT);
    end = now_s() + 30;
    while (now_s() < end && kill(E.pg_pid, 0) == 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)E.pg_pid);
        char *t = read_file(path), *rp = strrchr(t, ')');
        bool zombie = rp && rp[1] == ' ' && rp[2] == 'Z';
        free(t);
        if (zombie)
            break;
        sleep_ms(20);
    }
    waitpid(E.pg_pid, NULL, WNOHANG); /* ours only after a previous restart */
    print_message("postgres stopped with %ld of %d finished\n", before, N);
    /* Meanwhile the API says so instead of failing obscurely. */
    char lost[37];
    assert_int_equal(submit(DOUBLE, "[" T2("1", "2", 1) "]", NULL, lost), 503);
    sleep_ms(1500);
    postgres_start_again();
    wait_final(ids, N, 120);
    assert_int_equal(sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'passed'"
                              " AND score_awarded = 2", list), N);
    assert_int_equal(sql_long("SELECT count(*) FROM submission_results WHERE submission_id IN (%s)", list), 2 * N);
    assert_int_equal(duplicate_results(), 0);
    free(list);
    assert_int_equal(redis_int("XPENDING " STREAM " " GROUP), 0);
    char *t = read_file(w.log);
    assert_non_null(strstr(t, "Postgres"));
    free(t);
    /* The API reconnects too. */
    sleep_ms(2500);
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
        {"GET", "/submissions", NULL, NULL, HTTP_NORMAL, 405, "POST"},
        {"DELETE", "/submissions", NULL, NULL, HTTP_NORMAL, 405, "POST"},
        {"PUT", "/questions", "application/json", "{}", HTTP_NORMAL, 405, "POST"},
        {"POST", "/healthz", "application/json", "{}", HTTP_NORMAL, 405, "GET, HEAD"},
        {"DELETE", "/submissions/00000000-0000-4000-8000-000000000000", NULL, NULL, HTTP_NORMAL, 405, "GET, HEAD"},
    };
    long before = sql_long("SELECT count(*) FROM submissions") + sql_long("SELECT count(*) FROM questions");
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
    long after = sql_long("SELECT count(*) FROM submissions") + sql_long("SELECT count(*) FROM questions");
    assert_int_equal(after, before);
    json_t *h = get_json("/healthz", 200);
    assert_string_equal(jstr(h, "status"), "ok");
    json_decref(h);
    json_t *l = get_json("/languages", 200);
    assert_string_equal(jstr(json_array_get(l, 0), "name"), "python");
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
    redisContext *c = redis();
    redisReply *r = redisCommand(c, "XREADGROUP GROUP %s ghost COUNT 1 STREAMS %s >", GROUP, STREAM);
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        redisReply *g = redisCommand(c, "XINFO GROUPS %s", STREAM);
        redisReply *p = redisCommand(c, "XPENDING %s %s - + 10", STREAM, GROUP);
        print_message("XREADGROUP: type %d; XLEN %lld; groups %zu; pending %zu; submission %s is %s\n",
                      r ? r->type : -1, redis_int("XLEN " STREAM), g ? g->elements : 0, p ? p->elements : 0, id,
                      PQgetvalue(sql("SELECT status FROM submissions WHERE id = '%s'", id), 0, 0));
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
    assert_string_equal(jstr(s, "status"), "internal_error");
    if (!strstr(jstr(s, "error"), "delivered 4 times"))
        fail_msg("error: %s", jstr(s, "error"));
    json_decref(s);
    stop(w.pid, SIGTERM);
    assert_int_equal(redis_int("XPENDING " STREAM " " GROUP), 0);
}

/* Entries that are not valid messages are acknowledged, never retried
 * forever; one naming a submission marks it. */
static void poison_messages(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    PGresult *r = sql("INSERT INTO submissions (language, source_code, max_score) VALUES ('python', 'x', 1)"
                      " RETURNING id");
    char id[37];
    snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    redisContext *c = redis();
    freeReplyObject(redisCommand(c, "XADD %s * payload %s", STREAM, "not-json"));
    freeReplyObject(redisCommand(c, "XADD %s * other field", STREAM));
    char msg[256];
    snprintf(msg, sizeof msg, "{\"submission_id\":\"%s\",\"language\":\"python\"}", id);
    freeReplyObject(redisCommand(c, "XADD %s * payload %s", STREAM, msg));
    redisFree(c);
    worker_t w = worker_start("poison", 1, NULL);
    wait_final(&id, 1, 30);
    r = sql("SELECT status, error FROM submissions WHERE id = '%s'", id);
    assert_string_equal(PQgetvalue(r, 0, 0), "internal_error");
    assert_non_null(strstr(PQgetvalue(r, 0, 1), "malformed queue message"));
    PQclear(r);
    double end = now_s() + 10;
    while (now_s() < end && redis_int("XLEN " STREAM) != 0)
        sleep_ms(20);
    assert_int_equal(redis_int("XLEN " STREAM), 0);
    assert_int_equal(redis_int("XPENDING " STREAM " " GROUP), 0);
    assert_int_equal(kill(w.pid, 0), 0); /* still alive */
    stop(w.pid, SIGTERM);
}

/* A row left queued without a message (the API died between its INSERT and
 * its XADD) is enqueued again by a worker and judged. */
static void stale_queued_row(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    PGresult *r = sql("INSERT INTO submissions (language, source_code, max_score, created_at, enqueued_at)"
                      " VALUES ('python', 'print(int(input()) * 2)', 5, now() - interval '1 hour',"
                      " now() - interval '1 hour') RETURNING id");
    char id[37];
    snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    PQclear(sql("INSERT INTO test_cases (submission_id, ordinal, input, expected_output, score)"
                " VALUES ('%s', 0, '21', '42', 5)", id));
    static const char *const env[] = {"STALE_QUEUED_AGE=1s", NULL};
    worker_t w = worker_start("stale", 1, env);
    wait_final(&id, 1, 30);
    json_t *s = get_submission(id);
    assert_string_equal(jstr(s, "status"), "passed");
    assert_int_equal(jint(s, "score_awarded"), 5);
    json_decref(s);
    char *t = read_file(w.log);
    assert_non_null(strstr(t, "stale submission"));
    free(t);
    stop(w.pid, SIGTERM);
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
        pid_t pid = spawn("settings", argv, env, log, sizeof log);
        int st = reap(pid, 10000);
        if (st < 0)
            stop(pid, SIGKILL);
        assert_true(st >= 0 && WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 2);
        char *t = read_file(log);
        if (!strstr(t, cases[i].needle))
            fail_msg("%s: message '%s' lacks '%s'", cases[i].env, t, cases[i].needle);
        free(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(bad_settings, stop_leftovers),
        cmocka_unit_test_teardown(verdicts, stop_leftovers),
        cmocka_unit_test_teardown(compiled_languages, stop_leftovers),
        cmocka_unit_test_teardown(question_and_scores, stop_leftovers),
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
