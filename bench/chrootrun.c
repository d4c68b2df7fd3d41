/* chrootrun DIR PROGRAM ARGS...: chroot(DIR), chdir("/"), exec PROGRAM with
 * the caller's environment. The "bare" side of bench/languages.sh: the
 * rootfs's own interpreter or compiled program on the host kernel, with no
 * sandbox. No libc (like true.c), so the extra exec costs the kernel's
 * share alone; coreutils' chroot, dynamically linked, adds ~1 ms a run. */
static long sys3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

static void say(const char *s)
{
    long n = 0;
    while (s[n])
        n++;
    sys3(1, 2, (long)s, n); /* write(2, ...) */
}

__attribute__((used, noreturn)) static void start_c(long *sp)
{
    long argc = sp[0];
    char **argv = (char **)(sp + 1), **envp = argv + argc + 1;
    if (argc < 3) {
        say("usage: chrootrun DIR PROGRAM [ARGS...]\n");
        sys3(60, 2, 0, 0);
    }
    if (sys3(161, (long)argv[1], 0, 0) < 0 || sys3(80, (long)"/", 0, 0) < 0) { /* chroot, chdir */
        say("chrootrun: chroot failed\n");
        sys3(60, 125, 0, 0);
    }
    sys3(59, (long)argv[2], (long)(argv + 2), (long)envp); /* execve */
    say("chrootrun: exec failed\n");
    sys3(60, 127, 0, 0);
    __builtin_unreachable();
}

__asm__(".globl _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall start_c\n");
