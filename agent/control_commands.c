/* The requests of the control socket:
     {"command":"models.list"}
     {"command":"models.show","key":K}
     {"command":"models.relearn"|"models.archive"|"models.delete","key":K}
     {"command":"models.learn","key":K,"action":"start"|"stop"}
     {"command":"containers.list"}
     {"command":"containers.sockets","id":ID}
     {"command":"alerts","container":ID,"model":K,"limit":N,"follow":true}
     {"command":"rules.list"}
     {"command":"rules.show","name":NAME}
     {"command":"rules.reload"}
   K is a model key or any part of exactly one.  Every response has "ok";
   a failed one has "error" (a message) and "reason" ("not_found",
   "ambiguous", "busy", "invalid").  */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/control.h"
#include "agent/net_sensor.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "policy/lifecycle.h"
#include "policy/model_store.h"

static json_t failure (const char *reason, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static json_t
failure (const char *reason, const char *fmt, ...)
{
  json_t r = json_new_object ();
  char *msg = NULL;
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vasprintf (&msg, fmt, ap);
  va_end (ap);
  if (r == NULL || n < 0)
    {
      if (r != NULL)
        yajl_tree_free (r);
      if (n >= 0)
        free (msg);
      return NULL;
    }
  json_object_set (r, "ok", json_new_bool (false));
  json_object_set (r, "error", json_new_string (msg));
  json_object_set (r, "reason", json_new_string (reason));
  free (msg);
  return r;
}

static json_t
success (const char *key, json_t value)
{
  json_t r = json_new_object ();

  if (r == NULL)
    {
      if (value != NULL)
        yajl_tree_free (value);
      return NULL;
    }
  json_object_set (r, "ok", json_new_bool (true));
  if (key != NULL)
    json_object_set (r, key, value);
  return r;
}

static int
put_string (json_t obj, const char *key, const char *value)
{
  return json_object_set (obj, key, value ? json_new_string (value) : json_new_null ());
}

static json_t
model_summary (struct agent *a, const struct model *m)
{
  json_t s = json_new_object ();

  if (s == NULL)
    return NULL;
  put_string (s, "key", m->key);
  put_string (s, "image", m->image);
  put_string (s, "image_name", m->image_name);
  put_string (s, "cluster", m->cluster);
  put_string (s, "namespace", m->namespace);
  put_string (s, "deployment", m->deployment);
  put_string (s, "mode", model_mode_name (m->mode));
  json_object_set (s, "dry_run", json_new_bool (lifecycle_in_dry_run (m, &a->lifecycle)));
  json_object_set (s, "manual_learning", json_new_bool (m->manual_learning));
  json_object_set (s, "observed_ms", json_new_uint (m->observed_ms));
  json_object_set (s, "learning_ms", json_new_uint (m->learning_ms));
  json_object_set (s, "learning_target_ms", json_new_uint (m->learning_target_ms));
  json_object_set (s, "active_ms", json_new_uint (m->active_ms));
  json_object_set (s, "dry_run_ms", json_new_uint (a->lifecycle.dry_run_ms));
  json_object_set (s, "containers", json_new_uint (agent_model_running (a, m)));
  json_object_set (s, "last_seen_ms", json_new_uint ((uint64_t) m->last_seen_ms));
  json_object_set (s, "executables", json_new_uint (m->n_execs));
  return s;
}

/* The model whose key is key, or the only one whose key contains it.  */
static ssize_t
find_model (struct agent *a, const char *key, json_t *error)
{
  ssize_t found = -1;
  size_t i;

  *error = NULL;
  if (key == NULL || key[0] == '\0')
    {
      *error = failure ("invalid", "missing model key");
      return -1;
    }
  for (i = 0; i < a->n_models; i++)
    if (strcmp (a->models[i]->key, key) == 0)
      return (ssize_t) i;
  for (i = 0; i < a->n_models; i++)
    if (strstr (a->models[i]->key, key) != NULL)
      {
        if (found >= 0)
          {
            *error = failure ("ambiguous", "`%s` matches more than one model, for example `%s` and `%s`; "
                              "give more of the key",
                              key, a->models[found]->key, a->models[i]->key);
            return -1;
          }
        found = (ssize_t) i;
      }
  if (found < 0)
    *error = failure ("not_found", "no model matches `%s`", key);
  return found;
}

static json_t
models_list (struct agent *a)
{
  json_t list = json_new_array ();
  size_t i;

  for (i = 0; list != NULL && i < a->n_models; i++)
    json_array_append (list, model_summary (a, a->models[i]));
  return success ("models", list);
}

static json_t
models_show (struct agent *a, struct model *m)
{
  cleanup_error vigil_error_t err = NULL;
  cleanup_free char *text = NULL;
  json_t full = NULL, containers;
  struct agent_container *c;

  if (model_to_json (m, &text, &err) < 0 || json_parse (text, strlen (text), &full, &err) < 0)
    return failure ("invalid", "%s", err ? err->msg : "cannot serialize the model");
  json_object_set (full, "summary", model_summary (a, m));
  containers = json_new_array ();
  for (c = a->containers; containers != NULL && c != NULL; c = c->next)
    if (c->model == m && c->running)
      json_array_append (containers, json_new_string (c->id));
  json_object_set (full, "running_containers", containers);
  json_object_set (full, "capabilities", enforce_model_capabilities (a, m));
  return success ("model", full);
}

static json_t
models_change (struct agent *a, const char *command, ssize_t i, json_t request)
{
  struct model *m = a->models[i];
  const char *action = json_get_string (request, "action");
  int64_t now = wall_clock_ms ();

  if (strcmp (command, "models.relearn") == 0)
    lifecycle_relearn (m, &a->lifecycle);
  else if (strcmp (command, "models.learn") == 0 && action != NULL && strcmp (action, "start") == 0)
    lifecycle_learn_start (m);
  else if (strcmp (command, "models.learn") == 0 && action != NULL && strcmp (action, "stop") == 0)
    {
      if (m->mode != MODEL_LEARNING)
        return failure ("invalid", "model `%s` is not learning", m->key);
      lifecycle_learn_stop (m, now);
    }
  else if (strcmp (command, "models.learn") == 0)
    return failure ("invalid", "models.learn needs \"action\": \"start\" or \"stop\"");
  else if (strcmp (command, "models.archive") == 0)
    {
      if (agent_model_running (a, m) > 0)
        return failure ("busy", "model `%s` has running containers; it is archived once they stop", m->key);
      lifecycle_archive (m, now);
    }
  log_info ("control: %s on model `%s`: now %s%s", command, m->key, model_mode_name (m->mode),
            m->manual_learning ? " (manual)" : "");
  agent_save_model (a, m);
  return success ("model", model_summary (a, m));
}

static json_t
models_delete (struct agent *a, ssize_t i)
{
  cleanup_error vigil_error_t err = NULL;
  cleanup_free char *key = strdup (a->models[i]->key);

  if (agent_model_running (a, a->models[i]) > 0)
    return failure ("busy", "model `%s` has running containers; stop them first", a->models[i]->key);
  if (agent_delete_model (a, (size_t) i, &err) < 0)
    return failure (err->errnum == EBUSY ? "busy" : "invalid", "%s", err->msg);
  log_info ("control: model `%s` deleted", key ? key : "");
  return success ("deleted", json_new_string (key ? key : ""));
}

static json_t
containers_list (struct agent *a)
{
  json_t list = json_new_array ();
  struct agent_container *c;

  for (c = a->containers; list != NULL && c != NULL; c = c->next)
    {
      json_t o;

      if (!c->running)
        continue;
      o = json_new_object ();
      if (o == NULL)
        break;
      put_string (o, "id", c->id);
      put_string (o, "name", c->name);
      put_string (o, "model", c->model->key);
      put_string (o, "mode", model_mode_name (c->model->mode));
      json_object_set (o, "pid", json_new_uint ((uint64_t) c->init_pid));
      json_object_set (o, "started_ms", json_new_uint ((uint64_t) c->started_ms));
      json_object_set (o, "notify_fds", json_new_uint (c->live_fds));
      json_array_append (list, o);
    }
  return success ("containers", list);
}

/* The listening sockets of one running container, ID or a prefix of
   exactly one.  */
static json_t
containers_sockets (struct agent *a, json_t request)
{
  const char *id = json_get_string (request, "id");
  struct agent_container *c, *found = NULL;
  cleanup_error vigil_error_t err = NULL;
  json_t list = NULL;

  if (id == NULL || id[0] == '\0')
    return failure ("invalid", "request has no \"id\"");
  agent_refresh_containers (a);
  for (c = a->containers; c != NULL; c = c->next)
    {
      if (!c->running || strncmp (c->id, id, strlen (id)) != 0)
        continue;
      if (found != NULL)
        return failure ("ambiguous", "`%s` names more than one container", id);
      found = c;
    }
  if (found == NULL)
    return failure ("not_found", "no running container `%s`", id);
  if (net_sensor_scan (a, found, &list, &err) < 0)
    return failure ("invalid", "%s", err->msg);
  return success ("sockets", list);
}

static json_t
alerts (struct agent *a, json_t request, struct control_client *c)
{
  const char *container = json_get_string (request, "container");
  const char *model = json_get_string (request, "model");
  uint64_t limit = json_get_uint (request, "limit", 50);
  json_t follow = json_get (request, "follow");
  json_t list = json_new_array (), selected;
  size_t i, first;

  if (list == NULL)
    return NULL;
  /* Newest last, at most limit of them.  */
  for (i = 0; i < a->alerts.recent_count; i++)
    {
      cleanup_error vigil_error_t err = NULL;
      const char *line = alerts_recent (&a->alerts, i);
      json_t alert = NULL;

      if (line == NULL || json_parse (line, strlen (line), &alert, &err) < 0)
        continue;
      if (alert_selected (alert, container, model))
        json_array_append (list, alert);
      else
        yajl_tree_free (alert);
    }
  first = list->u.array.len > limit ? list->u.array.len - limit : 0;
  selected = json_new_array ();
  for (i = first; selected != NULL && i < list->u.array.len; i++)
    {
      json_array_append (selected, list->u.array.values[i]);
      list->u.array.values[i] = NULL;
    }
  yajl_tree_free (list);

  if (follow != NULL && YAJL_IS_TRUE (follow))
    {
      c->following = true;
      c->filter_container = container ? strdup (container) : NULL;
      c->filter_model = model ? strdup (model) : NULL;
    }
  return success ("alerts", selected);
}

/* The rules in force, each with the running containers it applies to.  */
static json_t
rules_list (struct agent *a)
{
  json_t r = json_new_object (), list = json_new_array ();
  size_t i;

  if (r == NULL || list == NULL)
    {
      if (r != NULL)
        yajl_tree_free (r);
      if (list != NULL)
        yajl_tree_free (list);
      return NULL;
    }
  agent_refresh_containers (a);
  for (i = 0; a->rules != NULL && i < a->rules->n; i++)
    {
      const struct rule *rule = &a->rules->rules[i];
      json_t o = rule_to_json (rule), ids = json_new_array ();
      struct agent_container *c;

      for (c = a->containers; ids != NULL && c != NULL; c = c->next)
        if (c->running && c->rule == rule)
          json_array_append (ids, json_new_string (c->id));
      json_object_set (o, "containers", ids);
      json_array_append (list, o);
    }
  json_object_set (r, "ok", json_new_bool (true));
  json_object_set (r, "path", a->cfg->rules ? json_new_string (a->cfg->rules) : json_new_null ());
  json_object_set (r, "default_effect", json_new_string (rule_effect_name ((enum rule_effect) a->cfg->default_effect)));
  json_object_set (r, "rules", list);
  return r;
}

static json_t
rules_show (struct agent *a, json_t request)
{
  const char *name = json_get_string (request, "name");
  size_t i;

  if (name == NULL)
    return failure ("invalid", "rules.show needs \"name\"");
  for (i = 0; a->rules != NULL && i < a->rules->n; i++)
    if (strcmp (a->rules->rules[i].name, name) == 0)
      {
        json_t o = rule_to_json (&a->rules->rules[i]), ids = json_new_array ();
        struct agent_container *c;

        agent_refresh_containers (a);
        for (c = a->containers; ids != NULL && c != NULL; c = c->next)
          if (c->running && c->rule == &a->rules->rules[i])
            json_array_append (ids, json_new_string (c->id));
        json_object_set (o, "containers", ids);
        return success ("rule", o);
      }
  return failure ("not_found", "no rule named `%s`", name);
}

static json_t
rules_reload (struct agent *a)
{
  cleanup_error vigil_error_t err = NULL;

  if (enforce_reload_rules (a, &err) < 0)
    {
      log_error ("%s", err->msg);
      return failure ("invalid", "%s", err->msg);
    }
  return success ("rules", json_new_uint (a->rules->n));
}

json_t
control_dispatch (struct agent *a, json_t request, struct control_client *c)
{
  const char *command = json_get_string (request, "command");
  json_t error = NULL;
  ssize_t i;

  if (command == NULL)
    return failure ("invalid", "request has no \"command\"");
  if (strcmp (command, "models.list") == 0)
    return models_list (a);
  if (strcmp (command, "containers.list") == 0)
    return containers_list (a);
  if (strcmp (command, "containers.sockets") == 0)
    return containers_sockets (a, request);
  if (strcmp (command, "alerts") == 0)
    return alerts (a, request, c);
  if (strcmp (command, "rules.list") == 0)
    return rules_list (a);
  if (strcmp (command, "rules.show") == 0)
    return rules_show (a, request);
  if (strcmp (command, "rules.reload") == 0)
    return rules_reload (a);

  if (strcmp (command, "models.show") != 0 && strcmp (command, "models.relearn") != 0
      && strcmp (command, "models.learn") != 0 && strcmp (command, "models.archive") != 0
      && strcmp (command, "models.delete") != 0)
    return failure ("invalid", "unknown command `%s`", command);

  agent_refresh_containers (a);
  i = find_model (a, json_get_string (request, "key"), &error);
  if (i < 0)
    return error;
  if (strcmp (command, "models.show") == 0)
    return models_show (a, a->models[i]);
  if (strcmp (command, "models.delete") == 0)
    return models_delete (a, i);
  return models_change (a, command, i, request);
}
