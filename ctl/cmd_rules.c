/* vigilctl rules list|show|reload|check */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "common/cleanup.h"
#include "ctl/ctl.h"
#include "policy/rules.h"

static const char usage[] =
    "Usage: vigilctl rules list\n"
    "       vigilctl rules show NAME\n"
    "       vigilctl rules reload\n"
    "       vigilctl rules check PATH\n"
    "\n"
    "list    the rules vigild has in force, in the order they are tried, with\n"
    "        the effect of each sensor section and the running containers\n"
    "        each applies to\n"
    "show    one rule: scope, allowed and blocked entries, effects and\n"
    "        capabilities\n"
    "reload  read the rules file or directory again; a rules file with an\n"
    "        error is rejected and the rules in force stay\n"
    "check   parse a rules file or directory without vigild, print a summary\n"
    "        of each rule, exit 1 on the first error\n";

/* "prevent", or "-" when the section has no effect of its own (the
   configured default applies).  */
static const char *
effect_of (json_t rule, const char *section)
{
  const char *e = json_get_string (json_get (rule, section), "effect");
  return e ? e : "-";
}

static size_t
count (json_t a)
{
  return a != NULL && YAJL_IS_ARRAY (a) ? a->u.array.len : 0;
}

/* "images=*httpd*,nginx namespaces=web" or "(all containers)".  */
static void
describe_scope (json_t scope, char *buf, size_t size)
{
  static const char *const keys[] = { "images", "clusters", "namespaces", "containers" };
  json_t ann = json_get (scope, "annotations");
  size_t used = 0, k, i;

  buf[0] = '\0';
  for (k = 0; k < sizeof (keys) / sizeof (keys[0]); k++)
    {
      json_t v = json_get (scope, keys[k]);

      /* Absent (null) matches anything; an empty list matches nothing.  */
      if (v == NULL || !YAJL_IS_ARRAY (v))
        continue;
      used += (size_t) snprintf (buf + used, used < size ? size - used : 0, "%s%s=%s", used ? " " : "", keys[k],
                                 v->u.array.len == 0 ? "(none)" : "");
      for (i = 0; i < v->u.array.len && used < size; i++)
        if (YAJL_IS_STRING (v->u.array.values[i]))
          used += (size_t) snprintf (buf + used, size - used, "%s%s", i ? "," : "", v->u.array.values[i]->u.string);
    }
  for (i = 0; ann != NULL && YAJL_IS_OBJECT (ann) && i < ann->u.object.len && used < size; i++)
    if (YAJL_IS_STRING (ann->u.object.values[i]))
      used += (size_t) snprintf (buf + used, size - used, "%s%s=%s", used ? " " : "", ann->u.object.keys[i],
                                 ann->u.object.values[i]->u.string);
  if (buf[0] == '\0')
    snprintf (buf, size, "(all containers)");
}

static void
print_rule_line (json_t r)
{
  char scope[512], containers[24] = "";

  describe_scope (json_get (r, "scope"), scope, sizeof (scope));
  if (json_get (r, "containers") != NULL)
    snprintf (containers, sizeof (containers), "%zu", count (json_get (r, "containers")));
  printf ("%-24s %-8s %-8s %-8s %-10s %s\n", json_get_string (r, "name"), effect_of (r, "processes"),
          effect_of (r, "network"), effect_of (r, "files"), containers, scope);
}

static void
print_strings (const char *label, json_t a)
{
  size_t i;

  printf ("  %-9s", label);
  for (i = 0; i < count (a); i++)
    printf ("%s%s", i ? ", " : "", a->u.array.values[i]->u.string);
  printf ("%s\n", count (a) ? "" : "-");
}

static void
print_nets (const char *label, json_t a)
{
  static const char *const fields[] = { "direction", "protocol", "address", "port" };
  size_t i, f;

  printf ("  %-9s%s\n", label, count (a) ? "" : "-");
  for (i = 0; i < count (a); i++)
    {
      json_t n = a->u.array.values[i];
      printf ("    -");
      for (f = 0; f < sizeof (fields) / sizeof (fields[0]); f++)
        if (json_get_string (n, fields[f]) != NULL)
          printf (" %s=%s", fields[f], json_get_string (n, fields[f]));
      printf ("\n");
    }
}

static void
print_rule (json_t r)
{
  static const char *const sections[] = { "processes", "network", "files" };
  json_t caps = json_get (r, "capabilities"), ids = json_get (r, "containers");
  char scope[512];
  size_t s, i;

  describe_scope (json_get (r, "scope"), scope, sizeof (scope));
  printf ("Rule:       %s\n", json_get_string (r, "name"));
  printf ("File:       %s (rules[%" PRIu64 "])\n", json_get_string (r, "file"), json_get_uint (r, "index", 0));
  printf ("Scope:      %s\n", scope);
  for (s = 0; s < 3; s++)
    {
      json_t sec = json_get (r, sections[s]);
      printf ("%s:\n  effect   %s\n", sections[s], effect_of (r, sections[s]));
      if (s == 1)
        {
          print_nets ("allowed", json_get (sec, "allowed"));
          print_nets ("blocked", json_get (sec, "blocked"));
        }
      else
        {
          print_strings ("allowed", json_get (sec, "allowed"));
          print_strings ("blocked", json_get (sec, "blocked"));
        }
    }
  printf ("capabilities:\n");
  print_strings ("add", json_get (caps, "add"));
  print_strings ("remove", json_get (caps, "remove"));
  if (ids != NULL)
    {
      printf ("Containers:");
      for (i = 0; i < count (ids); i++)
        printf (" %.12s", ids->u.array.values[i]->u.string);
      printf ("%s\n", count (ids) ? "" : " -");
    }
}

static int
rules_check (const struct ctl_options *opts, const char *path)
{
  cleanup_error vigil_error_t err = NULL;
  struct rule_set *set = NULL;
  size_t i;

  if (rules_load (path, &set, &err) < 0)
    {
      fprintf (stderr, "vigilctl: %s\n", err->msg);
      return CTL_EXIT_FAILED;
    }
  if (opts->json)
    {
      cleanup_json json_t list = json_new_array ();
      for (i = 0; list != NULL && i < set->n; i++)
        json_array_append (list, rule_to_json (&set->rules[i]));
      ctl_print_json (list);
    }
  else
    {
      if (set->files == 0)
        fprintf (stderr, "vigilctl: warning: `%s` has no *.json file: vigild would run with no rules\n", path);
      printf ("%s: %zu rule%s in %zu file%s, valid\n", path, set->n, set->n == 1 ? "" : "s", set->files,
              set->files == 1 ? "" : "s");
      printf ("%-24s %-8s %-8s %-8s %-10s %s\n", "NAME", "PROCESS", "NETWORK", "FILES", "", "SCOPE");
      for (i = 0; i < set->n; i++)
        {
          cleanup_json json_t r = rule_to_json (&set->rules[i]);
          if (r != NULL)
            print_rule_line (r);
        }
    }
  rules_free (set);
  return CTL_EXIT_OK;
}

int
cmd_rules (const struct ctl_options *opts, int argc, char **argv)
{
  cleanup_json json_t response = NULL;
  json_t list;
  size_t i;
  int ret;

  if (wants_help (argc, argv, usage))
    return CTL_EXIT_OK;
  if (argc == 3 && strcmp (argv[1], "check") == 0)
    return rules_check (opts, argv[2]);
  if (argc == 2 && strcmp (argv[1], "reload") == 0)
    {
      ret = ctl_call (opts, ctl_command ("rules.reload", NULL, NULL), &response);
      if (ret == CTL_EXIT_OK)
        printf ("rules reloaded: %" PRIu64 " in force\n", json_get_uint (response, "rules", 0));
      return ret;
    }
  if (argc == 3 && strcmp (argv[1], "show") == 0)
    {
      ret = ctl_call (opts, ctl_command ("rules.show", "name", argv[2]), &response);
      if (ret != CTL_EXIT_OK)
        return ret;
      if (opts->json)
        ctl_print_json (json_get (response, "rule"));
      else
        print_rule (json_get (response, "rule"));
      return CTL_EXIT_OK;
    }
  if (argc != 2 || strcmp (argv[1], "list") != 0)
    return usage_error (usage, "expected: rules list, rules show NAME, rules reload or rules check PATH");

  ret = ctl_call (opts, ctl_command ("rules.list", NULL, NULL), &response);
  if (ret != CTL_EXIT_OK)
    return ret;
  if (opts->json)
    {
      ctl_print_json (response);
      return CTL_EXIT_OK;
    }
  list = json_get (response, "rules");
  printf ("Rules: %s (%zu); without a matching rule or effect: %s\n",
          json_get_string (response, "path") ? json_get_string (response, "path") : "none", count (list),
          json_get_string (response, "default_effect"));
  printf ("%-24s %-8s %-8s %-8s %-10s %s\n", "NAME", "PROCESS", "NETWORK", "FILES", "CONTAINERS", "SCOPE");
  for (i = 0; i < count (list); i++)
    print_rule_line (list->u.array.values[i]);
  return CTL_EXIT_OK;
}
