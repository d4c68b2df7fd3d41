/* POST /keys/{id}/callback-secret (admin): make a key's callback secret,
 * or replace it, and show it once. Body: {} (nothing to choose). The
 * workers then sign that key's callbacks with it (worker/callbacks.c). */
#define _GNU_SOURCE
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "service/service.h"

enum MHD_Result api_callback_secret_answer(api_server_t *s, struct MHD_Connection *c, request_t *r)
{
    json_error_t jerr;
    json_t *body = json_loadb(r->body ? r->body : "", r->len, 0, &jerr);
    bool ok = json_is_object(body) && json_object_size(body) == 0;
    json_decref(body);
    if (!ok)
        return api_send_json(c, MHD_HTTP_BAD_REQUEST,
                             api_error_json("the body must be {} (the secret is made here, not chosen)"), NULL, NULL);
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return api_send_json(c, MHD_HTTP_SERVICE_UNAVAILABLE, api_error_json("the random source failed"), NULL, NULL);
    char secret[65];
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(secret + 2 * i, 3, "%02x", raw[i]);
    store_t *db;
    size_t slot;
    nsj_error_t err;
    if (api_db_take(s, &db, &slot, &err) < 0)
        return api_send_db_unavailable(c, &err);
    int rc = store_key_set_callback_secret(db, r->id, secret, &err);
    api_db_give(s, slot);
    if (rc < 0)
        return api_send_store_error(c, "storing the callback secret", &err);
    service_log("key %s: new callback secret", r->id);
    json_t *o = json_pack("{s:s, s:s}", "id", r->id, "callback_secret", secret);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return api_send_json(c, MHD_HTTP_OK, text, NULL, NULL);
}
