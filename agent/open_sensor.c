#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/exec_policy.h"
#include "agent/open_sensor.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/resolve.h"
#include "seccomp/target_mem.h"

#define WRITE_FLAGS (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)

struct open_request
{
  int dirfd;
  uint64_t path_addr;
  uint64_t flags;
};

static int
decode (const struct exec_syscalls *nrs, const struct seccomp_notif *req, struct open_request *o)
{
  int i = exec_syscalls_match (nrs, req);
  int nr = req->data.nr;

  if (i < 0)
    return -1;
  o->dirfd = AT_FDCWD;
  if (exec_syscalls_is (nr, nrs->table[i].open))
    {
      o->path_addr = req->data.args[0];
      o->flags = req->data.args[1];
    }
  else if (exec_syscalls_is (nr, nrs->table[i].openat))
    {
      o->dirfd = (int) (int32_t) req->data.args[0];
      o->path_addr = req->data.args[1];
      o->flags = req->data.args[2];
    }
  else if (exec_syscalls_is (nr, nrs->table[i].creat))
    {
      o->path_addr = req->data.args[0];
      o->flags = O_CREAT | O_WRONLY | O_TRUNC;
    }
  else if (exec_syscalls_is (nr, nrs->table[i].openat2))
    {
      struct open_how how = { 0 };
      ssize_t n = -1;

      o->dirfd = (int) (int32_t) req->data.args[0];
      o->path_addr = req->data.args[1];
      /* The flags are the first field of struct open_how.  */
      if (req->data.args[2] != 0)
        {
          struct iovec local = { .iov_base = &how.flags, .iov_len = sizeof (how.flags) };
          struct iovec remote = { .iov_base = (void *) (uintptr_t) req->data.args[2],
                                  .iov_len = sizeof (how.flags) };
          n = process_vm_readv ((pid_t) req->pid, &local, 1, &remote, 1, 0);
        }
      o->flags = n == (ssize_t) sizeof (how.flags) ? how.flags : WRITE_FLAGS;
    }
  else
    return -1;
  return 0;
}

bool
open_sensor_handles (const struct exec_syscalls *nrs, const struct seccomp_notif *req)
{
  struct open_request o;

  return decode (nrs, req, &o) == 0;
}

/* Resolve what the open would reach: the file, or for a file yet to be
   created, its directory joined with the name.  Returns 0 and fills out
   with an in-container path.  */
static int
resolve_open_target (const struct agent_container *c, pid_t pid, const struct open_request *o,
                     char *path, char *out, size_t size)
{
  char prefix[PATH_MAX];
  cleanup_close int procfd = -1;
  cleanup_close int rootfd = -1;
  struct resolve_root root;
  struct resolved_path rp;
  char start[PATH_MAX], link[32], joined[2 * PATH_MAX], parent[PATH_MAX], base[NAME_MAX + 1];
  ssize_t n;
  int ret;

  snprintf (link, sizeof (link), "/proc/%d", (int) pid);
  procfd = open (link, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (procfd < 0)
    return -ESRCH;
  rootfd = openat (procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return -ESRCH;
  root.rootfd = rootfd;
  root.procfd = procfd;
  if (exec_sensor_root_prefix (c, procfd, rootfd, prefix, sizeof (prefix)) < 0)
    return -ESTALE;

  if (path[0] != '/')
    {
      if (o->dirfd == AT_FDCWD)
        snprintf (link, sizeof (link), "cwd");
      else
        snprintf (link, sizeof (link), "fd/%d", o->dirfd);
      n = readlinkat (procfd, link, start, sizeof (start) - 1);
      if (n < 0 || start[0] != '/')
        return -ESTALE;
      start[n] = '\0';
      snprintf (joined, sizeof (joined), "%s/%s", start, path);
    }
  else
    snprintf (joined, sizeof (joined), "%s", path);

  ret = resolve_in_root (&root, NULL, 0, 0, joined, &rp);
  if (ret == 0)
    return snprintf (out, size, "%s", rp.target) >= (int) size ? -ENAMETOOLONG
                                                                : exec_sensor_apply_prefix (out, size, prefix);
  if (ret != -ENOENT || strlen (joined) >= sizeof (parent))
    return ret;

  /* A new file: where its directory is.  */
  snprintf (parent, sizeof (parent), "%s", joined);
  snprintf (base, sizeof (base), "%s", basename (joined));
  ret = resolve_in_root (&root, NULL, 0, 0, dirname (parent), &rp);
  if (ret != -EACCES) /* a directory ends the walk with EACCES */
    return ret == 0 ? -ENOTDIR : ret;
  /* The directory's canonical path: "..", "//" and links in the parent
     must not take a new file out from under a prefix it is checked
     against.  */
  if (strcmp (base, ".") == 0 || strcmp (base, "..") == 0)
    return -EISDIR;
  if (snprintf (out, size, "%s/%s", strcmp (rp.target, "/") == 0 ? "" : rp.target, base) >= (int) size)
    return -ENAMETOOLONG;
  return exec_sensor_apply_prefix (out, size, prefix);
}

int
open_sensor_resolve_path (const struct agent_container *c, pid_t pid, const char *path, char *out, size_t size)
{
  struct open_request o = { .dirfd = AT_FDCWD };
  char copy[PATH_MAX];

  if (snprintf (copy, sizeof (copy), "%s", path) >= (int) sizeof (copy))
    return -ENAMETOOLONG;
  return resolve_open_target (c, pid, &o, copy, out, size);
}

static void
alert_write (struct agent *a, struct agent_container *c, pid_t pid, const char *file, const char *reason,
             const char *action)
{
  struct alert al;

  exec_policy_file_alert_init (&al, c, pid, file, reason, action);
  alerts_write (&a->alerts, &al);
}

/* Act on a write with the effect of the file system section.  A denied
   write gets its response here and false is returned; for an allowed one
   the caller responds.  */
static bool
act_allows (struct agent *a, struct agent_notifier *n, const struct seccomp_notif *req, const char *file,
            const char *reason)
{
  struct agent_container *c = n->container;
  const char *action;
  bool allow = enforce_apply (a, c, enforce_effect (a, c, RULE_FILES), &action);

  if (action != NULL)
    alert_write (a, c, (pid_t) req->pid, file, reason, action);
  if (!allow)
    exec_sensor_respond (a, n, req->id, a->cfg->deny_errno);
  return allow;
}

/* NOTE: an open that passes is let through with the path the process
   holds; another thread of it can swap the path afterwards.  A binary
   written that way is still caught: the write is recorded by fanotify
   and the binary, being written after start, is denied at exec.  */
void
open_sensor_handle (struct agent *a, struct agent_notifier *n, const struct seccomp_notif *req)
{
  struct agent_container *c = n->container;
  struct model *m = c->model;
  struct open_request o;
  char path[PATH_MAX], file[PATH_MAX], what[PATH_MAX + 16], reason[PATH_MAX + 256];
  bool protected_path, binary, enforcing;
  ssize_t len;

  if (decode (&a->exec_nrs, req, &o) < 0 || !(o.flags & WRITE_FLAGS))
    {
      exec_sensor_respond (a, n, req->id, 0);
      return;
    }
  len = target_read_string ((pid_t) req->pid, o.path_addr, path, sizeof (path));
  if (!notify_id_valid (n->w.fd, req->id))
    return;
  if (len < 0 || resolve_open_target (c, (pid_t) req->pid, &o, path, file, sizeof (file)) < 0)
    {
      /* The kernel's lookup decides; fanotify still records the write.  */
      exec_sensor_respond (a, n, req->id, 0);
      return;
    }

  protected_path = a->cfg->protected_paths != NULL && path_has_prefix_in (file, a->cfg->protected_paths);
  binary = model_has_exec_file (m, file);
  enforcing = m->mode == MODEL_ACTIVE && !lifecycle_in_dry_run (m, &a->lifecycle);

  /* A rule's blocked prefixes apply in every mode; its allowed ones let
     writes to binaries through.  */
  switch (rule_file_verdict (c->rule, file))
    {
    case VERDICT_BLOCKED:
      /* A weaker effect (alert, disable) on a blocked prefix must not lift
         the other protections: only a denial ends the decision here.  */
      snprintf (what, sizeof (what), "write to `%s`", file);
      enforce_rule_reason (c, what, reason, sizeof (reason));
      if (!act_allows (a, n, req, file, reason))
        return;
      break;
    case VERDICT_ALLOWED:
      binary = false;
      break;
    case VERDICT_NONE:
      break;
    }
  if (protected_path)
    {
      alert_write (a, c, (pid_t) req->pid, file, "write to a protected path", "denied");
      exec_sensor_respond (a, n, req->id, a->cfg->deny_errno);
      return;
    }
  if (binary && enforcing && !capabilities_has (&c->caps, CAPABILITY_PACKAGE_MANAGER)
      && !act_allows (a, n, req, file, "write to a binary of the model"))
    return;
  exec_sensor_respond (a, n, req->id, 0);
}
