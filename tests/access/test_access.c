/* End-to-end tests of access control (issue #13): keys and scopes, who
 * reads what, rate limits and concurrency caps shared through Redis, the
 * key tool, and a Redis outage during a burst. Real redis-server and
 * postgres from tests/pipeline/run.sh; nsjudge-api processes with the
 * settings under test and a worker, started and stopped here by PID.
 * Every check is on what a client or an operator sees: statuses, headers,
 * JSON bodies, rows in Postgres. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/require.h"
#include "../live/liveclient.h"
#include "../pipeline/client.h"
#include "../pipeline/e2e.h"

#define PIPE_REQUIRE() REQUIRE(!E.unavailable[0], "%s", E.unavailable)
#define JOB "{\"language\":\"python\",\"source_code\":\"print(int(input())*2)\"," \
            "\"test_cases\":[{\"input\":\"21\",\"expected_output\":\"42\",\"score\":1}]}"

static e2e_env_t E;

/* ---- an API with the settings under test ---- */

typedef struct api {
    pid_t pid;
    int port;
    char log[1200];
} api_t;

/* The APIs a test runs, two at most (stopped by the teardown when the test
 * failed half-way). */
static pid_t running_apis[2];

/* Start a worker on the test's Redis and Postgres with settings (its log's name in log). */
static pid_t worker_spawn(const char *name, const char *const *settings, char *log, size_t cap)
{
    static char env[2][320];
    snprintf(env[0], sizeof env[0], "REDIS_URL=%s", E.redis_url);
    snprintf(env[1], sizeof env[1], "DATABASE_URL=%s", E.db_url);
    const char *envp[24] = {env[0], env[1]};
    int k = 2;
    for (const char *const *s = settings; s && *s && k < 23; s++)
        envp[k++] = *s;
    envp[k] = NULL;
    const char *argv[] = {E.bin[0], NULL};
    return e2e_spawn(name, argv, envp, log, cap);
}

static api_t api_start(const char *name, const char *const *settings)
{
    api_t a = {.port = e2e_free_port()};
    static char env[3][320];
    snprintf(env[0], sizeof env[0], "LISTEN=127.0.0.1:%d", a.port);
    snprintf(env[1], sizeof env[1], "REDIS_URL=%s", E.redis_url);
    snprintf(env[2], sizeof env[2], "DATABASE_URL=%s", E.db_url);
    const char *envp[24] = {env[0], env[1], env[2]};
    int k = 3;
    for (const char *const *s = settings; s && *s && k < 23; s++)
        envp[k++] = *s;
    envp[k] = NULL;
    const char *argv[] = {E.bin[1], NULL};
    a.pid = e2e_spawn(name, argv, envp, a.log, sizeof a.log);
    size_t i = 0;
    while (i < 2 && running_apis[i] > 0)
        i++;
    if (i == 2)
        fail_msg("API %s: a test runs two APIs at most", name);
    running_apis[i] = a.pid;
    char ready[80];
    snprintf(ready, sizeof ready, "listening on http://127.0.0.1:%d", a.port);
    if (!e2e_wait_line(a.log, ready, 60000)) {
        char *t = e2e_read_file(a.log);
        fail_msg("API %s did not start: %s", name, t);
    }
    return a;
}

static void api_stop(api_t *a)
{
    if (a->pid > 0)
        e2e_stop(a->pid, SIGTERM);
    for (size_t i = 0; i < 2; i++)
        if (running_apis[i] == a->pid)
            running_apis[i] = 0;
    a->pid = 0;
}

/* One request from a chosen loopback address (127.0.0.1 or .2) with a key
 * (NULL = none): the status; r keeps the answer (free it). */
static int req_from(const char *from, int port, const char *method, const char *path, const char *key,
                    const char *body, http_resp_t *r)
{
    memset(r, 0, sizeof *r);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in me = {.sin_family = AF_INET}, to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, from, &me.sin_addr);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof me) < 0 ||
        connect(fd, (struct sockaddr *)&to, sizeof to) < 0) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    char head[1024];
    int n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n", method, path,
                     port);
    if (key)
        n += snprintf(head + n, sizeof head - (size_t)n, "Authorization: Bearer %s\r\n", key);
    if (body)
        n += snprintf(head + n, sizeof head - (size_t)n, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                      strlen(body));
    n += snprintf(head + n, sizeof head - (size_t)n, "\r\n");
    http_send_all(fd, head, (size_t)n);
    if (body)
        http_send_all(fd, body, strlen(body));
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1 >= cap)
            buf = realloc(buf, cap *= 2);
        ssize_t got = recv(fd, buf + len, cap - 1 - len, 0);
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    close(fd);
    buf[len] = '\0';
    char *end = strstr(buf, "\r\n\r\n");
    if (end && sscanf(buf, "HTTP/1.%*d %d", &r->status) == 1) {
        snprintf(r->headers, sizeof r->headers, "%.*s", (int)(end - buf), buf);
        r->body = strdup(end + 4);
        r->len = strlen(r->body);
    }
    free(buf);
    return r->status;
}

static int req(int port, const char *method, const char *path, const char *key, const char *body, http_resp_t *r)
{
    return req_from("127.0.0.1", port, method, path, key, body, r);
}

/* The status of a request whose answer is not kept. */
static int status_of(int port, const char *method, const char *path, const char *key, const char *body)
{
    http_resp_t r;
    int st = req(port, method, path, key, body, &r);
    http_resp_free(&r);
    return st;
}

/* An error answer is JSON with an "error" string. */
static void assert_json_error(const http_resp_t *r)
{
    json_error_t je;
    json_t *j = json_loads(r->body ? r->body : "", 0, &je);
    if (!j || !json_is_string(json_object_get(j, "error")))
        fail_msg("not a JSON error (status %d): %s", r->status, r->body ? r->body : "");
    json_decref(j);
}

/* POST a submission; its id (id[0] = 0 unless 202) and the status. */
static int submit_as(int port, const char *key, char id[37])
{
    http_resp_t r;
    int st = req(port, "POST", "/submissions", key, JOB, &r);
    id[0] = '\0';
    if (st == 202) {
        json_t *j = json_loads(r.body, 0, NULL);
        snprintf(id, 37, "%s", e2e_jstr(j, "id"));
        json_decref(j);
    }
    http_resp_free(&r);
    return st;
}

/* A key made through POST /keys by an admin key: its secret (and id). */
static void make_key(int port, const char *admin, const char *name, const char *scopes, char secret[128],
                     char id[37])
{
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"scopes\":\"%s\"}", name, scopes);
    http_resp_t r;
    if (req(port, "POST", "/keys", admin, body, &r) != 201)
        fail_msg("POST /keys: %d %s", r.status, r.body ? r.body : "");
    json_t *j = json_loads(r.body, 0, NULL);
    snprintf(secret, 128, "%s", e2e_jstr(j, "secret"));
    if (id)
        snprintf(id, 37, "%s", e2e_jstr(j, "id"));
    json_decref(j);
    http_resp_free(&r);
}

/* Run build/nsjudge-admin with args; its exit status, stdout in out. */
static int admin_tool(char *out, size_t cap, const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "DATABASE_URL='%s' %s/%s/nsjudge-admin %s 2>&1", E.db_url,
             getenv("NSJUDGE_HOME") ? getenv("NSJUDGE_HOME") : ".", getenv("BUILD") ? getenv("BUILD") : "build",
             args);
    FILE *p = popen(cmd, "r");
    if (!p)
        fail_msg("popen: %s", strerror(errno));
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The last line of a text (the secret of key create). */
static void last_line(const char *text, char *out, size_t cap)
{
    size_t n = strlen(text);
    while (n && text[n - 1] == '\n')
        n--;
    size_t b = n;
    while (b && text[b - 1] != '\n')
        b--;
    snprintf(out, cap, "%.*s", (int)(n - b), text + b);
}

static int group_setup(void **state)
{
    (void)state;
    e2e_setup(&E, "make access");
    return 0;
}

static int stop_leftovers(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        if (running_apis[i] > 0)
            e2e_stop(running_apis[i], SIGTERM);
        running_apis[i] = 0;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    e2e_teardown(&E);
    return 0;
}

/* ---- tests ---- */

/* nsjudge-admin: create (secret on the last line, stored hashed), list,
 * revoke; bad usage exits 2 with a line on stderr. */
static void admin_tool_keys(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    char out[4096], secret[128], id[37];
    assert_int_equal(admin_tool(out, sizeof out, "key create --name tool-test --scopes submit,read"), 0);
    last_line(out, secret, sizeof secret);
    assert_int_equal(strncmp(secret, "nsj_", 4), 0);
    assert_int_equal(strlen(secret), 52);
    /* Stored as its SHA-256 only: the secret itself appears nowhere in the table. */
    assert_int_equal(e2e_sql_long("SELECT count(*) FROM api_keys WHERE name = 'tool-test'"
                                  " AND secret_sha256 = encode(sha256('%s'::bytea), 'hex')", secret), 1);
    assert_int_equal(e2e_sql_long("SELECT count(*) FROM api_keys WHERE position('%s' in api_keys::text) > 0", secret),
                     0);
    char *k = e2e_sql_text("SELECT id FROM api_keys WHERE name = 'tool-test'");
    snprintf(id, sizeof id, "%s", k);
    free(k);
    assert_int_equal(admin_tool(out, sizeof out, "key list"), 0);
    assert_non_null(strstr(out, id));
    assert_non_null(strstr(out, "submit,read"));
    assert_null(strstr(out, secret));
    char args[128];
    snprintf(args, sizeof args, "key revoke %s", id);
    assert_int_equal(admin_tool(out, sizeof out, args), 0);
    assert_int_equal(e2e_sql_long("SELECT count(*) FROM api_keys WHERE id = '%s' AND revoked_at IS NOT NULL", id), 1);
    assert_int_equal(admin_tool(out, sizeof out, "key create --name x --scopes submit,root"), 2);
    assert_non_null(strstr(out, "unknown scope 'root'"));
    assert_int_equal(admin_tool(out, sizeof out, "key create --scopes read"), 2);
    assert_int_equal(admin_tool(out, sizeof out, "key revoke not-a-uuid"), 2);
    assert_int_equal(admin_tool(out, sizeof out, "key revoke 00000000-0000-0000-0000-000000000000"), 2);
    assert_int_equal(admin_tool(out, sizeof out, "frobnicate"), 2);
}

/* 401 without or with a wrong key, 403 without the scope, JSON each; a
 * key reads only its own submissions; admin reads all and manages keys;
 * a revoked key stops working. */
static void keys_and_scopes(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    api_t a = api_start("api-keys", NULL); /* ANONYMOUS_SCOPES empty: the default */
    char out[4096], admin[128];
    assert_int_equal(admin_tool(out, sizeof out, "key create --name admin --scopes admin"), 0);
    last_line(out, admin, sizeof admin);
    http_resp_t r;
    /* Public: the page's languages and health (no worker runs here: ?live, the API alone). */
    assert_int_equal(status_of(a.port, "GET", "/languages", NULL, NULL), 200);
    assert_int_equal(status_of(a.port, "GET", "/healthz?live", NULL, NULL), 200);
    assert_int_equal(status_of(a.port, "GET", "/metrics", NULL, NULL), 200);
    assert_int_equal(status_of(a.port, "GET", "/openapi.json", NULL, NULL), 200);
    /* No key, a malformed header, an unknown key: 401 with a JSON error and WWW-Authenticate. */
    assert_int_equal(req(a.port, "POST", "/submissions", NULL, JOB, &r), 401);
    assert_json_error(&r);
    char h[128];
    assert_int_equal(http_header(&r, "WWW-Authenticate", h, sizeof h), 0);
    assert_non_null(strstr(h, "Bearer"));
    http_resp_free(&r);
    assert_int_equal(req(a.port, "GET", "/keys", "nsj_000000000000000000000000000000000000000000000000", NULL, &r),
                     401);
    assert_json_error(&r);
    http_resp_free(&r);
    char alice[128], alice_id[37], bob[128], reader[128], bob_id[37];
    make_key(a.port, admin, "alice", "submit,read", alice, alice_id);
    make_key(a.port, admin, "bob", "submit,read", bob, bob_id);
    make_key(a.port, admin, "reader", "read", reader, NULL);
    /* The wrong scope: 403, JSON, naming what is missing. */
    assert_int_equal(req(a.port, "POST", "/submissions", reader, JOB, &r), 403);
    assert_json_error(&r);
    assert_non_null(strstr(r.body, "submit"));
    http_resp_free(&r);
    assert_int_equal(req(a.port, "POST", "/questions", alice, "{\"title\":\"t\",\"test_cases\":[]}", &r), 403);
    assert_json_error(&r);
    http_resp_free(&r);
    assert_int_equal(status_of(a.port, "GET", "/keys", alice, NULL), 403);
    /* A submission belongs to its key. */
    char sid[37], path[256];
    assert_int_equal(submit_as(a.port, alice, sid), 202);
    char *owner = e2e_sql_text("SELECT key_id FROM submissions WHERE id = '%s'", sid);
    assert_string_equal(owner, alice_id);
    free(owner);
    snprintf(path, sizeof path, "/submissions/%s", sid);
    assert_int_equal(status_of(a.port, "GET", path, alice, NULL), 200);
    assert_int_equal(req(a.port, "GET", path, bob, NULL, &r), 404); /* another key's: as if absent */
    assert_json_error(&r);
    http_resp_free(&r);
    assert_int_equal(status_of(a.port, "GET", path, reader, NULL), 404);
    assert_int_equal(status_of(a.port, "GET", path, admin, NULL), 200);
    assert_int_equal(status_of(a.port, "GET", path, NULL, NULL), 401);
    /* The event stream (a browser's EventSource sends the key as ?access_token=). */
    snprintf(path, sizeof path, "/submissions/%s/events?access_token=%s", sid, bob);
    assert_int_equal(status_of(a.port, "GET", path, NULL, NULL), 404);
    snprintf(path, sizeof path, "/submissions/%s/tests/0/stdout", sid);
    assert_int_equal(status_of(a.port, "GET", path, bob, NULL), 404);
    /* Sessions too. */
    assert_int_equal(req(a.port, "POST", "/sessions", alice, "{\"language\":\"python\",\"source_code\":\"print(1)\"}",
                         &r), 201);
    json_t *j = json_loads(r.body, 0, NULL);
    owner = e2e_sql_text("SELECT key_id FROM sessions WHERE id = '%s'", e2e_jstr(j, "id"));
    assert_string_equal(owner, alice_id);
    free(owner);
    json_decref(j);
    http_resp_free(&r);
    /* The key routes: list (no secrets), revoke. */
    assert_int_equal(req(a.port, "GET", "/keys", admin, NULL, &r), 200);
    assert_non_null(strstr(r.body, alice_id));
    assert_null(strstr(r.body, alice));
    assert_null(strstr(r.body, "secret"));
    http_resp_free(&r);
    assert_int_equal(req(a.port, "POST", "/keys", admin, "{\"name\":\"x\",\"scopes\":[\"read\",\"root\"]}", &r), 400);
    assert_json_error(&r);
    http_resp_free(&r);
    assert_int_equal(status_of(a.port, "PUT", "/keys", admin, NULL), 405);
    snprintf(path, sizeof path, "/keys/%s", bob_id);
    assert_int_equal(status_of(a.port, "DELETE", path, admin, NULL), 200);
    assert_int_equal(status_of(a.port, "GET", "/languages", bob, NULL), 401); /* at once on this host */
    /* Revoked by the tool: within the key cache's few seconds. */
    char args[128];
    snprintf(args, sizeof args, "key revoke %s", alice_id);
    assert_int_equal(admin_tool(out, sizeof out, args), 0);
    double end = e2e_now_s() + 15;
    int st = 0;
    while (e2e_now_s() < end && (st = status_of(a.port, "GET", "/languages", alice, NULL)) != 401)
        e2e_sleep_ms(200);
    assert_int_equal(st, 401);
    api_stop(&a);
}

/* ANONYMOUS_SCOPES: what requests without a key may do, and whose
 * submissions they see (the anonymous ones only). */
static void anonymous_scopes(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    const char *set[] = {"ANONYMOUS_SCOPES=submit,read", NULL};
    api_t a = api_start("api-anon", set);
    char out[4096], admin[128], key[128], sid[37], kid[37], path[128];
    assert_int_equal(admin_tool(out, sizeof out, "key create --name admin2 --scopes admin"), 0);
    last_line(out, admin, sizeof admin);
    make_key(a.port, admin, "carol", "submit,read", key, NULL);
    assert_int_equal(submit_as(a.port, NULL, sid), 202);
    assert_int_equal(e2e_sql_long("SELECT count(*) FROM submissions WHERE id = '%s' AND key_id IS NULL", sid), 1);
    snprintf(path, sizeof path, "/submissions/%s", sid);
    assert_int_equal(status_of(a.port, "GET", path, NULL, NULL), 200);
    assert_int_equal(status_of(a.port, "GET", path, key, NULL), 404);
    assert_int_equal(submit_as(a.port, key, kid), 202);
    snprintf(path, sizeof path, "/submissions/%s", kid);
    assert_int_equal(status_of(a.port, "GET", path, NULL, NULL), 404);
    /* Admin routes stay closed to anonymous requests. */
    assert_int_equal(status_of(a.port, "POST", "/questions", NULL, "{\"title\":\"t\",\"test_cases\":[]}"), 401);
    assert_int_equal(status_of(a.port, "GET", "/keys", NULL, NULL), 401);
    api_stop(&a);
}

/* Requests a second per key and per address, submissions a minute,
 * queued at once, sessions and streams at once: 429 + Retry-After + JSON;
 * other keys and other addresses are not held back. */
static void rate_limits(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    const char *set[] = {"ANONYMOUS_SCOPES=read", "RATE_REQUESTS=5", "RATE_SUBMISSIONS=3", "MAX_QUEUED=4",
                         "MAX_SESSIONS=1", "MAX_STREAMS=2", NULL};
    api_t a = api_start("api-limits", set);
    char out[4096], admin[128], k1[128], k2[128], k3[128], k4[128], id[37];
    assert_int_equal(admin_tool(out, sizeof out, "key create --name admin3 --scopes admin"), 0);
    last_line(out, admin, sizeof admin);
    make_key(a.port, admin, "k1", "submit,read", k1, NULL);
    make_key(a.port, admin, "k2", "submit,read", k2, NULL);
    make_key(a.port, admin, "k3", "submit,read", k3, NULL);
    make_key(a.port, admin, "k4", "submit,read", k4, NULL);
    /* Requests: a burst of 10 (twice the rate), then 429. */
    int ok = 0, limited = 0;
    http_resp_t r, lim = {0};
    for (int i = 0; i < 30; i++) {
        int st = req(a.port, "GET", "/languages", k1, NULL, &r);
        ok += st == 200;
        if (st == 429 && !limited++)
            lim = r;
        else
            http_resp_free(&r);
    }
    print_message("k1: %d answered, %d refused\n", ok, limited);
    assert_true(limited > 0);
    assert_in_range(ok, 5, 20);
    assert_json_error(&lim);
    char h[64];
    assert_int_equal(http_header(&lim, "Retry-After", h, sizeof h), 0);
    assert_true(atoi(h) >= 1);
    assert_non_null(strstr(lim.body, "RATE_REQUESTS"));
    http_resp_free(&lim);
    assert_int_equal(status_of(a.port, "GET", "/languages", k2, NULL), 200); /* another key */
    /* Anonymous: per address; 127.0.0.2 is another client. */
    for (int i = 0; i < 30; i++)
        status_of(a.port, "GET", "/languages", NULL, NULL);
    assert_int_equal(status_of(a.port, "GET", "/languages", NULL, NULL), 429);
    assert_int_equal(req_from("127.0.0.2", a.port, "GET", "/languages", NULL, NULL, &r), 200);
    http_resp_free(&r);
    /* Submissions a minute: 3, then 429 naming the setting. */
    e2e_sleep_ms(2500); /* the request bucket refills */
    for (int i = 0; i < 3; i++)
        assert_int_equal(submit_as(a.port, k2, id), 202);
    assert_int_equal(req(a.port, "POST", "/submissions", k2, JOB, &r), 429);
    assert_non_null(strstr(r.body, "RATE_SUBMISSIONS"));
    assert_int_equal(http_header(&r, "Retry-After", h, sizeof h), 0);
    http_resp_free(&r);
    /* Queued at once (no worker runs here: they stay queued): k3 gets
     * k2's 3 and makes a 4th, then 429. */
    char k2_id[37];
    snprintf(k2_id, sizeof k2_id, "%s", id);
    assert_int_equal(submit_as(a.port, k3, id), 202);
    e2e_sql_long("UPDATE submissions SET key_id = (SELECT key_id FROM submissions WHERE id = '%s')"
                 " WHERE key_id = (SELECT key_id FROM submissions WHERE id = '%s') RETURNING 1", id, k2_id);
    e2e_sleep_ms(1200); /* the API counts a key's queued submissions at most once a second */
    assert_int_equal(req(a.port, "POST", "/submissions", k3, JOB, &r), 429);
    assert_non_null(strstr(r.body, "MAX_QUEUED"));
    http_resp_free(&r);
    /* Sessions at once: 1. */
    const char *sess = "{\"language\":\"python\",\"source_code\":\"print(1)\"}";
    assert_int_equal(status_of(a.port, "POST", "/sessions", k4, sess), 201);
    assert_int_equal(req(a.port, "POST", "/sessions", k4, sess, &r), 429);
    assert_non_null(strstr(r.body, "MAX_SESSIONS"));
    http_resp_free(&r);
    /* Streams at once: 2 per key; a third waits for one to close. */
    char sid[37], path[160], head[512];
    assert_int_equal(submit_as(a.port, k1, sid), 202);
    int fds[3];
    for (int i = 0; i < 3; i++) {
        e2e_sleep_ms(300);
        fds[i] = http_dial(a.port);
        int n = snprintf(head, sizeof head, "GET /submissions/%s/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n",
                         sid, k1);
        http_send_all(fds[i], head, (size_t)n);
        struct pollfd p = {.fd = fds[i], .events = POLLIN};
        assert_int_equal(poll(&p, 1, 10000), 1);
        char buf[512];
        ssize_t got = recv(fds[i], buf, sizeof buf - 1, 0);
        assert_true(got > 12);
        buf[got] = '\0';
        int st = atoi(buf + 9);
        print_message("stream %d: %d\n", i, st);
        assert_int_equal(st, i < 2 ? 200 : 429);
    }
    close(fds[2]);
    close(fds[0]);
    double closed = e2e_now_s(), end = closed + 15;
    int st = 0;
    snprintf(path, sizeof path, "/submissions/%s/events", sid);
    while (e2e_now_s() < end) {
        e2e_sleep_ms(300);
        int fd = http_dial(a.port);
        int n = snprintf(head, sizeof head, "GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", path, k1);
        http_send_all(fd, head, (size_t)n);
        char buf[64] = "";
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) == 1 && recv(fd, buf, sizeof buf - 1, 0) > 12)
            st = atoi(buf + 9);
        close(fd);
        if (st == 200)
            break;
    }
    assert_int_equal(st, 200); /* the closed stream gave its place back */
    print_message("a closed stream's place was free again after %.1f s\n", e2e_now_s() - closed);
    close(fds[1]);
    api_stop(&a);
}

/* Rate-limit scripts Redis has run so far (EVALSHA, and EVAL when it had
 * lost the script). */
static long long limit_script_calls(void)
{
    redisContext *c = e2e_redis();
    redisReply *r = redisCommand(c, "INFO commandstats");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    static const char *const names[] = {"cmdstat_evalsha:calls=", "cmdstat_eval:calls="};
    long long n = 0;
    for (size_t i = 0; i < 2; i++) {
        const char *p = strstr(r->str, names[i]);
        if (p)
            n += atoll(p + strlen(names[i]));
    }
    freeReplyObject(r);
    redisFree(c);
    return n;
}

typedef struct hammer {
    int port;
    const char *key;
    double until;
    int ok, refused, other;
} hammer_t;

static void *hammer_main(void *arg)
{
    hammer_t *h = arg;
    while (e2e_now_s() < h->until) {
        http_resp_t r;
        int st = req(h->port, "GET", "/languages", h->key, NULL, &r);
        http_resp_free(&r);
        if (st == 200)
            h->ok++;
        else if (st == 429)
            h->refused++;
        else
            h->other++;
    }
    return NULL;
}

/* A busy key's tokens come from Redis a batch at a time, and its refusals
 * are remembered (api/reserve.h): two API hosts on one Redis, a key at 100
 * requests a second (a burst of 200). Within the burst, Redis runs fewer
 * scripts than there are requests. Then four threads at once, two on each
 * host, ask far faster than the limit: it holds across both hosts (answered
 * <= burst + rate x time), the batches lose little (most of that allowance
 * is answered), and not every request costs Redis a script. */
static void rate_limits_batched(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    const char *set[] = {"RATE_REQUESTS=100", NULL};
    api_t a = api_start("api-batch-a", set);
    api_t b = api_start("api-batch-b", set);
    char out[4096], key[128];
    assert_int_equal(admin_tool(out, sizeof out, "key create --name busy --scopes read"), 0);
    last_line(out, key, sizeof key);
    /* Within the burst: 120 requests, one after another, alternating hosts. */
    long long c0 = limit_script_calls();
    double b0 = e2e_now_s();
    for (int i = 0; i < 120; i++)
        assert_int_equal(status_of(i % 2 ? b.port : a.port, "GET", "/languages", key, NULL), 200);
    double per_ms = (e2e_now_s() - b0) * 1000 / 120;
    long long in_burst = limit_script_calls() - c0;
    print_message("120 requests within the burst, %.1f ms each: %lld rate-limit scripts run by Redis\n", per_ms,
                  in_burst);
    if (per_ms < 10) /* each host saw at least 2 requests a window (50 ms): batched */
        assert_true(in_burst < 120 / 2);
    else
        print_message("too slow a host to send a host 2 requests a window: not batched, nothing to show\n");
    /* Over the limit, from both hosts at once, for 2 s. */
    e2e_sleep_ms(2100); /* the bucket full again: 200 */
    hammer_t h[4];
    pthread_t th[4];
    long long c1 = limit_script_calls();
    double t0 = e2e_now_s();
    for (int i = 0; i < 4; i++) {
        h[i] = (hammer_t){.port = i % 2 ? b.port : a.port, .key = key, .until = t0 + 2.0};
        pthread_create(&th[i], NULL, hammer_main, &h[i]);
    }
    int ok = 0, refused = 0, other = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        ok += h[i].ok;
        refused += h[i].refused;
        other += h[i].other;
    }
    double t = e2e_now_s() - t0;
    long long calls = limit_script_calls() - c1;
    double allowance = 200 + 100 * t;
    print_message("over the limit for %.2f s: %d answered, %d refused (allowance %.0f); %lld scripts run\n", t, ok,
                  refused, allowance, calls);
    assert_int_equal(other, 0);
    assert_true(ok <= allowance + 1);
    if (ok + refused >= 2 * allowance) { /* the clients kept asking faster than the limit */
        assert_true(refused > 0);
        assert_true(ok >= 0.7 * allowance);
        assert_true(calls < ok + refused);
    } else {
        print_message("the host answered only %d requests in %.2f s: too slow to ask past the limit twice over\n",
                      ok + refused, t);
    }
    api_stop(&b);
    api_stop(&a);
}

/* Raw bytes to the API; the answer (malloc'd). */
static char *raw(int port, const char *bytes)
{
    int fd = http_dial(port);
    if (fd < 0)
        fail_msg("connect: %s", strerror(errno));
    http_send_all(fd, bytes, strlen(bytes));
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    ssize_t n;
    while (len + 1 < cap && (n = recv(fd, buf + len, cap - 1 - len, 0)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    close(fd);
    return buf;
}

/* What is refused before routing: HTTP/1.1 without Host, an empty body. */
static void errors_before_routing(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    const char *set[] = {"ANONYMOUS_SCOPES=submit,read", NULL};
    api_t a = api_start("api-early", set);
    char *t = raw(a.port, "GET /languages HTTP/1.1\r\n\r\n");
    assert_int_equal(strncmp(t, "HTTP/1.1 400", 12), 0);
    assert_non_null(strstr(t, "application/json"));
    assert_non_null(strstr(t, "{\"error\":\"an HTTP/1.1 request needs a Host header\"}"));
    free(t);
    t = raw(a.port, "GET /languages HTTP/1.0\r\n\r\n"); /* HTTP/1.0 needs none */
    assert_int_equal(strncmp(t, "HTTP/1.1 200", 12), 0);
    free(t);
    http_resp_t r;
    assert_int_equal(req(a.port, "POST", "/submissions", NULL, "", &r), 400);
    assert_json_error(&r);
    assert_non_null(strstr(r.body, "the body is empty"));
    http_resp_free(&r);
    api_stop(&a);
}

/* 1000 connections from one address trickling a header line a second:
 * the per-address cap refuses most at once, REQUEST_DEADLINE closes the
 * rest, and a client on another address is served all along. */
static void slow_clients(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    const char *set[] = {"ANONYMOUS_SCOPES=read", "MAX_CONNECTIONS_PER_ADDRESS=100", "REQUEST_DEADLINE=3s",
                         "RATE_REQUESTS=0", NULL};
    api_t a = api_start("api-slow", set);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < 2048 && rl.rlim_max >= 2048) {
        rl.rlim_cur = 2048;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    REQUIRE(rl.rlim_cur >= 2048, "1000 sockets need RLIMIT_NOFILE >= 2048 (it is %llu)",
            (unsigned long long)rl.rlim_cur);
    enum { N = 1000 };
    static int fds[N];
    int opened = 0;
    for (int i = 0; i < N; i++) {
        fds[i] = http_dial(a.port);
        if (fds[i] < 0)
            continue;
        opened++;
        static const char start[] = "GET /languages HTTP/1.1\r\nHost: 127.0.0.1\r\n";
        http_send_all(fds[i], start, sizeof start - 1);
        fcntl(fds[i], F_SETFL, O_NONBLOCK);
    }
    print_message("%d slow connections opened from 127.0.0.1\n", opened);
    int served = 0, rounds = 0;
    double t0 = e2e_now_s();
    while (e2e_now_s() - t0 < 10) {
        for (int i = 0; i < N; i++)
            if (fds[i] >= 0)
                send(fds[i], "X-Slow: 1\r\n", 11, MSG_NOSIGNAL);
        http_resp_t r;
        served += req_from("127.0.0.2", a.port, "GET", "/languages", NULL, NULL, &r) == 200;
        http_resp_free(&r);
        rounds++;
        e2e_sleep_ms(1000);
    }
    print_message("the client on 127.0.0.2: %d of %d requests answered 200\n", served, rounds);
    assert_int_equal(served, rounds);
    /* Every slow connection was closed by the server: refused at once
     * over the cap, or cut at the deadline. */
    int closed = 0;
    for (int i = 0; i < N; i++) {
        if (fds[i] < 0)
            continue;
        char buf[4096];
        ssize_t n;
        while ((n = recv(fds[i], buf, sizeof buf, 0)) > 0)
            ;
        closed += n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
        close(fds[i]);
    }
    print_message("%d of %d closed by the server\n", closed, opened);
    assert_int_equal(closed, opened);
    assert_true(e2e_wait_text(a.log, "(REQUEST_DEADLINE)", 1000));
    api_stop(&a);
}

/* A session's frames until one contains want (or the exit); seconds taken,
 * -1 if it never came. *queued gets whether a queued frame with its
 * position came first. */
static double session_until(int port, const char *id, const char *want, bool *queued)
{
    char path[256];
    snprintf(path, sizeof path, "/sessions/%.200s", id);
    wsc_t c;
    double t0 = e2e_now_s();
    if (wsc_open(&c, port, path, NULL, NULL) < 0 || c.status != 101)
        fail_msg("session %s: handshake %d %s", id, c.status, c.body ? c.body : "");
    if (queued)
        *queued = false;
    double took = -1;
    while (e2e_now_s() - t0 < 60) {
        int op;
        char *msg = NULL;
        size_t len;
        int got = wsc_recv(&c, 60000, &op, &msg, &len);
        if (got <= 0)
            break;
        if (queued && strstr(msg, "\"state\":\"queued\"") && strstr(msg, "\"position\":1"))
            *queued = true;
        bool done = strstr(msg, want) || strstr(msg, "\"type\":\"exit\"");
        bool hit = strstr(msg, want) != NULL;
        free(msg);
        if (hit)
            took = e2e_now_s() - t0;
        if (done)
            break;
    }
    wsc_close(&c);
    return took;
}

static void new_session(int port, const char *source, char id[37])
{
    char body[512];
    snprintf(body, sizeof body, "{\"language\":\"python\",\"source_code\":\"%s\"}", source);
    http_resp_t r;
    if (req(port, "POST", "/sessions", NULL, body, &r) != 201)
        fail_msg("POST /sessions: %d %s", r.status, r.body ? r.body : "");
    json_t *j = json_loads(r.body, 0, NULL);
    snprintf(id, 37, "%s", e2e_jstr(j, "id"));
    json_decref(j);
    http_resp_free(&r);
}

typedef struct waiter {
    int port;
    char id[37];
    double took;
    bool queued;
} waiter_t;

static void *waiter_main(void *arg)
{
    waiter_t *w = arg;
    w->took = session_until(w->port, w->id, "slow done", NULL);
    return NULL;
}

/* One session thread: sessions nobody attaches to never take it (their
 * jobs are queued at the attach), so an attached one starts at once; a
 * session waiting behind a running one is told its place. */
static void sessions_wait_for_their_socket(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    REQUIRE(geteuid() == 0, "the worker needs root");
    const char *set[] = {"ANONYMOUS_SCOPES=submit,read", NULL};
    api_t a = api_start("api-sessions", set);
    const char *wset[] = {"WORKER_COUNT=1", "SESSION_WORKERS=1", "WORKER_NAME=sessions", "SESSION_ATTACH=3s", NULL};
    char wlog[1200];
    pid_t w = worker_spawn("worker-sessions", wset, wlog, sizeof wlog);
    assert_true(e2e_wait_line(wlog, "1 session workers started (idle 30000 ms, limit 120000 ms)", 30000));
    char idle[4][37], id[37];
    for (int i = 0; i < 4; i++)
        new_session(a.port, "print(1)", idle[i]);
    new_session(a.port, "print(\\\"attached ran\\\")", id);
    double took = session_until(a.port, id, "attached ran", NULL);
    print_message("with 4 unattached sessions ahead, the attached one printed after %.1f s\n", took);
    assert_true(took >= 0);
    assert_true(took < 3 + 15); /* SESSION_ATTACH, plus generous slack for a busy host */
    for (int i = 0; i < 4; i++)
        assert_int_equal(e2e_sql_long("SELECT count(*) FROM sessions WHERE id = '%s' AND status = 'queued'", idle[i]),
                         1);
    /* Behind a running session: queued frames with the place, then its turn. */
    waiter_t slow = {.port = a.port};
    new_session(a.port, "import time\\ntime.sleep(4)\\nprint(\\\"slow done\\\")", slow.id);
    pthread_t th;
    pthread_create(&th, NULL, waiter_main, &slow);
    e2e_sleep_ms(1500);
    bool queued;
    new_session(a.port, "print(\\\"second ran\\\")", id);
    took = session_until(a.port, id, "second ran", &queued);
    pthread_join(th, NULL);
    print_message("behind a running session: queued frame %s, output after %.1f s\n", queued ? "seen" : "missing",
                  took);
    assert_true(slow.took > 0);
    assert_true(queued);
    assert_true(took > 0);
    /* MAX_SESSIONS=1: a second session is refused while the first is open,
     * and allowed once the first one's WebSocket has closed. */
    api_stop(&a);
    const char *one[] = {"MAX_SESSIONS=1", NULL};
    a = api_start("api-one-session", one);
    char out[4096], key[128];
    assert_int_equal(admin_tool(out, sizeof out, "key create --name one-session --scopes submit,read"), 0);
    last_line(out, key, sizeof key);
    const char *body = "{\"language\":\"python\",\"source_code\":\"print(\\\"only one\\\")\"}";
    http_resp_t r;
    assert_int_equal(req(a.port, "POST", "/sessions", key, body, &r), 201);
    json_t *j = json_loads(r.body, 0, NULL);
    snprintf(id, sizeof id, "%s", e2e_jstr(j, "id"));
    json_decref(j);
    http_resp_free(&r);
    assert_int_equal(status_of(a.port, "POST", "/sessions", key, body), 429);
    char path[200];
    snprintf(path, sizeof path, "%.36s?access_token=%.100s", id, key);
    assert_true(session_until(a.port, path, "only one", NULL) >= 0);
    double end = e2e_now_s() + 10;
    int st = 0;
    while (e2e_now_s() < end && (st = status_of(a.port, "POST", "/sessions", key, body)) != 201)
        e2e_sleep_ms(200);
    assert_int_equal(st, 201);
    e2e_stop(w, SIGTERM);
    api_stop(&a);
}

/* Redis stopped for 3 s in the middle of a burst: every accepted
 * submission ends judged, none internal_error. */
typedef struct burst {
    int port;
    const char *key;
    int n, accepted, refused;
    char (*ids)[37];
} burst_t;

static void *burst_main(void *arg)
{
    burst_t *b = arg;
    for (int i = 0; i < b->n; i++) {
        char id[37];
        int st = submit_as(b->port, b->key, id);
        if (st == 202)
            snprintf(b->ids[b->accepted++], 37, "%s", id);
        else
            b->refused++;
        e2e_sleep_ms(100);
    }
    return NULL;
}

static void redis_blip(void **state)
{
    (void)state;
    PIPE_REQUIRE();
    REQUIRE(geteuid() == 0, "the worker needs root");
    const char *set[] = {"ANONYMOUS_SCOPES=submit,read", NULL};
    api_t a = api_start("api-blip", set);
    const char *wset[] = {"WORKER_COUNT=2", "WORKER_NAME=blip", "RECLAIM_IDLE=2s", NULL};
    char wlog[1200];
    pid_t w = worker_spawn("worker-blip", wset, wlog, sizeof wlog);
    assert_true(e2e_wait_line(wlog, "2 workers started", 30000));
    enum { N = 60 };
    static char ids[N][37];
    burst_t b = {.port = a.port, .n = N, .ids = ids};
    pthread_t th;
    pthread_create(&th, NULL, burst_main, &b);
    e2e_sleep_ms(1500);
    kill(E.redis_pid, SIGTERM);
    for (int i = 0; i < 500 && kill(E.redis_pid, 0) == 0; i++) {
        char p[64];
        snprintf(p, sizeof p, "/proc/%d/stat", (int)E.redis_pid);
        char *t = e2e_read_file(p);
        char *rp = strrchr(t, ')');
        bool zombie = rp && rp[1] == ' ' && rp[2] == 'Z';
        free(t);
        if (zombie)
            break;
        e2e_sleep_ms(10);
    }
    e2e_reap(E.redis_pid, 100); /* ours after a first restart; else run.sh's */
    e2e_sleep_ms(3000);
    char port[16], logf[1200];
    snprintf(port, sizeof port, "%d", E.redis_port);
    snprintf(logf, sizeof logf, "%s/redis.log", E.redis_dir);
    const char *rargv[] = {"redis-server", "--port", port, "--bind", "127.0.0.1", "--daemonize", "no", "--dir",
                           E.redis_dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--logfile",
                           logf, NULL};
    char rlog[1200];
    E.redis_pid = e2e_spawn("redis", rargv, NULL, rlog, sizeof rlog);
    pthread_join(th, NULL);
    print_message("burst: %d accepted, %d refused\n", b.accepted, b.refused);
    assert_int_equal(b.refused, 0); /* the rows are safe in Postgres: each is accepted */
    char list[N * 40 + 8] = "";
    size_t used = 0;
    for (int i = 0; i < b.accepted; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s'%s'", i ? "," : "", ids[i]);
    double end = e2e_now_s() + 180;
    long final = 0;
    while (e2e_now_s() < end) {
        final = e2e_sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status NOT IN ('queued', 'running')",
                             list);
        if (final == b.accepted)
            break;
        e2e_sleep_ms(250);
    }
    assert_int_equal(final, b.accepted);
    assert_int_equal(e2e_sql_long("SELECT count(*) FROM submissions WHERE id IN (%s) AND status = 'passed'", list),
                     b.accepted);
    assert_true(e2e_wait_text(a.log, "enqueue failed", 1000)); /* the outage did happen mid-burst */
    e2e_stop(w, SIGTERM);
    api_stop(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(admin_tool_keys, stop_leftovers),
        cmocka_unit_test_teardown(keys_and_scopes, stop_leftovers),
        cmocka_unit_test_teardown(anonymous_scopes, stop_leftovers),
        cmocka_unit_test_teardown(rate_limits, stop_leftovers),
        cmocka_unit_test_teardown(rate_limits_batched, stop_leftovers),
        cmocka_unit_test_teardown(errors_before_routing, stop_leftovers),
        cmocka_unit_test_teardown(slow_clients, stop_leftovers),
        cmocka_unit_test_teardown(sessions_wait_for_their_socket, stop_leftovers),
        cmocka_unit_test_teardown(redis_blip, stop_leftovers),
    };
    return cmocka_run_group_tests_name("access", tests, group_setup, group_teardown);
}
