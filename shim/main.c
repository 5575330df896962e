/* vigil-runc: a drop-in wrapper for runc and crun.  create and run get
   Vigil's seccomp notify rules merged into the bundle first; every command
   then runs the delegate runtime with the original arguments.  */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/vconfig.h"
#include "shim/args.h"
#include "shim/bundle.h"
#include "shim/runtime_log.h"

/* Installed as vigil-crun (or any name ending in "crun"), the wrapper
   delegates to crun whatever the configured default is.  */
static const char *
select_runtime (const struct vigil_config *cfg, const char *argv0)
{
  cleanup_free char *copy = strdup (argv0);
  const char *base = copy ? basename (copy) : "";
  size_t len = strlen (base);

  if (len >= 4 && strcmp (base + len - 4, "crun") == 0)
    return cfg->crun_path;
  return strcmp (cfg->default_runtime, "crun") == 0 ? cfg->crun_path : cfg->runc_path;
}

int
main (int argc, char **argv)
{
  struct vigil_config cfg;
  struct runtime_args args;
  cleanup_error vigil_error_t err = NULL;
  const char *runtime, *config_path;
  char **delegate_argv;

  if (runtime_args_parse (argc, argv, &args, &err) < 0)
    {
      runtime_log_setup (NULL, NULL);
      runtime_log ("error", "%s", err->msg);
      return 1;
    }
  runtime_log_setup (args.log_path, args.log_format);

  config_path = args.vigil_config ? args.vigil_config : vigil_config_default_path ();
  if (vigil_config_load (&cfg, config_path, args.vigil_config == NULL, &err) < 0)
    {
      /* Only create and run need the configuration.  Every other command
         (delete, kill, state) must keep working, or a typo would leave
         containers that no engine can remove.  */
      vigil_config_free (&cfg);
      if (runtime_command_creates (args.command))
        {
          runtime_log ("error", "%s", err->msg);
          return 1;
        }
      runtime_log ("warning", "%s; running `%s` with the built-in runtime paths", err->msg,
                   args.command ? args.command : "");
      vigil_error_free (&err);
      if (vigil_config_load (&cfg, "/nonexistent", true, &err) < 0)
        return 1;
    }
  runtime = select_runtime (&cfg, argv[0]);

  if (runtime_command_creates (args.command) && bundle_prepare (&cfg, &args, &err) < 0)
    {
      runtime_log ("error", "%s", err->msg);
      return 1;
    }

  delegate_argv = runtime_args_delegate_argv (argc, argv, &args);
  if (delegate_argv == NULL)
    {
      runtime_log ("error", "execute runtime `%s`: out of memory", runtime);
      return 1;
    }
  delegate_argv[0] = (char *) runtime;
  execv (runtime, delegate_argv);
  runtime_log ("error", "execute runtime `%s`: %s (set `runc` or `crun` in `%s`)", runtime,
               strerror (errno), config_path);
  return 1;
}
