/* The one table of API key scopes (issue #13). A key (or anonymous access,
 * ANONYMOUS_SCOPES) holds a set of them as a bit mask; the database keeps
 * the set as its names joined by commas ("submit,read").
 *
 *   submit  create submissions and sessions (and use its own sessions)
 *   read    read its own submissions, their events and kept output
 *   admin   questions, test data, keys, everyone's submissions */
#ifndef NSJ_CORE_SCOPE_H
#define NSJ_CORE_SCOPE_H

#include <stddef.h>

/*      enum suffix  wire name */
#define CORE_SCOPES(X)       \
    X(SUBMIT, "submit")      \
    X(READ,   "read")        \
    X(ADMIN,  "admin")

enum core_scope_bit {
#define CORE_SCOPE_BIT(id, name) CORE_SCOPE_BIT_##id,
    CORE_SCOPES(CORE_SCOPE_BIT)
#undef CORE_SCOPE_BIT
    CORE_SCOPE_COUNT
};

enum {
#define CORE_SCOPE_MASK(id, name) CORE_SCOPE_##id = 1u << CORE_SCOPE_BIT_##id,
    CORE_SCOPES(CORE_SCOPE_MASK)
#undef CORE_SCOPE_MASK
};

/* Enough for every name joined by commas. */
#define CORE_SCOPES_TEXT_MAX 64

/* "submit,read" (spaces around names allowed; "" = none) into a mask; <0
 * naming the first unknown or repeated name in bad (cap bytes) otherwise. */
int core_scopes_parse(const char *text, unsigned *mask, char *bad, size_t cap);

/* The mask as names joined by commas, in the table's order ("" = none). */
void core_scopes_format(unsigned mask, char out[CORE_SCOPES_TEXT_MAX]);

#endif
