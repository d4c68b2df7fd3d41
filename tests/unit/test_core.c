/* Unit tests: the job model (src/core/) and what is made from it: the
 * status table's names, final set and SQL constraints (store/statuses.c),
 * limits, and the API's JSON of a stored submission (api/render.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "api/render.h"
#include "core/job.h"
#include "store/store.h"

static void status_table(void **state)
{
    (void)state;
    static const char *const finals[] = {"passed", "failed", "runtime_error", "compile_error", "time_limit",
                                         "memory_limit", "output_limit", "internal_error"};
    for (size_t i = 0; i < sizeof finals / sizeof finals[0]; i++) {
        core_status_t s;
        assert_int_equal(core_status_from_name(finals[i], &s), 0);
        assert_string_equal(core_status_name(s), finals[i]);
        assert_true(core_status_final(s));
        assert_true(core_status_name_final(finals[i]));
        assert_true(core_status_flags(s) & CORE_ST_TEST);
    }
    assert_false(core_status_final(CORE_STATUS_QUEUED));
    assert_false(core_status_final(CORE_STATUS_RUNNING));
    assert_false(core_status_flags(CORE_STATUS_RUNNING) & CORE_ST_TEST);
    assert_false(core_status_name_final("running"));
    assert_false(core_status_name_final(NULL));
    assert_false(core_status_name_final("PASSED"));
    core_status_t s;
    assert_int_equal(core_status_from_name("bogus", &s), -1);
    assert_int_equal(core_status_from_name(NULL, &s), -1);
    /* Every status has a distinct name. */
    for (unsigned i = 0; i < CORE_STATUS_COUNT; i++)
        for (unsigned j = i + 1; j < CORE_STATUS_COUNT; j++)
            assert_string_not_equal(core_status_name((core_status_t)i), core_status_name((core_status_t)j));
    assert_string_equal(core_status_name(CORE_STATUS_COUNT), "internal_error");
}

/* The migration made from the table: each column takes exactly its statuses. */
static void status_sql(void **state)
{
    (void)state;
    char version[64], again[64];
    char *sql = store_statuses_sql(version, sizeof version);
    assert_non_null(sql);
    assert_non_null(strstr(sql, "submissions_status_check CHECK (status IN ('queued', 'running', 'passed', 'failed', "
                                "'runtime_error', 'compile_error', 'time_limit', 'memory_limit', 'output_limit', "
                                "'internal_error'))"));
    assert_non_null(strstr(sql, "submission_results_status_check CHECK (status IN ('passed', 'failed', "
                                "'runtime_error', 'compile_error', 'time_limit', 'memory_limit', 'output_limit', "
                                "'internal_error', 'skipped'))"));
    assert_non_null(strstr(sql, "nsjudge_status_final(status text)"));
    assert_non_null(strstr(sql, "SELECT status IN ('passed', "));
    assert_null(strstr(strstr(sql, "nsjudge_status_final"), "'running'"));
    assert_int_equal(strncmp(version, "statuses-", 9), 0);
    char *sql2 = store_statuses_sql(again, sizeof again);
    assert_string_equal(version, again); /* the same table, the same version: applied once */
    free(sql);
    free(sql2);
}

static void limits(void **state)
{
    (void)state;
    const core_limits_t max = {.time_ms = 30000, .wall_ms = 60000, .memory_bytes = 2ULL << 30,
                               .output_bytes = 64ULL << 20};
    char msg[200];
    core_limits_t l = {0};
    assert_int_equal(core_limits_check(&l, &max, msg, sizeof msg), 0); /* nothing set */
    l.time_ms = 30001;
    assert_int_equal(core_limits_check(&l, &max, msg, sizeof msg), -1);
    assert_string_equal(msg, "field 'time_limit' must be from 0.01 to 30 seconds");
    l = (core_limits_t){.memory_bytes = 1};
    assert_int_equal(core_limits_check(&l, &max, msg, sizeof msg), -1);
    assert_string_equal(msg, "field 'memory_limit' must be from 4194304 to 2147483648 bytes");
    assert_int_equal(core_limit_check("output_limit", 0, &max, msg, sizeof msg), -1);
    assert_int_equal(core_limit_check("nope", 1, &max, msg, sizeof msg), -1);

    nsj_limits_t dflt, out;
    nsj_limits_default(&dflt);
    dflt.cpu_ms = 5000;
    dflt.wall_ms = 10000;
    core_limits_resolve(&(core_limits_t){0}, &dflt, &out);
    assert_memory_equal(&out, &dflt, sizeof out);
    /* A long CPU limit brings a wall clock long enough for it. */
    core_limits_resolve(&(core_limits_t){.time_ms = 20000}, &dflt, &out);
    assert_int_equal(out.cpu_ms, 20000);
    assert_int_equal(out.wall_ms, 41000);
    /* A short one keeps the default wall clock. */
    core_limits_resolve(&(core_limits_t){.time_ms = 1000, .memory_bytes = 64ULL << 20, .output_bytes = 10}, &dflt,
                        &out);
    assert_int_equal(out.cpu_ms, 1000);
    assert_int_equal(out.wall_ms, 10000);
    assert_int_equal(out.memory_bytes, 64ULL << 20);
    assert_int_equal(out.output_bytes, 10);
    assert_int_equal(out.pids, dflt.pids);
    core_limits_resolve(&(core_limits_t){.time_ms = 20000, .wall_ms = 25000}, &dflt, &out);
    assert_int_equal(out.wall_ms, 25000);
}

static void render_submission(void **state)
{
    (void)state;
    core_submission_t s = {0};
    snprintf(s.job.submission_id, sizeof s.job.submission_id, "0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01");
    snprintf(s.job.language, sizeof s.job.language, "python");
    s.job.source = "print(1)";
    s.job.limits.time_ms = 1500;
    s.report.status = CORE_STATUS_TIME_LIMIT;
    s.report.summarized = true;
    s.report.score = 1;
    s.report.max_score = 3;
    s.report.execution_ms = 2001;
    snprintf(s.created_at, sizeof s.created_at, "2026-11-30T01:00:00.000000Z");
    core_test_result_t t[2] = {
        {.ordinal = 0, .status = CORE_STATUS_PASSED, .passed = true, .out = "1\n", .err = "", .exit_code = 0,
         .limits = {.time_ms = 1500, .wall_ms = 10000, .memory_bytes = 256ULL << 20, .output_bytes = 1 << 20}},
        {.ordinal = 1, .status = CORE_STATUS_TIME_LIMIT, .out = "", .err = "", .exit_code = -1, .signal = 9},
    };
    s.report.tests = t;
    s.report.ntests = 2;
    char *text = api_render_submission(&s);
    assert_non_null(text);
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "time_limit");
    assert_true(json_is_null(json_object_get(j, "question_id")));
    assert_true(json_is_null(json_object_get(j, "started_at")));
    assert_true(json_is_null(json_object_get(j, "error")));
    assert_true(json_is_null(json_object_get(j, "memory_limit")));
    assert_true(json_real_value(json_object_get(j, "time_limit")) == 1.5);
    assert_int_equal(json_integer_value(json_object_get(j, "score_awarded")), 1);
    json_t *r0 = json_array_get(json_object_get(j, "results"), 0), *r1 = json_array_get(json_object_get(j, "results"), 1);
    json_t *l0 = json_object_get(r0, "limits");
    assert_true(json_real_value(json_object_get(l0, "time_limit")) == 1.5);
    assert_true(json_real_value(json_object_get(l0, "wall_limit")) == 10.0);
    assert_int_equal(json_integer_value(json_object_get(l0, "memory_limit")), 256 << 20);
    assert_int_equal(json_integer_value(json_object_get(r0, "exit_code")), 0);
    assert_true(json_is_null(json_object_get(r1, "exit_code")));
    assert_int_equal(json_integer_value(json_object_get(r1, "signal")), 9);
    assert_true(json_is_null(json_object_get(r1, "limits"))); /* stored before limits were recorded */
    json_decref(j);
    free(text);

    /* Not judged yet: nothing summarised. */
    core_submission_t q = {0};
    q.report.status = CORE_STATUS_QUEUED;
    text = api_render_submission(&q);
    j = json_loads(text, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "queued");
    assert_true(json_is_null(json_object_get(j, "score_awarded")));
    assert_true(json_is_null(json_object_get(j, "execution_ms")));
    assert_int_equal(json_array_size(json_object_get(j, "results")), 0);
    json_decref(j);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_table),
        cmocka_unit_test(status_sql),
        cmocka_unit_test(limits),
        cmocka_unit_test(render_submission),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
