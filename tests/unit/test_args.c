/* Parsing the runc command lines that engines really pass.  */
#include "config.h"

#include <unistd.h>

#include "tests/unit/unit.h"

#include "shim/args.h"
#include "shim/runtime_log.h"

static void
parse (int argc, char **argv, struct runtime_args *out)
{
  vigil_error_t err = NULL;

  assert_int_equal (runtime_args_parse (argc, argv, out, &err), 0);
  assert_null (err);
}

/* containerd 1.6's runc shim (through go-runc), as recorded on Debian
   12: global flags, then create with --bundle and --pid-file, container
   id last.  */
static void
containerd_create (void **state)
{
  char *argv[] = {
    "runc", "--root", "/run/containerd/runc/default",
    "--log", "/run/containerd/io.containerd.runtime.v2.task/default/t1/log.json",
    "--log-format", "json",
    "create", "--bundle", "/run/containerd/io.containerd.runtime.v2.task/default/t1",
    "--pid-file", "/run/containerd/io.containerd.runtime.v2.task/default/t1/init.pid",
    "t1",
  };
  struct runtime_args a;

  (void) state;
  parse (sizeof (argv) / sizeof (argv[0]), argv, &a);
  assert_string_equal (a.command, "create");
  assert_int_equal (a.command_index, 7);
  assert_string_equal (a.root, "/run/containerd/runc/default");
  assert_string_equal (a.log_path, "/run/containerd/io.containerd.runtime.v2.task/default/t1/log.json");
  assert_string_equal (a.log_format, "json");
  assert_string_equal (a.bundle, "/run/containerd/io.containerd.runtime.v2.task/default/t1");
  assert_string_equal (a.container_id, "t1");
}

/* containerd with SystemdCgroup and a console socket (ctr run -t).  */
static void
containerd_create_systemd_console (void **state)
{
  char *argv[] = {
    "runc", "--root", "/run/containerd/runc/k8s.io", "--log", "/x/log.json", "--log-format", "json",
    "--systemd-cgroup", "create", "--bundle", "/b", "--pid-file", "/b/init.pid",
    "--console-socket", "/tmp/pty123/pty.sock", "abc",
  };
  struct runtime_args a;

  (void) state;
  parse (sizeof (argv) / sizeof (argv[0]), argv, &a);
  assert_string_equal (a.command, "create");
  assert_string_equal (a.bundle, "/b");
  assert_string_equal (a.container_id, "abc");
}

/* podman 4.3's conmon, as recorded on Debian 12: no global flags unless
   podman --runtime-flag adds them, which come first.  */
static void
conmon_create (void **state)
{
  char *argv[] = {
    "/usr/bin/vigil-runc", "create",
    "--bundle", "/var/lib/containers/storage/overlay-containers/539c14f3/userdata",
    "--pid-file", "/run/containers/storage/overlay-containers/539c14f3/userdata/pidfile",
    "539c14f3",
  };
  char *argv_flags[] = {
    "/usr/bin/vigil-runc", "--log-format=json", "create",
    "--bundle", "/var/lib/containers/storage/overlay-containers/539c14f3/userdata",
    "--pid-file", "/run/containers/storage/overlay-containers/539c14f3/userdata/pidfile",
    "539c14f3",
  };
  struct runtime_args a;

  (void) state;
  parse (sizeof (argv) / sizeof (argv[0]), argv, &a);
  assert_string_equal (a.command, "create");
  assert_string_equal (a.log_format, "text");
  assert_null (a.log_path);
  assert_string_equal (a.bundle, "/var/lib/containers/storage/overlay-containers/539c14f3/userdata");
  assert_string_equal (a.container_id, "539c14f3");

  parse (sizeof (argv_flags) / sizeof (argv_flags[0]), argv_flags, &a);
  assert_string_equal (a.command, "create");
  assert_int_equal (a.command_index, 2);
  assert_string_equal (a.log_format, "json");
  assert_string_equal (a.container_id, "539c14f3");
}

/* containerd's shim starting an exec session, as recorded.  */
static void
containerd_exec (void **state)
{
  char *argv[] = {
    "runc", "--root", "/run/containerd/runc/default",
    "--log", "/run/containerd/io.containerd.runtime.v2.task/default/a1/log.json", "--log-format", "json",
    "exec", "--process", "/tmp/runc-process1869601623", "--detach",
    "--pid-file", "/run/containerd/io.containerd.runtime.v2.task/default/a1/e1.pid", "a1",
  };
  struct runtime_args a;

  (void) state;
  parse (sizeof (argv) / sizeof (argv[0]), argv, &a);
  assert_string_equal (a.command, "exec");
  assert_int_equal (runtime_command_creates (a.command), 0);
  assert_null (a.bundle);
}

/* conmon runs exec sessions with "exec --process FILE --detach ...".  */
static void
conmon_exec (void **state)
{
  char *argv[] = {
    "runc", "--log-format=json", "--log", "/l", "exec", "--pid-file", "/p", "--process", "/proc.json",
    "--detach", "0123",
  };
  struct runtime_args a;

  (void) state;
  parse (sizeof (argv) / sizeof (argv[0]), argv, &a);
  assert_string_equal (a.command, "exec");
  assert_null (a.bundle);
}

static void
bundle_short_and_inline_forms (void **state)
{
  char *argv1[] = { "runc", "run", "-b", "/b1", "--detach", "c1" };
  char *argv2[] = { "runc", "run", "--bundle=/b2", "c2" };
  char *argv3[] = { "runc", "create", "-b=/b3", "--", "c3" };
  char *argv4[] = { "runc", "run", "c4" };
  struct runtime_args a;

  (void) state;
  parse (6, argv1, &a);
  assert_string_equal (a.bundle, "/b1");
  assert_string_equal (a.container_id, "c1");
  parse (4, argv2, &a);
  assert_string_equal (a.bundle, "/b2");
  assert_string_equal (a.container_id, "c2");
  parse (5, argv3, &a);
  assert_string_equal (a.bundle, "/b3");
  assert_string_equal (a.container_id, "c3");
  parse (3, argv4, &a);
  assert_string_equal (a.bundle, ".");
  assert_string_equal (a.container_id, "c4");
}

static void
unknown_global_flags (void **state)
{
  char *argv1[] = { "runc", "--future-flag", "value", "--debug", "create", "c1" };
  char *argv2[] = { "runc", "--future-bool", "create", "c2" };
  char *argv3[] = { "runc", "--future=x", "delete", "c3" };
  struct runtime_args a;

  (void) state;
  parse (6, argv1, &a);
  assert_string_equal (a.command, "create");
  assert_string_equal (a.container_id, "c1");
  parse (4, argv2, &a);
  assert_string_equal (a.command, "create");
  parse (4, argv3, &a);
  assert_string_equal (a.command, "delete");
}

static void
every_runc_command (void **state)
{
  const char *commands[] = { "create", "start", "run", "exec", "kill", "delete", "state", "list", "ps",
                             "pause", "resume", "update", "events", "features", "spec", "checkpoint",
                             "restore" };
  size_t i;

  (void) state;
  for (i = 0; i < sizeof (commands) / sizeof (commands[0]); i++)
    {
      char *argv[] = { "runc", "--root", "/r", (char *) commands[i], "id" };
      struct runtime_args a;

      parse (5, argv, &a);
      assert_string_equal (a.command, commands[i]);
      assert_int_equal (runtime_command_creates (a.command),
                        strcmp (commands[i], "create") == 0 || strcmp (commands[i], "run") == 0);
    }
}

static void
no_command (void **state)
{
  char *argv[] = { "runc", "--version" };
  struct runtime_args a;

  (void) state;
  parse (2, argv, &a);
  assert_null (a.command);
  assert_int_equal (a.command_index, -1);
}

static void
missing_flag_value (void **state)
{
  char *argv1[] = { "runc", "--root" };
  char *argv2[] = { "runc", "create", "--bundle" };
  struct runtime_args a;
  vigil_error_t err = NULL;

  (void) state;
  assert_int_equal (runtime_args_parse (2, argv1, &a, &err), -1);
  assert_non_null (strstr (err->msg, "--root"));
  vigil_error_free (&err);
  assert_int_equal (runtime_args_parse (3, argv2, &a, &err), -1);
  assert_non_null (strstr (err->msg, "--bundle"));
  vigil_error_free (&err);
}

/* --vigil-config is the wrapper's: read, then removed from what the
   delegate gets, in both spellings.  */
static void
own_flag_stripped (void **state)
{
  char *argv1[] = { "vigil-runc", "--root", "/r", "--vigil-config=/etc/v.conf", "create", "-b", "/b", "c1" };
  char *argv2[] = { "vigil-runc", "--vigil-config", "/etc/w.conf", "--debug", "delete", "c1" };
  struct runtime_args a;
  char **out;

  (void) state;
  parse (8, argv1, &a);
  assert_string_equal (a.vigil_config, "/etc/v.conf");
  assert_string_equal (a.bundle, "/b");
  out = runtime_args_delegate_argv (8, argv1, &a);
  assert_string_equal (out[2], "/r");
  assert_string_equal (out[3], "create");
  assert_string_equal (out[6], "c1");
  assert_null (out[7]);
  free (out);

  parse (6, argv2, &a);
  assert_string_equal (a.vigil_config, "/etc/w.conf");
  assert_string_equal (a.command, "delete");
  out = runtime_args_delegate_argv (6, argv2, &a);
  assert_string_equal (out[1], "--debug");
  assert_string_equal (out[2], "delete");
  assert_string_equal (out[3], "c1");
  assert_null (out[4]);
  free (out);
}

static char *
log_to_file (const char *format)
{
  char path[] = "/tmp/vigil-log-XXXXXX";
  int fd = mkstemp (path);
  char buf[1024] = "";
  FILE *f;

  assert_true (fd >= 0);
  runtime_log_setup (path, format);
  runtime_log ("error", "open `%s`: %s", "/b/config \"x\"", "No such file");
  f = fdopen (fd, "r");
  assert_non_null (f);
  assert_non_null (fgets (buf, sizeof (buf), f));
  fclose (f);
  unlink (path);
  return strdup (buf);
}

/* The engine reads the --log file: runc writes JSON objects with level,
   msg and time, or logrus text.  */
static void
log_formats (void **state)
{
  char *json = log_to_file ("json");
  char *text = log_to_file ("text");

  (void) state;
  const char *json_prefix = "{\"level\":\"error\",\"msg\":\"open `/b/config \\\"x\\\"`: No such file\",\"time\":\"";

  assert_true (strncmp (json, json_prefix, strlen (json_prefix)) == 0);
  assert_non_null (strstr (json, "Z\"}\n"));
  assert_true (strncmp (text, "time=\"", 6) == 0);
  assert_non_null (strstr (text, " level=error msg=\"open `/b/config \\\"x\\\"`: No such file\"\n"));
  free (json);
  free (text);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (containerd_create),
    cmocka_unit_test (containerd_create_systemd_console),
    cmocka_unit_test (conmon_create),
    cmocka_unit_test (containerd_exec),
    cmocka_unit_test (conmon_exec),
    cmocka_unit_test (bundle_short_and_inline_forms),
    cmocka_unit_test (unknown_global_flags),
    cmocka_unit_test (every_runc_command),
    cmocka_unit_test (no_command),
    cmocka_unit_test (missing_flag_value),
    cmocka_unit_test (own_flag_stripped),
    cmocka_unit_test (log_formats),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
