#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/util.h"
#include "internal.h"

/* Two single-id mappings: ns root (the sandbox's init, which builds the
 * mounts) and the program's uid 1000, each to the run's slot's own host id (slot.c).
 * No other id exists inside, so nothing the program does can act as any
 * host user but its slot's.
 *
 * We do not write "deny" to setgroups: that guard is for unprivileged
 * map writers, and it would keep the child's inherited supplementary groups
 * (the supervisor's, e.g. host gid 0) for good. Instead userns_enter()
 * clears them, while only ids 0 and 1000 are mapped. */
int userns_write_maps(pid_t pid, const slot_t *slot, nsj_error_t *err)
{
    char path[64], map[96];
    snprintf(map, sizeof map, "0 %u 1\n%u %u 1\n", slot->root_id, NSJ_SANDBOX_UID, slot->prog_id);
    snprintf(path, sizeof path, "/proc/%d", (int)pid);
    cleanup_close int dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return nsj_error_set(err, errno, "userns: open %s", path);
    if (util_write_file_at(dir, "uid_map", map, err) < 0)
        return nsj_error_wrap(err, "userns");
    snprintf(map, sizeof map, "0 %u 1\n%u %u 1\n", slot->root_id, NSJ_SANDBOX_GID, slot->prog_id);
    if (util_write_file_at(dir, "gid_map", map, err) < 0)
        return nsj_error_wrap(err, "userns");
    return 0;
}

int userns_enter(child_err_t *ce)
{
    /* Raw syscalls: glibc's set*id() would try to signal the parent's other
     * threads (setxid broadcast) that do not exist in this child. */
    if (syscall(SYS_setresgid, 0, 0, 0) < 0)
        return child_fail(ce, errno, "userns", "setresgid 0");
    if (syscall(SYS_setresuid, 0, 0, 0) < 0)
        return child_fail(ce, errno, "userns", "setresuid 0");
    if (syscall(SYS_setgroups, 0, NULL) < 0)
        return child_fail(ce, errno, "userns", "setgroups clear");
    return 0;
}

int userns_become_sandbox_user(child_err_t *ce)
{
    if (syscall(SYS_setresgid, NSJ_SANDBOX_GID, NSJ_SANDBOX_GID, NSJ_SANDBOX_GID) < 0)
        return child_fail(ce, errno, "userns", "setresgid 1000");
    if (syscall(SYS_setresuid, NSJ_SANDBOX_UID, NSJ_SANDBOX_UID, NSJ_SANDBOX_UID) < 0)
        return child_fail(ce, errno, "userns", "setresuid 1000");
    return 0;
}
