/* The live routes' pure parts (docs/live.md): routing, the WebSocket
 * handshake checks, the origin policy, POST /sessions and the messages a
 * client sends on a session's WebSocket, Server-Sent Events framing, and
 * the names of the web page's files. Bytes in, struct or status out: all
 * unit-tested without a server. */
#ifndef NSJ_API_LIVE_H
#define NSJ_API_LIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "api/request.h"
#include "judge/languages.h"

/* Largest message a client may send on a session's WebSocket. */
#define API_WS_MESSAGE_MAX 65536

typedef enum api_live_route {
    API_LIVE_NONE = 0,
    API_LIVE_EVENTS,             /* /submissions/{id}/events */
    API_LIVE_SESSIONS,           /* /sessions */
    API_LIVE_SESSION,            /* /sessions/{id}: the WebSocket */
    API_LIVE_STATIC,             /* / and the web page's files */
} api_live_route_t;

/* Match a path that api_route_match() did not: id gets {id}, file the
 * static file's name under the web root ("/" is "index.html"). Names of
 * the JSON API (/submissions/..., /sessions/...) are never static files. */
api_live_route_t api_live_route_match(const char *path, char id[37], char *file, size_t cap);

/* The methods a live route allows, and whether it allows this one. */
const char *api_live_route_allow(api_live_route_t r);
bool api_live_route_allows(api_live_route_t r, const char *method);

/* Is a static file name safe: segments of [A-Za-z0-9._-] separated by
 * '/', none empty or starting with '.', not too deep? (No "..", no
 * hidden files, no directory names.) */
bool api_static_name_ok(const char *name);

/* The Content-Type of a static file, by its extension. */
const char *api_static_type(const char *name);

/* Check a WebSocket handshake's headers (RFC 6455 4.2.1): 0, or an HTTP
 * status with a message: 426 when it is not an upgrade to WebSocket or not
 * version 13 (the answer then names what the server speaks), 400 when a
 * header is malformed. Any header may be NULL (absent). */
int api_ws_check(const char *method, const char *upgrade, const char *connection, const char *version,
                 const char *key, api_error_t *e);

/* The origin policy of WebSockets. A request without Origin is not from a
 * browser and is allowed. allowed: "" = same origin only (Origin is
 * http(s)://<Host>), "*" = any, else origins separated by spaces or commas. */
bool api_origin_allowed(const char *origin, const char *host, const char *allowed);

/* POST /sessions: {"language", "source_code"}, strict like POST /submissions. */
typedef struct api_session_req {
    char language[32];           /* the table's name (aliases resolved) */
    char *source;                /* owned */
} api_session_req_t;

int api_parse_session(const char *body, size_t len, const api_limits_t *lim, const language_table_t *langs,
                      api_session_req_t *out, api_error_t *e);
void api_session_req_free(api_session_req_t *r);

/* A message from the client: {"type":"input","data":"..."} or {"type":"eof"}. */
typedef enum api_client_type { API_CLIENT_INPUT, API_CLIENT_EOF } api_client_type_t;

typedef struct api_client_msg {
    api_client_type_t type;
    char *data;                  /* owned (input), may hold NUL bytes */
    size_t len;
} api_client_msg_t;

/* Parse a text message (already valid UTF-8); <0 with why filled when it
 * is not one of the messages above (the socket then closes with 1008). */
int api_parse_client_message(const char *text, size_t len, api_client_msg_t *out, char *why, size_t cap);
void api_client_msg_free(api_client_msg_t *m);

/* One Server-Sent Event ("id:", "event:", one "data:" line per line of
 * data, blank line), malloc'd; *outlen gets its length. id/event may be NULL. */
char *api_sse_event(const char *id, const char *event, const char *data, size_t len, size_t *outlen);

#endif
