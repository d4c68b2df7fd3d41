/* Helpers of the end-to-end tests that run under tests/pipeline/run.sh
 * (make pipeline, make live): the environment run.sh hands over, processes
 * started here and stopped by PID, their log files, Postgres and Redis
 * queries for checks, the API's JSON.
 *
 * Environment from run.sh: PIPE_DIR (temp dir; the logs of the processes
 * started here, and pids/ with the PID of each so that run.sh's trap can
 * stop what a crashed test leaves), PIPE_PG_PORT, PIPE_REDIS_PORT,
 * PIPE_REDIS_PID, PIPE_REDIS_DIR, PIPE_PG_PID, PIPE_PG_DIR, PIPE_PG_BIN,
 * BUILD, NSJUDGE_HOME; PIPE_UNAVAILABLE when the servers could not be
 * started (tests then skip, or fail under NSJUDGE_TESTS_MUST_RUN=1).
 *
 * cmocka tests: a query or connection that fails is a fail_msg(). */
#ifndef NSJ_TEST_E2E_H
#define NSJ_TEST_E2E_H

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "client.h"

typedef struct e2e_env {
    char unavailable[1024];      /* why the tests cannot run; empty when they can */
    char dir[1024];              /* PIPE_DIR */
    char bin[2][2048];           /* worker, api */
    int pg_port, redis_port, api_port;
    pid_t api_pid;
    pid_t redis_pid, pg_pid;     /* run.sh's servers (a test may restart them) */
    char redis_dir[1024], pg_dir[1024], pg_bin[1024];
    PGconn *pg;
    char db_url[256], redis_url[128];
    char api_log[1200];          /* nsjudge-api's stdout and stderr */
} e2e_env_t;

/* Load run.sh's environment into e, connect to Postgres, start nsjudge-api
 * and wait until it is healthy; <0 with the reason in e->unavailable
 * (target names the make target to run instead). The helpers below use e,
 * which must outlive them. */
int e2e_setup(e2e_env_t *e, const char *target);

/* Stop nsjudge-api (it must exit 0 on SIGTERM) and close Postgres. */
void e2e_teardown(e2e_env_t *e);

/* A loopback TCP port nothing listens on now. */
int e2e_free_port(void);

/* Whether GET /healthz?live answers 200 (the API process, not the workers). */
bool e2e_api_healthy(void);

void e2e_sleep_ms(long ms);

/* Monotonic clock, in seconds. */
double e2e_now_s(void);

/* A file's content (malloc'd; "" when it cannot be read). */
char *e2e_read_file(const char *path);

/* Whether text has exactly this line. */
bool e2e_has_line(const char *text, const char *line);

/* Record (add) or forget a PID under PIPE_DIR/pids, for run.sh's trap. */
void e2e_pidfile(pid_t pid, bool add);

/* Start argv with extra environment ("NAME=value", NULL-terminated), its
 * PID recorded; stdout and stderr go to a log in PIPE_DIR (its path
 * written to log_out). */
pid_t e2e_spawn(const char *name, const char *const *argv, const char *const *extra, char *log_out, size_t cap);

/* Wait for a child (its PID forgotten); its wait status, or -1 after timeout_ms. */
int e2e_reap(pid_t pid, int timeout_ms);

/* Send sig to a child and reap it; SIGKILL after 30 s. */
void e2e_stop(pid_t pid, int sig);

/* Wait until the file at path has the line (e2e_wait_line) or the text
 * anywhere (e2e_wait_text); false after timeout_ms. */
bool e2e_wait_line(const char *path, const char *line, int timeout_ms);
bool e2e_wait_text(const char *path, const char *text, int timeout_ms);

/* A query's result (PQclear it). */
PGresult *e2e_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The first value of a query as a number (-1 when NULL or no row) or as text (malloc'd; "" then). */
long e2e_sql_long(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *e2e_sql_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A new connection to run.sh's Redis (redisFree it). */
redisContext *e2e_redis(void);

/* A command's integer reply (an array's first integer, as XPENDING's
 * summary count); -1 for any other reply. */
long long e2e_redis_int(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* POST a JSON body to the API; the status. */
int e2e_post_json(const char *path, const char *body, http_resp_t *r);

/* A member of o as a string ("(null)" when not one) or an integer (-1 when not one). */
const char *e2e_jstr(const json_t *o, const char *k);
long e2e_jint(const json_t *o, const char *k);

/* Sandboxes of one worker process: processes with the sandbox's uids
 * (the default slots' ids, 100000..100127) in one of its run cgroups ("run-<pid>-N"). Other
 * programs on the host may run sandboxes of their own meanwhile. */
int e2e_sandbox_processes_of(pid_t worker);
/* Of those, the programs' (the slots' odd ids) that ran, and the inits'
 * (even ids): a running worker keeps a prepared run per job thread (warm
 * slots), an init in its run cgroup with a program process that has not
 * run (still the worker's image, waiting at sync 1b; not counted). */
int e2e_program_processes_of(pid_t worker);
int e2e_init_processes_of(pid_t worker);

/* SIGKILL the sandboxes' inits of a dead worker (killing a pid namespace's
 * init kills everything in it); waits up to 5 s for them to go. */
void e2e_kill_sandboxes_of(pid_t worker);

/* Run cgroups ("run-<worker>-N") of one worker process below dir, depth levels down. */
int e2e_run_cgroups_of(const char *dir, pid_t worker, int depth);
/* Those of them with a task in them (a warm slot also keeps empty ones on v1). */
int e2e_busy_run_cgroups_of(const char *dir, pid_t worker, int depth);

#endif
