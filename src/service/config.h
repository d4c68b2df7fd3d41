/* Configuration of the worker and the API from environment variables.
 * Pure: the lookup function is passed in (getenv in the programs, a table
 * in the tests). Every bad value is an error naming the variable. */
#ifndef NSJ_SERVICE_CONFIG_H
#define NSJ_SERVICE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/job.h"
#include "nsjudge/error.h"
#include "nsjudge/sandbox.h"

typedef const char *(*config_getenv_fn)(const char *name);

typedef struct worker_config {
    char redis_url[1024];        /* REDIS_URL            redis://127.0.0.1:6379 */
    char database_url[1024];     /* DATABASE_URL         postgresql://127.0.0.1:5432/nsjudge */
    unsigned workers;            /* WORKER_COUNT         4 */
    nsj_limits_t limits;         /* EXECUTION_TIMEOUT 10s (wall), CPU_TIME_LIMIT (= timeout),
                                    SANDBOX_MEMORY_LIMIT 256m, SANDBOX_CPUS 0.5, SANDBOX_PIDS 32,
                                    SANDBOX_OUTPUT_LIMIT 1m */
    size_t keep_output;          /* STORED_OUTPUT_MAX    64k per stream per test */
    core_limits_t max_limits;    /* MAX_TIME_LIMIT 30s, MAX_WALL_LIMIT 60s, MAX_MEMORY_LIMIT 2g,
                                    MAX_OUTPUT_LIMIT 64m: what a question or submission may set */
    unsigned attempts;           /* JUDGE_ATTEMPTS       3: runs of a job whose test hit internal_error */
    char data_cache[4096];       /* NSJUDGE_DATA_CACHE   $NSJUDGE_CACHE_DIR/data, else /var/cache/nsjudge/data */
    uint64_t data_cache_max;     /* DATA_CACHE_MAX       4g: the cache's files, least recently used evicted */
    uint64_t reclaim_idle_ms;    /* RECLAIM_IDLE         30s */
    unsigned max_deliveries;     /* MAX_DELIVERIES       3 */
    uint64_t stale_queued_ms;    /* STALE_QUEUED_AGE     600s (0 = off) */
    uint64_t stale_running_ms;   /* STALE_RUNNING_AGE    3600s (0 = off) */
    char name[128];              /* WORKER_NAME          the host name: consumer "<name>-<pid>-<i>" */
    /* Interactive sessions and progress events (docs/live.md). */
    unsigned session_workers;    /* SESSION_WORKERS      the host's CPUs, at least 2 (threads for sessions; 0 = none here) */
    uint64_t session_attach_ms;  /* SESSION_ATTACH       10s: a session taken by a thread waits this long for its socket */
    uint64_t session_idle_ms;    /* SESSION_IDLE         30s without input or output */
    uint64_t session_limit_ms;   /* SESSION_LIMIT        120s of wall-clock time */
    uint64_t session_output;     /* SESSION_OUTPUT_LIMIT 1m, stdout and stderr together */
    uint64_t events_ttl_ms;      /* EVENTS_TTL           1 day: a finished submission's events are kept */
    char metrics_listen[280];    /* METRICS_LISTEN       "" = off; host:port serving GET /metrics */
    char callback_secret[256];   /* CALLBACK_SECRET      "" = this worker delivers no callbacks */
    char callback_allow[1024];   /* CALLBACK_ALLOW       "" = no target allowed; else address ranges */
    unsigned callback_attempts;  /* CALLBACK_ATTEMPTS    8 */
    uint64_t callback_timeout_ms; /* CALLBACK_TIMEOUT    10s: one attempt */
} worker_config_t;

typedef struct api_config {
    char listen_host[256];       /* LISTEN               127.0.0.1:8080 ([v6]:port allowed) */
    int listen_port;
    char redis_url[1024];
    char database_url[1024];
    size_t source_max;           /* SOURCE_MAX           65536 */
    size_t body_max;             /* BODY_MAX             1048576 */
    size_t max_test_cases;       /* MAX_TEST_CASES       100 */
    core_limits_t max_limits;    /* MAX_TIME_LIMIT, ... as for the worker */
    uint64_t max_test_data;      /* MAX_TEST_DATA        1g: an uploaded archive, and what it expands to */
    uint64_t max_test_file;      /* MAX_TEST_FILE        256m: one file of it */
    char spool_dir[1024];        /* TMPDIR               /tmp: where uploads are spooled (unlinked files) */
    unsigned threads;            /* API_THREADS          4 */
    unsigned db_connections;     /* API_DB_CONNECTIONS   4 */
    unsigned redis_connections;  /* API_REDIS_CONNECTIONS 2 */
    char web_root[4096];         /* WEB_ROOT             web/ of the checkout or install ("" = none) */
    char allowed_origins[1024];  /* ALLOWED_ORIGINS      "" = same origin only; "*" = any; else a list */
    uint64_t wait_max_ms;        /* WAIT_MAX             30s: the most POST /submissions?wait=N may ask */
    /* Access (issue #13): keys, scopes, limits per key (per client address without one); 0 = no limit. */
    unsigned anonymous_scopes;   /* ANONYMOUS_SCOPES     "" (none): core/scope.h's names, for requests without a key */
    uint64_t rate_requests;      /* RATE_REQUESTS        200 requests a second (bursts of twice that) */
    uint64_t rate_submissions;   /* RATE_SUBMISSIONS     600 submissions a minute (bursts of as many) */
    uint64_t max_queued;         /* MAX_QUEUED           1000 submissions queued or running at once */
    uint64_t max_sessions;       /* MAX_SESSIONS         8 sessions at once */
    uint64_t max_streams;        /* MAX_STREAMS          32 event streams and WebSockets at once */
    uint64_t request_deadline_ms; /* REQUEST_DEADLINE    30s for a request's headers and body */
    uint64_t max_per_address;    /* MAX_CONNECTIONS_PER_ADDRESS 256 connections from one client address */
} api_config_t;

/* Fill c from the environment; <0 + err naming the variable on a bad value. */
int config_worker_load(worker_config_t *c, config_getenv_fn get, nsj_error_t *err);

/* Fill c from the environment; <0 + err naming the variable on a bad value. */
int config_api_load(api_config_t *c, config_getenv_fn get, nsj_error_t *err);

/* Split "host:port" or "[v6]:port"; <0 when malformed. */
int config_parse_listen(const char *s, char *host, size_t cap, int *port);

#endif
