/* Unit tests: the live messages (src/queue/live_msg.c): session jobs,
 * what a session's client reads, progress events, UTF-8 cut points,
 * stream entry ids; plus random input that must never crash. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "queue/live_msg.h"

#define SID "0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01"

static json_t *parse(const char *s)
{
    json_t *j = json_loads(s, JSON_ALLOW_NUL, NULL);
    assert_non_null(j);
    return j;
}

static void keys(void **state)
{
    (void)state;
    char k[LIVE_KEY_MAX];
    live_events_key(SID, k);
    assert_string_equal(k, "codesce:events:" SID);
    live_session_key(SID, true, k);
    assert_string_equal(k, "codesce:session:" SID ":in");
    live_session_key(SID, false, k);
    assert_string_equal(k, "codesce:session:" SID ":out");
}

static void jobs(void **state)
{
    (void)state;
    live_job_t j = {.session_id = SID, .language = "python", .source = "print('hé')\n", .source_len = 13};
    size_t len;
    char *enc = live_job_encode(&j, &len);
    assert_non_null(enc);
    assert_int_equal(len, strlen(enc));
    live_job_t back;
    nsj_error_t err;
    assert_int_equal(live_job_parse(enc, len, &back, &err), 0);
    assert_string_equal(back.session_id, SID);
    assert_string_equal(back.language, "python");
    assert_string_equal(back.source, "print('hé')\n");
    assert_int_equal(back.source_len, 13);
    live_job_free(&back);
    free(enc);

    static const struct {
        const char *json, *why;
        int id_kept;
    } bad[] = {
        {"nonsense", "invalid JSON", 0},
        {"[1]", "not a JSON object", 0},
        {"{\"language\":\"python\",\"source_code\":\"x\"}", "session_id", 0},
        {"{\"session_id\":\"abc\",\"language\":\"python\",\"source_code\":\"x\"}", "session_id", 0},
        {"{\"session_id\":\"" SID "\",\"source_code\":\"x\"}", "language", 1},
        {"{\"session_id\":\"" SID "\",\"language\":\"py thon\",\"source_code\":\"x\"}", "language", 1},
        {"{\"session_id\":\"" SID "\",\"language\":\"python\"}", "source_code", 1},
        {"{\"session_id\":\"" SID "\",\"language\":\"python\",\"source_code\":7}", "source_code", 1},
        {"{\"session_id\":\"" SID "\",\"language\":\"python\",\"source_code\":\"a\\u0000b\"}", "invalid JSON", 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        live_job_t out;
        assert_int_equal(live_job_parse(bad[i].json, strlen(bad[i].json), &out, &err), -1);
        if (!strstr(err.msg, bad[i].why))
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].why);
        /* The id, when it alone is valid, names the session to end. */
        assert_int_equal(out.session_id[0] != '\0', bad[i].id_kept);
        live_job_free(&out);
    }
}

static void client_messages(void **state)
{
    (void)state;
    char *m = live_msg_output(false, "hi\n", 3);
    json_t *j = parse(m);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "stdout");
    assert_string_equal(json_string_value(json_object_get(j, "data")), "hi\n");
    json_decref(j);
    free(m);
    /* Bytes that are not UTF-8 become U+FFFD; NUL survives as \u0000. */
    m = live_msg_output(true, "a\xff" "b\0c", 5);
    j = parse(m);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "stderr");
    const json_t *d = json_object_get(j, "data");
    assert_int_equal(json_string_length(d), 7);
    assert_memory_equal(json_string_value(d), "a\xEF\xBF\xBD" "b\0c", 7);
    json_decref(j);
    free(m);

    m = live_msg_state("waiting");
    assert_string_equal(m, "{\"type\":\"state\",\"state\":\"waiting\"}");
    free(m);

    live_exit_t x = {.status = "runtime_error", .exit_code = 3, .signal = 0, .cpu_ms = 12, .wall_ms = 340,
                     .memory_kb = 4096, .evidence = "exit code 3"};
    m = live_msg_exit(&x);
    j = parse(m);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "exit");
    assert_string_equal(json_string_value(json_object_get(j, "status")), "runtime_error");
    assert_int_equal(json_integer_value(json_object_get(j, "exit_code")), 3);
    assert_true(json_is_null(json_object_get(j, "signal")));
    assert_int_equal(json_integer_value(json_object_get(j, "cpu_ms")), 12);
    assert_int_equal(json_integer_value(json_object_get(j, "wall_ms")), 340);
    assert_int_equal(json_integer_value(json_object_get(j, "memory_kb")), 4096);
    assert_string_equal(json_string_value(json_object_get(j, "evidence")), "exit code 3");
    assert_int_equal(json_object_size(j), 8);
    json_decref(j);
    free(m);
    live_exit_t k = {.status = "runtime_error", .exit_code = -1, .signal = 9, .evidence = NULL};
    m = live_msg_exit(&k);
    j = parse(m);
    assert_true(json_is_null(json_object_get(j, "exit_code")));
    assert_int_equal(json_integer_value(json_object_get(j, "signal")), 9);
    assert_string_equal(json_string_value(json_object_get(j, "evidence")), "");
    json_decref(j);
    free(m);
}

static void events(void **state)
{
    (void)state;
    char *m = live_event_status("queued", NULL);
    assert_string_equal(m, "{\"status\":\"queued\"}");
    free(m);
    live_final_t f = {.status = "failed", .score = 2, .max_score = 3, .execution_ms = 48, .memory_kb = 9000};
    m = live_event_status("failed", &f);
    json_t *j = parse(m);
    assert_int_equal(json_integer_value(json_object_get(j, "score")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "max_score")), 3);
    assert_int_equal(json_integer_value(json_object_get(j, "execution_ms")), 48);
    assert_true(json_is_null(json_object_get(j, "error")));
    json_decref(j);
    free(m);
    live_final_t e = {.status = "internal_error", .score = -1, .error = "bad \xff byte"};
    m = live_event_status("internal_error", &e);
    j = parse(m);
    assert_true(json_is_null(json_object_get(j, "score")));
    assert_string_equal(json_string_value(json_object_get(j, "error")), "bad \xEF\xBF\xBD byte");
    json_decref(j);
    free(m);
    live_result_t r = {.ordinal = 4, .status = "time_limit", .passed = false, .execution_ms = 2001, .cpu_ms = 1990,
                       .memory_kb = 5000, .evidence = "cpu time 2001 ms > 2000 ms"};
    m = live_event_result(&r);
    j = parse(m);
    assert_int_equal(json_integer_value(json_object_get(j, "ordinal")), 4);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "time_limit");
    assert_true(json_is_false(json_object_get(j, "passed")));
    assert_int_equal(json_object_size(j), 9);
    assert_true(json_is_null(json_object_get(j, "checker_message")));
    assert_true(json_is_null(json_object_get(j, "group")));
    json_decref(j);
    free(m);
    r.checker_message = "token 2: expected '5', got '6'";
    r.group = "small";
    m = live_event_result(&r);
    j = parse(m);
    assert_string_equal(json_string_value(json_object_get(j, "checker_message")), "token 2: expected '5', got '6'");
    assert_string_equal(json_string_value(json_object_get(j, "group")), "small");
    json_decref(j);
    free(m);
}

static void utf8_cuts(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t len, want;
    } cases[] = {
        {"abc", 3, 3},
        {"", 0, 0},
        {"a\xC3", 2, 1},             /* é cut after its lead byte */
        {"a\xC3\xA9", 3, 3},         /* é whole */
        {"\xE2\x9C", 2, 0},          /* ✓ cut in the middle */
        {"x\xE2\x9C\x93", 4, 4},     /* ✓ whole */
        {"\xF0\x9F\x98", 3, 0},      /* an emoji missing its last byte */
        {"\xF0\x9F\x98\x80", 4, 4},  /* whole */
        {"a\x80", 2, 2},             /* a stray continuation: invalid, not held back */
        {"\x80\x80\x80\x80", 4, 4},  /* continuations only */
        {"a\xFF", 2, 2},             /* not a lead byte */
        {"\xC3\xA9\xC3", 3, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t got = live_utf8_complete(cases[i].s, cases[i].len);
        if (got != cases[i].want)
            fail_msg("case %zu: %zu, want %zu", i, got, cases[i].want);
    }
}

static void entry_ids(void **state)
{
    (void)state;
    static const char *const good[] = {"0-0", "0", "1700000000000-0", "1700000000000-12",
                                       "18446744073709551615-18446744073709551615"};
    static const char *const bad[] = {"", "-", "1-", "-1", "a-1", "1-b", "1-2-3", " 1-2", "1-2 ", "+1-2",
                                      "18446744073709551616-0", "123456789012345678901-0", "0x1-0"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!live_entry_id_valid(good[i]))
            fail_msg("'%s' refused", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (live_entry_id_valid(bad[i]))
            fail_msg("'%s' accepted", bad[i]);
    assert_false(live_entry_id_valid(NULL));
}

/* Whatever the bytes: no crash, and every message is valid JSON whose data
 * round-trips when the bytes were valid UTF-8. */
static void random_input(void **state)
{
    (void)state;
    srand(6);
    for (int round = 0; round < 20000; round++) {
        char buf[64];
        size_t n = (size_t)(rand() % (int)sizeof buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)(rand() % 4 ? rand() % 256 : "{}\":,[]\\0ab\xC3\xA9"[rand() % 14]);
        size_t cut = live_utf8_complete(buf, n);
        assert_true(cut <= n && n - cut <= 3);
        char *m = live_msg_output(round & 1, buf, n);
        json_t *j = parse(m);
        json_decref(j);
        free(m);
        live_job_t job;
        nsj_error_t err;
        if (live_job_parse(buf, n, &job, &err) == 0)
            live_job_free(&job);
        else
            live_job_free(&job);
        buf[n] = '\0';
        (void)live_entry_id_valid(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys),          cmocka_unit_test(jobs),      cmocka_unit_test(client_messages),
        cmocka_unit_test(events),        cmocka_unit_test(utf8_cuts), cmocka_unit_test(entry_ids),
        cmocka_unit_test(random_input),
    };
    return cmocka_run_group_tests_name("live_msg", tests, NULL, NULL);
}
