#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

static const char *const runc_commands[] = {
  "checkpoint", "create", "delete", "events", "exec", "features", "help", "init",
  "kill", "list", "pause", "ps", "restore", "resume", "run", "spec",
  "start", "state", "update", NULL,
};

/* Global flags of runc and crun that take a value.  */
static const char *const global_value_flags[] = {
  "root", "log", "log-format", "log-level", "criu", "rootless", "cgroup-manager", NULL,
};

/* Global boolean flags.  */
static const char *const global_bool_flags[] = {
  "debug", "systemd-cgroup", "help", "h", "version", "v", NULL,
};

/* Flags of create and run that take a value.  */
static const char *const create_value_flags[] = {
  "bundle", "b", "console-socket", "pid-file", "preserve-fds", "pidfd-socket", NULL,
};

static bool
in_list (const char *const *list, const char *name, size_t len)
{
  size_t i;

  for (i = 0; list[i] != NULL; i++)
    if (strlen (list[i]) == len && strncmp (list[i], name, len) == 0)
      return true;
  return false;
}

static bool
is_command (const char *token)
{
  return in_list (runc_commands, token, strlen (token));
}

/* Split a flag token ("-x", "--x", "--x=v") into its name and inline
   value.  Returns false when token is not a flag.  */
static bool
split_flag (const char *token, const char **name, size_t *name_len, const char **value)
{
  const char *eq;

  if (token[0] != '-' || token[1] == '\0' || strcmp (token, "--") == 0)
    return false;
  *name = token + (token[1] == '-' ? 2 : 1);
  eq = strchr (*name, '=');
  *name_len = eq ? (size_t) (eq - *name) : strlen (*name);
  *value = eq ? eq + 1 : NULL;
  return true;
}

int
runtime_command_creates (const char *command)
{
  return command != NULL && (strcmp (command, "create") == 0 || strcmp (command, "run") == 0);
}

static int
parse_globals (int argc, char *const *argv, struct runtime_args *out, vigil_error_t *err)
{
  int i;

  for (i = 1; i < argc; i++)
    {
      const char *name, *value, *token = argv[i];
      size_t len;
      bool takes_value;

      if (!split_flag (token, &name, &len, &value))
        {
          out->command_index = i;
          out->command = token;
          return 0;
        }
      if (in_list (global_bool_flags, name, len))
        continue;
      if (len == 12 && strncmp (name, "vigil-config", 12) == 0)
        {
          out->vigil_config_index = i;
          out->vigil_config_tokens = value ? 1 : 2;
          if (value == NULL && i + 1 >= argc)
            return vigil_error_set (err, 0, "flag `%s` needs a value", token);
          out->vigil_config = value ? value : argv[++i];
          continue;
        }
      takes_value = in_list (global_value_flags, name, len);
      if (!takes_value && value == NULL)
        /* Unknown flag: a value follows unless the next token is the
           command.  */
        takes_value = i + 1 < argc && !is_command (argv[i + 1]) && argv[i + 1][0] != '-';
      if (takes_value && value == NULL)
        {
          if (i + 1 >= argc)
            return vigil_error_set (err, 0, "flag `%s` needs a value", token);
          value = argv[++i];
        }
      if (value == NULL)
        continue;
      if (len == 4 && strncmp (name, "root", 4) == 0)
        out->root = value;
      else if (len == 3 && strncmp (name, "log", 3) == 0)
        out->log_path = value;
      else if (len == 10 && strncmp (name, "log-format", 10) == 0)
        out->log_format = value;
    }
  return 0;
}

static int
parse_create_flags (int argc, char *const *argv, struct runtime_args *out, vigil_error_t *err)
{
  int i;

  for (i = out->command_index + 1; i < argc; i++)
    {
      const char *name, *value, *token = argv[i];
      size_t len;

      if (strcmp (token, "--") == 0)
        {
          if (i + 1 < argc)
            out->container_id = argv[i + 1];
          return 0;
        }
      if (!split_flag (token, &name, &len, &value))
        {
          out->container_id = token;
          return 0;
        }
      if (!in_list (create_value_flags, name, len))
        continue;
      if (value == NULL)
        {
          if (i + 1 >= argc)
            return vigil_error_set (err, 0, "flag `%s` needs a value", token);
          value = argv[++i];
        }
      if (len == 6 && strncmp (name, "bundle", 6) == 0)
        out->bundle = value;
      else if (len == 1 && name[0] == 'b')
        out->bundle = value;
    }
  return 0;
}

int
runtime_args_parse (int argc, char *const *argv, struct runtime_args *out, vigil_error_t *err)
{
  memset (out, 0, sizeof (*out));
  out->command_index = -1;
  out->vigil_config_index = -1;
  out->log_format = "text";

  if (parse_globals (argc, argv, out, err) < 0)
    return -1;
  if (out->command == NULL)
    return 0;

  if (runtime_command_creates (out->command))
    {
      out->bundle = ".";
      return parse_create_flags (argc, argv, out, err);
    }

  return 0;
}

char **
runtime_args_delegate_argv (int argc, char *const *argv, const struct runtime_args *args)
{
  char **out = calloc ((size_t) argc + 1, sizeof (char *));
  int i, n = 0;

  if (out == NULL)
    return NULL;
  for (i = 0; i < argc; i++)
    {
      if (args->vigil_config_index >= 0 && i >= args->vigil_config_index
          && i < args->vigil_config_index + args->vigil_config_tokens)
        continue;
      out[n++] = argv[i];
    }
  out[n] = NULL;
  return out;
}
