/* Token reserves (api/reserve.h): a small table of clients, each slot one
 * client's reserve and its demand, behind one lock. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/reserve.h"
#include "common/util.h"

#define RESERVE_SLOTS 256
#define NAME_MAX_LEN 448

typedef struct reserve_entry {
    char name[NAME_MAX_LEN];     /* "" = free */
    unsigned tokens;             /* spendable until until_ms */
    uint64_t until_ms;
    uint64_t window_start_ms;    /* the client's demand: requests in this window, */
    unsigned window_count;
    unsigned last_count;         /*   and in the one before it */
    uint64_t refused_until_ms;   /* Redis said no token before then */
    size_t refused_which;        /*   for this bucket */
} reserve_entry_t;

struct api_reserve {
    pthread_mutex_t mu;
    reserve_entry_t slots[RESERVE_SLOTS];
};

api_reserve_t *api_reserve_new(void)
{
    api_reserve_t *r = calloc(1, sizeof *r);
    if (r)
        pthread_mutex_init(&r->mu, NULL);
    return r;
}

void api_reserve_free(api_reserve_t *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->mu);
    free(r);
}

unsigned api_reserve_cap(double rate)
{
    double n = rate * API_RESERVE_WINDOW_MS / 1000.0;
    if (!(n >= 1))
        return 1;
    return n >= API_RESERVE_BATCH_MAX ? API_RESERVE_BATCH_MAX : (unsigned)n;
}

/* The name's slot, taken over (its reserve and demand forgotten) when
 * another client had it: that client's unspent tokens are lost, at most
 * a batch. A name too long for a slot gets none (NULL). */
static reserve_entry_t *slot_of(api_reserve_t *r, const char *name)
{
    size_t len = strlen(name);
    if (len >= NAME_MAX_LEN)
        return NULL;
    reserve_entry_t *e = &r->slots[util_fnv1a(UTIL_FNV1A_BASIS, name, len) % RESERVE_SLOTS];
    if (strcmp(e->name, name) != 0) {
        memset(e, 0, sizeof *e);
        memcpy(e->name, name, len + 1);
    }
    return e;
}

api_reserve_outcome_t api_reserve_take(api_reserve_t *r, const char *name, unsigned cap, uint64_t now_ms,
                                       unsigned *want, uint64_t *retry_ms, size_t *which)
{
    *want = 1;
    *retry_ms = 0;
    *which = 0;
    pthread_mutex_lock(&r->mu);
    reserve_entry_t *e = slot_of(r, name);
    if (!e) {
        pthread_mutex_unlock(&r->mu);
        return API_RESERVE_ASK;
    }
    if (now_ms - e->window_start_ms >= API_RESERVE_WINDOW_MS) {
        e->last_count = now_ms - e->window_start_ms < 2 * API_RESERVE_WINDOW_MS ? e->window_count : 0;
        e->window_start_ms = now_ms;
        e->window_count = 0;
    }
    e->window_count++;
    if (now_ms >= e->until_ms)
        e->tokens = 0; /* the batch's window is over: the rest is not spent */
    api_reserve_outcome_t out = API_RESERVE_ASK;
    if (e->tokens) {
        e->tokens--;
        out = API_RESERVE_SPENT;
    } else if (now_ms < e->refused_until_ms) {
        *retry_ms = e->refused_until_ms - now_ms;
        *which = e->refused_which;
        out = API_RESERVE_REFUSED;
    } else {
        unsigned d = e->last_count > e->window_count ? e->last_count : e->window_count;
        *want = d > cap ? cap : d;
    }
    pthread_mutex_unlock(&r->mu);
    return out;
}

void api_reserve_put(api_reserve_t *r, const char *name, unsigned got, uint64_t now_ms)
{
    if (got <= 1)
        return;
    pthread_mutex_lock(&r->mu);
    reserve_entry_t *e = slot_of(r, name);
    if (e) {
        if (now_ms >= e->until_ms)
            e->tokens = 0;
        e->tokens += got - 1;
        e->until_ms = now_ms + API_RESERVE_WINDOW_MS;
    }
    pthread_mutex_unlock(&r->mu);
}

void api_reserve_refused(api_reserve_t *r, const char *name, uint64_t retry_ms, size_t which, uint64_t now_ms)
{
    pthread_mutex_lock(&r->mu);
    reserve_entry_t *e = slot_of(r, name);
    if (e) {
        e->refused_until_ms = now_ms + retry_ms;
        e->refused_which = which;
    }
    pthread_mutex_unlock(&r->mu);
}
