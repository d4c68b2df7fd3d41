/* Listings (listing.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "api/listing.h"
#include "core/status.h"
#include "queue/message.h"

/* The cursor is "<created_us>.<id>" in URL-safe base64 without padding:
 * opaque to clients, who must only hand it back. */
static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void api_cursor_encode(int64_t created_us, const char *id, char *out, size_t cap)
{
    char raw[80];
    int n = snprintf(raw, sizeof raw, "%" PRId64 ".%s", created_us, id);
    size_t o = 0;
    for (int i = 0; i < n && o + 5 < cap; i += 3) {
        unsigned v = (unsigned char)raw[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)raw[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)raw[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = b64[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = b64[v & 63];
    }
    out[o] = '\0';
}

int api_cursor_decode(const char *cursor, int64_t *created_us, char id[STORE_UUID_LEN + 1])
{
    size_t len = strlen(cursor);
    if (len == 0 || len > API_CURSOR_MAX || len % 4 == 1)
        return -1;
    char raw[80];
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        const char *p = strchr(b64, cursor[i]);
        if (!p || !cursor[i])
            return -1;
        acc = (acc << 6) | (unsigned)(p - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o + 1 >= sizeof raw)
                return -1;
            raw[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    raw[o] = '\0';
    char *dot = strchr(raw, '.'), *end;
    if (!dot || strlen(dot + 1) != STORE_UUID_LEN || !queue_uuid_valid(dot + 1))
        return -1;
    errno = 0;
    long long us = strtoll(raw, &end, 10);
    if (errno || end != dot || end == raw || us < 0)
        return -1;
    *created_us = us;
    memcpy(id, dot + 1, STORE_UUID_LEN + 1);
    return 0;
}

int api_parse_listing(bool submissions, const api_query_arg_t *args, size_t n, store_list_query_t *q, api_error_t *e)
{
    memset(q, 0, sizeof *q);
    q->limit = API_LIST_LIMIT_DEFAULT;
    bool seen[4] = {false};
    static const char *const names[] = {"limit", "cursor", "question_id", "status"};
    size_t known = submissions ? 4 : 2;
    for (size_t i = 0; i < n; i++) {
        const char *name = args[i].name, *v = args[i].value ? args[i].value : "";
        size_t k = 0;
        while (k < known && strcmp(name, names[k]) != 0)
            k++;
        if (k == known)
            return api_reject(e, 400, "unknown query parameter '%.60s' (allowed: %s)", name,
                              submissions ? "question_id, status, limit, cursor" : "limit, cursor");
        if (seen[k])
            return api_reject(e, 400, "query parameter '%s' given twice", name);
        seen[k] = true;
        if (k == 0) {
            char *end;
            errno = 0;
            long l = strtol(v, &end, 10);
            if (errno || end == v || *end || l < 1 || l > API_LIST_LIMIT_MAX)
                return api_reject(e, 400, "limit must be an integer from 1 to %d, not '%.30s'", API_LIST_LIMIT_MAX, v);
            q->limit = (int)l;
        } else if (k == 1) {
            if (api_cursor_decode(v, &q->after_created_us, q->after_id) < 0)
                return api_reject(e, 400, "cursor '%.60s' is not one this API gave (pass next_cursor back as it is)",
                                  v);
            q->after = true;
        } else if (k == 2) {
            if (!queue_uuid_valid(v))
                return api_reject(e, 400, "question_id must be a UUID, not '%.60s'", v);
            for (size_t j = 0; j <= STORE_UUID_LEN; j++)
                q->question_id[j] = (char)(v[j] >= 'A' && v[j] <= 'F' ? v[j] - 'A' + 'a' : v[j]);
        } else {
            core_status_t st;
            if (core_status_from_name(v, &st) < 0)
                return api_reject(e, 400, "status '%.40s' is not a status (queued, running, passed, failed, ...)", v);
            snprintf(q->status, sizeof q->status, "%s", core_status_name(st));
        }
    }
    return 0;
}

/* ---- the routes ---- */

#define QUERY_ARGS_MAX 16

typedef struct query_args {
    api_query_arg_t a[QUERY_ARGS_MAX];
    size_t n;
    bool overflow;
} query_args_t;

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    query_args_t *q = cls;
    if (q->n == QUERY_ARGS_MAX) {
        q->overflow = true;
        return MHD_NO;
    }
    q->a[q->n++] = (api_query_arg_t){key, value};
    return MHD_YES;
}

static json_t *str_or_null(const char *s)
{
    return s[0] ? json_string(s) : json_null();
}

static json_t *render_row(const store_list_row_t *row, bool submissions)
{
    if (!submissions)
        return json_pack("{s:s, s:s, s:i, s:s}", "id", row->id, "title", row->title ? row->title : "", "version",
                         row->version, "created_at", row->created_at);
    return json_pack("{s:s, s:o, s:s, s:s, s:o, s:I, s:s, s:o}", "id", row->id, "question_id",
                     str_or_null(row->question_id), "language", row->language, "status", row->status,
                     "score_awarded", row->score < 0 ? json_null() : json_integer((json_int_t)row->score),
                     "max_score", (json_int_t)row->max_score, "created_at", row->created_at, "finished_at",
                     str_or_null(row->finished_at));
}

enum MHD_Result api_listing_answer(api_server_t *s, struct MHD_Connection *c, struct request *r, const char *owner_key_id)
{
    bool submissions = r->route == API_ROUTE_SUBMISSIONS;
    query_args_t args = {0};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect, &args);
    if (args.overflow)
        return api_send_json(c, MHD_HTTP_BAD_REQUEST, api_error_json("too many query parameters"), NULL, NULL);
    store_list_query_t q;
    api_error_t e;
    if (api_parse_listing(submissions, args.a, args.n, &q, &e) < 0)
        return api_send_json(c, e.status, api_error_json("%s", e.msg), NULL, NULL);
    q.owner_key_id = owner_key_id;
    store_t *db;
    size_t slot;
    nsj_error_t err;
    if (api_db_take(s, &db, &slot, &err) < 0)
        return api_send_db_unavailable(c, &err);
    store_list_row_t *rows;
    size_t n;
    bool more;
    int rc = submissions ? store_submissions_list(db, &q, &rows, &n, &more, &err)
                         : store_questions_list(db, &q, &rows, &n, &more, &err);
    api_db_give(s, slot);
    if (rc < 0)
        return api_send_store_error(c, "listing", &err);
    json_t *items = json_array();
    for (size_t i = 0; items && i < n; i++)
        json_array_append_new(items, render_row(&rows[i], submissions));
    json_t *next = json_null();
    if (more && n) {
        char cur[API_CURSOR_MAX + 8];
        api_cursor_encode(rows[n - 1].created_us, rows[n - 1].id, cur, sizeof cur);
        next = json_string(cur);
    }
    store_list_free(rows, n);
    json_t *o = json_pack("{s:o, s:o}", "items", items ? items : json_array(), "next_cursor", next);
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return api_send_json(c, MHD_HTTP_OK, body, NULL, NULL);
}
