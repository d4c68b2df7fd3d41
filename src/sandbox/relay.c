/* The transcript of an interactive run (nsj_pair_spec_t.transcript_max):
 * a thread between the two programs' pipes, moving bytes both ways and
 * keeping the first ones, in order. Only when a transcript is asked for:
 * otherwise the programs share kernel pipes and nothing sits between them.
 *
 * It never blocks on one side while the other waits (non-blocking fds, one
 * poll over all four, a bounded buffer per direction), so it adds no way
 * for the exchange to stall that direct pipes lack. Ends are passed on: the
 * writer side's EOF becomes the reader side's EOF once the buffer is
 * delivered, and a reader gone (EPIPE, POLLERR) closes the writer's pipe
 * too, so that its next write fails as it would on a direct pipe. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

typedef struct relay_dir {
    int from, to;
    char buf[65536];
    size_t len, off;
    const char *label;        /* "program" or "interactor": who wrote these bytes */
} relay_dir_t;

struct relay {
    pthread_t thread;
    relay_dir_t dir[2];
    char *transcript;
    size_t len, max;
    int truncated;
    int last;                 /* direction of the last chunk kept (-1 none) */
};

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void keep(relay_t *r, int d, const char *p, size_t n)
{
    char head[32];
    size_t hl = 0;
    if (r->last != d) {
        bool eol = r->len == 0 || r->transcript[r->len - 1] == '\n';
        hl = (size_t)snprintf(head, sizeof head, "%s--- %s:\n", eol ? "" : "\n", r->dir[d].label);
        r->last = d;
    }
    size_t room = r->max > r->len ? r->max - r->len : 0;
    if (hl + n > room) {
        r->truncated = 1;
        if (hl > room)
            return;
        n = room - hl;
    }
    memcpy(r->transcript + r->len, head, hl);
    memcpy(r->transcript + r->len + hl, p, n);
    r->len += hl + n;
}

/* The reader of this direction is gone: drop what is buffered and close
 * the writer's pipe as well. */
static void reader_gone(relay_dir_t *d)
{
    close_fd(&d->to);
    close_fd(&d->from);
    d->len = d->off = 0;
}

static void *relay_main(void *arg)
{
    relay_t *r = arg;
    for (;;) {
        struct pollfd p[4];
        int live = 0;
        for (int d = 0; d < 2; d++) {
            relay_dir_t *x = &r->dir[d];
            /* Delivered all and the writer is gone: pass its EOF on. */
            if (x->from < 0 && x->len == x->off)
                close_fd(&x->to);
            p[2 * d] = (struct pollfd){.fd = x->len == 0 ? x->from : -1, .events = POLLIN};
            /* POLLERR (the reader gone) is reported whatever the events. */
            p[2 * d + 1] = (struct pollfd){.fd = x->to, .events = x->len > x->off ? POLLOUT : 0};
            live += x->from >= 0 || x->to >= 0;
        }
        if (!live)
            break;
        if (poll(p, 4, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int d = 0; d < 2; d++) {
            relay_dir_t *x = &r->dir[d];
            short out = p[2 * d + 1].revents, in = p[2 * d].revents;
            if (x->to >= 0 && (out & POLLERR)) {
                reader_gone(x);
                continue;
            }
            if (x->to >= 0 && (out & POLLOUT) && x->len > x->off) {
                ssize_t n = write(x->to, x->buf + x->off, x->len - x->off);
                if (n > 0) {
                    x->off += (size_t)n;
                    if (x->off == x->len)
                        x->len = x->off = 0;
                } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                    reader_gone(x);
                    continue;
                }
            }
            if (x->from >= 0 && in && x->len == 0) {
                ssize_t n = read(x->from, x->buf, sizeof x->buf);
                if (n > 0) {
                    x->len = (size_t)n;
                    x->off = 0;
                    keep(r, d, x->buf, (size_t)n);
                } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                    close_fd(&x->from);
                }
            }
        }
    }
    for (int d = 0; d < 2; d++) {
        close_fd(&r->dir[d].from);
        close_fd(&r->dir[d].to);
    }
    return NULL;
}

int relay_start(int prog_out, int inter_in, int inter_out, int prog_in, size_t max, relay_t **out, nsj_error_t *err)
{
    int fds[4] = {prog_out, inter_in, inter_out, prog_in};
    relay_t *r = calloc(1, sizeof *r);
    char *t = malloc(max ? max : 1);
    if (!r || !t) {
        free(r);
        free(t);
        for (int i = 0; i < 4; i++)
            close(fds[i]);
        return nsj_error_set(err, ENOMEM, "transcript relay");
    }
    r->transcript = t;
    r->max = max;
    r->last = -1;
    r->dir[0] = (relay_dir_t){.from = prog_out, .to = inter_in, .label = "program"};
    r->dir[1] = (relay_dir_t){.from = inter_out, .to = prog_in, .label = "interactor"};
    for (int i = 0; i < 4; i++)
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
    int e = pthread_create(&r->thread, NULL, relay_main, r);
    if (e != 0) {
        for (int i = 0; i < 4; i++)
            close(fds[i]);
        free(r->transcript);
        free(r);
        return nsj_error_set(err, e, "transcript relay: thread");
    }
    *out = r;
    return 0;
}

void relay_finish(relay_t *r, char **transcript, size_t *len, int *truncated)
{
    pthread_join(r->thread, NULL);
    *transcript = r->transcript;
    *len = r->len;
    *truncated = r->truncated;
    free(r);
}
