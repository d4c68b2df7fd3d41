/* A small interactor library written for these tests in testlib's
 * convention (not testlib itself): run as `interactor INPUT OUTPUT ANSWER`,
 * the program's output on stdin, its input on stdout; exit 0 accepted,
 * 1 wrong answer, 3 the interactor's own failure, 8 the program's output
 * ended early (unexpected EOF); the first line of stderr says why. */
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

enum { OK = 0, WA = 1, FAIL = 3, UNEXPECTED_EOF = 8 };

[[noreturn]] inline void quit(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(stderr, fmt, ap);
    va_end(ap);
    std::fputc('\n', stderr);
    std::exit(code);
}

/* One line of the program's output, or quit with unexpected EOF. */
inline void read_line(char *buf, int cap)
{
    if (!std::fgets(buf, cap, stdin))
        quit(UNEXPECTED_EOF, "unexpected EOF: the program's output ended");
}
