/* The runc command line as engines pass it:
     [global flags] COMMAND [command flags] [CONTAINER-ID] [more args]
   Parsing only reads; the delegate runtime gets argv unchanged.  */
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
};

/* Parse argv[1..argc-1].  Unknown global flags are accepted: "--x=v" is
   one token, and "--x" takes the next token as its value unless that
   token is a runc command.  */
int runtime_args_parse (int argc, char *const *argv, struct runtime_args *out, vigil_error_t *err);

/* Whether command rewrites the bundle (create, run).  */
int runtime_command_creates (const char *command);

#endif
