/* What cgroup.c shares with the two back ends. */
#ifndef NSJ_CGROUP_INTERNAL_H
#define NSJ_CGROUP_INTERNAL_H

#include <limits.h>
#include <stdatomic.h>

#include "internal.h"

typedef struct cgroup_ops {
    int (*create)(const cgroup_backend_t *be, const nsj_limits_t *l, cgroup_run_t *run, nsj_error_t *err);
    int (*set_limits)(const cgroup_run_t *run, const nsj_limits_t *l, nsj_error_t *err);
    int (*attach)(const cgroup_run_t *run, pid_t pid, nsj_error_t *err);
    int (*cpu_ns)(const cgroup_run_t *run, uint64_t *ns);
    int (*evidence)(const cgroup_run_t *run, cgroup_evidence_t *ev, nsj_error_t *err);
    int (*destroy)(cgroup_run_t *run, nsj_error_t *err);
    /* Optional: see cgroup_recycle and cgroup_reuse (v2: where memory.peak can be reset). */
    int (*recycle)(cgroup_run_t *run, nsj_error_t *err);
    int (*reuse)(cgroup_run_t *run, const nsj_limits_t *l, nsj_error_t *err);
} cgroup_ops_t;

enum { V1_MEMORY, V1_CPU, V1_CPUACCT, V1_PIDS, V1_NCTRL };

struct cgroup_backend {
    int version;
    const cgroup_ops_t *ops;
    /* v2: the parent directory of run cgroups. */
    char v2_parent[PATH_MAX];
    int v2_parent_fd;
    int v2_have_clone_into;      /* kernel >= 5.7 */
    /* v1: per controller, the parent directory inside its hierarchy; two
     * controllers mounted together share one (dir index in ctrl_dir). */
    char v1_parent[V1_NCTRL][PATH_MAX];
    int v1_parent_fd[V1_NCTRL];
    int v1_ctrl_dir[V1_NCTRL];   /* index into run->dirfd */
    int v1_ndirs;
    int v1_memsw;                /* memory.memsw.* exists (swap accounting) */
    int v1_kmem_tcp;             /* memory.kmem.tcp.limit_in_bytes exists (socket buffers) */
};

extern const cgroup_ops_t cgroup_v1_ops;
extern const cgroup_ops_t cgroup_v2_ops;

/* Prepare a v2 back end at mount/parent; <0 + err when unusable. */
int cgroup_v2_open(cgroup_backend_t *be, const char *mount, const char *parent, nsj_error_t *err);
/* Prepare a v1 back end from the hierarchies' mount points. */
int cgroup_v1_open(cgroup_backend_t *be, const char *const mounts[V1_NCTRL], const char *parent, nsj_error_t *err);


/* mkdir parent/name; if a stale empty one of ours is there, replace it. */
int cgroup_mkdir_run(int parent_fd, const char *parent, const char *name, nsj_error_t *err);

/* The files a back end holds open for a cgroup's life (run->filefd[i] is
 * table[i]'s), so that a kept cgroup's next run opens none of them (a
 * kernfs open and release each). Reads are preads from 0, which make a
 * seq_file show the counters anew. Not cgroup.procs or tasks: an open
 * one caches its pid list (v1, for a second), which a loop that empties
 * the cgroup must not read. */
typedef struct cgroup_file {
    int dir;                   /* v1: the controller (V1_*); v2: 0 */
    const char *name;
    int flags;                 /* O_RDONLY, O_WRONLY, O_RDWR */
    int read_only_else;        /* O_RDWR refused (EACCES): open it O_RDONLY */
} cgroup_file_t;
/* Open table[0..n-1] (dir_of[t->dir] indexes run->dirfd), but not those in
 * skip (bit i), nor those in optional that do not exist. */
int cgroup_open_files(cgroup_run_t *run, const cgroup_file_t *table, int n, const int *dir_of, uint32_t skip,
                      uint32_t optional, nsj_error_t *err);
int cgroup_file_write(const cgroup_run_t *run, const cgroup_file_t *table, int i, const char *v, nsj_error_t *err);
ssize_t cgroup_file_read(const cgroup_run_t *run, int i, char *buf, size_t cap);
int cgroup_file_u64(const cgroup_run_t *run, int i, uint64_t *v);
/* Close them. */
void cgroup_close_files(cgroup_run_t *run);

/* rmdir, retrying briefly while the kernel finishes releasing exited tasks. */
int cgroup_rmdir_run(int parent_fd, const char *parent, const char *name, nsj_error_t *err);

#endif
