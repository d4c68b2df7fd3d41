#include <openssl/evp.h>
#include <string.h>

#include "common/hash.h"

int hash_sha256_init(hash_sha256_t *h)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(c);
        h->ctx = NULL;
        return -1;
    }
    h->ctx = c;
    return 0;
}

int hash_sha256_update(hash_sha256_t *h, const void *data, size_t len)
{
    return h->ctx && EVP_DigestUpdate(h->ctx, data, len) == 1 ? 0 : -1;
}

int hash_sha256_final(hash_sha256_t *h, char hex[HASH_HEX_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int ok = h->ctx && EVP_DigestFinal_ex(h->ctx, md, &n) == 1 && n == HASH_HEX_LEN / 2;
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
    if (!ok)
        return -1;
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[HASH_HEX_LEN] = '\0';
    return 0;
}

int hash_sha256_hex(const void *data, size_t len, char hex[HASH_HEX_LEN + 1])
{
    hash_sha256_t h;
    if (hash_sha256_init(&h) < 0)
        return -1;
    if (hash_sha256_update(&h, data, len) < 0) {
        hash_sha256_final(&h, hex);
        return -1;
    }
    return hash_sha256_final(&h, hex);
}

bool hash_hex_valid(const char *s)
{
    if (!s || strlen(s) != HASH_HEX_LEN)
        return false;
    return strspn(s, "0123456789abcdef") == HASH_HEX_LEN;
}
