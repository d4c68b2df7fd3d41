/* Unit tests: the live routes' pure parts (src/api/live.c): routing,
 * static file names, the WebSocket handshake checks, the origin policy,
 * POST /sessions, client messages, SSE framing; plus random input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api/live.h"

#define ID "0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01"
#define KEY "dGhlIHNhbXBsZSBub25jZQ=="

static language_table_t langs;
static const api_limits_t lim = {.source_max = 100, .max_tests = 3};

static int setup(void **state)
{
    (void)state;
    nsj_error_t err;
    const char *text = "[python]\naliases = py python3\nversion = 3\nrootfs = python\nsource = main.py\n"
                       "run = /usr/bin/python3 /code/main.py\nsession_env = PYTHONUNBUFFERED=1\n";
    return languages_parse(text, "test.conf", &langs, &err);
}

static int teardown(void **state)
{
    (void)state;
    languages_free(&langs);
    return 0;
}

static void routes(void **state)
{
    (void)state;
    char id[37], file[256];
    assert_int_equal(api_live_route_match("/submissions/" ID "/events", id, file, sizeof file), API_LIVE_EVENTS);
    assert_string_equal(id, ID);
    assert_int_equal(api_live_route_match("/submissions/0B6F3A5E-8A40-4C1E-9A43-2F1F7C3D9E01/events", id, file,
                                          sizeof file),
                     API_LIVE_EVENTS);
    assert_string_equal(id, ID); /* lower case, as Postgres prints it */
    assert_int_equal(api_live_route_match("/sessions", id, file, sizeof file), API_LIVE_SESSIONS);
    assert_int_equal(api_live_route_match("/sessions/" ID, id, file, sizeof file), API_LIVE_SESSION);
    assert_string_equal(id, ID);
    assert_int_equal(api_live_route_match("/", id, file, sizeof file), API_LIVE_STATIC);
    assert_string_equal(file, "index.html");
    assert_int_equal(api_live_route_match("/app.js", id, file, sizeof file), API_LIVE_STATIC);
    assert_string_equal(file, "app.js");
    assert_int_equal(api_live_route_match("/vendor/x-1.2/editor.min.js", id, file, sizeof file), API_LIVE_STATIC);
    static const char *const none[] = {
        "/submissions/" ID "/event", "/submissions/" ID "/events/", "/submissions/123/events",
        "/sessions/", "/sessions/123", "/sessions/" ID "/x", "/sessionsx", "/submissions/" ID,
        "/questions/x.html", "/languages/x", "/healthz/", "/../etc/passwd", "/a/../b", "/.env", "/a/.git/config",
        "/a//b", "/dir/", "/a b", "/a%20b", "/%2e%2e/x", "/a\\b", "/ü.html", "//x", "x",
        "/1/2/3/4/5/6/7.js",
    };
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        api_live_route_t r = api_live_route_match(none[i], id, file, sizeof file);
        if (r != API_LIVE_NONE)
            fail_msg("'%s' matched route %d", none[i], r);
    }
    char tiny[4];
    assert_int_equal(api_live_route_match("/index.html", id, tiny, sizeof tiny), API_LIVE_NONE);
    assert_true(api_live_route_allows(API_LIVE_EVENTS, "GET"));
    assert_false(api_live_route_allows(API_LIVE_EVENTS, "HEAD"));
    assert_true(api_live_route_allows(API_LIVE_SESSIONS, "POST"));
    assert_false(api_live_route_allows(API_LIVE_SESSIONS, "GET"));
    assert_true(api_live_route_allows(API_LIVE_SESSION, "GET"));
    assert_true(api_live_route_allows(API_LIVE_STATIC, "HEAD"));
    assert_false(api_live_route_allows(API_LIVE_STATIC, "POST"));
    assert_false(api_live_route_allows(API_LIVE_NONE, "GET"));
    assert_string_equal(api_live_route_allow(API_LIVE_STATIC), "GET, HEAD");
}

static void static_types(void **state)
{
    (void)state;
    assert_string_equal(api_static_type("index.html"), "text/html; charset=utf-8");
    assert_string_equal(api_static_type("app.js"), "text/javascript; charset=utf-8");
    assert_string_equal(api_static_type("a/b/STYLE.CSS"), "text/css; charset=utf-8");
    assert_string_equal(api_static_type("x.svg"), "image/svg+xml");
    assert_string_equal(api_static_type("README"), "application/octet-stream");
    assert_string_equal(api_static_type("x.exe"), "application/octet-stream");
    assert_true(api_static_name_ok("index.html"));
    assert_true(api_static_name_ok("vendor/a_b-c.1.js"));
    assert_false(api_static_name_ok(""));
    assert_false(api_static_name_ok(".."));
    assert_false(api_static_name_ok("a/.."));
    assert_false(api_static_name_ok("a/"));
    assert_false(api_static_name_ok("/a"));
}

static void handshake(void **state)
{
    (void)state;
    api_error_t e;
    assert_int_equal(api_ws_check("GET", "websocket", "Upgrade", "13", KEY, &e), 0);
    assert_int_equal(api_ws_check("GET", "WebSocket", "keep-alive, Upgrade", "13", KEY, &e), 0);
    assert_int_equal(api_ws_check("GET", "h2c, websocket", "upgrade,keep-alive", "13", KEY, &e), 0);
    static const struct {
        const char *method, *upgrade, *connection, *version, *key;
        unsigned status;
    } bad[] = {
        {"POST", "websocket", "Upgrade", "13", KEY, 400},
        {"GET", NULL, "Upgrade", "13", KEY, 426},
        {"GET", "h2c", "Upgrade", "13", KEY, 426},
        {"GET", "websocketx", "Upgrade", "13", KEY, 426},
        {"GET", "websocket", NULL, "13", KEY, 400},
        {"GET", "websocket", "keep-alive", "13", KEY, 400},
        {"GET", "websocket", "Upgraded", "13", KEY, 400},
        {"GET", "websocket", "Upgrade", NULL, KEY, 426},
        {"GET", "websocket", "Upgrade", "8", KEY, 426},
        {"GET", "websocket", "Upgrade", "13 ", KEY, 426},
        {"GET", "websocket", "Upgrade", "13", NULL, 400},
        {"GET", "websocket", "Upgrade", "13", "short", 400},
        {"GET", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ=!", 400},
        {"GET", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZR==", 400}, /* stray bits before the padding */
        {"GET", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25j*Q==", 400},
        {"GET", "websocket", "Upgrade", "13", KEY "x", 400},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = api_ws_check(bad[i].method, bad[i].upgrade, bad[i].connection, bad[i].version, bad[i].key, &e);
        if (rc != -1 || e.status != bad[i].status)
            fail_msg("case %zu: rc %d status %u (%s), want %u", i, rc, e.status, e.msg, bad[i].status);
        assert_true(e.msg[0] != '\0');
    }
}

static void origins(void **state)
{
    (void)state;
    assert_true(api_origin_allowed(NULL, "127.0.0.1:8080", ""));     /* not a browser */
    assert_true(api_origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080", ""));
    assert_true(api_origin_allowed("https://Judge.Example", "judge.example", ""));
    assert_false(api_origin_allowed("http://127.0.0.1:8081", "127.0.0.1:8080", ""));
    assert_false(api_origin_allowed("http://evil.example", "judge.example", ""));
    assert_false(api_origin_allowed("http://judge.example.evil", "judge.example", ""));
    assert_false(api_origin_allowed("null", "judge.example", ""));
    assert_false(api_origin_allowed("ftp://judge.example", "judge.example", ""));
    assert_false(api_origin_allowed("http://judge.example", NULL, ""));
    assert_true(api_origin_allowed("null", "x", "*"));
    const char *list = "https://ide.example, http://localhost:3000";
    assert_true(api_origin_allowed("https://ide.example", "api.example", list));
    assert_true(api_origin_allowed("http://localhost:3000", "api.example", list));
    assert_false(api_origin_allowed("https://ide.example.evil", "api.example", list));
    assert_false(api_origin_allowed("https://api.example", "api.example", list)); /* a list replaces same-origin */
    assert_false(api_origin_allowed("http://localhost:300", "api.example", list));
}

static void sessions(void **state)
{
    (void)state;
    api_session_req_t r;
    api_error_t e;
    const char *ok = "{\"language\":\"py\",\"source_code\":\"print(1)\"}";
    assert_int_equal(api_parse_session(ok, strlen(ok), &lim, &langs, &r, &e), 0);
    assert_string_equal(r.language, "python"); /* the alias resolved */
    assert_string_equal(r.source, "print(1)");
    api_session_req_free(&r);
    static const struct {
        const char *body;
        unsigned status;
        const char *needle;
    } bad[] = {
        {"", 400, "invalid JSON"},
        {"[]", 400, "object"},
        {"{\"language\":\"python\"}", 400, "source_code"},
        {"{\"source_code\":\"x\"}", 400, "language"},
        {"{\"language\":1,\"source_code\":\"x\"}", 400, "language"},
        {"{\"language\":\"cobol\",\"source_code\":\"x\"}", 400, "unknown language"},
        {"{\"language\":\"python\",\"source_code\":[]}", 400, "source_code"},
        {"{\"language\":\"python\",\"source_code\":\" \\n\"}", 400, "empty"},
        {"{\"language\":\"python\",\"source_code\":\"x\",\"stdin\":\"\"}", 400, "unknown field 'stdin'"},
        {"{\"language\":\"python\",\"language\":\"python\",\"source_code\":\"x\"}", 400, "invalid JSON"},
        {"{\"language\":\"python\",\"source_code\":\"x\\u0000\"}", 400, "\\u0000"},
        {"{\"language\":\"python\",\"source_code\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}", 413, "limit"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = api_parse_session(bad[i].body, strlen(bad[i].body), &lim, &langs, &r, &e);
        if (rc != -1 || e.status != bad[i].status || !strstr(e.msg, bad[i].needle))
            fail_msg("case %zu: rc %d status %u '%s', want %u '%s'", i, rc, e.status, e.msg, bad[i].status,
                     bad[i].needle);
        assert_null(r.source);
    }
}

static void client_messages(void **state)
{
    (void)state;
    api_client_msg_t m;
    char why[120];
    const char *in = "{\"type\":\"input\",\"data\":\"a\\u0000b\\n\"}";
    assert_int_equal(api_parse_client_message(in, strlen(in), &m, why, sizeof why), 0);
    assert_int_equal(m.type, API_CLIENT_INPUT);
    assert_int_equal(m.len, 4);
    assert_memory_equal(m.data, "a\0b\n", 4);
    api_client_msg_free(&m);
    assert_int_equal(api_parse_client_message("{\"type\":\"eof\"}", 14, &m, why, sizeof why), 0);
    assert_int_equal(m.type, API_CLIENT_EOF);
    api_client_msg_free(&m);
    static const char *const bad[] = {
        "", "hello", "[]", "\"input\"", "{}", "{\"type\":1}", "{\"type\":\"shout\"}", "{\"type\":\"input\"}",
        "{\"type\":\"input\",\"data\":5}", "{\"type\":\"input\",\"data\":\"x\",\"more\":1}",
        "{\"type\":\"eof\",\"data\":\"x\"}", "{\"type\":\"input\",\"type\":\"input\",\"data\":\"x\"}",
        "{\"type\":\"input\",\"data\":\"x\"} trailing",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        if (api_parse_client_message(bad[i], strlen(bad[i]), &m, why, sizeof why) != -1)
            fail_msg("'%s' accepted", bad[i]);
        assert_true(why[0] != '\0' && strlen(why) < 120);
        assert_null(m.data);
    }
}

static void sse_framing(void **state)
{
    (void)state;
    size_t n;
    char *s = api_sse_event("17-0", "status", "{\"status\":\"queued\"}", 19, &n);
    assert_string_equal(s, "id: 17-0\nevent: status\ndata: {\"status\":\"queued\"}\n\n");
    assert_int_equal(n, strlen(s));
    free(s);
    s = api_sse_event(NULL, NULL, "a\nb\r\nc\rd", 8, &n);
    assert_string_equal(s, "data: a\ndata: b\ndata: c\ndata: d\n\n");
    free(s);
    s = api_sse_event("1-1", NULL, "", 0, &n);
    assert_string_equal(s, "id: 1-1\ndata: \n\n");
    free(s);
    s = api_sse_event(NULL, "x", "\n\n", 2, &n);
    assert_string_equal(s, "event: x\ndata: \ndata: \ndata: \n\n");
    assert_int_equal(n, strlen(s));
    free(s);
}

/* Random bytes through every parser: no crash, and a frame never ends
 * early (no blank line inside an event). */
static void random_input(void **state)
{
    (void)state;
    srand(66);
    for (int round = 0; round < 20000; round++) {
        char buf[80];
        size_t n = (size_t)(rand() % 79);
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)(rand() % 3 ? "{}\":,[]typeinputdataeof\\\n\r ./"[rand() % 29] : 1 + rand() % 255);
        buf[n] = '\0';
        api_client_msg_t m;
        char why[120];
        if (api_parse_client_message(buf, n, &m, why, sizeof why) == 0)
            api_client_msg_free(&m);
        api_session_req_t r;
        api_error_t e;
        if (api_parse_session(buf, n, &lim, &langs, &r, &e) == 0)
            api_session_req_free(&r);
        char id[37], file[256];
        (void)api_live_route_match(buf, id, file, sizeof file);
        (void)api_ws_check("GET", buf, buf, buf, buf, &e);
        (void)api_origin_allowed(buf, buf, buf);
        size_t len;
        char *ev = api_sse_event("1-1", "e", buf, n, &len);
        assert_non_null(ev);
        assert_int_equal(len, strlen(ev));
        char *blank = strstr(ev, "\n\n");
        assert_true(blank == ev + len - 2);
        free(ev);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(routes),  cmocka_unit_test(static_types),    cmocka_unit_test(handshake),
        cmocka_unit_test(origins), cmocka_unit_test(sessions),        cmocka_unit_test(client_messages),
        cmocka_unit_test(sse_framing), cmocka_unit_test(random_input),
    };
    return cmocka_run_group_tests_name("api_live", tests, setup, teardown);
}
