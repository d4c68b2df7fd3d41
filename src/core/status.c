#include <string.h>

#include "core/status.h"

static const struct {
    const char *name;
    unsigned flags;
} table[] = {
#define CORE_STATUS_ROW(id, name, flags) {name, flags},
    CORE_STATUSES(CORE_STATUS_ROW)
#undef CORE_STATUS_ROW
};

const char *core_status_name(core_status_t s)
{
    return (unsigned)s < CORE_STATUS_COUNT ? table[s].name : "internal_error";
}

int core_status_from_name(const char *name, core_status_t *out)
{
    for (unsigned i = 0; name && i < CORE_STATUS_COUNT; i++)
        if (strcmp(name, table[i].name) == 0) {
            *out = (core_status_t)i;
            return 0;
        }
    return -1;
}

unsigned core_status_flags(core_status_t s)
{
    return (unsigned)s < CORE_STATUS_COUNT ? table[s].flags : 0;
}

bool core_status_final(core_status_t s)
{
    return core_status_flags(s) & CORE_ST_FINAL;
}

bool core_status_name_final(const char *name)
{
    core_status_t s;
    return core_status_from_name(name, &s) == 0 && core_status_final(s);
}
