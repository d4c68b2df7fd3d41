/* Text helpers for results: program output is bytes, JSON wants UTF-8. */
#ifndef NSJ_TEXT_H
#define NSJ_TEXT_H

#include <stddef.h>

/* Copy len bytes into a new NUL-terminated buffer of valid UTF-8: each
 * invalid or truncated sequence becomes U+FFFD; NUL bytes are kept
 * (JSON encodes them as \u0000). *outlen gets the new length. */
char *text_utf8_sanitize(const char *in, size_t len, size_t *outlen);

#endif
