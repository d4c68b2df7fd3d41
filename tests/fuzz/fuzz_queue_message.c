/* libFuzzer target for the queue message parser (make fuzz). Checks, for
 * any input: no crash, leak or undefined behaviour (ASan+UBSan), and that
 * whatever parses encodes to a message that parses to the same fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "queue/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const queue_message_t *a, const queue_message_t *b)
{
    if (strcmp(a->submission_id, b->submission_id) || strcmp(a->question_id, b->question_id) ||
        strcmp(a->language, b->language) || a->source_len != b->source_len ||
        memcmp(a->source, b->source, a->source_len) || a->ntests != b->ntests)
        abort();
    for (size_t i = 0; i < a->ntests; i++) {
        const queue_test_case_t *x = &a->tests[i], *y = &b->tests[i];
        if (strcmp(x->id, y->id) || x->score != y->score || x->input_len != y->input_len ||
            memcmp(x->input, y->input, x->input_len) || x->expected_len != y->expected_len ||
            memcmp(x->expected, y->expected, x->expected_len))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    queue_message_t m, again;
    nsj_error_t err;
    if (queue_message_parse((const char *)data, size, &m, &err) < 0) {
        if (!err.msg[0] || m.tests || m.source)
            abort();
        return 0;
    }
    size_t len;
    char *enc = queue_message_encode(&m, &len);
    if (!enc || queue_message_parse(enc, len, &again, &err) < 0)
        abort();
    same(&m, &again);
    free(enc);
    queue_message_free(&m);
    queue_message_free(&again);
    return 0;
}
