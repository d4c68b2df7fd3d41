/* A tiny HTTP/1.1 client for the pipeline's tests and benchmark: one
 * request per connection (Connection: close), blocking, loopback. */
#ifndef NSJ_TEST_CLIENT_H
#define NSJ_TEST_CLIENT_H

#include <stddef.h>

typedef struct http_resp {
    int status;                  /* 0 when no answer came */
    char headers[4096];
    char *body;                  /* owned, NUL-terminated */
    size_t len;
} http_resp_t;

typedef enum http_mode {
    HTTP_NORMAL,                 /* send everything, then read */
    HTTP_HEADERS_FIRST,          /* send the headers, read an early answer if one comes, else the body */
    HTTP_CHUNKED,                /* send the body in chunks, no Content-Length */
} http_mode_t;

/* Send a request; ctype may be NULL (no Content-Type), body may be NULL.
 * Returns 0 when a response was read, <0 otherwise (r->status 0). */
int http_do(int port, const char *method, const char *path, const char *ctype, const char *body, size_t len,
            http_mode_t mode, http_resp_t *r);

/* A header's value in a response (case-insensitive name), copied into out; <0 when absent. */
int http_header(const http_resp_t *r, const char *name, char *out, size_t cap);

void http_resp_free(http_resp_t *r);

/* A header line sent with every request from now on ("Authorization:
 * Bearer KEY"; NULL = none); the caller keeps the string alive. */
void http_set_header(const char *line);

/* A TCP connection to 127.0.0.1:port (TCP_NODELAY); the fd, or -1. */
int http_dial(int port);

/* Send all n bytes (no SIGPIPE); 0, or -1 when the connection failed. */
int http_send_all(int fd, const void *p, size_t n);

#endif
