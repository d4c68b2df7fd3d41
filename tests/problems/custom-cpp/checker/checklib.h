/* A small checker library written for these tests in testlib's convention
 * (not testlib itself): exit 0 accepted, 1 wrong answer, 2 presentation
 * error, 3 checker failure, 7 partial points with "points X message" on
 * the first line of stderr. */
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

enum { OK = 0, WA = 1, PE = 2, FAIL = 3, POINTS = 7 };

[[noreturn]] inline void quit(int code, const char *fmt, ...)
{
    const char *names[] = {"ok", "wrong answer", "wrong output format", "FAIL"};
    std::fprintf(stderr, "%s ", code <= FAIL ? names[code] : "?");
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(stderr, fmt, ap);
    va_end(ap);
    std::fputc('\n', stderr);
    std::exit(code);
}

[[noreturn]] inline void quit_points(double points, const char *msg)
{
    std::fprintf(stderr, "points %g %s\n", points, msg);
    std::exit(POINTS);
}

inline char *read_file(const char *path)
{
    FILE *f = std::fopen(path, "rb");
    if (!f)
        quit(FAIL, "cannot open %s", path);
    static char buf[1 << 16];
    size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    std::fclose(f);
    char *copy = static_cast<char *>(std::malloc(n + 1));
    for (size_t i = 0; i <= n; i++)
        copy[i] = buf[i];
    return copy;
}
