/* Finding nsjudge's data files (seccomp policy, rootfs, languages) without
 * configuration, whether run from a checkout or installed. */
#ifndef NSJ_PATHS_H
#define NSJ_PATHS_H

#include <stddef.h>

/* Find rel (e.g. "seccomp/default.policy") under $NSJUDGE_HOME, next to the
 * executable's parent directory (a checkout: build/nsjudge -> ./rel), then
 * /usr/local/share/nsjudge and /usr/share/nsjudge. 0 and the path, or <0. */
int paths_find_data(const char *rel, char *out, size_t cap);

#endif
