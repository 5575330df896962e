#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/control.h"
#include "agent/listener.h"
#include "common/cleanup.h"
#include "common/log.h"

#define REQUEST_MAX (64u << 10)
/* A follower that does not read falls behind by at most this much before
   it is dropped, so that it cannot make the agent hold memory forever.  */
#define FOLLOW_BACKLOG_MAX (4u << 20)

int
control_open (struct agent *a, vigil_error_t *err)
{
  struct epoll_event ev = { .events = EPOLLIN };

  a->control_listener.kind = WATCH_CONTROL_LISTENER;
  a->control_listener.fd = listener_open (a->cfg->control_socket, err);
  if (a->control_listener.fd < 0)
    return vigil_error_wrap (err, "control socket");
  ev.data.ptr = &a->control_listener;
  if (epoll_ctl (a->epfd, EPOLL_CTL_ADD, a->control_listener.fd, &ev) < 0)
    return vigil_error_set (err, errno, "epoll_ctl");
  return 0;
}

static void
client_free (struct agent *a, struct control_client *c)
{
  struct control_client **pp;

  for (pp = &a->control_clients; *pp != NULL; pp = &(*pp)->next)
    if (*pp == c)
      {
        *pp = c->next;
        break;
      }
  epoll_ctl (a->epfd, EPOLL_CTL_DEL, c->w.fd, NULL);
  close (c->w.fd);
  free (c->in);
  free (c->out);
  free (c->filter_container);
  free (c->filter_model);
  free (c);
}

void
control_close_all (struct agent *a)
{
  while (a->control_clients != NULL)
    client_free (a, a->control_clients);
  if (a->control_listener.fd >= 0)
    {
      close (a->control_listener.fd);
      unlink (a->cfg->control_socket);
      a->control_listener.fd = -1;
    }
}

void
control_accept (struct agent *a)
{
  for (;;)
    {
      struct epoll_event ev = { .events = EPOLLIN };
      struct control_client *c;
      int fd = listener_accept_root (a->control_listener.fd, a->cfg->control_socket);

      if (fd == -1)
        return;
      if (fd < 0)
        continue;
      c = calloc (1, sizeof (*c));
      if (c == NULL)
        {
          close (fd);
          continue;
        }
      c->w.kind = WATCH_CONTROL_CLIENT;
      c->w.fd = fd;
      c->next = a->control_clients;
      a->control_clients = c;
      ev.data.ptr = &c->w;
      if (epoll_ctl (a->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        client_free (a, c);
    }
}

/* Queue text (and a newline) for c and watch for writability.  */
static int
queue_line (struct agent *a, struct control_client *c, const char *text, size_t len)
{
  struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = &c->w };
  size_t pending = c->out_len - c->out_off;
  char *grown;

  if (pending + len + 1 > FOLLOW_BACKLOG_MAX)
    return -1;
  if (c->out_off > 0)
    {
      memmove (c->out, c->out + c->out_off, pending);
      c->out_len = pending;
      c->out_off = 0;
    }
  grown = realloc (c->out, c->out_len + len + 1);
  if (grown == NULL)
    return -1;
  c->out = grown;
  memcpy (c->out + c->out_len, text, len);
  c->out[c->out_len + len] = '\n';
  c->out_len += len + 1;
  epoll_ctl (a->epfd, EPOLL_CTL_MOD, c->w.fd, &ev);
  return 0;
}

/* Write what is queued.  Returns -1 when the client is gone.  */
static int
flush (struct agent *a, struct control_client *c)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &c->w };

  while (c->out_off < c->out_len)
    {
      ssize_t n = send (c->w.fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return 0;
      if (n < 0)
        return -1;
      c->out_off += (size_t) n;
    }
  c->out_off = c->out_len = 0;
  epoll_ctl (a->epfd, EPOLL_CTL_MOD, c->w.fd, &ev);
  return 0;
}

static void
respond (struct agent *a, struct control_client *c, json_t response)
{
  cleanup_error vigil_error_t err = NULL;
  cleanup_free char *text = NULL;
  size_t len;

  if (response == NULL || json_generate (response, false, &text, &len, &err) < 0
      || queue_line (a, c, text, len) < 0)
    log_error ("control socket: cannot send a response");
  if (response != NULL)
    yajl_tree_free (response);
}

static void
handle_request (struct agent *a, struct control_client *c, const char *line, size_t len)
{
  cleanup_error vigil_error_t err = NULL;
  cleanup_json json_t request = NULL;
  json_t response;

  if (json_parse (line, len, &request, &err) < 0)
    {
      response = json_new_object ();
      if (response != NULL)
        {
          json_object_set (response, "ok", json_new_bool (false));
          json_object_set (response, "error", json_new_string (err->msg));
        }
      respond (a, c, response);
      return;
    }
  respond (a, c, control_dispatch (a, request, c));
}

static int
read_requests (struct agent *a, struct control_client *c)
{
  char buf[4096];
  char *nl;

  for (;;)
    {
      ssize_t n = recv (c->w.fd, buf, sizeof (buf), 0);
      char *grown;

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return 0;
      if (n <= 0)
        return -1;
      if (c->in_len + (size_t) n > REQUEST_MAX)
        {
          log_warning ("control socket: request larger than %u bytes; client dropped", REQUEST_MAX);
          return -1;
        }
      grown = realloc (c->in, c->in_len + (size_t) n);
      if (grown == NULL)
        return -1;
      c->in = grown;
      memcpy (c->in + c->in_len, buf, (size_t) n);
      c->in_len += (size_t) n;

      while ((nl = memchr (c->in, '\n', c->in_len)) != NULL)
        {
          size_t line_len = (size_t) (nl - c->in);
          handle_request (a, c, c->in, line_len);
          memmove (c->in, nl + 1, c->in_len - line_len - 1);
          c->in_len -= line_len + 1;
        }
    }
}

void
control_client_event (struct agent *a, struct control_client *c, unsigned events)
{
  if (c->dead)
    return;
  if ((events & EPOLLIN) && read_requests (a, c) < 0 && c->out_off == c->out_len)
    {
      client_free (a, c);
      return;
    }
  if ((events & (EPOLLOUT | EPOLLIN)) && flush (a, c) < 0)
    {
      client_free (a, c);
      return;
    }
  if (events & (EPOLLHUP | EPOLLERR))
    client_free (a, c);
}

bool
alert_container_is (json_t alert, const char *which)
{
  const char *id = json_get_string (alert, "container_id");
  const char *name = json_get_string (alert, "container_name");
  size_t len = strlen (which);

  return (id != NULL && len > 0 && strncmp (id, which, len) == 0)
         || (name != NULL && strcmp (name, which) == 0);
}

bool
alert_selected (json_t alert, const char *container, const char *model)
{
  const char *key = json_get_string (alert, "model_key");

  if (container != NULL && !alert_container_is (alert, container))
    return false;
  return model == NULL || (key != NULL && strcmp (key, model) == 0);
}

static bool
alert_matches (const struct control_client *c, const char *line, size_t len)
{
  cleanup_error vigil_error_t err = NULL;
  cleanup_json json_t alert = NULL;

  if (c->filter_container == NULL && c->filter_model == NULL)
    return true;
  if (json_parse (line, len, &alert, &err) < 0)
    return false;
  return alert_selected (alert, c->filter_container, c->filter_model);
}

void
control_alert (void *agent, const char *line, size_t len)
{
  struct agent *a = agent;
  struct control_client *c, *next;

  for (c = a->control_clients; c != NULL; c = next)
    {
      next = c->next;
      if (!c->following || !alert_matches (c, line, len))
        continue;
      if (queue_line (a, c, line, len) < 0)
        {
          /* Freed by control_reap: this runs inside another event of the
             current epoll batch, which may still name c.  */
          log_warning ("control socket: an alerts follower fell %u bytes behind; dropped",
                       FOLLOW_BACKLOG_MAX);
          c->following = false;
          c->dead = true;
        }
    }
}

void
control_reap (struct agent *a)
{
  struct control_client *c, *next;

  for (c = a->control_clients; c != NULL; c = next)
    {
      next = c->next;
      if (c->dead)
        client_free (a, c);
    }
}
