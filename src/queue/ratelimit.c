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

/* KEYS[i] a bucket; ARGV[2i-1], ARGV[2i] its rate/s and burst; the last
 * ARGV: how many tokens to take from each (at most; at least 1). Takes the
 * same number from each, or none: returns {0, 0, taken} or {ms until each
 * has one, the first bucket without, 0}. */
static const char bucket_lua[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local tokens, stamp, wait, first = {}, {}, 0, 0\n"
    "local take = tonumber(ARGV[2 * #KEYS + 1])\n"
    "for i, key in ipairs(KEYS) do\n"
    "  local rate, burst = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])\n"
    "  local b = redis.call('HMGET', key, 'tokens', 'ts')\n"
    "  local n, ts = tonumber(b[1]) or burst, tonumber(b[2]) or now\n"
    "  if now > ts then n = math.min(burst, n + (now - ts) * rate / 1000) end\n"
    "  tokens[i], stamp[i] = n, math.max(now, ts)\n"
    "  take = math.min(take, math.floor(n))\n"
    "  if n < 1 then\n"
    "    wait = math.max(wait, math.max(1, math.ceil((1 - n) * 1000 / rate)))\n"
    "    if first == 0 then first = i end\n"
    "  end\n"
    "end\n"
    "if wait > 0 then return {wait, first, 0} end\n"
    "for i, key in ipairs(KEYS) do\n"
    "  local rate, burst = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])\n"
    "  redis.call('HSET', key, 'tokens', tostring(tokens[i] - take), 'ts', tostring(stamp[i]))\n"
    "  redis.call('PEXPIRE', key, math.ceil(burst * 1000 / rate) + 1000)\n"
    "end\n"
    "return {0, 0, take}\n";

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
 * SCRIPT FLUSH): the reply (freeReplyObject it). */
static redisReply *run(queue_conn_t *q, script_t *sc, size_t nkeys, const char **keys, size_t nargs,
                       const char **args, nsj_error_t *err)
{
    pthread_once(&once, init_scripts);
    const char *argv[3 + 2 * QUEUE_BUCKETS_MAX + 4];
    char numkeys[8];
    snprintf(numkeys, sizeof numkeys, "%zu", nkeys);
    size_t argc = 0;
    argv[argc++] = "EVALSHA";
    argv[argc++] = sc->sha1;
    argv[argc++] = numkeys;
    for (size_t i = 0; i < nkeys; i++)
        argv[argc++] = keys[i];
    for (size_t i = 0; i < nargs; i++)
        argv[argc++] = args[i];
    redisReply *r = sc->sha1[0] ? queue_command(q, (int)argc, argv, NULL, err) : NULL;
    if (!r && (!sc->sha1[0] || (err->errnum == EPROTO && strstr(err->msg, "NOSCRIPT")))) {
        argv[0] = "EVAL";
        argv[1] = sc->lua;
        r = queue_command(q, (int)argc, argv, NULL, err);
    }
    return r;
}

int queue_rate_take(queue_conn_t *q, const queue_bucket_t *b, size_t n, unsigned want, unsigned *taken,
                    uint64_t *retry_ms, size_t *which, nsj_error_t *err)
{
    *retry_ms = 0;
    *which = 0;
    *taken = 0;
    if (n == 0)
        return 0;
    if (n > QUEUE_BUCKETS_MAX)
        return nsj_error_set(err, EINVAL, "redis: at most %d buckets at once", QUEUE_BUCKETS_MAX);
    const char *keys[QUEUE_BUCKETS_MAX], *args[2 * QUEUE_BUCKETS_MAX + 1];
    char nums[2 * QUEUE_BUCKETS_MAX + 1][32];
    for (size_t i = 0; i < n; i++) {
        keys[i] = b[i].key;
        snprintf(nums[2 * i], sizeof nums[0], "%.6f", b[i].rate);
        snprintf(nums[2 * i + 1], sizeof nums[0], "%.6f", b[i].burst);
        args[2 * i] = nums[2 * i];
        args[2 * i + 1] = nums[2 * i + 1];
    }
    snprintf(nums[2 * n], sizeof nums[0], "%u", want ? want : 1);
    args[2 * n] = nums[2 * n];
    redisReply *r = run(q, &bucket, n, keys, 2 * n + 1, args, err);
    if (!r)
        return -1;
    int rc = 0;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || r->element[0]->type != REDIS_REPLY_INTEGER ||
        r->element[1]->type != REDIS_REPLY_INTEGER || r->element[2]->type != REDIS_REPLY_INTEGER) {
        rc = nsj_error_set(err, EPROTO, "redis: the rate-limit script answered something unexpected");
    } else if (r->element[0]->integer > 0) {
        *retry_ms = (uint64_t)r->element[0]->integer;
        *which = r->element[1]->integer > 0 ? (size_t)r->element[1]->integer - 1 : 0;
    } else {
        *taken = r->element[2]->integer > 0 ? (unsigned)r->element[2]->integer : 1;
    }
    freeReplyObject(r);
    return rc;
}

int queue_lease_take(queue_conn_t *q, const char *key, const char *member, unsigned cap, uint64_t lease_ms,
                     bool *held, nsj_error_t *err)
{
    char c[24], l[24];
    snprintf(c, sizeof c, "%u", cap);
    snprintf(l, sizeof l, "%llu", (unsigned long long)lease_ms);
    const char *args[] = {member, c, l};
    redisReply *r = run(q, &lease, 1, &key, 3, args, err);
    if (!r)
        return -1;
    int rc = r->type == REDIS_REPLY_INTEGER ? 0 : nsj_error_set(err, EPROTO, "redis: the lease script answered "
                                                                              "something other than a number");
    *held = rc == 0 && r->integer == 1;
    freeReplyObject(r);
    return rc;
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
