#define _GNU_SOURCE
#include <errno.h>
#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "internal.h"

int caps_drop_bounding(child_err_t *ce)
{
    /* Lock "root is just a uid": no capabilities from uid 0 or from exec,
     * and no way to turn that back on. Needs CAP_SETPCAP, so it comes first. */
    if (cap_set_secbits(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED |
                        SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                        SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) < 0)
        return child_fail(ce, errno, "caps", "set securebits");
    for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++)
        if (cap_drop_bound(c) < 0 && errno != EINVAL)
            return child_fail(ce, errno, "caps", "drop bounding set");
    /* One call; libcap's cap_reset_ambient() asks about each cap first. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
        return child_fail(ce, errno, "caps", "clear ambient set");
    return 0;
}

int caps_clear(cap_t empty, child_err_t *ce)
{
    if (cap_set_proc(empty) < 0)
        return child_fail(ce, errno, "caps", "clear permitted/effective/inheritable");
    return 0;
}
