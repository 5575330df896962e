/* The node configuration file.  */
#include "config.h"

#include <errno.h>

#include "tests/unit/unit.h"

#include "common/vconfig.h"

static void
defaults_and_file (void **state)
{
  char *dir = make_temp_dir ();
  char *path = NULL;
  struct vigil_config cfg;
  vigil_error_t err = NULL;

  (void) state;
  assert_true (asprintf (&path, "%s/vigil.conf", dir) > 0);
  assert_int_equal (vigil_config_load (&cfg, path, true, &err), 0);
  assert_string_equal (cfg.listener_socket, "/run/vigil/vigild.sock");
  assert_string_equal (cfg.control_socket, "/run/vigil/control.sock");
  assert_null (cfg.protected_paths);
  assert_int_equal (cfg.fail_mode, VIGIL_FAIL_OPEN);
  assert_int_equal (cfg.learning_seconds, 3600);
  assert_int_equal (cfg.deny_errno, EPERM);
  assert_int_equal (cfg.network_deny_errno, EPERM);
  assert_int_equal (cfg.alert_outputs, VIGIL_ALERTS_TO_FILE);
  assert_null (cfg.metrics_file);
  assert_null (cfg.rules);
  assert_null (cfg.hash_feed);
  assert_int_equal (cfg.default_effect, 2); /* prevent */
  assert_int_equal (cfg.hash_max_bytes, 64u << 20);
  vigil_config_free (&cfg);

  write_text (path, "# test node\n"
                    "listener_socket = /tmp/v/l.sock\n"
                    "  learning_seconds=5  \n"
                    "\n"
                    "on_agent_unreachable = fail-closed\n"
                    "runtime = crun\n"
                    "deny_errno = EACCES\n"
                    "network_deny_errno = ECONNREFUSED\n"
                    "alert_outputs = stdout , syslog\n"
                    "metrics_file = /var/lib/node_exporter/vigil.prom\n"
                    "protected_paths = /etc/passwd, /etc/shadow ,/usr/bin\n"
                    "rules = /etc/vigil/rules.d\n"
                    "hash_feed = /etc/vigil/feeds/malware-hashes.txt\n"
                    "hash_max_bytes = 1048576\n"
                    "default_effect = block\n");
  assert_int_equal (vigil_config_load (&cfg, path, false, &err), 0);
  assert_string_equal (cfg.listener_socket, "/tmp/v/l.sock");
  assert_int_equal (cfg.learning_seconds, 5);
  assert_int_equal (cfg.fail_mode, VIGIL_FAIL_CLOSED);
  assert_string_equal (cfg.default_runtime, "crun");
  assert_int_equal (cfg.deny_errno, EACCES);
  assert_int_equal (cfg.network_deny_errno, ECONNREFUSED);
  assert_int_equal (cfg.alert_outputs, VIGIL_ALERTS_TO_STDOUT | VIGIL_ALERTS_TO_SYSLOG);
  assert_string_equal (cfg.metrics_file, "/var/lib/node_exporter/vigil.prom");
  assert_string_equal (cfg.protected_paths, "/etc/passwd,/etc/shadow,/usr/bin");
  assert_string_equal (cfg.rules, "/etc/vigil/rules.d");
  assert_string_equal (cfg.hash_feed, "/etc/vigil/feeds/malware-hashes.txt");
  assert_int_equal (cfg.hash_max_bytes, 1048576);
  assert_int_equal (cfg.default_effect, 3);
  vigil_config_free (&cfg);

  remove_tree (dir);
  assert_int_equal (vigil_config_load (&cfg, path, false, &err), -1);
  assert_non_null (strstr (err->msg, "vigil.conf"));
  vigil_error_free (&err);
  vigil_config_free (&cfg);
  free (path);
  free (dir);
}

static void
invalid_lines (void **state)
{
  const char *bad[] = {
    "learning_seconds = -1", "learning_seconds = 10s", "tick_ms = 1", "runtime = kata",
    "on_agent_unreachable = maybe", "listener_socket = relative.sock", "colour = blue",
    "just words", "deny_errno = ENOENT", "protected_paths = /etc, usr", "learning_seconds = 99999999999999999999",
    "network_deny_errno = EACCES",
    "alert_outputs = file,kafka",
    "alert_outputs = ,",
    "metrics_file = vigil.prom",
    "default_effect = deny",
    "rules = rules.d",
    "hash_max_bytes = 0",
  };
  const char *expected[] = {
    "`-1`", "`10s`", "`1`", "`kata`", "`maybe`", "absolute path", "unknown key `colour`",
    "expected `key = value`", "`ENOENT`", "invalid path `usr`", "too large",
    "expected `EPERM` or `ECONNREFUSED`",
    "invalid value `file,kafka` for `alert_outputs`",
    "invalid value `,` for `alert_outputs`",
    "expected an absolute path",
    "invalid value `deny` for `default_effect`: expected `disable`, `alert`, `prevent` or `block`",
    "expected an absolute path",
    "`0`",
  };
  size_t i;

  (void) state;
  for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      struct vigil_config cfg;
      vigil_error_t err = NULL;

      assert_int_equal (vigil_config_load (&cfg, "/nonexistent", true, &err), 0);
      assert_int_equal (vigil_config_apply_line (&cfg, bad[i], &err), -1);
      if (strstr (err->msg, expected[i]) == NULL)
        fail_msg ("`%s`: message `%s` lacks `%s`", bad[i], err->msg, expected[i]);
      vigil_error_free (&err);
      vigil_config_free (&cfg);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (defaults_and_file),
    cmocka_unit_test (invalid_lines),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
