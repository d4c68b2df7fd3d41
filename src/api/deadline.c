/* A deadline for a whole request (issue #13). libmicrohttpd's connection
 * timeout counts only silence: a client that trickles one header line every
 * few seconds holds its connection (and, here, its thread) for as long as
 * it likes. Every connection is recorded when it opens
 * (MHD_OPTION_NOTIFY_CONNECTION); while its request is still arriving
 * (headers and body) a timer thread checks its age, and past
 * REQUEST_DEADLINE shuts the socket down (shutdown(2): libmicrohttpd's
 * thread sees the end and closes it). Once the request is complete the
 * connection is busy answering (an event stream may last minutes) and is
 * left alone; when the answer is done the next request's clock starts.
 *
 * libmicrohttpd reports a connection closed before it closes the socket,
 * and the record is removed then under the same lock the timer holds while
 * it calls shutdown(): the timer never touches a descriptor number that was
 * closed and reused. */
#define _GNU_SOURCE
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "api/internal.h"
#include "common/util.h"
#include "service/service.h"

typedef struct conn_rec {
    struct conn_rec *prev, *next;
    int fd;
    uint64_t since_ms;           /* when the request now arriving began */
    bool busy;                   /* complete: being answered */
    bool cut;                    /* shut down by the timer */
} conn_rec_t;

struct api_deadlines {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    conn_rec_t head;             /* circular list */
    uint64_t limit_ms;
    bool stop;
    pthread_t timer;
    unsigned long cut;           /* connections shut down so far */
};

static uint64_t now_ms(void)
{
    return util_now_ns() / 1000000ULL;
}

static void *timer_main(void *arg)
{
    api_deadlines_t *d = arg;
    pthread_mutex_lock(&d->mu);
    while (!d->stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += 250 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&d->cv, &d->mu, &until);
        uint64_t now = now_ms();
        unsigned long n = 0;
        for (conn_rec_t *c = d->head.next; c != &d->head; c = c->next) {
            if (!c->busy && !c->cut && now - c->since_ms > d->limit_ms) {
                shutdown(c->fd, SHUT_RDWR);
                c->cut = true;
                n++;
            }
        }
        if (n) {
            d->cut += n;
            service_log("closed %lu connections whose request took over %llu ms (REQUEST_DEADLINE); %lu so far", n,
                        (unsigned long long)d->limit_ms, d->cut);
        }
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

int api_deadlines_start(uint64_t limit_ms, api_deadlines_t **out)
{
    *out = NULL;
    if (!limit_ms)
        return 0;
    api_deadlines_t *d = calloc(1, sizeof *d);
    if (!d)
        return -1;
    pthread_mutex_init(&d->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&d->cv, &ca);
    pthread_condattr_destroy(&ca);
    d->head.next = d->head.prev = &d->head;
    d->limit_ms = limit_ms;
    if (pthread_create(&d->timer, NULL, timer_main, d) != 0) {
        pthread_cond_destroy(&d->cv);
        pthread_mutex_destroy(&d->mu);
        free(d);
        return -1;
    }
    *out = d;
    return 0;
}

void api_deadlines_stop(api_deadlines_t *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    d->stop = true;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->timer, NULL);
    /* The daemon is stopped: every connection was reported closed. */
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    free(d);
}

void api_deadlines_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    api_deadlines_t *d = ((api_server_t *)cls)->deadlines;
    if (!d)
        return;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        conn_rec_t *r = ci ? calloc(1, sizeof *r) : NULL;
        if (!r)
            return; /* not watched: only the idle timeout applies */
        r->fd = ci->connect_fd;
        r->since_ms = now_ms();
        pthread_mutex_lock(&d->mu);
        r->next = d->head.next;
        r->prev = &d->head;
        d->head.next->prev = r;
        d->head.next = r;
        pthread_mutex_unlock(&d->mu);
        *socket_context = r;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        conn_rec_t *r = *socket_context;
        pthread_mutex_lock(&d->mu);
        r->prev->next = r->next;
        r->next->prev = r->prev;
        pthread_mutex_unlock(&d->mu);
        free(r);
        *socket_context = NULL;
    }
}

void api_deadlines_busy(api_server_t *s, struct MHD_Connection *c, bool busy)
{
    api_deadlines_t *d = s->deadlines;
    if (!d)
        return;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    conn_rec_t *r = ci ? ci->socket_context : NULL;
    if (!r)
        return;
    pthread_mutex_lock(&d->mu);
    r->busy = busy;
    r->since_ms = now_ms();
    pthread_mutex_unlock(&d->mu);
}
