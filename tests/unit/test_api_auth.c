/* Unit tests of access control's pure parts (issue #13): the scope table,
 * the Authorization header, the key routes, which scope each route needs,
 * POST /keys bodies, new keys, the access settings, and the token
 * reserves of busy clients. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api/auth.h"
#include "api/reserve.h"
#include "common/hash.h"
#include "core/scope.h"
#include "service/config.h"

static void scope_table(void **state)
{
    (void)state;
    unsigned m;
    char bad[160], text[CORE_SCOPES_TEXT_MAX];
    assert_int_equal(core_scopes_parse("", &m, bad, sizeof bad), 0);
    assert_int_equal(m, 0);
    assert_int_equal(core_scopes_parse(NULL, &m, bad, sizeof bad), 0);
    assert_int_equal(core_scopes_parse("read, submit", &m, bad, sizeof bad), 0);
    assert_int_equal(m, CORE_SCOPE_READ | CORE_SCOPE_SUBMIT);
    core_scopes_format(m, text);
    assert_string_equal(text, "submit,read"); /* the table's order */
    assert_int_equal(core_scopes_parse("submit,read,admin", &m, bad, sizeof bad), 0);
    core_scopes_format(m, text);
    assert_string_equal(text, "submit,read,admin");
    core_scopes_format(0, text);
    assert_string_equal(text, "");
    assert_int_equal(core_scopes_parse("read,root", &m, bad, sizeof bad), -1);
    assert_non_null(strstr(bad, "unknown scope 'root'"));
    assert_int_equal(core_scopes_parse("read,read", &m, bad, sizeof bad), -1);
    assert_non_null(strstr(bad, "repeated scope 'read'"));
    assert_int_equal(core_scopes_parse("reader", &m, bad, sizeof bad), -1);
    assert_int_equal(core_scopes_parse("Read", &m, bad, sizeof bad), -1);
}

static void bearer_header(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(api_auth_bearer(NULL, out, sizeof out), 0);
    assert_int_equal(api_auth_bearer("Bearer nsj_abc", out, sizeof out), 1);
    assert_string_equal(out, "nsj_abc");
    assert_int_equal(api_auth_bearer("bearer   nsj_abc  ", out, sizeof out), 1);
    assert_string_equal(out, "nsj_abc");
    assert_int_equal(api_auth_bearer("Basic dXNlcjpwYXNz", out, sizeof out), -1);
    assert_int_equal(api_auth_bearer("Bearer", out, sizeof out), -1);
    assert_int_equal(api_auth_bearer("Bearer ", out, sizeof out), -1);
    assert_int_equal(api_auth_bearer("Bearer a b", out, sizeof out), -1);
    char longkey[200];
    memset(longkey, 'x', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    char h[220];
    snprintf(h, sizeof h, "Bearer %s", longkey);
    assert_int_equal(api_auth_bearer(h, out, sizeof out), -1); /* too long for out */
}

static void key_routes_and_scopes(void **state)
{
    (void)state;
    char id[37];
    assert_int_equal(api_keys_route_match("/keys", id), API_KEYS_ALL);
    assert_int_equal(api_keys_route_match("/keys/0b9a4c1e-8f3d-4a6b-9c2d-1e5f7a8b9c0d", id), API_KEYS_ONE);
    assert_string_equal(id, "0b9a4c1e-8f3d-4a6b-9c2d-1e5f7a8b9c0d");
    assert_int_equal(api_keys_route_match("/keys/", id), API_KEYS_NONE);
    assert_int_equal(api_keys_route_match("/keys/not-a-uuid", id), API_KEYS_NONE);
    assert_int_equal(api_keys_route_match("/keys/0b9a4c1e-8f3d-4a6b-9c2d-1e5f7a8b9c0dx", id), API_KEYS_NONE);
    assert_int_equal(api_keys_route_match("/keysx", id), API_KEYS_NONE);
    assert_int_equal(api_keys_route_match("/keys/0b9a4c1e-8f3d-4a6b-9c2d-1e5f7a8b9c0d/callback-secret", id),
                     API_KEYS_CALLBACK_SECRET);
    assert_string_equal(id, "0b9a4c1e-8f3d-4a6b-9c2d-1e5f7a8b9c0d");
    assert_int_equal(api_keys_route_match("/keys/0b9a4c1e-8f3d-4a6b-9c2d-1e5f7a8b9c0d/callback", id), API_KEYS_NONE);
    assert_int_equal(api_keys_route_match("/keys/not-a-uuid-not-a-uuid-not-a-uuid-xx/callback-secret", id),
                     API_KEYS_NONE);
    assert_true(api_keys_route_allows(API_KEYS_CALLBACK_SECRET, "POST"));
    assert_false(api_keys_route_allows(API_KEYS_CALLBACK_SECRET, "GET"));
    assert_string_equal(api_keys_route_allow(API_KEYS_CALLBACK_SECRET), "POST");
    assert_true(api_keys_route_allows(API_KEYS_ALL, "GET"));
    assert_true(api_keys_route_allows(API_KEYS_ALL, "POST"));
    assert_false(api_keys_route_allows(API_KEYS_ALL, "DELETE"));
    assert_true(api_keys_route_allows(API_KEYS_ONE, "DELETE"));
    assert_false(api_keys_route_allows(API_KEYS_ONE, "GET"));
    /* Which scope each route needs. */
    assert_int_equal(api_auth_required(API_ROUTE_SUBMISSIONS, API_LIVE_NONE, API_KEYS_NONE, "POST"), CORE_SCOPE_SUBMIT);
    assert_int_equal(api_auth_required(API_ROUTE_SUBMISSION, API_LIVE_NONE, API_KEYS_NONE, "GET"), CORE_SCOPE_READ);
    assert_int_equal(api_auth_required(API_ROUTE_TEST_STDOUT, API_LIVE_NONE, API_KEYS_NONE, "GET"), CORE_SCOPE_READ);
    assert_int_equal(api_auth_required(API_ROUTE_QUESTION, API_LIVE_NONE, API_KEYS_NONE, "GET"), CORE_SCOPE_READ);
    assert_int_equal(api_auth_required(API_ROUTE_QUESTIONS, API_LIVE_NONE, API_KEYS_NONE, "POST"), CORE_SCOPE_ADMIN);
    assert_int_equal(api_auth_required(API_ROUTE_QUESTION_TESTS, API_LIVE_NONE, API_KEYS_NONE, "PUT"),
                     CORE_SCOPE_ADMIN);
    assert_int_equal(api_auth_required(API_ROUTE_TEST_INPUT, API_LIVE_NONE, API_KEYS_NONE, "GET"), CORE_SCOPE_ADMIN);
    assert_int_equal(api_auth_required(API_ROUTE_TEST_ANSWER, API_LIVE_NONE, API_KEYS_NONE, "GET"), CORE_SCOPE_ADMIN);
    assert_int_equal(api_auth_required(API_ROUTE_LANGUAGES, API_LIVE_NONE, API_KEYS_NONE, "GET"), 0);
    assert_int_equal(api_auth_required(API_ROUTE_HEALTHZ, API_LIVE_NONE, API_KEYS_NONE, "GET"), 0);
    assert_int_equal(api_auth_required(API_ROUTE_NONE, API_LIVE_EVENTS, API_KEYS_NONE, "GET"), CORE_SCOPE_READ);
    assert_int_equal(api_auth_required(API_ROUTE_NONE, API_LIVE_SESSIONS, API_KEYS_NONE, "POST"), CORE_SCOPE_SUBMIT);
    assert_int_equal(api_auth_required(API_ROUTE_NONE, API_LIVE_SESSION, API_KEYS_NONE, "GET"), CORE_SCOPE_SUBMIT);
    assert_int_equal(api_auth_required(API_ROUTE_NONE, API_LIVE_STATIC, API_KEYS_NONE, "GET"), 0);
    assert_int_equal(api_auth_required(API_ROUTE_NONE, API_LIVE_NONE, API_KEYS_ALL, "GET"), CORE_SCOPE_ADMIN);
    /* admin holds every scope; the others only their own. */
    assert_true(api_auth_allows(CORE_SCOPE_ADMIN, CORE_SCOPE_SUBMIT));
    assert_true(api_auth_allows(CORE_SCOPE_READ, CORE_SCOPE_READ));
    assert_false(api_auth_allows(CORE_SCOPE_READ, CORE_SCOPE_SUBMIT));
    assert_false(api_auth_allows(0, CORE_SCOPE_READ));
    assert_true(api_auth_allows(0, 0));
}

static void key_requests(void **state)
{
    (void)state;
    char name[201];
    unsigned m;
    api_error_t e;
#define OK(body) api_parse_key_request(body, strlen(body), name, &m, &e)
    assert_int_equal(OK("{\"name\":\"ta\",\"scopes\":[\"submit\",\"read\"]}"), 0);
    assert_string_equal(name, "ta");
    assert_int_equal(m, CORE_SCOPE_SUBMIT | CORE_SCOPE_READ);
    assert_int_equal(OK("{\"name\":\"ta\",\"scopes\":\"admin\"}"), 0);
    assert_int_equal(m, CORE_SCOPE_ADMIN);
    static const char *const bad[] = {
        "", "[]", "{\"scopes\":[\"read\"]}", "{\"name\":\"\",\"scopes\":[\"read\"]}", "{\"name\":\"x\"}",
        "{\"name\":\"x\",\"scopes\":[]}", "{\"name\":\"x\",\"scopes\":[\"root\"]}", "{\"name\":\"x\",\"scopes\":[1]}",
        "{\"name\":\"x\",\"scopes\":[\"read\"],\"secret\":\"mine\"}", "{\"name\":\"x\",\"name\":\"y\",\"scopes\":\"read\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        e.status = 0;
        if (OK(bad[i]) != -1 || e.status != 400)
            fail_msg("accepted or not 400: %s", bad[i]);
    }
#undef OK
}

static void new_keys(void **state)
{
    (void)state;
    char a[API_KEY_SECRET_LEN + 1], b[API_KEY_SECRET_LEN + 1], sha[65], sha2[65], prefix[API_KEY_PREFIX_LEN + 1];
    assert_int_equal(api_key_generate(a, sha, prefix), 0);
    assert_int_equal(strlen(a), API_KEY_SECRET_LEN);
    assert_int_equal(strncmp(a, "nsj_", 4), 0);
    assert_int_equal(strspn(a + 4, "0123456789abcdef"), API_KEY_SECRET_LEN - 4);
    assert_int_equal(strncmp(prefix, a, API_KEY_PREFIX_LEN), 0);
    assert_int_equal(hash_sha256_hex(a, strlen(a), sha2), 0);
    assert_string_equal(sha, sha2); /* what is stored is the secret's SHA-256 */
    assert_int_equal(api_key_generate(b, sha2, prefix), 0);
    assert_string_not_equal(a, b);
}

static const char *const *env_table;

static const char *fake_getenv(const char *name)
{
    for (const char *const *e = env_table; e && *e; e += 2)
        if (strcmp(e[0], name) == 0)
            return e[1];
    return NULL;
}

static void access_settings(void **state)
{
    (void)state;
    api_config_t c;
    nsj_error_t err;
    env_table = NULL;
    assert_int_equal(config_api_load(&c, fake_getenv, &err), 0);
    assert_int_equal(c.anonymous_scopes, 0); /* nothing without a key by default */
    assert_int_equal(c.rate_requests, 200);
    assert_int_equal(c.rate_submissions, 600);
    assert_int_equal(c.max_queued, 1000);
    assert_int_equal(c.max_sessions, 8);
    assert_int_equal(c.max_streams, 32);
    assert_int_equal(c.request_deadline_ms, 30000);
    assert_int_equal(c.max_per_address, 256);
    const char *const env[] = {"ANONYMOUS_SCOPES", "submit,read", "RATE_REQUESTS", "0", "REQUEST_DEADLINE", "500ms",
                               NULL};
    env_table = env;
    assert_int_equal(config_api_load(&c, fake_getenv, &err), 0);
    assert_int_equal(c.anonymous_scopes, CORE_SCOPE_SUBMIT | CORE_SCOPE_READ);
    assert_int_equal(c.rate_requests, 0);
    assert_int_equal(c.request_deadline_ms, 500);
    static const char *const bad[][2] = {{"ANONYMOUS_SCOPES", "everything"}, {"RATE_REQUESTS", "-1"},
                                         {"MAX_STREAMS", "x"}, {"REQUEST_DEADLINE", "2h"},
                                         {"MAX_CONNECTIONS_PER_ADDRESS", "1e9"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *const e2[] = {bad[i][0], bad[i][1], NULL};
        env_table = e2;
        assert_int_equal(config_api_load(&c, fake_getenv, &err), -1);
        if (!strstr(err.msg, bad[i][0]))
            fail_msg("%s=%s: error '%s'", bad[i][0], bad[i][1], err.msg);
    }
}

/* Token reserves (api/reserve.h): batches sized by the client's demand,
 * spent locally within their window, refusals remembered. */
static void token_reserves(void **state)
{
    (void)state;
    assert_int_equal(api_reserve_cap(5), 1);      /* 5/s: no batches */
    assert_int_equal(api_reserve_cap(39.9), 1);
    assert_int_equal(api_reserve_cap(100), 5);    /* 5% of a second */
    assert_int_equal(api_reserve_cap(1e6), API_RESERVE_BATCH_MAX);
    assert_int_equal(api_reserve_cap(0), 1);
    api_reserve_t *r = api_reserve_new();
    assert_non_null(r);
    unsigned want;
    uint64_t retry, t = 1000000;
    size_t which;
    /* A new client asks for one; a client that asks once a window stays at one. */
    assert_int_equal(api_reserve_take(r, "k:a", 5, t, &want, &retry, &which), API_RESERVE_ASK);
    assert_int_equal(want, 1);
    api_reserve_put(r, "k:a", 1, t);
    for (int i = 1; i < 5; i++) {
        t += API_RESERVE_WINDOW_MS;
        assert_int_equal(api_reserve_take(r, "k:a", 5, t, &want, &retry, &which), API_RESERVE_ASK);
        assert_int_equal(want, 1);
        api_reserve_put(r, "k:a", want, t);
    }
    /* A burst: each ask wants what the window has seen, up to the cap. */
    t += 10 * API_RESERVE_WINDOW_MS;
    unsigned asked = 0, spent = 0;
    for (int i = 0; i < 20; i++) {
        api_reserve_outcome_t o = api_reserve_take(r, "k:b", 5, t + (uint64_t)i, &want, &retry, &which);
        if (o == API_RESERVE_ASK) {
            assert_in_range(want, 1, 5);
            api_reserve_put(r, "k:b", want, t + (uint64_t)i); /* Redis gave all it was asked for */
            asked++;
        } else {
            assert_int_equal(o, API_RESERVE_SPENT);
            spent++;
        }
    }
    assert_int_equal(asked + spent, 20);
    assert_int_equal(asked, 6); /* for 1, 2, 4, then 5 at a time (2 left, until t + 17 + the window) */
    /* Within the batch's window its rest is spent; after it, not: the
     * last window's demand sizes the next batch at once. */
    assert_int_equal(api_reserve_take(r, "k:b", 5, t + 17 + API_RESERVE_WINDOW_MS - 1, &want, &retry, &which),
                     API_RESERVE_SPENT);
    uint64_t t2 = t + 17 + API_RESERVE_WINDOW_MS;
    assert_int_equal(api_reserve_take(r, "k:b", 5, t2, &want, &retry, &which), API_RESERVE_ASK);
    assert_int_equal(want, 5);
    /* Redis gave fewer than asked: only those are spent. */
    api_reserve_put(r, "k:b", 2, t2);
    assert_int_equal(api_reserve_take(r, "k:b", 5, t2 + 1, &want, &retry, &which), API_RESERVE_SPENT);
    assert_int_equal(api_reserve_take(r, "k:b", 5, t2 + 2, &want, &retry, &which), API_RESERVE_ASK);
    /* Refused: refused here until Redis's time, then asked again. */
    api_reserve_refused(r, "k:b", 40, 1, t2 + 2);
    assert_int_equal(api_reserve_take(r, "k:b", 5, t2 + 12, &want, &retry, &which), API_RESERVE_REFUSED);
    assert_int_equal(retry, 30);
    assert_int_equal(which, 1);
    assert_int_equal(api_reserve_take(r, "k:b", 5, t2 + 42, &want, &retry, &which), API_RESERVE_ASK);
    /* Another client is apart; a cap of one never batches. */
    assert_int_equal(api_reserve_take(r, "k:c", 1, t2, &want, &retry, &which), API_RESERVE_ASK);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(api_reserve_take(r, "k:c", 1, t2 + 1, &want, &retry, &which), API_RESERVE_ASK);
        assert_int_equal(want, 1);
    }
    api_reserve_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scope_table),     cmocka_unit_test(bearer_header), cmocka_unit_test(key_routes_and_scopes),
        cmocka_unit_test(key_requests),    cmocka_unit_test(new_keys),      cmocka_unit_test(access_settings),
        cmocka_unit_test(token_reserves),
    };
    return cmocka_run_group_tests_name("api_auth", tests, NULL, NULL);
}
