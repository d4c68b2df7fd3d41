/* A stored job as its queue message: see job.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue/message.h"
#include "service/job.h"

char *service_job_message(const store_job_t *job, size_t *len)
{
    queue_message_t m;
    memset(&m, 0, sizeof m);
    memcpy(m.submission_id, job->submission_id, sizeof m.submission_id);
    memcpy(m.question_id, job->question_id, sizeof m.question_id);
    snprintf(m.language, sizeof m.language, "%s", job->language);
    m.source = job->source;
    m.source_len = strlen(job->source);
    /* The strings are borrowed from the job. */
    queue_test_case_t *tc = calloc(job->ntests ? job->ntests : 1, sizeof *tc);
    if (!tc)
        return NULL;
    for (size_t i = 0; i < job->ntests; i++) {
        memcpy(tc[i].id, job->tests[i].id, sizeof tc[i].id);
        tc[i].input = job->tests[i].input;
        tc[i].input_len = strlen(job->tests[i].input);
        tc[i].expected = job->tests[i].expected;
        tc[i].expected_len = strlen(job->tests[i].expected);
        tc[i].score = job->tests[i].score;
    }
    m.tests = tc;
    m.ntests = job->ntests;
    char *out = queue_message_encode(&m, len);
    free(tc);
    return out;
}
