/* libFuzzer target: WebSocket frame parsing and message reassembly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    ws_message_t m = {.max = 4096};
    size_t off = 0;
    while (off < size) {
        ws_frame_t f;
        long r = ws_parse_frame(buf + off, size - off, 4096, &f);
        if (r <= 0)
            break;
        off += (size_t)r;
        if (f.opcode < WS_OP_CLOSE) {
            int k = ws_message_add(&m, &f);
            if (k != 0)
                ws_message_reset(&m);
        }
    }
    ws_message_free(&m);
    free(buf);
    return 0;
}
