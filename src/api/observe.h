/* What the API tells about its requests: a request id (X-Request-Id,
 * accepted when well-formed, else generated, and echoed on every answer),
 * one JSON log line per request, and the Prometheus metrics of GET /metrics.
 *
 * The API runs a thread per connection (server.c), so the request a thread
 * is answering is kept in a thread-local pointer between
 * api_observe_begin() and api_observe_end(): api_queue_response() finds
 * it there, and no handler has to pass it down. */
#ifndef NSJ_API_OBSERVE_H
#define NSJ_API_OBSERVE_H

#include <microhttpd.h>
#include <stdint.h>

#include "api/internal.h"

/* Register the API's metrics in s->metrics (made by the caller). */
int api_observe_init(api_server_t *s);

/* A request's first call: its start time, method, route name and id. */
void api_observe_begin(api_server_t *s, struct MHD_Connection *c, const char *method, request_t *r);

/* The request is over (answered or cut off): log it and count it. */
void api_observe_end(api_server_t *s, request_t *r);

/* MHD_queue_response with the request's X-Request-Id added and its status
 * recorded: every answer of the API goes through here. */
enum MHD_Result api_queue_response(struct MHD_Connection *c, unsigned status, struct MHD_Response *resp);

/* GET /metrics. */
enum MHD_Result api_metrics_answer(api_server_t *s, struct MHD_Connection *c);

#endif
