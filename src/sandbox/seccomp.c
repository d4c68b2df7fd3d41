#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/util.h"
#include "internal.h"
#include "seccomp_policy.h"

/* ---------- parsing (pure: text in, rules out) ---------- */

static const struct { const char *name; int value; } errno_names[] = {
    {"EPERM", EPERM}, {"EACCES", EACCES}, {"ENOSYS", ENOSYS}, {"EINVAL", EINVAL},
    {"ENOENT", ENOENT}, {"EOPNOTSUPP", EOPNOTSUPP}, {"EAFNOSUPPORT", EAFNOSUPPORT},
    {"ENOLCK", ENOLCK}, {"ENOTTY", ENOTTY},
};

static const struct { const char *name; uint64_t value; } flag_names[] = {
    {"CLONE_NEWNS", 0x00020000}, {"CLONE_NEWCGROUP", 0x02000000},
    {"CLONE_NEWUTS", 0x04000000}, {"CLONE_NEWIPC", 0x08000000},
    {"CLONE_NEWUSER", 0x10000000}, {"CLONE_NEWPID", 0x20000000},
    {"CLONE_NEWNET", 0x40000000}, {"CLONE_NEWTIME", 0x00000080},
    {"AF_UNIX", 1}, {"AF_INET", 2}, {"AF_INET6", 10}, {"AF_NETLINK", 16}, {"AF_VSOCK", 40},
};

#define MAX_TOKENS 64

static int tokenize(char *line, char **tok)
{
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
        if (n == MAX_TOKENS)
            return -1;
        tok[n++] = t;
    }
    return n;
}

static int parse_value(const char *s, uint64_t *out)
{
    if (s[0] >= '0' && s[0] <= '9') {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 0);
        if (errno || *end)
            return -1;
        *out = v;
        return 0;
    }
    uint64_t v = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    char *save = NULL;
    for (char *f = strtok_r(buf, "|", &save); f; f = strtok_r(NULL, "|", &save)) {
        size_t i;
        for (i = 0; i < ARRAY_SIZE(flag_names); i++)
            if (strcmp(f, flag_names[i].name) == 0)
                break;
        if (i == ARRAY_SIZE(flag_names))
            return -1;
        v |= flag_names[i].value;
    }
    *out = v;
    return 0;
}

/* Parse an ACTION at tok[*i]; advances *i. */
static int parse_action(char **tok, int ntok, int *i, secpol_action_t *a)
{
    if (strcmp(tok[*i], "allow") == 0) {
        a->kind = SECPOL_ALLOW;
    } else if (strcmp(tok[*i], "kill") == 0) {
        a->kind = SECPOL_KILL;
    } else if (strcmp(tok[*i], "errno") == 0) {
        if (*i + 1 >= ntok)
            return -1;
        (*i)++;
        size_t k;
        for (k = 0; k < ARRAY_SIZE(errno_names); k++)
            if (strcmp(tok[*i], errno_names[k].name) == 0)
                break;
        if (k == ARRAY_SIZE(errno_names))
            return -2;
        a->kind = SECPOL_ERRNO;
        a->errnum = errno_names[k].value;
    } else {
        return -1;
    }
    (*i)++;
    return 0;
}

static int parse_cond(char **tok, int ntok, int i, secpol_cond_t *c)
{
    if (i + 3 > ntok)
        return -1;
    const char *a = tok[i], *op = tok[i + 1], *v = tok[i + 2];
    if (strncmp(a, "arg", 3) != 0 || a[3] < '0' || a[3] > '5' || a[4] != '\0')
        return -1;
    c->arg = (unsigned)(a[3] - '0');
    if (strcmp(op, "==") == 0)
        c->op = SECPOL_EQ;
    else if (strcmp(op, "!=") == 0)
        c->op = SECPOL_NE;
    else if (strcmp(op, "&") == 0)
        c->op = SECPOL_ANYBIT;
    else if (strcmp(op, "not-in") == 0)
        c->op = SECPOL_NOTIN;
    else
        return -1;
    if (c->op == SECPOL_NOTIN) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", v);
        char *save = NULL;
        c->nset = 0;
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            uint64_t x;
            if (c->nset == SECPOL_MAX_SET || parse_value(t, &x) < 0)
                return -1;
            unsigned k = c->nset++;
            while (k > 0 && c->set[k - 1] > x) /* keep it sorted */
                c->set[k] = c->set[k - 1], k--;
            if (k > 0 && c->set[k - 1] == x)
                return -1;
            c->set[k] = x;
        }
        /* The gaps between the values become one rule each (see add_rule). */
        return c->nset && c->set[c->nset - 1] - c->set[0] < 64 ? 0 : -1;
    }
    if (parse_value(v, &c->value) < 0)
        return -1;
    if (c->op == SECPOL_ANYBIT && c->value == 0)
        return -1;
    return 0;
}

static int push_rule(seccomp_policy_t *p, size_t *cap, const secpol_rule_t *r)
{
    if (p->nrules == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        secpol_rule_t *nr = realloc(p->rules, ncap * sizeof *nr);
        if (!nr)
            return -1;
        p->rules = nr;
        *cap = ncap;
    }
    p->rules[p->nrules++] = *r;
    return 0;
}

int seccomp_policy_parse(const char *text, const char *fname, seccomp_policy_t *out, nsj_error_t *err)
{
    memset(out, 0, sizeof *out);
    out->def.kind = SECPOL_ALLOW;
    out->badarch.kind = SECPOL_KILL;
    int have_default = 0;
    size_t cap = 0;
    unsigned lineno = 0;
    const char *p = text;
    while (*p) {
        lineno++;
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[1024];
        if (len >= sizeof line) {
            nsj_error_set(err, EINVAL, "%s:%u: line too long", fname, lineno);
            goto fail;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        p = eol ? eol + 1 : p + len;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *tok[MAX_TOKENS];
        int ntok = tokenize(line, tok);
        if (ntok < 0) {
            nsj_error_set(err, EINVAL, "%s:%u: too many words", fname, lineno);
            goto fail;
        }
        if (ntok == 0)
            continue;
        int i = 0;
        if (strcmp(tok[0], "default") == 0 || strcmp(tok[0], "badarch") == 0) {
            secpol_action_t a;
            i = 1;
            if (ntok < 2 || parse_action(tok, ntok, &i, &a) < 0 || i != ntok) {
                nsj_error_set(err, EINVAL, "%s:%u: expected '%s allow|kill|errno NAME'", fname, lineno, tok[0]);
                goto fail;
            }
            if (tok[0][0] == 'd') {
                out->def = a;
                have_default = 1;
            } else {
                if (a.kind == SECPOL_ALLOW) {
                    nsj_error_set(err, EINVAL, "%s:%u: badarch may not be allow", fname, lineno);
                    goto fail;
                }
                out->badarch = a;
            }
            continue;
        }
        secpol_rule_t r;
        memset(&r, 0, sizeof r);
        r.line = lineno;
        int pr = parse_action(tok, ntok, &i, &r.action);
        if (pr == -2) {
            nsj_error_set(err, EINVAL, "%s:%u: unknown errno name '%s'", fname, lineno, tok[1]);
            goto fail;
        }
        if (pr < 0) {
            nsj_error_set(err, EINVAL, "%s:%u: unknown action '%s' (allow, kill, errno NAME, default, badarch)",
                          fname, lineno, tok[0]);
            goto fail;
        }
        int first_sys = i;
        while (i < ntok && strcmp(tok[i], "if") != 0)
            i++;
        int end_sys = i;
        if (end_sys == first_sys) {
            nsj_error_set(err, EINVAL, "%s:%u: no syscall named", fname, lineno);
            goto fail;
        }
        if (i < ntok) {
            i++; /* "if" */
            int nany = 0;
            for (;;) {
                if (r.ncond == SECPOL_MAX_CONDS || parse_cond(tok, ntok, i, &r.cond[r.ncond]) < 0) {
                    nsj_error_set(err, EINVAL, "%s:%u: bad condition (argN ==|!=|&|not-in VALUE [and ...])",
                                  fname, lineno);
                    goto fail;
                }
                nany += r.cond[r.ncond].op == SECPOL_ANYBIT || r.cond[r.ncond].op == SECPOL_NOTIN;
                r.ncond++;
                i += 3;
                if (i == ntok)
                    break;
                if (strcmp(tok[i], "and") != 0 || i + 1 == ntok) {
                    nsj_error_set(err, EINVAL, "%s:%u: expected 'and' between conditions", fname, lineno);
                    goto fail;
                }
                i++;
            }
            if (nany > 1) {
                nsj_error_set(err, EINVAL, "%s:%u: at most one '&' or 'not-in' condition per rule", fname, lineno);
                goto fail;
            }
        }
        for (int s = first_sys; s < end_sys; s++) {
            int nr = seccomp_syscall_resolve_name(tok[s]);
            if (nr == __NR_SCMP_ERROR || nr < 0) {
                nsj_error_set(err, EINVAL, "%s:%u: unknown syscall '%s'", fname, lineno, tok[s]);
                goto fail;
            }
            r.nr = nr;
            snprintf(r.name, sizeof r.name, "%s", tok[s]);
            if (push_rule(out, &cap, &r) < 0) {
                nsj_error_set(err, ENOMEM, "%s: parse", fname);
                goto fail;
            }
        }
    }
    if (!have_default) {
        nsj_error_set(err, EINVAL, "%s: no 'default' statement", fname);
        goto fail;
    }
    return 0;
fail:
    seccomp_policy_free(out);
    return -1;
}

void seccomp_policy_free(seccomp_policy_t *p)
{
    free(p->rules);
    p->rules = NULL;
    p->nrules = 0;
}

const secpol_rule_t *seccomp_policy_find(const seccomp_policy_t *p, const char *name)
{
    for (size_t i = 0; i < p->nrules; i++)
        if (strcmp(p->rules[i].name, name) == 0)
            return &p->rules[i];
    return NULL;
}

/* ---------- compiling (libseccomp) ---------- */

/* "kill" becomes a user notification: the supervisor learns which call it
 * was (SECCOMP_RET_KILL_PROCESS would not tell), then kills the sandbox. The
 * call never runs; if the supervisor were gone it would fail with ENOSYS. */
static uint32_t to_scmp(secpol_action_t a)
{
    switch (a.kind) {
    case SECPOL_ALLOW: return SCMP_ACT_ALLOW;
    case SECPOL_ERRNO: return SCMP_ACT_ERRNO((uint32_t)a.errnum);
    case SECPOL_KILL: return SCMP_ACT_NOTIFY;
    }
    return SCMP_ACT_KILL_PROCESS;
}

/* One rule per alternative of the rule's '&' or 'not-in' condition (OR-ed
 * by libseccomp): "argN & A|B" is one rule per bit; "argN not-in 1,2,10"
 * is arg < 1, arg > 10, and arg == each value in the gaps (3..9). */
static int expand_alternatives(const secpol_cond_t *c, struct scmp_arg_cmp *alt, int cap)
{
    int n = 0;
    if (c->op == SECPOL_ANYBIT) {
        for (unsigned b = 0; b < 64 && n < cap; b++)
            if (c->value & (1ULL << b))
                alt[n++] = (struct scmp_arg_cmp){c->arg, SCMP_CMP_MASKED_EQ, 1ULL << b, 1ULL << b};
        return n;
    }
    if (c->set[0] > 0)
        alt[n++] = (struct scmp_arg_cmp){c->arg, SCMP_CMP_LT, c->set[0], 0};
    alt[n++] = (struct scmp_arg_cmp){c->arg, SCMP_CMP_GT, c->set[c->nset - 1], 0};
    for (unsigned k = 0; k + 1 < c->nset; k++)
        for (uint64_t v = c->set[k] + 1; v < c->set[k + 1] && n < cap; v++)
            alt[n++] = (struct scmp_arg_cmp){c->arg, SCMP_CMP_EQ, v, 0};
    return n;
}

static int add_rule(scmp_filter_ctx ctx, const secpol_rule_t *r, const char *fname, nsj_error_t *err)
{
    struct scmp_arg_cmp cmp[SECPOL_MAX_CONDS], alt[72];
    int multi = -1, nalt = 1;
    for (unsigned i = 0; i < r->ncond; i++) {
        const secpol_cond_t *c = &r->cond[i];
        cmp[i].arg = c->arg;
        cmp[i].datum_a = c->value;
        cmp[i].datum_b = 0;
        switch (c->op) {
        case SECPOL_EQ: cmp[i].op = SCMP_CMP_EQ; break;
        case SECPOL_NE: cmp[i].op = SCMP_CMP_NE; break;
        case SECPOL_ANYBIT:
        case SECPOL_NOTIN:
            multi = (int)i;
            nalt = expand_alternatives(c, alt, (int)(sizeof alt / sizeof alt[0]));
            break;
        }
    }
    for (int k = 0; k < nalt; k++) {
        if (multi >= 0)
            cmp[multi] = alt[k];
        int rc = seccomp_rule_add_array(ctx, to_scmp(r->action), r->nr, r->ncond, cmp);
        if (rc < 0)
            return nsj_error_set(err, -rc, "%s:%u: rule for %s", fname, r->line, r->name);
    }
    return 0;
}

/* ---------- the compiled-program cache ----------
 * Compiling costs ~0.8 ms in a fresh process (libseccomp's tables), most of
 * a short CLI run. The BPF is cached in a root-owned directory, keyed by a
 * hash of the policy text, libseccomp's version and the architecture. Only
 * a root-owned, not group/other-writable directory and file are trusted. */

#define CACHE_FORMAT "nsjudge-seccomp-bpf-2" /* 2: binary-tree filter */

static int cache_path(const char *text, size_t len, char *out, size_t cap)
{
    const char *dir = getenv("NSJUDGE_CACHE_DIR");
    if (!dir || !*dir)
        dir = "/var/cache/nsjudge";
    const struct scmp_version *v = seccomp_version();
    char meta[128];
    int m = snprintf(meta, sizeof meta, "%s %u.%u.%u %u", CACHE_FORMAT, v ? v->major : 0, v ? v->minor : 0,
                     v ? v->micro : 0, seccomp_arch_native());
    uint64_t h = util_fnv1a(UTIL_FNV1A_BASIS, meta, (size_t)m);
    h = util_fnv1a(h, text, len);
    int n = snprintf(out, cap, "%s/seccomp-%016llx.bpf", dir, (unsigned long long)h);
    return (n > 0 && (size_t)n < cap) ? 0 : -1;
}

static int trusted(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && st.st_uid == 0 && !(st.st_mode & 022);
}

static int cache_load(const char *path, seccomp_prog_t *out)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || !trusted(dfd))
        return -1;
    cleanup_close int fd = openat(dfd, slash + 1, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || !trusted(fd) || fstat(fd, &st) < 0 || st.st_size <= 0 ||
        st.st_size % (off_t)sizeof(struct sock_filter) || st.st_size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
        return -1;
    struct sock_filter *insns = malloc((size_t)st.st_size);
    if (!insns || read(fd, insns, (size_t)st.st_size) != st.st_size) {
        free(insns);
        return -1;
    }
    out->insns = insns;
    out->len = (unsigned short)(st.st_size / (off_t)sizeof(struct sock_filter));
    return 0;
}

static void cache_store(const char *path, const seccomp_prog_t *p)
{
    char dir[4200], tmp[4300];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return;
    *slash = '\0';
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return;
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    size_t n = (size_t)p->len * sizeof(struct sock_filter);
    int ok = util_write_all(fd, p->insns, n) == 0;
    close(fd);
    if (!ok || rename(tmp, path) < 0)
        unlink(tmp);
}

static int compile_text(const char *text, const char *path, seccomp_prog_t *out, nsj_error_t *err);

int seccomp_policy_compile(const char *path, seccomp_prog_t *out, nsj_error_t *err)
{
    cleanup_free char *text = NULL;
    size_t len;
    if (util_read_whole_file(path, 1 << 20, &text, &len, err) < 0)
        return nsj_error_wrap(err, "seccomp policy");
    char cpath[4200];
    int cacheable = geteuid() == 0 && cache_path(text, len, cpath, sizeof cpath) == 0;
    if (cacheable && cache_load(cpath, out) == 0)
        return 0;
    if (compile_text(text, path, out, err) < 0)
        return -1;
    if (cacheable)
        cache_store(cpath, out);
    return 0;
}

static int compile_text(const char *text, const char *path, seccomp_prog_t *out, nsj_error_t *err)
{
    seccomp_policy_t pol;
    if (seccomp_policy_parse(text, path, &pol, err) < 0)
        return -1;

    int rc = -1;
    int memfd = -1;
    scmp_filter_ctx ctx = seccomp_init(to_scmp(pol.def));
    if (!ctx) {
        nsj_error_set(err, ENOMEM, "seccomp_init");
        goto out;
    }
    /* We set no_new_privs ourselves, right before loading. A binary tree
     * of syscall numbers, not a list: the kernel runs the filter once per
     * syscall number and architecture when it is loaded (the action cache
     * of allowed calls), so every run's load costs less. */
    if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0 ||
        seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0 ||
        seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, to_scmp(pol.badarch)) < 0) {
        nsj_error_set(err, EINVAL, "seccomp: set filter attributes");
        goto out;
    }
    for (size_t i = 0; i < pol.nrules; i++)
        if (add_rule(ctx, &pol.rules[i], path, err) < 0)
            goto out;
    /* libseccomp 2.5 exports BPF only to an fd. */
    memfd = memfd_create("nsjudge-bpf", MFD_CLOEXEC);
    if (memfd < 0) {
        nsj_error_set(err, errno, "seccomp: memfd_create");
        goto out;
    }
    int erc = seccomp_export_bpf(ctx, memfd);
    if (erc < 0) {
        nsj_error_set(err, -erc, "seccomp: export BPF");
        goto out;
    }
    off_t size = lseek(memfd, 0, SEEK_END);
    if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
        size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
        nsj_error_set(err, EINVAL, "seccomp: exported program has bad size %lld", (long long)size);
        goto out;
    }
    out->insns = malloc((size_t)size);
    if (!out->insns || pread(memfd, out->insns, (size_t)size, 0) != size) {
        nsj_error_set(err, errno ? errno : EIO, "seccomp: read exported program");
        free(out->insns);
        out->insns = NULL;
        goto out;
    }
    out->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
    rc = 0;
out:
    if (memfd >= 0)
        close(memfd);
    if (ctx)
        seccomp_release(ctx);
    seccomp_policy_free(&pol);
    return rc;
}

void seccomp_prog_free(seccomp_prog_t *p)
{
    free(p->insns);
    p->insns = NULL;
    p->len = 0;
}

int seccomp_policy_load(const seccomp_prog_t *p, child_err_t *ce)
{
    struct sock_fprog prog = {.len = p->len, .filter = p->insns};
    long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (fd < 0)
        return child_fail(ce, errno, "seccomp", "load filter with listener");
    return (int)fd;
}

/* ---------- notifications (parent) ---------- */

#define X32_SYSCALL_BIT 0x40000000

int seccomp_notify_read(int listener, char *name, size_t cap, pid_t *pid)
{
    struct seccomp_notif *req = NULL;
    struct seccomp_notif_resp *resp = NULL;
    if (seccomp_notify_alloc(&req, &resp) < 0)
        return -1;
    int rc = seccomp_notify_receive(listener, req);
    if (rc < 0) {
        seccomp_notify_free(req, resp);
        return -1;
    }
    uint32_t arch = req->data.arch, native = seccomp_arch_native();
    int nr = req->data.nr;
    *pid = (pid_t)req->pid;
    char *sys = NULL;
    const char *prefix = "";
    if (arch == native && (nr & X32_SYSCALL_BIT)) {
        prefix = "x32:";
        sys = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X32, nr);
        if (!sys)
            sys = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X32, nr & ~X32_SYSCALL_BIT);
    } else {
        if (arch == AUDIT_ARCH_I386)
            prefix = "i386:";
        else if (arch != native)
            prefix = "foreign-arch:";
        sys = seccomp_syscall_resolve_num_arch(arch, nr);
    }
    if (sys)
        snprintf(name, cap, "%s%s", prefix, sys);
    else
        snprintf(name, cap, "%s%d", prefix, nr);
    free(sys);
    seccomp_notify_free(req, resp);
    return 0;
}
