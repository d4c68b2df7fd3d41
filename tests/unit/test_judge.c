/* Unit tests: the judge's pure parts (classification, scoring, storable text). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "judge/judge.h"

static void classify(void **state)
{
    (void)state;
    nsj_result_t r;
    nsj_result_init(&r);
    r.verdict = NSJ_VERDICT_OK;
    assert_int_equal(judge_classify(&r, true), CORE_STATUS_PASSED);
    assert_int_equal(judge_classify(&r, false), CORE_STATUS_FAILED);
    r.verdict = NSJ_VERDICT_RUNTIME_ERROR;
    assert_int_equal(judge_classify(&r, true), CORE_STATUS_RUNTIME_ERROR);
    r.verdict = NSJ_VERDICT_SYSCALL_BLOCKED;
    assert_int_equal(judge_classify(&r, false), CORE_STATUS_RUNTIME_ERROR);
    r.verdict = NSJ_VERDICT_TIME_LIMIT;
    assert_int_equal(judge_classify(&r, false), CORE_STATUS_TIME_LIMIT);
    r.verdict = NSJ_VERDICT_MEMORY_LIMIT;
    assert_int_equal(judge_classify(&r, false), CORE_STATUS_MEMORY_LIMIT);
    r.verdict = NSJ_VERDICT_OUTPUT_LIMIT;
    assert_int_equal(judge_classify(&r, true), CORE_STATUS_OUTPUT_LIMIT);
    r.verdict = NSJ_VERDICT_INTERNAL_ERROR;
    assert_int_equal(judge_classify(&r, true), CORE_STATUS_INTERNAL_ERROR);
    assert_string_equal(core_status_name(CORE_STATUS_FAILED), "failed");
    assert_string_equal(core_status_name(CORE_STATUS_MEMORY_LIMIT), "memory_limit");
    assert_string_equal(core_status_name(CORE_STATUS_COMPILE_ERROR), "compile_error");
}

static void summarize(void **state)
{
    (void)state;
    core_test_t tests[4] = {{.score = 1}, {.score = 2}, {.score = 4}, {.score = 8}};
    core_test_result_t res[4] = {
        {.status = CORE_STATUS_PASSED, .passed = true, .wall_ms = 10, .memory_kb = 100, .out = "o0"},
        {.status = CORE_STATUS_FAILED, .wall_ms = 30, .memory_kb = 50, .out = "o1", .err = "e1"},
        {.status = CORE_STATUS_TIME_LIMIT, .wall_ms = 1000, .memory_kb = 70, .out = "o2"},
        {.status = CORE_STATUS_PASSED, .passed = true, .wall_ms = 5, .memory_kb = 300, .out = "o3"},
    };
    core_report_t rep = {.status = CORE_STATUS_PASSED, .tests = res, .ntests = 4};
    judge_summarize(&rep, tests, 4, NULL);
    assert_int_equal(rep.status, CORE_STATUS_FAILED); /* the first failing test's verdict */
    assert_int_equal(rep.score, 9);
    assert_int_equal(rep.max_score, 15);
    assert_int_equal(rep.execution_ms, 1000);
    assert_int_equal(rep.memory_kb, 300);
    assert_true(rep.summarized);
    assert_string_equal(rep.out, "o1"); /* the first failing test's output */
    assert_string_equal(rep.err, "e1");
    free(rep.out);
    free(rep.err);
    rep.out = rep.err = NULL;

    res[1] = (core_test_result_t){.status = CORE_STATUS_PASSED, .passed = true, .out = "o1"};
    rep.status = CORE_STATUS_PASSED;
    judge_summarize(&rep, tests, 4, NULL);
    assert_int_equal(rep.status, CORE_STATUS_TIME_LIMIT);
    assert_string_equal(rep.out, "o2");
    assert_null(rep.err);
    free(rep.out);
    rep.out = NULL;

    res[2] = (core_test_result_t){.status = CORE_STATUS_PASSED, .passed = true, .out = "o2"};
    rep.status = CORE_STATUS_PASSED;
    judge_summarize(&rep, tests, 4, NULL);
    assert_int_equal(rep.status, CORE_STATUS_PASSED);
    assert_int_equal(rep.score, 15);
    assert_string_equal(rep.out, "o3"); /* all passed: the last test */
    free(rep.out);
    rep.out = NULL;

    /* Fewer tests ran than exist (the sandbox broke): never "passed". */
    rep.status = CORE_STATUS_PASSED;
    rep.ntests = 2;
    judge_summarize(&rep, tests, 4, NULL);
    assert_int_equal(rep.status, CORE_STATUS_INTERNAL_ERROR);
    assert_int_equal(rep.score, 3);
    assert_int_equal(rep.max_score, 15);
    free(rep.out);
}

static void display_text(void **state)
{
    (void)state;
    char *t = judge_display_text("ok\n", 3, 100);
    assert_string_equal(t, "ok\n");
    free(t);
    t = judge_display_text("a\0b", 3, 100);
    assert_string_equal(t, "a\xEF\xBF\xBD" "b");
    free(t);
    t = judge_display_text("\xff", 1, 100);
    assert_string_equal(t, "\xEF\xBF\xBD");
    free(t);
    t = judge_display_text("0123456789", 10, 4);
    assert_string_equal(t, "0123\n[output truncated: 4 bytes shown of 10]");
    free(t);
    t = judge_display_text(NULL, 0, 4);
    assert_string_equal(t, "");
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(classify),
        cmocka_unit_test(summarize),
        cmocka_unit_test(display_text),
    };
    return cmocka_run_group_tests_name("judge", tests, NULL, NULL);
}
