/* API keys, scopes and per-key limits (issue #13).
 *
 * A request's principal is decided from its headers, before any body is
 * read: "Authorization: Bearer KEY" names a key (looked up by the SHA-256
 * of the secret, kept a few seconds in a small cache so that a busy key
 * costs no query per request), none means anonymous with ANONYMOUS_SCOPES.
 * Missing or unknown key -> 401, a key without the route's scope -> 403.
 * Browsers cannot set headers on EventSource or WebSocket requests: those
 * two routes also take the key as ?access_token= (RFC 6750 2.3).
 *
 * Then the limits, shared by every API host through Redis
 * (queue/ratelimit.c): requests a second and submissions a minute (token
 * buckets), submissions queued or running at once (Postgres counts them,
 * at most once a second per key and process),
 * sessions and long-lived streams at once (lease sets; streams are capped
 * per key and per client address). Over a limit -> 429 with Retry-After.
 * When Redis is unavailable the limits are not applied (logged): a Redis
 * outage must not stop the API.
 *
 * A submission or session belongs to its key: a key without admin sees
 * only its own (another key's is "not found"), anonymous requests see the
 * anonymous ones. */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "api/auth.h"
#include "api/internal.h"
#include "api/reserve.h"
#include "common/hash.h"
#include "common/util.h"
#include "queue/ratelimit.h"
#include "service/service.h"
#include "store/store.h"

/* A key's principal is kept this long: a revoked key stops working on
 * other API hosts within it (at once on the host that revoked it). */
#define CACHE_MS 5000
#define CACHE_SLOTS 256
/* MAX_QUEUED is checked against a key's count of unfinished submissions
 * read at most this long ago (plus what this process accepted since): a
 * count per submission would cost more than everything else here. */
#define QUEUED_MS 1000
#define QUEUED_SLOTS 64
/* Places held by a session and a stream at most (a holder that died frees
 * its place then); a session's WebSocket gives its place back at its end. */
#define SESSION_LEASE_MS (180 * 1000)
#define STREAM_LEASE_MS (30 * 60 * 1000)

/* ---- pure parts ---- */

api_keys_route_t api_keys_route_match(const char *path, char id[37])
{
    if (strcmp(path, "/keys") == 0)
        return API_KEYS_ALL;
    static const char cbs[] = "/callback-secret";
    size_t rest = strncmp(path, "/keys/", 6) == 0 ? strlen(path + 6) : 0;
    bool cb = rest == 36 + sizeof cbs - 1 && strcmp(path + 6 + 36, cbs) == 0;
    if (rest == 36 || cb) {
        const char *p = path + 6;
        for (int i = 0; i < 36; i++) {
            bool dash = i == 8 || i == 13 || i == 18 || i == 23;
            if (dash ? p[i] != '-' : !strchr("0123456789abcdefABCDEF", p[i]))
                return API_KEYS_NONE;
        }
        memcpy(id, p, 36);
        id[36] = '\0';
        return cb ? API_KEYS_CALLBACK_SECRET : API_KEYS_ONE;
    }
    return API_KEYS_NONE;
}

const char *api_keys_route_allow(api_keys_route_t r)
{
    return r == API_KEYS_ALL ? "GET, POST" : r == API_KEYS_ONE ? "DELETE" : r == API_KEYS_CALLBACK_SECRET ? "POST" : "";
}

bool api_keys_route_allows(api_keys_route_t r, const char *method)
{
    if (r == API_KEYS_ALL)
        return strcmp(method, "GET") == 0 || strcmp(method, "POST") == 0;
    if (r == API_KEYS_CALLBACK_SECRET)
        return strcmp(method, "POST") == 0;
    return r == API_KEYS_ONE && strcmp(method, "DELETE") == 0;
}

unsigned api_auth_required(api_route_t route, api_live_route_t live, api_keys_route_t keys, const char *method)
{
    if (keys != API_KEYS_NONE)
        return CORE_SCOPE_ADMIN;
    bool post = strcmp(method, "POST") == 0;
    switch (route) {
    case API_ROUTE_SUBMISSIONS: return post ? CORE_SCOPE_SUBMIT : CORE_SCOPE_READ; /* GET: the listing */
    case API_ROUTE_SUBMISSION:
    case API_ROUTE_TEST_STDOUT:
    case API_ROUTE_QUESTION: return CORE_SCOPE_READ;
    case API_ROUTE_QUESTIONS: return post ? CORE_SCOPE_ADMIN : CORE_SCOPE_READ;
    case API_ROUTE_QUESTION_TESTS:
    case API_ROUTE_TEST_INPUT:
    case API_ROUTE_TEST_ANSWER: return CORE_SCOPE_ADMIN;
    case API_ROUTE_LANGUAGES:
    case API_ROUTE_HEALTHZ:
    case API_ROUTE_METRICS:
    case API_ROUTE_OPENAPI: return 0;
    case API_ROUTE_NONE: break;
    }
    switch (live) {
    case API_LIVE_EVENTS: return CORE_SCOPE_READ;
    case API_LIVE_SESSIONS:
    case API_LIVE_SESSION: return CORE_SCOPE_SUBMIT;
    case API_LIVE_STATIC:
    case API_LIVE_NONE: break;
    }
    return 0;
}

bool api_auth_allows(unsigned scopes, unsigned need)
{
    return !need || (scopes & need) || (scopes & CORE_SCOPE_ADMIN);
}

int api_auth_bearer(const char *header, char *out, size_t cap)
{
    if (!header)
        return 0;
    if (strncasecmp(header, "Bearer ", 7) != 0)
        return -1;
    const char *p = header + 7;
    while (*p == ' ')
        p++;
    size_t n = strcspn(p, " \t");
    if (n == 0 || n >= cap || p[n + strspn(p + n, " \t")] != '\0')
        return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 1;
}

int api_key_generate(char secret[API_KEY_SECRET_LEN + 1], char sha256[65], char prefix[API_KEY_PREFIX_LEN + 1])
{
    unsigned char raw[24];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return -1;
    static const char digits[] = "0123456789abcdef";
    memcpy(secret, "nsj_", 4);
    for (size_t i = 0; i < sizeof raw; i++) {
        secret[4 + 2 * i] = digits[raw[i] >> 4];
        secret[5 + 2 * i] = digits[raw[i] & 15];
    }
    secret[API_KEY_SECRET_LEN] = '\0';
    snprintf(prefix, API_KEY_PREFIX_LEN + 1, "%s", secret);
    return hash_sha256_hex(secret, API_KEY_SECRET_LEN, sha256);
}

int api_parse_key_request(const char *body, size_t len, char name[201], unsigned *scopes, api_error_t *e)
{
    json_error_t jerr;
    if (!body || !len)
        return api_reject(e, 400, "the body is empty: expected {\"name\", \"scopes\"}");
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return api_reject(e, 400, "invalid JSON at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
    int rc = -1;
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        if (strcmp(k, "name") != 0 && strcmp(k, "scopes") != 0) {
            api_reject(e, 400, "unknown field '%.64s'", k);
            goto out;
        }
    }
    const json_t *n = json_object_get(root, "name"), *sc = json_object_get(root, "scopes");
    if (!json_is_string(n) || json_string_length(n) < 1 || json_string_length(n) > 200) {
        api_reject(e, 400, n ? "field 'name' must be a string of 1 to 200 bytes" : "missing field 'name'");
        goto out;
    }
    char text[256] = "", why[160];
    if (json_is_string(sc)) {
        snprintf(text, sizeof text, "%s", json_string_value(sc));
    } else if (json_is_array(sc)) {
        size_t i, used = 0;
        json_array_foreach(sc, i, v) {
            if (!json_is_string(v) || json_string_length(v) > 32) {
                api_reject(e, 400, "field 'scopes' must list scope names (submit, read, admin)");
                goto out;
            }
            used += (size_t)snprintf(text + used, sizeof text - used, "%s%s", i ? "," : "", json_string_value(v));
            if (used >= sizeof text)
                break;
        }
    } else {
        api_reject(e, 400, sc ? "field 'scopes' must be a list of scope names" : "missing field 'scopes'");
        goto out;
    }
    if (core_scopes_parse(text, scopes, why, sizeof why) < 0) {
        api_reject(e, 400, "%s", why);
        goto out;
    }
    if (!*scopes) {
        api_reject(e, 400, "a key needs at least one scope (submit, read, admin)");
        goto out;
    }
    snprintf(name, 201, "%s", json_string_value(n));
    rc = 0;
out:
    json_decref(root);
    return rc;
}

/* ---- the key cache ---- */

typedef struct cache_entry {
    char sha[65];
    char key_id[37];
    unsigned scopes;
    uint64_t until_ms;
} cache_entry_t;

typedef struct queued_entry {
    char key_id[37];             /* "" = the anonymous submissions */
    bool used;
    long count;
    uint64_t at_ms;
} queued_entry_t;

struct api_auth {
    pthread_mutex_t mu;
    _Atomic uint64_t limits_off_until_ms; /* Redis failed: the limits rest until then */
    api_reserve_t *reserve;               /* busy clients' tokens, taken in batches (api/reserve.h) */
    cache_entry_t slots[CACHE_SLOTS];
    queued_entry_t queued[QUEUED_SLOTS];
};

static uint64_t now_ms(void)
{
    return util_now_ns() / 1000000ULL;
}

api_auth_t *api_auth_new(void)
{
    api_auth_t *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    if (!(a->reserve = api_reserve_new())) {
        free(a);
        return NULL;
    }
    pthread_mutex_init(&a->mu, NULL);
    return a;
}

void api_auth_free(api_auth_t *a)
{
    if (!a)
        return;
    api_reserve_free(a->reserve);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

static cache_entry_t *slot_of(api_auth_t *a, const char *sha)
{
    return &a->slots[strtoul((char[9]){sha[0], sha[1], sha[2], sha[3], sha[4], sha[5], sha[6], sha[7], 0}, NULL,
                             16) % CACHE_SLOTS];
}

static bool cache_get(api_auth_t *a, const char *sha, auth_principal_t *p)
{
    pthread_mutex_lock(&a->mu);
    cache_entry_t *e = slot_of(a, sha);
    bool hit = strcmp(e->sha, sha) == 0 && e->until_ms > now_ms();
    if (hit) {
        memcpy(p->key_id, e->key_id, sizeof p->key_id);
        p->scopes = e->scopes;
    }
    pthread_mutex_unlock(&a->mu);
    return hit;
}

static void cache_put(api_auth_t *a, const char *sha, const auth_principal_t *p)
{
    pthread_mutex_lock(&a->mu);
    cache_entry_t *e = slot_of(a, sha);
    memcpy(e->sha, sha, sizeof e->sha);
    memcpy(e->key_id, p->key_id, sizeof e->key_id);
    e->scopes = p->scopes;
    e->until_ms = now_ms() + CACHE_MS;
    pthread_mutex_unlock(&a->mu);
}

static queued_entry_t *queued_slot(api_auth_t *a, const char *key_id)
{
    return &a->queued[util_fnv1a(UTIL_FNV1A_BASIS, key_id, strlen(key_id)) % QUEUED_SLOTS];
}

/* The key's unfinished submissions as last counted, plus one for the
 * submission about to be made; false when there is no fresh count. */
static bool queued_take(api_auth_t *a, const char *key_id, long *n)
{
    pthread_mutex_lock(&a->mu);
    queued_entry_t *e = queued_slot(a, key_id);
    bool fresh = e->used && strcmp(e->key_id, key_id) == 0 && now_ms() - e->at_ms < QUEUED_MS;
    if (fresh)
        *n = e->count++;
    pthread_mutex_unlock(&a->mu);
    return fresh;
}

static void queued_put(api_auth_t *a, const char *key_id, long n)
{
    pthread_mutex_lock(&a->mu);
    queued_entry_t *e = queued_slot(a, key_id);
    snprintf(e->key_id, sizeof e->key_id, "%s", key_id);
    e->used = true;
    e->count = n + 1;
    e->at_ms = now_ms();
    pthread_mutex_unlock(&a->mu);
}

static void cache_forget(api_auth_t *a, const char *key_id)
{
    pthread_mutex_lock(&a->mu);
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        if (strcmp(a->slots[i].key_id, key_id) == 0)
            a->slots[i].sha[0] = '\0';
    pthread_mutex_unlock(&a->mu);
}

/* ---- the checks ---- */

static void client_address(struct MHD_Connection *c, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, cap, "unknown");
    if (ci && ci->client_addr) {
        socklen_t len = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                               : sizeof(struct sockaddr_in);
        getnameinfo(ci->client_addr, len, out, (socklen_t)cap, NULL, 0, NI_NUMERICHOST);
    }
}

/* Who the limits count: the key, else the address. */
static void identity(const auth_principal_t *p, char *out, size_t cap)
{
    if (p->key_id[0])
        snprintf(out, cap, "k:%s", p->key_id);
    else
        snprintf(out, cap, "a:%s", p->client);
}

static unsigned deny(request_t *r, unsigned status, const char *msg)
{
    r->early_body = api_error_json("%s", msg);
    if (status == MHD_HTTP_UNAUTHORIZED) {
        r->early_hname = MHD_HTTP_HEADER_WWW_AUTHENTICATE;
        r->early_hvalue = "Bearer realm=\"nsjudge\"";
    }
    return status;
}

static unsigned too_many(request_t *r, uint64_t retry_ms, const char *fmt, unsigned long long limit)
    __attribute__((format(printf, 3, 0)));
static unsigned too_many(request_t *r, uint64_t retry_ms, const char *fmt, unsigned long long limit)
{
    uint64_t secs = (retry_ms + 999) / 1000;
    if (!secs)
        secs = 1;
    snprintf(r->retry_after, sizeof r->retry_after, "%llu", (unsigned long long)secs);
    char msg[256];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(msg, sizeof msg, fmt, limit);
#pragma GCC diagnostic pop
    r->early_body = api_error_json("%s; retry after %llu s", msg, (unsigned long long)secs);
    r->early_hname = MHD_HTTP_HEADER_RETRY_AFTER;
    r->early_hvalue = r->retry_after;
    return MHD_HTTP_TOO_MANY_REQUESTS;
}

static unsigned resolve(api_server_t *s, struct MHD_Connection *c, request_t *r, unsigned need)
{
    auth_principal_t *p = &r->who;
    client_address(c, p->client, sizeof p->client);
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    char secret[128];
    int got = api_auth_bearer(h, secret, sizeof secret);
    if (got == 0 && (r->live == API_LIVE_EVENTS || r->live == API_LIVE_SESSION)) {
        const char *t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "access_token");
        if (t && strlen(t) < sizeof secret) {
            snprintf(secret, sizeof secret, "%s", t);
            got = 1;
        }
    }
    if (got < 0)
        return deny(r, MHD_HTTP_UNAUTHORIZED, "the Authorization header must be 'Bearer KEY'");
    if (got == 0) {
        p->key_id[0] = '\0';
        p->scopes = s->cfg.anonymous_scopes;
        if (api_auth_allows(p->scopes, need))
            return 0;
        return deny(r, MHD_HTTP_UNAUTHORIZED,
                    "an API key is needed here: send 'Authorization: Bearer KEY' (keys: nsjudge-admin key create)");
    }
    char sha[65];
    if (hash_sha256_hex(secret, strlen(secret), sha) < 0)
        return deny(r, MHD_HTTP_SERVICE_UNAVAILABLE, "hashing the key failed");
    if (!cache_get(s->auth, sha, p)) {
        store_t *db;
        size_t slot;
        nsj_error_t err;
        if (api_db_take(s, &db, &slot, &err) < 0) {
            r->early_body = api_error_json("database unavailable: %s", err.msg);
            return MHD_HTTP_SERVICE_UNAVAILABLE;
        }
        store_key_t k;
        int rc = store_key_find(db, sha, &k, &err);
        api_db_give(s, slot);
        if (rc < 0 && err.errnum == ENOENT)
            return deny(r, MHD_HTTP_UNAUTHORIZED, "unknown or revoked API key");
        if (rc < 0) {
            r->early_body = api_error_json("database unavailable: %s", err.msg);
            return MHD_HTTP_SERVICE_UNAVAILABLE;
        }
        char why[160];
        memcpy(p->key_id, k.id, sizeof p->key_id);
        if (core_scopes_parse(k.scopes, &p->scopes, why, sizeof why) < 0)
            p->scopes = 0; /* written by this program: cannot happen */
        cache_put(s->auth, sha, p);
    }
    if (!api_auth_allows(p->scopes, need)) {
        char have[CORE_SCOPES_TEXT_MAX], want[CORE_SCOPES_TEXT_MAX], msg[256];
        core_scopes_format(p->scopes, have);
        core_scopes_format(need, want);
        snprintf(msg, sizeof msg, "this key's scopes (%s) do not include '%s'", have[0] ? have : "none", want);
        return deny(r, MHD_HTTP_FORBIDDEN, msg);
    }
    return 0;
}

/* A limit's Redis connection; Redis unavailable: the limits are not
 * applied (logged), and not tried again for a second, so that requests do
 * not each wait for a connection that fails. */
static int limit_redis(api_server_t *s, queue_conn_t **q, size_t *slot)
{
    nsj_error_t err;
    if (now_ms() < atomic_load(&s->auth->limits_off_until_ms))
        return -1;
    if (api_redis_take(s, q, slot, &err) < 0) {
        atomic_store(&s->auth->limits_off_until_ms, now_ms() + 1000);
        service_log("rate limits not applied for a second (redis unavailable): %s", err.msg);
        return -1;
    }
    return 0;
}

/* Take a token from each bucket (all or none): true when refused, with
 * *retry_ms and *which (the first bucket without a token). From this
 * process's reserve for the client when it has one, else from Redis, a
 * batch at a time for a busy client; refused here while Redis said it has
 * none (api/reserve.h). */
static bool limit_buckets(api_server_t *s, const queue_bucket_t *b, size_t n, uint64_t *retry_ms, size_t *which)
{
    *retry_ms = 0;
    if (!n)
        return false;
    /* The reserve's name: the client's buckets, which name the client. */
    char name[QUEUE_BUCKETS_MAX * 201];
    size_t len = 0;
    double rate = b[0].rate;
    for (size_t i = 0; i < n && len < sizeof name; i++) {
        len += (size_t)snprintf(name + len, sizeof name - len, "%s%s", i ? " " : "", b[i].key);
        rate = b[i].rate < rate ? b[i].rate : rate;
    }
    unsigned want, got;
    switch (api_reserve_take(s->auth->reserve, name, api_reserve_cap(rate), now_ms(), &want, retry_ms, which)) {
    case API_RESERVE_SPENT:
        return false;
    case API_RESERVE_REFUSED:
        return true;
    case API_RESERVE_ASK:
        break;
    }
    queue_conn_t *q;
    size_t slot;
    if (limit_redis(s, &q, &slot) < 0)
        return false;
    nsj_error_t err;
    int rc = queue_rate_take(q, b, n, want, &got, retry_ms, which, &err);
    api_redis_give(s, slot);
    if (rc < 0)
        service_log("rate limits not applied: %s", err.msg);
    else if (*retry_ms == 0)
        api_reserve_put(s->auth->reserve, name, got, now_ms());
    else
        api_reserve_refused(s->auth->reserve, name, *retry_ms, *which, now_ms());
    return rc == 0 && *retry_ms > 0;
}

static bool lease_take(api_server_t *s, const char *set, const char *member, unsigned cap, uint64_t lease_ms)
{
    queue_conn_t *q;
    size_t slot;
    if (limit_redis(s, &q, &slot) < 0)
        return true;
    nsj_error_t err;
    bool held = true;
    if (queue_lease_take(q, set, member, cap, lease_ms, &held, &err) < 0) {
        service_log("limit %s not applied: %s", set, err.msg);
        held = true;
    }
    api_redis_give(s, slot);
    return held;
}

static void lease_give(api_server_t *s, const char *set, const char *member)
{
    queue_conn_t *q;
    size_t slot;
    nsj_error_t err;
    if (limit_redis(s, &q, &slot) < 0)
        return;
    if (queue_lease_give(q, set, member, &err) < 0)
        service_log("giving back a place of %s: %s", set, err.msg);
    api_redis_give(s, slot);
}

static unsigned limits(api_server_t *s, const char *method, request_t *r)
{
    const api_config_t *cfg = &s->cfg;
    char ident[128];
    identity(&r->who, ident, sizeof ident);
    if (r->route == API_ROUTE_HEALTHZ || r->route == API_ROUTE_METRICS ||
        (r->route == API_ROUTE_NONE && r->live == API_LIVE_STATIC))
        return 0;
    /* Requests a second and, for a submission, submissions a minute: one round trip. */
    bool submission = r->route == API_ROUTE_SUBMISSIONS && strcmp(method, "POST") == 0;
    char keys[2][200];
    queue_bucket_t b[2];
    size_t n = 0, which;
    uint64_t retry;
    if (cfg->rate_requests) {
        snprintf(keys[n], sizeof keys[n], "nsjudge:limit:requests:%s", ident);
        b[n] = (queue_bucket_t){keys[n], (double)cfg->rate_requests, 2.0 * (double)cfg->rate_requests};
        n++;
    }
    if (submission && cfg->rate_submissions) {
        snprintf(keys[n], sizeof keys[n], "nsjudge:limit:submissions:%s", ident);
        b[n] = (queue_bucket_t){keys[n], (double)cfg->rate_submissions / 60.0, (double)cfg->rate_submissions};
        n++;
    }
    if (limit_buckets(s, b, n, &retry, &which)) {
        if (b[which].key == keys[0] && cfg->rate_requests)
            return too_many(r, retry, "over %llu requests a second (RATE_REQUESTS)",
                            (unsigned long long)cfg->rate_requests);
        return too_many(r, retry, "over %llu submissions a minute (RATE_SUBMISSIONS)",
                        (unsigned long long)cfg->rate_submissions);
    }
    if (submission) {
        long queued = 0;
        if (cfg->max_queued && !queued_take(s->auth, r->who.key_id, &queued)) {
            store_t *db;
            size_t slot;
            nsj_error_t err;
            if (api_db_take(s, &db, &slot, &err) == 0) {
                if (store_owner_unfinished(db, r->who.key_id, &queued, &err) < 0)
                    queued = 0;
                api_db_give(s, slot);
            }
            queued_put(s->auth, r->who.key_id, queued);
        }
        if (cfg->max_queued && (uint64_t)queued >= cfg->max_queued)
            return too_many(r, 5000, "%llu submissions are queued or running already (MAX_QUEUED)",
                            (unsigned long long)cfg->max_queued);
    }
    bool stream = (r->route == API_ROUTE_NONE && (r->live == API_LIVE_EVENTS || r->live == API_LIVE_SESSION)) ||
                  (r->route == API_ROUTE_SUBMISSIONS && r->wait_s); /* POST /submissions?wait=N */
    if (stream && cfg->max_streams) {
        /* A place per key (per address when anonymous) and one per address. */
        snprintf(r->stream_member, sizeof r->stream_member, "%p-%llx", (void *)r,
                 (unsigned long long)util_now_ns());
        snprintf(r->stream_sets[0], sizeof r->stream_sets[0], "nsjudge:streams:%s", ident);
        snprintf(r->stream_sets[1], sizeof r->stream_sets[1], "nsjudge:streams:a:%s", r->who.client);
        unsigned sets = r->who.key_id[0] ? 2 : 1;
        for (unsigned i = 0; i < sets; i++) {
            if (!lease_take(s, r->stream_sets[i], r->stream_member, (unsigned)cfg->max_streams, STREAM_LEASE_MS)) {
                for (unsigned k = 0; k < i; k++)
                    lease_give(s, r->stream_sets[k], r->stream_member);
                r->stream_sets[0][0] = r->stream_sets[1][0] = '\0';
                return too_many(r, 5000, i ? "%llu event streams, WebSockets and waits are open from this address (MAX_STREAMS)"
                                           : "%llu event streams, WebSockets and waits are open already (MAX_STREAMS)",
                                (unsigned long long)cfg->max_streams);
            }
        }
        if (sets == 1)
            r->stream_sets[1][0] = '\0';
    }
    return 0;
}

unsigned api_auth_check_headers(api_server_t *s, struct MHD_Connection *c, const char *method, request_t *r)
{
    unsigned need = api_auth_required(r->route, r->live, r->keys, method);
    unsigned st = resolve(s, c, r, need);
    return st ? st : limits(s, method, r);
}

unsigned api_auth_check_owner(api_server_t *s, request_t *r, char **body)
{
    store_owned_t what;
    if (r->route == API_ROUTE_SUBMISSION || r->route == API_ROUTE_TEST_STDOUT ||
        (r->route == API_ROUTE_NONE && r->live == API_LIVE_EVENTS))
        what = STORE_OWNED_SUBMISSION;
    else if (r->route == API_ROUTE_NONE && r->live == API_LIVE_SESSION)
        what = STORE_OWNED_SESSION;
    else
        return 0;
    if (r->who.scopes & CORE_SCOPE_ADMIN)
        return 0;
    store_owner_t owner = {.key_id = r->who.key_id};
    store_t *db;
    size_t slot;
    nsj_error_t err;
    if (api_db_take(s, &db, &slot, &err) < 0) {
        *body = api_error_json("database unavailable: %s", err.msg);
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    }
    int rc = store_owner_check(db, what, r->id, &owner, &err);
    api_db_give(s, slot);
    if (rc == 0)
        return 0;
    *body = api_error_json("%s", err.msg);
    return err.errnum == ENOENT ? MHD_HTTP_NOT_FOUND : MHD_HTTP_SERVICE_UNAVAILABLE;
}

bool api_auth_session_take(api_server_t *s, const request_t *r, const char *session_id)
{
    if (!s->cfg.max_sessions)
        return true;
    char ident[128], set[200];
    identity(&r->who, ident, sizeof ident);
    snprintf(set, sizeof set, "nsjudge:sessions:%s", ident);
    return lease_take(s, set, session_id, (unsigned)s->cfg.max_sessions, SESSION_LEASE_MS);
}

void api_auth_release(api_server_t *s, request_t *r)
{
    for (int i = 0; i < 2; i++)
        if (r->stream_sets[i][0])
            lease_give(s, r->stream_sets[i], r->stream_member);
    if (r->route == API_ROUTE_NONE && r->live == API_LIVE_SESSION && s->cfg.max_sessions && r->attached) {
        char ident[128], set[200];
        identity(&r->who, ident, sizeof ident);
        snprintf(set, sizeof set, "nsjudge:sessions:%s", ident);
        lease_give(s, set, r->id);
    }
}

/* ---- the key routes (admin) ---- */

static json_t *key_json(const store_key_t *k)
{
    json_t *scopes = json_array();
    char *dup = strdup(k->scopes), *save = NULL;
    for (char *t = dup ? strtok_r(dup, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
        json_array_append_new(scopes, json_string(t));
    free(dup);
    return json_pack("{s:s, s:s, s:o, s:s, s:s, s:s?}", "id", k->id, "name", k->name, "scopes", scopes, "prefix",
                     k->prefix, "created_at", k->created_at, "revoked_at", k->revoked_at[0] ? k->revoked_at : NULL);
}

enum MHD_Result api_keys_answer(api_server_t *s, struct MHD_Connection *c, request_t *r, const char *method)
{
    if (r->keys == API_KEYS_CALLBACK_SECRET)
        return api_callback_secret_answer(s, c, r);
    store_t *db;
    size_t slot;
    nsj_error_t err;
    char name[201];
    unsigned scopes = 0;
    api_error_t e;
    if (r->keys == API_KEYS_ALL && strcmp(method, "POST") == 0 &&
        api_parse_key_request(r->body, r->len, name, &scopes, &e) < 0)
        return api_send_json(c, e.status, api_error_json("%s", e.msg), NULL, NULL);
    if (api_db_take(s, &db, &slot, &err) < 0)
        return api_send_db_unavailable(c, &err);
    enum MHD_Result ret;
    if (r->keys == API_KEYS_ONE) {
        int rc = store_key_revoke(db, r->id, &err);
        api_db_give(s, slot);
        if (rc < 0)
            return api_send_store_error(c, "revoking the key", &err);
        cache_forget(s->auth, r->id);
        service_log("key %s revoked", r->id);
        return api_send_json(c, MHD_HTTP_OK, json_dumps(json_pack("{s:s, s:b}", "id", r->id, "revoked", 1),
                                                        JSON_COMPACT), NULL, NULL);
    }
    if (strcmp(method, "GET") == 0) {
        store_key_t *keys;
        size_t n;
        int rc = store_key_list(db, &keys, &n, &err);
        api_db_give(s, slot);
        if (rc < 0)
            return api_send_store_error(c, "listing the keys", &err);
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, key_json(&keys[i]));
        free(keys);
        ret = api_send_json(c, MHD_HTTP_OK, json_dumps(arr, JSON_COMPACT), NULL, NULL);
        json_decref(arr);
        return ret;
    }
    char secret[API_KEY_SECRET_LEN + 1], sha[65], prefix[API_KEY_PREFIX_LEN + 1], text[CORE_SCOPES_TEXT_MAX];
    char id[STORE_UUID_LEN + 1];
    if (api_key_generate(secret, sha, prefix) < 0) {
        api_db_give(s, slot);
        return api_send_json(c, MHD_HTTP_SERVICE_UNAVAILABLE, api_error_json("the random source failed"), NULL, NULL);
    }
    core_scopes_format(scopes, text);
    int rc = store_key_create(db, name, text, sha, prefix, id, &err);
    api_db_give(s, slot);
    if (rc < 0)
        return api_send_store_error(c, "storing the key", &err);
    service_log("key %s (%s) created with scopes %s", id, name, text);
    store_key_t k = {0};
    memcpy(k.id, id, sizeof k.id);
    snprintf(k.name, sizeof k.name, "%s", name);
    snprintf(k.scopes, sizeof k.scopes, "%s", text);
    snprintf(k.prefix, sizeof k.prefix, "%s", prefix);
    json_t *o = key_json(&k);
    json_object_del(o, "created_at");
    json_object_set_new(o, "secret", json_string(secret));
    char location[64];
    snprintf(location, sizeof location, "/keys/%s", id);
    ret = api_send_json(c, MHD_HTTP_CREATED, json_dumps(o, JSON_COMPACT), MHD_HTTP_HEADER_LOCATION, location);
    json_decref(o);
    return ret;
}
