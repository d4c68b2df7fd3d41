/* The API's JSON, rendered in C from the store's structs (core/job.h):
 * pure, so the shapes are unit-tested without a server. */
#ifndef NSJ_API_RENDER_H
#define NSJ_API_RENDER_H

#include "core/job.h"

/* GET /submissions/{id}: compact JSON (malloc'd), NULL when out of memory. */
char *api_render_submission(const core_submission_t *s);

/* GET /questions/{id}: the question and its tests (hashes and sizes, not
 * their bytes): compact JSON (malloc'd), NULL when out of memory. */
char *api_render_question(const core_question_t *q);

#endif
