/* Callback deliveries (callbacks.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/status.h"
#include "service/service.h"
#include "store/store.h"
#include "worker/callbacks.h"

#define BATCH 8
#define IDLE_MS 500              /* how often the outbox is looked at when nothing was due */
#define RETRY_FIRST_MS 1000
#define RETRY_MAX_MS (5 * 60 * 1000)
#define RESPONSE_KEEP 256        /* bytes of an answer kept for last_error */

struct callbacks {
    worker_config_t cfg;
    callbacks_allow_t allow;
    telemetry_t *tel;
    pthread_t tid;
    atomic_bool stop;
    store_t *db;
};

/* ---- pure parts ---- */

int callbacks_allow_parse(const char *list, callbacks_allow_t *out, nsj_error_t *err)
{
    memset(out, 0, sizeof *out);
    char *copy = strdup(list), *save = NULL;
    if (!copy)
        return nsj_error_set(err, ENOMEM, "CALLBACK_ALLOW");
    int rc = 0;
    for (char *t = strtok_r(copy, ", \t", &save); t && rc == 0; t = strtok_r(NULL, ", \t", &save)) {
        if (out->n == CALLBACKS_ALLOW_MAX) {
            rc = nsj_error_set(err, EINVAL, "CALLBACK_ALLOW: more than %d ranges", CALLBACKS_ALLOW_MAX);
            break;
        }
        char *slash = strchr(t, '/');
        if (slash)
            *slash = '\0';
        int fam = strchr(t, ':') ? AF_INET6 : AF_INET;
        unsigned max = fam == AF_INET ? 32 : 128;
        unsigned prefix = max;
        char *end = NULL;
        if (slash) {
            errno = 0;
            unsigned long p = strtoul(slash + 1, &end, 10);
            if (errno || end == slash + 1 || *end || p > max) {
                rc = nsj_error_set(err, EINVAL, "CALLBACK_ALLOW: '%s/%s' has a bad prefix length", t, slash + 1);
                break;
            }
            prefix = (unsigned)p;
        }
        if (inet_pton(fam, t, out->ranges[out->n].addr) != 1) {
            rc = nsj_error_set(err, EINVAL, "CALLBACK_ALLOW: '%s' is not an IPv4 or IPv6 address", t);
            break;
        }
        out->ranges[out->n].family = fam;
        out->ranges[out->n].prefix = prefix;
        out->n++;
    }
    free(copy);
    return rc;
}

static bool prefix_match(const unsigned char *a, const unsigned char *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, whole) != 0)
        return false;
    if (!rest)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

bool callbacks_allowed(const callbacks_allow_t *a, const struct sockaddr *sa)
{
    unsigned char addr[16];
    int fam = sa->sa_family;
    if (fam == AF_INET) {
        memcpy(addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    } else if (fam == AF_INET6) {
        const struct in6_addr *v6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(v6)) {
            /* ::ffff:a.b.c.d is judged as a.b.c.d. */
            fam = AF_INET;
            memcpy(addr, v6->s6_addr + 12, 4);
        } else {
            memcpy(addr, v6->s6_addr, 16);
        }
    } else {
        return false;
    }
    for (size_t i = 0; i < a->n; i++)
        if (a->ranges[i].family == fam && prefix_match(addr, a->ranges[i].addr, a->ranges[i].prefix))
            return true;
    return false;
}

void callbacks_sign(const char *secret, const char *timestamp, const char *body, size_t len, char out[65])
{
    size_t tl = strlen(timestamp);
    unsigned char *msg = malloc(tl + 1 + len);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned maclen = 0;
    out[0] = '\0';
    if (!msg)
        return;
    memcpy(msg, timestamp, tl);
    msg[tl] = '.';
    memcpy(msg + tl + 1, body, len);
    if (HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, tl + 1 + len, mac, &maclen))
        for (unsigned i = 0; i < maclen && i < 32; i++)
            snprintf(out + 2 * i, 3, "%02x", mac[i]);
    free(msg);
}

/* ---- delivery ---- */

/* The secret a delivery is signed with: the callback secret of the API key
 * that made the submission when it has one (POST /keys/{id}/callback-secret),
 * else CALLBACK_SECRET. NULL when Postgres could not say (never fall back
 * to another secret then: the receiver would refuse the delivery). */
static const char *callbacks_secret(callbacks_t *cb, const char *submission_id, char buf[65], nsj_error_t *err)
{
    int own = store_callback_secret_of(cb->db, submission_id, buf, err);
    if (own < 0)
        return NULL;
    return own ? buf : cb->cfg.callback_secret;
}

static char *payload(const char *delivery_id, const core_submission_t *sub)
{
    const core_report_t *r = &sub->report;
    json_t *s = json_pack("{s:s, s:s, s:o, s:I, s:o, s:o, s:o, s:s, s:o}", "id", sub->job.submission_id, "status",
                          core_status_name(r->status), "score_awarded",
                          r->summarized ? json_integer(r->score) : json_null(), "max_score", (json_int_t)r->max_score,
                          "execution_ms", r->summarized ? json_integer((json_int_t)r->execution_ms) : json_null(),
                          "memory_kb", r->summarized ? json_integer((json_int_t)r->memory_kb) : json_null(), "error",
                          r->error[0] ? json_string(r->error) : json_null(), "created_at", sub->created_at,
                          "finished_at", sub->finished_at[0] ? json_string(sub->finished_at) : json_null());
    json_t *o = s ? json_pack("{s:s, s:s, s:o}", "event", "submission.final", "delivery_id", delivery_id, "submission",
                              s)
                  : NULL;
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

typedef struct host_port {
    char host[256];
    int port;
} host_port_t;

/* The URL's host and port (curl's own parser, so that what is checked is
 * what curl connects to). */
static int url_target(const char *url, host_port_t *t, char *why, size_t cap)
{
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL, *scheme = NULL;
    int rc = -1;
    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        snprintf(why, cap, "not a URL curl can parse");
    } else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        snprintf(why, cap, "scheme %s is not http or https", scheme);
    } else {
        /* An IPv6 literal comes bracketed. */
        size_t hl = strlen(host);
        if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']')
            snprintf(t->host, sizeof t->host, "%.*s", (int)(hl - 2), host + 1);
        else
            snprintf(t->host, sizeof t->host, "%s", host);
        t->port = atoi(port);
        rc = 0;
    }
    curl_free(host);
    curl_free(port);
    curl_free(scheme);
    curl_url_cleanup(u);
    return rc;
}

/* Resolve the target, check every address against CALLBACK_ALLOW and pin
 * the first one for curl (CURLOPT_RESOLVE), so that a name that resolves
 * differently a moment later cannot steer the request elsewhere. */
static struct curl_slist *pin_target(const callbacks_t *cb, const host_port_t *t, char *why, size_t cap)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int gai = getaddrinfo(t->host, NULL, &hints, &ai);
    if (gai) {
        snprintf(why, cap, "cannot resolve %s: %s", t->host, gai_strerror(gai));
        return NULL;
    }
    char first[INET6_ADDRSTRLEN] = "";
    bool ok = true;
    for (struct addrinfo *a = ai; a && ok; a = a->ai_next) {
        char txt[INET6_ADDRSTRLEN];
        const void *p = a->ai_family == AF_INET ? (const void *)&((struct sockaddr_in *)(void *)a->ai_addr)->sin_addr
                                                : (const void *)&((struct sockaddr_in6 *)(void *)a->ai_addr)->sin6_addr;
        inet_ntop(a->ai_family, p, txt, sizeof txt);
        if (!callbacks_allowed(&cb->allow, a->ai_addr)) {
            snprintf(why, cap, "target %s (%s) is not allowed (CALLBACK_ALLOW)", t->host, txt);
            ok = false;
        } else if (!first[0]) {
            snprintf(first, sizeof first, "%s", txt);
        }
    }
    freeaddrinfo(ai);
    if (!ok || !first[0])
        return NULL;
    char entry[600];
    bool v6 = strchr(first, ':') != NULL;
    snprintf(entry, sizeof entry, "%s:%d:%s%s%s", t->host, t->port, v6 ? "[" : "", first, v6 ? "]" : "");
    return curl_slist_append(NULL, entry);
}

static size_t keep_answer(char *p, size_t size, size_t n, void *ud)
{
    char *buf = ud;
    size_t have = strlen(buf), add = size * n;
    if (have < RESPONSE_KEEP) {
        size_t take = add < RESPONSE_KEEP - have ? add : RESPONSE_KEEP - have;
        memcpy(buf + have, p, take);
        buf[have + take] = '\0';
    }
    return add;
}

/* One attempt: the outcome, and why when it was not delivered. */
static store_callback_outcome_t attempt(callbacks_t *cb, const store_callback_t *d, const char *body,
                                        const char *secret, char *why, size_t cap)
{
    host_port_t t;
    if (url_target(d->url, &t, why, cap) < 0)
        return STORE_CALLBACK_FAILED;
    struct curl_slist *resolve = pin_target(cb, &t, why, cap);
    if (!resolve)
        return STORE_CALLBACK_FAILED;
    char ts[32], sig[65], h_ts[64], h_sig[96], h_id[96];
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    callbacks_sign(secret, ts, body, strlen(body), sig);
    snprintf(h_ts, sizeof h_ts, "X-Nsjudge-Timestamp: %s", ts);
    snprintf(h_sig, sizeof h_sig, "X-Nsjudge-Signature: sha256=%s", sig);
    snprintf(h_id, sizeof h_id, "X-Nsjudge-Delivery: %s", d->id);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, h_ts);
    h = curl_slist_append(h, h_sig);
    h = curl_slist_append(h, h_id);
    h = curl_slist_append(h, "Expect:");
    char answer[RESPONSE_KEEP + 1] = "";
    CURL *c = curl_easy_init();
    store_callback_outcome_t out = STORE_CALLBACK_RETRY;
    if (!c || !h) {
        snprintf(why, cap, "curl: out of memory");
    } else {
        curl_easy_setopt(c, CURLOPT_URL, d->url);
        curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "nsjudge-callbacks");
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cb->cfg.callback_timeout_ms);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)cb->cfg.callback_timeout_ms);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_answer);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)answer);
        CURLcode rc = curl_easy_perform(c);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK) {
            snprintf(why, cap, "%s", curl_easy_strerror(rc));
        } else if (status >= 200 && status < 300) {
            out = STORE_CALLBACK_DELIVERED;
        } else {
            snprintf(why, cap, "HTTP %ld: %.200s", status, answer);
            /* A 4xx will not change by asking again (408 and 429 may). */
            if (status < 500 && status != 408 && status != 429)
                out = STORE_CALLBACK_FAILED;
        }
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    curl_slist_free_all(resolve);
    return out;
}

static void deliver(callbacks_t *cb, const store_callback_t *d)
{
    nsj_error_t err;
    core_submission_t sub;
    char why[512] = "";
    store_callback_outcome_t out;
    if (store_submission_get(cb->db, d->submission_id, &sub, &err) < 0) {
        if (err.errnum == EAGAIN)
            return; /* the lease runs out and it is due again */
        snprintf(why, sizeof why, "reading the submission: %.400s", err.msg);
        out = STORE_CALLBACK_FAILED;
    } else {
        char *body = payload(d->id, &sub), own[65];
        const char *secret = callbacks_secret(cb, d->submission_id, own, &err);
        out = body && secret ? attempt(cb, d, body, secret, why, sizeof why) : STORE_CALLBACK_RETRY;
        if (!body)
            snprintf(why, sizeof why, "out of memory");
        else if (!secret)
            snprintf(why, sizeof why, "reading the key's callback secret: %.400s", err.msg);
        free(body);
        core_submission_free(&sub);
    }
    int64_t retry = RETRY_FIRST_MS;
    for (int i = 1; i < d->attempts && retry < RETRY_MAX_MS; i++)
        retry *= 2;
    if (retry > RETRY_MAX_MS)
        retry = RETRY_MAX_MS;
    if (out == STORE_CALLBACK_RETRY && d->attempts >= (int)cb->cfg.callback_attempts) {
        out = STORE_CALLBACK_FAILED;
        snprintf(why + strlen(why), sizeof why - strlen(why), " (attempt %d of %u: given up)", d->attempts,
                 cb->cfg.callback_attempts);
    }
    telemetry_callback(cb->tel, out == STORE_CALLBACK_DELIVERED ? "delivered"
                                : out == STORE_CALLBACK_RETRY  ? "retry"
                                                               : "failed");
    if (out != STORE_CALLBACK_DELIVERED)
        service_log("callbacks: submission %s, delivery %s, attempt %d: %s%s", d->submission_id, d->id, d->attempts,
                    why, out == STORE_CALLBACK_RETRY ? "; will retry" : "");
    if (store_callback_record(cb->db, d->id, out, retry, why[0] ? why : NULL, &err) < 0)
        service_log("callbacks: recording delivery %s: %s (it is attempted again when its lease ends)", d->id,
                    err.msg);
}

static void nap(callbacks_t *cb, unsigned ms)
{
    for (unsigned slept = 0; slept < ms && !atomic_load(&cb->stop); slept += 100) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void *thread_main(void *arg)
{
    callbacks_t *cb = arg;
    bool down = false;
    /* A lease outlasts an attempt by far: no two deliverers send one delivery at once. */
    int64_t lease = (int64_t)cb->cfg.callback_timeout_ms * 2 + 30000;
    while (!atomic_load(&cb->stop)) {
        nsj_error_t err;
        if (!cb->db || store_broken(cb->db)) {
            int rc = cb->db ? store_reconnect(cb->db, &err)
                            : store_connect(cb->cfg.database_url, "nsjudge-worker-callbacks", &cb->db, &err);
            if (rc < 0) {
                if (!down)
                    service_log("callbacks: Postgres unavailable, retrying: %s", err.msg);
                down = true;
                nap(cb, 1000);
                continue;
            }
            down = false;
        }
        store_callback_t *due;
        size_t n;
        if (store_callbacks_claim(cb->db, lease, BATCH, &due, &n, &err) < 0) {
            service_log("callbacks: reading the outbox: %s", err.msg);
            nap(cb, 1000);
            continue;
        }
        for (size_t i = 0; i < n && !atomic_load(&cb->stop); i++)
            deliver(cb, &due[i]);
        store_callbacks_free(due, n);
        if (n < BATCH)
            nap(cb, IDLE_MS);
    }
    store_close(cb->db);
    cb->db = NULL;
    return NULL;
}

int callbacks_start(const worker_config_t *cfg, telemetry_t *tel, callbacks_t **out, nsj_error_t *err)
{
    *out = NULL;
    if (!cfg->callback_secret[0])
        return 0;
    callbacks_t *cb = calloc(1, sizeof *cb);
    if (!cb)
        return nsj_error_set(err, ENOMEM, "callbacks");
    cb->cfg = *cfg;
    cb->tel = tel;
    if (callbacks_allow_parse(cfg->callback_allow, &cb->allow, err) < 0) {
        free(cb);
        return -1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(cb);
        return nsj_error_set(err, EIO, "callbacks: curl_global_init failed");
    }
    int e = pthread_create(&cb->tid, NULL, thread_main, cb);
    if (e) {
        free(cb);
        return nsj_error_set(err, e, "callbacks: start the delivery thread");
    }
    *out = cb;
    return 0;
}

void callbacks_stop(callbacks_t *cb)
{
    if (!cb)
        return;
    atomic_store(&cb->stop, true);
    pthread_join(cb->tid, NULL);
    free(cb);
}
