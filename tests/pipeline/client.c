#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"

int http_dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int http_send_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_response(int fd, http_resp_t *r)
{
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return -1;
    for (;;) {
        if (len + 1 >= cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                return -1;
            }
            buf = nb;
        }
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* EOF, or a reset after the server answered early: keep what came */
        len += (size_t)n;
    }
    buf[len] = '\0';
    char *end = strstr(buf, "\r\n\r\n");
    if (!end || sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1) {
        free(buf);
        r->status = 0;
        return -1;
    }
    size_t hlen = (size_t)(end - buf);
    snprintf(r->headers, sizeof r->headers, "%.*s", (int)(hlen < sizeof r->headers ? hlen : sizeof r->headers - 1),
             buf);
    r->len = len - hlen - 4;
    r->body = malloc(r->len + 1);
    if (!r->body) {
        free(buf);
        return -1;
    }
    memcpy(r->body, end + 4, r->len);
    r->body[r->len] = '\0';
    free(buf);
    return 0;
}

/* With NSJ_HTTP_RECORD=file, each exchange is appended to it as a JSON
 * line (method, path, status, content type, the body when it is JSON):
 * make ops checks them against docs/openapi.yaml (tests/ops/openapi-check.mjs). */
static void record(const char *method, const char *path, const http_resp_t *r)
{
    const char *file = getenv("NSJ_HTTP_RECORD");
    if (!file || !*file || !r->status)
        return;
    char ct[256] = "";
    http_header(r, "Content-Type", ct, sizeof ct);
    json_t *body = strncmp(ct, "application/json", 16) == 0 && r->body ? json_loads(r->body, 0, NULL) : NULL;
    json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:o}", "method", method, "path", path, "status", r->status,
                          "content_type", ct, "body", body ? body : json_null());
    char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    FILE *f = line ? fopen(file, "ae") : NULL;
    if (f) {
        fprintf(f, "%s\n", line);
        fclose(f);
    }
    free(line);
    json_decref(o);
}

static const char *extra_header;

void http_set_header(const char *line)
{
    extra_header = line;
}

int http_do(int port, const char *method, const char *path, const char *ctype, const char *body, size_t len,
            http_mode_t mode, http_resp_t *r)
{
    memset(r, 0, sizeof *r);
    int fd = http_dial(port);
    if (fd < 0)
        return -1;
    char head[1024];
    int hn = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n", method, path,
                      port);
    if (ctype)
        hn += snprintf(head + hn, sizeof head - (size_t)hn, "Content-Type: %s\r\n", ctype);
    if (extra_header)
        hn += snprintf(head + hn, sizeof head - (size_t)hn, "%s\r\n", extra_header);
    if (body && mode == HTTP_CHUNKED)
        hn += snprintf(head + hn, sizeof head - (size_t)hn, "Transfer-Encoding: chunked\r\n");
    else if (body)
        hn += snprintf(head + hn, sizeof head - (size_t)hn, "Content-Length: %zu\r\n", len);
    hn += snprintf(head + hn, sizeof head - (size_t)hn, "\r\n");
    int rc = http_send_all(fd, head, (size_t)hn);
    if (rc == 0 && body) {
        if (mode == HTTP_HEADERS_FIRST) {
            /* A server that refuses from the headers answers now: then the
             * body must not be sent (it would reset the connection). */
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            if (poll(&pfd, 1, 2000) == 1) {
                rc = read_response(fd, r);
                close(fd);
                return rc;
            }
            rc = http_send_all(fd, body, len);
        } else if (mode == HTTP_CHUNKED) {
            for (size_t off = 0; rc == 0 && off < len; off += 65536) {
                size_t n = len - off < 65536 ? len - off : 65536;
                char sz[32];
                int sn = snprintf(sz, sizeof sz, "%zx\r\n", n);
                rc = http_send_all(fd, sz, (size_t)sn) || http_send_all(fd, body + off, n) ||
                     http_send_all(fd, "\r\n", 2) ? -1 : 0;
            }
            if (rc == 0)
                rc = http_send_all(fd, "0\r\n\r\n", 5);
        } else {
            rc = http_send_all(fd, body, len);
        }
    }
    /* Even when sending failed the server may have answered first. */
    int rrc = read_response(fd, r);
    close(fd);
    record(method, path, r);
    return rrc;
}

int http_header(const http_resp_t *r, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    for (const char *p = r->headers; p && *p;) {
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            size_t vl = strcspn(v, "\r\n");
            snprintf(out, cap, "%.*s", (int)vl, v);
            return 0;
        }
        p = strstr(p, "\r\n");
        if (p)
            p += 2;
    }
    return -1;
}

void http_resp_free(http_resp_t *r)
{
    free(r->body);
    r->body = NULL;
}
