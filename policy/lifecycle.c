#include "config.h"

#include "lifecycle.h"

static void
enter_learning (struct model *m, uint64_t target_ms, bool manual)
{
  m->mode = MODEL_LEARNING;
  m->manual_learning = manual;
  m->learning_ms = 0;
  m->learning_target_ms = target_ms;
  m->dirty = true;
}

static void
enter_active (struct model *m, int64_t now_ms)
{
  m->mode = MODEL_ACTIVE;
  m->manual_learning = false;
  m->active_ms = 0;
  m->activated = now_ms / 1000;
  m->dirty = true;
}

enum lifecycle_change
lifecycle_observe (struct model *m, uint64_t elapsed_ms, unsigned running,
                   const struct lifecycle_config *cfg, int64_t now_ms)
{
  uint64_t observed = elapsed_ms * running;
  bool was_dry_run;

  if (running == 0 || m->mode == MODEL_ARCHIVED)
    return LIFECYCLE_UNCHANGED;
  m->observed_ms += observed;
  m->last_seen_ms = now_ms;
  m->dirty = true;

  if (m->mode == MODEL_LEARNING)
    {
      m->learning_ms += observed;
      if (m->manual_learning || m->learning_ms < m->learning_target_ms)
        return LIFECYCLE_UNCHANGED;
      enter_active (m, now_ms);
      return LIFECYCLE_ACTIVATED;
    }

  was_dry_run = lifecycle_in_dry_run (m, cfg);
  m->active_ms += observed;
  if (was_dry_run && !lifecycle_in_dry_run (m, cfg))
    return LIFECYCLE_DRY_RUN_ENDED;
  return LIFECYCLE_UNCHANGED;
}

bool
lifecycle_in_dry_run (const struct model *m, const struct lifecycle_config *cfg)
{
  return m->mode == MODEL_ACTIVE && m->active_ms < cfg->dry_run_ms;
}

enum anomaly_action
lifecycle_anomaly (struct model *m, const struct lifecycle_config *cfg)
{
  if (m->mode != MODEL_ACTIVE)
    return ANOMALY_LEARN;
  if (!lifecycle_in_dry_run (m, cfg))
    return ANOMALY_ENFORCE;
  m->relearn_count++;
  enter_learning (m, cfg->relearn_ms, false);
  return ANOMALY_RELEARN;
}

bool
lifecycle_container_running (struct model *m, int64_t now_ms)
{
  bool was_archived = m->mode == MODEL_ARCHIVED;

  if (was_archived)
    {
      m->mode = m->mode_before_archive;
      m->archived_ms = 0;
    }
  m->last_seen_ms = now_ms;
  m->dirty = true;
  return was_archived;
}

/* Real milliseconds between two unix times, on the lifecycle clock.  */
static uint64_t
scaled_since (int64_t then_ms, int64_t now_ms, uint64_t scale)
{
  if (now_ms <= then_ms)
    return 0;
  return (uint64_t) (now_ms - then_ms) * scale;
}

enum lifecycle_change
lifecycle_check_idle (struct model *m, unsigned running, const struct lifecycle_config *cfg,
                      int64_t now_ms)
{
  if (m->mode == MODEL_ARCHIVED)
    return scaled_since (m->archived_ms, now_ms, cfg->clock_scale) >= cfg->archive_keep_ms
               ? LIFECYCLE_EXPIRED
               : LIFECYCLE_UNCHANGED;
  if (running > 0 || scaled_since (m->last_seen_ms, now_ms, cfg->clock_scale) < cfg->archive_after_ms)
    return LIFECYCLE_UNCHANGED;
  lifecycle_archive (m, now_ms);
  return LIFECYCLE_ARCHIVED;
}

void
lifecycle_relearn (struct model *m, const struct lifecycle_config *cfg)
{
  enter_learning (m, cfg->learning_ms, false);
}

void
lifecycle_learn_start (struct model *m)
{
  enter_learning (m, 0, true);
}

void
lifecycle_learn_stop (struct model *m, int64_t now_ms)
{
  enter_active (m, now_ms);
}

void
lifecycle_archive (struct model *m, int64_t now_ms)
{
  if (m->mode == MODEL_ARCHIVED)
    return;
  m->mode_before_archive = m->mode;
  m->mode = MODEL_ARCHIVED;
  m->archived_ms = now_ms;
  m->dirty = true;
}
