/* Test prerequisites: a test that needs root, a kernel feature, a server or
 * a built rootfs calls REQUIRE(cond, "why"). When the condition fails it is
 * skipped with the reason printed, unless NSJUDGE_TESTS_MUST_RUN=1 (CI),
 * where a skip would hide a broken environment: then it fails. */
#ifndef NSJ_TEST_REQUIRE_H
#define NSJ_TEST_REQUIRE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static inline int tests_must_run(void)
{
    const char *v = getenv("NSJUDGE_TESTS_MUST_RUN");
    return v && strcmp(v, "1") == 0;
}

#define REQUIRE(cond, ...)                                                        \
    do {                                                                          \
        if (!(cond)) {                                                            \
            char why_[4096];                                                       \
            snprintf(why_, sizeof why_, __VA_ARGS__);                             \
            if (tests_must_run())                                                 \
                fail_msg("required but unavailable (NSJUDGE_TESTS_MUST_RUN=1): %s", why_); \
            print_message("SKIP: %s\n", why_);                                    \
            skip();                                                               \
        }                                                                         \
    } while (0)

#endif
