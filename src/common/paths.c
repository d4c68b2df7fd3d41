#define _GNU_SOURCE
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"

static int try(const char *dir, const char *rel, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/%s", dir, rel);
    return (n > 0 && (size_t)n < cap && access(out, F_OK) == 0) ? 0 : -1;
}

int paths_find_data(const char *rel, char *out, size_t cap)
{
    const char *home = getenv("NSJUDGE_HOME");
    if (home && *home && try(home, rel, out, cap) == 0)
        return 0;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *dir = dirname(exe); /* .../build */
        char parent[PATH_MAX];
        snprintf(parent, sizeof parent, "%s", dir);
        char *up = dirname(parent); /* the checkout */
        if (try(up, rel, out, cap) == 0 || try(dir, rel, out, cap) == 0)
            return 0;
    }
    if (try("/usr/local/share/nsjudge", rel, out, cap) == 0 || try("/usr/share/nsjudge", rel, out, cap) == 0)
        return 0;
    return -1;
}
