/* interact: both sides of the interactive tests' exchanges, built static.
 * The protocol (guess a number): the contestant writes "? X" and reads
 * "<", ">" or "="; it answers with "! X". An interactor is run as testlib
 * runs one: interact MODE INPUT OUTPUT [ANSWER] (INPUT holds the number).
 *
 * Interactors (messages on stderr, testlib's exit codes):
 *   iguess     the game: exit 0 on a right answer, 1 on a wrong one,
 *              8 on EOF before an answer; writes "queries N" to OUTPUT
 *   ireject    reads one line, rejects it: exit 1
 *   icrash     reads one line, then SIGSEGV
 *   ifail      exit 3 ("bad test")
 *   ihang      burns CPU, reads nothing
 *   iflood     writes 1 MiB without reading, then plays iguess
 *   iread      reads until EOF, writes nothing; exit 8
 *   iaccept    reads one line, accepts: exit 0
 * Contestants:
 *   cguess     binary search: the right answer
 *   cwrong     answers "! 0" at once
 *   ccrash     SIGSEGV before writing anything
 *   cspin      burns CPU, writes nothing
 *   cread      reads (waits for the interactor to speak first)
 *   cflood     writes 1 MiB without reading
 *   cspam      writes queries forever without reading replies
 *   cexit      exits 0 at once, writing nothing
 *   cwritespin writes one query, then burns CPU */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void flood(void)
{
    static char buf[1 << 20];
    memset(buf, 'x', sizeof buf);
    for (size_t off = 0; off < sizeof buf;) {
        ssize_t n = write(1, buf + off, sizeof buf - off);
        if (n <= 0)
            exit(2);
        off += (size_t)n;
    }
}

static void spin(void)
{
    for (volatile unsigned long i = 0;; i++)
        ;
}

static int game(const char *input, const char *output)
{
    FILE *f = fopen(input, "r");
    long secret;
    if (!f || fscanf(f, "%ld", &secret) != 1) {
        fprintf(stderr, "cannot read the secret from %s\n", input);
        return 3;
    }
    fclose(f);
    char line[256];
    int queries = 0;
    while (fgets(line, sizeof line, stdin)) {
        long x;
        if (sscanf(line, "? %ld", &x) == 1) {
            if (++queries > 40) {
                fprintf(stderr, "too many queries\n");
                return 1;
            }
            printf("%s\n", x < secret ? "<" : x > secret ? ">" : "=");
            fflush(stdout);
        } else if (sscanf(line, "! %ld", &x) == 1) {
            FILE *o = fopen(output, "w");
            if (o)
                fprintf(o, "queries %d\n", queries), fclose(o);
            if (x != secret) {
                fprintf(stderr, "wrong answer: %ld is not the number\n", x);
                return 1;
            }
            fprintf(stderr, "ok: found in %d queries\n", queries);
            return 0;
        } else {
            fprintf(stderr, "bad line\n");
            return 2;
        }
    }
    fprintf(stderr, "unexpected EOF\n");
    return 8;
}

static int guess(void)
{
    long lo = 1, hi = 1000000000;
    char line[64];
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        printf("? %ld\n", mid);
        fflush(stdout);
        if (!fgets(line, sizeof line, stdin))
            return 4;
        if (line[0] == '=') {
            lo = hi = mid;
        } else if (line[0] == '<') {
            lo = mid + 1;
        } else {
            hi = mid - 1;
            if (hi < lo)
                hi = lo;
        }
    }
    printf("! %ld\n", lo);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "";
    char line[256];
    if (!strcmp(m, "iguess") && argc >= 4)
        return game(argv[2], argv[3]);
    if (!strcmp(m, "ireject")) {
        if (fgets(line, sizeof line, stdin))
            fprintf(stderr, "rejected at the first query\n");
        return 1;
    }
    if (!strcmp(m, "iaccept")) {
        if (fgets(line, sizeof line, stdin))
            fprintf(stderr, "accepted at the first query\n");
        return 0;
    }
    if (!strcmp(m, "icrash")) {
        if (fgets(line, sizeof line, stdin))
            raise(SIGSEGV);
        return 8;
    }
    if (!strcmp(m, "ifail")) {
        fprintf(stderr, "bad test: the input is malformed\n");
        return 3;
    }
    if (!strcmp(m, "ihang"))
        spin();
    if (!strcmp(m, "iflood") && argc >= 4) {
        flood();
        return game(argv[2], argv[3]);
    }
    if (!strcmp(m, "iread")) {
        while (fgets(line, sizeof line, stdin))
            ;
        fprintf(stderr, "unexpected EOF\n");
        return 8;
    }
    if (!strcmp(m, "cguess"))
        return guess();
    if (!strcmp(m, "cwrong")) {
        printf("! 0\n");
        return 0;
    }
    if (!strcmp(m, "ccrash"))
        raise(SIGSEGV);
    if (!strcmp(m, "cspin"))
        spin();
    if (!strcmp(m, "cread"))
        return fgets(line, sizeof line, stdin) ? 0 : 4;
    if (!strcmp(m, "cflood")) {
        flood();
        return 0;
    }
    if (!strcmp(m, "cspam"))
        for (;;) {
            printf("? 1\n");
            fflush(stdout);
        }
    if (!strcmp(m, "cexit"))
        return 0;
    if (!strcmp(m, "cwritespin")) {
        printf("? 1\n");
        fflush(stdout);
        spin();
    }
    fprintf(stderr, "usage: interact MODE [INPUT OUTPUT [ANSWER]]\n");
    return 64;
}
