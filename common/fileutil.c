#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileutil.h"

int
read_file (const char *path, size_t max_size, char **out, size_t *out_len, vigil_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  size_t len = 0, cap = 4096;
  struct stat st;
  ssize_t n;

  /* O_NONBLOCK: opening a FIFO would otherwise wait for a writer, and
     the agent with it, before it can be rejected.  */
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return vigil_error_set (err, errno, "open `%s`", path);
  if (fstat (fd, &st) < 0)
    return vigil_error_set (err, errno, "stat `%s`", path);
  /* A FIFO or a socket could feed the reader forever or block it.
     Character devices pass, so that /dev/null works as an empty file.  */
  if (S_ISFIFO (st.st_mode) || S_ISSOCK (st.st_mode) || S_ISDIR (st.st_mode))
    return vigil_error_set (err, 0, "read `%s`: not a regular file", path);

  buf = malloc (cap);
  if (buf == NULL)
    return vigil_error_set (err, errno, "read `%s`", path);
  for (;;)
    {
      if (len + 1 >= cap)
        {
          char *bigger;
          if (cap > max_size)
            return vigil_error_set (err, EFBIG, "read `%s`: larger than %zu bytes", path, max_size);
          cap *= 2;
          bigger = realloc (buf, cap);
          if (bigger == NULL)
            return vigil_error_set (err, errno, "read `%s`", path);
          buf = bigger;
        }
      n = read (fd, buf + len, cap - len - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return vigil_error_set (err, errno, "read `%s`", path);
      if (n == 0)
        break;
      len += (size_t) n;
    }
  if (len > max_size)
    return vigil_error_set (err, EFBIG, "read `%s`: larger than %zu bytes", path, max_size);
  buf[len] = '\0';
  *out = take_ptr (&buf);
  if (out_len != NULL)
    *out_len = len;
  return 0;
}

static int
write_all (int fd, const char *data, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      data += n;
      len -= (size_t) n;
    }
  return 0;
}

int
write_file_atomic (const char *path, const char *data, size_t len, mode_t mode, bool durable,
                   vigil_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_free char *dir_copy = NULL;
  cleanup_close int fd = -1;
  cleanup_close int dirfd = -1;

  if (asprintf (&tmp, "%s.vigil-tmp.%d", path, (int) getpid ()) < 0)
    return vigil_error_set (err, ENOMEM, "write `%s`", path);

  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0)
    return vigil_error_set (err, errno, "create `%s`", tmp);
  if (fchmod (fd, mode) < 0 || write_all (fd, data, len) < 0 || (durable && fsync (fd) < 0))
    {
      int saved = errno;
      unlink (tmp);
      return vigil_error_set (err, saved, "write `%s`", tmp);
    }
  if (rename (tmp, path) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return vigil_error_set (err, saved, "rename `%s` to `%s`", tmp, path);
    }

  /* Persist the rename itself.  */
  if (!durable)
    return 0;
  dir_copy = strdup (path);
  if (dir_copy == NULL)
    return 0;
  dirfd = open (dirname (dir_copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd >= 0)
    (void) fsync (dirfd);
  return 0;
}

int
mkdir_parents (const char *path, mode_t mode, vigil_error_t *err)
{
  cleanup_free char *copy = strdup (path);
  char *p;

  if (copy == NULL)
    return vigil_error_set (err, ENOMEM, "create directory `%s`", path);
  for (p = copy + 1;; p++)
    {
      if (*p != '/' && *p != '\0')
        continue;
      char saved = *p;
      *p = '\0';
      if (mkdir (copy, mode) < 0 && errno != EEXIST)
        return vigil_error_set (err, errno, "create directory `%s`", copy);
      *p = saved;
      if (saved == '\0')
        break;
    }
  return 0;
}
