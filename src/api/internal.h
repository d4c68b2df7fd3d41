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

#include "api/auth.h"
#include "api/live.h"
#include "api/server.h"
#include "common/metrics.h"
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
    metrics_t *metrics;          /* GET /metrics (observe.c) */
    metric_t *m_requests, *m_duration, *m_streams, *m_refusals;
    struct api_auth *auth;       /* keys seen lately (auth.c) */
    struct api_deadlines *deadlines; /* REQUEST_DEADLINE's timer (deadline.c); NULL = off */
};

#define API_REQUEST_ID_MAX 64

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
    /* observe.c: the access log line and metrics */
    uint64_t start_ns;
    char method[16];
    char request_id[API_REQUEST_ID_MAX + 1];
    unsigned status;             /* the answer's, once queued */
    unsigned wait_s;             /* POST /submissions?wait=N (wait.c) */
    /* Access (auth.c): who asked, the key routes, places held under the limits. */
    auth_principal_t who;
    api_keys_route_t keys;
    char retry_after[24];
    char stream_member[48];
    char stream_sets[2][200];    /* "" = none held */
    bool attached;               /* the session's WebSocket attached (its place is given back at the end) */
    char session_entry[32];      /* its job's entry in the sessions stream, queued at the attach */
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

/* Answer 503 "database unavailable: <err>" (no connection could be taken). */
enum MHD_Result api_send_db_unavailable(struct MHD_Connection *c, const nsj_error_t *err);

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

/* Access (auth.c). The key cache: */
typedef struct api_auth api_auth_t;
api_auth_t *api_auth_new(void);
void api_auth_free(api_auth_t *a);

/* From the headers: who the request is (r->who), whether it may use the
 * route (401, 403) and whether it is within the limits (429 with
 * Retry-After); 0 when it may go on, else a status with r->early_body. */
unsigned api_auth_check_headers(api_server_t *s, struct MHD_Connection *c, const char *method, request_t *r);

/* Before a route naming a submission or session runs: 0 when r->who may
 * see it, else 404 (another key's) or 503 with *body set. */
unsigned api_auth_check_owner(api_server_t *s, request_t *r, char **body);

/* Take a place under MAX_SESSIONS for a new session; false when none is free. */
bool api_auth_session_take(api_server_t *s, const request_t *r, const char *session_id);

/* Give back the places a finished request held. */
void api_auth_release(api_server_t *s, request_t *r);

/* POST /keys/{id}/callback-secret (callback_secret.c). */
enum MHD_Result api_callback_secret_answer(api_server_t *s, struct MHD_Connection *c, request_t *r);

/* GET /keys, POST /keys, DELETE /keys/{id}. */
enum MHD_Result api_keys_answer(api_server_t *s, struct MHD_Connection *c, request_t *r, const char *method);

/* The deadline of a whole request (deadline.c). */
typedef struct api_deadlines api_deadlines_t;
int api_deadlines_start(uint64_t limit_ms, api_deadlines_t **out);
void api_deadlines_stop(api_deadlines_t *d);
/* MHD_OPTION_NOTIFY_CONNECTION's callback (cls: the server). */
void api_deadlines_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code);
/* The connection's request is complete and being answered (true), or its
 * answer is done and the next request's clock starts (false). */
void api_deadlines_busy(api_server_t *s, struct MHD_Connection *c, bool busy);

/* Does the web root hold this file (a regular file)? */
bool api_static_exists(api_server_t *s, const char *file);

#endif
