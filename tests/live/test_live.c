/* End-to-end tests of the live features (docs/live.md): progress events
 * over SSE, interactive sessions over WebSockets, the web page's files.
 * Real redis-server and postgres (started by tests/pipeline/run.sh), real
 * nsjudge-api and nsjudge-worker processes (started and stopped here, by
 * PID), programs in the real sandbox. Checks are on what a client sees
 * (events, frames, close codes, HTTP answers) and on what an operator would
 * look for afterwards (the session's row, processes and run cgroups left).
 *
 * The environment from run.sh and the helpers: tests/pipeline/e2e.h. */
#define _GNU_SOURCE
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/require.h"
#include "../pipeline/client.h"
#include "../pipeline/e2e.h"
#include "liveclient.h"

/* Session settings of the shared worker: short, so that the idle timeout
 * and the reclaiming of a dead worker's session take seconds. */
#define IDLE "3s"
#define IDLE_MS 3000

static e2e_env_t E;
/* The worker all tests share. */
static pid_t worker_pid;
static char worker_log[1200];

#define LIVE_REQUIRE() REQUIRE(!E.unavailable[0], "%s", E.unavailable)

/* ---- the worker ---- */

/* A worker with test-sized limits and short session timeouts. */
static pid_t worker_start(const char *name, char *log, size_t cap)
{
    static char env[12][320];
    int n = 0;
    snprintf(env[n++], sizeof env[0], "REDIS_URL=%s", E.redis_url);
    snprintf(env[n++], sizeof env[0], "DATABASE_URL=%s", E.db_url);
    snprintf(env[n++], sizeof env[0], "WORKER_COUNT=2");
    snprintf(env[n++], sizeof env[0], "SESSION_WORKERS=2");
    snprintf(env[n++], sizeof env[0], "WORKER_NAME=%s", name);
    snprintf(env[n++], sizeof env[0], "EXECUTION_TIMEOUT=5s");
    snprintf(env[n++], sizeof env[0], "SANDBOX_MEMORY_LIMIT=128m");
    snprintf(env[n++], sizeof env[0], "RECLAIM_IDLE=2s");
    snprintf(env[n++], sizeof env[0], "SESSION_IDLE=" IDLE);
    snprintf(env[n++], sizeof env[0], "SESSION_LIMIT=20s");
    const char *envp[16];
    for (int i = 0; i < n; i++)
        envp[i] = env[i];
    envp[n] = NULL;
    const char *argv[] = {E.bin[0], NULL};
    pid_t pid = e2e_spawn(name, argv, envp, log, cap);
    if (!e2e_wait_text(log, "session workers started", 20000)) {
        char *t = e2e_read_file(log);
        fail_msg("worker %s did not start: %s", name, t);
    }
    return pid;
}

/* ---- the API ---- */

/* Submit inline tests; the id. */
static void submit(const char *src, const char *tests_json, char id[37])
{
    json_t *o = json_pack("{s:s, s:s, s:o}", "language", "python", "source_code", src, "test_cases",
                          json_loads(tests_json, 0, NULL));
    char *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    http_resp_t r;
    int st = e2e_post_json("/submissions", body, &r);
    free(body);
    json_t *j = json_loads(r.body ? r.body : "", 0, NULL);
    if (st != 202 || !json_string_value(json_object_get(j, "id")))
        fail_msg("POST /submissions: %d %s", st, r.body ? r.body : "");
    snprintf(id, 37, "%s", e2e_jstr(j, "id"));
    json_decref(j);
    http_resp_free(&r);
}

/* Create a session; its id. */
static void session_new(const char *lang, const char *src, char id[37])
{
    json_t *o = json_pack("{s:s, s:s}", "language", lang, "source_code", src);
    char *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    http_resp_t r;
    int st = e2e_post_json("/sessions", body, &r);
    free(body);
    json_t *j = json_loads(r.body ? r.body : "", 0, NULL);
    if (st != 201 || strlen(e2e_jstr(j, "id")) != 36)
        fail_msg("POST /sessions: %d %s", st, r.body ? r.body : "");
    snprintf(id, 37, "%s", e2e_jstr(j, "id"));
    json_decref(j);
    http_resp_free(&r);
}

/* Create a session and attach to it. */
static void session_open(const char *lang, const char *src, char id[37], wsc_t *ws)
{
    session_new(lang, src, id);
    char path[64];
    snprintf(path, sizeof path, "/sessions/%s", id);
    if (wsc_open(ws, E.api_port, path, NULL, NULL) < 0 || ws->status != 101)
        fail_msg("WebSocket %s: status %d %s", path, ws->status, ws->body ? ws->body : "");
}

/* Everything a session said, in order. */
typedef struct transcript {
    char out[65536], err[8192];
    size_t out_len, err_len;
    char states[512];            /* "running,waiting,running,finished" */
    json_t *exit;                /* the exit message */
    int close_code;              /* the server's close frame; 0 if none */
    bool closed;                 /* the server closed the connection */
} transcript_t;

static void transcript_free(transcript_t *t)
{
    json_decref(t->exit);
    t->exit = NULL;
}

/* Read one message into t: 1 a message, 0 the end (close frame or EOF),
 * -1 timeout. Pings are answered; text must be JSON. */
static int session_step(wsc_t *ws, transcript_t *t, int timeout_ms, json_t **msg_out)
{
    for (;;) {
        int op;
        char *p;
        size_t n;
        int r = wsc_recv(ws, timeout_ms, &op, &p, &n);
        if (r <= 0) {
            t->closed = r == 0;
            return r;
        }
        if (op == 0x8) {
            t->close_code = n >= 2 ? ((unsigned char)p[0] << 8 | (unsigned char)p[1]) : 1005;
            free(p);
            return 0;
        }
        if (op != 0x1) {
            free(p);
            continue;
        }
        json_t *m = json_loads(p, 0, NULL);
        if (!m)
            fail_msg("a server message is not JSON: %s", p);
        free(p);
        const char *type = e2e_jstr(m, "type");
        if (!strcmp(type, "stdout") || !strcmp(type, "stderr")) {
            bool out = !strcmp(type, "stdout");
            const char *d = e2e_jstr(m, "data");
            size_t dl = strlen(d), *len = out ? &t->out_len : &t->err_len;
            char *buf = out ? t->out : t->err;
            size_t cap = out ? sizeof t->out : sizeof t->err;
            size_t k = dl < cap - 1 - *len ? dl : cap - 1 - *len;
            memcpy(buf + *len, d, k);
            *len += k;
            buf[*len] = '\0';
        } else if (!strcmp(type, "state") && strcmp(e2e_jstr(m, "state"), "queued") != 0) {
            /* ("queued" frames come only while a busy host's session threads are all taken.) */
            size_t sl = strlen(t->states);
            snprintf(t->states + sl, sizeof t->states - sl, "%s%s", sl ? "," : "", e2e_jstr(m, "state"));
        } else if (!strcmp(type, "exit")) {
            json_decref(t->exit);
            t->exit = json_incref(m);
        } else {
            fail_msg("unknown server message type %s", type);
        }
        if (msg_out)
            *msg_out = m;
        else
            json_decref(m);
        return 1;
    }
}

/* Read until the end; fails after timeout_ms. */
static void session_drain(wsc_t *ws, transcript_t *t, int timeout_ms)
{
    double end = e2e_now_s() + timeout_ms / 1000.0;
    while (e2e_now_s() < end) {
        int r = session_step(ws, t, 1000, NULL);
        if (r == 0)
            return;
    }
    fail_msg("the session did not end within %d ms (states %s, stdout '%s')", timeout_ms, t->states, t->out);
}

/* Read until a state (appended to t); fails after timeout_ms. */
static void session_until_state(wsc_t *ws, transcript_t *t, const char *state, int timeout_ms)
{
    double end = e2e_now_s() + timeout_ms / 1000.0;
    while (e2e_now_s() < end) {
        json_t *m = NULL;
        int r = session_step(ws, t, 500, &m);
        if (r == 0)
            fail_msg("the session ended before state %s (states %s, exit %s)", state, t->states,
                     t->exit ? e2e_jstr(t->exit, "evidence") : "-");
        bool hit = m && !strcmp(e2e_jstr(m, "type"), "state") && !strcmp(e2e_jstr(m, "state"), state);
        json_decref(m);
        if (hit)
            return;
    }
    fail_msg("no state %s within %d ms (states %s, stdout '%s')", state, timeout_ms, t->states, t->out);
}

static void send_input(wsc_t *ws, const char *data)
{
    json_t *o = json_pack("{s:s, s:s}", "type", "input", "data", data);
    char *s = json_dumps(o, JSON_COMPACT);
    assert_int_equal(wsc_send_text(ws, s), 0);
    free(s);
    json_decref(o);
}

/* The session's row, once final: status and the exit's evidence. */
static void wait_session_row(const char *id, const char *status, char *evidence, size_t cap, int timeout_ms)
{
    double end = e2e_now_s() + timeout_ms / 1000.0;
    char *st = NULL;
    while (e2e_now_s() < end) {
        free(st);
        st = e2e_sql_text("SELECT status FROM sessions WHERE id = '%s'", id);
        if (!strcmp(st, "finished") || !strcmp(st, "terminated"))
            break;
        e2e_sleep_ms(50);
    }
    if (strcmp(st, status) != 0)
        fail_msg("session %s is '%s', want '%s'", id, st, status);
    free(st);
    char *ev = e2e_sql_text("SELECT exit->>'evidence' FROM sessions WHERE id = '%s'", id);
    snprintf(evidence, cap, "%s", ev);
    free(ev);
}

/* ---- setup ---- */

static int group_setup(void **state)
{
    (void)state;
    if (e2e_setup(&E, "make live") == 0)
        worker_pid = worker_start("live", worker_log, sizeof worker_log);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (worker_pid > 0)
        e2e_stop(worker_pid, SIGTERM);
    e2e_teardown(&E);
    return 0;
}

/* ---- progress events (SSE) ---- */

#define T1(in, out) "{\"input\":\"" in "\",\"expected_output\":\"" out "\",\"score\":1}"
/* Each test takes a moment, so that a reader can join mid-run. */
#define SLOW_DOUBLE "import time\ntime.sleep(0.3)\nprint(int(input()) * 2)\n"

typedef struct events {
    sse_event_t ev[64];
    int n;
    bool ended;
} events_t;

static void events_free(events_t *e)
{
    for (int i = 0; i < e->n; i++)
        free(e->ev[i].data);
    e->n = 0;
}

/* Read events until the stream ends or `stop_after` events came. */
static void read_events(const char *id, const char *last_id, int stop_after, events_t *out)
{
    char path[96];
    snprintf(path, sizeof path, "/submissions/%s/events", id);
    ssec_t c;
    assert_int_equal(ssec_open(&c, E.api_port, path, last_id), 0);
    assert_int_equal(c.status, 200);
    assert_non_null(strcasestr(c.head, "Content-Type: text/event-stream"));
    memset(out, 0, sizeof *out);
    while (out->n < 64 && (stop_after <= 0 || out->n < stop_after)) {
        int r = ssec_next(&c, 30000, &out->ev[out->n]);
        if (r == 0) {
            out->ended = true;
            break;
        }
        if (r < 0)
            fail_msg("no event within 30 s (after %d)", out->n);
        out->n++;
    }
    ssec_close(&c);
}

static json_t *ev_json(const sse_event_t *e)
{
    json_t *j = json_loads(e->data, 0, NULL);
    if (!j)
        fail_msg("event data is not JSON: %s", e->data);
    return j;
}

/* The sequence a whole stream must be: queued, running, one result per
 * test in order, the final status last. */
static void check_sequence(const events_t *e, int ntests, const char *final)
{
    if (e->n != ntests + 3) {
        for (int i = 0; i < e->n; i++)
            print_message("event %d: %s %s %s\n", i, e->ev[i].id, e->ev[i].event, e->ev[i].data);
        fail_msg("%d events, want %d", e->n, ntests + 3);
    }
    const char *want_status[] = {"queued", "running"};
    for (int i = 0; i < 2; i++) {
        json_t *j = ev_json(&e->ev[i]);
        assert_string_equal(e->ev[i].event, "status");
        assert_string_equal(e2e_jstr(j, "status"), want_status[i]);
        json_decref(j);
    }
    for (int k = 0; k < ntests; k++) {
        json_t *j = ev_json(&e->ev[2 + k]);
        assert_string_equal(e->ev[2 + k].event, "result");
        assert_int_equal(e2e_jint(j, "ordinal"), k);
        assert_true(e2e_jint(j, "execution_ms") >= 0 && e2e_jint(j, "memory_kb") > 0);
        assert_true(json_is_string(json_object_get(j, "evidence")));
        json_decref(j);
    }
    json_t *j = ev_json(&e->ev[ntests + 2]);
    assert_string_equal(e->ev[ntests + 2].event, "status");
    assert_string_equal(e2e_jstr(j, "status"), final);
    json_decref(j);
    /* Ids are the stream's entry ids: strictly increasing. */
    for (int i = 1; i < e->n; i++) {
        unsigned long long a1, a2, b1, b2;
        assert_int_equal(sscanf(e->ev[i - 1].id, "%llu-%llu", &a1, &a2), 2);
        assert_int_equal(sscanf(e->ev[i].id, "%llu-%llu", &b1, &b2), 2);
        assert_true(b1 > a1 || (b1 == a1 && b2 > a2));
    }
}

static void sse_order(void **state)
{
    (void)state;
    LIVE_REQUIRE();
    char id[37];
    submit(SLOW_DOUBLE, "[" T1("1", "2") "," T1("2", "5") "," T1("3", "6") "]", id);
    /* Joined right away: live from queued to the end, then the stream ends. */
    events_t e;
    read_events(id, NULL, 0, &e);
    assert_true(e.ended);
    check_sequence(&e, 3, "failed");
    json_t *r1 = ev_json(&e.ev[3]), *fin = ev_json(&e.ev[5]);
    assert_string_equal(e2e_jstr(r1, "status"), "failed");
    assert_false(json_is_true(json_object_get(r1, "passed")));
    assert_int_equal(e2e_jint(fin, "score"), 2);
    assert_int_equal(e2e_jint(fin, "max_score"), 3);
    json_decref(r1);
    json_decref(fin);
    events_free(&e);
    /* Read again once finished: the same events, the same ids. */
    events_t again;
    read_events(id, NULL, 0, &again);
    assert_true(again.ended);
    check_sequence(&again, 3, "failed");
    events_free(&again);
    /* The events stream expires: a day by default. */
    long long ttl = e2e_redis_int("TTL codesce:events:%s", id);
    assert_true(ttl > 3600 && ttl <= 86400);
}

static void sse_resume(void **state)
{
    (void)state;
    LIVE_REQUIRE();
    char id[37];
    submit(SLOW_DOUBLE, "[" T1("1", "2") "," T1("2", "4") "," T1("3", "6") "," T1("4", "8") "]", id);
    /* Leave mid-run after the first result... */
    events_t first;
    read_events(id, NULL, 3, &first);
    assert_int_equal(first.n, 3);
    assert_string_equal(first.ev[2].event, "result");
    /* ... and come back with Last-Event-ID: exactly the rest. */
    events_t rest;
    read_events(id, first.ev[2].id, 0, &rest);
    assert_true(rest.ended);
    events_t whole;
    read_events(id, NULL, 0, &whole);
    check_sequence(&whole, 4, "passed");
    assert_int_equal(first.n + rest.n, whole.n);
    for (int i = 0; i < whole.n; i++) {
        const sse_event_t *got = i < first.n ? &first.ev[i] : &rest.ev[i - first.n];
        assert_string_equal(got->id, whole.ev[i].id);
        assert_string_equal(got->event, whole.ev[i].event);
        assert_string_equal(got->data, whole.ev[i].data);
    }
    /* Resuming after the last event: nothing more, and the stream ends
     * as soon as it knows the submission is over. */
    events_t none;
    read_events(id, whole.ev[whole.n - 1].id, 0, &none);
    assert_int_equal(none.n, 0);
    events_free(&first);
    events_free(&rest);
    events_free(&whole);
}

static void sse_fallback_and_errors(void **state)
{
    (void)state;
    LIVE_REQUIRE();
    http_resp_t r;
    http_do(E.api_port, "GET", "/submissions/00000000-0000-4000-8000-000000000000/events", NULL, NULL, 0,
            HTTP_NORMAL, &r);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.body, "\"error\""));
    http_resp_free(&r);
    char id[37];
    submit("print(int(input()) + 1)\n", "[" T1("1", "2") "," T1("5", "6") "]", id);
    events_t e;
    read_events(id, NULL, 0, &e);
    check_sequence(&e, 2, "passed");
    events_free(&e);
    char path[96];
    snprintf(path, sizeof path, "/submissions/%s/events", id);
    ssec_t c;
    assert_int_equal(ssec_open(&c, E.api_port, path, "not-an-id"), 0);
    assert_int_equal(c.status, 400);
    ssec_close(&c);
    /* The events stream is gone (expired, or lost by Redis): the final
     * submission is told from Postgres once, results then final status. */
    assert_int_equal(e2e_redis_int("DEL codesce:events:%s", id), 1);
    events_t pg;
    read_events(id, NULL, 0, &pg);
    assert_true(pg.ended);
    assert_int_equal(pg.n, 3);
    assert_string_equal(pg.ev[0].event, "result");
    assert_string_equal(pg.ev[1].event, "result");
    assert_string_equal(pg.ev[2].event, "status");
    json_t *fin = ev_json(&pg.ev[2]);
    assert_string_equal(e2e_jstr(fin, "status"), "passed");
    assert_int_equal(e2e_jint(fin, "score"), 2);
    json_decref(fin);
    /* ... with ids a reconnect resumes from. */
    events_t after;
    read_events(id, pg.ev[0].id, 0, &after);
    assert_int_equal(after.n, 2);
    assert_string_equal(after.ev[0].id, pg.ev[1].id);
    events_free(&pg);
    events_free(&after);
}

/* ---- sessions ---- */

static void session_echo(void **state)
{
    (void)state;
    LIVE_REQUIRE();
    char id[37];
    wsc_t ws;
    session_open("python", "import sys\nfor line in sys.stdin:\n    print('echo:', line, end='')\n", id, &ws);
    transcript_t t = {0};
    session_until_state(&ws, &t, "running", 20000);
    send_input(&ws, "hello\n");
    send_input(&ws, "wörld ✓\n");
    double end = e2e_now_s() + 10;
    while (e2e_now_s() < end && !strstr(t.out, "echo: wörld ✓\n"))
        assert_int_equal(session_step(&ws, &t, 5000, NULL), 1);
    assert_string_equal(t.out, "echo: hello\necho: wörld ✓\n");
    /* End of input: the program ends on its own. */
    assert_int_equal(wsc_send_text(&ws, "{\"type\":\"eof\"}"), 0);
    session_drain(&ws, &t, 10000);
    assert_non_null(t.exit);
    assert_string_equal(e2e_jstr(t.exit, "status"), "ok");
    assert_int_equal(e2e_jint(t.exit, "exit_code"), 0);
    assert_true(json_is_null(json_object_get(t.exit, "signal")));
    assert_true(e2e_jint(t.exit, "wall_ms") > 0 && e2e_jint(t.exit, "memory_kb") > 0 &&
                e2e_jint(t.exit, "cpu_ms") >= 0);
    assert_string_equal(e2e_jstr(t.exit, "evidence"), "exit code 0");
    assert_non_null(strstr(t.states, "finished"));
    assert_int_equal(t.close_code, 1000);
    wsc_close(&ws);
    char ev[600];
    wait_session_row(id, "finished", ev, sizeof ev, 5000);
    assert_string_equal(ev, "exit code 0");
    transcript_free(&t);
}

static void session_waits_for_input(void **state)
{
    (void)state;
    LIVE_REQUIRE();
    char id[37];
    wsc_t ws;
    session_open("python", "name = input('name? ')\nprint('hello,', name)\n", id, &ws);
    transcript_t t = {0};
    session_until_state(&ws, &t, "waiting", 20000);
    /* The prompt came before it waited; nothing else did. */
    assert_string_equal(t.out, "name? ");
    send_input(&ws, "Ada\n");
    session_drain(&ws, &t, 10000);
    assert_string_equal(t.out, "name? hello, Ada\n");
    assert_string_equal(t.states, "running,waiting,running,finished");
    assert_string_equal(e2e_jstr(t.exit, "status"), "ok");
    wsc_close(&ws);
    transcript_free(&t);
}

static void session_idle_timeout(void **state)
{
    (void)state;
    LIVE_REQUIRE();
    char id[37];
    wsc_t ws;
    session_open("python", "input()\nprint('never')\n", id, &ws);
    transcript_t t = {0};
    session_until_state(&ws, &t, "running", 20000);
    double t0 = e2e_now_s();
    session_drain(&ws, &t, IDLE_MS + 10000);
    double took = e2e_now_s() - t0;
    assert_true(took >= IDLE_MS / 1000.0 - 0.2);
    assert_non_null(strstr(t.states, "terminated"));
    assert_string_equal(e2e_jstr(t.exit, "status"), "runtime_error");
    assert_non_null(strstr(e2e_jstr(t.exit, "evidence"), "idle timeout"));
    assert_string_equal(t.out, "");
    wsc_close(&ws);
    char ev[600];
    wait_session_row(id, "terminated", ev, sizeof ev, 5000);
    assert_non_null(strstr(ev, "idle timeout"));
    transcript_free(&t);
}

static void session_disconnect_cleanup(void **state)
{
    (void)state;
    LIVE_REQUIRE();
    char id[37];
    wsc_t ws;
    /* Busy and chatty, with a child process: all of it must go. */
    session_open("python",
                 "import subprocess, time\nsubprocess.Popen(['/usr/bin/python3', '-c', 'import time; time.sleep(60)'])\n"
                 "while True:\n    print('tick', flush=True)\n    time.sleep(0.05)\n",
                 id, &ws);
    transcript_t t = {0};
    session_until_state(&ws, &t, "running", 20000);
    double end = e2e_now_s() + 10;
    while (e2e_now_s() < end && !strstr(t.out, "tick\ntick\n"))
        assert_int_equal(session_step(&ws, &t, 5000, NULL), 1);
    assert_true(e2e_sandbox_processes_of(worker_pid) >= 2);
    /* The client vanishes without a closing handshake. */
    wsc_close(&ws);
    char ev[600];
    wait_session_row(id, "terminated", ev, sizeof ev, 10000);
    assert_string_equal(ev, "cancelled: the client closed the session");
    /* No program process is left; the worker's threads keep their next
     * runs prepared (warm slots): a run cgroup each with a task, holding
     * its init (and its program waiting at sync 1b, which has not run);
     * on v1 a slot also keeps its finished runs' cgroups, empty. */
    const char *h = access("/sys/fs/cgroup/pids", F_OK) == 0 ? "/sys/fs/cgroup/pids" : "/sys/fs/cgroup"; /* one hierarchy */
    end = e2e_now_s() + 5;
    while (e2e_now_s() < end && (e2e_program_processes_of(worker_pid) > 0 ||
                                 e2e_busy_run_cgroups_of(h, worker_pid, 8) != e2e_init_processes_of(worker_pid)))
        e2e_sleep_ms(50);
    assert_int_equal(e2e_program_processes_of(worker_pid), 0);
    assert_int_equal(e2e_busy_run_cgroups_of(h, worker_pid, 8), e2e_init_processes_of(worker_pid));
    /* Its input stream is gone; its output stream expires. */
    assert_int_equal(e2e_redis_int("EXISTS codesce:session:%s:in", id), 0);
    long long ttl = e2e_redis_int("TTL codesce:session:%s:out", id);
    assert_true(ttl > 0 && ttl <= 600);
    transcript_free(&t);
}

typedef struct bad_frame {
    const char *name;
    int opcode;
    const char *payload;
    size_t len;                  /* 0: strlen(payload) */
    bool masked;
    int want;                    /* close code */
} bad_frame_t;

static void session_malformed_frames(void **state)
{
    (void)state;
    LIVE_REQUIRE();
    static const bad_frame_t cases[] = {
        {"unmasked frame", 0x1, "{\"type\":\"input\",\"data\":\"x\\n\"}", 0, false, 1002},
        {"reserved opcode", 0x3, "hello", 0, true, 1002},
        {"invalid UTF-8", 0x1, "{\"type\":\"input\",\"data\":\"\xC3\x28\"}", 0, true, 1007},
        {"not JSON", 0x1, "hello", 0, true, 1008},
        {"unknown type", 0x1, "{\"type\":\"shout\"}", 0, true, 1008},
        {"input without data", 0x1, "{\"type\":\"input\"}", 0, true, 1008},
        {"binary message", 0x2, "\x01\x02", 2, true, 1003},
        {"oversized message", 0x1, NULL, 70000, true, 1009},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const bad_frame_t *c = &cases[i];
        char id[37];
        wsc_t ws;
        session_open("python", "import time\ninput()\ntime.sleep(30)\n", id, &ws);
        transcript_t t = {0};
        session_until_state(&ws, &t, "running", 20000);
        if (c->len == 70000) {
            /* Only the header: the size alone is the offence. */
            uint8_t h[14] = {0x81, 0x80 | 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70, 1, 2, 3, 4};
            assert_int_equal(wsc_send_raw(&ws, h, sizeof h), 0);
        } else {
            size_t len = c->len ? c->len : strlen(c->payload);
            assert_int_equal(wsc_send_frame(&ws, true, c->opcode, c->payload, len, c->masked), 0);
        }
        double end = e2e_now_s() + 10;
        while (e2e_now_s() < end && session_step(&ws, &t, 2000, NULL) != 0)
            ;
        if (t.close_code != c->want)
            fail_msg("%s: close code %d, want %d", c->name, t.close_code, c->want);
        wsc_close(&ws);
        /* The program is killed and the session recorded as such. */
        char ev[600];
        wait_session_row(id, "terminated", ev, sizeof ev, 10000);
        assert_string_equal(ev, "cancelled: the client closed the session");
        transcript_free(&t);
        assert_true(e2e_api_healthy());
    }
    /* Pings are answered with their payload. */
    char id[37];
    wsc_t ws;
    session_open("python", "print(input())\n", id, &ws);
    assert_int_equal(wsc_send_frame(&ws, true, 0x9, "are you there", 13, true), 0);
    int op = 0;
    char *p = NULL;
    size_t n;
    double end = e2e_now_s() + 10;
    while (e2e_now_s() < end && op != 0xA) {
        free(p);
        p = NULL;
        assert_int_equal(wsc_recv(&ws, 5000, &op, &p, &n), 1);
    }
    assert_int_equal(op, 0xA);
    assert_string_equal(p, "are you there");
    free(p);
    /* A fragmented message is one message. */
    assert_int_equal(wsc_send_frame(&ws, false, 0x1, "{\"type\":\"input\",", 16, true), 0);
    assert_int_equal(wsc_send_frame(&ws, true, 0x0, "\"data\":\"pieces\\n\"}", 18, true), 0);
    transcript_t t = {0};
    session_drain(&ws, &t, 20000);
    assert_string_equal(t.out, "pieces\n");
    assert_string_equal(e2e_jstr(t.exit, "status"), "ok");
    wsc_close(&ws);
    transcript_free(&t);
}

static void session_compiled_c(void **state)
{
    (void)state;
    LIVE_REQUIRE();
    char id[37];
    wsc_t ws;
    session_open("c",
                 "#include <stdio.h>\nint main(void) {\n    int x;\n    printf(\"x? \");\n    fflush(stdout);\n"
                 "    if (scanf(\"%d\", &x) != 1) return 3;\n    printf(\"%d\\n\", x * 3);\n    return 0;\n}\n",
                 id, &ws);
    transcript_t t = {0};
    session_until_state(&ws, &t, "waiting", 30000);
    assert_string_equal(t.out, "x? ");
    send_input(&ws, "14\n");
    session_drain(&ws, &t, 10000);
    assert_string_equal(t.out, "x? 42\n");
    assert_string_equal(e2e_jstr(t.exit, "status"), "ok");
    wsc_close(&ws);
    transcript_free(&t);
    /* A compile error ends the session with the compiler's words. */
    session_open("c", "int main(void) { return nope; }\n", id, &ws);
    transcript_t c = {0};
    session_drain(&ws, &c, 30000);
    assert_string_equal(e2e_jstr(c.exit, "status"), "compile_error");
    assert_non_null(strstr(c.err, "nope"));
    assert_string_equal(c.states, "finished");
    wsc_close(&ws);
    char ev[600];
    wait_session_row(id, "finished", ev, sizeof ev, 5000);
    assert_non_null(strstr(ev, "compiler"));
    transcript_free(&c);
}

static void session_output_cap(void **state)
{
    (void)state;
    LIVE_REQUIRE();
    char id[37];
    wsc_t ws;
    session_open("python", "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n", id, &ws);
    transcript_t t = {0};
    size_t total = 0;
    double end = e2e_now_s() + 30;
    while (e2e_now_s() < end) {
        json_t *m = NULL;
        int r = session_step(&ws, &t, 5000, &m);
        if (m && !strcmp(e2e_jstr(m, "type"), "stdout"))
            total += strlen(e2e_jstr(m, "data"));
        t.out_len = 0; /* the transcript keeps only the start */
        json_decref(m);
        if (r == 0)
            break;
    }
    assert_non_null(t.exit);
    assert_string_equal(e2e_jstr(t.exit, "status"), "output_limit");
    assert_non_null(strstr(t.states, "terminated"));
    assert_true(total > 0 && total <= 1048576);
    wsc_close(&ws);
    transcript_free(&t);
}

static void session_refusals(void **state)
{
    (void)state;
    LIVE_REQUIRE();
    static const struct {
        const char *ctype, *body;
        int status;
    } posts[] = {
        {"application/json", "{\"language\":\"cobol\",\"source_code\":\"x\"}", 400},
        {"application/json", "{\"language\":\"python\",\"source_code\":\"  \"}", 400},
        {"application/json", "{\"language\":\"python\"}", 400},
        {"application/json", "{\"language\":\"python\",\"source_code\":\"x\",\"stdin\":\"\"}", 400},
        {"application/json", "[1]", 400},
        {"text/plain", "{}", 415},
    };
    for (size_t i = 0; i < sizeof posts / sizeof posts[0]; i++) {
        http_resp_t r;
        http_do(E.api_port, "POST", "/sessions", posts[i].ctype, posts[i].body, strlen(posts[i].body), HTTP_NORMAL,
                &r);
        if (r.status != posts[i].status)
            fail_msg("POST /sessions %s: %d, want %d: %s", posts[i].body, r.status, posts[i].status, r.body);
        json_t *j = json_loads(r.body, 0, NULL);
        assert_true(json_is_string(json_object_get(j, "error")));
        json_decref(j);
        http_resp_free(&r);
    }
    char big[70000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    json_t *o = json_pack("{s:s, s:s}", "language", "python", "source_code", big);
    char *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    http_resp_t r;
    assert_int_equal(e2e_post_json("/sessions", body, &r), 413);
    http_resp_free(&r);
    free(body);

    wsc_t ws;
    assert_int_equal(wsc_open(&ws, E.api_port, "/sessions/00000000-0000-4000-8000-000000000000", NULL, NULL), 0);
    assert_int_equal(ws.status, 404);
    assert_non_null(strstr(ws.body, "\"error\""));
    wsc_close(&ws);
    char id[37], path[64];
    session_new("python", "print(input())\n", id);
    snprintf(path, sizeof path, "/sessions/%s", id);
    /* Not an upgrade; a wrong version; a cross-site page: refused, and the
     * session is still free to attach. */
    http_do(E.api_port, "GET", path, NULL, NULL, 0, HTTP_NORMAL, &r);
    assert_int_equal(r.status, 426);
    http_resp_free(&r);
    assert_int_equal(wsc_open(&ws, E.api_port, path, NULL, "8"), 0);
    assert_int_equal(ws.status, 426);
    assert_non_null(strcasestr(ws.head, "Sec-WebSocket-Version: 13"));
    wsc_close(&ws);
    assert_int_equal(wsc_open(&ws, E.api_port, path, "http://evil.example", NULL), 0);
    assert_int_equal(ws.status, 403);
    wsc_close(&ws);
    char same[64];
    snprintf(same, sizeof same, "http://127.0.0.1:%d", E.api_port);
    assert_int_equal(wsc_open(&ws, E.api_port, path, same, NULL), 0);
    assert_int_equal(ws.status, 101);
    /* Attached once: a second socket is refused. */
    wsc_t second;
    assert_int_equal(wsc_open(&second, E.api_port, path, NULL, NULL), 0);
    assert_int_equal(second.status, 409);
    wsc_close(&second);
    send_input(&ws, "still mine\n");
    transcript_t t = {0};
    session_drain(&ws, &t, 20000);
    assert_string_equal(t.out, "still mine\n");
    wsc_close(&ws);
    transcript_free(&t);
}

/* A session's worker dies: the session is not run again but ended, and
 * its client told so. */
static void session_worker_killed(void **state)
{
    (void)state;
    LIVE_REQUIRE();
    /* Only the worker about to die may take the session. */
    e2e_stop(worker_pid, SIGTERM);
    char log_a[1200], log_b[1200];
    pid_t a = worker_start("doomed", log_a, sizeof log_a);
    char id[37];
    wsc_t ws;
    session_open("python", "import time\nprint('started', flush=True)\ntime.sleep(60)\n", id, &ws);
    transcript_t t = {0};
    session_until_state(&ws, &t, "running", 20000);
    double end = e2e_now_s() + 10;
    while (e2e_now_s() < end && !strstr(t.out, "started\n"))
        assert_int_equal(session_step(&ws, &t, 5000, NULL), 1);
    kill(a, SIGKILL);
    e2e_reap(a, 10000);
    /* Its sandbox dies with it: init's parent-death signal (re-armed after
     * init's credential change in the user namespace, which clears it)
     * takes the whole pid namespace down. */
    end = e2e_now_s() + 5;
    while (e2e_now_s() < end && e2e_sandbox_processes_of(a) > 0)
        e2e_sleep_ms(50);
    if (e2e_sandbox_processes_of(a) > 0) {
        print_message("%d sandbox processes outlived their killed worker\n", e2e_sandbox_processes_of(a));
        e2e_kill_sandboxes_of(a); /* leave nothing behind, then fail */
        fail_msg("the sandbox outlived its supervisor");
    }
    assert_int_equal(e2e_sandbox_processes_of(a), 0);
    pid_t b = worker_start("heir", log_b, sizeof log_b);
    session_drain(&ws, &t, 20000);
    assert_non_null(t.exit);
    assert_string_equal(e2e_jstr(t.exit, "status"), "internal_error");
    assert_non_null(strstr(e2e_jstr(t.exit, "evidence"), "not run again"));
    assert_string_equal(t.out, "started\n"); /* once: not run again */
    wsc_close(&ws);
    char ev[600];
    wait_session_row(id, "terminated", ev, sizeof ev, 5000);
    assert_int_equal(e2e_redis_int("XLEN codesce:sessions"), 0);
    transcript_free(&t);
    /* SIGTERM ends the sessions in progress (they are live: they cannot
     * wait for a drain of minutes), and the worker exits 0. */
    session_open("python", "input()\n", id, &ws);
    transcript_t s = {0};
    session_until_state(&ws, &s, "running", 20000);
    kill(b, SIGTERM);
    int st = e2e_reap(b, 15000);
    assert_true(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    session_drain(&ws, &s, 5000);
    assert_string_equal(e2e_jstr(s.exit, "evidence"), "cancelled: the worker is shutting down");
    wsc_close(&ws);
    transcript_free(&s);
    worker_pid = worker_start("live", worker_log, sizeof worker_log);
}

/* ---- the web page ---- */

static void web_files(void **state)
{
    (void)state;
    LIVE_REQUIRE();
    static const struct {
        const char *path;
        int status;
        const char *ctype;
    } cases[] = {
        {"/", 200, "text/html; charset=utf-8"},
        {"/index.html", 200, "text/html; charset=utf-8"},
        {"/app.js", 200, "text/javascript; charset=utf-8"},
        {"/style.css", 200, "text/css; charset=utf-8"},
        {"/../etc/passwd", 404, "application/json"},
        {"/%2e%2e/sql/001_schema.sql", 404, "application/json"},
        {"/.hidden", 404, "application/json"},
        {"/vendor", 404, "application/json"},
        {"/nowhere.html", 404, "application/json"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        http_resp_t r;
        http_do(E.api_port, "GET", cases[i].path, NULL, NULL, 0, HTTP_NORMAL, &r);
        char ct[128] = "";
        http_header(&r, "Content-Type", ct, sizeof ct);
        if (r.status != cases[i].status || strcmp(ct, cases[i].ctype) != 0)
            fail_msg("GET %s: %d %s, want %d %s", cases[i].path, r.status, ct, cases[i].status, cases[i].ctype);
        http_resp_free(&r);
    }
    http_resp_t r;
    http_do(E.api_port, "GET", "/", NULL, NULL, 0, HTTP_NORMAL, &r);
    char csp[512];
    assert_int_equal(http_header(&r, "Content-Security-Policy", csp, sizeof csp), 0);
    assert_non_null(strstr(r.body, "<script src=\"app.js\""));
    http_resp_free(&r);
    /* The API's own routes are not shadowed by files. */
    http_do(E.api_port, "GET", "/languages", NULL, NULL, 0, HTTP_NORMAL, &r);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
    http_do(E.api_port, "POST", "/index.html", "application/json", "{}", 2, HTTP_NORMAL, &r);
    assert_int_equal(r.status, 405);
    http_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(web_files),
        cmocka_unit_test(sse_order),
        cmocka_unit_test(sse_resume),
        cmocka_unit_test(sse_fallback_and_errors),
        cmocka_unit_test(session_echo),
        cmocka_unit_test(session_waits_for_input),
        cmocka_unit_test(session_compiled_c),
        cmocka_unit_test(session_idle_timeout),
        cmocka_unit_test(session_disconnect_cleanup),
        cmocka_unit_test(session_malformed_frames),
        cmocka_unit_test(session_output_cap),
        cmocka_unit_test(session_refusals),
        cmocka_unit_test(session_worker_killed),
    };
    return cmocka_run_group_tests_name("live", tests, group_setup, group_teardown);
}
