/* Unit tests: the built-in checkers and a custom checker's verdict
 * (src/judge/checker.c), the judging model's parser (src/core/judging.c),
 * subtask scoring and skipping (src/judge/judge.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "judge/checker.h"
#include "judge/judge.h"

static judge_check_outcome_t run(const core_checker_t *c, const char *got, const char *want, judge_check_t *out)
{
    judge_checker_compare_mem(c, got, strlen(got), want, strlen(want), out);
    return out->outcome;
}

static void tokens_checker(void **state)
{
    (void)state;
    core_checker_t c = {.type = CORE_CHECKER_TOKENS};
    judge_check_t r;
    assert_int_equal(run(&c, "1 2 3", "1\n2\n3\n", &r), JUDGE_CHECK_ACCEPTED);
    assert_int_equal(run(&c, "  1\t2\r\n\n3  ", "1 2 3", &r), JUDGE_CHECK_ACCEPTED);
    assert_int_equal(run(&c, "", "\n \n", &r), JUDGE_CHECK_ACCEPTED);
    assert_int_equal(run(&c, "1 2", "1 2 3", &r), JUDGE_CHECK_WRONG);
    assert_string_equal(r.message, "token 3: expected '3', the output ended");
    assert_int_equal(run(&c, "1 2 3 4", "1 2 3", &r), JUDGE_CHECK_WRONG);
    assert_string_equal(r.message, "token 4: expected the end, got '4'");
    assert_int_equal(run(&c, "1 20 3", "1 2 3", &r), JUDGE_CHECK_WRONG);
    assert_string_equal(r.message, "token 2: expected '2', got '20'");
    assert_int_equal(run(&c, "1.0", "1", &r), JUDGE_CHECK_WRONG); /* tokens compares text */
    assert_int_equal(run(&c, "Yes", "YES", &r), JUDGE_CHECK_WRONG);
    /* A message quoting output stays valid UTF-8. */
    assert_int_equal(run(&c, "\xff", "a", &r), JUDGE_CHECK_WRONG);
    assert_non_null(strstr(r.message, "\xEF\xBF\xBD"));
}

static void float_checker(void **state)
{
    (void)state;
    core_checker_t a = {.type = CORE_CHECKER_FLOAT, .abs = 1e-6}, rel = {.type = CORE_CHECKER_FLOAT, .rel = 1e-6};
    judge_check_t r;
    assert_int_equal(run(&a, "0.333333", "0.3333333333", &r), JUDGE_CHECK_ACCEPTED);
    /* The bound is inclusive, decimal text rounding notwithstanding. */
    assert_int_equal(run(&a, "1.000001", "1", &r), JUDGE_CHECK_ACCEPTED);
    assert_int_equal(run(&a, "0.999999", "1", &r), JUDGE_CHECK_ACCEPTED);
    assert_int_equal(run(&a, "1.0000011", "1", &r), JUDGE_CHECK_WRONG);
    assert_int_equal(run(&a, "1000000.5", "1000000", &r), JUDGE_CHECK_WRONG);
    assert_int_equal(run(&rel, "1000000.5", "1000000", &r), JUDGE_CHECK_ACCEPTED);
    assert_int_equal(run(&rel, "1000001.5", "1000000", &r), JUDGE_CHECK_WRONG);
    assert_int_equal(run(&rel, "1e-300", "0", &r), JUDGE_CHECK_WRONG); /* rel of 0 is 0 */
    assert_int_equal(run(&a, "1e-7", "0", &r), JUDGE_CHECK_ACCEPTED);
    assert_int_equal(run(&a, "-0", "0", &r), JUDGE_CHECK_ACCEPTED);
    assert_int_equal(run(&a, "1E+2 +5 .5", "100 5.0 0.5", &r), JUDGE_CHECK_ACCEPTED);
    /* NaN only matches NaN, an infinity only itself. */
    assert_int_equal(run(&a, "nan", "NaN", &r), JUDGE_CHECK_ACCEPTED);
    assert_int_equal(run(&a, "1", "nan", &r), JUDGE_CHECK_WRONG);
    assert_int_equal(run(&a, "nan", "1", &r), JUDGE_CHECK_WRONG);
    assert_int_equal(run(&a, "inf", "Infinity", &r), JUDGE_CHECK_ACCEPTED);
    assert_int_equal(run(&a, "-inf", "inf", &r), JUDGE_CHECK_WRONG);
    assert_int_equal(run(&a, "1e999", "inf", &r), JUDGE_CHECK_ACCEPTED); /* overflows to inf */
    assert_int_equal(run(&a, "1e308", "inf", &r), JUDGE_CHECK_WRONG);
    /* Not numbers: compared exactly; hex and trailing bytes are not numbers. */
    assert_int_equal(run(&a, "impossible", "impossible", &r), JUDGE_CHECK_ACCEPTED);
    assert_int_equal(run(&a, "Impossible", "impossible", &r), JUDGE_CHECK_WRONG);
    assert_int_equal(run(&a, "0x10", "16", &r), JUDGE_CHECK_WRONG);
    assert_int_equal(run(&a, "16abc", "16", &r), JUDGE_CHECK_WRONG);
    assert_int_equal(run(&a, "16", "0x10", &r), JUDGE_CHECK_WRONG);
    assert_int_equal(run(&a, "1.5 x", "1.5000001 x", &r), JUDGE_CHECK_ACCEPTED);
    assert_int_equal(run(&a, "1.5", "1.5 x", &r), JUDGE_CHECK_WRONG);
}

static void exact_checker_and_fd(void **state)
{
    (void)state;
    core_checker_t e = {.type = CORE_CHECKER_EXACT}, t = {.type = CORE_CHECKER_TOKENS};
    judge_check_t r;
    assert_int_equal(run(&e, "4  \n\n", "4", &r), JUDGE_CHECK_ACCEPTED);
    assert_int_equal(run(&e, "a  b", "a b", &r), JUDGE_CHECK_WRONG);
    assert_string_equal(r.message, "output differs from the expected output at line 1");
    /* From a file: mapped for the token checkers, streamed for exact. */
    char path[] = "/tmp/nsjudge-test-checker-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(write(fd, "1 2\n3\n", 6), 6);
    assert_int_equal(judge_checker_compare(&t, "1\n2 3", 5, fd, &r), 0);
    assert_int_equal(r.outcome, JUDGE_CHECK_ACCEPTED);
    assert_int_equal(judge_checker_compare(&e, "1\n2 3", 5, fd, &r), 0);
    assert_int_equal(r.outcome, JUDGE_CHECK_WRONG);
    assert_int_equal(ftruncate(fd, 0), 0);
    assert_int_equal(judge_checker_compare(&t, "", 0, fd, &r), 0); /* an empty answer */
    assert_int_equal(r.outcome, JUDGE_CHECK_ACCEPTED);
    close(fd);
}

static core_checker_t custom = {.type = CORE_CHECKER_CUSTOM};

static void verdict_of(int exit_code, int sig, nsj_verdict_t v, const char *err, judge_check_t *out)
{
    nsj_result_t r;
    nsj_result_init(&r);
    r.verdict = v;
    r.exit_code = exit_code;
    r.signal = sig;
    r.err = (char *)err;
    r.err_len = err ? strlen(err) : 0;
    snprintf(r.evidence, sizeof r.evidence, "evidence");
    judge_checker_verdict(&custom, &r, out);
}

static void custom_verdicts(void **state)
{
    (void)state;
    judge_check_t c;
    verdict_of(0, 0, NSJ_VERDICT_OK, "ok 3 numbers\nmore\n", &c);
    assert_int_equal(c.outcome, JUDGE_CHECK_ACCEPTED);
    assert_string_equal(c.message, "ok 3 numbers");
    verdict_of(1, 0, NSJ_VERDICT_RUNTIME_ERROR, "wrong answer expected 3, found 4", &c);
    assert_int_equal(c.outcome, JUDGE_CHECK_WRONG);
    assert_string_equal(c.message, "wrong answer expected 3, found 4");
    verdict_of(2, 0, NSJ_VERDICT_RUNTIME_ERROR, "wrong output format", &c);
    assert_int_equal(c.outcome, JUDGE_CHECK_WRONG);
    assert_string_equal(c.message, "presentation error: wrong output format");
    custom.pe_passes = true; /* "presentation_error": "passed" */
    verdict_of(2, 0, NSJ_VERDICT_RUNTIME_ERROR, "wrong output format", &c);
    assert_int_equal(c.outcome, JUDGE_CHECK_ACCEPTED);
    custom.pe_passes = false;
    verdict_of(3, 0, NSJ_VERDICT_RUNTIME_ERROR, "FAIL answer file broken", &c);
    assert_int_equal(c.outcome, JUDGE_CHECK_FAILED);
    /* testlib's quitp: "points X message" (X the fraction of the test's points). */
    verdict_of(7, 0, NSJ_VERDICT_RUNTIME_ERROR, "points 0.25 three of four", &c);
    assert_int_equal(c.outcome, JUDGE_CHECK_PARTIAL);
    assert_true(c.fraction > 0.2499 && c.fraction < 0.2501);
    assert_string_equal(c.message, "points 0.25: three of four");
    verdict_of(7, 0, NSJ_VERDICT_RUNTIME_ERROR, "points 1", &c);
    assert_int_equal(c.outcome, JUDGE_CHECK_ACCEPTED);
    verdict_of(7, 0, NSJ_VERDICT_RUNTIME_ERROR, "points 0", &c);
    assert_int_equal(c.outcome, JUDGE_CHECK_WRONG);
    verdict_of(7, 0, NSJ_VERDICT_RUNTIME_ERROR, "points 1.5", &c); /* out of range */
    assert_int_equal(c.outcome, JUDGE_CHECK_FAILED);
    verdict_of(7, 0, NSJ_VERDICT_RUNTIME_ERROR, "partially", &c);
    assert_int_equal(c.outcome, JUDGE_CHECK_FAILED);
    /* Crashes, limits and other exit codes are the checker's failure. */
    verdict_of(-1, 6, NSJ_VERDICT_RUNTIME_ERROR, "", &c);
    assert_int_equal(c.outcome, JUDGE_CHECK_FAILED);
    assert_non_null(strstr(c.message, "checker runtime_error"));
    verdict_of(-1, 9, NSJ_VERDICT_TIME_LIMIT, NULL, &c);
    assert_int_equal(c.outcome, JUDGE_CHECK_FAILED);
    verdict_of(-1, 9, NSJ_VERDICT_MEMORY_LIMIT, NULL, &c);
    assert_int_equal(c.outcome, JUDGE_CHECK_FAILED);
    verdict_of(4, 0, NSJ_VERDICT_RUNTIME_ERROR, "dirt", &c);
    assert_int_equal(c.outcome, JUDGE_CHECK_FAILED);
    assert_string_equal(c.message, "checker exit code 4: dirt");
    /* The message is bounded and valid UTF-8. */
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    big[5] = '\xff';
    verdict_of(1, 0, NSJ_VERDICT_RUNTIME_ERROR, big, &c);
    assert_true(strlen(c.message) <= 210);
    assert_non_null(strstr(c.message, "\xEF\xBF\xBD"));
}

static const core_judging_limits_t lim = {.program_max = 1000, .max_subtasks = 10};

static int parse(const char *text, size_t ntests, bool builtin_only, core_judging_t *j, char *msg)
{
    json_error_t jerr;
    json_t *o = json_loads(text, 0, &jerr);
    assert_non_null(o);
    int rc = core_judging_parse(o, ntests, builtin_only, &lim, j, msg, 256);
    json_decref(o);
    return rc;
}

static void judging_parse(void **state)
{
    (void)state;
    core_judging_t j;
    char msg[256];
    assert_int_equal(parse("{}", 1, false, &j, msg), 0);
    assert_true(core_judging_is_default(&j));
    core_judging_free(&j);
    assert_int_equal(parse("{\"checker\": {\"type\": \"float\", \"abs\": 1e-6}}", 1, true, &j, msg), 0);
    assert_int_equal(j.checker.type, CORE_CHECKER_FLOAT);
    assert_true(j.checker.abs == 1e-6 && j.checker.rel == 0);
    core_judging_free(&j);
    assert_int_equal(parse("{\"checker\": {\"type\": \"custom\", \"language\": \"cpp\", \"source\": \"int main(){}\","
                           " \"files\": {\"testlib.h\": \"//\"}}, \"subtasks\": [{\"name\": \"a\", \"points\": 5,"
                           " \"tests\": [0, 1]}, {\"name\": \"b\", \"points\": 7, \"tests\": [1], \"depends\": [\"a\"]}],"
                           " \"run_all_tests\": true}",
                           2, false, &j, msg),
                     0);
    assert_int_equal(j.checker.program.nfiles, 1);
    assert_string_equal(j.checker.program.files[0].name, "testlib.h");
    assert_int_equal(j.nsubtasks, 2);
    assert_int_equal(j.subtasks[1].depends[0], 0);
    assert_true(j.run_all);
    /* Dumped and parsed again: the same. */
    char *text = core_judging_dump(&j);
    core_judging_t k;
    assert_int_equal(parse(text, 2, false, &k, msg), 0);
    char *again = core_judging_dump(&k);
    assert_string_equal(text, again);
    free(text);
    free(again);
    core_judging_free(&k);
    assert_int_equal(core_judging_check_tests(&j, 2, msg, sizeof msg), 0);
    assert_int_equal(core_judging_check_tests(&j, 1, msg, sizeof msg), -1);
    core_judging_free(&j);

    static const struct {
        const char *body, *field;
        bool builtin_only;
    } bad[] = {
        {"{\"checker\": \"tokens\"}", "'checker'", false},
        {"{\"checker\": {\"type\": \"regex\"}}", "'checker.type'", false},
        {"{\"checker\": {\"type\": \"tokens\", \"abs\": 1}}", "'checker.abs'", false},
        {"{\"checker\": {\"type\": \"float\"}}", "'checker'", false},
        {"{\"checker\": {\"type\": \"float\", \"abs\": -1e-6}}", "'checker.abs'", false},
        {"{\"checker\": {\"type\": \"float\", \"rel\": 2}}", "'checker.rel'", false},
        {"{\"checker\": {\"type\": \"float\", \"rel\": \"1e-6\"}}", "'checker.rel'", false},
        {"{\"checker\": {\"type\": \"float\", \"abs\": 1e-6, \"eps\": 1}}", "'checker.eps'", false},
        {"{\"checker\": {\"type\": \"custom\", \"language\": \"cpp\", \"source\": \"x\"}}", "'checker.type'", true},
        {"{\"checker\": {\"type\": \"custom\", \"source\": \"x\"}}", "'checker.language'", false},
        {"{\"checker\": {\"type\": \"custom\", \"language\": \"cpp\"}}", "'checker.source'", false},
        {"{\"checker\": {\"type\": \"custom\", \"language\": \"cpp\", \"source\": \"x\", \"files\": {\"a/b\": \"\"}}}",
         "'checker.files'", false},
        {"{\"checker\": {\"type\": \"custom\", \"language\": \"cpp\", \"source\": \"x\", \"files\": {\".input\": \"\"}}}",
         "'checker.files'", false},
        {"{\"subtasks\": {}}", "'subtasks'", false},
        {"{\"subtasks\": [{\"name\": \"a\", \"points\": 1, \"tests\": [2]}]}", "'subtasks[0].tests[0]'", false},
        {"{\"subtasks\": [{\"name\": \"a\", \"points\": 1, \"tests\": [0, 0]}]}", "'subtasks[0].tests'", false},
        {"{\"subtasks\": [{\"name\": \"a\", \"points\": -1, \"tests\": [0]}]}", "'subtasks[0].points'", false},
        {"{\"subtasks\": [{\"name\": \"a\", \"points\": 1, \"tests\": [0]}, {\"name\": \"a\", \"points\": 1, "
         "\"tests\": [1]}]}",
         "'subtasks[1].name'", false},
        {"{\"subtasks\": [{\"name\": \"a\", \"points\": 1, \"tests\": [0], \"depends\": [\"x\"]}]}",
         "'subtasks[0].depends[0]'", false},
        {"{\"subtasks\": [{\"name\": \"a\", \"points\": 1, \"tests\": [0], \"depends\": [\"a\"]}]}", "cycle", false},
        {"{\"subtasks\": [{\"name\": \"a\", \"points\": 1, \"tests\": [0], \"depends\": [\"c\"]}, {\"name\": \"b\", "
         "\"points\": 1, \"tests\": [0], \"depends\": [\"a\"]}, {\"name\": \"c\", \"points\": 1, \"tests\": [1], "
         "\"depends\": [\"b\"]}]}",
         "cycle", false},
        {"{\"run_all_tests\": 1}", "'run_all_tests'", false},
        {"{\"checker\": {\"type\": \"custom\", \"language\": \"cpp\", \"source\": \"x\", \"presentation_error\": "
         "\"ok\"}}", "'checker.presentation_error'", false},
        {"{\"checker\": {\"type\": \"tokens\", \"presentation_error\": \"passed\"}}", "'checker.presentation_error'",
         false},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        msg[0] = '\0';
        assert_int_equal(parse(bad[i].body, 2, bad[i].builtin_only, &j, msg), -1);
        if (!strstr(msg, bad[i].field))
            fail_msg("%s: message '%s' does not name %s", bad[i].body, msg, bad[i].field);
    }
    char big[1200];
    snprintf(big, sizeof big, "{\"checker\": {\"type\": \"custom\", \"language\": \"cpp\", \"source\": \"%0900d\","
                              " \"files\": {\"a.h\": \"%0200d\"}}}", 0, 0);
    assert_int_equal(parse(big, 1, false, &j, msg), -1);
    assert_non_null(strstr(msg, "the limit is 1000"));
}

/* Three groups: sample (test 0, 0 points), small (1, 2; 40, after sample),
 * large (3, 4; 60, after small). */
static void subtask_judging(core_judging_t *j, bool run_all)
{
    char msg[256];
    assert_int_equal(parse(run_all ? "{\"subtasks\": [{\"name\": \"sample\", \"points\": 0, \"tests\": [0]},"
                                     " {\"name\": \"small\", \"points\": 40, \"tests\": [1, 2], \"depends\": [\"sample\"]},"
                                     " {\"name\": \"large\", \"points\": 60, \"tests\": [3, 4], \"depends\": [\"small\"]}],"
                                     " \"run_all_tests\": true}"
                                   : "{\"subtasks\": [{\"name\": \"sample\", \"points\": 0, \"tests\": [0]},"
                                     " {\"name\": \"small\", \"points\": 40, \"tests\": [1, 2], \"depends\": [\"sample\"]},"
                                     " {\"name\": \"large\", \"points\": 60, \"tests\": [3, 4], \"depends\": [\"small\"]}]}",
                           5, false, j, msg),
                     0);
}

/* Fill the report test by test as judge_run does: skipped when judge_skip says so. */
static void play(core_report_t *rep, const core_judging_t *j, const double *fractions)
{
    memset(rep, 0, sizeof *rep);
    rep->tests = calloc(5, sizeof *rep->tests);
    for (size_t i = 0; i < 5; i++) {
        char why[128];
        core_test_result_t *t = &rep->tests[i];
        if (judge_skip(rep, i, j, why, sizeof why)) {
            t->status = CORE_STATUS_SKIPPED;
        } else {
            t->fraction = fractions[i];
            t->passed = fractions[i] >= 1;
            t->status = t->passed ? CORE_STATUS_PASSED : CORE_STATUS_FAILED;
        }
        rep->ntests = i + 1;
    }
}

static void subtasks(void **state)
{
    (void)state;
    core_test_t tests[5] = {{.score = 1}, {.score = 1}, {.score = 1}, {.score = 1}, {.score = 1}};
    core_judging_t j, all;
    subtask_judging(&j, false);
    subtask_judging(&all, true);
    core_report_t rep;
    assert_int_equal(judge_max_score(tests, 5, &j), 100);
    assert_int_equal(judge_max_score(tests, 5, NULL), 5);

    double ac[5] = {1, 1, 1, 1, 1};
    play(&rep, &j, ac);
    judge_summarize(&rep, tests, 5, &j);
    assert_int_equal(rep.score, 100);
    assert_int_equal(rep.status, CORE_STATUS_PASSED);
    assert_int_equal(rep.ngroups, 3);
    core_report_free(&rep);

    /* Test 1 fails: the rest of small is skipped, and large (which depends on it). */
    double f1[5] = {1, 0, 1, 1, 1};
    play(&rep, &j, f1);
    judge_summarize(&rep, tests, 5, &j);
    assert_int_equal(rep.tests[2].status, CORE_STATUS_SKIPPED);
    assert_int_equal(rep.tests[3].status, CORE_STATUS_SKIPPED);
    assert_int_equal(rep.tests[4].status, CORE_STATUS_SKIPPED);
    assert_int_equal(rep.score, 0);
    assert_int_equal(rep.status, CORE_STATUS_FAILED);
    assert_int_equal(rep.groups[0].status, CORE_STATUS_PASSED);
    assert_int_equal(rep.groups[1].status, CORE_STATUS_FAILED);
    assert_int_equal(rep.groups[2].status, CORE_STATUS_SKIPPED);
    core_report_free(&rep);

    /* The same with run_all_tests: everything runs, large still scores nothing. */
    play(&rep, &all, f1);
    judge_summarize(&rep, tests, 5, &all);
    for (size_t i = 0; i < 5; i++)
        assert_int_not_equal(rep.tests[i].status, CORE_STATUS_SKIPPED);
    assert_int_equal(rep.score, 0);
    assert_int_equal(rep.groups[2].status, CORE_STATUS_FAILED);
    core_report_free(&rep);

    /* Partial points: a group scores its points times its least fraction. */
    double part[5] = {1, 1, 0.5, 1, 0.75};
    play(&rep, &j, part);
    assert_int_equal(rep.tests[3].status, CORE_STATUS_SKIPPED); /* large depends on small, which lost points */
    core_report_free(&rep);
    play(&rep, &all, part);
    judge_summarize(&rep, tests, 5, &all);
    assert_int_equal(rep.groups[1].awarded, 20);
    assert_int_equal(rep.groups[2].awarded, 0); /* small did not score in full */
    assert_int_equal(rep.score, 20);
    core_report_free(&rep);
    double part2[5] = {1, 1, 1, 1, 0.75};
    play(&rep, &j, part2);
    judge_summarize(&rep, tests, 5, &j);
    assert_int_equal(rep.groups[2].awarded, 45);
    assert_int_equal(rep.score, 85);
    core_report_free(&rep);

    /* Without subtasks: each test its score times its fraction. */
    core_test_t scored[2] = {{.score = 10}, {.score = 10}};
    core_test_result_t res[2] = {{.status = CORE_STATUS_PASSED, .passed = true, .out = "a"},
                                 {.status = CORE_STATUS_FAILED, .fraction = 0.5, .out = "b"}};
    core_report_t plain = {.tests = res, .ntests = 2};
    judge_summarize(&plain, scored, 2, NULL);
    assert_int_equal(plain.score, 15);
    assert_int_equal(plain.status, CORE_STATUS_FAILED);
    free(plain.out);
    free(plain.err);
    core_judging_free(&j);
    core_judging_free(&all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tokens_checker),  cmocka_unit_test(float_checker),  cmocka_unit_test(exact_checker_and_fd),
        cmocka_unit_test(custom_verdicts), cmocka_unit_test(judging_parse), cmocka_unit_test(subtasks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
