/* GET /healthz (health.c). */
#ifndef NSJ_API_HEALTH_H
#define NSJ_API_HEALTH_H

#include <stdbool.h>

#include "api/internal.h"

/* The health answer: its status (200, or 503 naming what is down) and its
 * JSON body (malloc'd). live_only: only this process (GET /healthz?live). */
unsigned api_health(api_server_t *s, bool live_only, char **body);

/* Answer GET /healthz[?live]. */
enum MHD_Result api_health_answer(api_server_t *s, struct MHD_Connection *c);

#endif
