/* Unit tests: WebSocket framing, accept key, message reassembly (RFC 6455
 * examples where it gives them), plus random input that must never crash. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api/ws.h"

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void sha1_vectors(void **state)
{
    (void)state;
    uint8_t d[20];
    char h[41];
    ws_sha1("abc", 3, d), hex(d, 20, h);
    assert_string_equal(h, "a9993e364706816aba3e25717850c26c9cd0d89d");
    ws_sha1("", 0, d), hex(d, 20, h);
    assert_string_equal(h, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"; /* 56 bytes: a second block */
    ws_sha1(two, strlen(two), d), hex(d, 20, h);
    assert_string_equal(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

static void accept_key(void **state)
{
    (void)state;
    char out[29];
    assert_int_equal(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out), 0); /* RFC 6455 1.3 */
    assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_int_equal(ws_accept_key("short", out), -1);
}

/* Mask a frame as a client would. */
static size_t client_frame(int fin, int op, const char *payload, size_t len, uint8_t *out)
{
    static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    size_t n = 0;
    out[n++] = (uint8_t)((fin ? 0x80 : 0) | op);
    if (len < 126) {
        out[n++] = (uint8_t)(0x80 | len);
    } else if (len < 65536) {
        out[n++] = 0x80 | 126;
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
    } else {
        out[n++] = 0x80 | 127;
        for (int i = 0; i < 8; i++)
            out[n++] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    }
    memcpy(out + n, mask, 4);
    n += 4;
    for (size_t i = 0; i < len; i++)
        out[n + i] = (uint8_t)(payload[i] ^ mask[i & 3]);
    return n + len;
}

static void parse_frames(void **state)
{
    (void)state;
    /* RFC 6455 5.7: a single-frame masked text message "Hello". */
    uint8_t hello[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    ws_frame_t f;
    for (size_t cut = 0; cut < sizeof hello; cut++) {
        uint8_t copy[sizeof hello];
        memcpy(copy, hello, sizeof hello);
        assert_int_equal(ws_parse_frame(copy, cut, 1024, &f), 0); /* needs more */
    }
    assert_int_equal(ws_parse_frame(hello, sizeof hello, 1024, &f), (long)sizeof hello);
    assert_int_equal(f.opcode, WS_OP_TEXT);
    assert_true(f.fin);
    assert_int_equal(f.len, 5);
    assert_memory_equal(f.payload, "Hello", 5);

    /* Unmasked client frames, reserved bits, bad opcodes, big control frames. */
    uint8_t unmasked[] = {0x81, 0x05, 'H', 'e', 'l', 'l', 'o'};
    assert_int_equal(ws_parse_frame(unmasked, sizeof unmasked, 1024, &f), -WS_CLOSE_PROTOCOL);
    uint8_t buf[70000];
    size_t n = client_frame(1, WS_OP_TEXT, "x", 1, buf);
    buf[0] |= 0x40;
    assert_int_equal(ws_parse_frame(buf, n, 1024, &f), -WS_CLOSE_PROTOCOL);
    n = client_frame(1, 0x3, "x", 1, buf);
    assert_int_equal(ws_parse_frame(buf, n, 1024, &f), -WS_CLOSE_PROTOCOL);
    char big[70000];
    memset(big, 'p', sizeof big);
    n = client_frame(1, WS_OP_PING, big, 126, buf);
    assert_int_equal(ws_parse_frame(buf, n, 1024, &f), -WS_CLOSE_PROTOCOL);
    n = client_frame(0, WS_OP_PING, "p", 1, buf);
    assert_int_equal(ws_parse_frame(buf, n, 1024, &f), -WS_CLOSE_PROTOCOL); /* fragmented control */

    /* 16- and 64-bit lengths, and the size cap. */
    n = client_frame(1, WS_OP_BINARY, big, 300, buf);
    assert_int_equal(ws_parse_frame(buf, n, 1024, &f), (long)n);
    assert_int_equal(f.len, 300);
    assert_memory_equal(f.payload, big, 300);
    n = client_frame(1, WS_OP_BINARY, big, 66000, buf);
    assert_int_equal(ws_parse_frame(buf, n, 70000, &f), (long)n);
    assert_int_equal(f.len, 66000);
    n = client_frame(1, WS_OP_BINARY, big, 66000, buf);
    assert_int_equal(ws_parse_frame(buf, n, 65536, &f), -WS_CLOSE_TOO_BIG);
    /* A 16-bit length field holding a small value is not minimal. */
    uint8_t nonmin[] = {0x82, 0x80 | 126, 0x00, 0x05, 1, 2, 3, 4, 'a', 'b', 'c', 'd', 'e'};
    assert_int_equal(ws_parse_frame(nonmin, sizeof nonmin, 1024, &f), -WS_CLOSE_PROTOCOL);
}

static void encode_frames(void **state)
{
    (void)state;
    uint8_t out[70000];
    assert_int_equal(ws_encode_frame(WS_OP_TEXT, "Hello", 5, out, sizeof out), 7);
    assert_memory_equal(out, "\x81\x05Hello", 7);
    char p[66000];
    memset(p, 'z', sizeof p);
    assert_int_equal(ws_encode_frame(WS_OP_BINARY, p, 256, out, sizeof out), 260);
    assert_memory_equal(out, "\x82\x7e\x01\x00", 4);
    assert_int_equal(ws_encode_frame(WS_OP_BINARY, p, 66000, out, sizeof out), 66010);
    assert_memory_equal(out, "\x82\x7f\x00\x00\x00\x00\x00\x01\x01\xd0", 10);
    assert_int_equal(ws_encode_frame(WS_OP_TEXT, p, 300, out, 100), 0); /* too small */
}

static void messages(void **state)
{
    (void)state;
    ws_message_t m = {.max = 16};
    uint8_t buf[64];
    ws_frame_t f;
    /* RFC 6455 5.7: "Hel" then "lo" as a continuation. */
    size_t n = client_frame(0, WS_OP_TEXT, "Hel", 3, buf);
    assert_int_equal(ws_parse_frame(buf, n, 64, &f), (long)n);
    assert_int_equal(ws_message_add(&m, &f), 0);
    n = client_frame(1, WS_OP_CONT, "lo", 2, buf);
    assert_int_equal(ws_parse_frame(buf, n, 64, &f), (long)n);
    assert_int_equal(ws_message_add(&m, &f), 1);
    assert_int_equal(m.opcode, WS_OP_TEXT);
    assert_string_equal((char *)m.data, "Hello");
    ws_message_reset(&m);

    /* A continuation with nothing to continue; a new message inside one. */
    n = client_frame(1, WS_OP_CONT, "x", 1, buf);
    ws_parse_frame(buf, n, 64, &f);
    assert_int_equal(ws_message_add(&m, &f), -WS_CLOSE_PROTOCOL);
    n = client_frame(0, WS_OP_TEXT, "a", 1, buf);
    ws_parse_frame(buf, n, 64, &f);
    assert_int_equal(ws_message_add(&m, &f), 0);
    n = client_frame(1, WS_OP_TEXT, "b", 1, buf);
    ws_parse_frame(buf, n, 64, &f);
    assert_int_equal(ws_message_add(&m, &f), -WS_CLOSE_PROTOCOL);
    ws_message_reset(&m);

    /* Too big across fragments; invalid UTF-8 text. */
    n = client_frame(0, WS_OP_BINARY, "0123456789", 10, buf);
    ws_parse_frame(buf, n, 64, &f);
    assert_int_equal(ws_message_add(&m, &f), 0);
    n = client_frame(1, WS_OP_CONT, "0123456789", 10, buf);
    ws_parse_frame(buf, n, 64, &f);
    assert_int_equal(ws_message_add(&m, &f), -WS_CLOSE_TOO_BIG);
    ws_message_reset(&m);
    n = client_frame(1, WS_OP_TEXT, "\xc3\x28", 2, buf);
    ws_parse_frame(buf, n, 64, &f);
    assert_int_equal(ws_message_add(&m, &f), -WS_CLOSE_INVALID_DATA);
    ws_message_free(&m);
}

/* Random bytes: the parser answers "more", an error, or a frame that fits
 * in what it was given — never anything else, never a crash. */
static void random_input(void **state)
{
    (void)state;
    srand(7);
    uint8_t buf[512];
    for (int round = 0; round < 200000; round++) {
        size_t n = (size_t)(rand() % (int)sizeof buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)rand();
        if (n && (rand() & 1))
            buf[1] |= 0x80; /* masked, to reach deeper */
        ws_frame_t f;
        long r = ws_parse_frame(buf, n, 256, &f);
        if (r > 0) {
            assert_true((size_t)r <= n);
            assert_true(f.len <= 256);
            assert_true(f.payload >= buf && f.payload + f.len <= buf + n);
        } else {
            assert_true(r == 0 || r == -WS_CLOSE_PROTOCOL || r == -WS_CLOSE_TOO_BIG);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha1_vectors), cmocka_unit_test(accept_key), cmocka_unit_test(parse_frames),
        cmocka_unit_test(encode_frames), cmocka_unit_test(messages), cmocka_unit_test(random_input),
    };
    return cmocka_run_group_tests_name("websocket", tests, NULL, NULL);
}
