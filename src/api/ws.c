#include <stdlib.h>
#include <string.h>

#include "ws.h"

/* ---- SHA-1 (FIPS 180-4): only for the handshake's accept key ---- */

static uint32_t rol(uint32_t x, int n)
{
    return (x << n) | (x >> (32 - n));
}

static void sha1_block(uint32_t h[5], const uint8_t *p)
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999;
        else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1;
        else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
        else f = b ^ c ^ d, k = 0xCA62C1D6;
        uint32_t t = rol(a, 5) + f + e + k + w[i];
        e = d, d = c, c = rol(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

void ws_sha1(const void *data, size_t len, uint8_t out[20])
{
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    const uint8_t *p = data;
    size_t left = len;
    while (left >= 64) {
        sha1_block(h, p);
        p += 64, left -= 64;
    }
    uint8_t tail[128] = {0};
    memcpy(tail, p, left);
    tail[left] = 0x80;
    size_t tlen = left < 56 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++)
        tail[tlen - 1 - i] = (uint8_t)(bits >> (8 * i));
    sha1_block(h, tail);
    if (tlen == 128)
        sha1_block(h, tail + 64);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++)
            out[4 * i + j] = (uint8_t)(h[i] >> (24 - 8 * j));
}

int ws_accept_key(const char *client_key, char out[29])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t klen = strlen(client_key);
    /* The key is 16 random bytes in base64: 24 characters. */
    if (klen != 24)
        return -1;
    char buf[24 + sizeof guid];
    memcpy(buf, client_key, klen);
    memcpy(buf + klen, guid, sizeof guid - 1);
    uint8_t d[21] = {0};
    ws_sha1(buf, klen + sizeof guid - 1, d);
    /* base64 of 20 bytes: 7 groups of 3 (the last padded). */
    size_t o = 0;
    for (size_t i = 0; i < 21; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = b64[(v >> 6) & 63];
        out[o++] = b64[v & 63];
    }
    out[27] = '=';
    out[28] = '\0';
    return 0;
}

/* ---- frames ---- */

long ws_parse_frame(uint8_t *buf, size_t len, size_t max, ws_frame_t *f)
{
    if (len < 2)
        return 0;
    int fin = buf[0] >> 7, rsv = (buf[0] >> 4) & 7, op = buf[0] & 0x0F;
    int masked = buf[1] >> 7;
    uint64_t plen = buf[1] & 0x7F;
    size_t hdr = 2;
    if (rsv)
        return -WS_CLOSE_PROTOCOL; /* no extension was negotiated */
    if (op != WS_OP_CONT && op != WS_OP_TEXT && op != WS_OP_BINARY && op != WS_OP_CLOSE && op != WS_OP_PING &&
        op != WS_OP_PONG)
        return -WS_CLOSE_PROTOCOL;
    if (!masked)
        return -WS_CLOSE_PROTOCOL; /* clients must mask (RFC 6455 5.1) */
    if (op >= WS_OP_CLOSE && (!fin || plen > 125))
        return -WS_CLOSE_PROTOCOL;
    if (plen == 126) {
        if (len < 4)
            return 0;
        plen = (uint64_t)buf[2] << 8 | buf[3];
        hdr = 4;
        if (plen < 126)
            return -WS_CLOSE_PROTOCOL; /* not the minimal encoding */
    } else if (plen == 127) {
        if (len < 10)
            return 0;
        plen = 0;
        for (int i = 0; i < 8; i++)
            plen = plen << 8 | buf[2 + i];
        hdr = 10;
        if (plen >> 63 || plen < 65536)
            return -WS_CLOSE_PROTOCOL;
    }
    if (plen > max)
        return -WS_CLOSE_TOO_BIG;
    if (len < hdr + 4 || len - hdr - 4 < plen)
        return 0;
    const uint8_t *mask = buf + hdr;
    uint8_t *p = buf + hdr + 4;
    for (uint64_t i = 0; i < plen; i++)
        p[i] ^= mask[i & 3];
    f->fin = fin;
    f->opcode = op;
    f->payload = p;
    f->len = (size_t)plen;
    return (long)(hdr + 4 + plen);
}

size_t ws_encode_frame(int opcode, const void *payload, size_t len, uint8_t *out, size_t cap)
{
    size_t hdr = len < 126 ? 2 : len < 65536 ? 4 : 10;
    if (cap < hdr || cap - hdr < len)
        return 0;
    out[0] = (uint8_t)(0x80 | (opcode & 0x0F));
    if (len < 126) {
        out[1] = (uint8_t)len;
    } else if (len < 65536) {
        out[1] = 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
    } else {
        out[1] = 127;
        for (int i = 0; i < 8; i++)
            out[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    }
    if (len)
        memcpy(out + hdr, payload, len);
    return hdr + len;
}

/* ---- messages ---- */

/* Valid UTF-8 (no overlongs, surrogates or values over U+10FFFF)? */
static int utf8_ok(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        size_t k;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0) k = 2, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0) k = 3, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0) k = 4, cp = c & 0x07, min = 0x10000;
        else return 0;
        if (n - i < k)
            return 0;
        for (size_t j = 1; j < k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += k;
    }
    return 1;
}

int ws_message_add(ws_message_t *m, const ws_frame_t *f)
{
    if (f->opcode == WS_OP_CONT) {
        if (!m->opcode)
            return -WS_CLOSE_PROTOCOL;
    } else {
        if (m->opcode)
            return -WS_CLOSE_PROTOCOL; /* a new message before the last one ended */
        m->opcode = f->opcode;
        m->len = 0;
    }
    if (f->len > m->max || m->len > m->max - f->len)
        return -WS_CLOSE_TOO_BIG;
    if (m->len + f->len > m->cap) {
        size_t ncap = m->cap ? m->cap : 256;
        while (ncap < m->len + f->len)
            ncap *= 2;
        uint8_t *nd = realloc(m->data, ncap + 1);
        if (!nd)
            return -WS_CLOSE_TOO_BIG;
        m->data = nd;
        m->cap = ncap;
    }
    if (f->len)
        memcpy(m->data + m->len, f->payload, f->len);
    m->len += f->len;
    if (!f->fin)
        return 0;
    if (m->opcode == WS_OP_TEXT && !utf8_ok(m->data, m->len))
        return -WS_CLOSE_INVALID_DATA;
    if (m->data)
        m->data[m->len] = '\0';
    return 1;
}

void ws_message_reset(ws_message_t *m)
{
    m->len = 0;
    m->opcode = 0;
}

void ws_message_free(ws_message_t *m)
{
    free(m->data);
    m->data = NULL;
    m->len = m->cap = 0;
    m->opcode = 0;
}
