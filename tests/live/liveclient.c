#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../pipeline/client.h"
#include "liveclient.h"

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read more bytes into *buf; 1 = got some, 0 = EOF, -1 = timeout/error. */
static int read_more(int fd, char **buf, size_t *len, size_t *cap, long long deadline)
{
    if (*len + 65536 + 1 > *cap) {
        size_t ncap = *cap ? *cap * 2 : 131072;
        while (ncap < *len + 65536 + 1)
            ncap *= 2;
        char *nb = realloc(*buf, ncap);
        if (!nb)
            return -1;
        *buf = nb;
        *cap = ncap;
    }
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int pr = poll(&p, 1, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return -1;
        ssize_t n = recv(fd, *buf + *len, 65536, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == ECONNRESET ? 0 : -1;
        if (n == 0)
            return 0;
        *len += (size_t)n;
        (*buf)[*len] = '\0';
        return 1;
    }
}

/* Read the response head: status, headers into head; the rest stays in buf. */
static int read_head(int fd, char **buf, size_t *len, size_t *cap, int *status, char *head, size_t hcap)
{
    long long deadline = now_ms() + 10000;
    for (;;) {
        char *end = *buf ? memmem(*buf, *len, "\r\n\r\n", 4) : NULL;
        if (end) {
            size_t hlen = (size_t)(end - *buf);
            snprintf(head, hcap, "%.*s", (int)(hlen < hcap ? hlen : hcap - 1), *buf);
            if (sscanf(*buf, "HTTP/1.%*d %d", status) != 1)
                return -1;
            memmove(*buf, end + 4, *len - hlen - 4);
            *len -= hlen + 4;
            (*buf)[*len] = '\0';
            return 0;
        }
        if (read_more(fd, buf, len, cap, deadline) <= 0)
            return -1;
    }
}

/* ---- WebSocket ---- */

int wsc_open(wsc_t *c, int port, const char *path, const char *origin, const char *version)
{
    memset(c, 0, sizeof *c);
    c->fd = http_dial(port);
    if (c->fd < 0)
        return -1;
    char req[2048];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Version: %s\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n%s%s%s\r\n",
                     path, port, version ? version : "13", origin ? "Origin: " : "", origin ? origin : "",
                     origin ? "\r\n" : "");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (http_send_all(c->fd, req, (size_t)n) < 0 || read_head(c->fd, &buf, &len, &cap, &c->status, c->head,
                                                           sizeof c->head) < 0) {
        free(buf);
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    if (c->status != 101) {
        /* A refusal: its JSON body (Content-Length long; the connection
         * may stay open for another request). */
        const char *cl = strcasestr(c->head, "\r\nContent-Length:");
        size_t want = cl ? strtoul(cl + 17, NULL, 10) : (size_t)-1;
        long long deadline = now_ms() + 5000;
        while (len < want && read_more(c->fd, &buf, &len, &cap, deadline) > 0)
            ;
        c->body = buf ? buf : strdup("");
        return 0;
    }
    c->buf = (uint8_t *)buf;
    c->len = len;
    c->cap = cap;
    return 0;
}

int wsc_send_raw(wsc_t *c, const void *p, size_t n)
{
    return http_send_all(c->fd, p, n);
}

int wsc_send_frame(wsc_t *c, bool fin, int opcode, const void *payload, size_t len, bool masked)
{
    uint8_t *f = malloc(len + 14);
    if (!f)
        return -1;
    size_t n = 0;
    f[n++] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0F));
    uint8_t m = masked ? 0x80 : 0;
    if (len < 126) {
        f[n++] = (uint8_t)(m | len);
    } else if (len < 65536) {
        f[n++] = m | 126;
        f[n++] = (uint8_t)(len >> 8);
        f[n++] = (uint8_t)len;
    } else {
        f[n++] = m | 127;
        for (int i = 0; i < 8; i++)
            f[n++] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    }
    uint8_t key[4] = {(uint8_t)rand(), (uint8_t)rand(), (uint8_t)rand(), (uint8_t)rand()};
    if (masked) {
        memcpy(f + n, key, 4);
        n += 4;
    }
    const uint8_t *p = payload;
    for (size_t i = 0; i < len; i++)
        f[n + i] = masked ? (uint8_t)(p[i] ^ key[i & 3]) : p[i];
    int rc = http_send_all(c->fd, f, n + len);
    free(f);
    return rc;
}

int wsc_send_text(wsc_t *c, const char *text)
{
    return wsc_send_frame(c, true, 0x1, text, strlen(text), true);
}

int wsc_recv(wsc_t *c, int timeout_ms, int *opcode, char **payload, size_t *len)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        if (c->len >= 2) {
            size_t plen = c->buf[1] & 0x7F, hdr = 2;
            if (plen == 126 && c->len >= 4) {
                plen = (size_t)c->buf[2] << 8 | c->buf[3];
                hdr = 4;
            } else if (plen == 127 && c->len >= 10) {
                plen = 0;
                for (int i = 0; i < 8; i++)
                    plen = plen << 8 | c->buf[2 + i];
                hdr = 10;
            }
            bool have_len = !((c->buf[1] & 0x7F) == 126 && c->len < 4) && !((c->buf[1] & 0x7F) == 127 && c->len < 10);
            if (have_len && c->len >= hdr + plen) {
                *opcode = c->buf[0] & 0x0F;
                *payload = malloc(plen + 1);
                memcpy(*payload, c->buf + hdr, plen);
                (*payload)[plen] = '\0';
                *len = plen;
                memmove(c->buf, c->buf + hdr + plen, c->len - hdr - plen);
                c->len -= hdr + plen;
                return 1;
            }
        }
        char *b = (char *)c->buf;
        int r = read_more(c->fd, &b, &c->len, &c->cap, deadline);
        c->buf = (uint8_t *)b;
        if (r <= 0)
            return r;
    }
}

void wsc_close(wsc_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->buf);
    free(c->body);
    c->buf = NULL;
    c->body = NULL;
}

/* ---- Server-Sent Events ---- */

int ssec_open(ssec_t *c, int port, const char *path, const char *last_event_id)
{
    memset(c, 0, sizeof *c);
    c->fd = http_dial(port);
    if (c->fd < 0)
        return -1;
    char req[1024];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: text/event-stream\r\n%s%s%s\r\n",
                     path, port, last_event_id ? "Last-Event-ID: " : "", last_event_id ? last_event_id : "",
                     last_event_id ? "\r\n" : "");
    if (http_send_all(c->fd, req, (size_t)n) < 0 ||
        read_head(c->fd, &c->buf, &c->len, &c->cap, &c->status, c->head, sizeof c->head) < 0)
        return -1;
    c->chunked = strcasestr(c->head, "Transfer-Encoding: chunked") != NULL;
    return 0;
}

/* Decode whole chunks from c->buf into text; 1 when the last chunk came. */
static int dechunk(ssec_t *c, char **text, size_t *tlen, size_t *tcap)
{
    for (;;) {
        char *eol = c->buf ? memmem(c->buf, c->len, "\r\n", 2) : NULL;
        if (!eol)
            return 0;
        size_t size = strtoul(c->buf, NULL, 16), hl = (size_t)(eol - c->buf) + 2;
        if (size == 0)
            return 1;
        if (c->len < hl + size + 2)
            return 0;
        if (*tlen + size + 1 > *tcap) {
            *tcap = (*tlen + size + 1) * 2;
            *text = realloc(*text, *tcap);
        }
        memcpy(*text + *tlen, c->buf + hl, size);
        *tlen += size;
        (*text)[*tlen] = '\0';
        memmove(c->buf, c->buf + hl + size + 2, c->len - hl - size - 2);
        c->len -= hl + size + 2;
    }
}

int ssec_next(ssec_t *c, int timeout_ms, sse_event_t *ev)
{
    memset(ev, 0, sizeof *ev);
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        if (!c->chunked && c->len) {
            if (c->tlen + c->len + 1 > c->tcap) {
                c->tcap = (c->tlen + c->len + 1) * 2;
                c->text = realloc(c->text, c->tcap);
            }
            memcpy(c->text + c->tlen, c->buf, c->len);
            c->tlen += c->len;
            c->text[c->tlen] = '\0';
            c->len = 0;
        } else if (c->chunked && dechunk(c, &c->text, &c->tlen, &c->tcap) == 1) {
            c->ended = true;
        }
        char *end = c->text ? strstr(c->text, "\n\n") : NULL;
        while (end) {
            size_t blen = (size_t)(end - c->text) + 2;
            char *block = strndup(c->text, blen - 2);
            memmove(c->text, c->text + blen, c->tlen - blen + 1);
            c->tlen -= blen;
            bool any = false;
            size_t dlen = 0;
            char *data = calloc(1, strlen(block) + 1);
            for (char *line = strtok(block, "\n"); line; line = strtok(NULL, "\n")) {
                if (line[0] == ':')
                    continue;
                if (strncmp(line, "id: ", 4) == 0)
                    snprintf(ev->id, sizeof ev->id, "%s", line + 4), any = true;
                else if (strncmp(line, "event: ", 7) == 0)
                    snprintf(ev->event, sizeof ev->event, "%s", line + 7), any = true;
                else if (strncmp(line, "data: ", 6) == 0) {
                    if (dlen)
                        data[dlen++] = '\n';
                    strcpy(data + dlen, line + 6);
                    dlen += strlen(line + 6);
                    any = true;
                }
            }
            free(block);
            if (any && (ev->event[0] || dlen)) {
                ev->data = data;
                return 1;
            }
            free(data);
            memset(ev, 0, sizeof *ev);
            end = strstr(c->text, "\n\n");
        }
        if (c->ended)
            return 0;
        int r = read_more(c->fd, &c->buf, &c->len, &c->cap, deadline);
        if (r == 0)
            return 0;
        if (r < 0)
            return -1;
    }
}

void ssec_close(ssec_t *c)
{
    free(c->text);
    c->text = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
}
