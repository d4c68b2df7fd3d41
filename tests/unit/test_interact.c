/* Unit tests: the verdict of an interactive test from its two sandboxes'
 * outcomes (judge/interact.c), one case per rule. */
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/judging.h"
#include "judge/interact.h"

static char no_output[] = "";

static nsj_result_t exited(int code, const char *err)
{
    nsj_result_t r;
    nsj_result_init(&r);
    r.verdict = code ? NSJ_VERDICT_RUNTIME_ERROR : NSJ_VERDICT_OK;
    r.exit_code = code;
    r.err = (char *)(err ? err : no_output);
    r.err_len = strlen(r.err);
    snprintf(r.evidence, sizeof r.evidence, "exit code %d", code);
    return r;
}

static nsj_result_t killed(nsj_verdict_t v, int sig, const char *evidence)
{
    nsj_result_t r;
    nsj_result_init(&r);
    r.verdict = v;
    r.signal = sig;
    r.err = no_output;
    snprintf(r.evidence, sizeof r.evidence, "%s", evidence);
    return r;
}

/* A pair: contestant c, interactor i, who ended first. */
static interact_outcome_t decide(nsj_result_t c, nsj_result_t i, int interactor_first)
{
    nsj_pair_result_t pr;
    memset(&pr, 0, sizeof pr);
    pr.contestant = c;
    pr.interactor = i;
    pr.contestant_ran = 1;
    pr.interactor_first = interactor_first;
    interact_outcome_t o;
    interact_decide(&pr, &o);
    return o;
}

static void accepted(void **state)
{
    (void)state;
    interact_outcome_t o = decide(exited(0, NULL), exited(0, "ok: 3 queries\n"), 0);
    assert_int_equal(o.status, CORE_STATUS_PASSED);
    assert_non_null(strstr(o.evidence, "ok: 3 queries"));
    assert_null(strchr(o.evidence, '\n'));
    o = decide(exited(0, NULL), exited(0, NULL), 1);
    assert_int_equal(o.status, CORE_STATUS_PASSED);
}

static void interactor_rejection_wins(void **state)
{
    (void)state;
    /* Rejected first; the contestant then died of SIGPIPE, was stopped, or crashed. */
    int codes[] = {INTERACT_EXIT_WA, INTERACT_EXIT_PE, INTERACT_EXIT_DIRT, INTERACT_EXIT_UNEXPECTED_EOF};
    for (size_t k = 0; k < sizeof codes / sizeof codes[0]; k++) {
        interact_outcome_t o = decide(killed(NSJ_VERDICT_RUNTIME_ERROR, SIGPIPE, "signal PIPE (13)"),
                                      exited(codes[k], "wrong: 5\n"), 1);
        assert_int_equal(o.status, CORE_STATUS_FAILED);
        assert_non_null(strstr(o.evidence, "wrong: 5"));
        assert_false(o.interactor_failed);
    }
    interact_outcome_t o = decide(killed(NSJ_VERDICT_RUNTIME_ERROR, SIGKILL, "cancelled"), exited(1, NULL), 1);
    assert_int_equal(o.status, CORE_STATUS_FAILED);
    /* The contestant ended well, then the interactor rejected its answer. */
    o = decide(exited(0, NULL), exited(1, "wrong\n"), 0);
    assert_int_equal(o.status, CORE_STATUS_FAILED);
}

/* Exit 7: partial points, read as for a checker ("points X" first on stderr). */
static void partial_points(void **state)
{
    (void)state;
    interact_outcome_t o = decide(exited(0, NULL), exited(INTERACT_EXIT_POINTS, "points 0.5 half the queries\n"), 0);
    assert_int_equal(o.status, CORE_STATUS_FAILED);
    assert_true(o.fraction > 0.49 && o.fraction < 0.51);
    assert_non_null(strstr(o.evidence, "points 0.5"));
    o = decide(exited(0, NULL), exited(INTERACT_EXIT_POINTS, "points 1 all\n"), 1);
    assert_int_equal(o.status, CORE_STATUS_PASSED);
    o = decide(exited(0, NULL), exited(INTERACT_EXIT_POINTS, "half\n"), 1);
    assert_int_equal(o.status, CORE_STATUS_INTERNAL_ERROR);
    assert_true(o.interactor_failed);
}

static void contestant_first_failure_wins(void **state)
{
    (void)state;
    /* It crashed / hit a limit while the interactor waited; the interactor
     * then saw EOF and said so. */
    interact_outcome_t o = decide(killed(NSJ_VERDICT_RUNTIME_ERROR, SIGSEGV, "signal SEGV (11)"), exited(8, "EOF\n"), 0);
    assert_int_equal(o.status, CORE_STATUS_RUNTIME_ERROR);
    assert_non_null(strstr(o.evidence, "SEGV"));
    o = decide(killed(NSJ_VERDICT_TIME_LIMIT, SIGKILL, "wall timer 2000 ms"), exited(1, NULL), 0);
    assert_int_equal(o.status, CORE_STATUS_TIME_LIMIT);
    o = decide(killed(NSJ_VERDICT_MEMORY_LIMIT, SIGKILL, "oom_kill=1"), exited(8, NULL), 0);
    assert_int_equal(o.status, CORE_STATUS_MEMORY_LIMIT);
    /* ... even when the interactor, blocked writing, then died of SIGPIPE,
     * or failed clumsily on EPIPE (a Python interactor's BrokenPipeError). */
    o = decide(killed(NSJ_VERDICT_TIME_LIMIT, SIGKILL, "wall timer 2000 ms"), exited(120, "BrokenPipeError\n"), 0);
    assert_int_equal(o.status, CORE_STATUS_TIME_LIMIT);
    assert_false(o.interactor_failed);
    o = decide(killed(NSJ_VERDICT_TIME_LIMIT, SIGKILL, "wall timer 2000 ms"),
               killed(NSJ_VERDICT_RUNTIME_ERROR, SIGPIPE, "signal PIPE (13)"), 0);
    assert_int_equal(o.status, CORE_STATUS_TIME_LIMIT);
    assert_false(o.interactor_failed);
}

static void sigpipe_is_a_consequence(void **state)
{
    (void)state;
    /* The contestant exited 0 before the interactor had finished writing. */
    interact_outcome_t o = decide(exited(0, NULL), killed(NSJ_VERDICT_RUNTIME_ERROR, SIGPIPE, "signal PIPE (13)"), 0);
    assert_int_equal(o.status, CORE_STATUS_FAILED);
    assert_false(o.interactor_failed);
    /* Accepted first, then the contestant's late write hit the closed pipe. */
    o = decide(killed(NSJ_VERDICT_RUNTIME_ERROR, SIGPIPE, "signal PIPE (13)"), exited(0, NULL), 1);
    assert_int_equal(o.status, CORE_STATUS_PASSED);
    /* Accepted first, but the contestant then crashed on its own. */
    o = decide(killed(NSJ_VERDICT_RUNTIME_ERROR, SIGSEGV, "signal SEGV (11)"), exited(0, NULL), 1);
    assert_int_equal(o.status, CORE_STATUS_RUNTIME_ERROR);
    /* An interactor SIGPIPE while the contestant still ran is its own failure. */
    o = decide(exited(0, NULL), killed(NSJ_VERDICT_RUNTIME_ERROR, SIGPIPE, "signal PIPE (13)"), 1);
    assert_int_equal(o.status, CORE_STATUS_INTERNAL_ERROR);
}

static void interactor_failures_are_internal(void **state)
{
    (void)state;
    nsj_result_t fails[] = {
        exited(INTERACT_EXIT_FAIL, "bad test\n"),
        exited(5, NULL),
        killed(NSJ_VERDICT_RUNTIME_ERROR, SIGSEGV, "signal SEGV (11)"),
        killed(NSJ_VERDICT_TIME_LIMIT, SIGKILL, "cpu time 1000 ms > 1000 ms"),
        killed(NSJ_VERDICT_MEMORY_LIMIT, SIGKILL, "oom_kill=1"),
        killed(NSJ_VERDICT_SYSCALL_BLOCKED, SIGKILL, "seccomp kill syscall=ptrace"),
    };
    for (size_t k = 0; k < sizeof fails / sizeof fails[0]; k++) {
        /* While the program ran (or after it ended well). */
        for (int first = 0; first < 2; first++) {
            interact_outcome_t o = decide(exited(0, NULL), fails[k], first);
            assert_int_equal(o.status, CORE_STATUS_INTERNAL_ERROR);
            assert_true(o.interactor_failed);
            assert_non_null(strstr(o.evidence, "interactor failed"));
        }
        /* After the program ended badly, e.g. at its wall clock while it
         * waited for an answer: a limit of the interactor's own means it was
         * busy, not waiting (a hang): still its failure. An exit or a crash
         * is its reaction to the end of its stdin: the program's verdict. */
        interact_outcome_t o = decide(killed(NSJ_VERDICT_TIME_LIMIT, SIGKILL, "wall timer"), fails[k], 0);
        bool limit = fails[k].verdict != NSJ_VERDICT_RUNTIME_ERROR;
        assert_int_equal(o.status, limit ? CORE_STATUS_INTERNAL_ERROR : CORE_STATUS_TIME_LIMIT);
        assert_int_equal(o.interactor_failed, limit);
    }
    interact_outcome_t o = decide(exited(0, NULL), exited(3, "bad test\n"), 1);
    assert_non_null(strstr(o.evidence, "bad test"));
}

static void sandbox_failures(void **state)
{
    (void)state;
    nsj_pair_result_t pr;
    memset(&pr, 0, sizeof pr);
    pr.contestant = exited(0, NULL);
    pr.interactor = exited(0, NULL);
    pr.rc_interactor = -1;
    snprintf(pr.interactor.message, sizeof pr.interactor.message, "clone: EAGAIN");
    interact_outcome_t o;
    interact_decide(&pr, &o);
    assert_int_equal(o.status, CORE_STATUS_INTERNAL_ERROR);
    assert_false(o.interactor_failed);
    assert_non_null(strstr(o.evidence, "interactor's sandbox: clone: EAGAIN"));
    pr.rc_interactor = 0;
    pr.rc_contestant = -1;
    interact_decide(&pr, &o);
    assert_int_equal(o.status, CORE_STATUS_INTERNAL_ERROR);
    assert_false(o.interactor_failed);
}

/* The question fields: mode and interactor, and every refusal naming its field. */
static int parse(const char *text, bool builtin_only, core_judging_t *j, char *msg)
{
    json_error_t je;
    json_t *o = json_loads(text, 0, &je);
    assert_non_null(o);
    core_judging_limits_t lim = {.program_max = 1000, .max_subtasks = 8};
    int rc = core_judging_parse(o, 2, builtin_only, &lim, j, msg, 256);
    json_decref(o);
    return rc;
}

static void parse_mode_and_interactor(void **state)
{
    (void)state;
    core_judging_t j;
    char msg[256];
    assert_int_equal(parse("{\"mode\": \"interactive\", \"interactor\": {\"language\": \"cpp\", "
                           "\"source\": \"int main(){}\", \"files\": {\"testlib.h\": \"//\"}}}", false, &j, msg), 0);
    assert_int_equal(j.mode, CORE_MODE_INTERACTIVE);
    assert_string_equal(j.interactor.language, "cpp");
    assert_int_equal(j.interactor.nfiles, 1);
    assert_false(core_judging_is_default(&j));
    /* Stored and read back: the same judging. */
    char *text = core_judging_dump(&j);
    core_judging_t back;
    assert_int_equal(parse(text, false, &back, msg), 0);
    assert_int_equal(back.mode, CORE_MODE_INTERACTIVE);
    assert_int_equal(back.interactor.source_len, j.interactor.source_len);
    free(text);
    core_judging_free(&back);
    /* Listings leave the source out. */
    json_t *listed = core_judging_json(&j, false);
    assert_string_equal(json_string_value(json_object_get(listed, "mode")), "interactive");
    assert_null(json_object_get(json_object_get(listed, "interactor"), "source"));
    json_decref(listed);
    core_judging_free(&j);

    assert_int_equal(parse("{\"mode\": \"standard\"}", false, &j, msg), 0);
    assert_true(core_judging_is_default(&j));
    core_judging_free(&j);

    static const struct {
        const char *body, *field;
        bool inline_tests;
    } bad[] = {
        {"{\"mode\": \"chatty\"}", "field 'mode'", false},
        {"{\"mode\": 1}", "field 'mode'", false},
        {"{\"mode\": \"interactive\"}", "field 'interactor' is required", false},
        {"{\"interactor\": {\"language\": \"cpp\", \"source\": \"x\"}}", "field 'interactor' comes with", false},
        {"{\"mode\": \"interactive\", \"interactor\": \"x\"}", "field 'interactor' must be an object", false},
        {"{\"mode\": \"interactive\", \"interactor\": {\"source\": \"x\"}}", "field 'interactor.language'", false},
        {"{\"mode\": \"interactive\", \"interactor\": {\"language\": \"cpp\"}}", "field 'interactor.source'", false},
        {"{\"mode\": \"interactive\", \"interactor\": {\"language\": \"cpp\", \"source\": \"x\", \"type\": \"custom\"}}",
         "unknown field 'interactor.type'", false},
        {"{\"mode\": \"interactive\", \"interactor\": {\"language\": \"cpp\", \"source\": \"x\", \"files\": {\"../x\": \"\"}}}",
         "field 'interactor.files'", false},
        {"{\"mode\": \"interactive\", \"checker\": {\"type\": \"tokens\"}, "
         "\"interactor\": {\"language\": \"cpp\", \"source\": \"x\"}}", "field 'checker'", false},
        {"{\"mode\": \"interactive\", \"interactor\": {\"language\": \"cpp\", \"source\": \"x\"}}", "field 'mode'", true},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        msg[0] = '\0';
        assert_int_equal(parse(bad[k].body, bad[k].inline_tests, &j, msg), -1);
        if (!strstr(msg, bad[k].field))
            fail_msg("%s: message '%s' lacks '%s'", bad[k].body, msg, bad[k].field);
    }
    /* Too big: the program limit names the field. */
    char big[1400];
    snprintf(big, sizeof big, "{\"mode\": \"interactive\", \"interactor\": {\"language\": \"cpp\", \"source\": \"%01100d\"}}", 0);
    assert_int_equal(parse(big, false, &j, msg), -1);
    assert_non_null(strstr(msg, "field 'interactor': source and files are 1100 bytes"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepted),
        cmocka_unit_test(interactor_rejection_wins),
        cmocka_unit_test(partial_points),
        cmocka_unit_test(contestant_first_failure_wins),
        cmocka_unit_test(sigpipe_is_a_consequence),
        cmocka_unit_test(interactor_failures_are_internal),
        cmocka_unit_test(sandbox_failures),
        cmocka_unit_test(parse_mode_and_interactor),
    };
    return cmocka_run_group_tests_name("interact", tests, NULL, NULL);
}
