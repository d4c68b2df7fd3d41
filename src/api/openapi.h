/* The OpenAPI document (docs/openapi.yaml, converted to JSON at build time
 * by scripts/openapi-json.py and compiled in): GET /openapi.json. */
#ifndef NSJ_API_OPENAPI_H
#define NSJ_API_OPENAPI_H

#include <stddef.h>

extern const char api_openapi_json[];
extern const size_t api_openapi_json_len;

#endif
