/* Callback deliveries: a worker thread takes due rows of the Postgres
 * outbox (store_callbacks_claim), POSTs each submission's final state to
 * its callback_url with libcurl, signed, and records the outcome: retried
 * with doubling delays on timeouts, connection failures and 5xx, up to
 * CALLBACK_ATTEMPTS; given up on a 4xx or a target CALLBACK_ALLOW does
 * not allow. Every attempt of one delivery carries the same id.
 *
 * Signature: X-Nsjudge-Signature: sha256=<hex HMAC-SHA256(secret,
 * "<X-Nsjudge-Timestamp>.<body>")>. The secret is the submitting API key's
 * callback secret when it has one, else CALLBACK_SECRET. */
#ifndef NSJ_WORKER_CALLBACKS_H
#define NSJ_WORKER_CALLBACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "nsjudge/error.h"
#include "service/config.h"
#include "worker/telemetry.h"

#define CALLBACKS_ALLOW_MAX 32

/* CALLBACK_ALLOW: address ranges a callback may go to. */
typedef struct callbacks_allow {
    struct {
        int family;              /* AF_INET or AF_INET6 */
        unsigned char addr[16];
        unsigned prefix;
    } ranges[CALLBACKS_ALLOW_MAX];
    size_t n;
} callbacks_allow_t;

/* Parse "127.0.0.1/32, 10.0.0.0/8, ::1/128" (an address alone is one
 * host); "" allows nothing. EINVAL naming the bad entry. */
int callbacks_allow_parse(const char *list, callbacks_allow_t *out, nsj_error_t *err);

/* Is the address inside one of the ranges? */
bool callbacks_allowed(const callbacks_allow_t *a, const struct sockaddr *sa);

/* The signature header's hex digest (out: 65 bytes). */
void callbacks_sign(const char *secret, const char *timestamp, const char *body, size_t len, char out[65]);

typedef struct callbacks callbacks_t;

/* Start the delivery thread (*out NULL when CALLBACK_SECRET is unset: this
 * worker then leaves deliveries to workers that have one). */
int callbacks_start(const worker_config_t *cfg, telemetry_t *tel, callbacks_t **out, nsj_error_t *err);

/* Stop it (the delivery in progress ends first) and free (NULL is fine). */
void callbacks_stop(callbacks_t *cb);

#endif
