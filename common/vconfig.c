#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fileutil.h"
#include "vconfig.h"

static int
set_string (char **field, const char *value)
{
  char *copy = strdup (value);
  if (copy == NULL)
    return -1;
  free (*field);
  *field = copy;
  return 0;
}

/* A comma-separated list of absolute paths, stored without the blanks
   around the commas.  */
static int
set_path_list (char **field, const char *value, vigil_error_t *err)
{
  cleanup_free char *copy = strdup (value);
  cleanup_free char *joined = calloc (1, strlen (value) + 1);
  char *item, *save = NULL;

  if (copy == NULL || joined == NULL)
    return vigil_error_set (err, ENOMEM, "set `protected_paths`");
  for (item = strtok_r (copy, ",", &save); item != NULL; item = strtok_r (NULL, ",", &save))
    {
      char *end;

      while (*item == ' ' || *item == '\t')
        item++;
      end = item + strlen (item);
      while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
      if (*item == '\0')
        continue;
      if (item[0] != '/')
        return vigil_error_set (err, 0, "invalid path `%s` in `protected_paths`: expected an absolute path",
                                item);
      if (joined[0] != '\0')
        strcat (joined, ",");
      strcat (joined, item);
    }
  free (*field);
  *field = take_ptr (&joined);
  return 0;
}

static int
parse_uint (const char *key, const char *value, uint64_t min, uint64_t *out, vigil_error_t *err)
{
  char *end;
  unsigned long long n;

  errno = 0;
  n = strtoull (value, &end, 10);
  if (errno == ERANGE)
    return vigil_error_set (err, 0, "invalid value `%s` for `%s`: too large", value, key);
  if (errno != 0 || end == value || *end != '\0' || value[0] == '-' || n < min)
    return vigil_error_set (err, 0, "invalid value `%s` for `%s`: expected an integer >= %" PRIu64,
                            value, key, min);
  *out = n;
  return 0;
}

/* A comma-separated list of file, stdout and syslog.  */
static int
parse_outputs (const char *value, unsigned *out, vigil_error_t *err)
{
  static const struct
  {
    const char *name;
    unsigned bit;
  } names[] = {
    { "file", VIGIL_ALERTS_TO_FILE },
    { "stdout", VIGIL_ALERTS_TO_STDOUT },
    { "syslog", VIGIL_ALERTS_TO_SYSLOG },
  };
  const char *p = value;
  unsigned mask = 0;

  while (*p != '\0')
    {
      const char *end = strchrnul (p, ',');
      size_t len = (size_t) (end - p), i;

      while (len > 0 && (p[0] == ' ' || p[0] == '\t'))
        p++, len--;
      while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
      for (i = 0; i < sizeof (names) / sizeof (names[0]); i++)
        if (strlen (names[i].name) == len && strncmp (p, names[i].name, len) == 0)
          break;
      if (i == sizeof (names) / sizeof (names[0]))
        return vigil_error_set (err, 0,
                                "invalid value `%s` for `alert_outputs`: expected a comma-separated list of "
                                "`file`, `stdout` and `syslog`",
                                value);
      mask |= names[i].bit;
      p = *end ? end + 1 : end;
    }
  if (mask == 0)
    return vigil_error_set (err, 0, "invalid value `%s` for `alert_outputs`: expected at least one output",
                            value);
  *out = mask;
  return 0;
}

static int
apply_key (struct vigil_config *cfg, const char *key, const char *value, vigil_error_t *err)
{
  struct
  {
    const char *name;
    char **field;
  } strings[] = {
    { "listener_socket", &cfg->listener_socket },
    { "state_dir", &cfg->state_dir },
    { "alerts_file", &cfg->alerts_file },
    { "runc", &cfg->runc_path },
    { "crun", &cfg->crun_path },
    { "log_level", &cfg->log_level },
    { "control_socket", &cfg->control_socket },
    { "cluster_name", &cfg->cluster_name },
    { "protected_paths", &cfg->protected_paths },
    { "metrics_file", &cfg->metrics_file },
    { "address_feed", &cfg->address_feed },
    { "hash_feed", &cfg->hash_feed },
    { "rules", &cfg->rules },
  };
  size_t i;

  for (i = 0; i < sizeof (strings) / sizeof (strings[0]); i++)
    if (strcmp (key, strings[i].name) == 0)
      {
        if (strcmp (key, "log_level") != 0 && strcmp (key, "cluster_name") != 0 && value[0] != '/')
          return vigil_error_set (err, 0, "invalid value `%s` for `%s`: expected an absolute path",
                                  value, key);
        if (strcmp (key, "protected_paths") == 0)
          return set_path_list (strings[i].field, value, err);
        return set_string (strings[i].field, value) < 0
                   ? vigil_error_set (err, ENOMEM, "set `%s`", key)
                   : 0;
      }

  if (strcmp (key, "runtime") == 0)
    {
      if (strcmp (value, "runc") != 0 && strcmp (value, "crun") != 0)
        return vigil_error_set (err, 0, "invalid value `%s` for `runtime`: expected `runc` or `crun`",
                                value);
      return set_string (&cfg->default_runtime, value) < 0
                 ? vigil_error_set (err, ENOMEM, "set `runtime`")
                 : 0;
    }
  if (strcmp (key, "on_agent_unreachable") == 0)
    {
      if (strcmp (value, "fail-open") == 0)
        cfg->fail_mode = VIGIL_FAIL_OPEN;
      else if (strcmp (value, "fail-closed") == 0)
        cfg->fail_mode = VIGIL_FAIL_CLOSED;
      else
        return vigil_error_set (err, 0,
                                "invalid value `%s` for `on_agent_unreachable`: expected "
                                "`fail-open` or `fail-closed`",
                                value);
      return 0;
    }
  if (strcmp (key, "deny_errno") == 0)
    {
      if (strcmp (value, "EPERM") == 0)
        cfg->deny_errno = EPERM;
      else if (strcmp (value, "EACCES") == 0)
        cfg->deny_errno = EACCES;
      else
        return vigil_error_set (err, 0, "invalid value `%s` for `deny_errno`: expected `EPERM` or `EACCES`",
                                value);
      return 0;
    }
  if (strcmp (key, "default_effect") == 0)
    {
      static const char *const effects[] = { "disable", "alert", "prevent", "block" };
      int e;

      for (e = 0; e < 4; e++)
        if (strcmp (value, effects[e]) == 0)
          {
            cfg->default_effect = e;
            return 0;
          }
      return vigil_error_set (err, 0,
                              "invalid value `%s` for `default_effect`: expected `disable`, `alert`, `prevent` "
                              "or `block`",
                              value);
    }
  if (strcmp (key, "hash_max_bytes") == 0)
    return parse_uint (key, value, 1, &cfg->hash_max_bytes, err);
  if (strcmp (key, "alert_outputs") == 0)
    return parse_outputs (value, &cfg->alert_outputs, err);
  if (strcmp (key, "network_deny_errno") == 0)
    {
      if (strcmp (value, "EPERM") == 0)
        cfg->network_deny_errno = EPERM;
      else if (strcmp (value, "ECONNREFUSED") == 0)
        cfg->network_deny_errno = ECONNREFUSED;
      else
        return vigil_error_set (err, 0,
                                "invalid value `%s` for `network_deny_errno`: expected `EPERM` or "
                                "`ECONNREFUSED`",
                                value);
      return 0;
    }
  if (strcmp (key, "connect_timeout_ms") == 0)
    return parse_uint (key, value, 1, &cfg->connect_timeout_ms, err);
  if (strcmp (key, "learning_seconds") == 0)
    return parse_uint (key, value, 0, &cfg->learning_seconds, err);
  if (strcmp (key, "dry_run_seconds") == 0)
    return parse_uint (key, value, 0, &cfg->dry_run_seconds, err);
  if (strcmp (key, "relearn_seconds") == 0)
    return parse_uint (key, value, 0, &cfg->relearn_seconds, err);
  if (strcmp (key, "archive_after_seconds") == 0)
    return parse_uint (key, value, 1, &cfg->archive_after_seconds, err);
  if (strcmp (key, "archive_keep_seconds") == 0)
    return parse_uint (key, value, 0, &cfg->archive_keep_seconds, err);
  if (strcmp (key, "clock_scale") == 0)
    return parse_uint (key, value, 1, &cfg->clock_scale, err);
  if (strcmp (key, "tick_ms") == 0)
    return parse_uint (key, value, 10, &cfg->tick_ms, err);

  return vigil_error_set (err, 0, "unknown key `%s`", key);
}

static char *
trim (char *s)
{
  char *end;

  while (isspace ((unsigned char) *s))
    s++;
  end = s + strlen (s);
  while (end > s && isspace ((unsigned char) end[-1]))
    *--end = '\0';
  return s;
}

int
vigil_config_apply_line (struct vigil_config *cfg, const char *line, vigil_error_t *err)
{
  cleanup_free char *copy = strdup (line);
  char *key, *value, *eq;

  if (copy == NULL)
    return vigil_error_set (err, ENOMEM, "parse configuration");
  key = trim (copy);
  if (*key == '\0' || *key == '#')
    return 0;
  eq = strchr (key, '=');
  if (eq == NULL)
    return vigil_error_set (err, 0, "expected `key = value`, got `%s`", key);
  *eq = '\0';
  value = trim (eq + 1);
  key = trim (key);
  return apply_key (cfg, key, value, err);
}

static int
set_defaults (struct vigil_config *cfg)
{
  memset (cfg, 0, sizeof (*cfg));
  cfg->fail_mode = VIGIL_FAIL_OPEN;
  cfg->connect_timeout_ms = 2000;
  cfg->learning_seconds = 3600;
  cfg->dry_run_seconds = 24 * 3600;
  cfg->relearn_seconds = 24 * 3600;
  cfg->archive_after_seconds = 24 * 3600;
  cfg->archive_keep_seconds = 24 * 3600;
  cfg->clock_scale = 1;
  cfg->tick_ms = 1000;
  cfg->deny_errno = EPERM;
  cfg->network_deny_errno = EPERM;
  cfg->default_effect = 2; /* prevent */
  cfg->hash_max_bytes = 64u << 20;
  cfg->alert_outputs = VIGIL_ALERTS_TO_FILE;
  if (set_string (&cfg->listener_socket, "/run/vigil/vigild.sock") < 0
      || set_string (&cfg->control_socket, "/run/vigil/control.sock") < 0
      || set_string (&cfg->state_dir, "/var/lib/vigil") < 0
      || set_string (&cfg->alerts_file, "/var/log/vigil/alerts.json") < 0
      || set_string (&cfg->runc_path, DEFAULT_RUNC_PATH) < 0
      || set_string (&cfg->crun_path, DEFAULT_CRUN_PATH) < 0
      || set_string (&cfg->default_runtime, "runc") < 0
      || set_string (&cfg->log_level, "info") < 0)
    return -1;
  return 0;
}

int
vigil_config_load (struct vigil_config *cfg, const char *path, bool missing_ok, vigil_error_t *err)
{
  cleanup_free char *text = NULL;
  char *line, *next;
  unsigned lineno = 0;

  if (set_defaults (cfg) < 0)
    return vigil_error_set (err, ENOMEM, "load configuration");

  if (read_file (path, 1 << 20, &text, NULL, err) < 0)
    {
      if (missing_ok && (*err)->errnum == ENOENT)
        {
          vigil_error_free (err);
          return 0;
        }
      return -1;
    }

  for (line = text; line != NULL; line = next)
    {
      next = strchr (line, '\n');
      if (next != NULL)
        *next++ = '\0';
      lineno++;
      if (vigil_config_apply_line (cfg, line, err) < 0)
        return vigil_error_wrap (err, "%s:%u", path, lineno);
    }
  return 0;
}

void
vigil_config_free (struct vigil_config *cfg)
{
  free (cfg->listener_socket);
  free (cfg->state_dir);
  free (cfg->alerts_file);
  free (cfg->runc_path);
  free (cfg->crun_path);
  free (cfg->default_runtime);
  free (cfg->log_level);
  free (cfg->control_socket);
  free (cfg->cluster_name);
  free (cfg->protected_paths);
  free (cfg->metrics_file);
  free (cfg->address_feed);
  free (cfg->hash_feed);
  free (cfg->rules);
  memset (cfg, 0, sizeof (*cfg));
}

const char *
vigil_config_default_path (void)
{
  const char *env = getenv ("VIGIL_CONFIG");
  return (env != NULL && env[0] != '\0') ? env : VIGIL_DEFAULT_CONFIG;
}
