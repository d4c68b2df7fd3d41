/* Output comparison rule
 * ----------------------
 * Split both texts into lines at '\n'; strip trailing whitespace (spaces,
 * tabs, '\r') from each line; drop trailing empty lines; then compare the
 * remaining lines exactly, byte for byte.
 *
 * So "4\n" matches "4", "4  \r\n\n\n" and "4\t"; it does not match " 4",
 * "4\n0" or "4\n \nx". Leading whitespace, blank lines between other lines,
 * case and every other byte count. A program printing nothing matches only
 * an expected output made of whitespace and newlines. Why this rule: it
 * forgives what editors and platforms add invisibly (trailing spaces, CRLF,
 * a missing or an extra final newline) and nothing a reader would see. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compare.h"

/* The rule is applied as a stream: each side is turned into its normal
 * form (trailing blanks of each line and trailing blank lines removed)
 * a byte at a time, and the two forms are compared. The expected output is
 * a file of any size (test data): it is read through a small buffer, never
 * whole. A run of blanks and newlines is looked at twice (to learn whether
 * it ends the line or the text, then to give out the blanks that stay), so
 * a file is read with pread at offsets. */

static bool blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

typedef struct src {
    const char *mem;             /* or fd */
    int fd;
    uint64_t len;
    char buf[16384];
    uint64_t boff;
    size_t blen;
} src_t;

/* The byte at pos (< len), or -1 when the file cannot be read. */
static int at(src_t *s, uint64_t pos)
{
    if (s->mem)
        return (unsigned char)s->mem[pos];
    if (pos < s->boff || pos >= s->boff + s->blen) {
        ssize_t n = pread(s->fd, s->buf, sizeof s->buf, (off_t)pos);
        if (n <= 0)
            return -1;
        s->boff = pos;
        s->blen = (size_t)n;
    }
    return (unsigned char)s->buf[pos - s->boff];
}

enum { END = -1, READ_ERROR = -2 };

typedef struct norm {
    src_t *s;
    uint64_t pos;                /* next byte of the source */
    uint64_t nl;                 /* newlines still to give out */
    uint64_t bl_from, bl_to;     /* then these source bytes (blanks before content) */
} norm_t;

/* The next byte of the normal form, END, or READ_ERROR. */
static int next(norm_t *n)
{
    for (;;) {
        if (n->nl) {
            n->nl--;
            return '\n';
        }
        if (n->bl_from < n->bl_to) {
            int c = at(n->s, n->bl_from++);
            return c < 0 ? READ_ERROR : c;
        }
        if (n->pos >= n->s->len)
            return END;
        int c = at(n->s, n->pos);
        if (c < 0)
            return READ_ERROR;
        if (!blank(c) && c != '\n') {
            n->pos++;
            return c;
        }
        /* A run of blanks and newlines: dropped at the end of the text;
         * before content, its newlines stay and so do the blanks after
         * its last newline (they lead the next line). */
        uint64_t e = n->pos, after_nl = n->pos, nls = 0;
        for (; e < n->s->len; e++) {
            if ((c = at(n->s, e)) < 0)
                return READ_ERROR;
            if (c == '\n') {
                nls++;
                after_nl = e + 1;
            } else if (!blank(c)) {
                break;
            }
        }
        if (e == n->s->len) {
            n->pos = e;
            return END;
        }
        n->nl = nls;
        n->bl_from = nls ? after_nl : n->pos;
        n->bl_to = e;
        n->pos = e;
    }
}

/* The first differing line (1-based), 0 when equal, or -1 on a read error. */
static long long diff(src_t *got, src_t *want)
{
    norm_t a = {.s = got}, b = {.s = want};
    long long line = 1;
    for (;;) {
        int x = next(&a), y = next(&b);
        if (x == READ_ERROR || y == READ_ERROR)
            return -1;
        if (x != y)
            return (x == '\n' && y == END) || (y == '\n' && x == END) ? line + 1 : line;
        if (x == END)
            return 0;
        if (x == '\n')
            line++;
    }
}

size_t judge_output_diff_line(const char *got, size_t got_len, const char *want, size_t want_len)
{
    src_t g = {.mem = got ? got : "", .len = got ? got_len : 0};
    src_t w = {.mem = want ? want : "", .len = want ? want_len : 0};
    return (size_t)diff(&g, &w);
}

bool judge_output_matches(const char *got, size_t got_len, const char *want, size_t want_len)
{
    return judge_output_diff_line(got, got_len, want, want_len) == 0;
}

int judge_output_diff_line_fd(const char *got, size_t got_len, int want_fd, size_t *line)
{
    struct stat st;
    if (fstat(want_fd, &st) < 0)
        return -1;
    src_t g = {.mem = got ? got : "", .len = got ? got_len : 0};
    src_t *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    *w = (src_t){.fd = want_fd, .len = (uint64_t)st.st_size};
    long long d = diff(&g, w);
    free(w);
    if (d < 0)
        return -1;
    *line = (size_t)d;
    return 0;
}
