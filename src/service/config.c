/* Environment configuration. Times take seconds ("10", "10s", "0.5") or
 * milliseconds ("500ms"); sizes take k/m/g suffixes (binary units). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "core/scope.h"
#include "config.h"

static int bad(nsj_error_t *err, const char *name, const char *val, const char *want)
{
    snprintf(err->msg, sizeof err->msg, "%s=%.200s: %s", name, val, want);
    err->errnum = EINVAL;
    return -1;
}

/* The variable's value, or NULL when unset or empty. */
static const char *value(config_getenv_fn get, const char *name)
{
    const char *v = get(name);
    return v && *v ? v : NULL;
}

static int get_ms(config_getenv_fn get, const char *name, uint64_t dflt, uint64_t min, uint64_t max,
                  uint64_t *out, nsj_error_t *err)
{
    const char *v = value(get, name);
    *out = dflt;
    if (!v)
        return 0;
    size_t n = strlen(v);
    uint64_t ms;
    int rc;
    if (n > 2 && strcmp(v + n - 2, "ms") == 0) {
        char num[64];
        snprintf(num, sizeof num, "%.*s", (int)(n - 2), v);
        rc = util_parse_u64(num, 366ULL * 24 * 3600 * 1000, &ms);
    } else {
        rc = util_parse_seconds_ms(v, &ms);
    }
    if (rc < 0 || ms < min || ms > max) {
        char want[160];
        snprintf(want, sizeof want, "expected a duration from %.3f s to %.0f s, like 10s, 2.5 or 500ms",
                 (double)min / 1000, (double)max / 1000);
        return bad(err, name, v, want);
    }
    *out = ms;
    return 0;
}

static int get_size(config_getenv_fn get, const char *name, uint64_t dflt, uint64_t min, uint64_t max,
                    uint64_t *out, nsj_error_t *err)
{
    const char *v = value(get, name);
    *out = dflt;
    if (!v)
        return 0;
    uint64_t b;
    if (util_parse_size(v, &b) < 0 || b < min || b > max) {
        char want[160];
        snprintf(want, sizeof want, "expected a size from %llu to %llu bytes, like 256m or 64k",
                 (unsigned long long)min, (unsigned long long)max);
        return bad(err, name, v, want);
    }
    *out = b;
    return 0;
}

static int get_count(config_getenv_fn get, const char *name, uint64_t dflt, uint64_t min, uint64_t max,
                     uint64_t *out, nsj_error_t *err)
{
    const char *v = value(get, name);
    *out = dflt;
    if (!v)
        return 0;
    uint64_t n;
    if (util_parse_u64(v, max, &n) < 0 || n < min) {
        char want[128];
        snprintf(want, sizeof want, "expected a whole number from %llu to %llu", (unsigned long long)min,
                 (unsigned long long)max);
        return bad(err, name, v, want);
    }
    *out = n;
    return 0;
}

static int get_string(config_getenv_fn get, const char *name, const char *dflt, char *out, size_t cap,
                      nsj_error_t *err)
{
    const char *v = value(get, name);
    if (!v)
        v = dflt;
    if (strlen(v) >= cap)
        return bad(err, name, v, "too long");
    snprintf(out, cap, "%s", v);
    return 0;
}

int config_parse_listen(const char *s, char *host, size_t cap, int *port)
{
    const char *colon;
    size_t hlen;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':')
            return -1;
        hlen = (size_t)(end - s - 1);
        s++;
        colon = end + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return -1;
        hlen = (size_t)(colon - s);
    }
    if (hlen == 0 || hlen >= cap)
        return -1;
    uint64_t p;
    if (util_parse_u64(colon + 1, 65535, &p) < 0 || p == 0)
        return -1;
    memcpy(host, s, hlen);
    host[hlen] = '\0';
    *port = (int)p;
    return 0;
}

/* The operator's maxima for the limits a question or a submission sets. */
static int get_max_limits(config_getenv_fn get, core_limits_t *m, nsj_error_t *err)
{
    if (get_ms(get, "MAX_TIME_LIMIT", 30000, CORE_LIMIT_TIME_MIN_MS, 24ULL * 3600 * 1000, &m->time_ms, err) < 0 ||
        get_ms(get, "MAX_WALL_LIMIT", 60000, CORE_LIMIT_TIME_MIN_MS, 24ULL * 3600 * 1000, &m->wall_ms, err) < 0 ||
        get_size(get, "MAX_MEMORY_LIMIT", 2ULL << 30, CORE_LIMIT_MEMORY_MIN, 1ULL << 40, &m->memory_bytes, err) < 0 ||
        get_size(get, "MAX_OUTPUT_LIMIT", 64ULL << 20, CORE_LIMIT_OUTPUT_MIN, 1ULL << 30, &m->output_bytes, err) < 0)
        return -1;
    return 0;
}

int config_worker_load(worker_config_t *c, config_getenv_fn get, nsj_error_t *err)
{
    memset(c, 0, sizeof *c);
    nsj_limits_default(&c->limits);
    uint64_t v, timeout;
    if (get_string(get, "REDIS_URL", "redis://127.0.0.1:6379", c->redis_url, sizeof c->redis_url, err) < 0 ||
        get_string(get, "DATABASE_URL", "postgresql://127.0.0.1:5432/nsjudge", c->database_url,
                   sizeof c->database_url, err) < 0)
        return -1;
    if (get_count(get, "WORKER_COUNT", 4, 1, 256, &v, err) < 0)
        return -1;
    c->workers = (unsigned)v;
    if (get_ms(get, "EXECUTION_TIMEOUT", 10000, 1, 24ULL * 3600 * 1000, &timeout, err) < 0 ||
        get_ms(get, "CPU_TIME_LIMIT", timeout, 1, 24ULL * 3600 * 1000, &c->limits.cpu_ms, err) < 0 ||
        get_size(get, "SANDBOX_MEMORY_LIMIT", 256ULL << 20, 4ULL << 20, 1ULL << 40, &c->limits.memory_bytes,
                 err) < 0)
        return -1;
    c->limits.wall_ms = timeout;
    const char *cpus = value(get, "SANDBOX_CPUS");
    if (cpus && (util_parse_millis(cpus, &c->limits.cpu_millis) < 0 ||
                 (c->limits.cpu_millis != 0 && c->limits.cpu_millis < 10)))
        return bad(err, "SANDBOX_CPUS", cpus, "expected cores as a decimal, like 0.5 or 2 (0 = unlimited)");
    if (get_count(get, "SANDBOX_PIDS", 32, 2, 1000000, &v, err) < 0)
        return -1;
    c->limits.pids = (uint32_t)v;
    if (get_size(get, "SANDBOX_OUTPUT_LIMIT", 1ULL << 20, 1, 1ULL << 30, &c->limits.output_bytes, err) < 0 ||
        get_size(get, "STORED_OUTPUT_MAX", 64ULL << 10, 0, 16ULL << 20, &v, err) < 0)
        return -1;
    c->keep_output = (size_t)v;
    if (get_max_limits(get, &c->max_limits, err) < 0 || get_count(get, "JUDGE_ATTEMPTS", 3, 1, 10, &v, err) < 0)
        return -1;
    c->attempts = (unsigned)v;
    const char *cache_dir = value(get, "NSJUDGE_CACHE_DIR");
    char dflt[4096];
    if (cache_dir && strlen(cache_dir) < sizeof dflt - 6)
        snprintf(dflt, sizeof dflt, "%s/data", cache_dir);
    else
        snprintf(dflt, sizeof dflt, "/var/cache/nsjudge/data");
    if (get_string(get, "NSJUDGE_DATA_CACHE", dflt, c->data_cache, sizeof c->data_cache, err) < 0 ||
        get_size(get, "DATA_CACHE_MAX", 4ULL << 30, 16ULL << 20, 1ULL << 50, &c->data_cache_max, err) < 0)
        return -1;
    if (c->data_cache[0] != '/')
        return bad(err, "NSJUDGE_DATA_CACHE", c->data_cache, "expected an absolute directory");
    if (get_ms(get, "RECLAIM_IDLE", 30000, 1000, 24ULL * 3600 * 1000, &c->reclaim_idle_ms, err) < 0 ||
        get_count(get, "MAX_DELIVERIES", 3, 1, 1000, &v, err) < 0)
        return -1;
    c->max_deliveries = (unsigned)v;
    if (get_ms(get, "STALE_QUEUED_AGE", 600000, 0, 366ULL * 24 * 3600 * 1000, &c->stale_queued_ms, err) < 0 ||
        get_ms(get, "STALE_RUNNING_AGE", 3600000, 0, 366ULL * 24 * 3600 * 1000, &c->stale_running_ms, err) < 0)
        return -1;
    char host[128] = "worker";
    if (gethostname(host, sizeof host) < 0 || !host[0])
        snprintf(host, sizeof host, "worker");
    host[sizeof host - 1] = '\0';
    if (get_string(get, "WORKER_NAME", host, c->name, sizeof c->name - 24, err) < 0)
        return -1;
    if (strpbrk(c->name, " \t\r\n"))
        return bad(err, "WORKER_NAME", c->name, "must not contain whitespace");
    /* A session is one program at a time, mostly waiting for its user: one
     * thread per CPU (at least 2) by default. */
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (get_count(get, "SESSION_WORKERS", ncpu > 2 ? (uint64_t)ncpu : 2, 0, 256, &v, err) < 0)
        return -1;
    c->session_workers = (unsigned)v;
    if (get_ms(get, "SESSION_ATTACH", 10000, 100, 3600000, &c->session_attach_ms, err) < 0 ||
        get_ms(get, "SESSION_IDLE", 30000, 100, 24ULL * 3600 * 1000, &c->session_idle_ms, err) < 0 ||
        get_ms(get, "SESSION_LIMIT", 120000, 100, 24ULL * 3600 * 1000, &c->session_limit_ms, err) < 0 ||
        get_size(get, "SESSION_OUTPUT_LIMIT", 1ULL << 20, 1, 1ULL << 30, &c->session_output, err) < 0 ||
        get_ms(get, "EVENTS_TTL", 86400000, 1000, 366ULL * 24 * 3600 * 1000, &c->events_ttl_ms, err) < 0)
        return -1;
    if (get_string(get, "METRICS_LISTEN", "", c->metrics_listen, sizeof c->metrics_listen, err) < 0)
        return -1;
    char mhost[256];
    int mport;
    if (c->metrics_listen[0] && config_parse_listen(c->metrics_listen, mhost, sizeof mhost, &mport) < 0)
        return bad(err, "METRICS_LISTEN", c->metrics_listen, "expected host:port, like 127.0.0.1:9101");
    if (get_string(get, "CALLBACK_SECRET", "", c->callback_secret, sizeof c->callback_secret, err) < 0 ||
        get_string(get, "CALLBACK_ALLOW", "", c->callback_allow, sizeof c->callback_allow, err) < 0 ||
        get_count(get, "CALLBACK_ATTEMPTS", 8, 1, 100, &v, err) < 0)
        return -1;
    c->callback_attempts = (unsigned)v;
    if (get_ms(get, "CALLBACK_TIMEOUT", 10000, 100, 600000, &c->callback_timeout_ms, err) < 0)
        return -1;
    if (nsj_limits_validate(&c->limits, err) < 0)
        return nsj_error_wrap(err, "sandbox limits");
    return 0;
}

int config_api_load(api_config_t *c, config_getenv_fn get, nsj_error_t *err)
{
    memset(c, 0, sizeof *c);
    uint64_t v;
    const char *listen = value(get, "LISTEN");
    if (!listen)
        listen = "127.0.0.1:8080";
    if (config_parse_listen(listen, c->listen_host, sizeof c->listen_host, &c->listen_port) < 0)
        return bad(err, "LISTEN", listen, "expected host:port, like 127.0.0.1:8080 or [::1]:8080");
    if (get_string(get, "REDIS_URL", "redis://127.0.0.1:6379", c->redis_url, sizeof c->redis_url, err) < 0 ||
        get_string(get, "DATABASE_URL", "postgresql://127.0.0.1:5432/nsjudge", c->database_url,
                   sizeof c->database_url, err) < 0)
        return -1;
    if (get_size(get, "SOURCE_MAX", 65536, 1, 16ULL << 20, &v, err) < 0)
        return -1;
    c->source_max = (size_t)v;
    if (get_size(get, "BODY_MAX", 1ULL << 20, 1024, 64ULL << 20, &v, err) < 0)
        return -1;
    c->body_max = (size_t)v;
    if (get_count(get, "MAX_TEST_CASES", 100, 1, 10000, &v, err) < 0)
        return -1;
    c->max_test_cases = (size_t)v;
    if (get_max_limits(get, &c->max_limits, err) < 0 ||
        get_size(get, "MAX_TEST_DATA", 1ULL << 30, 1024, 1ULL << 40, &c->max_test_data, err) < 0 ||
        get_size(get, "MAX_TEST_FILE", 256ULL << 20, 1, 1ULL << 40, &c->max_test_file, err) < 0 ||
        get_string(get, "TMPDIR", "/tmp", c->spool_dir, sizeof c->spool_dir, err) < 0)
        return -1;
    if (get_count(get, "API_THREADS", 4, 1, 256, &v, err) < 0)
        return -1;
    c->threads = (unsigned)v;
    if (get_count(get, "API_DB_CONNECTIONS", 4, 1, 256, &v, err) < 0)
        return -1;
    c->db_connections = (unsigned)v;
    if (get_count(get, "API_REDIS_CONNECTIONS", 2, 1, 256, &v, err) < 0)
        return -1;
    c->redis_connections = (unsigned)v;
    if (get_ms(get, "WAIT_MAX", 30000, 0, 3600000, &c->wait_max_ms, err) < 0)
        return -1;
    /* Unset: found like the other data files (the caller looks); set but
     * empty is not distinguishable from unset, so "none" turns it off. */
    if (get_string(get, "WEB_ROOT", "", c->web_root, sizeof c->web_root, err) < 0 ||
        get_string(get, "ALLOWED_ORIGINS", "", c->allowed_origins, sizeof c->allowed_origins, err) < 0)
        return -1;
    if (c->web_root[0] && strcmp(c->web_root, "none") != 0 && c->web_root[0] != '/')
        return bad(err, "WEB_ROOT", c->web_root, "expected an absolute directory, or none");
    char why[160];
    const char *anon = value(get, "ANONYMOUS_SCOPES");
    if (core_scopes_parse(anon, &c->anonymous_scopes, why, sizeof why) < 0)
        return bad(err, "ANONYMOUS_SCOPES", anon, why);
    if (get_count(get, "RATE_REQUESTS", 200, 0, 1000000, &c->rate_requests, err) < 0 ||
        get_count(get, "RATE_SUBMISSIONS", 600, 0, 1000000, &c->rate_submissions, err) < 0 ||
        get_count(get, "MAX_QUEUED", 1000, 0, 1000000, &c->max_queued, err) < 0 ||
        get_count(get, "MAX_SESSIONS", 8, 0, 100000, &c->max_sessions, err) < 0 ||
        get_count(get, "MAX_STREAMS", 32, 0, 100000, &c->max_streams, err) < 0 ||
        get_ms(get, "REQUEST_DEADLINE", 30000, 0, 3600000, &c->request_deadline_ms, err) < 0 ||
        get_count(get, "MAX_CONNECTIONS_PER_ADDRESS", 256, 0, 100000, &c->max_per_address, err) < 0)
        return -1;
    return 0;
}
