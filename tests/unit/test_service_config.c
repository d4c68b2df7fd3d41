/* Unit tests: worker and API configuration from the environment, and the
 * Redis URL parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "queue/stream.h"
#include "service/config.h"

static const char *const *env_table;

static const char *fake_getenv(const char *name)
{
    for (const char *const *e = env_table; e && *e; e += 2)
        if (strcmp(e[0], name) == 0)
            return e[1];
    return NULL;
}

static int load_worker(worker_config_t *c, nsj_error_t *err, const char *const *env)
{
    env_table = env;
    return config_worker_load(c, fake_getenv, err);
}

static void worker_defaults(void **state)
{
    (void)state;
    worker_config_t c;
    nsj_error_t err;
    assert_int_equal(load_worker(&c, &err, NULL), 0);
    assert_string_equal(c.redis_url, "redis://127.0.0.1:6379");
    assert_int_equal(c.workers, 4);
    assert_int_equal(c.limits.wall_ms, 10000);
    assert_int_equal(c.limits.cpu_ms, 10000);
    assert_int_equal(c.limits.memory_bytes, 256ULL << 20);
    assert_int_equal(c.limits.pids, 32);
    assert_int_equal(c.limits.output_bytes, 1 << 20);
    assert_int_equal(c.reclaim_idle_ms, 30000);
    assert_int_equal(c.max_deliveries, 3);
    assert_int_equal(c.stale_queued_ms, 600000);
    assert_int_equal(c.keep_output, 64 << 10);
    assert_true(c.name[0] != '\0');
    assert_string_equal(c.metrics_listen, "");  /* off */
    assert_string_equal(c.callback_secret, ""); /* no deliveries from this worker */
    assert_string_equal(c.callback_allow, "");  /* no target */
    assert_int_equal(c.callback_attempts, 8);
    assert_int_equal(c.callback_timeout_ms, 10000);
}

static void worker_values(void **state)
{
    (void)state;
    const char *const env[] = {"WORKER_COUNT", "2", "EXECUTION_TIMEOUT", "1.5s", "SANDBOX_MEMORY_LIMIT", "64m",
                               "SANDBOX_CPUS", "1", "SANDBOX_PIDS", "16", "SANDBOX_OUTPUT_LIMIT", "64k",
                               "RECLAIM_IDLE", "2500ms", "MAX_DELIVERIES", "5", "STALE_QUEUED_AGE", "0",
                               "WORKER_NAME", "box1", "REDIS_URL", "redis://r:1/2", NULL};
    worker_config_t c;
    nsj_error_t err;
    assert_int_equal(load_worker(&c, &err, env), 0);
    assert_int_equal(c.workers, 2);
    assert_int_equal(c.limits.wall_ms, 1500);
    assert_int_equal(c.limits.cpu_ms, 1500); /* follows the timeout */
    assert_int_equal(c.limits.memory_bytes, 64ULL << 20);
    assert_int_equal(c.limits.cpu_millis, 1000);
    assert_int_equal(c.limits.pids, 16);
    assert_int_equal(c.limits.output_bytes, 64 << 10);
    assert_int_equal(c.reclaim_idle_ms, 2500);
    assert_int_equal(c.max_deliveries, 5);
    assert_int_equal(c.stale_queued_ms, 0);
    assert_string_equal(c.name, "box1");
    assert_string_equal(c.redis_url, "redis://r:1/2");
}

static void worker_bad(void **state)
{
    (void)state;
    static const struct {
        const char *name, *value;
    } bad[] = {
        {"WORKER_COUNT", "0"},           {"WORKER_COUNT", "four"},      {"WORKER_COUNT", "-1"},
        {"WORKER_COUNT", "1000"},        {"EXECUTION_TIMEOUT", "soon"}, {"EXECUTION_TIMEOUT", "10m"},
        {"EXECUTION_TIMEOUT", "-1"},     {"EXECUTION_TIMEOUT", "0"},    {"SANDBOX_MEMORY_LIMIT", "1m"},
        {"SANDBOX_MEMORY_LIMIT", "lots"}, {"SANDBOX_CPUS", "x"},        {"SANDBOX_CPUS", "0.001"},
        {"SANDBOX_PIDS", "1"},           {"SANDBOX_OUTPUT_LIMIT", "0"}, {"RECLAIM_IDLE", "10ms"},
        {"MAX_DELIVERIES", "0"},         {"STALE_QUEUED_AGE", "x"},     {"WORKER_NAME", "a b"},
        {"CPU_TIME_LIMIT", "1y"},
        {"METRICS_LISTEN", "9101"},      {"METRICS_LISTEN", "host:"},   {"CALLBACK_ATTEMPTS", "0"},
        {"CALLBACK_TIMEOUT", "1ms"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *const env[] = {bad[i].name, bad[i].value, NULL};
        worker_config_t c;
        nsj_error_t err;
        assert_int_equal(load_worker(&c, &err, env), -1);
        /* The message names the variable and the value. */
        if (!strstr(err.msg, bad[i].name) || !strstr(err.msg, bad[i].value))
            fail_msg("%s=%s: error '%s'", bad[i].name, bad[i].value, err.msg);
    }
}

static void api_config(void **state)
{
    (void)state;
    api_config_t c;
    nsj_error_t err;
    env_table = NULL;
    assert_int_equal(config_api_load(&c, fake_getenv, &err), 0);
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 8080);
    assert_int_equal(c.source_max, 65536);
    assert_int_equal(c.body_max, 1 << 20);
    assert_int_equal(c.max_test_cases, 100);
    assert_int_equal(c.wait_max_ms, 30000);
    const char *const wait_env[] = {"WAIT_MAX", "forever", NULL};
    env_table = wait_env;
    assert_int_equal(config_api_load(&c, fake_getenv, &err), -1);
    assert_non_null(strstr(err.msg, "WAIT_MAX"));
    env_table = NULL;
    assert_int_equal(config_api_load(&c, fake_getenv, &err), 0);
    const char *const env[] = {"LISTEN", "[::1]:9000", "SOURCE_MAX", "1k", "MAX_TEST_CASES", "7", NULL};
    env_table = env;
    assert_int_equal(config_api_load(&c, fake_getenv, &err), 0);
    assert_string_equal(c.listen_host, "::1");
    assert_int_equal(c.listen_port, 9000);
    assert_int_equal(c.source_max, 1024);
    assert_int_equal(c.max_test_cases, 7);
    static const char *const bad[][2] = {{"LISTEN", "8080"}, {"LISTEN", "h:0"}, {"LISTEN", "h:70000"},
                                         {"LISTEN", ":80"}, {"SOURCE_MAX", "0"}, {"MAX_TEST_CASES", "x"},
                                         {"API_THREADS", "0"}, {"BODY_MAX", "1"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *const e2[] = {bad[i][0], bad[i][1], NULL};
        env_table = e2;
        assert_int_equal(config_api_load(&c, fake_getenv, &err), -1);
        if (!strstr(err.msg, bad[i][0]))
            fail_msg("%s=%s: error '%s'", bad[i][0], bad[i][1], err.msg);
    }
}

/* The live features' settings (docs/live.md). */
static void live_config(void **state)
{
    (void)state;
    worker_config_t w;
    nsj_error_t err;
    assert_int_equal(load_worker(&w, &err, NULL), 0);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN); /* SESSION_WORKERS: the CPUs, at least 2 */
    assert_int_equal(w.session_workers, ncpu > 2 ? ncpu : 2);
    assert_int_equal(w.session_attach_ms, 10000);
    assert_int_equal(w.session_idle_ms, 30000);
    assert_int_equal(w.session_limit_ms, 120000);
    assert_int_equal(w.session_output, 1 << 20);
    assert_int_equal(w.events_ttl_ms, 86400000);
    const char *const env[] = {"SESSION_WORKERS", "0", "SESSION_IDLE", "500ms", "SESSION_LIMIT", "5m",
                               "SESSION_OUTPUT_LIMIT", "64k", "EVENTS_TTL", "3600", NULL};
    assert_int_equal(load_worker(&w, &err, env), -1); /* "5m": minutes are not a unit */
    const char *const env2[] = {"SESSION_WORKERS", "0", "SESSION_IDLE", "500ms", "SESSION_LIMIT", "300",
                                "SESSION_OUTPUT_LIMIT", "64k", "EVENTS_TTL", "3600", NULL};
    assert_int_equal(load_worker(&w, &err, env2), 0);
    assert_int_equal(w.session_workers, 0);
    assert_int_equal(w.session_idle_ms, 500);
    assert_int_equal(w.session_limit_ms, 300000);
    assert_int_equal(w.session_output, 64 << 10);
    assert_int_equal(w.events_ttl_ms, 3600000);
    static const char *const bad[][2] = {{"SESSION_WORKERS", "-1"}, {"SESSION_WORKERS", "257"},
                                         {"SESSION_IDLE", "0"},     {"SESSION_LIMIT", "soon"},
                                         {"SESSION_OUTPUT_LIMIT", "0"}, {"EVENTS_TTL", "10ms"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *const e2[] = {bad[i][0], bad[i][1], NULL};
        assert_int_equal(load_worker(&w, &err, e2), -1);
        if (!strstr(err.msg, bad[i][0]))
            fail_msg("%s=%s: error '%s'", bad[i][0], bad[i][1], err.msg);
    }
    api_config_t a;
    env_table = NULL;
    assert_int_equal(config_api_load(&a, fake_getenv, &err), 0);
    assert_string_equal(a.web_root, "");
    assert_string_equal(a.allowed_origins, "");
    const char *const e3[] = {"WEB_ROOT", "/srv/page", "ALLOWED_ORIGINS", "https://ide.example", NULL};
    env_table = e3;
    assert_int_equal(config_api_load(&a, fake_getenv, &err), 0);
    assert_string_equal(a.web_root, "/srv/page");
    assert_string_equal(a.allowed_origins, "https://ide.example");
    const char *const e4[] = {"WEB_ROOT", "none", NULL};
    env_table = e4;
    assert_int_equal(config_api_load(&a, fake_getenv, &err), 0);
    const char *const e5[] = {"WEB_ROOT", "relative/dir", NULL};
    env_table = e5;
    assert_int_equal(config_api_load(&a, fake_getenv, &err), -1);
    assert_non_null(strstr(err.msg, "WEB_ROOT"));
}

static void redis_urls(void **state)
{
    (void)state;
    queue_url_t u;
    nsj_error_t err;
    assert_int_equal(queue_url_parse("redis://127.0.0.1:6380", &u, &err), 0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 6380);
    assert_int_equal(u.db, 0);
    assert_int_equal(queue_url_parse("redis://cache", &u, &err), 0);
    assert_int_equal(u.port, 6379);
    assert_int_equal(queue_url_parse("redis://:s3cret@cache:7000/3", &u, &err), 0);
    assert_string_equal(u.password, "s3cret");
    assert_string_equal(u.user, "");
    assert_int_equal(u.db, 3);
    assert_int_equal(queue_url_parse("redis://judge:p@ss@[::1]:7001/", &u, &err), 0);
    assert_string_equal(u.user, "judge");
    assert_string_equal(u.password, "p@ss");
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 7001);
    assert_int_equal(queue_url_parse("unix:///run/redis.sock?db=2", &u, &err), 0);
    assert_string_equal(u.host, "/run/redis.sock");
    assert_int_equal(u.port, 0);
    assert_int_equal(u.db, 2);
    static const char *const bad[] = {"", "http://x", "redis://", "redis://h:0", "redis://h:99999", "redis://h:x",
                                      "redis://h/x", "redis://[::1", "unix://rel", "unix:///s?x=1", "redis://h:1/2/3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (queue_url_parse(bad[i], &u, &err) != -1)
            fail_msg("'%s' accepted", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(worker_defaults),
        cmocka_unit_test(worker_values),
        cmocka_unit_test(worker_bad),
        cmocka_unit_test(api_config),
        cmocka_unit_test(live_config),
        cmocka_unit_test(redis_urls),
    };
    return cmocka_run_group_tests_name("service_config", tests, NULL, NULL);
}
