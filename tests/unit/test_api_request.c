/* Unit tests: HTTP routing and request validation (src/api/request.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api/request.h"

static language_table_t langs;
static const api_limits_t lim = {.source_max = 100, .max_tests = 3,
                                 .max = {.time_ms = 10000, .wall_ms = 20000, .memory_bytes = 1ULL << 30,
                                         .output_bytes = 64ULL << 20}};

static int setup(void **state)
{
    (void)state;
    nsj_error_t err;
    const char *text = "[python]\naliases = py python3\nversion = 3\nrootfs = python\nsource = main.py\n"
                       "run = /usr/bin/python3 /code/main.py\n";
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
    char id[37];
    long n;
    assert_int_equal(api_route_match("/submissions", id, &n), API_ROUTE_SUBMISSIONS);
    assert_int_equal(api_route_match("/submissions/0B6F3A5E-8A40-4C1E-9A43-2F1F7C3D9E01", id, &n), API_ROUTE_SUBMISSION);
    assert_string_equal(id, "0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01");
    assert_int_equal(api_route_match("/questions", id, &n), API_ROUTE_QUESTIONS);
    assert_int_equal(api_route_match("/questions/0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01", id, &n), API_ROUTE_QUESTION);
    assert_int_equal(api_route_match("/languages", id, &n), API_ROUTE_LANGUAGES);
    assert_int_equal(api_route_match("/healthz", id, &n), API_ROUTE_HEALTHZ);
    assert_int_equal(api_route_match("/", id, &n), API_ROUTE_NONE);
    assert_int_equal(api_route_match("/submissions/", id, &n), API_ROUTE_NONE);
    assert_int_equal(api_route_match("/submissions/123", id, &n), API_ROUTE_NONE);
    assert_int_equal(api_route_match("/submissions/0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01/x", id, &n), API_ROUTE_NONE);
    assert_int_equal(api_route_match("/submissionsx", id, &n), API_ROUTE_NONE);
    assert_int_equal(api_route_match("/languages/0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01", id, &n), API_ROUTE_NONE);
    assert_true(api_route_allows(API_ROUTE_SUBMISSIONS, "POST"));
    assert_true(api_route_allows(API_ROUTE_SUBMISSIONS, "GET"));
    assert_false(api_route_allows(API_ROUTE_SUBMISSIONS, "DELETE"));
    assert_true(api_route_allows(API_ROUTE_SUBMISSION, "GET"));
    assert_true(api_route_allows(API_ROUTE_SUBMISSION, "HEAD"));
    assert_false(api_route_allows(API_ROUTE_SUBMISSION, "DELETE"));
    assert_false(api_route_allows(API_ROUTE_HEALTHZ, "POST"));
    assert_string_equal(api_route_allow(API_ROUTE_QUESTIONS), "GET, HEAD, POST");
    assert_string_equal(api_route_allow(API_ROUTE_LANGUAGES), "GET, HEAD");
    /* A question's test data. */
    assert_int_equal(api_route_match("/questions/0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01/tests", id, &n),
                     API_ROUTE_QUESTION_TESTS);
    assert_int_equal(api_route_match("/questions/0B6F3A5E-8A40-4c1e-9a43-2f1f7c3d9e01/tests/12/input", id, &n),
                     API_ROUTE_TEST_INPUT);
    assert_string_equal(id, "0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01");
    assert_int_equal(n, 12);
    assert_int_equal(api_route_match("/questions/0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01/tests/0/answer", id, &n),
                     API_ROUTE_TEST_ANSWER);
    assert_int_equal(n, 0);
    assert_int_equal(api_route_match("/questions/0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01/tests/01/answer", id, &n),
                     API_ROUTE_NONE);
    assert_int_equal(api_route_match("/questions/0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01/tests/-1/input", id, &n),
                     API_ROUTE_NONE);
    assert_int_equal(api_route_match("/questions/0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01/tests/1/output", id, &n),
                     API_ROUTE_NONE);
    assert_int_equal(api_route_match("/questions/0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01/tests/", id, &n),
                     API_ROUTE_NONE);
    assert_int_equal(api_route_match("/submissions/0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01/tests", id, &n),
                     API_ROUTE_NONE);
    assert_int_equal(api_route_match("/submissions/0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01/tests/3/stdout", id, &n),
                     API_ROUTE_TEST_STDOUT);
    assert_int_equal(n, 3);
    assert_int_equal(api_route_match("/questions/0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01/tests/3/stdout", id, &n),
                     API_ROUTE_NONE);
    assert_int_equal(api_route_match("/submissions/0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01/tests/3/input", id, &n),
                     API_ROUTE_NONE);
    assert_true(api_route_allows(API_ROUTE_QUESTION_TESTS, "PUT"));
    assert_false(api_route_allows(API_ROUTE_QUESTION_TESTS, "POST"));
    assert_true(api_route_allows(API_ROUTE_TEST_INPUT, "GET"));
    assert_true(api_content_type_archive("application/zip"));
    assert_true(api_content_type_archive("application/gzip"));
    assert_true(api_content_type_archive("Application/X-Tar; charset=binary"));
    assert_false(api_content_type_archive("application/json"));
    assert_false(api_content_type_archive("application/zipx"));
    assert_false(api_content_type_archive(NULL));
}

static void content_types(void **state)
{
    (void)state;
    assert_true(api_content_type_json("application/json"));
    assert_true(api_content_type_json("Application/JSON"));
    assert_true(api_content_type_json("application/json; charset=utf-8"));
    assert_true(api_content_type_json("application/json;charset=\"UTF-8\""));
    assert_true(api_content_type_json("application/json ; charset=utf8 ; foo=bar"));
    assert_false(api_content_type_json(NULL));
    assert_false(api_content_type_json(""));
    assert_false(api_content_type_json("text/plain"));
    assert_false(api_content_type_json("application/jsonx"));
    assert_false(api_content_type_json("application/json-patch+json"));
    assert_false(api_content_type_json("application/json; charset=latin1"));
    assert_false(api_content_type_json("application/json; charset"));
    assert_false(api_content_type_json("application/x-www-form-urlencoded"));
}

static void expect_sub(const char *body, unsigned status, const char *needle)
{
    core_job_t s;
    api_error_t e;
    assert_int_equal(api_parse_submission(body, strlen(body), &lim, &langs, &s, &e), -1);
    if (e.status != status || !strstr(e.msg, needle))
        fail_msg("%s: got %u '%s', want %u '%s'", body, e.status, e.msg, status, needle);
    assert_null(s.source);
    assert_null(s.tests);
}

static void submission_ok(void **state)
{
    (void)state;
    core_job_t s;
    api_error_t e;
    const char *b = "{\"language\":\"py\",\"source_code\":\"print(1)\",\"test_cases\":["
                    "{\"input\":\"\",\"expected_output\":\"1\\n\",\"score\":5},{\"input\":\"x\",\"expected_output\":\"1\"}]}";
    assert_int_equal(api_parse_submission(b, strlen(b), &lim, &langs, &s, &e), 0);
    assert_string_equal(s.language, "python"); /* alias resolved */
    assert_string_equal(s.source, "print(1)");
    assert_string_equal(s.question_id, "");
    assert_int_equal(s.ntests, 2);
    assert_string_equal(s.tests[0].answer_data, "1\n");
    assert_int_equal(s.tests[0].score, 5);
    assert_int_equal(s.tests[1].score, 1); /* default */
    assert_int_equal(s.tests[1].input_len, 1);
    assert_int_equal(s.limits.time_ms, 0); /* not set: the worker's default */
    assert_int_equal(s.limits.memory_bytes, 0);
    core_job_free(&s);

    b = "{\"language\":\"python\",\"source_code\":\"x\",\"question_id\":\"0B6F3A5E-8A40-4C1E-9A43-2F1F7C3D9E01\"}";
    assert_int_equal(api_parse_submission(b, strlen(b), &lim, &langs, &s, &e), 0);
    assert_string_equal(s.question_id, "0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01");
    assert_int_equal(s.ntests, 0);
    core_job_free(&s);

    /* question_id: null counts as absent. */
    b = "{\"language\":\"python\",\"source_code\":\"x\",\"question_id\":null,\"test_cases\":"
        "[{\"input\":\"\",\"expected_output\":\"\"}]}";
    assert_int_equal(api_parse_submission(b, strlen(b), &lim, &langs, &s, &e), 0);
    core_job_free(&s);
}

static void submission_bad(void **state)
{
    (void)state;
    const char *tc = ",\"test_cases\":[{\"input\":\"\",\"expected_output\":\"\"}]}";
    char b[512];
    expect_sub("", 400, "invalid JSON");
    expect_sub("{", 400, "invalid JSON");
    expect_sub("nul", 400, "invalid JSON");
    expect_sub("[1]", 400, "JSON object");
    expect_sub("\"x\"", 400, "JSON object");
    expect_sub("{\"language\":\"python\",\"language\":\"python\"}", 400, "invalid JSON");
    expect_sub("{\"lang\":\"python\"}", 400, "unknown field 'lang'");
    expect_sub("{}", 400, "missing field 'language'");
    expect_sub("{\"language\":3}", 400, "'language' must be a string, not an integer");
    expect_sub("{\"language\":null}", 400, "must be a string, not null");
    expect_sub("{\"language\":\"cobol\",\"source_code\":\"x\"}", 400, "unknown language 'cobol'");
    expect_sub("{\"language\":\"python\"}", 400, "missing field 'source_code'");
    expect_sub("{\"language\":\"python\",\"source_code\":[]}", 400, "must be a string, not an array");
    snprintf(b, sizeof b, "{\"language\":\"python\",\"source_code\":\"\"%s", tc);
    expect_sub(b, 400, "source_code is empty");
    snprintf(b, sizeof b, "{\"language\":\"python\",\"source_code\":\" \\n\\t\"%s", tc);
    expect_sub(b, 400, "source_code is empty");
    snprintf(b, sizeof b, "{\"language\":\"python\",\"source_code\":\"%0101d\"%s", 0, tc);
    expect_sub(b, 413, "source_code is 101 bytes: the limit is 100");
    expect_sub("{\"language\":\"python\",\"source_code\":\"x\\u0000\"}", 400, "\\u0000");
    expect_sub("{\"language\":\"python\",\"source_code\":\"x\"}", 400, "question_id' or 'test_cases'");
    snprintf(b, sizeof b, "{\"language\":\"python\",\"source_code\":\"x\",\"question_id\":\"0b6f3a5e-8a40-4c1e-9a43-"
                          "2f1f7c3d9e01\"%s", tc);
    expect_sub(b, 400, "not both");
    expect_sub("{\"language\":\"python\",\"source_code\":\"x\",\"question_id\":\"42\"}", 400, "must be a UUID");
    expect_sub("{\"language\":\"python\",\"source_code\":\"x\",\"question_id\":42}", 400, "must be a UUID");
    expect_sub("{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":{}}", 400, "must be an array");
    expect_sub("{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":null}", 400, "must be an array, not null");
    expect_sub("{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":[]}", 400, "empty");
    expect_sub("{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":[1]}", 400, "test_cases[0] must be an object");
    expect_sub("{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":[{},{},{},{}]}", 400,
               "too many test cases: 4 (the limit is 3)");
    expect_sub("{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":[{\"expected_output\":\"\"}]}", 400,
               "missing field 'input' in test_cases[0]");
    expect_sub("{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":[{\"input\":\"\"}]}", 400,
               "missing field 'expected_output' in test_cases[0]");
    expect_sub("{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":[{\"input\":1,\"expected_output\":\"\"}]}",
               400, "'input' in test_cases[0] must be a string");
    expect_sub("{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":[{\"input\":\"\",\"expected_output\":\"\","
               "\"score\":\"5\"}]}", 400, "'score' in test_cases[0] must be an integer");
    expect_sub("{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":[{\"input\":\"\",\"expected_output\":\"\","
               "\"score\":-1}]}", 400, "'score'");
    expect_sub("{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":[{\"input\":\"\",\"expected_output\":\"\","
               "\"score\":1.0}]}", 400, "'score'");
    expect_sub("{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":[{\"input\":\"\",\"expected_output\":\"\","
               "\"score\":1000001}]}", 400, "'score'");
    expect_sub("{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":[{\"input\":\"\",\"expected_output\":\"\","
               "\"weight\":1}]}", 400, "unknown field 'weight' in test_cases[0]");
    expect_sub("{\"language\":\"python\",\"source_code\":\"\xff\"}", 400, "invalid JSON");
}

/* Limits: seconds as JSON numbers, sizes as integers or "64m"; every bad
 * or out-of-range value is a 400 naming the field and the range. */
static void limits(void **state)
{
    (void)state;
    core_job_t s;
    api_error_t e;
    const char *b = "{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":[{\"input\":\"\",\"expected_output\":\"\"}],"
                    "\"time_limit\":1.5,\"wall_limit\":3,\"memory_limit\":\"64m\",\"output_limit\":4096}";
    assert_int_equal(api_parse_submission(b, strlen(b), &lim, &langs, &s, &e), 0);
    assert_int_equal(s.limits.time_ms, 1500);
    assert_int_equal(s.limits.wall_ms, 3000);
    assert_int_equal(s.limits.memory_bytes, 64ULL << 20);
    assert_int_equal(s.limits.output_bytes, 4096);
    core_job_free(&s);
    static const struct {
        const char *field, *value, *needle;
    } bad[] = {
        {"time_limit", "0", "field 'time_limit' must be from 0.01 to 10 seconds"},
        {"time_limit", "-1", "field 'time_limit' must be from 0.01 to 10 seconds"},
        {"time_limit", "0.001", "'time_limit' must be from 0.01"},
        {"time_limit", "10.5", "'time_limit' must be from 0.01 to 10 seconds"},
        {"time_limit", "1e300", "'time_limit' must be from"},
        {"time_limit", "\"1s\"", "field 'time_limit' must be a number of seconds, not a string"},
        {"wall_limit", "21", "field 'wall_limit' must be from 0.01 to 20 seconds"},
        {"wall_limit", "null", "'wall_limit' must be a number of seconds, not null"},
        {"memory_limit", "\"2g\"", "field 'memory_limit' must be from 4194304 to 1073741824 bytes"},
        {"memory_limit", "1024", "field 'memory_limit' must be from 4194304"},
        {"memory_limit", "0", "field 'memory_limit' must be from"},
        {"memory_limit", "-5", "field 'memory_limit' must be from"},
        {"memory_limit", "\"lots\"", "field 'memory_limit' must be a size in bytes"},
        {"memory_limit", "1.5", "field 'memory_limit' must be a size in bytes"},
        {"output_limit", "\"65m\"", "field 'output_limit' must be from 1 to 67108864 bytes"},
        {"output_limit", "0", "field 'output_limit' must be from 1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char body[512];
        snprintf(body, sizeof body,
                 "{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":[{\"input\":\"\",\"expected_output\":\"\"}],"
                 "\"%s\":%s}", bad[i].field, bad[i].value);
        expect_sub(body, 400, bad[i].needle);
        snprintf(body, sizeof body, "{\"title\":\"t\",\"test_cases\":[{\"input\":\"\",\"expected_output\":\"\"}],\"%s\":%s}",
                 bad[i].field, bad[i].value);
        core_question_t q;
        assert_int_equal(api_parse_question(body, strlen(body), &lim, &langs, &q, &e), -1);
        if (e.status != 400 || !strstr(e.msg, bad[i].needle))
            fail_msg("%s: got %u '%s', want '%s'", body, e.status, e.msg, bad[i].needle);
    }
    /* keep_output: a boolean, with test cases or a question. */
    b = "{\"language\":\"python\",\"source_code\":\"x\",\"question_id\":\"0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01\","
        "\"keep_output\":true}";
    assert_int_equal(api_parse_submission(b, strlen(b), &lim, &langs, &s, &e), 0);
    assert_true(s.keep_output);
    core_job_free(&s);
    expect_sub("{\"language\":\"python\",\"source_code\":\"x\",\"question_id\":\"0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01\","
               "\"keep_output\":1}", 400, "field 'keep_output' must be true or false, not an integer");
    /* A submission to a question runs under the question's limits. */
    expect_sub("{\"language\":\"python\",\"source_code\":\"x\",\"question_id\":\"0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01\","
               "\"time_limit\":1}", 400, "come with test_cases");
    core_question_t q;
    b = "{\"title\":\"t\",\"test_cases\":[{\"input\":\"\",\"expected_output\":\"\"}],\"time_limit\":0.25,\"memory_limit\":67108864}";
    assert_int_equal(api_parse_question(b, strlen(b), &lim, &langs, &q, &e), 0);
    assert_int_equal(q.limits.time_ms, 250);
    assert_int_equal(q.limits.wall_ms, 0);
    assert_int_equal(q.limits.memory_bytes, 64ULL << 20);
    core_question_free(&q);
}

/* Checkers and subtasks (core/judging.h) on questions and inline tests. */
static void judging(void **state)
{
    (void)state;
    core_question_t q;
    core_job_t s;
    api_error_t e;
    const char *b = "{\"title\":\"t\",\"test_cases\":[{\"input\":\"\",\"expected_output\":\"\"},"
                    "{\"input\":\"\",\"expected_output\":\"\"}],\"checker\":{\"type\":\"custom\",\"language\":\"py\","
                    "\"source\":\"import sys\"},\"subtasks\":[{\"name\":\"a\",\"points\":3,\"tests\":[1]}]}";
    assert_int_equal(api_parse_question(b, strlen(b), &lim, &langs, &q, &e), 0);
    assert_int_equal(q.judging.checker.type, CORE_CHECKER_CUSTOM);
    assert_string_equal(q.judging.checker.program.language, "py");
    assert_int_equal(q.judging.nsubtasks, 1);
    core_question_free(&q);
    b = "{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":[{\"input\":\"\",\"expected_output\":\"\"}],"
        "\"checker\":{\"type\":\"float\",\"rel\":1e-9}}";
    assert_int_equal(api_parse_submission(b, strlen(b), &lim, &langs, &s, &e), 0);
    assert_int_equal(s.judging.checker.type, CORE_CHECKER_FLOAT);
    core_job_free(&s);
    static const struct {
        bool question;
        const char *body, *needle;
    } bad[] = {
        {true, "{\"title\":\"t\",\"test_cases\":[{\"input\":\"\",\"expected_output\":\"\"}],\"checker\":{\"type\":"
               "\"custom\",\"language\":\"cobol\",\"source\":\"x\"}}", "field 'checker.language'"},
        {true, "{\"title\":\"t\",\"test_cases\":[{\"input\":\"\",\"expected_output\":\"\"}],\"subtasks\":[{\"name\":"
               "\"a\",\"points\":1,\"tests\":[1]}]}", "field 'subtasks[0].tests[0]'"},
        {false, "{\"language\":\"python\",\"source_code\":\"x\",\"question_id\":\"0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01\","
                "\"checker\":{\"type\":\"tokens\"}}", "field 'checker' comes with test_cases"},
        {false, "{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":[{\"input\":\"\",\"expected_output\":\"\"}],"
                "\"checker\":{\"type\":\"custom\",\"language\":\"python\",\"source\":\"x\"}}", "field 'checker.type'"},
        {false, "{\"language\":\"python\",\"source_code\":\"x\",\"test_cases\":[{\"input\":\"\",\"expected_output\":\"\"}],"
                "\"subtasks\":[]}", "unknown field 'subtasks'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = bad[i].question ? api_parse_question(bad[i].body, strlen(bad[i].body), &lim, &langs, &q, &e)
                                 : api_parse_submission(bad[i].body, strlen(bad[i].body), &lim, &langs, &s, &e);
        assert_int_equal(rc, -1);
        if (e.status != 400 || !strstr(e.msg, bad[i].needle))
            fail_msg("%s: got %u '%s'", bad[i].body, e.status, e.msg);
    }
}

static void question(void **state)
{
    (void)state;
    core_question_t q;
    api_error_t e;
    const char *b = "{\"title\":\"Double\",\"test_cases\":[{\"input\":\"2\",\"expected_output\":\"4\",\"score\":2}]}";
    assert_int_equal(api_parse_question(b, strlen(b), &lim, &langs, &q, &e), 0);
    assert_string_equal(q.title, "Double");
    assert_string_equal(q.statement, "");
    assert_int_equal(q.ntests, 1);
    assert_int_equal(q.tests[0].score, 2);
    core_question_free(&q);
    static const struct {
        const char *body, *needle;
    } bad[] = {
        {"{}", "missing field 'title'"},
        {"{\"title\":\"\",\"test_cases\":[]}", "1 to 200 bytes"},
        {"{\"title\":\"t\"}", "missing field 'test_cases'"},
        {"{\"title\":\"t\",\"test_cases\":[]}", "empty"},
        {"{\"title\":\"t\",\"statement\":1,\"test_cases\":[]}", "'statement' must be a string"},
        {"{\"title\":\"t\",\"tests\":[]}", "unknown field 'tests'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(api_parse_question(bad[i].body, strlen(bad[i].body), &lim, &langs, &q, &e), -1);
        if (e.status != 400 || !strstr(e.msg, bad[i].needle))
            fail_msg("%s: got %u '%s'", bad[i].body, e.status, e.msg);
    }
}

/* Random bytes and mutated bodies: always a clean 4xx, never a crash. */
static void fuzz_deterministic(void **state)
{
    (void)state;
    static const char seed[] = "{\"language\":\"python\",\"source_code\":\"print(1)\",\"test_cases\":"
                               "[{\"input\":\"1\",\"expected_output\":\"1\",\"score\":2}]}";
    srand(99);
    char buf[256];
    for (int round = 0; round < 20000; round++) {
        size_t len = sizeof seed - 1;
        memcpy(buf, seed, len);
        for (int k = 1 + rand() % 3; k > 0; k--)
            buf[(size_t)rand() % len] = (char)(rand() & 0xff);
        core_job_t s;
        api_error_t e;
        if (api_parse_submission(buf, len, &lim, &langs, &s, &e) == 0)
            core_job_free(&s);
        else
            assert_true(e.status >= 400 && e.status < 500 && e.msg[0]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(routes),
        cmocka_unit_test(content_types),
        cmocka_unit_test(submission_ok),
        cmocka_unit_test(submission_bad),
        cmocka_unit_test(limits),
        cmocka_unit_test(question),
        cmocka_unit_test(judging),
        cmocka_unit_test(fuzz_deterministic),
    };
    return cmocka_run_group_tests_name("api_request", tests, setup, teardown);
}
