/* A stored job as its queue message: what the API enqueues after creating
 * a submission, and what the worker's maintenance enqueues again for a
 * stranded one. */
#ifndef NSJ_SERVICE_JOB_H
#define NSJ_SERVICE_JOB_H

#include <stddef.h>

#include "store/store.h"

/* The encoded message (malloc'd, *len bytes) or NULL when out of memory. */
char *service_job_message(const store_job_t *job, size_t *len);

#endif
