#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent/agent.h"
#include "agent/exec_policy.h"
#include "common/log.h"

#define REPEAT_WINDOW_MS 2000

static bool
repeated_attempt (struct agent_container *c, pid_t pid, const char *executable)
{
  uint64_t now = agent_now_ms ();
  bool repeated = c->last_denied_pid == pid && now - c->last_denied_ms < REPEAT_WINDOW_MS
                  && strcmp (c->last_denied, executable) == 0;

  c->last_denied_pid = pid;
  c->last_denied_ms = now;
  snprintf (c->last_denied, sizeof (c->last_denied), "%s", executable);
  if (repeated)
    c->repeats_suppressed++;
  return repeated;
}

void
exec_policy_alert (struct agent *a, struct agent_container *c, const struct exec_subject *s,
                   const char *sensor, const char *reason, const char *action)
{
  struct model *m = c->model;
  struct alert al = {
    .container_id = c->id,
    .container_name = c->name,
    .image = m->image,
    .image_name = m->image_name,
    .cluster = m->cluster,
    .namespace = m->namespace,
    .deployment = m->deployment,
    .model_key = m->key,
    .mode = model_mode_name (m->mode),
    .sensor = sensor,
    .executable = s->name,
    .argv0 = s->argv0 && s->argv0[0] ? s->argv0 : NULL,
    .pid = (int) s->pid,
    .reason = reason,
    .action = action,
  };

  if (repeated_attempt (c, s->pid, s->name))
    {
      log_debug ("container `%s`: repeated attempt of `%s` by pid %d, no new alert", c->id, s->name,
                 (int) s->pid);
      return;
    }
  alerts_write (&a->alerts, &al);
}

static void
learn (struct model *m, const struct exec_subject *s)
{
  int added = model_add_exec (m, s->name, s->target, "learned", (int64_t) time (NULL));

  if (added > 0)
    log_info ("model `%s`: learned executable `%s`", m->key, s->name);
  else if (added < 0)
    log_error ("model `%s`: cannot add `%s`: out of memory", m->key, s->name);
}

bool
exec_policy_decide (struct agent *a, struct agent_container *c, const struct exec_subject *s)
{
  struct model *m = c->model;
  char reason[PATH_MAX + 64];
  bool known = s->file_level ? model_has_exec_file (m, s->name) : model_has_exec (m, s->name);

  if (known)
    {
      /* Learn the target of a path learned before targets were kept.  */
      if (!s->file_level && m->mode == MODEL_LEARNING)
        learn (m, s);
      return true;
    }

  switch (lifecycle_anomaly (m, &a->lifecycle))
    {
    case ANOMALY_RELEARN:
      log_warning ("model `%s`: `%s` in container `%s` is outside the model during the dry run; "
                   "learning again for %llu s",
                   m->key, s->name, c->id, (unsigned long long) (a->lifecycle.relearn_ms / 1000));
      learn (m, s);
      return true;
    case ANOMALY_LEARN:
      learn (m, s);
      return true;
    case ANOMALY_ENFORCE:
      break;
    }

  if (s->target != NULL && strcmp (s->target, s->name) != 0)
    snprintf (reason, sizeof (reason), "executable not in the model (resolves to `%s`)", s->target);
  else
    snprintf (reason, sizeof (reason), "executable not in the model");
  exec_policy_alert (a, c, s, "process", reason, "denied");
  return false;
}

bool
exec_policy_threat (struct agent *a, struct agent_container *c, const struct exec_subject *s,
                    const char *reason)
{
  bool deny = c->model->mode == MODEL_ACTIVE;

  exec_policy_alert (a, c, s, "process", reason, deny ? "denied" : "alerted");
  return !deny;
}
