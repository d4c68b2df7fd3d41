/* Clients for the live features' end-to-end tests: a WebSocket client
 * (RFC 6455 client side: masked frames, any frame it likes, including
 * broken ones on purpose) and a Server-Sent Events reader. Blocking,
 * loopback, one connection each. */
#ifndef NSJ_TEST_LIVECLIENT_H
#define NSJ_TEST_LIVECLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wsc {
    int fd;
    int status;                  /* the handshake's HTTP status (101 when upgraded) */
    char head[4096];             /* its response headers */
    char *body;                  /* the body of a refusal (owned) */
    uint8_t *buf;                /* bytes read, not yet parsed */
    size_t len, cap;
} wsc_t;

/* Open a WebSocket to path; origin may be NULL (no Origin header),
 * version NULL for "13". 0 when an answer came (check c->status; a
 * refusal's body is c->body), <0 when the connection failed. */
int wsc_open(wsc_t *c, int port, const char *path, const char *origin, const char *version);

/* Send one frame as given (masked unless told otherwise). */
int wsc_send_frame(wsc_t *c, bool fin, int opcode, const void *payload, size_t len, bool masked);

/* Send raw bytes. */
int wsc_send_raw(wsc_t *c, const void *p, size_t n);

/* Send a text message. */
int wsc_send_text(wsc_t *c, const char *text);

/* Receive one frame: 1 and its opcode/payload (malloc'd, NUL-terminated),
 * 0 when the server closed the TCP connection, -1 on timeout or error. */
int wsc_recv(wsc_t *c, int timeout_ms, int *opcode, char **payload, size_t *len);

/* Close the TCP connection (no closing handshake: a vanished client). */
void wsc_close(wsc_t *c);

typedef struct sse_event {
    char id[64];
    char event[32];
    char *data;                  /* owned */
} sse_event_t;

typedef struct ssec {
    int fd;
    int status;
    char head[4096];
    char *buf;                   /* bytes read, not decoded yet */
    size_t len, cap;
    bool chunked;
    char *text;                  /* decoded, not parsed yet */
    size_t tlen, tcap;
    bool ended;                  /* the last chunk came */
} ssec_t;

/* GET path with Accept: text/event-stream (and Last-Event-ID when given). */
int ssec_open(ssec_t *c, int port, const char *path, const char *last_event_id);

/* The next event: 1 (ev filled; free ev->data), 0 when the stream ended,
 * -1 on timeout or error. Comments are skipped. */
int ssec_next(ssec_t *c, int timeout_ms, sse_event_t *ev);

void ssec_close(ssec_t *c);

#endif
