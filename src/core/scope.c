/* The scope table's names (core/scope.h). */
#include <stdio.h>
#include <string.h>

#include "core/scope.h"

static const char *const names[CORE_SCOPE_COUNT] = {
#define CORE_SCOPE_NAME(id, name) name,
    CORE_SCOPES(CORE_SCOPE_NAME)
#undef CORE_SCOPE_NAME
};

int core_scopes_parse(const char *text, unsigned *mask, char *bad, size_t cap)
{
    *mask = 0;
    const char *p = text ? text : "";
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ", ");
        if (!n)
            break;
        int found = -1;
        for (int i = 0; i < CORE_SCOPE_COUNT; i++)
            if (strlen(names[i]) == n && memcmp(p, names[i], n) == 0)
                found = i;
        if (found < 0 || (*mask & (1u << found))) {
            snprintf(bad, cap, "%s scope '%.*s' (scopes: submit, read, admin)", found < 0 ? "unknown" : "repeated",
                     (int)(n > 64 ? 64 : n), p);
            return -1;
        }
        *mask |= 1u << found;
        p += n;
    }
    return 0;
}

void core_scopes_format(unsigned mask, char out[CORE_SCOPES_TEXT_MAX])
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < CORE_SCOPE_COUNT; i++)
        if (mask & (1u << i))
            len += (size_t)snprintf(out + len, CORE_SCOPES_TEXT_MAX - len, "%s%s", len ? "," : "", names[i]);
}
