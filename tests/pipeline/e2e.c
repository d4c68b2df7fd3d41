#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/require.h"
#include "e2e.h"

/* The environment e2e_setup loaded; log and pid files go to its dir. */
static e2e_env_t *env;
/* Numbers the logs, so that a name can be started more than once. */
static int seq;

/* ---- small helpers ---- */

void e2e_sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

double e2e_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *e2e_read_file(const char *path)
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

bool e2e_has_line(const char *text, const char *line)
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

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

int e2e_free_port(void)
{
    for (;;) {
        int p = 20000 + rand() % 40000;
        char cmd[64];
        snprintf(cmd, sizeof cmd, "ss -Htln 'sport = :%d' | grep -q .", p);
        if (system(cmd) != 0)
            return p;
    }
}

/* ---- processes (started here, stopped by PID; run.sh's trap kills what is left) ---- */

void e2e_pidfile(pid_t pid, bool add)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/pids/%d.pid", env->dir, (int)pid);
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

pid_t e2e_spawn(const char *name, const char *const *argv, const char *const *extra, char *log_out, size_t cap)
{
    snprintf(log_out, cap, "%s/%s-%d.log", env->dir, name, ++seq);
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
        e2e_pidfile(pid, true);
    return pid;
}

int e2e_reap(pid_t pid, int timeout_ms)
{
    double end = e2e_now_s() + timeout_ms / 1000.0;
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            e2e_pidfile(pid, false);
            return st;
        }
        if (r < 0 || e2e_now_s() > end)
            return -1;
        e2e_sleep_ms(20);
    }
}

void e2e_stop(pid_t pid, int sig)
{
    if (pid <= 0)
        return;
    kill(pid, sig);
    if (e2e_reap(pid, 30000) < 0) {
        kill(pid, SIGKILL);
        e2e_reap(pid, 5000);
    }
}

static bool wait_file(const char *path, const char *text, bool whole_line, int timeout_ms)
{
    double end = e2e_now_s() + timeout_ms / 1000.0;
    do {
        char *t = e2e_read_file(path);
        bool ok = whole_line ? e2e_has_line(t, text) : strstr(t, text) != NULL;
        free(t);
        if (ok)
            return true;
        e2e_sleep_ms(25);
    } while (e2e_now_s() < end);
    return false;
}

bool e2e_wait_line(const char *path, const char *line, int timeout_ms)
{
    return wait_file(path, line, true, timeout_ms);
}

bool e2e_wait_text(const char *path, const char *text, int timeout_ms)
{
    return wait_file(path, text, false, timeout_ms);
}

/* ---- Postgres and Redis, for checks ---- */

static PGresult *vsql(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static PGresult *vsql(const char *fmt, va_list ap)
{
    char q[65536];
    vsnprintf(q, sizeof q, fmt, ap);
    PGresult *r = PQexec(env->pg, q);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        fail_msg("SQL failed: %s\n%s", PQresultErrorMessage(r), q);
    return r;
}

PGresult *e2e_sql(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    PGresult *r = vsql(fmt, ap);
    va_end(ap);
    return r;
}

long e2e_sql_long(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    PGresult *r = vsql(fmt, ap);
    va_end(ap);
    long v = PQntuples(r) && !PQgetisnull(r, 0, 0) ? strtol(PQgetvalue(r, 0, 0), NULL, 10) : -1;
    PQclear(r);
    return v;
}

char *e2e_sql_text(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    PGresult *r = vsql(fmt, ap);
    va_end(ap);
    char *v = strdup(PQntuples(r) && !PQgetisnull(r, 0, 0) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return v;
}

redisContext *e2e_redis(void)
{
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", env->redis_port, tv);
    if (!c || c->err)
        fail_msg("redis connect: %s", c ? c->errstr : "oom");
    return c;
}

long long e2e_redis_int(const char *fmt, ...)
{
    char cmd[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    redisContext *c = e2e_redis();
    redisReply *r = redisCommand(c, cmd);
    long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 && r->element[0]->type == REDIS_REPLY_INTEGER)
        v = r->element[0]->integer; /* XPENDING summary: [count, ...] */
    freeReplyObject(r);
    redisFree(c);
    return v;
}

/* ---- the API ---- */

int e2e_post_json(const char *path, const char *body, http_resp_t *r)
{
    http_do(env->api_port, "POST", path, "application/json", body, strlen(body), HTTP_NORMAL, r);
    return r->status;
}

bool e2e_api_healthy(void)
{
    http_resp_t r;
    http_do(env->api_port, "GET", "/healthz?live", NULL, NULL, 0, HTTP_NORMAL, &r);
    int st = r.status;
    http_resp_free(&r);
    return st == 200;
}

const char *e2e_jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "(null)";
}

long e2e_jint(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

/* ---- what a worker leaves ---- */

/* Processes in one of the worker's run cgroups with the sandbox's uids
 * (the default slots: 100000 + 2N is a sandbox's init, + 2N + 1 what it
 * runs); with kill_inits the inits among them are SIGKILLed and counted. */
/* which: 0 every sandbox process, 1 the programs' (odd ids) that ran (a
 * warm slot's prepared program waits at sync 1b, still the worker's image:
 * not counted), 2 the inits' (even ids). */
static int sandboxes_of(pid_t worker, bool kill_inits, int which)
{
    char mark[32], wcomm[64] = "";
    snprintf(mark, sizeof mark, "/run-%d-", (int)worker);
    snprintf(wcomm, sizeof wcomm, "/proc/%d/comm", (int)worker);
    char *wc = e2e_read_file(wcomm);
    snprintf(wcomm, sizeof wcomm, "%s", wc ? wc : "");
    free(wc);
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
        char *t = e2e_read_file(path);
        char *uid = strstr(t, "\nUid:");
        unsigned u = 0;
        bool wanted = uid && sscanf(uid + 5, "%u", &u) == 1 && u >= 100000 && u < 100000 + 2 * 64 &&
                      (u % 2 == 0 || !kill_inits) && (which == 0 || (which == 1) == (u % 2 == 1));
        free(t);
        if (wanted && which == 1 && wcomm[0]) {
            snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
            t = e2e_read_file(path);
            wanted = !t || strcmp(t, wcomm) != 0;
            free(t);
        }
        if (!wanted)
            continue;
        snprintf(path, sizeof path, "/proc/%s/cgroup", e->d_name);
        t = e2e_read_file(path);
        if (strstr(t, mark)) {
            n++;
            if (kill_inits)
                kill(atoi(e->d_name), SIGKILL);
        }
        free(t);
    }
    if (d)
        closedir(d);
    return n;
}

int e2e_sandbox_processes_of(pid_t worker)
{
    return sandboxes_of(worker, false, 0);
}

int e2e_program_processes_of(pid_t worker)
{
    return sandboxes_of(worker, false, 1);
}

int e2e_init_processes_of(pid_t worker)
{
    return sandboxes_of(worker, false, 2);
}

void e2e_kill_sandboxes_of(pid_t worker)
{
    sandboxes_of(worker, true, 0);
    double end = e2e_now_s() + 5;
    while (e2e_now_s() < end && e2e_sandbox_processes_of(worker) > 0)
        e2e_sleep_ms(50);
}

/* Run cgroups of worker under dir; with busy_only, those with a task. */
static int run_cgroups(const char *dir, pid_t worker, int depth, int busy_only)
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
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
            char procs[4200], buf[64] = "";
            snprintf(procs, sizeof procs, "%s/cgroup.procs", sub);
            FILE *f = busy_only ? fopen(procs, "re") : NULL;
            if (f) {
                if (!fgets(buf, sizeof buf, f))
                    buf[0] = '\0';
                fclose(f);
            }
            n += !busy_only || buf[0] != '\0';
        }
        if (depth > 0)
            n += run_cgroups(sub, worker, depth - 1, busy_only);
    }
    closedir(d);
    return n;
}

int e2e_run_cgroups_of(const char *dir, pid_t worker, int depth)
{
    return run_cgroups(dir, worker, depth, 0);
}

int e2e_busy_run_cgroups_of(const char *dir, pid_t worker, int depth)
{
    return run_cgroups(dir, worker, depth, 1);
}

/* ---- setup and teardown ---- */

static int unavailable(e2e_env_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int unavailable(e2e_env_t *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->unavailable, sizeof e->unavailable, fmt, ap);
    va_end(ap);
    return -1;
}

int e2e_setup(e2e_env_t *e, const char *target)
{
    env = e;
    signal(SIGPIPE, SIG_IGN);
    srand((unsigned)getpid());
    const char *why = getenv("PIPE_UNAVAILABLE");
    if (why && *why)
        return unavailable(e, "%s", why);
    snprintf(e->dir, sizeof e->dir, "%s", env_or("PIPE_DIR", ""));
    e->pg_port = atoi(env_or("PIPE_PG_PORT", "0"));
    e->redis_port = atoi(env_or("PIPE_REDIS_PORT", "0"));
    e->redis_pid = atoi(env_or("PIPE_REDIS_PID", "0"));
    snprintf(e->redis_dir, sizeof e->redis_dir, "%s", env_or("PIPE_REDIS_DIR", ""));
    e->pg_pid = atoi(env_or("PIPE_PG_PID", "0"));
    snprintf(e->pg_dir, sizeof e->pg_dir, "%s", env_or("PIPE_PG_DIR", ""));
    snprintf(e->pg_bin, sizeof e->pg_bin, "%s", env_or("PIPE_PG_BIN", ""));
    if (!e->dir[0] || !e->pg_port || !e->redis_port || !e->redis_pid)
        return unavailable(e, "run through tests/pipeline/run.sh (%s)", target);
    const char *home = env_or("NSJUDGE_HOME", "."), *build = env_or("BUILD", "build");
    snprintf(e->bin[0], sizeof e->bin[0], "%s/%s/nsjudge-worker", home, build);
    snprintf(e->bin[1], sizeof e->bin[1], "%s/%s/nsjudge-api", home, build);
    snprintf(e->db_url, sizeof e->db_url, "postgresql://postgres@127.0.0.1:%d/nsjudge", e->pg_port);
    snprintf(e->redis_url, sizeof e->redis_url, "redis://127.0.0.1:%d", e->redis_port);
    char conninfo[300];
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%d user=postgres dbname=nsjudge", e->pg_port);
    e->pg = PQconnectdb(conninfo);
    if (PQstatus(e->pg) != CONNECTION_OK)
        return unavailable(e, "postgres: %s", PQerrorMessage(e->pg));
    PQclear(PQexec(e->pg, "SET client_min_messages = warning"));
    e->api_port = e2e_free_port();
    static char listen[64], r_env[200], d_env[300];
    snprintf(listen, sizeof listen, "LISTEN=127.0.0.1:%d", e->api_port);
    snprintf(r_env, sizeof r_env, "REDIS_URL=%s", e->redis_url);
    snprintf(d_env, sizeof d_env, "DATABASE_URL=%s", e->db_url);
    /* Keys and limits are tested in tests/access: here anonymous requests may do everything. */
    const char *extra[] = {listen, r_env, d_env, "ANONYMOUS_SCOPES=submit,read,admin", NULL};
    const char *argv[] = {e->bin[1], NULL};
    char log[1200], ready[80];
    e->api_pid = e2e_spawn("api", argv, extra, log, sizeof log);
    snprintf(e->api_log, sizeof e->api_log, "%s", log);
    snprintf(ready, sizeof ready, "listening on http://127.0.0.1:%d", e->api_port);
    if (!e2e_wait_line(log, ready, 60000)) {
        char *t = e2e_read_file(log);
        unavailable(e, "nsjudge-api did not start: %.900s", t);
        free(t);
        return -1;
    }
    for (int i = 0; i < 200; i++) {
        if (e2e_api_healthy())
            return 0;
        e2e_sleep_ms(50);
    }
    return unavailable(e, "nsjudge-api never became healthy (see %.900s)", log);
}

void e2e_teardown(e2e_env_t *e)
{
    if (e->api_pid > 0) {
        kill(e->api_pid, SIGTERM);
        int st = e2e_reap(e->api_pid, 20000);
        if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            fprintf(stderr, "nsjudge-api did not exit 0 on SIGTERM (status %d)\n", st);
    }
    if (e->pg)
        PQfinish(e->pg);
}
