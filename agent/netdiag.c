#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "agent/netdiag.h"
#include "common/cleanup.h"

static void
cleanup_nl_sockp (struct nl_sock **sk)
{
  if (*sk != NULL)
    nl_socket_free (*sk);
}
#define cleanup_nl_sock __attribute__ ((cleanup (cleanup_nl_sockp)))

/* The sockets collected from the dumps, grown as messages arrive.  */
struct socket_list
{
  struct netdiag_socket *v;
  size_t n;
  size_t cap;
  int protocol;       /* protocol of the dump being read */
  int family;         /* family of the dump being read */
  int dump_errno;     /* error the kernel put in NLMSG_DONE, 0 when none */
  bool out_of_memory;
};

static void
cleanup_socket_listp (struct socket_list *list)
{
  free (list->v);
}
#define cleanup_socket_list __attribute__ ((cleanup (cleanup_socket_listp)))

static int
open_netns (pid_t pid, int *nsfd, vigil_error_t *err)
{
  char path[64];

  snprintf (path, sizeof (path), "/proc/%d/ns/net", (int) pid);
  *nsfd = open (path, O_RDONLY | O_CLOEXEC);
  if (*nsfd >= 0)
    return 0;

  /* A zombie still has its /proc entry but no namespaces, so it gives
     ENOENT too.  */
  if (errno == ENOENT || errno == ESRCH)
    return vigil_error_set (err, ESRCH, "process %d is gone", (int) pid);
  return vigil_error_set (err, errno, "cannot open the network namespace of process %d",
                          (int) pid);
}

/* Input and result of the thread that enters the namespace.  */
struct netns_connect
{
  int nsfd;
  struct nl_sock *sk;   /* connected in the target namespace, NULL on failure */
  int setns_errno;
  int nl_error;         /* negative libnl error code of nl_connect */
};

static void *
connect_in_netns_thread (void *arg)
{
  struct netns_connect *c = arg;
  struct nl_sock *sk;
  int ret;

  if (setns (c->nsfd, CLONE_NEWNET) < 0)
    {
      c->setns_errno = errno;
      return NULL;
    }

  /* A socket belongs to the namespace of the thread that created it, for
     its whole life, so the caller can use it from its own namespace.  */
  sk = nl_socket_alloc ();
  if (sk == NULL)
    {
      c->nl_error = -NLE_NOMEM;
      return NULL;
    }
  ret = nl_connect (sk, NETLINK_SOCK_DIAG);
  if (ret < 0)
    {
      nl_socket_free (sk);
      c->nl_error = ret;
      return NULL;
    }
  c->sk = sk;
  return NULL;
}

/* Create a NETLINK_SOCK_DIAG socket in the namespace of nsfd.

   The setns happens on a short-lived thread that exits afterwards, not on
   the calling thread with a setns back.  Going back with a second setns
   can fail (setns allocates, so ENOMEM is possible), and a thread left in a
   container's namespace would create every later socket of the agent
   there.  A thread that exits never needs to go back.  All signals are
   blocked in it, so no signal handler of the agent runs inside the
   container's namespace.  */
static int
connect_in_netns (int nsfd, pid_t pid, struct nl_sock **out, vigil_error_t *err)
{
  struct netns_connect c = { .nsfd = nsfd };
  sigset_t all, saved;
  pthread_t thread;
  int ret;

  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &saved);
  ret = pthread_create (&thread, NULL, connect_in_netns_thread, &c);
  pthread_sigmask (SIG_SETMASK, &saved, NULL);
  if (ret != 0)
    return vigil_error_set (err, ret, "cannot start a thread to enter the network namespace of "
                            "process %d", (int) pid);
  pthread_join (thread, NULL);

  if (c.setns_errno != 0)
    return vigil_error_set (err, c.setns_errno,
                            "cannot enter the network namespace of process %d", (int) pid);
  if (c.sk == NULL)
    return vigil_error_set (err, 0,
                            "cannot open a sock_diag netlink socket in the network namespace of "
                            "process %d: %s",
                            (int) pid, nl_geterror (c.nl_error));
  *out = c.sk;
  return 0;
}

/* Write the local address of d as text.  A v4-mapped address is written
   in its IPv4 form: ::ffff:127.0.0.1 becomes 127.0.0.1.  */
static void
format_address (const struct inet_diag_msg *d, char *buf, size_t size)
{
  struct in6_addr a6;

  if (d->idiag_family == AF_INET)
    {
      inet_ntop (AF_INET, &d->id.idiag_src[0], buf, (socklen_t) size);
      return;
    }
  memcpy (&a6, d->id.idiag_src, sizeof (a6));
  if (IN6_IS_ADDR_V4MAPPED (&a6))
    inet_ntop (AF_INET, &a6.s6_addr[12], buf, (socklen_t) size);
  else
    inet_ntop (AF_INET6, &a6, buf, (socklen_t) size);
}

/* Append the socket of one inet_diag message to the list.  */
static int
on_diag_message (struct nl_msg *msg, void *arg)
{
  struct socket_list *list = arg;
  struct nlmsghdr *hdr = nlmsg_hdr (msg);
  const struct inet_diag_msg *d;
  struct netdiag_socket *s;
  unsigned expected_state = list->protocol == IPPROTO_TCP ? TCP_LISTEN : TCP_CLOSE;

  if (hdr->nlmsg_type != SOCK_DIAG_BY_FAMILY
      || nlmsg_datalen (hdr) < (int) sizeof (struct inet_diag_msg))
    return NL_SKIP;
  d = nlmsg_data (hdr);

  /* The request selects family and state already.  Checking again keeps
     the header's promise even if a kernel ignores part of the filter.  */
  if (d->idiag_family != list->family || d->idiag_state != expected_state
      || d->id.idiag_sport == 0)
    return NL_SKIP;

  if (list->n == list->cap)
    {
      size_t cap = list->cap == 0 ? 16 : list->cap * 2;
      struct netdiag_socket *v = reallocarray (list->v, cap, sizeof (*v));

      if (v == NULL)
        {
          list->out_of_memory = true;
          return NL_STOP;
        }
      list->v = v;
      list->cap = cap;
    }

  s = &list->v[list->n++];
  memset (s, 0, sizeof (*s));
  s->protocol = list->protocol;
  s->family = d->idiag_family;
  format_address (d, s->address, sizeof (s->address));
  s->port = ntohs (d->id.idiag_sport);
  s->inode = d->idiag_inode;
  return NL_OK;
}

/* Record the error of a failed dump.  The kernel reports an error that
   occurs inside a dump (ENOENT when no diagnostics handler exists for the
   protocol) as a negative int in the NLMSG_DONE payload, and
   nl_recvmsgs of libnl 3.7 returns success for it.  */
static int
on_dump_done (struct nl_msg *msg, void *arg)
{
  struct socket_list *list = arg;
  struct nlmsghdr *hdr = nlmsg_hdr (msg);
  int status;

  if (nlmsg_datalen (hdr) >= (int) sizeof (status))
    {
      memcpy (&status, nlmsg_data (hdr), sizeof (status));
      if (status < 0)
        list->dump_errno = -status;
    }
  return NL_STOP;
}

/* Dump the sockets of one family and protocol into list.  A UDP socket
   that is bound but not connected is in TCP_CLOSE state, a connected
   one in TCP_ESTABLISHED.  */
static int
dump_sockets (struct nl_sock *sk, int family, int protocol, struct socket_list *list, pid_t pid,
              vigil_error_t *err)
{
  struct inet_diag_req_v2 req = {
    .sdiag_family = (__u8) family,
    .sdiag_protocol = (__u8) protocol,
    .idiag_states = protocol == IPPROTO_TCP ? 1U << TCP_LISTEN : 1U << TCP_CLOSE,
  };
  const char *label = protocol == IPPROTO_TCP ? (family == AF_INET ? "TCP" : "TCPv6")
                                             : (family == AF_INET ? "UDP" : "UDPv6");
  int ret;

  list->family = family;
  list->protocol = protocol;
  list->dump_errno = 0;
  ret = nl_socket_modify_cb (sk, NL_CB_VALID, NL_CB_CUSTOM, on_diag_message, list);
  if (ret >= 0)
    ret = nl_socket_modify_cb (sk, NL_CB_FINISH, NL_CB_CUSTOM, on_dump_done, list);
  if (ret >= 0)
    ret = nl_send_simple (sk, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &req, sizeof (req));
  if (ret >= 0)
    ret = nl_recvmsgs_default (sk);

  if (list->out_of_memory)
    return vigil_error_set (err, ENOMEM, "cannot list the %s sockets of process %d", label,
                            (int) pid);
  /* ENOENT means that the kernel has no diagnostics handler for the
     family or protocol, because inet_diag, tcp_diag or udp_diag is not
     built or not loaded.  libnl turns it into NLE_OBJ_NOTFOUND.  */
  if (list->dump_errno == ENOENT || ret == -NLE_OBJ_NOTFOUND)
    return vigil_error_set (err, 0,
                            "cannot list the %s sockets of process %d: the kernel has no socket "
                            "diagnostics for them (load the inet_diag, tcp_diag and udp_diag modules)",
                            label, (int) pid);
  if (list->dump_errno != 0)
    return vigil_error_set (err, list->dump_errno, "cannot list the %s sockets of process %d",
                            label, (int) pid);
  if (ret < 0)
    return vigil_error_set (err, 0, "cannot list the %s sockets of process %d: %s", label,
                            (int) pid, nl_geterror (ret));
  return 0;
}

static int
compare_inode (const void *a, const void *b)
{
  const struct netdiag_socket *x = a, *y = b;

  return (x->inode > y->inode) - (x->inode < y->inode);
}

/* The output order: protocol, family, port, then address.  */
static int
compare_listing (const void *a, const void *b)
{
  const struct netdiag_socket *x = a, *y = b;

  if (x->protocol != y->protocol)
    return x->protocol - y->protocol;
  if (x->family != y->family)
    return x->family - y->family;
  if (x->port != y->port)
    return x->port < y->port ? -1 : 1;
  return strcmp (x->address, y->address);
}

/* Sort by inode and drop repeats.  A dump is not atomic, so a socket can
   show up twice when the kernel's table changes between two parts.
   NOTE: such a change can also make the dump miss a socket, and nothing
   here retries.  */
static void
sort_unique_by_inode (struct socket_list *list)
{
  size_t i, unique = 0;

  qsort (list->v, list->n, sizeof (*list->v), compare_inode);
  for (i = 0; i < list->n; i++)
    {
      if (unique > 0 && list->v[i].inode != 0 && list->v[i].inode == list->v[unique - 1].inode)
        continue;
      list->v[unique++] = list->v[i];
    }
  list->n = unique;
}

/* Parse "socket:[INODE]", the target of a socket's /proc/PID/fd link.  */
static bool
parse_socket_link (const char *link, unsigned long *inode)
{
  char *end;

  if (strncmp (link, "socket:[", 8) != 0 || link[8] < '0' || link[8] > '9')
    return false;
  errno = 0;
  *inode = strtoul (link + 8, &end, 10);
  return errno == 0 && strcmp (end, "]") == 0;
}

static bool
parse_pid (const char *name, pid_t *pid)
{
  char *end;
  long v;

  if (name[0] < '1' || name[0] > '9')
    return false;
  errno = 0;
  v = strtol (name, &end, 10);
  if (errno != 0 || *end != '\0' || v <= 0 || v > INT_MAX)
    return false;
  *pid = (pid_t) v;
  return true;
}

/* Read /proc/PID/comm without its newline.  */
static int
read_comm (int procfd, pid_t pid, char comm[16])
{
  cleanup_close int fd = -1;
  char path[64], buf[32];
  ssize_t len;

  snprintf (path, sizeof (path), "%d/comm", (int) pid);
  fd = openat (procfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  len = read (fd, buf, sizeof (buf) - 1);
  if (len < 0)
    return -errno;
  buf[len] = '\0';
  len = (ssize_t) strcspn (buf, "\n");
  if (len > 15)
    len = 15;
  memcpy (comm, buf, (size_t) len);
  comm[len] = '\0';
  return 0;
}

/* Record pid as the owner of each listed socket that one of its fds
   refers to, unless a lower pid already owns it.  list is sorted by
   inode.  A process that exits meanwhile is skipped.  */
static void
scan_process_fds (int procfd, pid_t pid, struct socket_list *list)
{
  cleanup_dir DIR *dir = NULL;
  struct dirent *e;
  char path[64], comm[16];
  bool have_comm = false;
  int fd;

  snprintf (path, sizeof (path), "%d/fd", (int) pid);
  fd = openat (procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return;
  dir = fdopendir (fd);
  if (dir == NULL)
    {
      close (fd);
      return;
    }

  while ((e = readdir (dir)) != NULL)
    {
      struct netdiag_socket key, *s;
      char link[64];
      ssize_t len = readlinkat (dirfd (dir), e->d_name, link, sizeof (link) - 1);

      if (len <= 0)
        continue;
      link[len] = '\0';
      if (!parse_socket_link (link, &key.inode))
        continue;
      s = bsearch (&key, list->v, list->n, sizeof (*list->v), compare_inode);
      if (s == NULL || (s->pid != 0 && s->pid <= pid))
        continue;

      if (!have_comm && read_comm (procfd, pid, comm) < 0)
        return;
      have_comm = true;
      s->pid = pid;
      memcpy (s->comm, comm, sizeof (s->comm));
    }
}

/* Find the owners of the sockets in list among the processes whose
   network namespace is ns.  Processes that exit during the scan, or
   whose namespace or fds cannot be read, are skipped.  */
static int
find_owners (const struct stat *ns, struct socket_list *list, vigil_error_t *err)
{
  cleanup_dir DIR *proc = NULL;
  struct dirent *e;

  proc = opendir ("/proc");
  if (proc == NULL)
    return vigil_error_set (err, errno, "cannot open /proc");

  for (errno = 0; (e = readdir (proc)) != NULL; errno = 0)
    {
      char path[64];
      struct stat st;
      pid_t pid;

      if (!parse_pid (e->d_name, &pid))
        continue;
      snprintf (path, sizeof (path), "%d/ns/net", (int) pid);
      if (fstatat (dirfd (proc), path, &st, 0) < 0)
        continue;
      if (st.st_dev != ns->st_dev || st.st_ino != ns->st_ino)
        continue;
      scan_process_fds (dirfd (proc), pid, list);
    }
  if (errno != 0)
    return vigil_error_set (err, errno, "cannot read /proc");
  return 0;
}

int
netdiag_listening (pid_t pid, struct netdiag_socket **out, size_t *n, vigil_error_t *err)
{
  static const struct
  {
    int family;
    int protocol;
  } dumps[] = {
    { AF_INET, IPPROTO_TCP },
    { AF_INET6, IPPROTO_TCP },
    { AF_INET, IPPROTO_UDP },
    { AF_INET6, IPPROTO_UDP },
  };
  cleanup_socket_list struct socket_list list = { 0 };
  cleanup_nl_sock struct nl_sock *sk = NULL;
  cleanup_close int nsfd = -1;
  struct stat ns;
  size_t i;

  if (out == NULL || n == NULL)
    return vigil_error_set (err, 0, "netdiag_listening: out and n must not be NULL");
  *out = NULL;
  *n = 0;
  if (pid <= 0)
    return vigil_error_set (err, 0, "invalid pid %d", (int) pid);

  if (open_netns (pid, &nsfd, err) < 0)
    return -1;
  if (fstat (nsfd, &ns) < 0)
    return vigil_error_set (err, errno, "cannot stat the network namespace of process %d",
                            (int) pid);
  if (connect_in_netns (nsfd, pid, &sk, err) < 0)
    return -1;

  for (i = 0; i < sizeof (dumps) / sizeof (dumps[0]); i++)
    if (dump_sockets (sk, dumps[i].family, dumps[i].protocol, &list, pid, err) < 0)
      return -1;

  if (list.n > 0)
    {
      sort_unique_by_inode (&list);
      if (find_owners (&ns, &list, err) < 0)
        return -1;
      qsort (list.v, list.n, sizeof (*list.v), compare_listing);
    }

  *n = list.n;
  *out = take_ptr (&list.v);
  return 0;
}
