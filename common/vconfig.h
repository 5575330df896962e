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

/* Alert outputs (alert_outputs = file,stdout,syslog).  */
#define VIGIL_ALERTS_TO_FILE 1u
#define VIGIL_ALERTS_TO_STDOUT 2u
#define VIGIL_ALERTS_TO_SYSLOG 4u

struct vigil_config
{
  char *listener_socket;     /* where runc/crun send notify fds */
  char *state_dir;           /* models/ lives below */
  char *alerts_file;         /* JSON lines, appended */
  unsigned alert_outputs;    /* VIGIL_ALERTS_TO_* bits */
  char *metrics_file;        /* Prometheus text format, rewritten each tick; NULL: none */
  char *address_feed;        /* high-risk addresses and CIDRs; NULL: none */
  char *hash_feed;           /* SHA-256 and MD5 of malware; NULL: none */
  uint64_t hash_max_bytes;   /* larger files are not hashed */
  char *rules;               /* a rules file or directory; NULL: none */
  int default_effect;        /* enum rule_effect without a matching rule */
  char *runc_path;
  char *crun_path;
  char *default_runtime;     /* "runc" or "crun" */
  enum vigil_fail_mode fail_mode;
  uint64_t connect_timeout_ms;
  char *control_socket;      /* vigilctl's socket */
  char *cluster_name;        /* part of every model key; NULL when unset */
  char *protected_paths;     /* comma-separated prefixes no container may write; NULL */

  /* Lifecycle durations, in seconds of the lifecycle clock, which runs
     clock_scale times as fast as real time (tests use 3600: an hour a
     second).  */
  uint64_t learning_seconds; /* cumulative observation time before Active */
  uint64_t dry_run_seconds;  /* observation time of Active before anomalies count */
  uint64_t relearn_seconds;  /* learning again after an anomaly in the dry run */
  uint64_t archive_after_seconds; /* idle time before a model is archived */
  uint64_t archive_keep_seconds;  /* time an archived model is kept */
  uint64_t clock_scale;
  uint64_t tick_ms;          /* how often observation time is added up, real ms */
  int deny_errno;            /* errno a denied syscall fails with: EPERM or EACCES */
  int network_deny_errno;    /* errno of a denied connect or sendto: EPERM or ECONNREFUSED */
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
