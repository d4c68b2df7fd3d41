/* SHA-256 through OpenSSL's libcrypto (EVP): the content hash that names
 * test data (blobs) everywhere, as 64 lower-case hex digits. */
#ifndef NSJ_HASH_H
#define NSJ_HASH_H

#include <stdbool.h>
#include <stddef.h>

#define HASH_HEX_LEN 64

typedef struct hash_sha256 {
    void *ctx;                   /* EVP_MD_CTX */
} hash_sha256_t;

/* Start a hash; <0 when out of memory. */
int hash_sha256_init(hash_sha256_t *h);

/* Add bytes; <0 on failure. */
int hash_sha256_update(hash_sha256_t *h, const void *data, size_t len);

/* Finish (and free) the hash into hex; <0 on failure. Safe to call after a failure. */
int hash_sha256_final(hash_sha256_t *h, char hex[HASH_HEX_LEN + 1]);

/* The hash of one buffer; <0 on failure. */
int hash_sha256_hex(const void *data, size_t len, char hex[HASH_HEX_LEN + 1]);

/* Is s 64 lower-case hex digits? */
bool hash_hex_valid(const char *s);

#endif
