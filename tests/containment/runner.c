/* The containment corpus runner.
 *
 *   runner [--backend ns|docker] [--warm] [--nsjudge PATH] [--report FILE] [--only NAME] DIR
 *
 * --warm runs every program through a warm slot (`nsjudge run --warm`: the
 * worker's path, its run prepared ahead).
 *
 * Every .py file in DIR is an attack (or a functional control) labelled in its
 * header comment:
 *
 *   # family: network                  what kind of attack
 *   # attack: connect to the host's loopback services
 *   # expect: ok runtime_error         the verdicts it may get (any of)
 *   # args: --memory 64m --wall 3      extra `nsjudge run` options (optional)
 *   # stdin: 5\n                       its stdin, with \n escapes (optional)
 *   # output: hello                    a control: stdout must contain this (optional)
 *   # pair: yes                        run two copies at once, stdin "0\n" and
 *                                      "1\n": side channels between runs (optional)
 *
 * A program prints a line starting with ESCAPED only if it got out. It is
 * held when its verdict is expected, no copy printed ESCAPED, and a
 * control's output is there. Exit status: 0 when all are held. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PROGS 256

typedef struct prog {
    char name[128], path[4096];
    char family[64], attack[256], expect[256], args[512], input[512], output[256];
    int pair;
} prog_t;

typedef struct outcome {
    char status[32], evidence[512];
    char *out, *err;
    int escaped;
} outcome_t;

static const char *backend = "ns", *nsjudge = "build/nsjudge";
static int warm;

static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] == 'n') {
            *w++ = '\n';
            r++;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

static int parse_header(prog_t *p)
{
    FILE *f = fopen(p->path, "r");
    if (!f)
        return -1;
    char line[1024];
    while (fgets(line, sizeof line, f) && line[0] == '#') {
        line[strcspn(line, "\n")] = '\0';
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        const char *key = line + 1 + strspn(line + 1, " "), *val = colon + 1 + strspn(colon + 1, " ");
        if (!strcmp(key, "family")) snprintf(p->family, sizeof p->family, "%s", val);
        else if (!strcmp(key, "attack")) snprintf(p->attack, sizeof p->attack, "%s", val);
        else if (!strcmp(key, "expect")) snprintf(p->expect, sizeof p->expect, " %s ", val);
        else if (!strcmp(key, "args")) snprintf(p->args, sizeof p->args, "%s", val);
        else if (!strcmp(key, "stdin")) snprintf(p->input, sizeof p->input, "%s", val), unescape(p->input);
        else if (!strcmp(key, "output")) snprintf(p->output, sizeof p->output, "%s", val);
        else if (!strcmp(key, "pair")) p->pair = !strcmp(val, "yes");
    }
    fclose(f);
    if (!p->family[0] || !p->attack[0] || !p->expect[0]) {
        fprintf(stderr, "runner: %s: needs family, attack and expect labels\n", p->path);
        return -1;
    }
    return 0;
}

static char *slurp(int fd)
{
    size_t cap = 8192, len = 0;
    char *b = malloc(cap);
    for (;;) {
        if (len + 1 == cap)
            b = realloc(b, cap *= 2);
        ssize_t n = read(fd, b + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    b[len] = '\0';
    return b;
}

typedef struct child {
    pid_t pid;
    int out;
    char infile[64];
} child_t;

/* Start `nsjudge run` on p, stdin from a temporary file holding input. */
static int start(const prog_t *p, const char *input, child_t *c)
{
    snprintf(c->infile, sizeof c->infile, "/tmp/nsjudge-corpus-in-XXXXXX");
    int fd = mkstemp(c->infile);
    if (fd < 0 || write(fd, input, strlen(input)) != (ssize_t)strlen(input))
        return -1;
    close(fd);
    char *argv[64];
    int n = 0;
    argv[n++] = (char *)nsjudge;
    argv[n++] = "run";
    argv[n++] = "--backend";
    argv[n++] = (char *)backend;
    argv[n++] = "--stdin";
    argv[n++] = c->infile;
    if (warm)
        argv[n++] = "--warm";
    static char args[MAX_PROGS][512];
    static int slot;
    char *a = args[slot++ % MAX_PROGS];
    snprintf(a, 512, "%s", p->args);
    for (char *save = NULL, *t = strtok_r(a, " ", &save); t && n < 60; t = strtok_r(NULL, " ", &save))
        argv[n++] = t;
    argv[n++] = (char *)p->path;
    argv[n] = NULL;
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -1;
    c->pid = fork();
    if (c->pid == 0) {
        dup2(pipefd[1], 1);
        execv(nsjudge, argv);
        _exit(127);
    }
    close(pipefd[1]);
    c->out = pipefd[0];
    return c->pid < 0 ? -1 : 0;
}

static void finish(child_t *c, outcome_t *o)
{
    char *json = slurp(c->out);
    close(c->out);
    int st;
    waitpid(c->pid, &st, 0);
    unlink(c->infile);
    memset(o, 0, sizeof *o);
    json_error_t je;
    json_t *j = json_loads(json, 0, &je);
    if (!j) {
        snprintf(o->status, sizeof o->status, "no-result");
        snprintf(o->evidence, sizeof o->evidence, "nsjudge exit %d: %.200s", WEXITSTATUS(st), json);
        o->out = strdup("");
        o->err = strdup("");
    } else {
        snprintf(o->status, sizeof o->status, "%s", json_string_value(json_object_get(j, "status")));
        snprintf(o->evidence, sizeof o->evidence, "%s", json_string_value(json_object_get(j, "evidence")));
        o->out = strdup(json_string_value(json_object_get(j, "stdout")));
        o->err = strdup(json_string_value(json_object_get(j, "stderr")));
        json_decref(j);
    }
    free(json);
    o->escaped = strstr(o->out, "ESCAPED") != NULL || strstr(o->err, "ESCAPED") != NULL;
}

static int held(const prog_t *p, const outcome_t *o)
{
    char want[40];
    snprintf(want, sizeof want, " %s ", o->status);
    return strstr(p->expect, want) && !o->escaped && (!p->output[0] || strstr(o->out, p->output));
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const prog_t *)a)->name, ((const prog_t *)b)->name);
}

int main(int argc, char **argv)
{
    const char *report = NULL, *only = NULL, *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--backend") && i + 1 < argc) backend = argv[++i];
        else if (!strcmp(argv[i], "--nsjudge") && i + 1 < argc) nsjudge = argv[++i];
        else if (!strcmp(argv[i], "--report") && i + 1 < argc) report = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--warm")) warm = 1;
        else dir = argv[i];
    }
    if (!dir) {
        fprintf(stderr, "usage: runner [--backend ns|docker] [--warm] [--nsjudge PATH] [--report FILE] [--only NAME] DIR\n");
        return 2;
    }
    static prog_t progs[MAX_PROGS];
    int n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "runner: %s: %s\n", dir, strerror(errno));
        return 2;
    }
    for (struct dirent *e; (e = readdir(d)) && n < MAX_PROGS;) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".py") != 0)
            continue;
        if (only && strncmp(e->d_name, only, strlen(only)) != 0)
            continue;
        prog_t *p = &progs[n];
        memset(p, 0, sizeof *p);
        snprintf(p->name, sizeof p->name, "%.*s", (int)(len - 3), e->d_name);
        snprintf(p->path, sizeof p->path, "%s/%s", dir, e->d_name);
        if (parse_header(p) < 0)
            return 2;
        n++;
    }
    closedir(d);
    qsort(progs, (size_t)n, sizeof progs[0], by_name);
    FILE *rep = report ? fopen(report, "w") : NULL;
    int failures = 0;
    for (int i = 0; i < n; i++) {
        prog_t *p = &progs[i];
        child_t c[2];
        outcome_t o[2];
        int copies = p->pair ? 2 : 1;
        for (int k = 0; k < copies; k++)
            if (start(p, p->pair ? (k ? "1\n" : "0\n") : p->input, &c[k]) < 0) {
                fprintf(stderr, "runner: cannot start %s\n", p->name);
                return 2;
            }
        for (int k = 0; k < copies; k++)
            finish(&c[k], &o[k]);
        int ok = held(p, &o[0]) && (copies == 1 || held(p, &o[1]));
        /* A pair's verdict is the receiver's (copy 1). */
        outcome_t *show = &o[copies - 1];
        failures += !ok;
        printf("%-4s %-28s %-12s %-16s %s%s\n", ok ? "held" : "LEAK", p->name, p->family, show->status,
               ok ? "" : "expected:", ok ? "" : p->expect);
        if (!ok)
            for (int k = 0; k < copies; k++)
                printf("     copy %d: status %s, evidence %s\n     stdout: %.300s\n     stderr: %.300s\n", k,
                       o[k].status, o[k].evidence, o[k].out, o[k].err);
        if (rep)
            fprintf(rep, "%s\t%s\t%s\t%s\t%s\t%s\n", p->name, p->family, p->attack, show->status,
                    ok ? "held" : "LEAK", show->evidence);
        for (int k = 0; k < copies; k++)
            free(o[k].out), free(o[k].err);
    }
    if (rep)
        fclose(rep);
    printf("%d of %d held (%s back end%s)\n", n - failures, n, backend, warm ? ", warm slots" : "");
    return failures ? 1 : 0;
}
