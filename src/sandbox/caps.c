#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* Raw system calls, no libcap: init and the program share the supervisor's
 * memory (carrier.c), so nothing here may take a lock there (libcap's
 * cap_set_proc locks its cap_t) or write anything but this task's own
 * errno. */

int caps_drop_bounding(child_err_t *ce)
{
    /* Lock "root is just a uid": no capabilities from uid 0 or from exec,
     * and no way to turn that back on. Needs CAP_SETPCAP, so it comes first. */
    if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED |
                                     SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                                     SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
              0, 0, 0) < 0)
        return child_fail(ce, errno, "caps", "set securebits");
    /* Up to the first number the kernel does not know (EINVAL), however
     * many capabilities this kernel has. */
    for (unsigned long c = 0; c < 64; c++)
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
            if (errno == EINVAL)
                break;
            return child_fail(ce, errno, "caps", "drop bounding set");
        }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
        return child_fail(ce, errno, "caps", "clear ambient set");
    return 0;
}

int caps_clear(child_err_t *ce)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[2] = {{0, 0, 0}, {0, 0, 0}};
    if (syscall(SYS_capset, &h, d) < 0)
        return child_fail(ce, errno, "caps", "clear permitted/effective/inheritable");
    return 0;
}
