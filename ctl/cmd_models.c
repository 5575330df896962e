/* vigilctl models list|show|relearn|learn|archive|delete */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "common/cleanup.h"
#include "ctl/ctl.h"

static const char usage[] =
    "Usage: vigilctl models list\n"
    "       vigilctl models show KEY\n"
    "       vigilctl models relearn KEY\n"
    "       vigilctl models learn start|stop KEY\n"
    "       vigilctl models archive KEY\n"
    "       vigilctl models delete KEY\n"
    "\n"
    "list     every model: key, image, namespace, mode, learning progress,\n"
    "         running containers and when a container last ran\n"
    "show     a model with every entry, its source (static: from config.json\n"
    "         at create; learned: observed; netlink: the kernel's socket\n"
    "         table) and when it was first seen, and the capabilities that\n"
    "         apply to its containers with the reason for each\n"
    "relearn  back to Learning for learning_seconds, keeping every entry\n"
    "learn    start: Learning with no time limit; stop: Active (dry run first)\n"
    "archive  archive a model that has no running container\n"
    "delete   remove a model that has no running container\n"
    "\n"
    "KEY is a model key (CLUSTER/NAMESPACE/DEPLOYMENT/IMAGE) or any part of\n"
    "exactly one.  --json prints what vigild sent.\n";

static const char *
str_or_dash (json_t obj, const char *key)
{
  const char *v = json_get_string (obj, key);
  return v ? v : "-";
}

/* "learning 12m/1h00m", "learning (manual)", "active (dry run)", ...  */
static void
describe_mode (json_t s, char *buf, size_t size)
{
  const char *mode = str_or_dash (s, "mode");
  json_t manual = json_get (s, "manual_learning");
  json_t dry = json_get (s, "dry_run");
  char done[24], target[24];

  if (strcmp (mode, "learning") == 0 && manual != NULL && YAJL_IS_TRUE (manual))
    snprintf (buf, size, "learning (manual)");
  else if (strcmp (mode, "learning") == 0)
    {
      format_duration (json_get_uint (s, "learning_ms", 0), done, sizeof (done));
      format_duration (json_get_uint (s, "learning_target_ms", 0), target, sizeof (target));
      snprintf (buf, size, "learning %s/%s", done, target);
    }
  else if (strcmp (mode, "active") == 0 && dry != NULL && YAJL_IS_TRUE (dry))
    {
      format_duration (json_get_uint (s, "active_ms", 0), done, sizeof (done));
      format_duration (json_get_uint (s, "dry_run_ms", 0), target, sizeof (target));
      snprintf (buf, size, "active (dry run %s/%s)", done, target);
    }
  else
    snprintf (buf, size, "%s", mode);
}

static void
describe_last_seen (json_t s, char *buf, size_t size)
{
  if (json_get_uint (s, "containers", 0) > 0)
    snprintf (buf, size, "running");
  else
    format_time ((int64_t) json_get_uint (s, "last_seen_ms", 0), buf, size);
}

static int
models_list (const struct ctl_options *opts)
{
  cleanup_json json_t response = NULL;
  json_t models;
  size_t i, width = 3;
  int ret = ctl_call (opts, ctl_command ("models.list", NULL, NULL), &response);

  if (ret != CTL_EXIT_OK)
    return ret;
  models = json_get (response, "models");
  if (opts->json)
    {
      ctl_print_json (models);
      return CTL_EXIT_OK;
    }
  for (i = 0; models != NULL && i < models->u.array.len; i++)
    {
      size_t len = strlen (str_or_dash (models->u.array.values[i], "key"));
      if (len > width)
        width = len;
    }
  printf ("%-*s %-10s %-30s %-10s %5s %s\n", (int) width, "KEY", "NAMESPACE", "MODE", "OBSERVED", "CTRS",
          "LAST SEEN");
  for (i = 0; models != NULL && i < models->u.array.len; i++)
    {
      json_t s = models->u.array.values[i];
      char mode[96], observed[32], seen[32];

      describe_mode (s, mode, sizeof (mode));
      format_duration (json_get_uint (s, "observed_ms", 0), observed, sizeof (observed));
      describe_last_seen (s, seen, sizeof (seen));
      printf ("%-*s %-10s %-30s %-10s %5" PRIu64 " %s\n", (int) width, str_or_dash (s, "key"),
              str_or_dash (s, "namespace"), mode, observed, json_get_uint (s, "containers", 0), seen);
    }
  return CTL_EXIT_OK;
}

static void
print_field (const char *label, const char *value)
{
  printf ("%-13s %s\n", label, value ? value : "-");
}

/* Print one line per entry: path, source and first seen.  Executables
   also show the file a symlink leads to, and "(file only)" marks
   interpreters and loaders learned from the kernel's open.  */
static void
print_entries (json_t list, bool executables)
{
  size_t i;

  if (list == NULL || list->u.array.len == 0)
    return;
  printf ("  %-40s %-8s %-19s %s\n", "PATH", "SOURCE", "FIRST SEEN", executables ? "FILE" : "");
  for (i = 0; i < list->u.array.len; i++)
    {
      json_t e = list->u.array.values[i];
      json_t file_only = json_get (e, "file_only");
      const char *target = json_get_string (e, "target");
      char first[32];

      format_time ((int64_t) json_get_uint (e, "first_seen", 0) * 1000, first, sizeof (first));
      printf ("  %-40s %-8s %-19s %s%s\n", str_or_dash (e, "path"), str_or_dash (e, "source"), first,
              target ? target : "", file_only != NULL && YAJL_IS_TRUE (file_only) ? "(file only)" : "");
    }
}

/* Print one entry of the network section; kind is "listen", "connect" or
   "socket".  */
static void
print_net_entry (const char *kind, json_t e)
{
  const char *path = json_get_string (e, "path"), *address = json_get_string (e, "address");
  bool socket = strcmp (kind, "socket") == 0;
  char where[300], first[32];

  if (socket)
    snprintf (where, sizeof (where), "%s protocol %" PRIu64, str_or_dash (e, "type"),
              json_get_uint (e, "protocol", 0));
  else if (path != NULL)
    snprintf (where, sizeof (where), "%s", path);
  else if (address != NULL)
    snprintf (where, sizeof (where), strchr (address, ':') ? "[%s]:%" PRIu64 : "%s:%" PRIu64, address,
              json_get_uint (e, "port", 0));
  else
    snprintf (where, sizeof (where), "port %" PRIu64, json_get_uint (e, "port", 0));
  format_time ((int64_t) json_get_uint (e, "first_seen", 0) * 1000, first, sizeof (first));
  printf ("  %-8s %-9s %-40s %-8s %s\n", kind, str_or_dash (e, socket ? "family" : "protocol"), where,
          str_or_dash (e, "source"), first);
}

/* The network section: listening ports, destinations, raw sockets.  */
static void
print_network (json_t network)
{
  static const char *const sections[] = { "listen", "connect", "sockets" };
  static const char *const kinds[] = { "listen", "connect", "socket" };
  size_t counts[3], i, k;

  for (k = 0; k < 3; k++)
    {
      json_t list = json_get (network, sections[k]);
      counts[k] = list != NULL && YAJL_IS_ARRAY (list) ? list->u.array.len : 0;
    }
  printf ("\nNetwork: %zu listening, %zu destinations, %zu raw or packet sockets\n", counts[0], counts[1],
          counts[2]);
  if (counts[0] + counts[1] + counts[2] == 0)
    return;
  printf ("  %-8s %-9s %-40s %-8s %s\n", "KIND", "PROTOCOL", "ADDRESS", "SOURCE", "FIRST SEEN");
  for (k = 0; k < 3; k++)
    for (i = 0; i < counts[k]; i++)
      print_net_entry (kinds[k], json_get (network, sections[k])->u.array.values[i]);
}

/* "Capabilities: none", or one per line with why it applies.  */
static void
print_capabilities (json_t caps)
{
  size_t i;

  if (caps == NULL || !YAJL_IS_ARRAY (caps) || caps->u.array.len == 0)
    {
      printf ("%-13s none\n", "Capabilities:");
      return;
    }
  for (i = 0; i < caps->u.array.len; i++)
    {
      json_t c = caps->u.array.values[i];
      const char *container = json_get_string (c, "container");

      printf ("%-13s %s: %s%s%.12s%s\n", i == 0 ? "Capabilities:" : "", json_get_string (c, "name"),
              json_get_string (c, "reason"), container ? " (container " : "", container ? container : "",
              container ? ")" : "");
    }
}

static int
models_show (const struct ctl_options *opts, const char *key)
{
  cleanup_json json_t response = NULL;
  json_t m, s, execs, containers;
  char mode[96], observed[32], seen[32];
  size_t i;
  int ret = ctl_call (opts, ctl_command ("models.show", "key", key), &response);

  if (ret != CTL_EXIT_OK)
    return ret;
  m = json_get (response, "model");
  if (opts->json)
    {
      ctl_print_json (m);
      return CTL_EXIT_OK;
    }
  s = json_get (m, "summary");
  describe_mode (s, mode, sizeof (mode));
  format_duration (json_get_uint (s, "observed_ms", 0), observed, sizeof (observed));
  describe_last_seen (s, seen, sizeof (seen));
  print_field ("Model:", json_get_string (m, "key"));
  print_field ("Image:", json_get_string (m, "image"));
  print_field ("Image name:", json_get_string (m, "image_name"));
  print_field ("Cluster:", json_get_string (m, "cluster"));
  print_field ("Namespace:", json_get_string (m, "namespace"));
  print_field ("Deployment:", json_get_string (m, "deployment"));
  print_field ("Key source:", json_get_string (m, "key_source"));
  print_field ("Mode:", mode);
  print_field ("Observed:", observed);
  print_field ("Last seen:", seen);
  containers = json_get (m, "running_containers");
  printf ("%-13s", "Containers:");
  for (i = 0; containers != NULL && i < containers->u.array.len; i++)
    printf (" %s", containers->u.array.values[i]->u.string);
  printf ("%s\n", containers != NULL && containers->u.array.len > 0 ? "" : " -");
  print_capabilities (json_get (m, "capabilities"));

  execs = json_get (json_get (m, "process"), "executables");
  printf ("\nProcess: %zu executables\n", execs ? execs->u.array.len : 0);
  print_entries (execs, true);
  execs = json_get (json_get (m, "filesystem"), "written_directories");
  printf ("\nFile system: %zu directories written\n", execs ? execs->u.array.len : 0);
  print_entries (execs, false);
  print_network (json_get (m, "network"));
  return CTL_EXIT_OK;
}

static int
models_change (const struct ctl_options *opts, const char *command, const char *key,
               const char *action)
{
  cleanup_json json_t response = NULL;
  json_t req = ctl_command (command, "key", key);
  json_t s;
  char mode[96];
  int ret;

  if (req != NULL && action != NULL)
    json_object_set (req, "action", json_new_string (action));
  ret = ctl_call (opts, req, &response);
  if (ret != CTL_EXIT_OK)
    return ret;
  s = json_get (response, "model");
  if (opts->json)
    {
      ctl_print_json (response);
      return CTL_EXIT_OK;
    }
  if (s == NULL)
    {
      printf ("%s: deleted\n", json_get_string (response, "deleted") ? json_get_string (response, "deleted") : key);
      return CTL_EXIT_OK;
    }
  describe_mode (s, mode, sizeof (mode));
  printf ("%s: %s\n", str_or_dash (s, "key"), mode);
  return CTL_EXIT_OK;
}

int
cmd_models (const struct ctl_options *opts, int argc, char **argv)
{
  const char *sub;

  if (wants_help (argc, argv, usage))
    return CTL_EXIT_OK;
  if (argc < 2)
    return usage_error (usage, "missing models command");
  sub = argv[1];

  if (strcmp (sub, "list") == 0)
    return argc == 2 ? models_list (opts) : usage_error (usage, "models list takes no arguments");
  if (strcmp (sub, "learn") == 0)
    {
      if (argc != 4 || argv[3][0] == '\0' || (strcmp (argv[2], "start") != 0 && strcmp (argv[2], "stop") != 0))
        return usage_error (usage, "expected: models learn start|stop KEY");
      return models_change (opts, "models.learn", argv[3], argv[2]);
    }
  if (strcmp (sub, "show") != 0 && strcmp (sub, "relearn") != 0 && strcmp (sub, "archive") != 0
      && strcmp (sub, "delete") != 0)
    return usage_error (usage, "unknown models command `%s`", sub);
  if (argc != 3 || argv[2][0] == '\0')
    return usage_error (usage, "expected: models %s KEY", sub);
  if (strcmp (sub, "show") == 0)
    return models_show (opts, argv[2]);
  if (strcmp (sub, "relearn") == 0)
    return models_change (opts, "models.relearn", argv[2], NULL);
  if (strcmp (sub, "archive") == 0)
    return models_change (opts, "models.archive", argv[2], NULL);
  return models_change (opts, "models.delete", argv[2], NULL);
}
