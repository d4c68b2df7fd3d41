/* Shared by the API's server files: server.c (routing, the JSON API,
 * the connection pools), events.c (SSE), session_ws.c (sessions and their
 * WebSockets), static.c (the web page). Not a public interface. */
#ifndef NSJ_API_INTERNAL_H
#define NSJ_API_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/live.h"
#include "api/server.h"
#include "store/store.h"

typedef struct conn_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    void **conns;                /* store_t* or queue_conn_t*; NULL until connected */
    uint64_t *last_used_ms;
    bool *taken;
    size_t n;
} conn_pool_t;

struct api_server {
    api_config_t cfg;
    queue_url_t redis;
    const language_table_t *langs;
    char *languages_json;
    conn_pool_t db, rq;
    struct MHD_Daemon *httpd;
    char web_root[4096];         /* "" = no page served */
    int web_fd;                  /* the web root, opened once; -1 = none */
    atomic_bool stopping;        /* long-lived streams end, sockets close */
    pthread_mutex_t live_mu;
    pthread_cond_t live_cv;
    unsigned live;               /* SSE streams and WebSockets open */
};

typedef struct request {
    api_route_t route;
    api_live_route_t live;       /* when route is API_ROUTE_NONE */
    char id[37];
    long ordinal;                /* {n} of a test's file route */
    int spool_fd;                /* PUT of test data: the body, in an unlinked temporary file (-1 = none) */
    uint64_t spooled;
    int spool_failed;            /* errno of a failed write to it */
    char file[256];              /* API_LIVE_STATIC: the file under the web root */              /* API_LIVE_STATIC: the file under the web root */
    char *body;
    size_t len, cap;
    bool too_large;
    unsigned early_status;       /* an answer decided from the headers alone */
    char *early_body;
    const char *early_allow;
    const char *early_hname;     /* an extra header of the early answer */
    const char *early_hvalue;
} request_t;

/* A working Postgres / Redis connection from the pool, or -1 + err; give
 * it back with api_db_give / api_redis_give. */
int api_db_take(api_server_t *s, store_t **out, size_t *slot, nsj_error_t *err);
void api_db_give(api_server_t *s, size_t slot);
int api_redis_take(api_server_t *s, queue_conn_t **out, size_t *slot, nsj_error_t *err);
void api_redis_give(api_server_t *s, size_t slot);

/* {"error": "..."} (malloc'd, valid UTF-8 whatever the message). */
char *api_error_json(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Queue a JSON answer (body is taken over and freed); hname may be NULL. */
enum MHD_Result api_send_json(struct MHD_Connection *c, unsigned status, char *body, const char *hname,
                              const char *hvalue);

/* An answer for a store error: 404 (ENOENT), 503 (connection), else 500. */
enum MHD_Result api_send_store_error(struct MHD_Connection *c, const char *what, const nsj_error_t *err);

/* checkcompile.c: 0 when j has no custom checker or interactor to compile
 * or a worker compiled it; else -1 with the answer (400: it does not
 * compile; 503). */
int api_checker_compiles(api_server_t *s, const core_judging_t *j, unsigned *status, char **body);

/* XADD a job to a stream, retried once on a fresh connection. */
int api_enqueue(api_server_t *s, const char *stream, const char *payload, size_t len, nsj_error_t *err);

/* The expiry of an events stream the API writes first; the worker's
 * events refresh it with EVENTS_TTL. */
#define API_EVENTS_TTL_S 86400

/* Append an event to a submission's events stream (data taken over);
 * a failure is logged, never fatal. */
void api_publish_event(api_server_t *s, const char *submission_id, const char *type, char *data);

/* Count a long-lived stream in or out (stop waits for them to end). */
void api_live_enter(api_server_t *s);
void api_live_leave(api_server_t *s);

/* Checks of a live route made from the headers alone: 0 when the request
 * may go on, else an HTTP status with r->early_body (and headers) set. */
unsigned api_live_check_headers(api_server_t *s, struct MHD_Connection *c, const char *method, request_t *r);

/* The handlers of the live routes, once the request is complete. */
enum MHD_Result api_events_answer(api_server_t *s, struct MHD_Connection *c, request_t *r);
enum MHD_Result api_session_create(api_server_t *s, struct MHD_Connection *c, request_t *r);
enum MHD_Result api_session_connect(api_server_t *s, struct MHD_Connection *c, request_t *r);
enum MHD_Result api_static_answer(api_server_t *s, struct MHD_Connection *c, request_t *r);

/* Does the web root hold this file (a regular file)? */
bool api_static_exists(api_server_t *s, const char *file);

#endif
