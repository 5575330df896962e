/* Models: entries, JSON round trip, and the store's handling of bad
   files.  */
#include "config.h"

#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/unit.h"

#include "common/fileutil.h"
#include "policy/model.h"
#include "policy/model_store.h"

static struct model *
new_model (void)
{
  struct model_identity id = {
    .key = "eu-1/shop/api/sha256:ab", .image = "sha256:ab", .image_name = "shop/api:1",
    .cluster = "eu-1", .namespace = "shop", .deployment = "api", .source = "annotation vigil.image",
  };
  vigil_error_t err = NULL;
  struct model *m = NULL;

  assert_int_equal (model_new (&id, 1700000000, 3600000, &m, &err), 0);
  return m;
}

static void
entries_sorted_and_unique (void **state)
{
  struct model *m = new_model ();

  (void) state;
  assert_int_equal (model_add_exec (m, "/bin/sh", NULL, "learned", 1), 1);
  assert_int_equal (model_add_exec (m, "/bin/cat", NULL, "learned", 2), 1);
  assert_int_equal (model_add_exec (m, "/usr/bin/env", NULL, "learned", 3), 1);
  assert_int_equal (model_add_exec (m, "/bin/sh", NULL, "learned", 4), 0);
  assert_int_equal (m->n_execs, 3);
  assert_string_equal (m->execs[0].path, "/bin/cat");
  assert_string_equal (m->execs[1].path, "/bin/sh");
  assert_string_equal (m->execs[2].path, "/usr/bin/env");
  assert_true (model_has_exec (m, "/bin/sh"));
  assert_false (model_has_exec (m, "/bin/s"));
  assert_false (model_has_exec (m, "/bin/wget"));
  model_free (m);
}

static void
json_round_trip (void **state)
{
  struct model *m = new_model (), *back = NULL;
  vigil_error_t err = NULL;
  char *text = NULL, *again = NULL;
  int i;

  (void) state;
  for (i = 0; i < 100; i++)
    {
      char path[32];
      snprintf (path, sizeof (path), "/opt/bin/tool%03d", i);
      assert_int_equal (model_add_exec (m, path, NULL, "learned", 1700000000 + i), 1);
    }
  assert_int_equal (model_add_exec (m, "/bin/with \"quote\" and \\", NULL, "learned", 5), 1);
  assert_int_equal (model_add_exec (m, "/bin/ls", "/bin/busybox", "learned", 6), 1);
  assert_int_equal (model_add_dir (m, "/var/log/app", "learned", 7), 1);
  assert_int_equal (model_add_dir (m, "/tmp", "learned", 8), 1);
  assert_int_equal (model_add_dir (m, "/tmp", "learned", 9), 0);
  m->mode = MODEL_ARCHIVED;
  m->mode_before_archive = MODEL_ACTIVE;
  m->manual_learning = true;
  m->observed_ms = 3600123;
  m->learning_ms = 123;
  m->learning_target_ms = 86400000;
  m->active_ms = 55;
  m->relearn_count = 2;
  m->activated = 1700003600;
  m->last_seen_ms = 1700003600123;
  m->archived_ms = 1700003700456;

  assert_int_equal (model_to_json (m, &text, &err), 0);
  assert_int_equal (model_from_json (text, strlen (text), &back, &err), 0);
  assert_string_equal (back->key, m->key);
  assert_string_equal (back->image, "sha256:ab");
  assert_string_equal (back->image_name, "shop/api:1");
  assert_string_equal (back->cluster, "eu-1");
  assert_string_equal (back->namespace, "shop");
  assert_string_equal (back->deployment, "api");
  assert_string_equal (back->key_source, "annotation vigil.image");
  assert_int_equal (back->mode, MODEL_ARCHIVED);
  assert_int_equal (back->mode_before_archive, MODEL_ACTIVE);
  assert_true (back->manual_learning);
  assert_int_equal (back->observed_ms, 3600123);
  assert_int_equal (back->learning_ms, 123);
  assert_int_equal (back->learning_target_ms, 86400000);
  assert_int_equal (back->active_ms, 55);
  assert_int_equal (back->relearn_count, 2);
  assert_int_equal (back->activated, 1700003600);
  assert_int_equal (back->last_seen_ms, 1700003600123);
  assert_int_equal (back->archived_ms, 1700003700456);
  assert_int_equal (back->created, 1700000000);
  assert_int_equal (back->n_execs, 102);
  assert_true (model_has_exec_file (back, "/bin/busybox"));
  assert_true (model_has_exec_file (back, "/bin/ls"));
  assert_false (model_has_exec_file (back, "/bin/wget"));
  assert_int_equal (back->n_dirs, 2);
  assert_true (model_has_dir (back, "/tmp"));
  assert_true (model_has_dir (back, "/var/log/app"));
  assert_true (model_has_exec (back, "/bin/with \"quote\" and \\"));
  assert_string_equal (back->execs[2].path, "/opt/bin/tool000");
  assert_int_equal (back->execs[2].first_seen, 1700000000);
  assert_false (back->dirty);

  assert_int_equal (model_to_json (back, &again, &err), 0);
  assert_string_equal (text, again);
  free (text);
  free (again);
  model_free (m);
  model_free (back);
}

static void
invalid_model_files (void **state)
{
  const char *bad[] = {
    "",
    "[1,2]",
    "{\"version\":2,\"key\":\"k\",\"image\":\"i\",\"mode\":\"learning\"}",
    "{\"version\":1,\"image\":\"i\",\"mode\":\"learning\"}",
    "{\"version\":1,\"key\":\"k\",\"image\":\"i\",\"mode\":\"paranoid\"}",
    "{\"version\":1,\"key\":\"k\",\"image\":\"i\",\"mode\":\"archived\",\"mode_before_archive\":\"archived\"}",
    "{\"version\":1,\"key\":\"k\",\"image\":\"i\",\"mode\":\"active\",\"process\":{\"executables\":{}}}",
    "{\"version\":1,\"key\":\"k\",\"image\":\"i\",\"mode\":\"active\",\"process\":{\"executables\":[{\"path\":\"bin/sh\"}]}}",
  };
  const char *expected[] = {
    "invalid JSON", "not a JSON object", "unsupported model version 2", "no `key`",
    "invalid model mode `paranoid`", "invalid `mode_before_archive`", "not an array", "not absolute",
  };
  size_t i;

  (void) state;
  for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      vigil_error_t err = NULL;
      struct model *m = NULL;

      assert_int_equal (model_from_json (bad[i], strlen (bad[i]), &m, &err), -1);
      assert_null (m);
      if (strstr (err->msg, expected[i]) == NULL)
        fail_msg ("case %zu: message `%s` lacks `%s`", i, err->msg, expected[i]);
      vigil_error_free (&err);
    }
}

static void
note_corrupt (void *data, const char *path, const char *reason)
{
  int *calls = data;

  assert_non_null (strstr (path, "broken.json"));
  assert_non_null (reason);
  (*calls)++;
}

/* The store saves atomically, loads every good file and moves a corrupt
   one aside instead of failing.  */
static void
store_quarantines_corrupt_files (void **state)
{
  char *dir = make_temp_dir ();
  char *bad = NULL, *moved = NULL, *path = NULL;
  struct model *m = new_model (), **loaded = NULL;
  vigil_error_t err = NULL;
  struct stat st;
  size_t n = 0;
  int corrupt_calls = 0;

  (void) state;
  assert_int_equal (model_store_init (dir, &err), 0);
  assert_int_equal (model_add_exec (m, "/bin/sh", NULL, "learned", 1), 1);
  assert_int_equal (model_store_save (dir, m, &err), 0);
  assert_false (m->dirty);
  path = model_store_path (dir, m->key);
  assert_int_equal (stat (path, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0600);

  assert_true (asprintf (&bad, "%s/models/broken.json", dir) > 0);
  write_text (bad, "{\"version\":1,\"key\":");
  assert_int_equal (model_store_load_all (dir, &loaded, &n, note_corrupt, &corrupt_calls, &err), 0);
  assert_int_equal (n, 1);
  assert_int_equal (corrupt_calls, 1);
  assert_string_equal (loaded[0]->key, "eu-1/shop/api/sha256:ab");
  assert_true (model_has_exec (loaded[0], "/bin/sh"));
  assert_true (asprintf (&moved, "%s.corrupt", bad) > 0);
  assert_int_equal (stat (moved, &st), 0);
  assert_int_not_equal (stat (bad, &st), 0);

  model_free (loaded[0]);
  free (loaded);
  model_free (m);
  remove_tree (dir);
  free (dir);
  free (bad);
  free (moved);
  free (path);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (entries_sorted_and_unique),
    cmocka_unit_test (json_round_trip),
    cmocka_unit_test (invalid_model_files),
    cmocka_unit_test (store_quarantines_corrupt_files),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
