/* vigilctl: the operator's command line for vigild.  */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/vconfig.h"
#include "ctl/client.h"
#include "ctl/ctl.h"

static const char usage[] =
    "Usage: vigilctl [OPTION]... COMMAND [ARG]...\n"
    "Show and change what vigild has learned.\n"
    "\n"
    "Commands:\n"
    "  models list                  models with their mode and learning progress\n"
    "  models show KEY              everything a model holds, per sensor\n"
    "  models relearn KEY           back to Learning, keeping what was learned\n"
    "  models learn start|stop KEY  learning by hand, with no time limit\n"
    "  models archive KEY           archive a model without running containers\n"
    "  models delete KEY            remove a model without running containers\n"
    "  containers list              containers vigild watches\n"
    "  containers sockets ID        listening sockets of a container, with their processes\n"
    "  alerts [--follow] ...        recent alerts, then new ones with --follow\n"
    "  rules list                   the rules in force and the containers they apply to\n"
    "  rules show NAME              one rule\n"
    "  rules reload                 read the rules again (also on SIGHUP)\n"
    "  rules check PATH             validate a rules file or directory offline\n"
    "\n"
    "KEY is a model key or any part of exactly one.\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE   read control_socket from FILE (default: $VIGIL_CONFIG\n"
    "                      or " VIGIL_DEFAULT_CONFIG ")\n"
    "  -s, --socket PATH   vigild's control socket (overrides the configuration)\n"
    "      --json          print JSON instead of tables\n"
    "  -h, --help          show this help; COMMAND --help shows its own\n"
    "  -V, --version       show the version\n"
    "\n"
    "Exit status: 0 on success, 1 when the request failed, 2 on a usage error.\n";

int
ctl_call (const struct ctl_options *opts, json_t request, json_t *response)
{
  cleanup_error vigil_error_t err = NULL;
  struct ctl_client client;
  int ret;

  if (request == NULL)
    {
      fprintf (stderr, "vigilctl: out of memory\n");
      return CTL_EXIT_FAILED;
    }
  if (ctl_connect (&client, opts->socket, &err) < 0)
    {
      yajl_tree_free (request);
      fprintf (stderr, "vigilctl: %s\n", err->msg);
      return CTL_EXIT_FAILED;
    }
  ret = ctl_request (&client, request, response, NULL, &err);
  yajl_tree_free (request);
  ctl_close (&client);
  if (ret < 0)
    {
      fprintf (stderr, "vigilctl: %s\n", err->msg);
      return CTL_EXIT_FAILED;
    }
  return CTL_EXIT_OK;
}

int
main (int argc, char **argv)
{
  static const struct option options[] = {
    { "config", required_argument, NULL, 'c' },
    { "socket", required_argument, NULL, 's' },
    { "json", no_argument, NULL, 'j' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
  };
  const char *config_path = vigil_config_default_path ();
  struct ctl_options opts = { 0 };
  struct vigil_config cfg;
  cleanup_error vigil_error_t err = NULL;
  const char *command;
  int opt, ret;

  /* Stop at the command: its options are its own.  */
  while ((opt = getopt_long (argc, argv, "+c:s:hV", options, NULL)) != -1)
    switch (opt)
      {
      case 'c':
        config_path = optarg;
        break;
      case 's':
        opts.socket = optarg;
        break;
      case 'j':
        opts.json = true;
        break;
      case 'h':
        fputs (usage, stdout);
        return CTL_EXIT_OK;
      case 'V':
        printf ("vigilctl %s\n", PACKAGE_VERSION);
        return CTL_EXIT_OK;
      default:
        fputs (usage, stderr);
        return CTL_EXIT_USAGE;
      }
  if (optind >= argc)
    return usage_error (usage, "missing command");
  command = argv[optind];

  /* --json is also accepted after the command, where users type it.  */
  for (int i = optind + 1; i < argc;)
    {
      if (strcmp (argv[i], "--json") != 0)
        {
          i++;
          continue;
        }
      opts.json = true;
      memmove (&argv[i], &argv[i + 1], (size_t) (argc - i) * sizeof (char *));
      argc--;
    }

  if (vigil_config_load (&cfg, config_path, true, &err) < 0)
    {
      fprintf (stderr, "vigilctl: %s\n", err->msg);
      vigil_config_free (&cfg);
      return CTL_EXIT_FAILED;
    }
  if (opts.socket == NULL)
    opts.socket = cfg.control_socket;

  if (strcmp (command, "models") == 0)
    ret = cmd_models (&opts, argc - optind, argv + optind);
  else if (strcmp (command, "containers") == 0)
    ret = cmd_containers (&opts, argc - optind, argv + optind);
  else if (strcmp (command, "alerts") == 0)
    ret = cmd_alerts (&opts, argc - optind, argv + optind);
  else if (strcmp (command, "rules") == 0)
    ret = cmd_rules (&opts, argc - optind, argv + optind);
  else if (strcmp (command, "help") == 0)
    {
      fputs (usage, stdout);
      ret = CTL_EXIT_OK;
    }
  else
    ret = usage_error (usage, "unknown command `%s`", command);
  vigil_config_free (&cfg);
  return ret;
}
