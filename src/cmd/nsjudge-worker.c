/* nsjudge-worker: takes submissions from the Redis stream, judges them in
 * the sandbox, stores the results in Postgres. Configuration from the
 * environment (docs/pipeline.md). Needs root: the sandbox creates
 * namespaces and cgroups.
 *
 * SIGTERM/SIGINT: stop taking jobs, finish the ones in progress, exit 0.
 * A second signal cancels the jobs in progress: their messages stay
 * pending, and another worker runs them.
 * Exit status: 0 after a stop, 1 when it cannot run, 2 on a bad setting. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cmd/sandbox_env.h"
#include "judge/languages.h"
#include "nsjudge/sandbox.h"
#include "queue/stream.h"
#include "service/config.h"
#include "service/service.h"
#include "service/startup.h"
#include "store/store.h"
#include "worker/worker.h"

static const char usage_text[] =
    "usage: nsjudge-worker [--migrate]\n"
    "\n"
    "Judge submissions from the Redis stream " QUEUE_STREAM " and store the results in\n"
    "Postgres. --migrate applies the database migrations and exits.\n"
    "\n"
    "environment (defaults in brackets):\n"
    "  REDIS_URL            [redis://127.0.0.1:6379]\n"
    "  DATABASE_URL         [postgresql://127.0.0.1:5432/nsjudge]\n"
    "  WORKER_COUNT         parallel jobs [4]\n"
    "  EXECUTION_TIMEOUT    wall-clock limit of a test [10s]\n"
    "  CPU_TIME_LIMIT       CPU time of a test [EXECUTION_TIMEOUT]\n"
    "  SANDBOX_MEMORY_LIMIT memory of a test, no swap [256m]\n"
    "  SANDBOX_CPUS         CPU bandwidth in cores, 0 = unlimited [0.5]\n"
    "  SANDBOX_PIDS         processes and threads [32]\n"
    "  SANDBOX_OUTPUT_LIMIT cap on stdout and on stderr [1m]\n"
    "  STORED_OUTPUT_MAX    output kept per test in the database [64k]\n"
    "  RECLAIM_IDLE         a pending message idle this long is taken over [30s]\n"
    "  MAX_DELIVERIES       deliveries before internal_error [3]\n"
    "  STALE_QUEUED_AGE     queued rows this old are enqueued again, 0 = never [600s]\n"
    "  STALE_RUNNING_AGE    the same for running rows [3600s]\n"
    "  WORKER_NAME          consumer name prefix [the host name]\n"
    "  SESSION_WORKERS      threads for interactive sessions, 0 = none [the CPUs, at least 2]\n"
    "  SESSION_ATTACH       how long a session waits for its WebSocket [10s]\n"
    "  SESSION_IDLE         a session without input or output this long ends [30s]\n"
    "  SESSION_LIMIT        wall-clock limit of a session [120s]\n"
    "  SESSION_OUTPUT_LIMIT stdout and stderr of a session together [1m]\n"
    "  EVENTS_TTL           progress events are kept this long [1 day]\n"
    "  NSJUDGE_HOME, NSJUDGE_CGROUP_PARENT, ...: as for nsjudge (README)\n";

static const char *env_get(const char *name)
{
    return getenv(name);
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
        fprintf(stderr, "nsjudge-worker: unknown argument '%s' (see --help)\n", argv[i]);
        return 2;
    }
    worker_config_t cfg;
    queue_url_t redis_url;
    nsj_error_t err;
    if (config_worker_load(&cfg, env_get, &err) < 0 || queue_url_parse(cfg.redis_url, &redis_url, &err) < 0) {
        fprintf(stderr, "nsjudge-worker: %s\n", err.msg);
        return 2;
    }
    /* Signals are taken from a signalfd by this thread only: blocked
     * before any thread starts so that every thread inherits the mask. */
    int sfd = service_signals("nsjudge-worker");
    if (sfd < 0)
        return 1;
    bool stopped;

    if (only_migrate) {
        store_t *db = service_wait_postgres(cfg.database_url, "nsjudge-worker", sfd, &stopped);
        if (!db)
            return 1;
        int rc = service_migrate(db, "nsjudge-worker") < 0 ? 1 : 0;
        store_close(db);
        return rc;
    }

    language_table_t langs;
    if (languages_load(NULL, &langs, &err) < 0) {
        fprintf(stderr, "nsjudge-worker: %s\n", err.msg);
        return 2;
    }
    /* Warm slots: each job and session thread keeps its next run prepared. */
    nsj_sandbox_opts_t sopts = {.warm = 1};
    nsj_sandbox_t *sb = NULL;
    if (cmd_sandbox_opts_from_env(&sopts, &err) < 0) {
        fprintf(stderr, "nsjudge-worker: %s\n", err.msg);
        languages_free(&langs);
        return 2;
    }
    if (nsj_sandbox_new(&sopts, &sb, &err) < 0) {
        fprintf(stderr, "nsjudge-worker: %s%s\n", err.msg,
                err.errnum == EPERM ? " (the worker must run as root: it creates namespaces and cgroups)" : "");
        languages_free(&langs);
        return 1;
    }
    int rc = 1;
    worker_pool_t *pool = NULL;
    queue_conn_t *q = service_wait_redis(&redis_url, 10000, sfd, &stopped);
    if (!q) {
        rc = 0; /* stopped while waiting */
        goto out;
    }
    queue_close(q);
    store_t *db = service_wait_postgres(cfg.database_url, "nsjudge-worker", sfd, &stopped);
    if (!db) {
        rc = stopped ? 0 : 1;
        goto out;
    }
    int mrc = service_migrate(db, "nsjudge-worker");
    store_close(db);
    if (mrc < 0)
        goto out;
    if (worker_pool_start(&cfg, &redis_url, sb, &langs, &pool, &err) < 0) {
        fprintf(stderr, "nsjudge-worker: %s\n", err.msg);
        goto out;
    }
    service_log("%u workers started", cfg.workers);
    service_log("%u session workers started (idle %llu ms, limit %llu ms)", cfg.session_workers,
                (unsigned long long)cfg.session_idle_ms, (unsigned long long)cfg.session_limit_ms);
    char status[160];
    snprintf(status, sizeof status, "READY=1\nSTATUS=%u workers, cgroup %s", cfg.workers,
             nsj_sandbox_cgroup_backend(sb));
    service_notify(status);

    unsigned long watchdog = service_watchdog_ms();
    int signals = 0;
    for (;;) {
        struct pollfd pfd[2] = {{.fd = sfd, .events = POLLIN}, {.fd = worker_pool_done_fd(pool), .events = POLLIN}};
        int n = poll(pfd, 2, watchdog ? (int)watchdog : -1);
        if (n < 0 && errno != EINTR)
            break;
        if (watchdog)
            service_notify("WATCHDOG=1");
        if (n > 0 && (pfd[1].revents & POLLIN))
            break;
        if (n > 0 && (pfd[0].revents & POLLIN)) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof si) != (ssize_t)sizeof si)
                continue;
            if (si.ssi_signo == SIGHUP)
                continue; /* nothing to reload: configuration is read at start */
            if (++signals == 1) {
                service_log("received %s: stopping; %zu job%s in progress will finish", strsignal((int)si.ssi_signo),
                            worker_pool_busy(pool), worker_pool_busy(pool) == 1 ? "" : "s");
                service_notify("STOPPING=1");
                worker_pool_stop(pool);
            } else if (signals == 2) {
                service_log("received %s again: cancelling jobs in progress (their messages stay pending)",
                            strsignal((int)si.ssi_signo));
                worker_pool_cancel(pool);
            }
        }
    }
    worker_pool_free(pool);
    service_log("stopped");
    rc = 0;
out:
    nsj_sandbox_free(sb);
    languages_free(&langs);
    close(sfd);
    return rc;
}
