// Doubling checker: the answer is 2n; one off earns half the points; a
// token that is not an integer is a presentation error. Outputs CRASH,
// HANG, MEM and FAIL make the checker itself misbehave (the tests of a
// broken checker: internal_error, never the contestant's verdict).
#include <cstring>
#include <cstdlib>
#include <vector>

#include "checklib.h"

int main(int argc, char **argv)
{
    if (argc != 4)
        quit(FAIL, "usage: checker input output answer (got %d arguments)", argc - 1);
    char *out = read_file(argv[2]);
    char *ans = read_file(argv[3]);
    char word[64] = "";
    std::sscanf(out, "%63s", word);
    if (!std::strcmp(word, "CRASH"))
        std::abort();
    if (!std::strcmp(word, "HANG"))
        for (volatile unsigned long i = 0;; i++) {
        }
    if (!std::strcmp(word, "MEM")) {
        std::vector<char *> blocks;
        for (;;) {
            char *b = static_cast<char *>(std::malloc(16 << 20));
            std::memset(b, 1, 16 << 20);
            blocks.push_back(b);
        }
    }
    if (!std::strcmp(word, "FAIL"))
        quit(FAIL, "asked to fail");
    char *end;
    long got = std::strtol(word, &end, 10);
    if (!word[0] || *end)
        quit(PE, "expected an integer, got '%s'", word);
    long want = std::strtol(ans, nullptr, 10);
    if (got == want)
        quit(OK, "%ld", got);
    if (got == want - 1 || got == want + 1)
        quit_points(0.5, "one off");
    quit(WA, "expected %ld, got %ld", want, got);
}
