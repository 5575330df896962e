/* vigilctl containers list */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "common/cleanup.h"
#include "ctl/ctl.h"

static const char usage[] =
    "Usage: vigilctl containers list\n"
    "\n"
    "Containers whose notify fds vigild holds: id, name, model, its mode,\n"
    "init pid, start time and open notify fds (one per exec session).\n";

int
cmd_containers (const struct ctl_options *opts, int argc, char **argv)
{
  cleanup_json json_t response = NULL;
  json_t request, list;
  size_t i;
  int ret;

  if (wants_help (argc, argv, usage))
    return CTL_EXIT_OK;
  if (argc != 2 || strcmp (argv[1], "list") != 0)
    return usage_error (usage, "expected: containers list");

  request = json_new_object ();
  if (request != NULL)
    json_object_set (request, "command", json_new_string ("containers.list"));
  ret = ctl_call (opts, request, &response);
  if (ret != CTL_EXIT_OK)
    return ret;
  list = json_get (response, "containers");
  if (opts->json)
    {
      ctl_print_json (list);
      return CTL_EXIT_OK;
    }
  printf ("%-24s %-16s %-44s %-9s %7s %-19s %s\n", "ID", "NAME", "MODEL", "MODE", "PID", "STARTED",
          "FDS");
  for (i = 0; list != NULL && i < list->u.array.len; i++)
    {
      json_t c = list->u.array.values[i];
      const char *id = json_get_string (c, "id");
      const char *name = json_get_string (c, "name");
      char started[32];

      format_time ((int64_t) json_get_uint (c, "started_ms", 0), started, sizeof (started));
      printf ("%-24.24s %-16s %-44s %-9s %7" PRIu64 " %-19s %" PRIu64 "\n", id ? id : "-",
              name ? name : "-", json_get_string (c, "model"), json_get_string (c, "mode"),
              json_get_uint (c, "pid", 0), started, json_get_uint (c, "notify_fds", 0));
    }
  return CTL_EXIT_OK;
}
