/* A sandbox result as the CLI's JSON object. */
#ifndef NSJ_RESULT_JSON_H
#define NSJ_RESULT_JSON_H

#include <jansson.h>

#include "nsjudge/result.h"

/* {"status","exit_code","signal","stdout","stderr","cpu_ms","wall_ms",
 *  "memory_kb","evidence"}; exit_code/signal null when not applicable;
 * output made valid UTF-8; for internal_error, evidence is the message. */
json_t *result_to_json(const nsj_result_t *r);

#endif
