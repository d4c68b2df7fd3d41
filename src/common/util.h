/* Small helpers shared by every layer: auto-cleanup attributes, whole-file
 * reads and writes, size and time parsing. */
#ifndef NSJ_UTIL_H
#define NSJ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "nsjudge/error.h"

void util_freep(void *p);
void util_closep(int *fd);

#define cleanup_free __attribute__((cleanup(util_freep)))
#define cleanup_close __attribute__((cleanup(util_closep)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Write all of buf to fd, retrying on EINTR and short writes; <0 on error. */
int util_write_all(int fd, const void *buf, size_t len);

/* Write a string to dirfd/name (O_WRONLY, no create); <0 + err on failure. */
int util_write_file_at(int dirfd, const char *name, const char *s, nsj_error_t *err);
/* The same through an open fd (a kept cgroup file), at offset 0; name is for the error. */
int util_write_fd(int fd, const char *name, const char *s, nsj_error_t *err);
/* Up to cap-1 bytes of fd from offset 0 into buf (NUL-terminated): a kept
 * cgroup or kernfs file reads anew; returns length or <0. */
ssize_t util_pread_all(int fd, char *buf, size_t cap);

/* Read up to cap-1 bytes of dirfd/name into buf (NUL-terminated); returns length or <0. */
ssize_t util_read_file_at(int dirfd, const char *name, char *buf, size_t cap);

/* Read a whole file into a new NUL-terminated buffer (max bytes); <0 + err. */
int util_read_whole_file(const char *path, size_t max, char **out, size_t *len, nsj_error_t *err);

/* Find "key value" in a key/value text (cgroup stat files); returns 0 and
 * the value, or <0 when the key is absent. */
int util_kv_u64(const char *text, const char *key, uint64_t *out);

/* Parse "256", "64k", "256m", "1g" (binary units) into bytes; <0 when invalid. */
int util_parse_size(const char *s, uint64_t *out);

/* Parse "2", "0.5", "1.25" seconds into milliseconds; <0 when invalid. */
int util_parse_seconds_ms(const char *s, uint64_t *out);

/* Parse a decimal fraction such as "0.5" into thousandths (500); <0 when invalid. */
int util_parse_millis(const char *s, uint32_t *out);

/* Parse a non-negative decimal integer that fits in max; <0 when invalid. */
int util_parse_u64(const char *s, uint64_t max, uint64_t *out);

/* Monotonic clock in nanoseconds. */
uint64_t util_now_ns(void);

/* FNV-1a (64-bit) of len bytes, from h: UTIL_FNV1A_BASIS to start, or an
 * earlier result to go on. For names and table keys, not a defence against
 * chosen inputs. */
#define UTIL_FNV1A_BASIS 0xcbf29ce484222325ULL
uint64_t util_fnv1a(uint64_t h, const void *data, size_t len);

/* The current UTC time as ISO 8601 with milliseconds ("2026-01-02T03:04:05.678Z"; cap >= 32). */
void util_utc_iso8601(char *out, size_t cap);

/* Remove a directory tree (no symlink following); <0 on error. */
int util_rm_rf(const char *path);

/* Copy the tree under directory fd src into directory fd dst: directories
 * 0755, files 0755 when executable else 0644; symlinks and other kinds are
 * left out (a compiler's artefacts are files and directories). */
int util_copy_tree(int src, int dst, nsj_error_t *err);

/* A growing text (SQL, a metrics page): util_sb_add appends printf-style;
 * oom is set (and the text unusable) if memory ran out. {0} is empty. */
typedef struct util_sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} util_sbuf_t;
void util_sb_add(util_sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
