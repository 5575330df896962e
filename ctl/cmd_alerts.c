/* vigilctl alerts [--container ID] [--model KEY] [--limit N] [--follow] */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "ctl/client.h"
#include "ctl/ctl.h"

static const char usage[] =
    "Usage: vigilctl alerts [--container ID] [--model KEY] [--limit N] [--follow]\n"
    "\n"
    "Recent alerts (vigild keeps the last 1000, read back from the alerts file\n"
    "when it starts), oldest first, one\n"
    "JSON object per line as in the alerts file.\n"
    "\n"
    "  --container ID   only alerts of this container: its id, the start of its\n"
    "                   id, or its name\n"
    "  --model KEY      only alerts of this model (the full key)\n"
    "  --limit N        at most N recent alerts (default 50)\n"
    "  --follow         then print new alerts as they happen, until interrupted\n";

static void
print_alert (json_t alert)
{
  cleanup_error vigil_error_t err = NULL;
  cleanup_free char *text = NULL;

  if (json_generate (alert, false, &text, NULL, &err) == 0)
    printf ("%s\n", text);
  fflush (stdout);
}

static int
stream (struct ctl_client *client)
{
  for (;;)
    {
      cleanup_error vigil_error_t err = NULL;
      cleanup_json json_t alert = NULL;
      int ret = ctl_read_line (client, &alert, &err);

      if (ret > 0)
        {
          fprintf (stderr, "vigilctl: vigild closed the connection\n");
          return CTL_EXIT_FAILED;
        }
      if (ret < 0)
        {
          fprintf (stderr, "vigilctl: %s\n", err->msg);
          return CTL_EXIT_FAILED;
        }
      print_alert (alert);
    }
}

int
cmd_alerts (const struct ctl_options *opts, int argc, char **argv)
{
  static const struct option options[] = {
    { "container", required_argument, NULL, 'c' },
    { "model", required_argument, NULL, 'm' },
    { "limit", required_argument, NULL, 'n' },
    { "follow", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_error vigil_error_t err = NULL;
  cleanup_json json_t request = json_new_object ();
  cleanup_json json_t response = NULL;
  struct ctl_client client;
  json_t list;
  bool follow = false;
  char *end;
  size_t i;
  int opt, ret;

  if (request == NULL)
    return CTL_EXIT_FAILED;
  json_object_set (request, "command", json_new_string ("alerts"));
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long (argc, argv, ":c:m:n:fh", options, NULL)) != -1)
    switch (opt)
      {
      case 'c':
        json_object_set (request, "container", json_new_string (optarg));
        break;
      case 'm':
        json_object_set (request, "model", json_new_string (optarg));
        break;
      case 'n':
        {
          unsigned long n = strtoul (optarg, &end, 10);
          if (*end != '\0' || optarg[0] == '-' || optarg[0] == '\0')
            return usage_error (usage, "invalid --limit `%s`: expected a number", optarg);
          json_object_set (request, "limit", json_new_uint (n));
          break;
        }
      case 'f':
        follow = true;
        break;
      case 'h':
        fputs (usage, stdout);
        return CTL_EXIT_OK;
      case ':':
        return usage_error (usage, "option `%s` needs a value", argv[optind - 1]);
      default:
        return usage_error (usage, "unknown option `%s`", argv[optind - 1]);
      }
  if (optind < argc)
    return usage_error (usage, "unexpected argument `%s`", argv[optind]);
  json_object_set (request, "follow", json_new_bool (follow));

  if (ctl_connect (&client, opts->socket, &err) < 0)
    {
      fprintf (stderr, "vigilctl: %s\n", err->msg);
      return CTL_EXIT_FAILED;
    }
  if (ctl_request (&client, request, &response, NULL, &err) < 0)
    {
      fprintf (stderr, "vigilctl: %s\n", err->msg);
      ctl_close (&client);
      return CTL_EXIT_FAILED;
    }
  list = json_get (response, "alerts");
  for (i = 0; list != NULL && i < list->u.array.len; i++)
    print_alert (list->u.array.values[i]);
  ret = follow ? stream (&client) : CTL_EXIT_OK;
  ctl_close (&client);
  return ret;
}
