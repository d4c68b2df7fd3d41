/* Listing query parameters and the opaque cursor (src/api/listing.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api/listing.h"

#define ID "0b6f3a5e-8a40-4c1e-9a43-2f1f7c3d9e01"

static void cursor_round_trip(void **state)
{
    (void)state;
    char cur[API_CURSOR_MAX + 1], id[37];
    int64_t us;
    api_cursor_encode(1796012345678901, ID, cur, sizeof cur);
    assert_int_equal(strspn(cur, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), strlen(cur));
    assert_int_equal(api_cursor_decode(cur, &us, id), 0);
    assert_true(us == 1796012345678901);
    assert_string_equal(id, ID);
    /* Anything the API did not make is refused. */
    assert_true(api_cursor_decode("", &us, id) < 0);
    assert_true(api_cursor_decode("bm9wZQ", &us, id) < 0);
    assert_true(api_cursor_decode("a=b", &us, id) < 0);
    cur[5] = cur[5] == 'A' ? 'B' : 'A';
    int64_t us2 = 0;
    char id2[37] = "";
    if (api_cursor_decode(cur, &us2, id2) == 0)
        assert_true(us2 != us || strcmp(id2, ID) != 0);
}

static void parameters(void **state)
{
    (void)state;
    store_list_query_t q;
    api_error_t e;
    assert_int_equal(api_parse_listing(true, NULL, 0, &q, &e), 0);
    assert_int_equal(q.limit, API_LIST_LIMIT_DEFAULT);
    assert_false(q.after);
    assert_null(q.owner_key_id);
    api_query_arg_t ok[] = {{"limit", "5"}, {"status", "passed"}, {"question_id", "0B6F3A5E-8A40-4C1E-9A43-2F1F7C3D9E01"}};
    assert_int_equal(api_parse_listing(true, ok, 3, &q, &e), 0);
    assert_int_equal(q.limit, 5);
    assert_string_equal(q.status, "passed");
    assert_string_equal(q.question_id, ID);
    api_query_arg_t bad[][1] = {{{"limit", "0"}}, {{"limit", "1x"}}, {{"limit", NULL}}, {{"status", "nope"}},
                                {{"question_id", "1"}}, {{"cursor", "zz"}}, {{"other", "1"}}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(api_parse_listing(true, bad[i], 1, &q, &e), -1);
        assert_int_equal(e.status, 400);
    }
    api_query_arg_t qonly[] = {{"status", "passed"}};
    assert_int_equal(api_parse_listing(false, qonly, 1, &q, &e), -1);
    api_query_arg_t twice[] = {{"limit", "1"}, {"limit", "2"}};
    assert_int_equal(api_parse_listing(true, twice, 2, &q, &e), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cursor_round_trip),
        cmocka_unit_test(parameters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
