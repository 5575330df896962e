/* The model lifecycle on a fake clock: every transition, and a restart
   halfway through learning.  */
#include "config.h"

#include "tests/unit/unit.h"

#include "policy/lifecycle.h"
#include "policy/model.h"

#define HOUR (3600 * 1000ULL)
#define T0 1800000000000LL /* a unix time in ms */

static const struct lifecycle_config cfg = {
  .learning_ms = 1 * HOUR,
  .dry_run_ms = 24 * HOUR,
  .relearn_ms = 24 * HOUR,
  .archive_after_ms = 2 * HOUR,
  .archive_keep_ms = 24 * HOUR,
  .clock_scale = 1,
};

static struct model *
new_model (void)
{
  struct model_identity id = { .key = "-/-/-/img", .image = "img" };
  vigil_error_t err = NULL;
  struct model *m = NULL;

  assert_int_equal (model_new (&id, T0 / 1000, cfg.learning_ms, &m, &err), 0);
  return m;
}

/* One container for an hour, or two whose running time adds up to one.  */
static void
learning_time_adds_up (void **state)
{
  struct model *one = new_model (), *two = new_model ();

  (void) state;
  assert_int_equal (lifecycle_observe (one, HOUR / 2, 1, &cfg, T0), LIFECYCLE_UNCHANGED);
  assert_int_equal (one->mode, MODEL_LEARNING);
  assert_int_equal (lifecycle_observe (one, HOUR / 2, 1, &cfg, T0), LIFECYCLE_ACTIVATED);
  assert_int_equal (one->mode, MODEL_ACTIVE);
  assert_int_equal (one->activated, T0 / 1000);

  assert_int_equal (lifecycle_observe (two, HOUR / 2, 2, &cfg, T0), LIFECYCLE_ACTIVATED);
  assert_int_equal (two->observed_ms, HOUR);

  /* No container, no time.  */
  assert_int_equal (lifecycle_observe (two, HOUR, 0, &cfg, T0), LIFECYCLE_UNCHANGED);
  assert_int_equal (two->observed_ms, HOUR);
  model_free (one);
  model_free (two);
}

static void
anomalies_by_mode (void **state)
{
  struct model *m = new_model ();

  (void) state;
  assert_int_equal (lifecycle_anomaly (m, &cfg), ANOMALY_LEARN);
  assert_int_equal (m->mode, MODEL_LEARNING);

  assert_int_equal (lifecycle_observe (m, HOUR, 1, &cfg, T0), LIFECYCLE_ACTIVATED);
  assert_true (lifecycle_in_dry_run (m, &cfg));

  /* In the dry run an anomaly means the model was not done: learn again
     for the relearn period, keeping the observation total.  */
  assert_int_equal (lifecycle_anomaly (m, &cfg), ANOMALY_RELEARN);
  assert_int_equal (m->mode, MODEL_LEARNING);
  assert_int_equal (m->learning_target_ms, 24 * HOUR);
  assert_int_equal (m->learning_ms, 0);
  assert_int_equal (m->relearn_count, 1);
  assert_int_equal (m->observed_ms, HOUR);

  assert_int_equal (lifecycle_observe (m, 23 * HOUR, 1, &cfg, T0), LIFECYCLE_UNCHANGED);
  assert_int_equal (lifecycle_observe (m, HOUR, 1, &cfg, T0), LIFECYCLE_ACTIVATED);
  assert_int_equal (lifecycle_observe (m, 23 * HOUR, 1, &cfg, T0), LIFECYCLE_UNCHANGED);
  assert_true (lifecycle_in_dry_run (m, &cfg));
  assert_int_equal (lifecycle_observe (m, HOUR, 1, &cfg, T0), LIFECYCLE_DRY_RUN_ENDED);
  assert_false (lifecycle_in_dry_run (m, &cfg));

  /* After the dry run an anomaly is enforced and changes nothing.  */
  assert_int_equal (lifecycle_anomaly (m, &cfg), ANOMALY_ENFORCE);
  assert_int_equal (m->mode, MODEL_ACTIVE);
  assert_int_equal (m->relearn_count, 1);
  model_free (m);
}

static void
archive_return_and_expiry (void **state)
{
  struct model *m = new_model ();

  (void) state;
  assert_int_equal (lifecycle_observe (m, HOUR, 1, &cfg, T0), LIFECYCLE_ACTIVATED);

  /* Running containers keep a model out of the archive however long.  */
  assert_int_equal (lifecycle_check_idle (m, 1, &cfg, T0 + 10 * (int64_t) HOUR), LIFECYCLE_UNCHANGED);
  /* Idle for less than archive_after: kept.  */
  assert_int_equal (lifecycle_check_idle (m, 0, &cfg, T0 + (int64_t) HOUR), LIFECYCLE_UNCHANGED);
  assert_int_equal (lifecycle_check_idle (m, 0, &cfg, T0 + 2 * (int64_t) HOUR), LIFECYCLE_ARCHIVED);
  assert_int_equal (m->mode, MODEL_ARCHIVED);
  assert_int_equal (m->mode_before_archive, MODEL_ACTIVE);

  /* A new container brings it back to Active, without learning again.  */
  assert_true (lifecycle_container_running (m, T0 + 3 * (int64_t) HOUR));
  assert_int_equal (m->mode, MODEL_ACTIVE);
  assert_false (lifecycle_container_running (m, T0 + 3 * (int64_t) HOUR));

  /* Archived again, then removed after archive_keep.  */
  assert_int_equal (lifecycle_check_idle (m, 0, &cfg, T0 + 5 * (int64_t) HOUR), LIFECYCLE_ARCHIVED);
  assert_int_equal (lifecycle_check_idle (m, 0, &cfg, T0 + 28 * (int64_t) HOUR), LIFECYCLE_UNCHANGED);
  assert_int_equal (lifecycle_check_idle (m, 0, &cfg, T0 + 29 * (int64_t) HOUR), LIFECYCLE_EXPIRED);
  model_free (m);
}

/* With clock_scale 3600 an hour passes in a real second.  */
static void
scaled_clock (void **state)
{
  struct lifecycle_config fast = cfg;
  struct model *m = new_model ();

  (void) state;
  fast.clock_scale = 3600;
  assert_int_equal (lifecycle_observe (m, 1000 * fast.clock_scale, 1, &fast, T0), LIFECYCLE_ACTIVATED);
  assert_int_equal (lifecycle_check_idle (m, 0, &fast, T0 + 1999), LIFECYCLE_UNCHANGED);
  assert_int_equal (lifecycle_check_idle (m, 0, &fast, T0 + 2000), LIFECYCLE_ARCHIVED);
  assert_int_equal (lifecycle_check_idle (m, 0, &fast, T0 + 2000 + 24000), LIFECYCLE_EXPIRED);
  model_free (m);
}

static void
operator_actions (void **state)
{
  struct model *m = new_model ();

  (void) state;
  assert_int_equal (model_add_exec (m, "/bin/sh", NULL, "learned", 1), 1);
  assert_int_equal (lifecycle_observe (m, HOUR, 1, &cfg, T0), LIFECYCLE_ACTIVATED);

  /* Relearn keeps what was learned.  */
  lifecycle_relearn (m, &cfg);
  assert_int_equal (m->mode, MODEL_LEARNING);
  assert_int_equal (m->learning_target_ms, HOUR);
  assert_true (model_has_exec (m, "/bin/sh"));
  assert_int_equal (lifecycle_observe (m, HOUR, 1, &cfg, T0), LIFECYCLE_ACTIVATED);

  /* Manual learning has no time limit, until it is stopped.  */
  lifecycle_learn_start (m);
  assert_true (m->manual_learning);
  assert_int_equal (lifecycle_observe (m, 1000 * HOUR, 1, &cfg, T0), LIFECYCLE_UNCHANGED);
  assert_int_equal (m->mode, MODEL_LEARNING);
  lifecycle_learn_stop (m, T0 + 1000);
  assert_int_equal (m->mode, MODEL_ACTIVE);
  assert_false (m->manual_learning);
  assert_true (lifecycle_in_dry_run (m, &cfg));

  /* Archive by hand, from any mode; a container brings it back.  */
  lifecycle_archive (m, T0);
  assert_int_equal (m->mode, MODEL_ARCHIVED);
  lifecycle_archive (m, T0 + 5);
  assert_int_equal (m->archived_ms, T0);
  assert_true (lifecycle_container_running (m, T0 + 10));
  assert_int_equal (m->mode, MODEL_ACTIVE);
  model_free (m);
}

/* A model saved halfway through learning keeps its time after a restart
   of the agent (save, load).  */
static void
restart_keeps_progress (void **state)
{
  struct model *m = new_model (), *back = NULL;
  vigil_error_t err = NULL;
  char *text = NULL;

  (void) state;
  assert_int_equal (lifecycle_observe (m, HOUR / 2, 1, &cfg, T0), LIFECYCLE_UNCHANGED);
  assert_int_equal (model_to_json (m, &text, &err), 0);
  assert_int_equal (model_from_json (text, strlen (text), &back, &err), 0);
  assert_int_equal (back->mode, MODEL_LEARNING);
  assert_int_equal (back->learning_ms, HOUR / 2);
  assert_int_equal (back->learning_target_ms, HOUR);
  assert_int_equal (lifecycle_observe (back, HOUR / 2 - 1, 1, &cfg, T0), LIFECYCLE_UNCHANGED);
  assert_int_equal (lifecycle_observe (back, 1, 1, &cfg, T0), LIFECYCLE_ACTIVATED);
  free (text);
  model_free (m);
  model_free (back);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (learning_time_adds_up),
    cmocka_unit_test (anomalies_by_mode),
    cmocka_unit_test (archive_return_and_expiry),
    cmocka_unit_test (scaled_clock),
    cmocka_unit_test (operator_actions),
    cmocka_unit_test (restart_keeps_progress),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
