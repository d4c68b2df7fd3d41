/* nsjudge-api: the HTTP API (POST /submissions, GET /submissions/{id},
 * POST /questions, GET /questions/{id}, GET /languages, GET /healthz), the
 * live routes (GET /submissions/{id}/events, POST /sessions, the WebSocket
 * at /sessions/{id}) and the web page at / (docs/live.md).
 * Configuration from the environment (docs/pipeline.md). Runs unprivileged.
 * SIGTERM/SIGINT: stop listening, finish the requests in progress, exit 0.
 * Exit status: 0 after a stop, 1 when it cannot run, 2 on a bad setting. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/server.h"
#include "judge/languages.h"
#include "queue/stream.h"
#include "service/config.h"
#include "service/service.h"
#include "service/startup.h"
#include "store/store.h"

static const char usage_text[] =
    "usage: nsjudge-api [--migrate]\n"
    "\n"
    "Serve the judge's HTTP API. --migrate applies the database migrations and exits.\n"
    "\n"
    "environment (defaults in brackets):\n"
    "  LISTEN                address and port [127.0.0.1:8080]\n"
    "  REDIS_URL             [redis://127.0.0.1:6379]\n"
    "  DATABASE_URL          [postgresql://127.0.0.1:5432/nsjudge]\n"
    "  SOURCE_MAX            bytes of source_code [65536]\n"
    "  BODY_MAX              bytes of a request body [1048576]\n"
    "  MAX_TEST_CASES        test cases in one request [100]\n"
    "  API_THREADS           unused: each connection has its own thread [4]\n"
    "  API_DB_CONNECTIONS    Postgres connections [4]\n"
    "  API_REDIS_CONNECTIONS Redis connections [2]\n"
    "  WEB_ROOT              the web page's directory, none = no page [web/ of the install]\n"
    "  ALLOWED_ORIGINS       WebSocket origins: empty = same origin, * = any, or a list []\n"
    "  ANONYMOUS_SCOPES      scopes of requests without a key: submit,read,admin []\n"
    "  RATE_REQUESTS         requests a second per key (per address without one) [200]\n"
    "  RATE_SUBMISSIONS      submissions a minute per key [600]\n"
    "  MAX_QUEUED            submissions queued or running at once per key [1000]\n"
    "  MAX_SESSIONS          sessions at once per key [8]\n"
    "  MAX_STREAMS           event streams and WebSockets at once per key and per address [32]\n"
    "  (limits: 0 = none; keys: nsjudge-admin)\n";

static const char *env_get(const char *name)
{
    return getenv(name);
}

/* Wait for Postgres (so that the API can start before it), then migrate. */
static int prepare_db(const api_config_t *cfg, int sfd, bool *stopped)
{
    store_t *db = service_wait_postgres(cfg->database_url, "nsjudge-api", sfd, stopped);
    if (!db)
        return -1;
    int rc = service_migrate(db, "nsjudge-api");
    store_close(db);
    return rc;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    bool only_migrate = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--migrate")) {
            only_migrate = true;
            continue;
        }
        fprintf(stderr, "nsjudge-api: unknown argument '%s' (see --help)\n", argv[i]);
        return 2;
    }
    api_config_t cfg;
    queue_url_t redis;
    nsj_error_t err;
    if (config_api_load(&cfg, env_get, &err) < 0 || queue_url_parse(cfg.redis_url, &redis, &err) < 0) {
        fprintf(stderr, "nsjudge-api: %s\n", err.msg);
        return 2;
    }
    int sfd = service_signals("nsjudge-api");
    if (sfd < 0)
        return 1;
    language_table_t langs;
    if (languages_load(NULL, &langs, &err) < 0) {
        fprintf(stderr, "nsjudge-api: %s\n", err.msg);
        return 2;
    }
    int rc = 1;
    bool stopped = false;
    api_server_t *srv = NULL;
    if (prepare_db(&cfg, sfd, &stopped) < 0) {
        rc = stopped ? 0 : 1;
        goto out;
    }
    if (only_migrate) {
        rc = 0;
        goto out;
    }
    /* The groups exist before the first XADD, whichever starts first. */
    queue_conn_t *q = service_wait_redis(&redis, 5000, sfd, &stopped);
    if (!q) {
        rc = 0; /* stopped while waiting */
        goto out;
    }
    queue_close(q);
    if (api_server_start(&cfg, &redis, &langs, &srv, &err) < 0) {
        fprintf(stderr, "nsjudge-api: %s\n", err.msg);
        rc = err.errnum == EINVAL ? 2 : 1;
        goto out;
    }
    service_log("listening on http://%s%s%s:%d", strchr(cfg.listen_host, ':') ? "[" : "", cfg.listen_host,
                strchr(cfg.listen_host, ':') ? "]" : "", cfg.listen_port);
    service_notify("READY=1");
    unsigned long watchdog = service_watchdog_ms();
    for (;;) {
        int sig = service_wait_signal(sfd, watchdog ? (int)watchdog : -1);
        if (watchdog)
            service_notify("WATCHDOG=1");
        if (sig == SIGTERM || sig == SIGINT) {
            service_log("received %s: stopping", strsignal(sig));
            service_notify("STOPPING=1");
            break;
        }
    }
    api_server_stop(srv);
    service_log("stopped");
    rc = 0;
out:
    languages_free(&langs);
    close(sfd);
    return rc;
}
