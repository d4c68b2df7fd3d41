/* The Prometheus registry (src/common/metrics.c): exact text of counters,
 * gauges and histograms, label escaping, concurrent updates. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/metrics.h"

static void text_format(void **state)
{
    (void)state;
    metrics_t *m = metrics_new();
    metric_t *c = metrics_counter(m, "nsjudge_http_requests_total", "Requests.\nBy route", "route,status");
    metric_t *g = metrics_gauge(m, "nsjudge_open_streams", "Open streams.", NULL);
    double b[] = {0.1, 1};
    metric_t *h = metrics_histogram(m, "nsjudge_x_seconds", "X.", "route", b, 2);
    metric_add(c, (const char *[]){"/a\"b\\", "200"}, 1);
    metric_add(c, (const char *[]){"/a\"b\\", "200"}, 2);
    metric_set(g, NULL, 3);
    metric_observe(h, (const char *[]){"/r"}, 0.05);
    metric_observe(h, (const char *[]){"/r"}, 0.5);
    metric_observe(h, (const char *[]){"/r"}, 7);
    char *t = metrics_render(m);
    assert_string_equal(t, "# HELP nsjudge_http_requests_total Requests.\\nBy route\n"
                           "# TYPE nsjudge_http_requests_total counter\n"
                           "nsjudge_http_requests_total{route=\"/a\\\"b\\\\\",status=\"200\"} 3\n"
                           "# HELP nsjudge_open_streams Open streams.\n"
                           "# TYPE nsjudge_open_streams gauge\n"
                           "nsjudge_open_streams 3\n"
                           "# HELP nsjudge_x_seconds X.\n"
                           "# TYPE nsjudge_x_seconds histogram\n"
                           "nsjudge_x_seconds_bucket{route=\"/r\",le=\"0.1\"} 1\n"
                           "nsjudge_x_seconds_bucket{route=\"/r\",le=\"1\"} 2\n"
                           "nsjudge_x_seconds_bucket{route=\"/r\",le=\"+Inf\"} 3\n"
                           "nsjudge_x_seconds_sum{route=\"/r\"} 7.55\n"
                           "nsjudge_x_seconds_count{route=\"/r\"} 3\n");
    free(t);
    metrics_free(m);
}

static metric_t *shared;

static void *adder(void *arg)
{
    const char *label = arg;
    for (int i = 0; i < 100000; i++)
        metric_add(shared, (const char *[]){label}, 1);
    return NULL;
}

static void concurrent_adds(void **state)
{
    (void)state;
    metrics_t *m = metrics_new();
    shared = metrics_counter(m, "t_total", "T.", "k");
    pthread_t th[4];
    const char *labels[] = {"a", "b", "a", "b"};
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, adder, (void *)labels[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    char *t = metrics_render(m);
    assert_non_null(strstr(t, "t_total{k=\"a\"} 200000\n"));
    assert_non_null(strstr(t, "t_total{k=\"b\"} 200000\n"));
    free(t);
    metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_format),
        cmocka_unit_test(concurrent_adds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
