/* The watchdog responds to exec permission events while the event loop
   is stuck, on a real fanotify group (root only; skipped otherwise).  */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/unit.h"

#include "agent/watchdog.h"
#include "common/clock.h"

/* Run path in a child; returns its exit status and the time it took.  */
static int
run_child (const char *path, uint64_t *took_ms)
{
  uint64_t start = monotonic_ms ();
  int status;
  pid_t pid = fork ();

  if (pid == 0)
    {
      char *argv[] = { (char *) path, NULL };
      execv (path, argv);
      _exit (errno == EPERM ? 126 : 127);
    }
  assert_true (pid > 0);
  assert_int_equal (waitpid (pid, &status, 0), pid);
  *took_ms = monotonic_ms () - start;
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
answers_when_stuck (void **state)
{
  char *dir = NULL, *prog = NULL, *data = NULL, *cmd = NULL;
  struct watchdog w;
  struct watchdog_write *writes;
  struct stat st;
  uint64_t took;
  size_t n;
  int fan, fd;

  (void) state;
  if (geteuid () != 0)
    skip ();
  fan = fanotify_init (FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_CLOEXEC);
  if (fan < 0)
    skip ();

  dir = make_temp_dir ();
  assert_true (asprintf (&prog, "%s/true", dir) > 0);
  assert_true (asprintf (&data, "%s/data", dir) > 0);
  assert_true (asprintf (&cmd, "cp /bin/true %s && touch %s", prog, data) > 0);
  assert_int_equal (system (cmd), 0);
  assert_int_equal (fanotify_mark (fan, FAN_MARK_ADD, FAN_OPEN_EXEC_PERM, AT_FDCWD, prog), 0);
  assert_int_equal (fanotify_mark (fan, FAN_MARK_ADD, FAN_CLOSE_WRITE, AT_FDCWD, data), 0);

  assert_int_equal (watchdog_start (&w, 300), 0);
  watchdog_add (&w, fan, "test", false);

  /* No other reader drains the group and the loop counts as stuck, so
     the watchdog allows the exec within its limit and a tick or two.  */
  watchdog_busy (&w, monotonic_ms ());
  assert_int_equal (run_child (prog, &took), 0);
  assert_true (took >= 250);
  assert_true (took < 2000);

  /* For an enforcing model it denies.  */
  watchdog_set_deny (&w, fan, true);
  watchdog_busy (&w, monotonic_ms ());
  assert_int_equal (run_child (prog, &took), 126);

  /* Writes it reads are handed back to the event loop.  */
  fd = open (data, O_WRONLY | O_CLOEXEC);
  assert_true (fd >= 0);
  assert_int_equal (write (fd, "x", 1), 1);
  close (fd);
  usleep (600 * 1000);
  watchdog_take_writes (&w, fan, &writes, &n);
  assert_int_equal (n, 1);
  assert_int_equal (stat (data, &st), 0);
  assert_int_equal (writes[0].ino, st.st_ino);
  free (writes);
  assert_true (atomic_load (&w.answered) >= 2);

  /* While the loop is idle the watchdog leaves events alone.  */
  watchdog_idle (&w);
  watchdog_remove (&w, fan);
  watchdog_stop (&w);
  close (fan);
  remove_tree (dir);
  free (dir);
  free (prog);
  free (data);
  free (cmd);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (answers_when_stuck),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
