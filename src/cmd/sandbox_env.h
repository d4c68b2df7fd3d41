/* The sandbox's host-wide settings from the environment, shared by the
 * programs that run sandboxes (nsjudge, nsjudge-worker). */
#ifndef NSJ_CMD_SANDBOX_ENV_H
#define NSJ_CMD_SANDBOX_ENV_H

#include "nsjudge/sandbox.h"

/* NSJUDGE_SLOTS, NSJUDGE_UID_BASE, NSJUDGE_SLOT_WAIT (seconds) and
 * NSJUDGE_RUN_DIR into o (unset = the library's default); a bad value
 * fills err naming the variable and returns <0. */
int cmd_sandbox_opts_from_env(nsj_sandbox_opts_t *o, nsj_error_t *err);

#endif
