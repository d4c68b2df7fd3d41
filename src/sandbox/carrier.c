/* Carriers: a run's init shares the supervisor's memory, as a vfork child.
 *
 * Cloned as a copy of the supervisor (the worker: ~250 mappings, several
 * MB), init would cost a copy of its page tables at the clone, a copy-on-
 * write fault for every page the supervisor's threads then touch, and the
 * teardown of the copy at its exit: ~0.5 ms of CPU per run, the largest
 * item of the machinery. So init is cloned with CLONE_VM: it runs on a
 * stack of its own in the supervisor's memory, using raw system calls and
 * no lock there (see internal.h), and memory of its own comes only with the
 * program's execve.
 *
 * Why CLONE_VFORK as well, and so a thread to carry it. When the kernel's
 * OOM killer picks a victim in a run's memory cgroup, it kills every
 * process that shares the victim's memory: init, looking as large as the
 * supervisor whose memory it shares, would take the supervisor with it.
 * The kernel never picks a vfork child (in_vfork() in oom_badness()), so
 * init is one: its parent is a carrier, a thread of the supervisor that
 * does the clone and sleeps in the kernel until init exits. Its thread-
 * local storage (errno, glibc's thread data) is then init's alone, as it is
 * a vfork child's. The program, made ahead by init before the spec comes,
 * is likewise the vfork child of a thread of init (launch.c), and so is
 * the netns helper of a cold run.
 *
 * A carrier blocks every signal, so that the process's signals are handled
 * on the caller's threads and never on storage init is using; nothing of
 * the supervisor may call glibc's set*id() (which waits for every thread)
 * while carriers are asleep. Each carrier owns the stacks of its run: its
 * init's, its program's, and the one of init's thread that vforks the
 * program. It serves one run at a time, from its clone until the run's
 * teardown reaped init. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "run.h"

enum {
    GUARD = 4096,
    INIT_STACK = 512 << 10,
    PROG_STACK = 256 << 10,
    THREAD_STACK = 64 << 10,
    HELPER_THREAD_STACK = 16 << 10,
    CARRIER_PTHREAD_STACK = 64 << 10,
};

struct carrier {
    pthread_t th;
    struct carrier *next;    /* the pool's list */
    char *map;               /* guard, init's stack, guard, program's, guard, init's thread's,
                              * guard, the thread's that vforks the netns helper */
    size_t map_len;
    uint32_t posted;         /* futex: 1 a job waits, 2 quit */
    uint32_t idle;           /* back from its last job */
    int home_netns;          /* the network namespace it was made in (the host's) */
    int home_mntns;          /* the mount namespace it was made in */
    int home_cwd;            /* and its working directory there */
    int fs_errno;            /* its fs_struct could not be made its own (carrier_enter_mntns fails) */
    int taken;               /* a run holds it (pool lock) */
    void (*job)(void *);
    void *arg;
};

#if defined(__x86_64__)
/* long carrier_clone3(const struct clone_args *, size_t, int (*fn)(void *), void *arg):
 * clone3, the child calling fn(arg) on the stack the arguments give and
 * exiting (this thread only) with its result. fn and arg are kept in rdx
 * and r8, which the syscall preserves (it clobbers rcx and r11). */
__asm__(".text\n"
        ".globl carrier_clone3\n"
        ".type carrier_clone3,@function\n"
        "carrier_clone3:\n"
        "    .cfi_startproc\n"
        "    mov %rcx, %r8\n"
        "    mov $435, %eax\n" /* SYS_clone3 */
        "    syscall\n"
        "    test %rax, %rax\n"
        "    jz 1f\n"
        "    ret\n"
        "1:\n"
        "    .cfi_undefined rip\n"
        "    xor %ebp, %ebp\n"
        "    mov %r8, %rdi\n"
        "    call *%rdx\n"
        "    mov %eax, %edi\n"
        "    mov $60, %eax\n" /* SYS_exit */
        "    syscall\n"
        "    hlt\n"
        "    .cfi_endproc\n"
        ".size carrier_clone3, .-carrier_clone3\n");
#else
#error "nsjudge: carrier_clone3 (src/sandbox/carrier.c) has no version for this architecture yet"
#endif

static void futex_wait(uint32_t *w, uint32_t v)
{
    syscall(SYS_futex, w, FUTEX_WAIT, v, NULL, NULL, 0);
}

static void futex_wake(uint32_t *w)
{
    syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void *carrier_main(void *arg)
{
    carrier_t *c = arg;
    /* setns into a mount namespace (carrier_enter_mntns) wants an
     * fs_struct of the thread's own, not the one it shares with the
     * process: a copy, the same root and working directory. */
    if (unshare(CLONE_FS) < 0)
        c->fs_errno = errno;
    for (;;) {
        uint32_t p;
        while ((p = __atomic_load_n(&c->posted, __ATOMIC_ACQUIRE)) == 0)
            futex_wait(&c->posted, 0);
        if (p == 2)
            return NULL;
        __atomic_store_n(&c->posted, 0, __ATOMIC_RELAXED);
        c->job(c->arg);
        __atomic_store_n(&c->idle, 1, __ATOMIC_RELEASE);
    }
}

void carrier_pool_init(carrier_pool_t *p)
{
    pthread_mutex_init(&p->mu, NULL);
    p->all = NULL;
    p->owner = getpid();
}

static carrier_t *carrier_new(nsj_error_t *err)
{
    carrier_t *c = calloc(1, sizeof *c);
    if (!c) {
        nsj_error_set(err, ENOMEM, "carrier");
        return NULL;
    }
    c->map_len = 4 * GUARD + INIT_STACK + PROG_STACK + THREAD_STACK + HELPER_THREAD_STACK;
    c->map = mmap(NULL, c->map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (c->map == MAP_FAILED) {
        nsj_error_set(err, errno, "carrier: mmap stacks");
        free(c);
        return NULL;
    }
    c->home_netns = c->home_mntns = c->home_cwd = -1;
    /* The stacks writable, the guards between them not. */
    for (carrier_stack_t k = CARRIER_INIT_STACK; k <= CARRIER_HELPER_THREAD_STACK; k++)
        if (mprotect(carrier_stack_top(c, k) - carrier_stack_size(k), carrier_stack_size(k), PROT_READ | PROT_WRITE) < 0) {
            nsj_error_set(err, errno, "carrier: mprotect stacks");
            goto fail;
        }
    /* Made by a thread in the host's network namespace: carriers are the
     * only threads that ever leave it (launch.c: clone_init). */
    c->home_netns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (c->home_netns < 0) {
        nsj_error_set(err, errno, "carrier: open /proc/thread-self/ns/net");
        goto fail;
    }
    /* Likewise the mount namespace and working directory it goes back to
     * (carrier_leave_mntns): this thread's, which the new one starts with. */
    c->home_mntns = open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);
    c->home_cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (c->home_mntns < 0 || c->home_cwd < 0) {
        nsj_error_set(err, errno, "carrier: open its mount namespace and working directory");
        goto fail;
    }
    c->idle = 1;
    pthread_attr_t at;
    sigset_t all, old;
    sigfillset(&all);
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, CARRIER_PTHREAD_STACK);
    pthread_sigmask(SIG_BLOCK, &all, &old); /* the thread starts with every signal blocked */
    int rc = pthread_create(&c->th, &at, carrier_main, c);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&at);
    if (rc != 0) {
        nsj_error_set(err, rc, "carrier: pthread_create");
        goto fail;
    }
    return c;
fail:
    if (c->home_netns >= 0)
        close(c->home_netns);
    if (c->home_mntns >= 0)
        close(c->home_mntns);
    if (c->home_cwd >= 0)
        close(c->home_cwd);
    munmap(c->map, c->map_len);
    free(c);
    return NULL;
}

carrier_t *carrier_take(carrier_pool_t *p, nsj_error_t *err)
{
    if (p->owner != getpid()) {
        /* A child made by fork() (a test's supervisor, for one) has no
         * thread of the pool: it starts one of its own, leaving the
         * parent's records alone (their stacks are its copies). */
        pthread_mutex_init(&p->mu, NULL);
        p->all = NULL;
        p->owner = getpid();
    }
    pthread_mutex_lock(&p->mu);
    carrier_t *c = p->all;
    while (c && (c->taken || !__atomic_load_n(&c->idle, __ATOMIC_ACQUIRE)))
        c = c->next;
    if (!c && (c = carrier_new(err))) {
        c->next = p->all;
        p->all = c;
    }
    if (c) {
        c->taken = 1;
        __atomic_store_n(&c->idle, 0, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&p->mu);
    return c;
}

char *carrier_stack_top(const carrier_t *c, carrier_stack_t which)
{
    char *a = c->map + GUARD, *b = a + INIT_STACK + GUARD, *t = b + PROG_STACK + GUARD, *h = t + THREAD_STACK + GUARD;
    switch (which) {
    case CARRIER_INIT_STACK:
        return a + INIT_STACK;
    case CARRIER_PROG_STACK:
        return b + PROG_STACK;
    case CARRIER_THREAD_STACK:
        return t + THREAD_STACK;
    case CARRIER_HELPER_THREAD_STACK:
        return h + HELPER_THREAD_STACK;
    }
    return NULL;
}

size_t carrier_stack_size(carrier_stack_t which)
{
    switch (which) {
    case CARRIER_INIT_STACK:
        return INIT_STACK;
    case CARRIER_PROG_STACK:
        return PROG_STACK;
    case CARRIER_THREAD_STACK:
        return THREAD_STACK;
    case CARRIER_HELPER_THREAD_STACK:
        return HELPER_THREAD_STACK;
    }
    return 0;
}

int carrier_home_netns(const carrier_t *c)
{
    return c->home_netns;
}

int carrier_enter_mntns(carrier_t *c, int nsfd)
{
    if (c->fs_errno) {
        errno = c->fs_errno;
        return -1;
    }
    return setns(nsfd, CLONE_NEWNS);
}

void carrier_leave_mntns(carrier_t *c)
{
    /* setns gives the namespace's root as the working directory: the one
     * it had comes back too (a cold run's paths may be relative to it). */
    if (setns(c->home_mntns, CLONE_NEWNS) < 0 || fchdir(c->home_cwd) < 0) {
        /* Every later run of this thread would start in the wrong one. */
        fprintf(stderr, "nsjudge: cannot go back to the host's mount namespace: %s\n", strerror(errno));
        abort();
    }
}

void carrier_post(carrier_t *c, void (*job)(void *), void *arg)
{
    c->job = job;
    c->arg = arg;
    __atomic_store_n(&c->posted, 1, __ATOMIC_RELEASE);
    futex_wake(&c->posted);
}

void carrier_give(carrier_pool_t *p, carrier_t *c)
{
    pthread_mutex_lock(&p->mu);
    c->taken = 0;
    pthread_mutex_unlock(&p->mu);
}

void carrier_pool_fini(carrier_pool_t *p)
{
    if (p->owner != getpid())
        return; /* a forked child's copy of a pool it never used */
    pthread_mutex_lock(&p->mu);
    carrier_t *c = p->all;
    p->all = NULL;
    pthread_mutex_unlock(&p->mu);
    while (c) {
        carrier_t *next = c->next;
        if (!c->taken && __atomic_load_n(&c->idle, __ATOMIC_ACQUIRE)) {
            __atomic_store_n(&c->posted, 2, __ATOMIC_RELEASE);
            futex_wake(&c->posted);
            pthread_join(c->th, NULL);
            close(c->home_netns);
            close(c->home_mntns);
            close(c->home_cwd);
            munmap(c->map, c->map_len);
            free(c);
        }
        /* else: its init was never reaped; the thread, its stacks and
         * this record are left as they are (never seen in practice). */
        c = next;
    }
    pthread_mutex_destroy(&p->mu);
}
