/* Unit tests: how facts become a verdict, the status fields and evidence. */
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sandbox/internal.h"

#define EXITED(c) (((c) & 0xff) << 8)
#define SIGNALED(s) ((s) & 0x7f)

static run_facts_t facts(void)
{
    run_facts_t f;
    memset(&f, 0, sizeof f);
    f.cpu_limit_ms = 5000;
    f.wall_limit_ms = 10000;
    f.output_limit = 1 << 20;
    f.have_status = 1;
    f.status = EXITED(0);
    return f;
}

static nsj_result_t decide(const run_facts_t *f)
{
    nsj_result_t r;
    nsj_result_init(&r);
    verdict_decide(f, &r);
    return r;
}

static void ok_and_exit_codes(void **state)
{
    (void)state;
    run_facts_t f = facts();
    nsj_result_t r = decide(&f);
    assert_int_equal(r.verdict, NSJ_VERDICT_OK);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.signal, 0);
    assert_string_equal(r.evidence, "exit code 0");
    f.status = EXITED(3);
    r = decide(&f);
    assert_int_equal(r.verdict, NSJ_VERDICT_RUNTIME_ERROR);
    assert_int_equal(r.exit_code, 3);
    assert_string_equal(r.evidence, "exit code 3");
    f.status = SIGNALED(SIGSEGV);
    r = decide(&f);
    assert_int_equal(r.verdict, NSJ_VERDICT_RUNTIME_ERROR);
    assert_int_equal(r.exit_code, -1);
    assert_int_equal(r.signal, SIGSEGV);
    assert_string_equal(r.evidence, "signal SEGV (11)");
}

/* Memory is decided by the OOM-kill count, never by exit 137 or SIGKILL. */
static void memory_from_oom_count_only(void **state)
{
    (void)state;
    run_facts_t f = facts();
    f.status = SIGNALED(SIGKILL);
    nsj_result_t r = decide(&f);
    assert_int_equal(r.verdict, NSJ_VERDICT_RUNTIME_ERROR);
    f.status = EXITED(137);
    r = decide(&f);
    assert_int_equal(r.verdict, NSJ_VERDICT_RUNTIME_ERROR);
    f.cg.oom_kills = 1;
    r = decide(&f);
    assert_int_equal(r.verdict, NSJ_VERDICT_MEMORY_LIMIT);
    assert_string_equal(r.evidence, "oom_kill=1");
    /* Even when the program survived the kill of one of its children. */
    f.status = EXITED(0);
    r = decide(&f);
    assert_int_equal(r.verdict, NSJ_VERDICT_MEMORY_LIMIT);
}

static void time_limits(void **state)
{
    (void)state;
    run_facts_t f = facts();
    f.have_status = 0;
    f.killed = KILL_CPU;
    f.cg.cpu_ns = 5003000000ULL;
    nsj_result_t r = decide(&f);
    assert_int_equal(r.verdict, NSJ_VERDICT_TIME_LIMIT);
    assert_int_equal(r.time_kind, NSJ_TIME_CPU);
    assert_int_equal(r.signal, SIGKILL);
    assert_string_equal(r.evidence, "cpu time 5003 ms > 5000 ms");
    f.killed = KILL_WALL;
    f.cg.cpu_ns = 1000000;
    r = decide(&f);
    assert_int_equal(r.time_kind, NSJ_TIME_WALL);
    assert_string_equal(r.evidence, "wall timer 10000 ms");
    /* Finished, but over the CPU limit before our timer fired. */
    f = facts();
    f.cg.cpu_ns = 5200000000ULL;
    r = decide(&f);
    assert_int_equal(r.verdict, NSJ_VERDICT_TIME_LIMIT);
    assert_int_equal(r.time_kind, NSJ_TIME_CPU);
    /* RLIMIT_CPU's SIGXCPU, with the CPU time to show for it, is a CPU
     * time limit too... */
    f = facts();
    f.status = SIGNALED(SIGXCPU);
    f.cg.cpu_ns = 6000000000ULL;
    r = decide(&f);
    assert_int_equal(r.verdict, NSJ_VERDICT_TIME_LIMIT);
    assert_non_null(strstr(r.evidence, "SIGXCPU"));
    /* ...but a SIGXCPU the program sent itself after 25 ms is its own end. */
    f.cg.cpu_ns = 25000000ULL;
    r = decide(&f);
    assert_int_equal(r.verdict, NSJ_VERDICT_RUNTIME_ERROR);
    assert_string_equal(r.evidence, "signal XCPU (24)");
    /* Killed by the wall timer while memory sat at the limit: the evidence says so. */
    f = facts();
    f.have_status = 0;
    f.killed = KILL_WALL;
    f.memory_limit = 64ULL << 20;
    f.cg.peak_bytes = 63ULL << 20;
    r = decide(&f);
    assert_int_equal(r.verdict, NSJ_VERDICT_TIME_LIMIT);
    assert_non_null(strstr(r.evidence, "memory at the limit (peak 63 of 64 MiB)"));
    f.cg.peak_bytes = 20ULL << 20;
    r = decide(&f);
    assert_null(strstr(r.evidence, "memory at the limit"));
}

static void precedence(void **state)
{
    (void)state;
    run_facts_t f = facts();
    f.have_status = 0;
    f.killed = KILL_SECCOMP;
    f.blocked_syscall = "ptrace";
    f.cg.oom_kills = 1;
    nsj_result_t r = decide(&f);
    assert_int_equal(r.verdict, NSJ_VERDICT_SYSCALL_BLOCKED);
    assert_non_null(strstr(r.evidence, "syscall=ptrace"));
    assert_non_null(strstr(r.evidence, "oom_kill=1"));
    f.killed = KILL_OUTPUT;
    f.out_over = 1;
    f.cg.oom_kills = 0;
    r = decide(&f);
    assert_int_equal(r.verdict, NSJ_VERDICT_OUTPUT_LIMIT);
    assert_string_equal(r.evidence, "stdout over 1048576 bytes");
    f.internal_error = 1;
    r = decide(&f);
    assert_int_equal(r.verdict, NSJ_VERDICT_INTERNAL_ERROR);
    /* init died without the program's status and nobody killed it. */
    f = facts();
    f.have_status = 0;
    r = decide(&f);
    assert_int_equal(r.verdict, NSJ_VERDICT_INTERNAL_ERROR);
}

/* The program's status came, then a timer or a cancel fired before the
 * supervisor saw it (a busy host): the program had ended on its own, and
 * its own status decides (an interactive contestant that printed its
 * answer and exited 0 is not "cancelled" by the interactor's reply). */
static void late_kill_after_status(void **state)
{
    (void)state;
    static const kill_reason_t late[] = {KILL_CANCEL, KILL_IDLE, KILL_WALL};
    for (size_t i = 0; i < sizeof late / sizeof late[0]; i++) {
        run_facts_t f = facts();
        f.killed = late[i];
        f.wall_ms = 3;
        nsj_result_t r = decide(&f);
        assert_int_equal(r.verdict, NSJ_VERDICT_OK);
        assert_int_equal(r.exit_code, 0);
        assert_string_equal(r.evidence, "exit code 0");
    }
    /* Its measured wall time over the limit is still a time limit. */
    run_facts_t f = facts();
    f.killed = KILL_WALL;
    f.wall_ms = 10001;
    nsj_result_t r = decide(&f);
    assert_int_equal(r.verdict, NSJ_VERDICT_TIME_LIMIT);
    /* Without a status (init killed first) the kill decides, as before. */
    f = facts();
    f.have_status = 0;
    f.killed = KILL_CANCEL;
    r = decide(&f);
    assert_int_equal(r.verdict, NSJ_VERDICT_RUNTIME_ERROR);
    assert_string_equal(r.evidence, "cancelled");
}

static void pids_evidence_is_appended(void **state)
{
    (void)state;
    run_facts_t f = facts();
    f.status = EXITED(1);
    f.cg.pids_max_hits = 3;
    nsj_result_t r = decide(&f);
    assert_int_equal(r.verdict, NSJ_VERDICT_RUNTIME_ERROR);
    assert_string_equal(r.evidence, "exit code 1; pids.events max=3");
}

static void names(void **state)
{
    (void)state;
    static const char *const want[] = {"ok", "runtime_error", "time_limit", "memory_limit",
                                       "output_limit", "syscall_blocked", "internal_error"};
    for (int v = NSJ_VERDICT_OK; v <= NSJ_VERDICT_INTERNAL_ERROR; v++) {
        assert_string_equal(nsj_verdict_name((nsj_verdict_t)v), want[v]);
        nsj_verdict_t back;
        assert_int_equal(nsj_verdict_from_name(want[v], &back), 0);
        assert_int_equal(back, v);
    }
    nsj_verdict_t x;
    assert_int_equal(nsj_verdict_from_name("wrong_answer", &x), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ok_and_exit_codes), cmocka_unit_test(memory_from_oom_count_only),
        cmocka_unit_test(time_limits),       cmocka_unit_test(precedence),
        cmocka_unit_test(late_kill_after_status),
        cmocka_unit_test(pids_evidence_is_appended), cmocka_unit_test(names),
    };
    return cmocka_run_group_tests_name("verdict", tests, NULL, NULL);
}
