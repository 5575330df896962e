#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "resolve.h"

/* The kernel follows at most 40 symlinks in one lookup.  */
#define MAX_SYMLINKS 40
/* Root inode number of every procfs instance.  */
#define PROC_ROOT_INO 1

struct walk
{
  const struct resolve_root *root;
  int dirfd;                 /* the directory cur names */
  char cur[PATH_MAX];        /* canonical path of dirfd, "" for the root */
  char rest[2 * PATH_MAX];   /* components still to walk */
  int links;
  bool name_set;
  bool expect_set;           /* a /proc/self link named the expected file */
  dev_t expect_dev;
  ino_t expect_ino;
};

static int
reset_to_root (struct walk *w)
{
  int fd = openat (w->root->rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    return -errno;
  if (w->dirfd >= 0)
    close (w->dirfd);
  w->dirfd = fd;
  w->cur[0] = '\0';
  return 0;
}

/* Reopen cur from the root one component at a time; used after "..".
   Every component of cur was a directory when it was walked.  */
static int
reopen_cur (struct walk *w)
{
  char copy[PATH_MAX];
  char *comp, *save = NULL;
  int ret;

  memcpy (copy, w->cur, sizeof (copy));
  ret = reset_to_root (w);
  if (ret < 0)
    return ret;
  for (comp = strtok_r (copy, "/", &save); comp != NULL; comp = strtok_r (NULL, "/", &save))
    {
      int fd = openat (w->dirfd, comp, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0)
        return errno == ELOOP ? -ESTALE : -errno;
      close (w->dirfd);
      w->dirfd = fd;
      strcat (w->cur, "/");
      strcat (w->cur, comp);
    }
  return 0;
}

/* Put text in front of the components still to walk.  */
static int
prepend_rest (struct walk *w, const char *text)
{
  char joined[sizeof (w->rest)];
  int n = snprintf (joined, sizeof (joined), "%s/%s", text, w->rest);

  if (n < 0 || (size_t) n >= sizeof (joined))
    return -ENAMETOOLONG;
  memcpy (w->rest, joined, (size_t) n + 1);
  return 0;
}

/* Take the next component off rest into comp; returns whether one was
   there and sets *last when no component follows it.  */
static bool
next_component (struct walk *w, char *comp, size_t size, bool *last)
{
  char *p = w->rest, *end;
  size_t len;

  while (*p == '/')
    p++;
  if (*p == '\0')
    return false;
  end = strchrnul (p, '/');
  len = (size_t) (end - p);
  if (len >= size)
    len = size - 1;
  memcpy (comp, p, len);
  comp[len] = '\0';
  while (*end == '/')
    end++;
  *last = *end == '\0';
  memmove (w->rest, end, strlen (end) + 1);
  return true;
}

static int
read_proc_link (const struct resolve_root *root, const char *name, char *buf, size_t size)
{
  ssize_t n = readlinkat (root->procfd, name, buf, size - 1);

  if (n < 0)
    return -errno;
  buf[n] = '\0';
  return 0;
}

/* The walk entered the root of a procfs.  Interpret "self/exe",
   "self/fd/N", "self/cwd" and "self/root" (and thread-self) as links of
   the process being resolved for, because that is what they mean to it.
   Every other procfs path is rejected.  */
static int
follow_proc_self (struct walk *w, struct resolved_path *out)
{
  char comp[NAME_MAX + 1], link[PATH_MAX], name[64];
  struct stat st;
  bool last;
  int ret;

  if (w->root->procfd < 0 || !next_component (w, comp, sizeof (comp), &last)
      || (strcmp (comp, "self") != 0 && strcmp (comp, "thread-self") != 0) || last)
    return -EXDEV;
  if (!next_component (w, comp, sizeof (comp), &last))
    return -EXDEV;

  if (strcmp (comp, "exe") == 0 && last)
    snprintf (name, sizeof (name), "exe");
  else if (strcmp (comp, "cwd") == 0)
    snprintf (name, sizeof (name), "cwd");
  else if (strcmp (comp, "root") == 0)
    snprintf (name, sizeof (name), "root");
  else if (strcmp (comp, "fd") == 0 && !last && next_component (w, comp, sizeof (comp), &last)
           && strspn (comp, "0123456789") == strlen (comp) && strlen (comp) < 12)
    snprintf (name, sizeof (name), "fd/%s", comp);
  else
    return -EXDEV;

  if (strcmp (name, "root") == 0)
    snprintf (link, sizeof (link), "/");
  else if ((ret = read_proc_link (w->root, name, link, sizeof (link))) < 0)
    return ret;
  /* Anonymous and deleted files have no path in the container.  */
  if (link[0] != '/')
    return -EXDEV;

  if (last)
    {
      if (fstatat (w->root->procfd, name, &st, 0) < 0)
        return -errno;
      w->expect_set = true;
      w->expect_dev = st.st_dev;
      w->expect_ino = st.st_ino;
    }
  out->via_magic_link = true;
  if (strcmp (name, "exe") == 0)
    out->via_proc_exe = true;
  if ((ret = prepend_rest (w, link)) < 0)
    return ret;
  return reset_to_root (w);
}

static int
append_cur (char *dst, size_t size, const char *cur, const char *comp)
{
  int n = snprintf (dst, size, "%s/%s", cur, comp);
  return (n < 0 || (size_t) n >= size) ? -ENAMETOOLONG : 0;
}

static int
enter_directory (struct walk *w, const char *comp, bool *on_proc_root)
{
  struct statfs sfs;
  struct stat st;
  char next[PATH_MAX];
  int fd, ret;

  if ((ret = append_cur (next, sizeof (next), w->cur, comp)) < 0)
    return ret;
  fd = openat (w->dirfd, comp, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return errno == ELOOP ? -ESTALE : -errno;
  close (w->dirfd);
  w->dirfd = fd;
  memcpy (w->cur, next, sizeof (next));

  *on_proc_root = false;
  if (fstatfs (fd, &sfs) < 0 || fstat (fd, &st) < 0)
    return -errno;
  if (sfs.f_type == PROC_SUPER_MAGIC)
    {
      if (st.st_ino != PROC_ROOT_INO)
        return -EXDEV;
      *on_proc_root = true;
    }
  return 0;
}

static int
walk (struct walk *w, struct resolved_path *out)
{
  char comp[NAME_MAX + 1], link[PATH_MAX];
  struct stat st;
  bool last, on_proc_root = false;
  ssize_t n;
  int ret;

  while (next_component (w, comp, sizeof (comp), &last))
    {
      if (strcmp (comp, ".") == 0)
        continue;
      if (strcmp (comp, "..") == 0)
        {
          char *slash = strrchr (w->cur, '/');
          if (slash == NULL)
            continue; /* ".." of the root is the root */
          *slash = '\0';
          if ((ret = reopen_cur (w)) < 0)
            return ret;
          continue;
        }

      if (fstatat (w->dirfd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;

      if (S_ISLNK (st.st_mode))
        {
          if (++w->links > MAX_SYMLINKS)
            return -ELOOP;
          if (last && !w->name_set)
            {
              if ((ret = append_cur (out->name, sizeof (out->name), w->cur, comp)) < 0)
                return ret;
              w->name_set = true;
            }
          n = readlinkat (w->dirfd, comp, link, sizeof (link) - 1);
          if (n < 0)
            return -errno;
          link[n] = '\0';
          if (link[0] == '/' && (ret = reset_to_root (w)) < 0)
            return ret;
          if ((ret = prepend_rest (w, link)) < 0)
            return ret;
          continue;
        }

      if (S_ISDIR (st.st_mode))
        {
          if ((ret = enter_directory (w, comp, &on_proc_root)) < 0)
            return ret;
          if (on_proc_root && (ret = follow_proc_self (w, out)) < 0)
            return ret;
          continue;
        }

      if (!last)
        return -ENOTDIR;
      if ((ret = append_cur (out->target, sizeof (out->target), w->cur, comp)) < 0)
        return ret;
      if (!w->name_set)
        memcpy (out->name, out->target, sizeof (out->target));
      out->dev = st.st_dev;
      out->ino = st.st_ino;
      out->size = st.st_size;
      out->mtime_ns = (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
      out->ctime = st.st_ctim;
      return 1;
    }
  /* The path ended on a directory, which exec rejects.  Its canonical
     path goes into out->target for callers that resolve a parent.  */
  snprintf (out->target, sizeof (out->target), "%s", w->cur[0] ? w->cur : "/");
  return -EACCES;
}

static int
check_start (const struct resolve_root *root, const char *start, dev_t start_dev, ino_t start_ino)
{
  struct walk w = { .root = root, .dirfd = -1 };
  struct resolved_path scratch;
  struct stat st;
  int ret;

  if (start == NULL || start[0] != '/')
    return -ESTALE;
  if (snprintf (w.rest, sizeof (w.rest), "%s", start) >= (int) sizeof (w.rest))
    return -ENAMETOOLONG;
  if ((ret = reset_to_root (&w)) < 0)
    return ret;

  /* Walk the start directory like any path; it must end on a directory.  */
  memset (&scratch, 0, sizeof (scratch));
  ret = walk (&w, &scratch);
  /* Any failure means the path no longer names the directory the process
     is in (renamed or removed meanwhile), not that the exec would fail.  */
  if (ret == -EACCES && fstat (w.dirfd, &st) == 0 && st.st_dev == start_dev && st.st_ino == start_ino)
    ret = 0;
  else
    ret = -ESTALE;
  if (w.dirfd >= 0)
    close (w.dirfd);
  return ret;
}

int
resolve_in_root (const struct resolve_root *root, const char *start, dev_t start_dev,
                 ino_t start_ino, const char *path, struct resolved_path *out)
{
  struct walk w = { .root = root, .dirfd = -1 };
  int n, ret;

  memset (out, 0, sizeof (*out));
  if (path[0] == '\0')
    return -ENOENT;

  if (path[0] == '/')
    n = snprintf (w.rest, sizeof (w.rest), "%s", path);
  else
    {
      if ((ret = check_start (root, start, start_dev, start_ino)) < 0)
        return ret;
      n = snprintf (w.rest, sizeof (w.rest), "%s/%s", start, path);
    }
  if (n < 0 || (size_t) n >= sizeof (w.rest))
    return -ENAMETOOLONG;

  if ((ret = reset_to_root (&w)) < 0)
    return ret;
  ret = walk (&w, out);
  if (w.dirfd >= 0)
    close (w.dirfd);
  /* Through a /proc/self link the kernel reaches files that have no path
     (deleted, anonymous), so a failed lookup here proves nothing.  */
  if (ret < 0 && out->via_magic_link && ret != -EXDEV)
    return -ESTALE;
  if (ret < 0)
    return ret;
  if (w.expect_set && (out->dev != w.expect_dev || out->ino != w.expect_ino))
    return -ESTALE;
  return 0;
}

bool
resolve_error_is_kernel_equivalent (int negative_errno)
{
  switch (-negative_errno)
    {
    case ENOENT:
    case ENOTDIR:
    case ELOOP:
    case ENAMETOOLONG:
    case EACCES:
      return true;
    default:
      return false;
    }
}

bool
path_has_prefix_in (const char *path, const char *prefixes)
{
  const char *p = prefixes;

  while (p != NULL && *p != '\0')
    {
      const char *end = strchrnul (p, ',');
      size_t len = (size_t) (end - p);

      while (len > 1 && p[len - 1] == '/')
        len--;
      if (len > 0 && strncmp (path, p, len) == 0 && (path[len] == '\0' || path[len] == '/'))
        return true;
      p = *end ? end + 1 : NULL;
    }
  return false;
}
