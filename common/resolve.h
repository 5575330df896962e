/* Path resolution inside a container's root, done by the agent on the
   host.  The walk opens one component at a time below the container's
   root directory with O_NOFOLLOW and interprets symlinks itself, so that
   ".." and absolute links stay inside the container and no container
   symlink is ever followed on the host.  */
#ifndef VIGIL_RESOLVE_H
#define VIGIL_RESOLVE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct resolve_root
{
  int rootfd;   /* the process's root directory (/proc/PID/root), O_PATH */
  int procfd;   /* /proc/PID on the host, for the process's own /proc/self
                   links; -1 when there is no process */
};

struct resolved_path
{
  /* Canonical path in the container.  When the last component of the
     request is a symlink it is kept, not followed: /bin/ls stays /bin/ls
     even when it points to busybox, because a multi-call binary is named
     by the link it was started through.  */
  char name[PATH_MAX];
  char target[PATH_MAX]; /* every symlink followed */
  dev_t dev;             /* of target */
  ino_t ino;
  off_t size;            /* of target, with mtime_ns its fingerprint */
  int64_t mtime_ns;
  struct timespec ctime; /* of target: the hash cache's key with dev, ino, size */
  bool via_proc_exe;     /* reached through /proc/self/exe */
  bool via_magic_link;   /* reached through a /proc/self link */
};

/* Resolve path as the process would: an absolute path from its root, a
   relative one from start (an in-container directory path whose dev and
   inode must be start_dev and start_ino, else -ESTALE).  Returns 0 or a
   negative errno: -ENOENT, -ENOTDIR, -ELOOP, -ENAMETOOLONG and -EACCES
   (the path names a directory, whose canonical path is then in
   out->target) are what the kernel's own lookup would
   return; -EXDEV means a /proc path this resolver does not interpret;
   -ESTALE means a link or directory changed meanwhile.  */
int resolve_in_root (const struct resolve_root *root, const char *start, dev_t start_dev,
                     ino_t start_ino, const char *path, struct resolved_path *out);

/* Whether an error of resolve_in_root is one the kernel's exec would
   return for the same path, so that letting the syscall continue changes
   nothing.  */
bool resolve_error_is_kernel_equivalent (int negative_errno);

/* Whether path is one of the comma-separated prefixes, or below one that
   names a directory ("/usr/bin" matches "/usr/bin/ls", not "/usr/binx").  */
bool path_has_prefix_in (const char *path, const char *prefixes);

#endif
