/* The pure parts of callback delivery (src/worker/callbacks.c): the
 * CALLBACK_ALLOW ranges and the signature. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "worker/callbacks.h"

static bool allowed(const callbacks_allow_t *a, const char *ip)
{
    if (strchr(ip, ':')) {
        struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
        assert_int_equal(inet_pton(AF_INET6, ip, &s6.sin6_addr), 1);
        return callbacks_allowed(a, (struct sockaddr *)&s6);
    }
    struct sockaddr_in s4 = {.sin_family = AF_INET};
    assert_int_equal(inet_pton(AF_INET, ip, &s4.sin_addr), 1);
    return callbacks_allowed(a, (struct sockaddr *)&s4);
}

static void allow_ranges(void **state)
{
    (void)state;
    callbacks_allow_t a;
    nsj_error_t err;
    assert_int_equal(callbacks_allow_parse("", &a, &err), 0);
    assert_false(allowed(&a, "127.0.0.1"));
    assert_int_equal(callbacks_allow_parse("127.0.0.1/32, 10.0.0.0/8 fd00::/8,192.0.2.7", &a, &err), 0);
    assert_int_equal(a.n, 4);
    assert_true(allowed(&a, "127.0.0.1"));
    assert_false(allowed(&a, "127.0.0.2"));
    assert_true(allowed(&a, "10.200.1.1"));
    assert_false(allowed(&a, "11.0.0.1"));
    assert_true(allowed(&a, "192.0.2.7"));
    assert_true(allowed(&a, "fd12::1"));
    assert_false(allowed(&a, "::1"));
    assert_true(allowed(&a, "::ffff:127.0.0.1")); /* mapped: judged as IPv4 */
    assert_int_equal(callbacks_allow_parse("0.0.0.0/0", &a, &err), 0);
    assert_true(allowed(&a, "8.8.8.8"));
    assert_false(allowed(&a, "2001:db8::1"));
    const char *bad[] = {"127.0.0.1/33", "localhost", "10.0.0.0/", "::1/129", "1.2.3.4/x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(callbacks_allow_parse(bad[i], &a, &err), -1);
        assert_int_equal(err.errnum, EINVAL);
        assert_non_null(strstr(err.msg, "CALLBACK_ALLOW"));
    }
}

static void signature(void **state)
{
    (void)state;
    char hex[65];
    /* HMAC-SHA256("Jefe", "1700000000.{\"a\":1}"), from Python's hmac module. */
    callbacks_sign("Jefe", "1700000000", "{\"a\":1}", 7, hex);
    assert_string_equal(hex, "fa5f6481efc59da48b19c9dc10196c9953e5651f8304b3a318b6b87d70272e0a");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allow_ranges),
        cmocka_unit_test(signature),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
