#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>

#include "cmd/sandbox_env.h"
#include "common/util.h"

int cmd_sandbox_opts_from_env(nsj_sandbox_opts_t *o, nsj_error_t *err)
{
    const char *v;
    uint64_t n;
    if ((v = getenv("NSJUDGE_SLOTS")) && *v) {
        if (util_parse_u64(v, 4096, &n) < 0 || n < 1)
            return nsj_error_set(err, EINVAL, "NSJUDGE_SLOTS=%s: expected 1..4096", v);
        o->slots = (unsigned)n;
    }
    if ((v = getenv("NSJUDGE_UID_BASE")) && *v) {
        if (util_parse_u64(v, 0xfffe0000ULL, &n) < 0 || n < 1000)
            return nsj_error_set(err, EINVAL, "NSJUDGE_UID_BASE=%s: expected a host uid of at least 1000", v);
        o->uid_base = (uint32_t)n;
    }
    if ((v = getenv("NSJUDGE_SLOT_WAIT")) && *v) {
        if (util_parse_seconds_ms(v, &n) < 0 || n < 1 || n > 86400000)
            return nsj_error_set(err, EINVAL, "NSJUDGE_SLOT_WAIT=%s: expected seconds (0.001..86400)", v);
        o->slot_wait_ms = (unsigned)n;
    }
    if ((v = getenv("NSJUDGE_RUN_DIR")) && *v) {
        if (v[0] != '/')
            return nsj_error_set(err, EINVAL, "NSJUDGE_RUN_DIR=%s: expected an absolute path", v);
        o->run_dir = v;
    }
    return 0;
}
