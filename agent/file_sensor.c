#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/exec_policy.h"
#include "agent/fanotify_events.h"
#include "agent/file_sensor.h"
#include "agent/malware.h"
#include "common/cleanup.h"
#include "common/log.h"

#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif

#define FAN_MASK (FAN_OPEN_EXEC_PERM | FAN_CLOSE_WRITE)

/* Mounts whose files are never executables or container data.  */
static const char *const skipped_fstypes[] = {
  "proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "securityfs", "debugfs",
  "tracefs", "bpf", "pstore", "configfs", "fusectl", "binfmt_misc", "autofs", NULL,
};

bool
file_sensor_probe (void)
{
  int fd = fanotify_init (FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_TID,
                          O_RDONLY | O_LARGEFILE | O_CLOEXEC);

  if (fd < 0)
    {
      log_warning ("fanotify permission groups are not available (%s): execs are checked on the "
                   "path a process passes, which another thread of it can change after the check",
                   strerror (errno));
      return false;
    }
  close (fd);
  log_info ("exec enforcement: fanotify FAN_OPEN_EXEC_PERM on the file the kernel opens, with "
            "seccomp notifications for context");
  return true;
}

/* Undo mountinfo's octal escapes (\040 for a space) in place.  */
static void
unescape (char *s)
{
  char *out = s;

  for (; *s != '\0'; s++)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0'
          && s[3] <= '7')
        {
          *out++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
          s += 3;
        }
      else
        *out++ = *s;
    }
  *out = '\0';
}

static bool
skipped (const char *fstype)
{
  size_t i;

  for (i = 0; skipped_fstypes[i] != NULL; i++)
    if (strcmp (fstype, skipped_fstypes[i]) == 0)
      return true;
  return false;
}

/* Mark every mount visible to the process pid, through /proc/PID/root, which
   reaches mounts of its mount namespace.  Returns the number marked, and
   sets *root_blind when the root mount cannot produce events.  */
static int
mark_mounts (int fan, pid_t pid, const char *container_id, bool *root_blind)
{
  cleanup_free char *line = NULL;
  cleanup_file FILE *f = NULL;
  char path[64];
  size_t cap = 0;
  int marked = 0;

  *root_blind = true;
  snprintf (path, sizeof (path), "/proc/%d/mountinfo", (int) pid);
  f = fopen (path, "re");
  if (f == NULL)
    return -errno;

  while (getline (&line, &cap, f) > 0)
    {
      char mount_point[PATH_MAX], fstype[64], target[PATH_MAX + 32];
      char *sep = strstr (line, " - ");
      bool is_root;

      if (sep == NULL || sscanf (line, "%*s %*s %*s %*s %4095s", mount_point) != 1
          || sscanf (sep + 3, "%63s", fstype) != 1)
        continue;
      unescape (mount_point);
      is_root = strcmp (mount_point, "/") == 0;
      if (skipped (fstype))
        continue;
      if (strncmp (fstype, "fuse", 4) == 0)
        {
          log_warning ("container `%s`: `%s` is a %s mount; fanotify sees no access through it, so "
                       "execs from it are checked on the seccomp path only",
                       container_id, mount_point, fstype);
          continue;
        }
      snprintf (target, sizeof (target), "/proc/%d/root%s", (int) pid, mount_point);
      if (fanotify_mark (fan, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_MASK, AT_FDCWD, target) < 0)
        {
          log_warning ("container `%s`: cannot watch mount `%s` (%s): %s", container_id, mount_point,
                       fstype, strerror (errno));
          continue;
        }
      marked++;
      if (is_root)
        *root_blind = false;
    }
  return marked;
}

int
file_sensor_attach (struct agent *a, struct agent_container *c, pid_t pid, vigil_error_t *err)
{
  struct epoll_event ev = { .events = EPOLLIN };
  cleanup_close int fan = -1;
  bool root_blind;
  int marked;

  c->fanotify.kind = WATCH_FANOTIFY;
  c->fanotify.fd = -1;
  if (!a->fanotify_supported || pid <= 0)
    return 0;

  fan = fanotify_init (FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_TID,
                       O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  if (fan < 0)
    return vigil_error_set (err, errno, "fanotify_init for container `%s`", c->id);
  marked = mark_mounts (fan, pid, c->id, &root_blind);
  if (marked < 0)
    return vigil_error_set (err, -marked, "read the mounts of container `%s`", c->id);
  if (root_blind)
    {
      struct alert al;

      exec_policy_alert_init (&al, c);
      al.sensor = "file";
      al.reason = "root file system not visible to fanotify (FUSE or not markable): exec decisions "
                  "rest on the seccomp path alone, and written files are not tracked";
      al.action = "alerted";
      c->fanotify_blind = true;
      alerts_write (&a->alerts, &al);
    }

  ev.data.ptr = &c->fanotify;
  c->fanotify.fd = fan;
  if (epoll_ctl (a->epfd, EPOLL_CTL_ADD, fan, &ev) < 0)
    {
      c->fanotify.fd = -1;
      return vigil_error_set (err, errno, "watch fanotify group of container `%s`", c->id);
    }
  watchdog_add (&a->watchdog, fan, c->id, c->model->mode == MODEL_ACTIVE);
  take_fd (&fan);
  log_info ("container `%s`: fanotify watches %d mounts", c->id, marked);
  return 0;
}

void
file_sensor_detach (struct agent *a, struct agent_container *c)
{
  if (c->fanotify.fd < 0)
    return;
  watchdog_remove (&a->watchdog, c->fanotify.fd);
  epoll_ctl (a->epfd, EPOLL_CTL_DEL, c->fanotify.fd, NULL);
  close (c->fanotify.fd);
  c->fanotify.fd = -1;
}

/* The path of the opened file, in the container's view, and its
   identity.  */
static int
describe (int fd, char *path, size_t size, struct stat *st)
{
  char link[64];
  ssize_t n;

  if (fstat (fd, st) < 0)
    return -errno;
  snprintf (link, sizeof (link), "/proc/self/fd/%d", fd);
  n = readlink (link, path, size - 1);
  if (n < 0)
    return -errno;
  path[n] = '\0';
  return 0;
}

static bool
decide_exec_open (struct agent *a, struct agent_container *c, const struct fan_event *ev)
{
  struct exec_pending *pending = exec_pending_get (&a->pending, ev->pid);
  struct exec_subject s = { .argv0 = "", .pid = ev->pid, .file_level = true };
  const struct hash_entry *hit;
  char path[PATH_MAX], reason[PATH_MAX + 512], matched[65];
  struct stat st;
  bool first, allow;

  if (describe (ev->fd, path, sizeof (path), &st) < 0)
    return c->model->mode != MODEL_ACTIVE;
  s.name = path;
  s.target = path;
  s.has_stat = true;
  s.size = st.st_size;
  s.mtime_ns = (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
  first = pending != NULL && pending->opens++ == 0;

  /* Known malware is refused in every mode, whatever was decided before.  */
  hit = malware_check (a, ev->fd, &st, matched);
  if (hit != NULL)
    {
      malware_reason (a, hit, matched, "executable", reason, sizeof (reason));
      return exec_policy_threat (a, c, &s, reason, true);
    }
  /* A threat the seccomp path alerted and let run: no second alert.  */
  if (first && pending->threat_reported)
    return true;
  if (exec_policy_blocked (a, c, &s, &allow))
    return allow;
  if (st.st_nlink == 0 || strncmp (path, "/memfd:", 7) == 0)
    return exec_policy_threat (a, c, &s, "fileless execution: the file has no path (memfd or "
                                         "deleted)",
                               false);
  if (inode_set_contains (&c->written, st.st_dev, st.st_ino) && !exec_policy_may_run_written (c, path))
    return exec_policy_threat (a, c, &s, "modified binary: written after the container started", false);

  /* The file the seccomp check resolved: decided there already.  */
  if (first && pending->has_file && pending->dev == st.st_dev && pending->ino == st.st_ino)
    return true;

  /* An interpreter (script or ELF) after the file, a file that replaced
     the checked one, or an exec the seccomp path did not see: decide on
     the file itself.  */
  if (first && pending->has_file)
    log_warning ("container `%s`: pid %d opened `%s` for exec, not the file that was checked", c->id,
                 (int) ev->pid, path);
  return exec_policy_decide (a, c, &s);
}

/* Whether a written file could be run as it is: executable bits, or the
   start of an ELF file or a script.  Only these are hashed when written,
   so data files (logs, databases) stay off the hashing path.  A file made
   executable later changes its ctime, so its exec hashes it.  */
static bool
may_run (int fd, const struct stat *st)
{
  unsigned char magic[4];
  ssize_t n;

  if (st->st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))
    return true;
  n = pread (fd, magic, sizeof (magic), 0);
  return (n == 4 && memcmp (magic, "\x7f" "ELF", 4) == 0) || (n >= 2 && magic[0] == '#' && magic[1] == '!');
}

static void
record_write (struct agent *a, struct agent_container *c, const struct fan_event *ev)
{
  struct model *m = c->model;
  const struct hash_entry *hit;
  char path[PATH_MAX], dir[PATH_MAX], reason[PATH_MAX + 512], matched[65];
  struct stat st;

  if (describe (ev->fd, path, sizeof (path), &st) < 0 || !S_ISREG (st.st_mode))
    return;
  if (inode_set_add (&c->written, st.st_dev, st.st_ino) < 0)
    log_error ("container `%s`: cannot track written file `%s`: out of memory", c->id, path);

  /* Malware written into the container.  The write is done, so only the
   alert (or the block effect) can follow now; an exec of the file is
   refused.  */
  hit = may_run (ev->fd, &st) ? malware_check (a, ev->fd, &st, matched) : NULL;
  if (hit != NULL)
    {
      const char *action = "alerted";
      struct alert al;

      if (enforce_effect (a, c, RULE_FILES) == EFFECT_BLOCK)
        enforce_apply (a, c, EFFECT_BLOCK, &action);
      malware_reason (a, hit, matched, "file written", reason, sizeof (reason));
      exec_policy_file_alert_init (&al, c, ev->pid, path, reason, action);
      policy_alert_write (a, c, &al, path);
    }

  if (m->mode == MODEL_LEARNING)
    {
      snprintf (dir, sizeof (dir), "%s", path);
      if (model_add_dir (m, dirname (dir), "learned", (int64_t) time (NULL)) > 0)
        log_info ("model `%s`: learned written directory `%s`", m->key, dir);
    }

  /* The seccomp path denies the writes it is notified of; one that got
     past it (a path swapped after the check) shows here.  */
  if (model_has_exec_file (m, path) && m->mode == MODEL_ACTIVE)
    {
      struct alert al;

      exec_policy_file_alert_init (&al, c, ev->pid, path, "binary of the model written", "alerted");
      alerts_write (&a->alerts, &al);
    }
}

struct batch
{
  struct agent *a;
  struct agent_container *c;
};

static void
handle_event (void *data, const struct fan_event *ev)
{
  struct batch *b = data;

  b->a->metrics.fanotify_events++;
  if (ev->mask & FAN_Q_OVERFLOW)
    log_warning ("container `%s`: fanotify queue overflowed; written files were missed", b->c->id);
  if (ev->fd < 0)
    return;
  if (ev->mask & FAN_OPEN_EXEC_PERM)
    {
      struct fanotify_response r = { .fd = ev->fd };
      r.response = decide_exec_open (b->a, b->c, ev) ? FAN_ALLOW : FAN_DENY;
      if (write (b->c->fanotify.fd, &r, sizeof (r)) != sizeof (r))
        log_error ("container `%s`: respond to fanotify event: %s", b->c->id, strerror (errno));
    }
  if (ev->mask & FAN_CLOSE_WRITE)
    record_write (b->a, b->c, ev);
  close (ev->fd);
}

void
file_sensor_take_watchdog_writes (struct agent *a, struct agent_container *c)
{
  struct watchdog_write *writes;
  size_t n_writes, i;

  watchdog_take_writes (&a->watchdog, c->fanotify.fd, &writes, &n_writes);
  for (i = 0; i < n_writes; i++)
    inode_set_add (&c->written, writes[i].dev, writes[i].ino);
  free (writes);
}

/* More than one event of this group takes: its metadata, with no
   information records (the group reports file descriptors, not file
   handles).  */
#define FAN_EVENT_ROOM 256

void
file_sensor_ready (struct agent *a, struct agent_container *c)
{
  unsigned char buf[8192] __attribute__ ((aligned (__alignof__ (struct fanotify_event_metadata))));
  struct batch b = { .a = a, .c = c };

  file_sensor_take_watchdog_writes (a, c);

  for (;;)
    {
      ssize_t n = read (c->fanotify.fd, buf, sizeof (buf));

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return;
      if (n <= 0)
        {
          log_error ("container `%s`: read fanotify events: %s", c->id,
                     n < 0 ? strerror (errno) : "end of file");
          file_sensor_detach (a, c);
          return;
        }
      if (fanotify_decode (buf, (size_t) n, handle_event, &b) < 0)
        {
          /* The records after a malformed one cannot be trusted, not even
             their fds.  Closing the group makes the kernel allow every
             event still pending, so no process stays blocked.  */
          log_error ("container `%s`: malformed fanotify record (metadata version %d expected); "
                     "closing its group, execs are checked on the seccomp path only",
                     c->id, FANOTIFY_METADATA_VERSION);
          file_sensor_detach (a, c);
          c->fanotify_blind = true;
          return;
        }
      /* A read returns every queued event that fits.  With room for more
         left over, the queue was empty, and another read would only fail
         with EAGAIN.  */
      if ((size_t) n + FAN_EVENT_ROOM <= sizeof (buf))
        return;
    }
}
