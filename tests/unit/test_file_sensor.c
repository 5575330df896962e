/* fanotify record decoding, the written-file set behind drift detection,
   the pending-exec table and protected path prefixes.  */
#include "config.h"

#include <errno.h>
#include <linux/fanotify.h>

#include "tests/unit/unit.h"

#include "agent/exec_pending.h"
#include "agent/fanotify_events.h"
#include "common/resolve.h"
#include "policy/inode_set.h"

struct seen
{
  struct fan_event events[8];
  int n;
};

static void
collect (void *data, const struct fan_event *ev)
{
  struct seen *s = data;

  if (s->n < 8)
    s->events[s->n++] = *ev;
}

static size_t
put_record (unsigned char *buf, size_t off, uint64_t mask, int fd, pid_t pid, uint32_t len, uint8_t vers)
{
  struct fanotify_event_metadata md = {
    .event_len = len, .vers = vers, .metadata_len = sizeof (md), .mask = mask, .fd = fd, .pid = pid,
  };

  memcpy (buf + off, &md, sizeof (md));
  return off + len;
}

static void
decode_records (void **state)
{
  unsigned char buf[256] = { 0 };
  struct seen s = { .n = 0 };
  size_t len = 0;

  (void) state;
  len = put_record (buf, len, FAN_OPEN_EXEC_PERM, 7, 100, sizeof (struct fanotify_event_metadata),
                    FANOTIFY_METADATA_VERSION);
  /* A record may be longer than the metadata (information records).  */
  len = put_record (buf, len, FAN_CLOSE_WRITE, 8, 101, sizeof (struct fanotify_event_metadata) + 16,
                    FANOTIFY_METADATA_VERSION);
  len = put_record (buf, len, FAN_Q_OVERFLOW, FAN_NOFD, 0, sizeof (struct fanotify_event_metadata),
                    FANOTIFY_METADATA_VERSION);
  assert_int_equal (fanotify_decode (buf, len, collect, &s), 3);
  assert_int_equal (s.n, 3);
  assert_int_equal (s.events[0].mask, FAN_OPEN_EXEC_PERM);
  assert_int_equal (s.events[0].fd, 7);
  assert_int_equal (s.events[0].pid, 100);
  assert_int_equal (s.events[1].mask, FAN_CLOSE_WRITE);
  assert_int_equal (s.events[1].fd, 8);
  assert_int_equal (s.events[2].fd, FAN_NOFD);
}

static void
decode_malformed (void **state)
{
  unsigned char buf[256] = { 0 };
  struct seen s = { .n = 0 };
  size_t len;

  (void) state;
  /* Truncated after the first record: the first is still handed on.  */
  len = put_record (buf, 0, FAN_OPEN_EXEC_PERM, 7, 100, sizeof (struct fanotify_event_metadata),
                    FANOTIFY_METADATA_VERSION);
  assert_int_equal (fanotify_decode (buf, len + 10, collect, &s), -EPROTO);
  assert_int_equal (s.n, 1);

  s.n = 0;
  len = put_record (buf, 0, FAN_OPEN_EXEC_PERM, 7, 100, sizeof (struct fanotify_event_metadata),
                    FANOTIFY_METADATA_VERSION + 1);
  assert_int_equal (fanotify_decode (buf, len, collect, &s), -EPROTO);
  assert_int_equal (s.n, 0);

  /* A length below the metadata, and one past the buffer.  */
  len = put_record (buf, 0, FAN_OPEN_EXEC_PERM, 7, 100, 8, FANOTIFY_METADATA_VERSION);
  assert_int_equal (fanotify_decode (buf, sizeof (struct fanotify_event_metadata), collect, &s), -EPROTO);
  put_record (buf, 0, FAN_OPEN_EXEC_PERM, 7, 100, 200, FANOTIFY_METADATA_VERSION);
  assert_int_equal (fanotify_decode (buf, sizeof (struct fanotify_event_metadata), collect, &s), -EPROTO);
  assert_int_equal (s.n, 0);
  assert_int_equal (fanotify_decode (buf, 0, collect, &s), 0);
}

/* The files written since start, across growth of the table.  */
static void
written_files (void **state)
{
  struct inode_set set = { 0 };
  ino_t i;

  (void) state;
  assert_false (inode_set_contains (&set, 1, 1));
  for (i = 1; i <= 5000; i++)
    assert_int_equal (inode_set_add (&set, 66, i * 7), 1);
  assert_int_equal (inode_set_add (&set, 66, 7), 0);
  assert_int_equal (set.count, 5000);
  for (i = 1; i <= 5000; i++)
    assert_true (inode_set_contains (&set, 66, i * 7));
  /* Same inode number on another device, and numbers never added.  */
  assert_false (inode_set_contains (&set, 67, 7));
  assert_false (inode_set_contains (&set, 66, 8));
  inode_set_free (&set);
  assert_false (inode_set_contains (&set, 66, 7));
}

static void
pending_execs (void **state)
{
  static struct exec_pending_table t;
  struct exec_pending *p;
  int i;

  (void) state;
  memset (&t, 0, sizeof (t));
  exec_pending_put (&t, 10, true, 1, 100, false, 1000);
  exec_pending_put (&t, 11, false, 0, 0, true, 1001);
  p = exec_pending_get (&t, 10);
  assert_non_null (p);
  assert_int_equal (p->ino, 100);
  assert_int_equal (p->opens, 0);

  /* A new exec of the same thread replaces its record.  */
  p->opens = 2;
  exec_pending_put (&t, 10, true, 1, 200, false, 1002);
  p = exec_pending_get (&t, 10);
  assert_int_equal (p->ino, 200);
  assert_int_equal (p->opens, 0);
  assert_true (exec_pending_get (&t, 11)->threat_reported);

  exec_pending_expire (&t, 1000 + 5000, 4000);
  assert_null (exec_pending_get (&t, 10));
  assert_null (exec_pending_get (&t, 11));

  /* A full table drops its oldest record.  */
  for (i = 0; i < EXEC_PENDING_MAX + 1; i++)
    exec_pending_put (&t, 100 + i, true, 1, (ino_t) i, false, 2000 + (uint64_t) i);
  assert_null (exec_pending_get (&t, 100));
  assert_non_null (exec_pending_get (&t, 101));
  assert_non_null (exec_pending_get (&t, 100 + EXEC_PENDING_MAX));
}

static void
protected_prefixes (void **state)
{
  (void) state;
  assert_true (path_has_prefix_in ("/etc/passwd", "/etc/passwd,/etc/shadow"));
  assert_true (path_has_prefix_in ("/etc/shadow", "/etc/passwd,/etc/shadow"));
  assert_false (path_has_prefix_in ("/etc/passwd-", "/etc/passwd,/etc/shadow"));
  assert_true (path_has_prefix_in ("/usr/bin/ls", "/usr/bin/"));
  assert_true (path_has_prefix_in ("/usr/bin", "/usr/bin"));
  assert_false (path_has_prefix_in ("/usr/binx/ls", "/usr/bin"));
  assert_false (path_has_prefix_in ("/tmp/x", ""));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (decode_records),
    cmocka_unit_test (decode_malformed),
    cmocka_unit_test (written_files),
    cmocka_unit_test (pending_execs),
    cmocka_unit_test (protected_prefixes),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
