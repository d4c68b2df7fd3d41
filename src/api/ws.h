/* WebSocket (RFC 6455), the parts a server needs: the handshake's accept
 * key, frame parsing (client frames, masked), frame encoding (server
 * frames, unmasked) and reassembly of fragmented messages. Pure functions
 * over bytes: unit-tested and fuzzed without a socket. */
#ifndef NSJ_WS_H
#define NSJ_WS_H

#include <stddef.h>
#include <stdint.h>

enum {
    WS_OP_CONT = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA,
};

/* Close codes (RFC 6455 7.4.1). */
enum {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL = 1002,
    WS_CLOSE_INVALID_DATA = 1007,
    WS_CLOSE_POLICY = 1008,
    WS_CLOSE_TOO_BIG = 1009,
};

typedef struct ws_frame {
    int fin;
    int opcode;
    const uint8_t *payload;   /* points into the caller's buffer, unmasked in place */
    size_t len;
} ws_frame_t;

/* Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (out: 28 chars + NUL). */
int ws_accept_key(const char *client_key, char out[29]);

/* SHA-1 of len bytes (out: 20 bytes); exported for tests. */
void ws_sha1(const void *data, size_t len, uint8_t out[20]);

/* Parse one client frame at buf (unmasking its payload in place). Returns
 * the bytes it used (> 0), 0 when more bytes are needed, or a negated close
 * code when the frame breaks the protocol (unmasked, reserved bits, a
 * control frame over 125 bytes or fragmented, a payload over max). */
long ws_parse_frame(uint8_t *buf, size_t len, size_t max, ws_frame_t *f);

/* Encode a server frame (FIN set, unmasked) into out; returns its length,
 * or 0 when cap is too small. A frame header is at most 10 bytes. */
size_t ws_encode_frame(int opcode, const void *payload, size_t len, uint8_t *out, size_t cap);

/* Reassembly of a message from a data frame and its continuations. */
typedef struct ws_message {
    uint8_t *data;
    size_t len, cap, max;
    int opcode;               /* WS_OP_TEXT or WS_OP_BINARY; 0 = none in progress */
} ws_message_t;

/* Add a data frame (not control). Returns 1 when a whole message is ready
 * (m->data/m->len, opcode m->opcode; call ws_message_reset after use), 0
 * when more fragments are due, or a negated close code: a continuation
 * with nothing to continue, a new message inside one, over max bytes,
 * a text message that is not valid UTF-8. */
int ws_message_add(ws_message_t *m, const ws_frame_t *f);
void ws_message_reset(ws_message_t *m);
void ws_message_free(ws_message_t *m);

#endif
