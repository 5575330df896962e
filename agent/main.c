/* vigild: the Vigil agent.  Receives the seccomp notify fd of every
   container that vigil-runc created, learns a model per image and
   namespace, and enforces it.  */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "common/log.h"
#include "common/vconfig.h"

static void
usage (FILE *out)
{
  fprintf (out,
           "Usage: vigild [OPTION]...\n"
           "Run the Vigil agent in the foreground.\n"
           "\n"
           "  -c, --config FILE      configuration file (default: $VIGIL_CONFIG or %s)\n"
           "  -l, --log-level LEVEL  error, warning, info or debug (overrides log_level)\n"
           "  -h, --help             show this help and exit\n"
           "  -V, --version          show the version and exit\n",
           VIGIL_DEFAULT_CONFIG);
}

int
main (int argc, char **argv)
{
  static const struct option options[] = {
    { "config", required_argument, NULL, 'c' },
    { "log-level", required_argument, NULL, 'l' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
  };
  const char *config_path = vigil_config_default_path ();
  bool config_given = getenv ("VIGIL_CONFIG") != NULL;
  const char *level_name = NULL;
  struct vigil_config cfg;
  struct agent agent;
  vigil_error_t err = NULL;
  int opt, level, status = 0;

  vigil_log_init ("vigild");
  while ((opt = getopt_long (argc, argv, "c:l:hV", options, NULL)) != -1)
    switch (opt)
      {
      case 'c':
        config_path = optarg;
        config_given = true;
        break;
      case 'l':
        level_name = optarg;
        break;
      case 'h':
        usage (stdout);
        return 0;
      case 'V':
        printf ("vigild %s\n", PACKAGE_VERSION);
        return 0;
      default:
        usage (stderr);
        return 2;
      }
  if (optind < argc)
    {
      fprintf (stderr, "vigild: unexpected argument `%s`\n", argv[optind]);
      usage (stderr);
      return 2;
    }

  /* Only the default file may be missing: a file named by the operator
     that does not exist is a mistake, not a wish for the defaults.  */
  if (vigil_config_load (&cfg, config_path, !config_given, &err) < 0)
    {
      log_error ("%s", err->msg);
      vigil_error_free (&err);
      vigil_config_free (&cfg);
      return 1;
    }
  level = vigil_log_parse_level (level_name ? level_name : cfg.log_level);
  if (level < 0)
    {
      log_error ("invalid log level `%s`: expected error, warning, info or debug",
                 level_name ? level_name : cfg.log_level);
      vigil_config_free (&cfg);
      return 1;
    }
  vigil_log_set_level ((enum vigil_log_level) level);
  if (access (config_path, F_OK) == 0)
    log_info ("configuration: `%s`", config_path);
  else
    log_info ("configuration: built-in defaults (`%s` does not exist)", config_path);
  if (geteuid () != 0)
    log_warning ("not running as root: reading container memory and /proc will fail");

  if (agent_init (&agent, &cfg, &err) < 0 || agent_run (&agent, &err) < 0)
    {
      log_error ("%s", err->msg);
      vigil_error_free (&err);
      status = 1;
    }
  agent_fini (&agent);
  vigil_config_free (&cfg);
  log_info ("stopped");
  return status;
}
