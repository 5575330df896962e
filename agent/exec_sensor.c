#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/exec_sensor.h"
#include "common/resolve.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "seccomp/target_mem.h"

#define X32_SYSCALL_BIT 0x40000000
#define REPEAT_WINDOW_MS 2000

struct exec_request
{
  bool is_execveat;
  unsigned ptr_size;
  int dirfd;                /* AT_FDCWD for execve */
  uint64_t path_addr;
  uint64_t argv_addr;
  int flags;                /* execveat flags */
  char path[PATH_MAX];
  char argv0[NAME_MAX + 1];
};

int
exec_syscalls_init (struct exec_syscalls *nrs, vigil_error_t *err)
{
  static const struct
  {
    uint32_t arch;
    unsigned ptr_size;
  } arches[] = {
#if defined(__x86_64__)
    { SCMP_ARCH_X86_64, 8 }, { SCMP_ARCH_X86, 4 }, { SCMP_ARCH_X32, 4 },
#elif defined(__aarch64__)
    { SCMP_ARCH_AARCH64, 8 }, { SCMP_ARCH_ARM, 4 },
#endif
    { 0, 0 },
  };
  unsigned i;

  memset (nrs, 0, sizeof (*nrs));
  for (i = 0; arches[i].arch != 0 && nrs->n < 4; i++)
    {
      int e = seccomp_syscall_resolve_name_arch (arches[i].arch, "execve");
      int ea = seccomp_syscall_resolve_name_arch (arches[i].arch, "execveat");
      if (e < 0)
        continue;
      nrs->table[nrs->n].arch = arches[i].arch;
      nrs->table[nrs->n].execve = e;
      nrs->table[nrs->n].execveat = ea;
      nrs->table[nrs->n].ptr_size = arches[i].ptr_size;
      nrs->n++;
    }
  if (nrs->n == 0)
    {
      int e = seccomp_syscall_resolve_name ("execve");
      int ea = seccomp_syscall_resolve_name ("execveat");
      if (e < 0)
        return vigil_error_set (err, 0, "libseccomp does not know execve on this architecture");
      nrs->table[0].arch = seccomp_arch_native ();
      nrs->table[0].execve = e;
      nrs->table[0].execveat = ea;
      nrs->table[0].ptr_size = sizeof (void *);
      nrs->n = 1;
    }
  return 0;
}

/* Decode which exec call req is.  x32 shares AUDIT_ARCH_X86_64 and marks
   its numbers with X32_SYSCALL_BIT.  */
static int
decode_request (const struct exec_syscalls *nrs, const struct seccomp_notif *req, struct exec_request *er)
{
  unsigned i;
  int nr = req->data.nr;

  memset (er, 0, sizeof (*er));
  for (i = 0; i < nrs->n; i++)
    {
      uint32_t arch = nrs->table[i].arch;
      if (arch == SCMP_ARCH_X32)
        arch = AUDIT_ARCH_X86_64;
      if (req->data.arch != arch)
        continue;
      if (nrs->table[i].arch == SCMP_ARCH_X32 && !(nr & X32_SYSCALL_BIT))
        continue;
      if (nrs->table[i].arch == SCMP_ARCH_X86_64 && (nr & X32_SYSCALL_BIT))
        continue;
      if (nr == nrs->table[i].execve || (nr | X32_SYSCALL_BIT) == nrs->table[i].execve)
        er->is_execveat = false;
      else if (nr == nrs->table[i].execveat || (nr | X32_SYSCALL_BIT) == nrs->table[i].execveat)
        er->is_execveat = true;
      else
        continue;
      er->ptr_size = nrs->table[i].ptr_size;
      if (er->is_execveat)
        {
          er->dirfd = (int) (int32_t) req->data.args[0];
          er->path_addr = req->data.args[1];
          er->argv_addr = req->data.args[2];
          er->flags = (int) req->data.args[4];
        }
      else
        {
          er->dirfd = AT_FDCWD;
          er->path_addr = req->data.args[0];
          er->argv_addr = req->data.args[1];
        }
      return 0;
    }
  return -ENOSYS;
}

static void
read_argv0 (pid_t pid, struct exec_request *er)
{
  uint64_t p = 0;
  ssize_t n;

  if (er->argv_addr == 0 || target_read_pointer (pid, er->argv_addr, er->ptr_size, &p) < 0 || p == 0)
    return;
  n = target_read_string (pid, p, er->argv0, sizeof (er->argv0));
  if (n < 0)
    er->argv0[0] = '\0';
}

/* The directory a relative path starts from, as an in-container path, and
   its identity, for resolve_in_root to check against.  */
static int
start_directory (int procfd, const struct exec_request *er, char *buf, size_t size, struct stat *st)
{
  char name[32];
  ssize_t n;

  if (er->dirfd == AT_FDCWD)
    snprintf (name, sizeof (name), "cwd");
  else if (er->dirfd >= 0)
    snprintf (name, sizeof (name), "fd/%d", er->dirfd);
  else
    return -EBADF;
  n = readlinkat (procfd, name, buf, size - 1);
  if (n < 0)
    return -errno;
  buf[n] = '\0';
  if (fstatat (procfd, name, st, 0) < 0)
    return -errno;
  return 0;
}

/* Name a multi-call binary (busybox) that started itself again through
   /proc/self/exe by argv[0], like the symlink an exec by name would have
   used.  The name is taken only if a file of that name beside the binary
   or in a standard directory is the same file.  */
static void
name_reexec (const struct resolve_root *root, const struct exec_request *er, struct resolved_path *rp)
{
  static const char *const dirs[] = { NULL, "/bin", "/usr/bin", "/sbin", "/usr/sbin" };
  char exe_dir[PATH_MAX], candidate[PATH_MAX];
  const char *base;
  size_t i;

  if (er->argv0[0] == '\0')
    return;
  base = strrchr (er->argv0, '/') ? strrchr (er->argv0, '/') + 1 : er->argv0;
  if (base[0] == '\0' || strcmp (base, ".") == 0 || strcmp (base, "..") == 0)
    return;
  snprintf (exe_dir, sizeof (exe_dir), "%s", rp->target);
  *strrchr (exe_dir, '/') = '\0';

  for (i = 0; i < sizeof (dirs) / sizeof (dirs[0]); i++)
    {
      struct resolved_path alt;
      const char *dir = dirs[i] ? dirs[i] : exe_dir;

      if (snprintf (candidate, sizeof (candidate), "%s/%s", dir, base) >= (int) sizeof (candidate))
        continue;
      if (resolve_in_root (root, NULL, 0, 0, candidate, &alt) == 0 && alt.dev == rp->dev
          && alt.ino == rp->ino)
        {
          memcpy (rp->name, alt.name, sizeof (rp->name));
          return;
        }
    }
}

/* Whether the same process tried the same executable moments ago.  A
   shell retries a denied command along $PATH (busybox first through
   /proc/self/exe, then by path), which is one event for the operator.  */
static bool
repeated_attempt (struct agent_notifier *n, pid_t pid, const char *executable)
{
  uint64_t now = agent_now_ms ();
  bool repeated = n->last_denied_pid == pid && now - n->last_denied_ms < REPEAT_WINDOW_MS
                  && strcmp (n->last_denied, executable) == 0;

  n->last_denied_pid = pid;
  n->last_denied_ms = now;
  snprintf (n->last_denied, sizeof (n->last_denied), "%s", executable);
  if (repeated)
    n->repeats_suppressed++;
  return repeated;
}

static void
raise_alert (struct agent *a, struct agent_notifier *n, const struct seccomp_notif *req,
             const char *executable, const char *argv0, const char *reason, const char *action)
{
  struct model *m = n->container->model;

  if (repeated_attempt (n, (pid_t) req->pid, executable))
    {
      log_debug ("container `%s`: repeated attempt of `%s` by pid %d denied without a new alert",
                 n->container->id, executable, (int) req->pid);
      return;
    }

  struct alert al = {
    .container_id = n->container->id,
    .container_name = n->container->name,
    .image = m->image,
    .image_name = m->image_name,
    .cluster = m->cluster,
    .namespace = m->namespace,
    .deployment = m->deployment,
    .model_key = m->key,
    .mode = model_mode_name (m->mode),
    .sensor = "process",
    .executable = executable,
    .argv0 = argv0[0] ? argv0 : NULL,
    .pid = (int) req->pid,
    .reason = reason,
    .action = action,
  };

  alerts_write (&a->alerts, &al);
}

static void
respond (struct agent *a, struct agent_notifier *n, uint64_t id, int errnum)
{
  int ret;

  if (errnum == 0)
    ret = notify_respond_continue (n->w.fd, a->resp, a->sizes.resp, id);
  else
    ret = notify_respond_error (n->w.fd, a->resp, a->sizes.resp, id, errnum);
  if (ret < 0)
    log_error ("respond to notification %llu of container `%s`: %s", (unsigned long long) id,
               n->container->id, strerror (-ret));
}

/* Read the request and resolve what it executes.  Returns 0 with rp
   filled, or a negative errno of resolve_in_root, or -ESRCH when the
   target went away.  */
static int
inspect (struct agent *a, struct agent_notifier *n, const struct seccomp_notif *req,
         struct exec_request *er, struct resolved_path *rp)
{
  cleanup_close int procfd = -1;
  cleanup_close int rootfd = -1;
  char proc_path[32], start[PATH_MAX];
  struct stat start_st = { 0 };
  struct resolve_root root;
  ssize_t len;
  int ret;

  /* An fd on /proc/PID stays bound to this process even if the pid is
     reused, so once the id is known to be valid below, everything opened
     through procfd belongs to the notifying process.  */
  snprintf (proc_path, sizeof (proc_path), "/proc/%d", (int) req->pid);
  procfd = open (proc_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (procfd < 0)
    return -ESRCH;

  len = target_read_string (req->pid, er->path_addr, er->path, sizeof (er->path));
  read_argv0 (req->pid, er);
  if (!notify_id_valid (n->w.fd, req->id))
    return -ESRCH;
  if (len < 0)
    return (int) len;

  rootfd = openat (procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return -ESRCH;
  root.rootfd = rootfd;
  root.procfd = procfd;

  if (er->is_execveat && er->path[0] == '\0' && (er->flags & AT_EMPTY_PATH))
    {
      /* fexecve: the file is the descriptor itself.  */
      if (er->dirfd < 0)
        return -EBADF;
      snprintf (er->path, sizeof (er->path), "/proc/self/fd/%d", er->dirfd);
    }

  if (er->path[0] != '/')
    {
      ret = start_directory (procfd, er, start, sizeof (start), &start_st);
      if (ret < 0)
        return ret == -ENOENT ? -ESTALE : ret;
    }
  ret = resolve_in_root (&root, start, start_st.st_dev, start_st.st_ino, er->path, rp);
  if (ret == 0 && rp->via_proc_exe)
    name_reexec (&root, er, rp);
  return ret;
}

static void
learn (struct model *m, const char *path)
{
  int added = model_add_exec (m, path, "learned", (int64_t) time (NULL));

  if (added > 0)
    log_info ("model `%s`: learned executable `%s`", m->key, path);
  else if (added < 0)
    log_error ("model `%s`: cannot add `%s`: out of memory", m->key, path);
}

void
exec_sensor_handle (struct agent *a, struct agent_notifier *n, const struct seccomp_notif *req)
{
  struct model *m = n->container->model;
  struct exec_request er;
  struct resolved_path rp;
  char reason[PATH_MAX + 64];
  int ret;

  if (decode_request (&a->exec_nrs, req, &er) < 0)
    {
      /* Only the watched syscalls notify; anything else means the profile
         was changed behind our back.  Let the kernel decide.  */
      log_warning ("container `%s`: unexpected notification for syscall %d (arch 0x%x)",
                   n->container->id, req->data.nr, req->data.arch);
      respond (a, n, req->id, 0);
      return;
    }

  ret = inspect (a, n, req, &er, &rp);
  if (ret == -ESRCH)
    return; /* the target is gone; nothing waits for a response */

  if (ret < 0 && resolve_error_is_kernel_equivalent (ret))
    {
      /* The kernel's own lookup fails the same way; let it report that.  */
      respond (a, n, req->id, 0);
      return;
    }

  if (ret < 0)
    {
      snprintf (reason, sizeof (reason), "path could not be resolved in the container: %s",
                strerror (-ret));
      if (m->mode == MODEL_ACTIVE && !lifecycle_in_dry_run (m, &a->lifecycle))
        {
          raise_alert (a, n, req, er.path, er.argv0, reason, "denied");
          respond (a, n, req->id, a->cfg->deny_errno);
        }
      else
        {
          log_info ("container `%s`: exec of `%s` not learned: %s", n->container->id, er.path, reason);
          respond (a, n, req->id, 0);
        }
      return;
    }

  if (model_has_exec (m, rp.name))
    {
      respond (a, n, req->id, 0);
      return;
    }

  switch (lifecycle_anomaly (m, &a->lifecycle))
    {
    case ANOMALY_RELEARN:
      log_warning ("model `%s`: `%s` in container `%s` is outside the model during the dry run; "
                   "learning again for %llu s",
                   m->key, rp.name, n->container->id,
                   (unsigned long long) (a->lifecycle.relearn_ms / 1000));
      learn (m, rp.name);
      respond (a, n, req->id, 0);
      return;
    case ANOMALY_LEARN:
      learn (m, rp.name);
      respond (a, n, req->id, 0);
      return;
    case ANOMALY_ENFORCE:
      break;
    }

  snprintf (reason, sizeof (reason), "executable not in the model (resolves to `%s`)", rp.target);
  raise_alert (a, n, req, rp.name, er.argv0, reason, "denied");
  respond (a, n, req->id, a->cfg->deny_errno);
}
