/* The runc command line as engines pass it:
     [global flags] COMMAND [command flags] [CONTAINER-ID] [more args]
   Parsing only reads.  The delegate runtime gets argv unchanged but for
   --vigil-config FILE, a global flag of the wrapper's own: engines that
   start the runtime with a clean environment (conmon) can pass it with
   podman's --runtime-flag.  */
#ifndef VIGIL_SHIM_ARGS_H
#define VIGIL_SHIM_ARGS_H

#include "common/error.h"

struct runtime_args
{
  int command_index;         /* index in argv, -1 when there is no command */
  const char *command;
  const char *log_path;      /* --log */
  const char *log_format;    /* --log-format: "text" (default) or "json" */
  const char *root;          /* --root */
  const char *bundle;        /* create/run: --bundle or -b, default "." */
  const char *container_id;  /* create/run: first positional argument after the flags */
  const char *vigil_config;  /* --vigil-config, the wrapper's own global flag */
  int vigil_config_index;    /* its first token in argv, -1 when absent */
  int vigil_config_tokens;   /* 1 for "--vigil-config=F", 2 for "--vigil-config F" */
};

/* Parse argv[1..argc-1].  Unknown global flags are accepted: "--x=v" is
   one token, and "--x" takes the next token as its value unless that
   token is a runc command.  */
int runtime_args_parse (int argc, char *const *argv, struct runtime_args *out, vigil_error_t *err);

/* Copy argv without the wrapper's own flags, for the delegate runtime.
   The result is NULL terminated and shares the strings of argv.  */
char **runtime_args_delegate_argv (int argc, char *const *argv, const struct runtime_args *args);

/* Whether command rewrites the bundle (create, run).  */
int runtime_command_creates (const char *command);

#endif
