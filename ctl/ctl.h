/* vigilctl: shared declarations of the front end.  One file per command
   group: cmd_models.c, cmd_containers.c, cmd_alerts.c, cmd_rules.c.  */
#ifndef VIGIL_CTL_H
#define VIGIL_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/json.h"

/* Exit codes.  */
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAILED 1 /* the request failed: not found, busy, no agent */
#define CTL_EXIT_USAGE 2

struct ctl_options
{
  const char *socket;
  bool json;
};

int cmd_models (const struct ctl_options *opts, int argc, char **argv);
int cmd_containers (const struct ctl_options *opts, int argc, char **argv);
int cmd_alerts (const struct ctl_options *opts, int argc, char **argv);
int cmd_rules (const struct ctl_options *opts, int argc, char **argv);

/* Send request (which this takes) and store the response; prints the
   error and returns CTL_EXIT_FAILED on failure.  */
int ctl_call (const struct ctl_options *opts, json_t request, json_t *response);

/* A request {"command": COMMAND}, with {FIELD: VALUE} when field is not
   NULL; NULL when memory runs out (ctl_call reports it).  */
json_t ctl_command (const char *command, const char *field, const char *value);

/* Print v as one JSON document on stdout.  */
void ctl_print_json (json_t v);

/* "2h05m", "42s", "3d4h" for a duration in milliseconds.  */
void format_duration (uint64_t ms, char *buf, size_t size);
/* "2026-12-04 20:14:04" in UTC for a unix time in milliseconds.  */
void format_time (int64_t ms, char *buf, size_t size);

/* Whether argv[1..] contains --help or -h.  Prints usage to stdout if
   so.  */
bool wants_help (int argc, char **argv, const char *usage);
int usage_error (const char *usage, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

#endif
