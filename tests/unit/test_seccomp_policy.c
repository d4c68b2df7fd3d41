/* Unit tests: the seccomp policy parser, and what the shipped policy says. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/util.h"
#include "sandbox/seccomp_policy.h"

static void expect_error(const char *text, const char *needle)
{
    seccomp_policy_t p;
    nsj_error_t err;
    assert_int_equal(seccomp_policy_parse(text, "t.policy", &p, &err), -1);
    if (!strstr(err.msg, needle))
        fail_msg("error '%s' lacks '%s'", err.msg, needle);
}

static void grammar(void **state)
{
    (void)state;
    const char *text = "# comment\n"
                       "default allow\n"
                       "badarch kill\n"
                       "kill ptrace bpf   # trailing comment\n"
                       "errno EPERM mount\n"
                       "errno EPERM clone if arg0 & CLONE_NEWUSER|CLONE_NEWNET\n"
                       "errno EPERM personality if arg0 != 0xffffffff and arg1 == 0\n";
    seccomp_policy_t p;
    nsj_error_t err;
    assert_int_equal(seccomp_policy_parse(text, "t.policy", &p, &err), 0);
    assert_int_equal(p.def.kind, SECPOL_ALLOW);
    assert_int_equal(p.badarch.kind, SECPOL_KILL);
    assert_int_equal(p.nrules, 5);
    const secpol_rule_t *r = seccomp_policy_find(&p, "bpf");
    assert_non_null(r);
    assert_int_equal(r->action.kind, SECPOL_KILL);
    assert_int_equal(r->line, 4);
    r = seccomp_policy_find(&p, "clone");
    assert_int_equal(r->ncond, 1);
    assert_int_equal(r->cond[0].op, SECPOL_ANYBIT);
    assert_int_equal(r->cond[0].value, 0x10000000 | 0x40000000);
    r = seccomp_policy_find(&p, "personality");
    assert_int_equal(r->ncond, 2);
    assert_int_equal(r->cond[0].op, SECPOL_NE);
    assert_int_equal(r->cond[0].value, 0xffffffffULL);
    assert_int_equal(r->cond[1].arg, 1);
    seccomp_policy_free(&p);
}

static void errors_name_file_and_line(void **state)
{
    (void)state;
    expect_error("default allow\nkill ptracee\n", "t.policy:2: unknown syscall 'ptracee'");
    expect_error("default allow\nzap ptrace\n", "t.policy:2: unknown action 'zap'");
    expect_error("default allow\nerrno EWHAT mount\n", "t.policy:2: unknown errno name 'EWHAT'");
    expect_error("default allow\nerrno EPERM clone if arg9 & 1\n", "t.policy:2: bad condition");
    expect_error("default allow\nerrno EPERM clone if arg0 & NOT_A_FLAG\n", "t.policy:2: bad condition");
    expect_error("default allow\nerrno EPERM clone if arg0 & 1 or arg1 == 2\n", "t.policy:2: expected 'and'");
    expect_error("default allow\nerrno EPERM clone if arg0 & 1 and arg1 & 2\n", "at most one '&'");
    expect_error("default allow\nkill\n", "t.policy:2: no syscall named");
    expect_error("default allow\nbadarch allow\n", "badarch may not be allow");
    expect_error("kill ptrace\n", "no 'default' statement");
}

/* The shipped policy: the calls the issue names, with the actions meant. */
static void shipped_policy(void **state)
{
    (void)state;
    char path[4096];
    const char *home = getenv("NSJUDGE_HOME");
    snprintf(path, sizeof path, "%s/seccomp/default.policy", home ? home : ".");
    char *text;
    nsj_error_t err;
    assert_int_equal(util_read_whole_file(path, 1 << 20, &text, NULL, &err), 0);
    seccomp_policy_t p;
    if (seccomp_policy_parse(text, path, &p, &err) < 0)
        fail_msg("%s", err.msg);
    free(text);
    assert_int_equal(p.def.kind, SECPOL_ALLOW);
    assert_int_equal(p.badarch.kind, SECPOL_KILL);
    static const char *const denied[] = {
        "mount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount",
        "open_tree", "mount_setattr", "ptrace", "bpf", "perf_event_open", "keyctl", "add_key",
        "request_key", "io_uring_setup", "io_uring_enter", "io_uring_register", "kexec_load",
        "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff",
        "clock_settime", "settimeofday", "clock_adjtime", "adjtimex", "unshare", "setns", "clone3",
        "clone", "open_by_handle_at", "userfaultfd", "process_vm_readv", "process_vm_writev", "acct",
        "syslog", "personality",
    };
    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
        const secpol_rule_t *r = seccomp_policy_find(&p, denied[i]);
        if (!r || r->action.kind == SECPOL_ALLOW)
            fail_msg("the shipped policy does not deny %s", denied[i]);
    }
    const secpol_rule_t *r = seccomp_policy_find(&p, "clone3");
    assert_int_equal(r->action.kind, SECPOL_ERRNO);
    assert_int_equal(r->action.errnum, ENOSYS);
    assert_int_equal(seccomp_policy_find(&p, "ptrace")->action.kind, SECPOL_KILL);
    assert_int_equal(seccomp_policy_find(&p, "mount")->action.errnum, EPERM);
    r = seccomp_policy_find(&p, "clone");
    assert_int_equal(r->ncond, 1);
    assert_int_equal(r->cond[0].op, SECPOL_ANYBIT);
    /* Every namespace flag, CLONE_NEWTIME included. */
    assert_int_equal(r->cond[0].value, 0x7E020080ULL);
    seccomp_policy_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grammar),
        cmocka_unit_test(errors_name_file_and_line),
        cmocka_unit_test(shipped_policy),
    };
    return cmocka_run_group_tests_name("seccomp policy", tests, NULL, NULL);
}
