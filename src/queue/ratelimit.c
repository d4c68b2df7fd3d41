/* Token buckets and lease sets in Redis (queue/ratelimit.h). The scripts
 * read Redis's own clock (TIME): every API host then agrees on "now". */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "queue/internal.h"
#include "queue/ratelimit.h"

/* KEYS[1] bucket; ARGV rate/s, burst, cost. Returns 0 (taken) or the ms
 * until cost tokens will be there. */
static const char bucket_lua[] =
    "local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')\n"
    "local tokens, ts = tonumber(b[1]) or burst, tonumber(b[2]) or now\n"
    "if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate / 1000) end\n"
    "local wait = 0\n"
    "if tokens >= cost then tokens = tokens - cost\n"
    "else wait = math.max(1, math.ceil((cost - tokens) * 1000 / rate)) end\n"
    "redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(math.max(now, ts)))\n"
    "redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)\n"
    "return wait\n";

/* KEYS[1] lease set; ARGV member, cap, lease ms. Returns 1 (held) or 0. */
static const char lease_lua[] =
    "local cap, lease = tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)\n"
    "if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= cap then return 0 end\n"
    "redis.call('ZADD', KEYS[1], now + lease, ARGV[1])\n"
    "redis.call('PEXPIRE', KEYS[1], lease + 1000)\n"
    "return 1\n";

typedef struct script {
    const char *lua;
    char sha1[41];
} script_t;

static script_t bucket = {bucket_lua, ""}, lease = {lease_lua, ""};
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Redis names a script by its SHA-1 (of the text); computed here once, so
 * that EVALSHA needs no SCRIPT LOAD round trip first. */
static void sha1_hex(const char *text, char out[41])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (EVP_Digest(text, strlen(text), d, &n, EVP_sha1(), NULL) != 1 || n != 20) {
        out[0] = '\0'; /* EVAL then */
        return;
    }
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void init_scripts(void)
{
    sha1_hex(bucket.lua, bucket.sha1);
    sha1_hex(lease.lua, lease.sha1);
}

/* EVALSHA, and EVAL when Redis does not have the script (restarted, or
 * SCRIPT FLUSH): the integer reply. */
static int run(queue_conn_t *q, script_t *sc, const char *key, int nargs, const char **args, long long *out,
               nsj_error_t *err)
{
    pthread_once(&once, init_scripts);
    const char *argv[8] = {"EVALSHA", sc->sha1, "1", key};
    for (int i = 0; i < nargs && i < 4; i++)
        argv[4 + i] = args[i];
    redisReply *r = sc->sha1[0] ? queue_command(q, 4 + nargs, argv, NULL, err) : NULL;
    if (!r && (!sc->sha1[0] || (err->errnum == EPROTO && strstr(err->msg, "NOSCRIPT")))) {
        argv[0] = "EVAL";
        argv[1] = sc->lua;
        r = queue_command(q, 4 + nargs, argv, NULL, err);
    }
    if (!r)
        return -1;
    if (r->type != REDIS_REPLY_INTEGER) {
        freeReplyObject(r);
        return nsj_error_set(err, EPROTO, "redis: a rate-limit script answered something other than a number");
    }
    *out = r->integer;
    freeReplyObject(r);
    return 0;
}

int queue_rate_take(queue_conn_t *q, const char *key, double rate, double burst, double cost, uint64_t *retry_ms,
                    nsj_error_t *err)
{
    char a[3][32];
    snprintf(a[0], sizeof a[0], "%.6f", rate);
    snprintf(a[1], sizeof a[1], "%.6f", burst);
    snprintf(a[2], sizeof a[2], "%.6f", cost);
    const char *args[] = {a[0], a[1], a[2]};
    long long wait;
    if (run(q, &bucket, key, 3, args, &wait, err) < 0)
        return -1;
    *retry_ms = wait > 0 ? (uint64_t)wait : 0;
    return 0;
}

int queue_lease_take(queue_conn_t *q, const char *key, const char *member, unsigned cap, uint64_t lease_ms,
                     bool *held, nsj_error_t *err)
{
    char c[24], l[24];
    snprintf(c, sizeof c, "%u", cap);
    snprintf(l, sizeof l, "%llu", (unsigned long long)lease_ms);
    const char *args[] = {member, c, l};
    long long got;
    if (run(q, &lease, key, 3, args, &got, err) < 0)
        return -1;
    *held = got == 1;
    return 0;
}

int queue_lease_give(queue_conn_t *q, const char *key, const char *member, nsj_error_t *err)
{
    const char *argv[] = {"ZREM", key, member};
    redisReply *r = queue_command(q, 3, argv, NULL, err);
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}
