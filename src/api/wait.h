/* POST /submissions?wait=N: answer with the final submission when it is
 * judged within N seconds, else with the usual 202. */
#ifndef NSJ_API_WAIT_H
#define NSJ_API_WAIT_H

#include <microhttpd.h>

#include "api/internal.h"

/* Check the wait parameter from the headers' stage: 0 (r->wait_s set, 0 =
 * no wait) or 400 with r->early_body when it is not a whole number of
 * seconds from 0 to WAIT_MAX. */
unsigned api_wait_check(api_server_t *s, struct MHD_Connection *c, request_t *r);

/* Wait up to wait_s seconds for submission id to be final. 1: final, and
 * *body is the submission as GET /submissions/{id} gives it; 0: not final
 * in time (or the wait could not be kept up: the 202 stands). */
int api_wait_final(api_server_t *s, const char *id, unsigned wait_s, char **body);

#endif
