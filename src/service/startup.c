/* Start-up shared by the two daemons: see startup.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/paths.h"
#include "service/service.h"
#include "service/startup.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000

static int backoff(int delay)
{
    return delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay * 2;
}

int service_signals(const char *prog)
{
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    int sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
    if (sfd < 0)
        fprintf(stderr, "%s: signalfd: %m\n", prog);
    return sfd;
}

int service_wait_signal(int sfd, int ms)
{
    struct pollfd pfd = {.fd = sfd, .events = POLLIN};
    if (poll(&pfd, 1, ms) <= 0)
        return 0;
    struct signalfd_siginfo si;
    return read(sfd, &si, sizeof si) == (ssize_t)sizeof si ? (int)si.ssi_signo : 0;
}

store_t *service_wait_postgres(const char *url, const char *app, int sfd, bool *stopped)
{
    *stopped = false;
    for (int delay = BACKOFF_FIRST_MS;; delay = backoff(delay)) {
        store_t *db;
        nsj_error_t err;
        if (store_connect(url, app, &db, &err) == 0) {
            service_log("connected to Postgres");
            return db;
        }
        if (err.errnum != EAGAIN) {
            fprintf(stderr, "%s: %s\n", app, err.msg);
            return NULL;
        }
        service_log("waiting for Postgres: %s", err.msg);
        if (service_wait_signal(sfd, delay)) {
            *stopped = true;
            return NULL;
        }
    }
}

int service_migrate(store_t *db, const char *prog)
{
    char dir[4096];
    const char *env = getenv("NSJUDGE_SQL_DIR");
    if (env && *env)
        snprintf(dir, sizeof dir, "%s", env);
    else if (paths_find_data("sql", dir, sizeof dir) < 0) {
        fprintf(stderr, "%s: no sql/ directory of migrations found (set NSJUDGE_HOME or NSJUDGE_SQL_DIR)\n", prog);
        return -1;
    }
    int applied = 0;
    nsj_error_t err;
    if (store_migrate(db, dir, &applied, &err) < 0) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        return -1;
    }
    if (applied)
        service_log("applied %d database migration%s from %s", applied, applied == 1 ? "" : "s", dir);
    return 0;
}

queue_conn_t *service_wait_redis(const queue_url_t *url, int timeout_ms, int sfd, bool *stopped)
{
    *stopped = false;
    for (int delay = BACKOFF_FIRST_MS;; delay = backoff(delay)) {
        queue_conn_t *q;
        nsj_error_t err;
        if (queue_connect(url, timeout_ms, &q, &err) == 0) {
            if (queue_ensure_group(q, &err) == 0 && queue_ensure_group_on(q, QUEUE_SESSIONS_STREAM, &err) == 0) {
                service_log("connected to Redis");
                return q;
            }
            queue_close(q);
        }
        service_log("waiting for Redis: %s", err.msg);
        if (service_wait_signal(sfd, delay)) {
            *stopped = true;
            return NULL;
        }
    }
}
