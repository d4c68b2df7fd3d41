/* nsjudge sandbox: run one untrusted program in fresh Linux namespaces,
 * under a fresh cgroup and a seccomp policy, and report why it ended.
 *
 * An nsj_sandbox_t is long-lived (it holds the compiled seccomp filter and
 * the cgroup back end) and may be shared by threads; each nsj_run() call is
 * independent. The process must ignore SIGPIPE (nsj_sandbox_new() does not
 * change signal dispositions). Requires root. */
#ifndef NSJUDGE_SANDBOX_H
#define NSJUDGE_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "result.h"

/* Inside every sandbox the program runs as this uid/gid (user "sandbox"). */
#define NSJ_SANDBOX_UID 1000
#define NSJ_SANDBOX_GID 1000

typedef enum nsj_cgroup_mode {
    NSJ_CGROUP_AUTO = 0,  /* v2 when it has memory, cpu and pids; else v1 */
    NSJ_CGROUP_V2,
    NSJ_CGROUP_V1,
} nsj_cgroup_mode_t;

typedef struct nsj_sandbox_opts {
    const char *seccomp_policy;  /* policy file; NULL = NSJUDGE_SECCOMP or the default */
    nsj_cgroup_mode_t cgroup_mode;
    /* Where run cgroups are made, relative to each hierarchy's root. NULL =
     * NSJUDGE_CGROUP_PARENT or "/nsjudge". "self" = the caller's own cgroup,
     * which it then leaves for a "supervisor" leaf (systemd Delegate=yes). */
    const char *cgroup_parent;
    /* Slots: at most `slots` sandboxes run at once on this host (shared by
     * every process through lock files in run_dir). Slot N's init and
     * program run as host ids uid_base + 2N and uid_base + 2N + 1. */
    unsigned slots;              /* 0 = 64 */
    uint32_t uid_base;           /* 0 = 100000 */
    unsigned slot_wait_ms;       /* how long a run waits for a free slot; 0 = 60000 */
    const char *run_dir;         /* slot locks and scratch mounts; NULL = /run/nsjudge */
    /* Warm slots, for long-lived callers (the worker): each thread calling
     * nsj_run() keeps a slot for its life, with its next run prepared ahead
     * (namespaces, cgroup, the rootfs's mounts) and its last one torn down
     * after the result was returned, by a thread of the slot's own. Every
     * run still gets its own namespaces and cgroup (launch.c's theory of
     * operation lists what is made per run). 0 = each run made and removed
     * within nsj_run() (the CLI). */
    int warm;
} nsj_sandbox_opts_t;

typedef struct nsj_limits {
    uint64_t memory_bytes;   /* cgroup memory, no swap              [256 MiB] */
    uint64_t cpu_ms;         /* CPU time of the whole cgroup        [5000] */
    uint64_t wall_ms;        /* wall-clock time                     [10000] */
    uint32_t pids;           /* tasks in the cgroup                 [32] */
    uint32_t cpu_millis;     /* CPU bandwidth, 1000 = one core; 0 = none [500] */
    uint64_t output_bytes;   /* cap on stdout and on stderr, each   [1 MiB] */
    uint64_t tmp_bytes;      /* size of /tmp and of /dev/shm        [64 MiB] */
    uint64_t fsize_bytes;    /* RLIMIT_FSIZE                        [64 MiB] */
    uint32_t nofile;         /* RLIMIT_NOFILE                       [256] */
    uint64_t stack_bytes;    /* RLIMIT_STACK                        [64 MiB] */
} nsj_limits_t;

typedef enum nsj_bind_flags {
    NSJ_BIND_RW = 1 << 0,       /* writable (default read-only) */
    NSJ_BIND_NOEXEC = 1 << 1,
} nsj_bind_flags_t;

typedef struct nsj_bind {
    const char *host_path;      /* absolute directory on the host */
    const char *sandbox_path;   /* absolute mount point; must exist in the rootfs */
    unsigned flags;             /* nsj_bind_flags_t */
} nsj_bind_t;

/* A file made inside the sandbox, in a fresh read-only tmpfs (files_dir):
 * nothing of the host is shared, and nothing needs removing afterwards. */
typedef struct nsj_file {
    const char *name;           /* plain file name */
    const char *data;
    size_t len;
    unsigned mode;              /* 0644, or 0755 for executables */
} nsj_file_t;

typedef enum nsj_stream { NSJ_STDOUT = 1, NSJ_STDERR = 2 } nsj_stream_t;

typedef struct nsj_run_spec {
    const char *rootfs;              /* directory mounted read-only as / */
    const nsj_bind_t *binds;         /* e.g. {artefact_dir, "/box", 0}; at most 8 */
    size_t nbinds;
    const nsj_file_t *files;         /* e.g. the submission's source */
    size_t nfiles;
    const char *files_dir;           /* where files appear; NULL = "/code" */
    const char *const *argv;         /* argv[0] is an absolute path in the rootfs */
    const char *const *envp;         /* NULL = nsj_default_env */
    const char *cwd;                 /* NULL = "/tmp" */
    /* stdin: stdin_fd >= 0 is read by the supervisor and fed to the program
     * (a file or a live pipe); else the stdin_len bytes at stdin_data. */
    const char *stdin_data;
    size_t stdin_len;
    int stdin_fd;
    nsj_limits_t limits;
    /* Optional live output: called from nsj_run()'s thread as chunks arrive
     * (before they are capped into the result). */
    void (*on_output)(void *ud, nsj_stream_t stream, const char *buf, size_t len);
    void *ud;
    /* Optional: when this fd becomes readable the run is killed and ends as
     * runtime_error with evidence "cancelled". -1 = none. */
    int cancel_fd;
    /* Optional: kill after this long with no output and no input; 0 = off. */
    uint64_t idle_ms;
    /* Optional: fds the program gets as its stdin / stdout themselves (a
     * pipe end shared with another sandbox: nsj_run_pair), instead of the
     * supervisor feeding stdin_data or capturing stdout. Not closed by
     * nsj_run; -1 = unused. */
    int program_stdin_fd;
    int program_stdout_fd;
    /* Optional: called (with ud) once the program is about to execve. */
    void (*on_exec)(void *ud);
} nsj_run_spec_t;

typedef struct nsj_sandbox nsj_sandbox_t;

/* The clean environment every program gets unless the spec gives its own. */
extern const char *const nsj_default_env[];

/* Fill limits with the defaults in brackets above. */
void nsj_limits_default(nsj_limits_t *l);

/* Check limits for sane ranges; fills err and returns <0 when one is not. */
int nsj_limits_validate(const nsj_limits_t *l, nsj_error_t *err);

/* Initialise a spec: default limits, no binds, no stdin, no callbacks. */
void nsj_run_spec_init(nsj_run_spec_t *spec);

/* Compile the seccomp policy, detect the cgroup back end, check privileges. */
int nsj_sandbox_new(const nsj_sandbox_opts_t *opts, nsj_sandbox_t **out, nsj_error_t *err);

/* Free a sandbox made by nsj_sandbox_new(), after every other thread that
 * ran on it has ended (their warm slots go with them). */
void nsj_sandbox_free(nsj_sandbox_t *sb);

/* A scratch directory for a compile step's /box: a size- and inode-capped
 * tmpfs mounted on the host under run_dir (its pages are charged to the run
 * that writes them). Bind it read-write into the compile run, seal it, then
 * bind it read-only into later runs. Removed by nsj_scratch_free(), or by
 * the next sweep when its owner died. */
typedef struct nsj_scratch nsj_scratch_t;
int nsj_scratch_new(nsj_sandbox_t *sb, uint64_t size_bytes, uint64_t inodes, nsj_scratch_t **out, nsj_error_t *err);
/* The scratch directory's host path. */
const char *nsj_scratch_path(const nsj_scratch_t *s);
/* Make what the compile step left readable by every slot's program, and the tmpfs read-only. */
int nsj_scratch_seal(nsj_scratch_t *s, nsj_error_t *err);
/* Unmount and remove it (NULL is fine). */
void nsj_scratch_free(nsj_scratch_t *s);

/* "v1" or "v2": the cgroup back end in use. */
const char *nsj_sandbox_cgroup_backend(const nsj_sandbox_t *sb);

/* Run one program to completion. Always fills res (nsj_result_free() it).
 * Returns 0 when a verdict was reached, <0 on internal_error (res->message
 * says which step failed and why). The sandbox dies with the thread that
 * called nsj_run (its parent-death signal follows that thread): call it
 * from a thread that outlives the run. */
int nsj_run(nsj_sandbox_t *sb, const nsj_run_spec_t *spec, nsj_result_t *res);

/* With opts.warm: prepare the calling thread's next run for this rootfs
 * and limits now, and return once it is ready (<0 + err when preparing
 * failed). nsj_run() does this by itself after each run; this is for the
 * first one (a worker thread's start, the CLI's --warm). */
int nsj_sandbox_prepare(nsj_sandbox_t *sb, const char *rootfs, const nsj_limits_t *limits, nsj_error_t *err);

/* With opts.warm: give up the calling thread's warm slot now (its prepared
 * run killed, finished runs torn down, its slot released) rather than when
 * the thread exits; its next nsj_run() takes a new one. No-op otherwise. */
void nsj_sandbox_release_warm(nsj_sandbox_t *sb);

/* Remove what supervisors that died mid-run left on the host: their run
 * cgroups (their pid is gone) and scratch mounts (their lock is free);
 * nsj_sandbox_new() does this once, long-lived callers now and then.
 * Returns how many were removed. */
int nsj_sandbox_sweep(nsj_sandbox_t *sb);

#endif
