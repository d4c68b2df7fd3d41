/* Unit tests: program output made valid UTF-8 for JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "judge/text.h"

static void check(const char *in, size_t len, const char *want, size_t wantlen)
{
    size_t n;
    char *out = text_utf8_sanitize(in, len, &n);
    assert_non_null(out);
    assert_int_equal(n, wantlen);
    assert_memory_equal(out, want, wantlen);
    assert_int_equal(out[n], '\0');
    free(out);
}

#define CHECK(in, want) check(in, sizeof(in) - 1, want, sizeof(want) - 1)
#define R "\xEF\xBF\xBD"

static void valid_passes(void **state)
{
    (void)state;
    CHECK("hello\n", "hello\n");
    CHECK("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80", "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80");
    CHECK("a\0b", "a\0b"); /* NUL kept: JSON writes \u0000 */
    CHECK("", "");
}

static void invalid_replaced(void **state)
{
    (void)state;
    CHECK("\xFF", R);
    CHECK("a\x80z", "a" R "z");
    CHECK("\xC3", R);                      /* truncated */
    CHECK("\xC0\xAF", R R);                /* overlong '/' */
    CHECK("\xED\xA0\x80", R R R);          /* surrogate */
    CHECK("\xF4\x90\x80\x80", R R R R);    /* above U+10FFFF */
    CHECK("\xE2\x82", R R);
}

/* Random bytes never produce invalid UTF-8 (re-sanitising is identity). */
static void fuzz_idempotent(void **state)
{
    (void)state;
    srand(42);
    for (int round = 0; round < 2000; round++) {
        size_t len = (size_t)(rand() % 64);
        char buf[64];
        for (size_t i = 0; i < len; i++)
            buf[i] = (char)(rand() & 0xff);
        size_t n1, n2;
        char *a = text_utf8_sanitize(buf, len, &n1);
        char *b = text_utf8_sanitize(a, n1, &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(a, b, n1);
        free(a), free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_passes), cmocka_unit_test(invalid_replaced), cmocka_unit_test(fuzz_idempotent),
    };
    return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
