/* POST /submissions?wait=N (wait.h).
 *
 * The wait follows the submission's events stream (codesce:events:<id>,
 * the one GET /submissions/{id}/events reads) with XREAD BLOCK on a Redis
 * connection of its own, until a final status event comes or the time is
 * up; it holds the request's connection (a thread per connection, like
 * every long-lived answer here), never a worker. Publishing events is best
 * effort, so Postgres is asked every POLL_MS too, and is the only source
 * while Redis is away. The answer is then read from Postgres: a final
 * status event is published only after the results are committed. */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/render.h"
#include "api/wait.h"
#include "common/util.h"
#include "core/status.h"
#include "queue/live.h"

#define BLOCK_MS 1000            /* XREAD wait: how soon a stop is noticed */
#define POLL_MS 2000             /* Postgres asked this often */

static uint64_t now_ms(void)
{
    return util_now_ns() / 1000000ULL;
}

unsigned api_wait_check(api_server_t *s, struct MHD_Connection *c, request_t *r)
{
    r->wait_s = 0;
    const char *v = NULL;
    size_t vlen = 0;
    if (MHD_lookup_connection_value_n(c, MHD_GET_ARGUMENT_KIND, "wait", strlen("wait"), &v, &vlen) != MHD_YES)
        return 0;
    unsigned long max = (unsigned long)(s->cfg.wait_max_ms / 1000);
    char *end = NULL;
    errno = 0;
    unsigned long n = v && *v >= '0' && *v <= '9' ? strtoul(v, &end, 10) : 0;
    if (!v || errno || !end || *end || n > max) {
        r->early_body = api_error_json("wait must be a whole number of seconds from 0 to %lu (WAIT_MAX), not '%.40s'",
                                       max, v ? v : "");
        return MHD_HTTP_BAD_REQUEST;
    }
    r->wait_s = (unsigned)n;
    return 0;
}

/* Is the submission final in Postgres? 1 yes, 0 no, <0 unknown. */
static int final_in_db(api_server_t *s, const char *id)
{
    store_t *db;
    size_t slot;
    nsj_error_t err;
    if (api_db_take(s, &db, &slot, &err) < 0)
        return -1;
    core_status_t st;
    int rc = store_submission_status(db, id, &st, &err);
    api_db_give(s, slot);
    return rc < 0 ? -1 : core_status_final(st);
}

/* Did these events bring a final status? */
static bool final_event(const live_entry_t *e, size_t n)
{
    bool final = false;
    for (size_t i = 0; i < n && !final; i++) {
        if (strcmp(e[i].type, "status") != 0)
            continue;
        json_t *j = json_loadb(e[i].data, e[i].len, 0, NULL);
        final = core_status_name_final(json_string_value(json_object_get(j, "status")));
        json_decref(j);
    }
    return final;
}

int api_wait_final(api_server_t *s, const char *id, unsigned wait_s, char **body)
{
    *body = NULL;
    uint64_t deadline = now_ms() + (uint64_t)wait_s * 1000, next_poll = now_ms() + POLL_MS;
    char key[LIVE_KEY_MAX], after[LIVE_ID_MAX] = "0";
    live_events_key(id, key);
    queue_conn_t *q = NULL;
    nsj_error_t err;
    bool final = false;
    api_live_enter(s);
    while (!final && !atomic_load(&s->stopping)) {
        uint64_t now = now_ms();
        if (now >= deadline)
            break;
        uint64_t left = deadline - now;
        int block = (int)(left < BLOCK_MS ? left : BLOCK_MS);
        if (!q || queue_broken(q)) {
            queue_close(q);
            q = NULL;
            if (queue_connect(&s->redis, BLOCK_MS + 5000, &q, &err) < 0) {
                q = NULL;
                struct timespec ts = {.tv_sec = block / 1000, .tv_nsec = (long)(block % 1000) * 1000000L};
                nanosleep(&ts, NULL);
            }
        }
        if (q) {
            live_entry_t *e = NULL;
            size_t n = 0;
            if (live_read(q, key, after, block, 64, &e, &n, &err) == 0) {
                final = final_event(e, n);
                if (n)
                    snprintf(after, sizeof after, "%s", e[n - 1].id);
                live_entries_free(e, n);
            }
        }
        if (!final && now_ms() >= next_poll) {
            final = final_in_db(s, id) == 1;
            next_poll = now_ms() + POLL_MS;
        }
    }
    queue_close(q);
    api_live_leave(s);
    if (!final)
        return 0;
    store_t *db;
    size_t slot;
    if (api_db_take(s, &db, &slot, &err) < 0)
        return 0;
    core_submission_t sub;
    int rc = store_submission_get(db, id, &sub, &err);
    api_db_give(s, slot);
    if (rc < 0)
        return 0;
    *body = api_render_submission(&sub);
    core_submission_free(&sub);
    return *body ? 1 : 0;
}
