/* Unit tests: the queue message codec (bytes -> struct -> bytes), with a
 * deterministic fuzz of random bytes and of mutated valid messages. The
 * message names a submission; the worker loads the job from Postgres. */
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

static const char valid[] = "{\"submission_id\":\"" SID "\",\"enqueued_ms\":1764467000123}";

/* A message as the versions before the id-only queue wrote it. */
static const char old_style[] =
    "{\"submission_id\":\"" SID "\",\"question_id\":null,\"language\":\"python\","
    "\"source_code\":\"print(int(input())*2)\\n\","
    "\"test_cases\":[{\"id\":\"5f2b1c7a-1111-4c1e-9a43-2f1f7c3d9e02\",\"input\":\"2\\n\",\"expected_output\":\"4\\n\","
    "\"score\":3}]}";

static void expect_error(const char *text, const char *needle, const char *keep_sid)
{
    queue_message_t m;
    nsj_error_t err;
    assert_int_equal(queue_message_parse(text, strlen(text), &m, &err), -1);
    if (!strstr(err.msg, needle))
        fail_msg("error '%s' lacks '%s' for %s", err.msg, needle, text);
    assert_string_equal(m.submission_id, keep_sid ? keep_sid : "");
}

static void parses_valid(void **state)
{
    (void)state;
    queue_message_t m;
    nsj_error_t err;
    assert_int_equal(queue_message_parse(valid, strlen(valid), &m, &err), 0);
    assert_string_equal(m.submission_id, SID);
    assert_int_equal(m.enqueued_ms, 1764467000123LL);
}

/* Messages left in the stream by an older version still name their
 * submission: the rest is ignored, the job comes from Postgres. */
static void old_messages_and_unknown_fields(void **state)
{
    (void)state;
    queue_message_t m;
    nsj_error_t err;
    assert_int_equal(queue_message_parse(old_style, strlen(old_style), &m, &err), 0);
    assert_string_equal(m.submission_id, SID);
    assert_int_equal(m.enqueued_ms, 0);
    const char *upper = "{\"submission_id\":\"0B6F3A5E-8A40-4C1E-9A43-2F1F7C3D9E01\",\"later\":[1,2]}";
    assert_int_equal(queue_message_parse(upper, strlen(upper), &m, &err), 0);
    assert_string_equal(m.submission_id, SID); /* as Postgres prints it */
}

static void bad_messages(void **state)
{
    (void)state;
    expect_error("", "invalid JSON", NULL);
    expect_error("[]", "not a JSON object", NULL);
    expect_error("\"x\"", "not a JSON object", NULL);
    expect_error("{}", "missing field 'submission_id'", NULL);
    expect_error("{\"submission_id\":7}", "not a UUID", NULL);
    expect_error("{\"submission_id\":\"0b6f3a5e\"}", "not a UUID", NULL);
    expect_error("{\"submission_id\":\"" SID "\",\"submission_id\":\"" SID "\"}", "invalid JSON", NULL);
    expect_error("{\"submission_id\":\"" SID "\",\"enqueued_ms\":\"soon\"}", "enqueued_ms", SID);
    expect_error("{\"submission_id\":\"" SID "\",\"enqueued_ms\":-1}", "enqueued_ms", SID);
    expect_error("{\"submission_id\":\"" SID "\",\"enqueued_ms\":1.5}", "enqueued_ms", SID);
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

static void message_for(void **state)
{
    (void)state;
    size_t len;
    char *enc = queue_message_for(SID, &len);
    assert_non_null(enc);
    assert_int_equal(len, strlen(enc));
    queue_message_t m;
    nsj_error_t err;
    assert_int_equal(queue_message_parse(enc, len, &m, &err), 0);
    assert_string_equal(m.submission_id, SID);
    assert_true(m.enqueued_ms > 1700000000000LL); /* a Unix time in ms, after 2023 */
    free(enc);
}

/* Whatever parses encodes to something that parses to the same struct. */
static void check_roundtrip(const char *buf, size_t len)
{
    queue_message_t m, again;
    nsj_error_t err;
    if (queue_message_parse(buf, len, &m, &err) < 0) {
        assert_true(err.msg[0] != '\0');
        return;
    }
    size_t elen;
    char *enc = queue_message_encode(&m, &elen);
    assert_non_null(enc);
    assert_int_equal(queue_message_parse(enc, elen, &again, &err), 0);
    assert_string_equal(m.submission_id, again.submission_id);
    assert_int_equal(m.enqueued_ms, again.enqueued_ms);
    free(enc);
}

static void roundtrip_valid(void **state)
{
    (void)state;
    check_roundtrip(valid, strlen(valid));
    check_roundtrip(old_style, strlen(old_style));
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
            const char *base = round % 4 == 1 ? old_style : valid;
            len = strlen(base);
            memcpy(buf, base, len);
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
        cmocka_unit_test(old_messages_and_unknown_fields),
        cmocka_unit_test(bad_messages),
        cmocka_unit_test(uuid_check),
        cmocka_unit_test(message_for),
        cmocka_unit_test(roundtrip_valid),
        cmocka_unit_test(fuzz_deterministic),
    };
    return cmocka_run_group_tests_name("queue_message", tests, NULL, NULL);
}
