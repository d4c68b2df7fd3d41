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
#include <string.h>

#include "compare.h"

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Length of the prefix that ends with the last byte that is neither
 * whitespace nor a newline: what is left once trailing blank lines and the
 * last line's trailing whitespace are dropped. */
static size_t content_len(const char *s, size_t len)
{
    while (len > 0 && (blank(s[len - 1]) || s[len - 1] == '\n'))
        len--;
    return len;
}

size_t judge_output_diff_line(const char *got, size_t got_len, const char *want, size_t want_len)
{
    if (!got)
        got = "", got_len = 0;
    if (!want)
        want = "", want_len = 0;
    got_len = content_len(got, got_len);
    want_len = content_len(want, want_len);
    size_t g = 0, w = 0;
    for (size_t line = 1;; line++) {
        const char *ge = memchr(got + g, '\n', got_len - g), *we = memchr(want + w, '\n', want_len - w);
        size_t gl = (ge ? (size_t)(ge - got) : got_len) - g, wl = (we ? (size_t)(we - want) : want_len) - w;
        size_t gt = gl, wt = wl;
        while (gt > 0 && blank(got[g + gt - 1]))
            gt--;
        while (wt > 0 && blank(want[w + wt - 1]))
            wt--;
        if (gt != wt || memcmp(got + g, want + w, gt) != 0)
            return line;
        if (!ge || !we)
            return ge || we ? line + 1 : 0;
        g += gl + 1;
        w += wl + 1;
    }
}

bool judge_output_matches(const char *got, size_t got_len, const char *want, size_t want_len)
{
    return judge_output_diff_line(got, got_len, want, want_len) == 0;
}
