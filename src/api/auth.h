/* API keys and scopes (issue #13): the pure parts. Who a request is (its
 * principal), which scope each route needs, the Authorization header, the
 * key routes, making a new secret. The server side (the key cache, the
 * checks, the limits, the key routes' handlers) is in auth.c too, declared
 * in internal.h. */
#ifndef NSJ_API_AUTH_H
#define NSJ_API_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "api/live.h"
#include "api/request.h"
#include "core/scope.h"

/* "nsj_" and 48 hex digits (24 random bytes). */
#define API_KEY_SECRET_LEN 52
#define API_KEY_PREFIX_LEN 12

/* Who a request is: a key, or anonymous (ANONYMOUS_SCOPES). Rate limits
 * count per key, and per client address for anonymous requests. */
typedef struct auth_principal {
    char key_id[37];             /* "" = anonymous */
    unsigned scopes;             /* core/scope.h's bits; admin includes the others */
    char client[64];             /* the client's address, numeric */
} auth_principal_t;

typedef enum api_keys_route {
    API_KEYS_NONE = 0,
    API_KEYS_ALL,                /* /keys: GET lists, POST makes one */
    API_KEYS_ONE,                /* /keys/{id}: DELETE revokes it */
    API_KEYS_CALLBACK_SECRET,    /* /keys/{id}/callback-secret: POST makes (replaces) its callback secret */
} api_keys_route_t;

/* Match a path the other routers did not; id gets {id}. */
api_keys_route_t api_keys_route_match(const char *path, char id[37]);
const char *api_keys_route_allow(api_keys_route_t r);
bool api_keys_route_allows(api_keys_route_t r, const char *method);

/* The scope a request needs (a CORE_SCOPE_* bit), 0 for the public ones
 * (the page, /languages, /healthz). */
unsigned api_auth_required(api_route_t route, api_live_route_t live, api_keys_route_t keys, const char *method);

/* Does a principal with these scopes hold the scope `need` (admin holds every one)? */
bool api_auth_allows(unsigned scopes, unsigned need);

/* The secret of "Authorization: Bearer SECRET" into out (cap bytes): 1,
 * 0 when header is NULL, -1 when it is not a bearer token of a sane size. */
int api_auth_bearer(const char *header, char *out, size_t cap);

/* A new key: its secret (shown once), the secret's SHA-256 (stored) and
 * its prefix (listed); <0 when the system's random source failed. */
int api_key_generate(char secret[API_KEY_SECRET_LEN + 1], char sha256[65], char prefix[API_KEY_PREFIX_LEN + 1]);

/* POST /keys: {"name", "scopes": ["submit", ...] or "submit,read"} into a
 * name and a scope mask; <0 with e (400) otherwise. */
int api_parse_key_request(const char *body, size_t len, char name[201], unsigned *scopes, api_error_t *e);

#endif
