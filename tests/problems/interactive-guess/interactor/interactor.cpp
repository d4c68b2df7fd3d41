// Guess the number: the secret is the test's input; the program asks
// "? x" (1 <= x <= 10^9) and is told "<" (the secret is larger), ">"
// (smaller) or "="; it answers "! x". At most 30 queries.
// Deliberately broken on two queries, to show the interactor's own
// failures: "? -13" crashes it, "? -14" ends it with exit 3 (FAIL)
// (a binary search never asks those).
#include <csignal>
#include <cstring>

#include "interactlib.h"

int main(int argc, char **argv)
{
    if (argc < 4)
        quit(FAIL, "usage: interactor INPUT OUTPUT ANSWER");
    FILE *in = std::fopen(argv[1], "r");
    long secret;
    if (!in || std::fscanf(in, "%ld", &secret) != 1)
        quit(FAIL, "cannot read the secret from %s", argv[1]);
    FILE *out = std::fopen(argv[2], "w");
    if (!out)
        quit(FAIL, "cannot write %s", argv[2]);
    char line[128];
    for (int queries = 0;;) {
        read_line(line, sizeof line);
        long x;
        if (std::sscanf(line, "? %ld", &x) == 1) {
            if (x == -13)
                std::raise(SIGSEGV);
            if (x == -14)
                quit(FAIL, "bad test: query -14 is not supported");
            if (++queries > 30)
                quit(WA, "wrong answer: more than 30 queries");
            if (x < 1 || x > 1000000000)
                quit(WA, "wrong answer: query %ld out of range", x);
            std::printf("%s\n", x < secret ? "<" : x > secret ? ">" : "=");
            std::fflush(stdout);
        } else if (std::sscanf(line, "! %ld", &x) == 1) {
            std::fprintf(out, "%d queries\n", queries);
            if (x != secret)
                quit(WA, "wrong answer: %ld is not the number", x);
            quit(OK, "ok: found in %d queries", queries);
        } else {
            quit(WA, "wrong answer: unreadable line '%.40s'", line);
        }
    }
}
