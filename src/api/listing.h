/* GET /submissions and GET /questions: newest first, keyset pagination.
 * The query string's parser and the cursor's encoding are pure (unit-tested);
 * api_listing_answer() runs the query. */
#ifndef NSJ_API_LISTING_H
#define NSJ_API_LISTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "api/request.h"
#include "api/server.h"
#include "store/store.h"

#define API_LIST_LIMIT_DEFAULT 20
#define API_LIST_LIMIT_MAX 100

typedef struct api_query_arg {
    const char *name, *value;    /* value NULL: "?name" without '=' */
} api_query_arg_t;

/* Parse a listing's query arguments into q (submissions: question_id,
 * status, limit, cursor; questions: limit, cursor). Unknown or repeated
 * arguments, a malformed id, status, limit or cursor: 400. */
int api_parse_listing(bool submissions, const api_query_arg_t *args, size_t n, store_list_query_t *q, api_error_t *e);

/* The opaque cursor naming the row after which the next page starts
 * (cap >= API_CURSOR_MAX), and back; <0 when malformed. */
#define API_CURSOR_MAX 96
void api_cursor_encode(int64_t created_us, const char *id, char *out, size_t cap);
int api_cursor_decode(const char *cursor, int64_t *created_us, char id[STORE_UUID_LEN + 1]);

/* Answer GET /submissions or GET /questions; owner_key_id limits
 * submissions to one API key's ("" = the anonymous ones, NULL = every row). */
struct request;
enum MHD_Result api_listing_answer(api_server_t *s, struct MHD_Connection *c, struct request *r,
                                   const char *owner_key_id);

#endif
