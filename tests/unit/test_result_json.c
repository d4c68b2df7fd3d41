/* Unit tests: the CLI's JSON result object. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "judge/result_json.h"

static void keys_and_nulls(void **state)
{
    (void)state;
    nsj_result_t r;
    nsj_result_init(&r);
    r.verdict = NSJ_VERDICT_TIME_LIMIT;
    r.signal = 9;
    r.out = (char *)"a\xFF";
    r.out_len = 2;
    r.err = (char *)"";
    r.cpu_ms = 5001;
    r.wall_ms = 5100;
    r.memory_kb = 2048;
    strcpy(r.evidence, "cpu time 5001 ms > 5000 ms");
    json_t *j = result_to_json(&r);
    assert_non_null(j);
    assert_int_equal(json_object_size(j), 9);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "time_limit");
    assert_true(json_is_null(json_object_get(j, "exit_code")));
    assert_int_equal(json_integer_value(json_object_get(j, "signal")), 9);
    assert_string_equal(json_string_value(json_object_get(j, "stdout")), "a\xEF\xBF\xBD");
    assert_int_equal(json_integer_value(json_object_get(j, "cpu_ms")), 5001);
    assert_string_equal(json_string_value(json_object_get(j, "evidence")), "cpu time 5001 ms > 5000 ms");
    json_decref(j);

    r.verdict = NSJ_VERDICT_INTERNAL_ERROR;
    r.signal = 0;
    r.exit_code = 0;
    strcpy(r.message, "sandbox set-up: pivot_root: Invalid argument");
    j = result_to_json(&r);
    assert_true(json_is_null(json_object_get(j, "signal")));
    assert_int_equal(json_integer_value(json_object_get(j, "exit_code")), 0);
    assert_string_equal(json_string_value(json_object_get(j, "evidence")), r.message);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(keys_and_nulls)};
    return cmocka_run_group_tests_name("result json", tests, NULL, NULL);
}
