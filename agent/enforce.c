#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/enforce.h"
#include "common/cleanup.h"
#include "common/kernel-compat.h"
#include "common/log.h"

#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* Arguments beyond these are not looked at for capabilities.  */
#define ARGS_KEPT 64

static void
free_args (struct agent_container *c)
{
  size_t i;

  for (i = 0; i < c->nargs; i++)
    free (c->args[i]);
  free (c->args);
  c->args = NULL;
  c->nargs = 0;
}

void
enforce_container_fini (struct agent_container *c)
{
  free_args (c);
  if (c->annotations != NULL)
    yajl_tree_free (c->annotations);
  c->annotations = NULL;
  c->rule = NULL;
}

int
enforce_container_init (struct agent *a, struct agent_container *c, json_t meta)
{
  json_t args = json_get (meta, "args"), annotations = json_get (meta, "annotations");
  size_t i, n;

  /* A container id reused after delete brings new metadata.  */
  enforce_container_fini (c);
  c->stopped_by_block = false;
  if (annotations != NULL && YAJL_IS_OBJECT (annotations))
    {
      c->annotations = json_copy (annotations);
      if (c->annotations == NULL)
        return -1;
    }
  if (args != NULL && YAJL_IS_ARRAY (args) && args->u.array.len > 0)
    {
      n = args->u.array.len < ARGS_KEPT ? args->u.array.len : ARGS_KEPT;
      c->args = calloc (n, sizeof (char *));
      if (c->args == NULL)
        return -1;
      for (i = 0; i < n; i++)
        {
          json_t s = args->u.array.values[i];
          c->args[i] = strdup (YAJL_IS_STRING (s) ? s->u.string : "");
          if (c->args[i] == NULL)
            return -1;
          c->nargs++;
        }
    }
  enforce_resolve (a, c);
  return 0;
}

static struct rule_target
target_of (const struct agent_container *c)
{
  const struct model *m = c->model;
  struct rule_target t = {
    .image = m->image,
    .image_name = m->image_name,
    .cluster = m->cluster,
    .namespace = m->namespace,
    .container_id = c->id,
    .container_name = c->name,
    .annotations = c->annotations,
  };
  return t;
}

/* The name to recognise an image by: its name, else what stands for it
   (the vigil.image annotation, an image id).  */
static const char *
image_name_of (const struct model *m)
{
  return m->image_name != NULL ? m->image_name : m->image;
}

/* The rule that matches t and the capabilities of a container of model m
   run with args: recognised, then changed by that rule.  */
static const struct rule *
resolve_capabilities (const struct agent *a, const struct rule_target *t, const struct model *m,
                      const char *const *args, size_t nargs, struct capability_set *set)
{
  const struct rule *r = rules_match (a->rules, t);

  capabilities_recognise (image_name_of (m), args, nargs, set);
  if (r != NULL)
    capabilities_apply (set, r->caps_add, r->caps_remove, r->name);
  return r;
}

void
enforce_resolve (struct agent *a, struct agent_container *c)
{
  struct rule_target t = target_of (c);
  unsigned i;

  c->rule = resolve_capabilities (a, &t, c->model, (const char *const *) c->args, c->nargs, &c->caps);
  for (i = 0; i < CAPABILITY_COUNT; i++)
    if (c->caps.bits & (1u << i))
      log_info ("container `%s`: capability %s (%s)", c->id, capability_name (i), c->caps.reason[i]);
  if (c->rule != NULL)
    log_info ("container `%s`: rule `%s` (%s) applies", c->id, c->rule->name, c->rule->file);
}

enum rule_effect
enforce_effect (const struct agent *a, const struct agent_container *c, enum rule_sensor s)
{
  return rule_effect_of (c->rule, s, (enum rule_effect) a->cfg->default_effect);
}

/* Stop every process of c: SIGKILL to its init process ends its PID
   namespace when the container has one of its own.  The engine sees the
   container exit as it would after an out-of-memory kill.  Only the
   init's pidfd is used, never its pid number, which may name another
   process by now.  Returns whether the signal was sent.  */
static bool
stop_container (struct agent_container *c)
{
  if (c->stopped_by_block)
    return true;
  if (c->init_pidfd < 0)
    {
      log_error ("container `%s`: cannot stop it for the block effect: no pidfd of its init process", c->id);
      return false;
    }
  if (syscall (SYS_pidfd_send_signal, c->init_pidfd, SIGKILL, NULL, 0) < 0)
    {
      log_error ("container `%s`: cannot stop it for the block effect: %s", c->id, strerror (errno));
      return false;
    }
  c->stopped_by_block = true;
  log_warning ("container `%s`: stopped by the block effect of %s", c->id,
               c->rule != NULL ? c->rule->name : "default_effect");
  return true;
}

bool
enforce_apply (struct agent *a, struct agent_container *c, enum rule_effect e, const char **action)
{
  switch (e)
    {
    case EFFECT_DISABLE:
      *action = NULL;
      return true;
    case EFFECT_ALERT:
      *action = "alerted";
      return true;
    case EFFECT_PREVENT:
      *action = "denied";
      return false;
    case EFFECT_BLOCK:
      /* The alert reports what happened: a container that could not be
         stopped had the call denied only.  */
      *action = stop_container (c) ? "blocked" : "denied";
      return false;
    }
  *action = "denied";
  return false;
}

bool
enforce_threat (struct agent *a, struct agent_container *c, enum rule_sensor s, bool always_deny,
                const char **action)
{
  enum rule_effect e = enforce_effect (a, c, s);

  if (e == EFFECT_BLOCK && (always_deny || c->model->mode == MODEL_ACTIVE))
    return enforce_apply (a, c, e, action);
  if (always_deny || (c->model->mode == MODEL_ACTIVE && e == EFFECT_PREVENT))
    {
      *action = "denied";
      return false;
    }
  *action = "alerted";
  return true;
}

void
enforce_rule_reason (const struct agent_container *c, const char *what, char *buf, size_t size)
{
  if (c->rule != NULL)
    snprintf (buf, size, "blocked by rule `%s` (%s): %s", c->rule->name, c->rule->file, what);
  else
    snprintf (buf, size, "blocked by a rule: %s", what);
}

void
enforce_log_rules (const struct rule_set *set)
{
  /* A directory mounted empty by mistake would drop every rule quietly.  */
  if (set->files == 0)
    log_warning ("rules `%s`: no *.json file in the directory, so no rule is in force", set->path);
  else
    log_info ("rules `%s`: %zu rules from %zu file%s", set->path, set->n, set->files, set->files == 1 ? "" : "s");
}

int
enforce_reload_rules (struct agent *a, vigil_error_t *err)
{
  struct rule_set *fresh = NULL, *old = a->rules;
  struct agent_container *c;

  if (a->cfg->rules == NULL)
    return vigil_error_set (err, 0, "no `rules` in the configuration");
  if (rules_load (a->cfg->rules, &fresh, err) < 0)
    {
      vigil_error_wrap (err, "rules not reloaded, the previous %zu stay in force", old ? old->n : 0);
      return -1;
    }
  /* Containers point into the set: resolve them all before the old set
     is freed.  */
  a->rules = fresh;
  for (c = a->containers; c != NULL; c = c->next)
    enforce_resolve (a, c);
  rules_free (old);
  enforce_log_rules (fresh);
  return 0;
}

static json_t
capability_json (const char *name, const char *reason, const char *container, bool removed)
{
  json_t o = json_new_object ();

  if (o == NULL)
    return NULL;
  json_object_set (o, "name", json_new_string (name));
  json_object_set (o, "reason", json_new_string (reason));
  json_object_set (o, "container", container ? json_new_string (container) : json_new_null ());
  json_object_set (o, "removed", json_new_bool (removed));
  return o;
}

/* Append the capabilities of set not in *seen to list: those that apply,
   then those a rule removed.  */
static void
append_capabilities (json_t list, const struct capability_set *set, const char *container, unsigned *seen)
{
  unsigned i;

  for (i = 0; i < CAPABILITY_COUNT; i++)
    if (((set->bits | set->removed) & (1u << i)) && !(*seen & (1u << i)))
      {
        bool removed = !(set->bits & (1u << i));
        *seen |= 1u << i;
        json_array_append (list, capability_json (capability_name (i),
                                                  removed ? set->removed_reason[i] : set->reason[i], container,
                                                  removed));
      }
}

json_t
enforce_model_capabilities (struct agent *a, const struct model *m)
{
  json_t list = json_new_array ();
  struct agent_container *c;
  unsigned seen = 0;
  bool any = false;

  for (c = a->containers; list != NULL && c != NULL; c = c->next)
    {
      if (c->model != m || !c->running)
        continue;
      any = true;
      append_capabilities (list, &c->caps, c->id, &seen);
    }
  if (!any && list != NULL)
    {
      struct rule_target t = { .image = m->image, .image_name = m->image_name, .cluster = m->cluster,
                               .namespace = m->namespace };
      struct capability_set set;

      resolve_capabilities (a, &t, m, NULL, 0, &set);
      append_capabilities (list, &set, NULL, &seen);
    }
  return list;
}
