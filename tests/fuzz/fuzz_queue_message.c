/* libFuzzer target for the queue message parser (make fuzz). Checks, for
 * any input: no crash, leak or undefined behaviour (ASan+UBSan), and that
 * whatever parses encodes to a message that parses to the same fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "queue/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    queue_message_t m, again;
    nsj_error_t err;
    if (queue_message_parse((const char *)data, size, &m, &err) < 0) {
        if (!err.msg[0])
            abort();
        return 0;
    }
    size_t len;
    char *enc = queue_message_encode(&m, &len);
    if (!enc || queue_message_parse(enc, len, &again, &err) < 0)
        abort();
    if (strcmp(m.submission_id, again.submission_id) || m.enqueued_ms != again.enqueued_ms)
        abort();
    free(enc);
    return 0;
}
