/* Unit tests: Docker outcomes (docker inspect + what we saw) as verdicts. */
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "docker/docker_backend.h"

static nsj_result_t map(const docker_outcome_t *o)
{
    nsj_limits_t l;
    nsj_limits_default(&l);
    nsj_result_t r;
    nsj_result_init(&r);
    docker_outcome_to_result(o, &l, &r);
    return r;
}

static void outcomes(void **state)
{
    (void)state;
    docker_outcome_t o = {.started = 1, .exit_code = 0};
    nsj_result_t r = map(&o);
    assert_int_equal(r.verdict, NSJ_VERDICT_OK);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.evidence, "exit code 0"));

    o.exit_code = 3;
    r = map(&o);
    assert_int_equal(r.verdict, NSJ_VERDICT_RUNTIME_ERROR);
    assert_int_equal(r.exit_code, 3);

    /* 128+N is how docker reports signal N. */
    o.exit_code = 139;
    r = map(&o);
    assert_int_equal(r.verdict, NSJ_VERDICT_RUNTIME_ERROR);
    assert_int_equal(r.signal, SIGSEGV);
    assert_int_equal(r.exit_code, -1);

    /* OOMKilled decides memory_limit; 137 alone is just SIGKILL. */
    o.exit_code = 137;
    r = map(&o);
    assert_int_equal(r.verdict, NSJ_VERDICT_RUNTIME_ERROR);
    assert_int_equal(r.signal, SIGKILL);
    o.oom_killed = 1;
    r = map(&o);
    assert_int_equal(r.verdict, NSJ_VERDICT_MEMORY_LIMIT);
    assert_non_null(strstr(r.evidence, "OOMKilled=true"));

    o.oom_killed = 0;
    o.timed_out = 1;
    r = map(&o);
    assert_int_equal(r.verdict, NSJ_VERDICT_TIME_LIMIT);
    assert_int_equal(r.time_kind, NSJ_TIME_WALL);
    assert_non_null(strstr(r.evidence, "wall timer 10000 ms"));

    o.timed_out = 0;
    o.err_over = 1;
    r = map(&o);
    assert_int_equal(r.verdict, NSJ_VERDICT_OUTPUT_LIMIT);
    assert_non_null(strstr(r.evidence, "stderr over 1048576 bytes"));
}

static void docker_failures_are_internal_errors(void **state)
{
    (void)state;
    docker_outcome_t o = {.started = 0};
    strcpy(o.error, "docker run exit status 125: Unable to find image");
    nsj_result_t r = map(&o);
    assert_int_equal(r.verdict, NSJ_VERDICT_INTERNAL_ERROR);
    assert_non_null(strstr(r.message, "Unable to find image"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(outcomes),
        cmocka_unit_test(docker_failures_are_internal_errors),
    };
    return cmocka_run_group_tests_name("docker outcomes", tests, NULL, NULL);
}
