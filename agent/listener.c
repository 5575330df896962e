#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/listener.h"
#include "common/cleanup.h"
#include "common/fileutil.h"
#include "common/json.h"
#include "common/log.h"

#define CLIENT_MAX_BYTES (1u << 20)
#define CLIENT_TIMEOUT_MS 10000
#define CLIENTS_MAX 256

int
listener_open (const char *path, vigil_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *dir = strdup (path);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct stat st;

  if (dir == NULL)
    return vigil_error_set (err, ENOMEM, "listener socket");
  if (strlen (path) >= sizeof (addr.sun_path))
    return vigil_error_set (err, ENAMETOOLONG, "listener socket `%s`", path);
  memcpy (addr.sun_path, path, strlen (path));
  if (mkdir_parents (dirname (dir), 0700, err) < 0)
    return -1;

  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return vigil_error_set (err, errno, "create listener socket");

  if (lstat (path, &st) == 0)
    {
      if (!S_ISSOCK (st.st_mode))
        return vigil_error_set (err, EEXIST, "`%s` exists and is not a socket", path);
      if (connect (fd, (struct sockaddr *) &addr, sizeof (addr)) == 0)
        return vigil_error_set (err, EADDRINUSE, "another vigild listens on `%s`", path);
      unlink (path); /* left behind by an agent that stopped */
      close (fd);
      fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0)
        return vigil_error_set (err, errno, "create listener socket");
    }

  if (bind (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    return vigil_error_set (err, errno, "bind `%s`", path);
  if (chmod (path, 0600) < 0)
    return vigil_error_set (err, errno, "chmod `%s`", path);
  if (listen (fd, 128) < 0)
    return vigil_error_set (err, errno, "listen on `%s`", path);
  return take_fd (&fd);
}

void
listener_client_free (struct agent *a, struct agent_client *c)
{
  struct agent_client **pp;
  unsigned i;

  for (pp = &a->clients; *pp != NULL; pp = &(*pp)->next)
    if (*pp == c)
      {
        *pp = c->next;
        break;
      }
  epoll_ctl (a->epfd, EPOLL_CTL_DEL, c->w.fd, NULL);
  close (c->w.fd);
  for (i = 0; i < c->nfds; i++)
    close (c->fds[i]);
  if (c->state != NULL)
    yajl_tree_free (c->state);
  free (c->buf);
  free (c);
  a->n_clients--;
}

int
listener_accept_root (int listen_fd, const char *path)
{
  struct ucred cred = { .uid = (uid_t) -1 };
  socklen_t len = sizeof (cred);
  int fd = accept4 (listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

  if (fd < 0)
    {
      if (errno != EAGAIN && errno != EINTR)
        log_error ("accept on `%s`: %s", path, strerror (errno));
      return -1;
    }
  /* The sockets are 0600 in a 0700 directory; check anyway, since a
     client other than root must not reach the agent.  */
  if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0)
    {
      log_warning ("`%s`: rejected a client with uid %d (root only)", path, (int) cred.uid);
      close (fd);
      return -2;
    }
  return fd;
}

void
listener_accept (struct agent *a)
{
  for (;;)
    {
      struct epoll_event ev = { .events = EPOLLIN };
      struct agent_client *c;
      int fd = listener_accept_root (a->listener.fd, a->cfg->listener_socket);

      if (fd == -1)
        return;
      if (fd < 0)
        continue;
      if (a->n_clients >= CLIENTS_MAX)
        {
          log_warning ("too many unfinished connections (%u); rejected one", a->n_clients);
          close (fd);
          continue;
        }
      c = calloc (1, sizeof (*c));
      if (c == NULL)
        {
          close (fd);
          continue;
        }
      c->w.kind = WATCH_CLIENT;
      c->w.fd = fd;
      c->deadline_ms = monotonic_ms () + CLIENT_TIMEOUT_MS;
      c->next = a->clients;
      a->clients = c;
      a->n_clients++;
      ev.data.ptr = &c->w;
      if (epoll_ctl (a->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        {
          log_error ("watch connection: %s", strerror (errno));
          listener_client_free (a, c);
        }
    }
}

/* Keep the descriptors that came with a message.  More than fit are
   closed at once.  */
static void
collect_fds (struct agent_client *c, struct msghdr *msg)
{
  struct cmsghdr *cm;

  for (cm = CMSG_FIRSTHDR (msg); cm != NULL; cm = CMSG_NXTHDR (msg, cm))
    {
      size_t i, n;
      int *fds;

      if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
        continue;
      n = (cm->cmsg_len - CMSG_LEN (0)) / sizeof (int);
      fds = (int *) CMSG_DATA (cm);
      for (i = 0; i < n; i++)
        {
          if (c->nfds < sizeof (c->fds) / sizeof (c->fds[0]))
            c->fds[c->nfds++] = fds[i];
          else
            close (fds[i]);
        }
    }
}

static void
finish_client (struct agent *a, struct agent_client *c)
{
  cleanup_error vigil_error_t err = NULL;

  if (c->len == 0 && c->nfds == 0)
    {
      /* vigil-runc checks that the agent is up with an empty connection.  */
      listener_client_free (a, c);
      return;
    }
  if (listener_handle_message (a, c->state, c->buf ? c->buf : "", c->len, c->fds, c->nfds, &err) < 0)
    log_error ("message on `%s`: %s", a->cfg->listener_socket, err->msg);
  c->nfds = 0; /* taken */
  listener_client_free (a, c);
}

/* Whether the whole state has arrived; the parsed state is kept in c so
   that it is not parsed again.  */
static bool
message_complete (struct agent_client *c)
{
  cleanup_error vigil_error_t err = NULL;
  size_t end = c->len;

  while (end > 0 && (c->buf[end - 1] == '\n' || c->buf[end - 1] == ' '))
    end--;
  if (end == 0 || c->buf[end - 1] != '}')
    return false;
  return json_parse (c->buf, c->len, &c->state, &err) == 0;
}

void
listener_client_ready (struct agent *a, struct agent_client *c)
{
  for (;;)
    {
      char data[8192];
      char control[CMSG_SPACE (sizeof (int) * 8)];
      struct iovec iov = { .iov_base = data, .iov_len = sizeof (data) };
      struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control,
        .msg_controllen = sizeof (control),
      };
      ssize_t n = recvmsg (c->w.fd, &msg, MSG_CMSG_CLOEXEC);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return;
      if (n < 0)
        {
          log_error ("receive on `%s`: %s", a->cfg->listener_socket, strerror (errno));
          listener_client_free (a, c);
          return;
        }
      collect_fds (c, &msg);
      if (msg.msg_flags & MSG_CTRUNC)
        log_warning ("descriptors were dropped from a message on `%s`", a->cfg->listener_socket);
      if (n == 0)
        {
          finish_client (a, c);
          return;
        }
      if (c->len + (size_t) n > CLIENT_MAX_BYTES)
        {
          log_error ("message on `%s` is larger than %u bytes; dropped", a->cfg->listener_socket,
                     CLIENT_MAX_BYTES);
          listener_client_free (a, c);
          return;
        }
      char *bigger = realloc (c->buf, c->len + (size_t) n + 1);
      if (bigger == NULL)
        {
          listener_client_free (a, c);
          return;
        }
      c->buf = bigger;
      memcpy (c->buf + c->len, data, (size_t) n);
      c->len += (size_t) n;
      c->buf[c->len] = '\0';

      /* runc exec keeps the connection open until the process it started
         runs, and that process waits for the response to its execve: act on
         the message as soon as it is complete, not at hang-up.  A prefix
         of a JSON object is never a complete object, so a successful
         parse means the whole state has arrived.  */
      if (c->nfds > 0 && message_complete (c))
        {
          finish_client (a, c);
          return;
        }
    }
}

void
listener_expire_clients (struct agent *a, uint64_t now_ms)
{
  struct agent_client *c = a->clients, *next;

  for (; c != NULL; c = next)
    {
      next = c->next;
      if (now_ms < c->deadline_ms)
        continue;
      if (c->nfds > 0 && c->len > 0)
        {
          /* Some runtimes keep the connection open; what arrived may be
             complete.  */
          finish_client (a, c);
          continue;
        }
      log_warning ("connection on `%s` sent nothing usable within %d ms; closed",
                   a->cfg->listener_socket, CLIENT_TIMEOUT_MS);
      listener_client_free (a, c);
    }
}

/* The index of "seccompFd" in the fds list of the state.  */
static int
seccomp_fd_index (json_t state)
{
  json_t names = json_get (state, "fds");
  size_t i;

  if (names == NULL || !YAJL_IS_ARRAY (names))
    return 0;
  for (i = 0; i < names->u.array.len; i++)
    if (YAJL_IS_STRING (names->u.array.values[i])
        && strcmp (names->u.array.values[i]->u.string, "seccompFd") == 0)
      return (int) i;
  return -1;
}

int
listener_handle_message (struct agent *a, json_t parsed, const char *text, size_t len, int *fds,
                         unsigned nfds, vigil_error_t *err)
{
  cleanup_json json_t own = NULL;
  cleanup_json json_t meta = NULL;
  json_t state = parsed;
  const char *metadata, *container_id;
  json_t inner;
  struct model *m;
  int index, fd, ret = -1;
  pid_t pid, init_pid;
  unsigned i;

  if (state == NULL)
    {
      if (json_parse (text, len, &own, err) < 0)
        goto out;
      state = own;
    }
  inner = json_get (state, "state");
  container_id = json_get_string (inner, "id");
  /* "pid" is the process that will run (the init process, or the process
     of an exec session); "state.pid" is the container's init process.  */
  pid = (pid_t) json_get_uint (state, "pid", json_get_uint (inner, "pid", 0));
  init_pid = (pid_t) json_get_uint (inner, "pid", (uint64_t) pid);
  metadata = json_get_string (state, "metadata");
  index = seccomp_fd_index (state);

  if (container_id == NULL)
    {
      vigil_error_set (err, 0, "container state has no `state.id`");
      goto out;
    }
  if (index < 0 || (unsigned) index >= nfds)
    {
      vigil_error_set (err, 0, "container `%s`: no seccomp fd in the message (%u fds)", container_id, nfds);
      goto out;
    }
  if (metadata == NULL || json_parse (metadata, strlen (metadata), &meta, err) < 0)
    {
      if (metadata == NULL)
        vigil_error_set (err, 0, "container `%s`: no listenerMetadata; was it created by vigil-runc?",
                         container_id);
      vigil_error_wrap (err, "container `%s`: metadata", container_id);
      goto out;
    }

  m = agent_model_for (a, meta, err);
  if (m == NULL)
    goto out;
  fd = fds[index];
  fds[index] = -1;
  ret = agent_add_notifier (a, fd, pid, init_pid, container_id, m, meta, err);

out:
  for (i = 0; i < nfds; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  return ret;
}
