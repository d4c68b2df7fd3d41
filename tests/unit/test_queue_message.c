/* Unit tests: the queue message codec (bytes -> struct -> bytes), with a
 * deterministic fuzz of random bytes and of mutated valid messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "queue/message.h"

#define SID "0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01"
#define TID1 "5f2b1c7a-1111-4c1e-9a43-2f1f7c3d9e02"
#define TID2 "5f2b1c7a-2222-4c1e-9a43-2f1f7c3d9e03"
#define QID "7d9e0c4b-3333-4c1e-9a43-2f1f7c3d9e04"

static const char valid[] =
    "{\"submission_id\":\"" SID "\",\"question_id\":null,\"language\":\"python\","
    "\"source_code\":\"print(int(input())*2)\\n\","
    "\"test_cases\":[{\"id\":\"" TID1 "\",\"input\":\"2\\n\",\"expected_output\":\"4\\n\",\"score\":3},"
    "{\"id\":\"" TID2 "\",\"input\":\"\",\"expected_output\":\"0\",\"score\":0}]}";

static void expect_error(const char *text, const char *needle, const char *keep_sid)
{
    queue_message_t m;
    nsj_error_t err;
    assert_int_equal(queue_message_parse(text, strlen(text), &m, &err), -1);
    if (!strstr(err.msg, needle))
        fail_msg("error '%s' lacks '%s' for %s", err.msg, needle, text);
    assert_string_equal(m.submission_id, keep_sid ? keep_sid : "");
    assert_null(m.tests);
    assert_null(m.source);
    queue_message_free(&m);
}

static void parses_valid(void **state)
{
    (void)state;
    queue_message_t m;
    nsj_error_t err;
    assert_int_equal(queue_message_parse(valid, strlen(valid), &m, &err), 0);
    assert_string_equal(m.submission_id, SID);
    assert_string_equal(m.question_id, "");
    assert_string_equal(m.language, "python");
    assert_string_equal(m.source, "print(int(input())*2)\n");
    assert_int_equal(m.ntests, 2);
    assert_string_equal(m.tests[0].id, TID1);
    assert_string_equal(m.tests[0].input, "2\n");
    assert_int_equal(m.tests[0].input_len, 2);
    assert_string_equal(m.tests[0].expected, "4\n");
    assert_int_equal(m.tests[0].score, 3);
    assert_int_equal(m.tests[1].input_len, 0);
    assert_int_equal(m.tests[1].score, 0);
    queue_message_free(&m);
}

static void question_id_and_unknown_fields(void **state)
{
    (void)state;
    const char *t = "{\"submission_id\":\"" SID "\",\"question_id\":\"" QID "\",\"language\":\"py\",\"v\":2,"
                    "\"source_code\":\"x\",\"test_cases\":[{\"id\":\"" TID1 "\",\"input\":\"\","
                    "\"expected_output\":\"\",\"score\":1,\"extra\":[1]}]}";
    queue_message_t m;
    nsj_error_t err;
    /* Unknown fields are ignored: newer producers may add some. */
    assert_int_equal(queue_message_parse(t, strlen(t), &m, &err), 0);
    assert_string_equal(m.question_id, QID);
    queue_message_free(&m);
}

static void nul_bytes_kept(void **state)
{
    (void)state;
    const char *t = "{\"submission_id\":\"" SID "\",\"language\":\"python\",\"source_code\":\"a\\u0000b\","
                    "\"test_cases\":[{\"id\":\"" TID1 "\",\"input\":\"\\u0000\",\"expected_output\":\"\",\"score\":1}]}";
    queue_message_t m;
    nsj_error_t err;
    assert_int_equal(queue_message_parse(t, strlen(t), &m, &err), 0);
    assert_int_equal(m.source_len, 3);
    assert_memory_equal(m.source, "a\0b", 3);
    assert_int_equal(m.tests[0].input_len, 1);
    size_t len;
    char *enc = queue_message_encode(&m, &len);
    assert_non_null(enc);
    assert_int_equal(strlen(enc), len); /* NUL escaped, never raw */
    queue_message_t again;
    assert_int_equal(queue_message_parse(enc, len, &again, &err), 0);
    assert_int_equal(again.source_len, 3);
    assert_memory_equal(again.source, "a\0b", 3);
    free(enc);
    queue_message_free(&m);
    queue_message_free(&again);
}

static void bad_messages(void **state)
{
    (void)state;
    expect_error("", "invalid JSON", NULL);
    expect_error("{", "invalid JSON", NULL);
    expect_error("[]", "not a JSON object", NULL);
    expect_error("{\"submission_id\":\"" SID "\",\"submission_id\":\"" SID "\"}", "invalid JSON", NULL);
    expect_error("{}", "missing field 'submission_id'", NULL);
    expect_error("{\"submission_id\":\"nope\"}", "not a UUID", NULL);
    expect_error("{\"submission_id\":\"0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e0g\"}", "not a UUID", NULL);
    expect_error("{\"submission_id\":7}", "not a UUID", NULL);
    /* From here the submission id is known, so the caller can mark it. */
    expect_error("{\"submission_id\":\"" SID "\"}", "missing field 'language'", SID);
    expect_error("{\"submission_id\":\"" SID "\",\"question_id\":5,\"language\":\"python\"}", "question_id", SID);
    expect_error("{\"submission_id\":\"" SID "\",\"language\":\"\"}", "language", SID);
    expect_error("{\"submission_id\":\"" SID "\",\"language\":\"py thon\"}", "language", SID);
    expect_error("{\"submission_id\":\"" SID "\",\"language\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", "language",
                 SID);
    expect_error("{\"submission_id\":\"" SID "\",\"language\":\"python\"}", "missing field 'source_code'", SID);
    expect_error("{\"submission_id\":\"" SID "\",\"language\":\"python\",\"source_code\":[]}", "not a string", SID);
    expect_error("{\"submission_id\":\"" SID "\",\"language\":\"python\",\"source_code\":\"\"}",
                 "missing field 'test_cases'", SID);
    expect_error("{\"submission_id\":\"" SID "\",\"language\":\"python\",\"source_code\":\"\",\"test_cases\":{}}",
                 "not an array", SID);
    expect_error("{\"submission_id\":\"" SID "\",\"language\":\"python\",\"source_code\":\"\",\"test_cases\":[]}",
                 "empty", SID);
    expect_error("{\"submission_id\":\"" SID "\",\"language\":\"python\",\"source_code\":\"\",\"test_cases\":[1]}",
                 "test_cases[0] is not an object", SID);
    expect_error("{\"submission_id\":\"" SID "\",\"language\":\"python\",\"source_code\":\"\",\"test_cases\":"
                 "[{\"id\":\"" TID1 "\",\"input\":\"\",\"expected_output\":\"\",\"score\":1},{\"id\":\"x\"}]}",
                 "test_cases[1]", SID);
    expect_error("{\"submission_id\":\"" SID "\",\"language\":\"python\",\"source_code\":\"\",\"test_cases\":"
                 "[{\"id\":\"" TID1 "\",\"input\":\"\",\"expected_output\":\"\"}]}",
                 "missing field 'score'", SID);
    expect_error("{\"submission_id\":\"" SID "\",\"language\":\"python\",\"source_code\":\"\",\"test_cases\":"
                 "[{\"id\":\"" TID1 "\",\"input\":\"\",\"expected_output\":\"\",\"score\":-1}]}",
                 "score", SID);
    expect_error("{\"submission_id\":\"" SID "\",\"language\":\"python\",\"source_code\":\"\",\"test_cases\":"
                 "[{\"id\":\"" TID1 "\",\"input\":\"\",\"expected_output\":\"\",\"score\":1.5}]}",
                 "score", SID);
    expect_error("{\"submission_id\":\"" SID "\",\"language\":\"python\",\"source_code\":\"\",\"test_cases\":"
                 "[{\"id\":\"" TID1 "\",\"input\":3,\"expected_output\":\"\",\"score\":1}]}",
                 "'input' is not a string", SID);
}

static void too_many_tests(void **state)
{
    (void)state;
    size_t cap = 64 * (QUEUE_MAX_TESTS + 2) + 256, len = 0;
    char *t = malloc(cap);
    len += (size_t)snprintf(t, cap, "{\"submission_id\":\"" SID "\",\"language\":\"python\",\"source_code\":\"\","
                                    "\"test_cases\":[");
    for (int i = 0; i <= QUEUE_MAX_TESTS; i++)
        len += (size_t)snprintf(t + len, cap - len, "%s{}", i ? "," : "");
    snprintf(t + len, cap - len, "]}");
    expect_error(t, "more than", SID);
    free(t);
}

static void uuid_check(void **state)
{
    (void)state;
    assert_true(queue_uuid_valid(SID));
    assert_true(queue_uuid_valid("ABCDEF00-0000-0000-0000-000000000000"));
    assert_false(queue_uuid_valid(NULL));
    assert_false(queue_uuid_valid(""));
    assert_false(queue_uuid_valid(SID "0"));
    assert_false(queue_uuid_valid("0b6f3a5e08a40-4c1e-9a43-2f1f7c3d9e01"));
    assert_false(queue_uuid_valid("0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e0"));
}

static void assert_same(const queue_message_t *a, const queue_message_t *b)
{
    assert_string_equal(a->submission_id, b->submission_id);
    assert_string_equal(a->question_id, b->question_id);
    assert_string_equal(a->language, b->language);
    assert_int_equal(a->source_len, b->source_len);
    assert_memory_equal(a->source, b->source, a->source_len);
    assert_int_equal(a->ntests, b->ntests);
    for (size_t i = 0; i < a->ntests; i++) {
        assert_string_equal(a->tests[i].id, b->tests[i].id);
        assert_int_equal(a->tests[i].input_len, b->tests[i].input_len);
        assert_memory_equal(a->tests[i].input, b->tests[i].input, a->tests[i].input_len);
        assert_int_equal(a->tests[i].expected_len, b->tests[i].expected_len);
        assert_memory_equal(a->tests[i].expected, b->tests[i].expected, a->tests[i].expected_len);
        assert_int_equal(a->tests[i].score, b->tests[i].score);
    }
}

/* Whatever parses encodes to something that parses to the same struct. */
static void check_roundtrip(const char *buf, size_t len)
{
    queue_message_t m, again;
    nsj_error_t err;
    if (queue_message_parse(buf, len, &m, &err) < 0) {
        assert_true(err.msg[0] != '\0');
        assert_null(m.tests);
        return;
    }
    size_t elen;
    char *enc = queue_message_encode(&m, &elen);
    assert_non_null(enc);
    assert_int_equal(queue_message_parse(enc, elen, &again, &err), 0);
    assert_same(&m, &again);
    free(enc);
    queue_message_free(&m);
    queue_message_free(&again);
}

static void roundtrip_valid(void **state)
{
    (void)state;
    check_roundtrip(valid, strlen(valid));
}

/* Deterministic fuzz: random bytes, and valid messages with bytes flipped,
 * deleted or duplicated. Never a crash, leak (under ASan) or a parse that
 * does not round-trip. tests/fuzz/ has the libFuzzer target. */
static void fuzz_deterministic(void **state)
{
    (void)state;
    srand(4242);
    char buf[1024];
    for (int round = 0; round < 20000; round++) {
        size_t len;
        if (round % 4 == 0) {
            len = (size_t)(rand() % 200);
            for (size_t i = 0; i < len; i++)
                buf[i] = (char)(rand() & 0xff);
        } else {
            len = strlen(valid);
            memcpy(buf, valid, len);
            int edits = 1 + rand() % 4;
            for (int e = 0; e < edits && len > 1; e++) {
                size_t at = (size_t)rand() % len;
                switch (rand() % 3) {
                case 0: buf[at] = (char)(rand() & 0xff); break;
                case 1: memmove(buf + at, buf + at + 1, len - at - 1), len--; break;
                default:
                    if (len + 1 < sizeof buf) {
                        memmove(buf + at + 1, buf + at, len - at);
                        len++;
                    }
                }
            }
        }
        check_roundtrip(buf, len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_valid),
        cmocka_unit_test(question_id_and_unknown_fields),
        cmocka_unit_test(nul_bytes_kept),
        cmocka_unit_test(bad_messages),
        cmocka_unit_test(too_many_tests),
        cmocka_unit_test(uuid_check),
        cmocka_unit_test(roundtrip_valid),
        cmocka_unit_test(fuzz_deterministic),
    };
    return cmocka_run_group_tests_name("queue_message", tests, NULL, NULL);
}
