#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

#include "util.h"

void util_freep(void *p)
{
    free(*(void **)p);
}

void util_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
    *fd = -1;
}

int util_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* One write() of s (cgroup files want one per value), at offset 0
 * (positional: a kept kernfs file) or where the file is (a /proc map file
 * takes no pwrite). */
static int write_once(int fd, const char *name, const char *s, int positional, nsj_error_t *err)
{
    size_t len = strlen(s);
    ssize_t n;
    do
        n = positional ? pwrite(fd, s, len, 0) : write(fd, s, len);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return nsj_error_set(err, errno, "write %s=%s", name, s);
    if ((size_t)n != len)
        return nsj_error_set(err, EIO, "short write %s", name);
    return 0;
}

int util_write_fd(int fd, const char *name, const char *s, nsj_error_t *err)
{
    return write_once(fd, name, s, 1, err);
}

int util_write_file_at(int dirfd, const char *name, const char *s, nsj_error_t *err)
{
    cleanup_close int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return nsj_error_set(err, errno, "open %s", name);
    return write_once(fd, name, s, 0, err);
}

/* Up to cap-1 bytes of fd, from offset 0 (positional) or from where it is. */
static ssize_t read_all(int fd, char *buf, size_t cap, int positional)
{
    size_t len = 0;
    while (len + 1 < cap) {
        ssize_t n = positional ? pread(fd, buf + len, cap - 1 - len, (off_t)len) : read(fd, buf + len, cap - 1 - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return (ssize_t)len;
}

ssize_t util_pread_all(int fd, char *buf, size_t cap)
{
    return read_all(fd, buf, cap, 1);
}

ssize_t util_read_file_at(int dirfd, const char *name, char *buf, size_t cap)
{
    cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    return read_all(fd, buf, cap, 0);
}

int util_read_whole_file(const char *path, size_t max, char **out, size_t *lenp, nsj_error_t *err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return nsj_error_set(err, errno, "open %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return nsj_error_set(err, errno, "stat %s", path);
    if (!S_ISREG(st.st_mode))
        return nsj_error_set(err, EINVAL, "%s is not a regular file", path);
    if ((uint64_t)st.st_size > max)
        return nsj_error_set(err, EFBIG, "%s is larger than %zu bytes", path, max);
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return nsj_error_set(err, ENOMEM, "read %s", path);
    for (;;) {
        if (len + 1 == cap) {
            if (cap > max) {
                free(buf);
                return nsj_error_set(err, EFBIG, "%s is larger than %zu bytes", path, max);
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return nsj_error_set(err, ENOMEM, "read %s", path);
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            return nsj_error_set(err, e, "read %s", path);
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *out = buf;
    if (lenp)
        *lenp = len;
    return 0;
}

int util_kv_u64(const char *text, const char *key, uint64_t *out)
{
    size_t klen = strlen(key);
    for (const char *line = text; line && *line;) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(line + klen + 1, &end, 10);
            if (errno || end == line + klen + 1)
                return -1;
            *out = v;
            return 0;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return -1;
}

int util_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Parse "I[.F]" into value * 10^scale (scale digits of fraction kept, rest
 * must be zero-free of meaning: extra digits are truncated). */
static int parse_fixed(const char *s, unsigned scale, uint64_t max, uint64_t *out, const char **rest)
{
    if (!s || !isdigit((unsigned char)*s))
        return -1;
    uint64_t ip = 0;
    const char *p = s;
    while (isdigit((unsigned char)*p)) {
        if (ip > (UINT64_MAX - 9) / 10)
            return -1;
        ip = ip * 10 + (uint64_t)(*p - '0');
        p++;
    }
    uint64_t mult = 1;
    for (unsigned i = 0; i < scale; i++)
        mult *= 10;
    if (ip > max / mult)
        return -1;
    uint64_t frac = 0, fm = mult;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p)) {
            if (fm > 1) {
                fm /= 10;
                frac += (uint64_t)(*p - '0') * fm;
            }
            p++;
        }
    }
    uint64_t v = ip * mult + frac;
    if (v > max)
        return -1;
    *out = v;
    *rest = p;
    return 0;
}

int util_parse_size(const char *s, uint64_t *out)
{
    /* Thousandths, so "1.5m" means 1.5 MiB; a fraction of a byte is dropped. */
    uint64_t v;
    const char *rest;
    if (parse_fixed(s, 3, UINT64_MAX / 1000, &v, &rest) < 0)
        return -1;
    uint64_t mult = 1;
    switch (*rest) {
    case '\0': break;
    case 'k': case 'K': mult = 1ULL << 10; rest++; break;
    case 'm': case 'M': mult = 1ULL << 20; rest++; break;
    case 'g': case 'G': mult = 1ULL << 30; rest++; break;
    default: return -1;
    }
    if (*rest == 'b' || *rest == 'B')
        rest++;
    if (*rest != '\0')
        return -1;
    if (v > UINT64_MAX / mult)
        return -1;
    *out = v * mult / 1000;
    return 0;
}

int util_parse_seconds_ms(const char *s, uint64_t *out)
{
    const char *rest;
    uint64_t v;
    /* At most ~1 year: anything larger is a typo, not a limit. */
    if (parse_fixed(s, 3, 366ULL * 24 * 3600 * 1000, &v, &rest) < 0)
        return -1;
    if (*rest == 's')
        rest++;
    if (*rest != '\0')
        return -1;
    *out = v;
    return 0;
}

int util_parse_millis(const char *s, uint32_t *out)
{
    const char *rest;
    uint64_t v;
    if (parse_fixed(s, 3, 1000ULL * 4096, &v, &rest) < 0 || *rest != '\0')
        return -1;
    *out = (uint32_t)v;
    return 0;
}

uint64_t util_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t util_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *b = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int r = (flag == FTW_DP) ? rmdir(path) : unlink(path);
    return (r < 0 && errno != ENOENT) ? -1 : 0;
}

int util_rm_rf(const char *path)
{
    return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

int util_copy_tree(int src, int dst, nsj_error_t *err)
{
    int dfd = dup(src);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return nsj_error_set(err, errno, "copy: read the build directory");
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(src, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            rc = nsj_error_set(err, errno, "copy: stat %s", e->d_name);
        } else if (S_ISDIR(st.st_mode)) {
            int s2 = -1, d2 = -1;
            if (mkdirat(dst, e->d_name, 0755) < 0 ||
                (s2 = openat(src, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
                (d2 = openat(dst, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fchmod(d2, 0755) < 0)
                rc = nsj_error_set(err, errno, "copy: directory %s", e->d_name);
            else
                rc = util_copy_tree(s2, d2, err);
            if (s2 >= 0)
                close(s2);
            if (d2 >= 0)
                close(d2);
        } else if (S_ISREG(st.st_mode)) {
            int in = openat(src, e->d_name, O_RDONLY | O_CLOEXEC);
            int o = in < 0 ? -1
                           : openat(dst, e->d_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                                    (st.st_mode & 0111) ? 0755 : 0644);
            char buf[65536];
            ssize_t n = 0;
            /* The modes the doc promises, whatever the umask. */
            bool ok = o >= 0 && fchmod(o, (st.st_mode & 0111) ? 0755 : 0644) == 0;
            while (ok && (n = read(in, buf, sizeof buf)) > 0)
                ok = util_write_all(o, buf, (size_t)n) == 0;
            if (!ok || n < 0)
                rc = nsj_error_set(err, errno, "copy: copy %s", e->d_name);
            if (in >= 0)
                close(in);
            if (o >= 0 && close(o) < 0 && rc == 0)
                rc = nsj_error_set(err, errno, "copy: copy %s", e->d_name);
        }
    }
    closedir(d);
    return rc;
}

void util_utc_iso8601(char *out, size_t cap)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, cap, "%.19s.%03dZ", stamp, (int)(tv.tv_usec / 1000) % 1000);
}

void util_sb_add(util_sbuf_t *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = b->oom ? -1 : vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if (b->p && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap ? b->cap * 2 : 1024) + (size_t)n;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
}
