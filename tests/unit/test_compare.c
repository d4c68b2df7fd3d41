/* Unit tests: the output comparison rule (src/judge/compare.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "judge/compare.h"

static bool match(const char *got, const char *want)
{
    return judge_output_matches(got, strlen(got), want, strlen(want));
}

static size_t diff(const char *got, const char *want)
{
    return judge_output_diff_line(got, strlen(got), want, strlen(want));
}

static void exact_and_trailing_whitespace(void **state)
{
    (void)state;
    assert_true(match("4\n", "4\n"));
    assert_true(match("4", "4\n"));              /* missing final newline */
    assert_true(match("4\n", "4"));
    assert_true(match("4  \t", "4"));            /* trailing spaces and tabs */
    assert_true(match("4\n\n\n", "4"));          /* trailing blank lines */
    assert_true(match("4\n  \n\t\n", "4\n"));    /* trailing lines of whitespace */
    assert_true(match("a \nb\t\n", "a\nb"));      /* on every line */
}

static void crlf(void **state)
{
    (void)state;
    assert_true(match("1\r\n2\r\n", "1\n2\n"));
    assert_true(match("1\n2\n", "1\r\n2\r\n"));
    assert_true(match("1\r\n2", "1\n2\n"));      /* CRLF and no final newline */
    assert_true(match("1\r\r\n", "1"));
    assert_false(match("1\r2", "1\n2"));         /* a lone CR inside a line is a byte like any other */
}

static void what_still_counts(void **state)
{
    (void)state;
    assert_false(match(" 4", "4"));              /* leading whitespace */
    assert_false(match("4\n5", "4"));
    assert_false(match("4", "4\n5"));
    assert_false(match("a\n\nb", "a\nb"));       /* blank line between lines */
    assert_true(match("a\n  \nb", "a\n\nb"));    /* ... but its spaces do not */
    assert_false(match("A", "a"));               /* case */
    assert_false(match("4 2", "4  2"));          /* inner spaces */
    assert_false(match("", "0"));
    assert_true(match("", ""));
    assert_true(match("", "\n \n"));             /* nothing vs. whitespace only */
    assert_true(match("\n\n", ""));
}

static void nul_and_null(void **state)
{
    (void)state;
    assert_true(judge_output_matches("a\0b\n", 4, "a\0b", 3));
    assert_false(judge_output_matches("a\0b", 3, "a\0c", 3));
    assert_true(judge_output_matches(NULL, 0, "", 0));
    assert_true(judge_output_matches(NULL, 0, NULL, 0));
    assert_false(judge_output_matches(NULL, 0, "x", 1));
}

static void diff_lines(void **state)
{
    (void)state;
    assert_int_equal(diff("1\n2\n3\n", "1\n2\n3"), 0);
    assert_int_equal(diff("x\n2\n", "1\n2\n"), 1);
    assert_int_equal(diff("1\n2\n4\n", "1\n2\n3\n"), 3);
    assert_int_equal(diff("1\n2\n", "1\n2\n3\n"), 3);  /* expected has more lines */
    assert_int_equal(diff("1\n2\n3\n", "1\n2\n"), 3);  /* output has more lines */
    assert_int_equal(diff("", "1"), 1);
}

/* Property: adding trailing whitespace, CRs or blank lines to either side
 * never changes the outcome. */
static void fuzz_invariance(void **state)
{
    (void)state;
    srand(7);
    static const char alphabet[] = "ab \t\r\n";
    static const char junk[] = " \t\r\n";
    for (int round = 0; round < 20000; round++) {
        char a[40], b[40], a2[80], b2[80];
        size_t la = (size_t)(rand() % 16), lb = (size_t)(rand() % 16);
        for (size_t i = 0; i < la; i++)
            a[i] = alphabet[rand() % 6];
        for (size_t i = 0; i < lb; i++)
            b[i] = alphabet[rand() % 6];
        bool m = judge_output_matches(a, la, b, lb);
        assert_int_equal(m, judge_output_matches(b, lb, a, la)); /* symmetric */
        assert_true(judge_output_matches(a, la, a, la));         /* reflexive */
        memcpy(a2, a, la);
        memcpy(b2, b, lb);
        size_t ea = (size_t)(rand() % 8), eb = (size_t)(rand() % 8);
        for (size_t i = 0; i < ea; i++)
            a2[la + i] = junk[rand() % 4];
        for (size_t i = 0; i < eb; i++)
            b2[lb + i] = junk[rand() % 4];
        assert_int_equal(m, judge_output_matches(a2, la + ea, b2, lb + eb));
        assert_int_equal(m, judge_output_diff_line(a, la, b, lb) == 0);
    }
}

/* The expected output read from a file (a buffer at a time, as test data
 * is) gives the same answer as from memory, including across the buffer's
 * edges: random texts of blanks, newlines and letters, some over 16 KiB. */
static void from_file(void **state)
{
    (void)state;
    char path[] = "/tmp/nsjudge-compare-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    static const char alphabet[] = "  \t\r\n\nab";
    srand(7);
    size_t cap = 40000;
    char *got = malloc(cap), *want = malloc(cap);
    for (int round = 0; round < 400; round++) {
        size_t wl = (size_t)rand() % (round % 10 == 0 ? cap : 64), gl;
        for (size_t i = 0; i < wl; i++)
            want[i] = alphabet[rand() % (int)(sizeof alphabet - 1)];
        /* got: want with a few edits, or want itself with other trailing blanks */
        memcpy(got, want, wl);
        gl = wl;
        if (rand() % 2 && gl > 0)
            got[(size_t)rand() % gl] = alphabet[rand() % (int)(sizeof alphabet - 1)];
        else if (gl + 3 < cap)
            memcpy(got + gl, " \n\n", 3), gl += 3;
        assert_int_equal(ftruncate(fd, 0), 0);
        assert_int_equal(pwrite(fd, want, wl, 0), (ssize_t)wl);
        size_t line = 99;
        assert_int_equal(judge_output_diff_line_fd(got, gl, fd, &line), 0);
        assert_int_equal(line, judge_output_diff_line(got, gl, want, wl));
    }
    /* A long blank run across the buffer's edge before content. */
    memset(want, ' ', 20000);
    memcpy(want + 20000, "x\n", 2);
    assert_int_equal(ftruncate(fd, 0), 0);
    assert_int_equal(pwrite(fd, want, 20002, 0), 20002);
    size_t line = 99;
    assert_int_equal(judge_output_diff_line_fd(want, 20001, fd, &line), 0);
    assert_int_equal(line, 0);
    assert_int_equal(judge_output_diff_line_fd("x", 1, fd, &line), 0);
    assert_int_equal(line, 1);
    free(got);
    free(want);
    close(fd);
    assert_int_equal(judge_output_diff_line_fd("x", 1, fd, &line), -1); /* unreadable */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exact_and_trailing_whitespace),
        cmocka_unit_test(crlf),
        cmocka_unit_test(what_still_counts),
        cmocka_unit_test(nul_and_null),
        cmocka_unit_test(diff_lines),
        cmocka_unit_test(fuzz_invariance),
        cmocka_unit_test(from_file),
    };
    return cmocka_run_group_tests_name("compare", tests, NULL, NULL);
}
