#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "ctl/client.h"

int
ctl_connect (struct ctl_client *c, const char *path, vigil_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };

  c->fd = -1;
  c->in = NULL;
  if (strlen (path) >= sizeof (addr.sun_path))
    return vigil_error_set (err, ENAMETOOLONG, "control socket `%s`", path);
  memcpy (addr.sun_path, path, strlen (path));
  c->fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c->fd < 0)
    return vigil_error_set (err, errno, "create socket");
  if (connect (c->fd, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    {
      int saved = errno;
      close (c->fd);
      c->fd = -1;
      if (saved == EACCES)
        return vigil_error_set (err, saved, "connect to vigild at `%s` (root only)", path);
      return vigil_error_set (err, saved, "connect to vigild at `%s` (is vigild running, with this "
                                          "control_socket?)",
                              path);
    }
  c->in = fdopen (dup (c->fd), "r");
  if (c->in == NULL)
    return vigil_error_set (err, errno, "read from `%s`", path);
  return 0;
}

int
ctl_read_line (struct ctl_client *c, json_t *out, vigil_error_t *err)
{
  cleanup_free char *line = NULL;
  size_t cap = 0;
  ssize_t n = getline (&line, &cap, c->in);

  if (n < 0)
    return ferror (c->in) ? vigil_error_set (err, errno, "read from vigild") : 1;
  return json_parse (line, (size_t) n, out, err) < 0 ? vigil_error_wrap (err, "response of vigild") : 0;
}

int
ctl_request (struct ctl_client *c, json_t request, json_t *response, char **reason,
             vigil_error_t *err)
{
  cleanup_free char *text = NULL;
  json_t ok;
  size_t len, done = 0;
  int ret;

  if (reason != NULL)
    *reason = NULL;
  if (json_generate (request, false, &text, &len, err) < 0)
    return -1;
  text[len] = '\n';
  while (done < len + 1)
    {
      ssize_t n = send (c->fd, text + done, len + 1 - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return vigil_error_set (err, errno, "send to vigild");
      done += (size_t) n;
    }

  ret = ctl_read_line (c, response, err);
  if (ret < 0)
    return -1;
  if (ret > 0)
    return vigil_error_set (err, 0, "vigild closed the connection without a response");
  ok = json_get (*response, "ok");
  if (ok == NULL || !YAJL_IS_TRUE (ok))
    {
      const char *msg = json_get_string (*response, "error");
      if (reason != NULL && json_get_string (*response, "reason") != NULL)
        *reason = strdup (json_get_string (*response, "reason"));
      vigil_error_set (err, 0, "%s", msg ? msg : "request failed");
      yajl_tree_free (*response);
      *response = NULL;
      return -1;
    }
  return 0;
}

void
ctl_close (struct ctl_client *c)
{
  if (c->in != NULL)
    fclose (c->in);
  if (c->fd >= 0)
    close (c->fd);
  c->in = NULL;
  c->fd = -1;
}

json_t
ctl_command (const char *command, const char *field, const char *value)
{
  json_t r = json_new_object ();

  if (r == NULL)
    return NULL;
  if (json_object_set (r, "command", json_new_string (command)) < 0
      || (field != NULL && json_object_set (r, field, json_new_string (value)) < 0))
    {
      yajl_tree_free (r);
      return NULL;
    }
  return r;
}
