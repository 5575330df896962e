#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/kernel-compat.h"
#include "common/resolve.h"
#include "static_analysis.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *
env_path (json_t process)
{
  json_t env = json_get (process, "env");
  size_t i;

  for (i = 0; env != NULL && YAJL_IS_ARRAY (env) && i < env->u.array.len; i++)
    {
      json_t v = env->u.array.values[i];
      if (YAJL_IS_STRING (v) && strncmp (v->u.string, "PATH=", 5) == 0)
        return v->u.string + 5;
    }
  return DEFAULT_PATH;
}

/* Resolve command the way execvp in the container would: a name with a
   slash as it is (relative to cwd), else along PATH.  */
static int
resolve_command (const struct resolve_root *root, const char *command, const char *cwd,
                 const char *path_list, struct resolved_path *out)
{
  cleanup_free char *dirs = NULL;
  char candidate[PATH_MAX], *dir, *save = NULL;

  if (strchr (command, '/') != NULL)
    {
      if (command[0] == '/')
        return resolve_in_root (root, NULL, 0, 0, command, out);
      if (snprintf (candidate, sizeof (candidate), "%s/%s", cwd, command) >= (int) sizeof (candidate))
        return -ENAMETOOLONG;
      return resolve_in_root (root, NULL, 0, 0, candidate, out);
    }

  dirs = strdup (path_list);
  if (dirs == NULL)
    return -ENOMEM;
  for (dir = strtok_r (dirs, ":", &save); dir != NULL; dir = strtok_r (NULL, ":", &save))
    {
      if (dir[0] != '/')
        continue;
      if (snprintf (candidate, sizeof (candidate), "%s/%s", dir, command) >= (int) sizeof (candidate))
        continue;
      if (resolve_in_root (root, NULL, 0, 0, candidate, out) == 0)
        return 0;
    }
  return -ENOENT;
}

/* The interpreter on the "#!" line of the file at target (an in-container
   path whose directories are all real), or "" when there is none.  The
   file is opened with RESOLVE_IN_ROOT so that a link swapped in meanwhile
   still cannot lead outside the root.  */
static void
read_interpreter (int rootfd, const char *target, char *out, size_t size)
{
  struct open_how how = {
    .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  cleanup_close int fd = -1;
  char line[256];
  ssize_t n;
  size_t len;
  char *p;

  out[0] = '\0';
  fd = (int) syscall (SYS_openat2, rootfd, target, &how, sizeof (how));
  if (fd < 0)
    return;
  n = read (fd, line, sizeof (line) - 1);
  if (n < 3 || line[0] != '#' || line[1] != '!')
    return;
  line[n] = '\0';
  p = line + 2;
  p += strspn (p, " \t");
  len = strcspn (p, " \t\n");
  if (len == 0 || len >= size || p[0] != '/')
    return;
  memcpy (out, p, len);
  out[len] = '\0';
}

static int
append_unique (json_t list, const char *path)
{
  size_t i;

  for (i = 0; i < list->u.array.len; i++)
    if (strcmp (list->u.array.values[i]->u.string, path) == 0)
      return 0;
  return json_array_append (list, json_new_string (path));
}

json_t
static_executables (json_t config, const char *rootfs)
{
  cleanup_close int rootfd = -1;
  json_t process = json_get (config, "process");
  json_t args = json_get (process, "args");
  const char *cwd = json_get_string (process, "cwd");
  struct resolve_root root = { .procfd = -1 };
  struct resolved_path command, interpreter;
  char interp_path[PATH_MAX];
  json_t list = json_new_array ();

  if (list == NULL)
    return NULL;
  if (args == NULL || !YAJL_IS_ARRAY (args) || args->u.array.len == 0
      || !YAJL_IS_STRING (args->u.array.values[0]))
    return list;
  rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return list;
  root.rootfd = rootfd;

  if (resolve_command (&root, args->u.array.values[0]->u.string, cwd ? cwd : "/", env_path (process),
                       &command)
      < 0)
    return list;
  if (append_unique (list, command.name) < 0)
    {
      yajl_tree_free (list);
      return NULL;
    }

  read_interpreter (rootfd, command.target, interp_path, sizeof (interp_path));
  if (interp_path[0] != '\0' && resolve_in_root (&root, NULL, 0, 0, interp_path, &interpreter) == 0
      && append_unique (list, interpreter.name) < 0)
    {
      yajl_tree_free (list);
      return NULL;
    }
  return list;
}
