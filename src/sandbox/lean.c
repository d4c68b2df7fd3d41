/* Lean clones: what a run's init never touches is not copied into it.
 *
 * Init is cloned without CLONE_VM, so the kernel copies the caller's
 * address space into it: every mapping (VMA) is duplicated at the clone
 * and torn down at init's exit. In the worker that is ~250 mappings, ~190
 * of them the shared libraries of Postgres, Redis, HTTP and TLS clients
 * that init never calls (measured on this host: a fork and exit of such a
 * process costs ~0.5 ms of CPU, of which the mappings are most; the
 * process's own memory adds ~0.1 ms). Init and the program before its
 * execve run only code of the executable (libnsjudge and the libraries
 * linked into it statically: libseccomp, libcap, libnl) and of libc, which
 * reaches the vDSO through the dynamic loader's data; so every other
 * shared library is marked MADV_DONTFORK and left out of each clone.
 *
 * Only for a process that forks nothing else (opts.lean_clones: the
 * worker): a child made by fork() runs the libraries' atfork handlers
 * (OpenSSL registers some), which would then be missing. Libraries loaded
 * later (dlopen) stay copied, which costs time, not correctness.
 * Anonymous memory (heaps, stacks, libraries' .bss) is always copied: what
 * init reads (the sandbox's compiled seccomp filter, its paths) lives there. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/mount.h>

#include "run.h"

typedef struct mapping {
    unsigned long start, end, inode;
    unsigned dev_major, dev_minor;
    char path[512];
} mapping_t;

static int parse_line(const char *line, mapping_t *m)
{
    char perms[8];
    int off = 0;
    unsigned long pgoff;
    m->path[0] = '\0';
    if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %n", &m->start, &m->end, perms, &pgoff, &m->dev_major,
               &m->dev_minor, &m->inode, &off) < 7)
        return -1;
    snprintf(m->path, sizeof m->path, "%s", line + off);
    m->path[strcspn(m->path, "\n")] = '\0';
    return 0;
}

/* The file (device and inode) mapped at addr, into keep. */
static int file_at(FILE *f, const void *addr, mapping_t *keep)
{
    char line[1024];
    rewind(f);
    while (fgets(line, sizeof line, f)) {
        mapping_t m;
        if (parse_line(line, &m) == 0 && m.inode && (unsigned long)addr >= m.start && (unsigned long)addr < m.end) {
            *keep = m;
            return 0;
        }
    }
    return -1;
}

static int same_file(const mapping_t *a, const mapping_t *b)
{
    return a->inode == b->inode && a->dev_major == b->dev_major && a->dev_minor == b->dev_minor;
}

int lean_clones_enable(int *trimmed, nsj_error_t *err)
{
    *trimmed = 0;
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return nsj_error_set(err, errno, "lean clones: open /proc/self/maps");
    /* The executable, libc and the dynamic loader: what init runs. */
    mapping_t keep[3];
    const void *at[3] = {(const void *)lean_clones_enable, (const void *)mount, (const void *)getauxval(AT_BASE)};
    for (int i = 0; i < 3; i++)
        if (!at[i] || file_at(f, at[i], &keep[i]) < 0) {
            fclose(f);
            return nsj_error_set(err, ENOENT, "lean clones: no mapping found for %s",
                                 i == 0 ? "the executable" : i == 1 ? "libc" : "the dynamic loader");
        }
    char line[1024];
    int rc = 0;
    rewind(f);
    while (fgets(line, sizeof line, f)) {
        mapping_t m;
        if (parse_line(line, &m) < 0 || !m.inode || m.path[0] != '/' || !strstr(m.path, ".so"))
            continue;
        if (same_file(&m, &keep[0]) || same_file(&m, &keep[1]) || same_file(&m, &keep[2]))
            continue;
        if (madvise((void *)m.start, m.end - m.start, MADV_DONTFORK) < 0) {
            rc = nsj_error_set(err, errno, "lean clones: madvise %s", m.path);
            break;
        }
        (*trimmed)++;
    }
    fclose(f);
    return rc;
}
