#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "judge/checker.h"
#include "judge/compare.h"
#include "judge/text.h"

static void set(judge_check_t *out, judge_check_outcome_t o, double fraction)
{
    out->outcome = o;
    out->fraction = fraction;
}

static bool space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

typedef struct tok {
    const char *p;
    size_t len;
} tok_t;

/* The next token at or after *pos; false at the end. */
static bool next_token(const char *s, size_t len, size_t *pos, tok_t *t)
{
    size_t i = *pos;
    while (i < len && space(s[i]))
        i++;
    if (i == len) {
        *pos = i;
        return false;
    }
    size_t b = i;
    while (i < len && !space(s[i]))
        i++;
    *t = (tok_t){s + b, i - b};
    *pos = i;
    return true;
}

/* A decimal number, an infinity or a NaN (no hex, no trailing bytes). */
static bool number(const tok_t *t, double *v)
{
    char buf[128];
    if (t->len == 0 || t->len >= sizeof buf)
        return false;
    memcpy(buf, t->p, t->len);
    buf[t->len] = '\0';
    const char *p = buf + (buf[0] == '+' || buf[0] == '-');
    if (strcasecmp(p, "inf") == 0 || strcasecmp(p, "infinity") == 0 || strcasecmp(p, "nan") == 0) {
        *v = strtod(buf, NULL);
        return true;
    }
    size_t digits = 0;
    while (isdigit((unsigned char)*p))
        p++, digits++;
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p); p++)
            digits++;
    if (!digits)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        p += *p == '+' || *p == '-';
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p)
        return false;
    errno = 0;
    *v = strtod(buf, NULL);
    return true;
}

static bool close_enough(double got, double want, double abs_tol, double rel_tol)
{
    if (isnan(want) || isnan(got))
        return isnan(want) && isnan(got);
    if (isinf(want) || isinf(got))
        return got == want;
    double d = fabs(got - want);
    const double slack = 1 + 1e-9;
    return (abs_tol > 0 && d <= abs_tol * slack) || (rel_tol > 0 && d <= rel_tol * fabs(want) * slack) || d == 0;
}

static void tokens(const core_checker_t *c, const char *got, size_t got_len, const char *want, size_t want_len,
                   judge_check_t *out)
{
    size_t gp = 0, wp = 0, n = 0;
    for (;;) {
        tok_t g, w;
        bool hg = next_token(got, got_len, &gp, &g), hw = next_token(want, want_len, &wp, &w);
        n++;
        if (!hg && !hw) {
            set(out, JUDGE_CHECK_ACCEPTED, 1);
            snprintf(out->message, sizeof out->message, "%zu tokens", n - 1);
            return;
        }
        set(out, JUDGE_CHECK_WRONG, 0);
        if (!hg) {
            snprintf(out->message, sizeof out->message, "token %zu: expected '%.*s', the output ended", n,
                     (int)(w.len > 40 ? 40 : w.len), w.p);
            return;
        }
        if (!hw) {
            snprintf(out->message, sizeof out->message, "token %zu: expected the end, got '%.*s'", n,
                     (int)(g.len > 40 ? 40 : g.len), g.p);
            return;
        }
        double gv, wv;
        bool ok;
        if (c->type == CORE_CHECKER_FLOAT && number(&w, &wv))
            ok = number(&g, &gv) && close_enough(gv, wv, c->abs, c->rel);
        else
            ok = g.len == w.len && memcmp(g.p, w.p, g.len) == 0;
        if (!ok) {
            snprintf(out->message, sizeof out->message, "token %zu: expected '%.*s', got '%.*s'", n,
                     (int)(w.len > 40 ? 40 : w.len), w.p, (int)(g.len > 40 ? 40 : g.len), g.p);
            return;
        }
    }
}

/* Token messages quote program output: keep them valid UTF-8. */
static void clean_message(judge_check_t *out)
{
    size_t n;
    char *s = text_utf8_sanitize(out->message, strlen(out->message), &n);
    if (!s)
        return;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\0')
            s[i] = '?';
    snprintf(out->message, sizeof out->message, "%.*s", (int)n, s);
    free(s);
}

void judge_checker_compare_mem(const core_checker_t *c, const char *got, size_t got_len, const char *want,
                               size_t want_len, judge_check_t *out)
{
    memset(out, 0, sizeof *out);
    got = got ? got : "";
    want = want ? want : "";
    if (c->type == CORE_CHECKER_TOKENS || c->type == CORE_CHECKER_FLOAT) {
        tokens(c, got, got_len, want, want_len, out);
        clean_message(out);
        return;
    }
    size_t line = judge_output_diff_line(got, got_len, want, want_len);
    set(out, line ? JUDGE_CHECK_WRONG : JUDGE_CHECK_ACCEPTED, line ? 0 : 1);
    if (line)
        snprintf(out->message, sizeof out->message, "output differs from the expected output at line %zu", line);
}

int judge_checker_compare(const core_checker_t *c, const char *got, size_t got_len, int want_fd, judge_check_t *out)
{
    memset(out, 0, sizeof *out);
    if (c->type == CORE_CHECKER_EXACT || c->type == CORE_CHECKER_CUSTOM) {
        size_t line;
        if (judge_output_diff_line_fd(got, got_len, want_fd, &line) < 0)
            return -1;
        set(out, line ? JUDGE_CHECK_WRONG : JUDGE_CHECK_ACCEPTED, line ? 0 : 1);
        if (line)
            snprintf(out->message, sizeof out->message, "output differs from the expected output at line %zu",
                     line);
        return 0;
    }
    /* Token checkers walk the expected output mapped, never copied. */
    struct stat st;
    if (fstat(want_fd, &st) < 0)
        return -1;
    size_t len = (size_t)st.st_size;
    void *m = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, want_fd, 0) : NULL;
    if (len && m == MAP_FAILED)
        return -1;
    judge_checker_compare_mem(c, got, got_len, m ? m : "", len, out);
    if (m)
        munmap(m, len);
    return 0;
}

/* The first non-empty line of s (bounded) into msg. */
static void first_line(const char *s, size_t len, char *msg, size_t cap)
{
    size_t i = 0;
    while (i < len && space(s[i]))
        i++;
    size_t e = i;
    while (e < len && s[e] != '\n' && e - i < 200)
        e++;
    while (e > i && space(s[e - 1]))
        e--;
    size_t n;
    char *clean = text_utf8_sanitize(s + i, e - i, &n);
    if (!clean) {
        msg[0] = '\0';
        return;
    }
    for (size_t k = 0; k < n; k++)
        if (clean[k] == '\0')
            clean[k] = '?';
    snprintf(msg, cap, "%.*s", (int)n, clean);
    free(clean);
}

void judge_checker_verdict(const core_checker_t *c, const nsj_result_t *r, judge_check_t *out)
{
    memset(out, 0, sizeof *out);
    char line[210];
    first_line(r->err ? r->err : "", r->err ? r->err_len : 0, line, sizeof line);
    if (!line[0])
        first_line(r->out ? r->out : "", r->out ? r->out_len : 0, line, sizeof line);
    set(out, JUDGE_CHECK_FAILED, 0);
    if (r->verdict == NSJ_VERDICT_OK) {
        set(out, JUDGE_CHECK_ACCEPTED, 1);
        snprintf(out->message, sizeof out->message, "%s", line);
        return;
    }
    if (r->verdict != NSJ_VERDICT_RUNTIME_ERROR || r->signal || r->exit_code < 0) {
        snprintf(out->message, sizeof out->message, "checker %s (%.120s)%s%.100s", nsj_verdict_name(r->verdict),
                 r->evidence, line[0] ? ": " : "", line);
        return;
    }
    switch (r->exit_code) {
    case 1:
        set(out, JUDGE_CHECK_WRONG, 0);
        snprintf(out->message, sizeof out->message, "%s", line);
        return;
    case 2:
        if (c->pe_passes)
            set(out, JUDGE_CHECK_ACCEPTED, 1);
        else
            set(out, JUDGE_CHECK_WRONG, 0);
        snprintf(out->message, sizeof out->message, "presentation error%s%.200s", line[0] ? ": " : "", line);
        return;
    case 3:
        snprintf(out->message, sizeof out->message, "checker failed (exit 3)%s%.200s", line[0] ? ": " : "",
                 line);
        return;
    case 7: {
        /* testlib's quitp(): "points <value> <message>" */
        double v = -1;
        int used = 0;
        if (strncmp(line, "points ", 7) == 0 && sscanf(line + 7, "%lf%n", &v, &used) == 1 && isfinite(v) && v >= 0 &&
            v <= 1) {
            const char *rest = line + 7 + used;
            rest += *rest == ' ';
            set(out, v >= 1 ? JUDGE_CHECK_ACCEPTED : v > 0 ? JUDGE_CHECK_PARTIAL : JUDGE_CHECK_WRONG, v);
            snprintf(out->message, sizeof out->message, "points %g%s%.200s", v, *rest ? ": " : "", rest);
        } else {
            snprintf(out->message, sizeof out->message,
                     "checker exit 7 without 'points X' (X from 0 to 1) on its first line%s%.150s",
                     line[0] ? ": " : "", line);
        }
        return;
    }
    default:
        snprintf(out->message, sizeof out->message, "checker exit code %d%s%.200s", r->exit_code,
                 line[0] ? ": " : "", line);
    }
}

/* A test file's bytes (bounded), for the checker's /code. */
static int slurp(int fd, char **data, size_t *len, nsj_error_t *err)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return nsj_error_set(err, errno, "checker: stat test data");
    if ((uint64_t)st.st_size > JUDGE_CHECKER_DATA_MAX)
        return nsj_error_set(err, EFBIG, "checker: a test file of %lld bytes (a custom checker takes at most %llu)",
                             (long long)st.st_size, (unsigned long long)JUDGE_CHECKER_DATA_MAX);
    *len = (size_t)st.st_size;
    if (!(*data = malloc(*len + 1)))
        return nsj_error_set(err, ENOMEM, "checker: test data");
    size_t off = 0;
    while (off < *len) {
        ssize_t n = pread(fd, *data + off, *len - off, (off_t)off);
        if (n <= 0) {
            free(*data);
            *data = NULL;
            return nsj_error_set(err, n < 0 ? errno : EIO, "checker: read test data");
        }
        off += (size_t)n;
    }
    return 0;
}

int judge_checker_run(nsj_sandbox_t *sb, const core_checker_t *c, judge_build_t *prog, int input_fd, const char *got,
                      size_t got_len, int answer_fd, int cancel_fd, judge_check_t *out, nsj_error_t *err)
{
    memset(out, 0, sizeof *out);
    cleanup_free char *in = NULL, *ans = NULL;
    size_t in_len = 0, ans_len = 0;
    if (slurp(input_fd, &in, &in_len, err) < 0 || slurp(answer_fd, &ans, &ans_len, err) < 0)
        return -1;
    nsj_limits_t base;
    nsj_limits_default(&base);
    base.cpu_ms = JUDGE_CHECKER_CPU_MS;
    base.wall_ms = JUDGE_CHECKER_WALL_MS;
    base.memory_bytes = JUDGE_CHECKER_MEMORY;
    base.output_bytes = JUDGE_CHECKER_OUTPUT;
    nsj_run_spec_t spec;
    nsj_run_spec_init(&spec);
    judge_build_run_spec(prog, &base, &spec);
    /* Leading dots: a helper file's name never starts with one. */
    nsj_file_t files[1 + JUDGE_BUILD_FILES_MAX + 3];
    size_t n = spec.nfiles;
    memcpy(files, spec.files, n * sizeof *files);
    files[n++] = (nsj_file_t){.name = ".input", .data = in, .len = in_len, .mode = 0444};
    files[n++] = (nsj_file_t){.name = ".output", .data = got ? got : "", .len = got_len, .mode = 0444};
    files[n++] = (nsj_file_t){.name = ".answer", .data = ans, .len = ans_len, .mode = 0444};
    spec.files = files;
    spec.nfiles = n;
    const char *argv[LANG_MAX_ARGS + 4];
    size_t argc = 0;
    for (; spec.argv[argc] && argc < LANG_MAX_ARGS; argc++)
        argv[argc] = spec.argv[argc];
    argv[argc++] = "/code/.input";
    argv[argc++] = "/code/.output";
    argv[argc++] = "/code/.answer";
    argv[argc] = NULL;
    spec.argv = argv;
    spec.cancel_fd = cancel_fd;
    nsj_result_t r;
    nsj_result_init(&r);
    if (judge_build_run(prog, sb, &spec, &r) < 0) {
        nsj_error_set(err, EIO, "checker: %.400s", r.message);
        nsj_result_free(&r);
        return -1;
    }
    judge_checker_verdict(c, &r, out);
    nsj_result_free(&r);
    return 0;
}
