#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent/agent.h"
#include "agent/exec_policy.h"
#include "common/log.h"

#define REPEAT_WINDOW_MS 2000

/* Write one alert for the repeats of the last alerted event folded into
   its alert, if any.  */
static void
report_repeats (struct agent *a, struct agent_container *c)
{
  char reason[400];
  struct alert al;

  if (c->repeats_suppressed == 0)
    return;
  exec_policy_alert_init (&al, c);
  al.sensor = c->repeat_sensor;
  al.pid = (int) c->last_denied_pid;
  al.reason = reason;
  al.action = "suppressed";
  al.count = c->repeats_suppressed;
  snprintf (reason, sizeof (reason),
            "%lu more attempt%s of `%s` by pid %d within %d s of its alert; each was acted on like the first",
            c->repeats_suppressed, c->repeats_suppressed == 1 ? "" : "s", c->last_denied, (int) c->last_denied_pid,
            REPEAT_WINDOW_MS / 1000);
  c->repeats_suppressed = 0;
  alerts_write (&a->alerts, &al);
}

/* Whether this alert repeats the last one: the same process, subject,
   sensor and action within REPEAT_WINDOW_MS.  A written file and the exec
   of it that follows are two events, and so are an alerted and a denied
   attempt.  */
static bool
repeated_attempt (struct agent *a, struct agent_container *c, pid_t pid, const char *what,
                  const char *sensor, const char *action)
{
  uint64_t now = monotonic_ms ();
  bool repeated = c->last_denied_pid == pid && now - c->last_denied_ms < REPEAT_WINDOW_MS
                  && strcmp (c->last_denied, what) == 0 && c->repeat_sensor != NULL && sensor != NULL
                  && strcmp (c->repeat_sensor, sensor) == 0 && c->last_action != NULL && action != NULL
                  && strcmp (c->last_action, action) == 0;

  if (!repeated)
    report_repeats (a, c);
  c->last_denied_pid = pid;
  c->last_denied_ms = now;
  snprintf (c->last_denied, sizeof (c->last_denied), "%s", what);
  c->repeat_sensor = sensor;
  c->last_action = action;
  if (repeated)
    c->repeats_suppressed++;
  return repeated;
}

void
exec_policy_alert_init (struct alert *al, const struct agent_container *c)
{
  const struct model *m = c->model;

  memset (al, 0, sizeof (*al));
  al->container_id = c->id;
  al->container_name = c->name;
  al->image = m->image;
  al->image_name = m->image_name;
  al->cluster = m->cluster;
  al->namespace = m->namespace;
  al->deployment = m->deployment;
  al->model_key = m->key;
  al->mode = model_mode_name (m->mode);
  al->policy_rule = c->rule != NULL ? c->rule->name : NULL;
}

void
exec_policy_alert (struct agent *a, struct agent_container *c, const struct exec_subject *s,
                   const char *sensor, const char *reason, const char *action)
{
  struct alert al;

  if (s->load_argv0 != NULL)
    s->load_argv0 (s->argv0_ctx);
  exec_policy_alert_init (&al, c);
  al.sensor = sensor;
  al.executable = s->name;
  al.argv0 = s->argv0 && s->argv0[0] ? s->argv0 : NULL;
  al.pid = (int) s->pid;
  al.reason = reason;
  al.action = action;
  policy_alert_write (a, c, &al, s->name);
}

void
exec_policy_file_alert_init (struct alert *al, const struct agent_container *c, pid_t pid, const char *file,
                             const char *reason, const char *action)
{
  exec_policy_alert_init (al, c);
  al->sensor = "file";
  al->file = file;
  al->pid = (int) pid;
  al->reason = reason;
  al->action = action;
}

void
policy_alert_write (struct agent *a, struct agent_container *c, const struct alert *al, const char *what)
{
  uint64_t now = monotonic_ms ();

  if (repeated_attempt (a, c, (pid_t) al->pid, what, al->sensor, al->action))
    {
      log_debug ("container `%s`: repeated attempt of `%s` by pid %d, no new alert", c->id, what, al->pid);
      return;
    }
  if (now - c->alert_second_ms >= 1000)
    {
      exec_policy_report_suppressed (a, c);
      c->alert_second_ms = now;
      c->alerts_in_second = 0;
    }
  if (c->alerts_in_second >= ALERTS_PER_SECOND)
    {
      c->alerts_suppressed++;
      return;
    }
  c->alerts_in_second++;
  alerts_write (&a->alerts, al);
}

void
exec_policy_report_suppressed (struct agent *a, struct agent_container *c)
{
  char reason[160];
  struct alert al;

  if (c->repeats_suppressed > 0 && monotonic_ms () - c->last_denied_ms >= REPEAT_WINDOW_MS)
    report_repeats (a, c);
  if (c->alerts_suppressed == 0)
    return;
  exec_policy_alert_init (&al, c);
  al.sensor = "process";
  al.reason = reason;
  al.action = "suppressed";
  al.count = c->alerts_suppressed;
  snprintf (reason, sizeof (reason),
            "%lu more alerts of this container in one second were not written (at most %d a second); "
            "the events were acted on all the same",
            c->alerts_suppressed, ALERTS_PER_SECOND);
  c->alerts_suppressed = 0;
  alerts_write (&a->alerts, &al);
}

static void
learn (struct model *m, const struct exec_subject *s)
{
  int64_t now = (int64_t) time (NULL);
  int added = s->file_level ? model_add_exec_file (m, s->name, "learned", now)
                            : model_add_exec (m, s->name, s->target, "learned", now);

  if (added > 0)
    log_info ("model `%s`: learned %s `%s`", m->key, s->file_level ? "file" : "executable", s->name);
  else if (added < 0)
    log_error ("model `%s`: cannot add `%s`: out of memory", m->key, s->name);
  if (s->has_stat)
    model_set_fingerprint (m, s->name, s->size, s->mtime_ns, m->mode == MODEL_LEARNING);
}

/* Whether the file behind a known name is the one that was learned: the
   same target for a symlink name, the same size and modification time.  */
static bool
same_file_as_learned (const struct model *m, const struct exec_subject *s)
{
  if (!s->file_level)
    {
      const struct model_entry *e = model_find_exec (m, s->name);
      if (e != NULL && e->target != NULL && s->target != NULL && strcmp (e->target, s->target) != 0)
        return false;
    }
  return !s->has_stat
         || model_check_fingerprint (m, s->name, s->file_level, s->size, s->mtime_ns) != FINGERPRINT_DIFFERS;
}

/* Act on an exec outside the model, or blocked by a rule, with the
   effect of the process section.  */
static bool
act (struct agent *a, struct agent_container *c, const struct exec_subject *s, const char *reason)
{
  const char *action;
  bool allow = enforce_apply (a, c, enforce_effect (a, c, RULE_PROCESSES), &action);

  if (action != NULL)
    exec_policy_alert (a, c, s, "process", reason, action);
  return allow;
}

/* Act on an exec that a blocked entry names; returns whether it may
   proceed.  */
static bool
act_blocked (struct agent *a, struct agent_container *c, const struct exec_subject *s)
{
  char reason[PATH_MAX + 256], what[PATH_MAX + 32];

  snprintf (what, sizeof (what), "executable `%s`", s->name);
  enforce_rule_reason (c, what, reason, sizeof (reason));
  return act (a, c, s, reason);
}

bool
exec_policy_blocked (struct agent *a, struct agent_container *c, const struct exec_subject *s, bool *allow)
{
  if (rule_process_verdict (c->rule, s->name, s->target) != VERDICT_BLOCKED)
    return false;
  *allow = act_blocked (a, c, s);
  return true;
}

bool
exec_policy_decide (struct agent *a, struct agent_container *c, const struct exec_subject *s)
{
  struct model *m = c->model;
  char reason[PATH_MAX + 256];
  bool known, same;

  /* Blocked entries apply in every mode, to what the model learned too;
     allowed ones extend the model.  */
  switch (rule_process_verdict (c->rule, s->name, s->target))
    {
    case VERDICT_BLOCKED:
      return act_blocked (a, c, s);
    case VERDICT_ALLOWED:
      return true;
    case VERDICT_NONE:
      break;
    }

  known = s->file_level ? model_has_exec_file (m, s->name) : model_has_exec (m, s->name);
  same = known && same_file_as_learned (m, s);
  if (known && same)
    {
      /* Keep targets and fingerprints of entries learned without them;
         an active model takes a first fingerprint too.  */
      if (m->mode == MODEL_LEARNING && !s->file_level)
        learn (m, s);
      else if (s->has_stat)
        model_set_fingerprint (m, s->name, s->size, s->mtime_ns, false);
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
      if (known && !same)
        log_info ("model `%s`: the file at `%s` changed; learning the new one", m->key, s->name);
      learn (m, s);
      return true;
    case ANOMALY_ENFORCE:
      break;
    }

  if (capabilities_has (&c->caps, CAPABILITY_ARBITRARY_CHILDREN))
    {
      log_debug ("container `%s`: `%s` is outside the model; allowed by runs-arbitrary-children", c->id,
                 s->name);
      return true;
    }
  if (known)
    snprintf (reason, sizeof (reason),
              "the file at a learned path is not the learned file (resolves to `%s`, or another size "
              "or modification time)",
              s->target ? s->target : s->name);
  else if (s->target != NULL && strcmp (s->target, s->name) != 0)
    snprintf (reason, sizeof (reason), "executable not in the model (resolves to `%s`)", s->target);
  else
    snprintf (reason, sizeof (reason), "executable not in the model");
  return act (a, c, s, reason);
}

bool
exec_policy_threat (struct agent *a, struct agent_container *c, const struct exec_subject *s,
                    const char *reason, bool always_deny)
{
  const char *action;
  bool allow = enforce_threat (a, c, RULE_PROCESSES, always_deny, &action);

  exec_policy_alert (a, c, s, "process", reason, action);
  return allow;
}

bool
exec_policy_may_run_written (const struct agent_container *c, const char *file)
{
  return capabilities_has (&c->caps, CAPABILITY_WRITES_AND_EXECUTES)
         || capabilities_has (&c->caps, CAPABILITY_PACKAGE_MANAGER)
         || rule_file_verdict (c->rule, file) == VERDICT_ALLOWED;
}

bool
exec_policy_temporary (const struct agent_container *c, const char *path, const char *target, char *reason,
                       size_t size)
{
  static const char *const dirs[] = { "/tmp/", "/dev/shm/", "/var/tmp/" };
  size_t i;

  if (capabilities_has (&c->caps, CAPABILITY_WRITES_AND_EXECUTES))
    return false;
  for (i = 0; i < sizeof (dirs) / sizeof (dirs[0]); i++)
    if (strncmp (path, dirs[i], strlen (dirs[i])) == 0
        || (target != NULL && strncmp (target, dirs[i], strlen (dirs[i])) == 0))
      {
        /* The file itself must be below an allowed prefix: a link there
           could name any file.  */
        if (rule_file_verdict (c->rule, target != NULL ? target : path) == VERDICT_ALLOWED)
          return false;
        snprintf (reason, size, "executed from temporary storage: `%s` is below %.*s", path,
                  (int) strlen (dirs[i]) - 1, dirs[i]);
        return true;
      }
  return false;
}
