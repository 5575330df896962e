/* Node configuration shared by vigil-runc and vigild: a file of
   "key = value" lines, SYSCONFDIR/vigil/vigil.conf unless VIGIL_CONFIG or
   a command-line option names another.  */
#ifndef VIGIL_VCONFIG_H
#define VIGIL_VCONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

#define VIGIL_DEFAULT_CONFIG VIGIL_SYSCONFDIR "/vigil/vigil.conf"

enum vigil_fail_mode
{
  VIGIL_FAIL_OPEN,     /* run the container unprotected, log a warning */
  VIGIL_FAIL_CLOSED,   /* refuse to create the container */
};

struct vigil_config
{
  char *listener_socket;     /* where runc/crun send notify fds */
  char *state_dir;           /* models/ lives below */
  char *alerts_file;         /* JSON lines, appended */
  char *runc_path;
  char *crun_path;
  char *default_runtime;     /* "runc" or "crun" */
  enum vigil_fail_mode fail_mode;
  uint64_t connect_timeout_ms;
  uint64_t learning_seconds; /* cumulative observation time before Active */
  uint64_t tick_ms;          /* how often observation time is added up */
  int deny_errno;            /* errno a denied syscall fails with: EPERM or EACCES */
  char *log_level;
};

/* Fill cfg with defaults, then apply the file at path.  A missing file is
   not an error when missing_ok is set (the defaults apply).  */
int vigil_config_load (struct vigil_config *cfg, const char *path, bool missing_ok,
                       vigil_error_t *err);

/* Apply one "key = value" line; exposed for tests.  */
int vigil_config_apply_line (struct vigil_config *cfg, const char *line, vigil_error_t *err);

void vigil_config_free (struct vigil_config *cfg);

/* Path of the configuration file: $VIGIL_CONFIG or the default.  */
const char *vigil_config_default_path (void);

#endif
