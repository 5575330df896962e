/* vigilctl containers list|sockets */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "common/cleanup.h"
#include "ctl/ctl.h"

static const char usage[] =
    "Usage: vigilctl containers list\n"
    "       vigilctl containers sockets ID\n"
    "\n"
    "list     containers whose notify fds vigild holds: id, name, model, its\n"
    "         mode, init pid, start time and open notify fds (one per exec\n"
    "         session)\n"
    "sockets  the TCP and UDP sockets listening in the container's network\n"
    "         namespace, read from the kernel, with the process holding each,\n"
    "         whether it is one of the container's and whether the model has\n"
    "         the port; a learning model takes the container's own ones\n"
    "\n"
    "ID is a container id or a prefix of exactly one.\n";

static int
containers_sockets (const struct ctl_options *opts, const char *id)
{
  cleanup_json json_t response = NULL;
  json_t list;
  size_t i;
  int ret;

  ret = ctl_call (opts, ctl_command ("containers.sockets", "id", id), &response);
  if (ret != CTL_EXIT_OK)
    return ret;
  list = json_get (response, "sockets");
  if (opts->json)
    {
      ctl_print_json (list);
      return CTL_EXIT_OK;
    }
  printf ("%-5s %-40s %5s %7s %-16s %-9s %s\n", "PROTO", "ADDRESS", "PORT", "PID", "COMMAND", "CONTAINER",
          "MODEL");
  for (i = 0; list != NULL && i < list->u.array.len; i++)
    {
      json_t s = list->u.array.values[i];
      json_t own = json_get (s, "in_container"), known = json_get (s, "in_model");
      const char *comm = json_get_string (s, "comm");

      printf ("%-5s %-40s %5" PRIu64 " %7" PRIu64 " %-16s %-9s %s\n", json_get_string (s, "protocol"),
              json_get_string (s, "address"), json_get_uint (s, "port", 0), json_get_uint (s, "pid", 0),
              comm && comm[0] ? comm : "-", own && YAJL_IS_TRUE (own) ? "yes" : "no",
              known && YAJL_IS_TRUE (known) ? "yes" : "no");
    }
  return CTL_EXIT_OK;
}

int
cmd_containers (const struct ctl_options *opts, int argc, char **argv)
{
  cleanup_json json_t response = NULL;
  json_t list;
  size_t i;
  int ret;

  if (wants_help (argc, argv, usage))
    return CTL_EXIT_OK;
  if (argc == 3 && strcmp (argv[1], "sockets") == 0)
    return containers_sockets (opts, argv[2]);
  if (argc != 2 || strcmp (argv[1], "list") != 0)
    return usage_error (usage, "expected: containers list, or containers sockets ID");

  ret = ctl_call (opts, ctl_command ("containers.list", NULL, NULL), &response);
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
