#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/net.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <linux/capability.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/exec_policy.h"
#include "agent/net_sensor.h"
#include "agent/open_sensor.h"
#include "agent/netdiag.h"
#include "common/cleanup.h"
#include "common/kernel-compat.h"
#include "common/log.h"
#include "policy/netaddr.h"
#include "seccomp/target_mem.h"

/* Largest datagram the agent sends for a target: an IPv4 or IPv6 UDP
   payload cannot be larger.  */
#define MAX_DATAGRAM 65535
/* Most bytes of one stream send the agent makes for a target; a stream
   send may send less than it was given.  */
#define STREAM_CHUNK (256 * 1024)

enum net_op
{
  NET_OP_SOCKET,
  NET_OP_BIND,
  NET_OP_LISTEN,
  NET_OP_CONNECT,
  NET_OP_SENDTO,
  NET_OP_CONNECT_WAIT, /* a connect already started: wait for its outcome */
};

struct net_call
{
  enum net_op op;
  uint64_t args[6];
};

/* The socket a call is made on, with the family, type and protocol the
   kernel reports for it.  */
struct net_socket
{
  int fd;        /* the target's socket, duplicated into the agent */
  int pidfd;     /* the target process */
  int domain;
  int type;
  int protocol;
  bool nonblocking;
};

/* ---------------------------------------------------------------------
   Workers.  */

struct net_job
{
  int notify_fd;
  uint64_t id;
  int sock;
  int pidfd;        /* the target: the job ends when it exits */
  enum net_op op;
  struct sockaddr_storage addr;
  socklen_t addrlen;
  void *data;
  size_t len;
  int flags;
  int timeout_ms;   /* NET_OP_CONNECT_WAIT: the socket's own send timeout, -1 for none */
  bool as_target;   /* make the call with the target's credentials and root */
  pid_t tid;        /* as_target: the thread that made the call */
  int backlog;      /* NET_OP_LISTEN */
  uint64_t deadline_ms; /* NET_OP_CONNECT_WAIT: monotonic, 0 for none */
  struct net_job *next;
};

#define MAX_WORKERS 64

struct net_workers
{
  pthread_mutex_t lock;
  pthread_cond_t wake;
  pthread_cond_t gone;
  struct net_job *head, *tail;
  unsigned threads, idle;
  bool stopping;
  size_t resp_size;

  /* The waiter: one thread that waits for every connect in progress (its
     socket and the target's pidfd in one epoll set), so that a connect
     that hangs keeps no worker busy.  */
  bool waiter_started;
  pthread_t waiter;
  int waiter_epfd;
  int waiter_wake;          /* eventfd: a new deadline, or stop */
  struct net_job *waiting;  /* owned by the waiter once added */
  struct net_job *incoming; /* added by other threads, under lock */
};

static void
job_free (struct net_job *j)
{
  if (j->sock >= 0)
    close (j->sock);
  if (j->pidfd >= 0)
    close (j->pidfd);
  if (j->notify_fd >= 0)
    close (j->notify_fd);
  free (j->data);
  free (j);
}

/* The outcome of a connect whose socket became writable: 0 or -error.  */
static int64_t
connect_outcome (int sock)
{
  socklen_t len = sizeof (int);
  int err = 0;

  if (getsockopt (sock, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
    return -errno;
  return err == 0 ? 0 : -err;
}

/* Every connect and sendto the agent makes for a target runs under a
   deadline: a timer of the calling thread sends it DEADLINE_SIGNAL, whose
   handler does nothing and does not restart calls, so the call returns
   EINTR.  Neither the target's send timeout, which another of its threads
   can change at any moment, nor its O_NONBLOCK flag, which it can clear,
   can then hold an agent thread longer.  A connect goes on in the kernel
   after EINTR, and the waiter awaits its outcome.  */
#define DEADLINE_SIGNAL (SIGRTMIN + 2)
/* A loopback handshake completes within the connect call.  */
#define CALL_DEADLINE_US 1000
/* A blocking sendto waits for room in the socket's buffer.  */
#define SEND_DEADLINE_US 100000

static __thread timer_t deadline_timer;
static __thread bool deadline_ready;

static void
on_deadline (int sig)
{
  (void) sig;
}

/* Arm (us > 0) or disarm (0) the calling thread's deadline.  */
static void
deadline (long us)
{
  struct itimerspec its = { .it_value = { .tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000 } };

  if (!deadline_ready)
    {
      struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = DEADLINE_SIGNAL };

      sev._sigev_un._tid = (pid_t) syscall (SYS_gettid);
      if (timer_create (CLOCK_MONOTONIC, &sev, &deadline_timer) < 0)
        {
          log_error ("cannot create a deadline timer: %s", strerror (errno));
          return;
        }
      deadline_ready = true;
    }
  if (timer_settime (deadline_timer, 0, &its, NULL) < 0)
    log_error ("cannot set a deadline timer: %s", strerror (errno));
}

/* The socket's own send timeout in ms, which bounds a blocking connect;
   -1 for none.  */
static int
send_timeout_ms (int sock)
{
  struct timeval own;
  socklen_t olen = sizeof (own);

  if (getsockopt (sock, SOL_SOCKET, SO_SNDTIMEO, &own, &olen) < 0 || (own.tv_sec == 0 && own.tv_usec == 0))
    return -1;
  return (int) (own.tv_sec * 1000 + own.tv_usec / 1000);
}

/* Connect under the deadline.  Returns the result, or -EINPROGRESS when
   the handshake goes on after it (*cut is then set) or was already under
   way (a connect restarted after a signal, which a blocking connect waits
   for).  */
static int64_t
connect_within_deadline (int sock, const struct sockaddr_storage *addr, socklen_t len, bool *cut)
{
  int64_t result;

  deadline (CALL_DEADLINE_US);
  result = connect (sock, (const struct sockaddr *) addr, len) == 0 ? 0 : -errno;
  deadline (0);
  *cut = result == -EINTR;
  if (result == -EINTR || result == -EALREADY)
    result = -EINPROGRESS;
  return result;
}

static int64_t
sendto_within_deadline (int sock, const void *data, size_t len, int flags, const struct sockaddr_storage *addr,
                        socklen_t addrlen, long us)
{
  ssize_t n;

  deadline (us);
  n = sendto (sock, data, len, flags, addrlen ? (const struct sockaddr *) addr : NULL, addrlen);
  deadline (0);
  return n >= 0 ? n : -errno;
}

static void waiter_add (struct net_workers *w, struct net_job *j);

static void
job_respond (struct net_job *j, struct seccomp_notif_resp *resp, size_t resp_size, int64_t result)
{
  int ret = notify_respond_result (j->notify_fd, resp, resp_size, j->id, result);

  if (ret < 0)
    log_error ("respond to notification %llu: %s", (unsigned long long) j->id, strerror (-ret));
}

/* Calls made as the target.  For unix sockets and families other than IP
   the kernel checks the caller's permissions (on the socket file, for
   multicast groups, for privileged ports), resolves paths from the
   caller's root and directory, and passes the caller's credentials to the
   peer.  If the target made such a call after the decision, another of
   its threads could first put another socket under the fd number.  So a
   worker makes the call on the socket that was checked, after taking on
   the target's root, working directory, umask, groups, ids and effective
   capabilities.  All of these are per thread: the fs_struct after
   unshare(CLONE_FS), and the raw id system calls.  The real and saved
   user ids stay 0, so the worker keeps the permitted capabilities it
   needs to change back.  */
struct target_creds
{
  uid_t euid;
  gid_t egid;
  gid_t groups[64];
  int n_groups;
  uint64_t cap_eff;
  mode_t umask;
};

static __thread bool own_fs;
static __thread int agent_root = -1, agent_cwd = -1;

static int
read_creds (pid_t tid, struct target_creds *cr)
{
  char path[64], line[1024];
  cleanup_file FILE *f = NULL;
  unsigned long long cap;
  unsigned long v;
  int found = 0;

  memset (cr, 0, sizeof (*cr));
  cr->umask = 022;
  snprintf (path, sizeof (path), "/proc/%d/status", (int) tid);
  f = fopen (path, "re");
  if (f == NULL)
    return -errno;
  while (fgets (line, sizeof (line), f) != NULL)
    {
      unsigned long r, e;
      if (sscanf (line, "Uid: %lu %lu", &r, &e) == 2)
        cr->euid = (uid_t) e, found |= 1;
      else if (sscanf (line, "Gid: %lu %lu", &r, &e) == 2)
        cr->egid = (gid_t) e, found |= 2;
      else if (sscanf (line, "CapEff: %llx", &cap) == 1)
        cr->cap_eff = cap, found |= 4;
      else if (sscanf (line, "Umask: %lo", &v) == 1)
        cr->umask = (mode_t) v;
      else if (strncmp (line, "Groups:", 7) == 0)
        {
          char *p = line + 7, *end;
          while (cr->n_groups < 64 && (v = strtoul (p, &end, 10), end != p))
            {
              cr->groups[cr->n_groups++] = (gid_t) v;
              p = end;
            }
        }
    }
  return found == 7 ? 0 : -EINVAL;
}

static int
set_effective_caps (uint64_t eff)
{
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2];

  if (syscall (SYS_capget, &hdr, data) < 0)
    return -errno;
  data[0].effective = (uint32_t) eff & data[0].permitted;
  data[1].effective = (uint32_t) (eff >> 32) & data[1].permitted;
  return syscall (SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

/* Take on the root, directory and credentials of tid.  */
static int
become_target (pid_t tid, const struct target_creds *cr)
{
  char path[64];
  cleanup_close int root = -1, cwd = -1;

  if (!own_fs)
    {
      if (unshare (CLONE_FS) < 0)
        return -errno;
      agent_root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      agent_cwd = open (".", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (agent_root < 0 || agent_cwd < 0)
        return -errno;
      own_fs = true;
    }
  snprintf (path, sizeof (path), "/proc/%d/root", (int) tid);
  root = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  snprintf (path, sizeof (path), "/proc/%d/cwd", (int) tid);
  cwd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0 || cwd < 0 || fchdir (root) < 0 || chroot (".") < 0 || fchdir (cwd) < 0)
    return -errno;
  umask (cr->umask);
  if (syscall (SYS_setgroups, (size_t) cr->n_groups, cr->groups) < 0
      || syscall (SYS_setresgid, (gid_t) -1, cr->egid, (gid_t) -1) < 0
      || syscall (SYS_setresuid, (uid_t) -1, cr->euid, (uid_t) -1) < 0)
    return -errno;
  return set_effective_caps (cr->cap_eff);
}

/* Come back to the agent's own root and credentials.  */
static int
become_agent (void)
{
  if (syscall (SYS_setresuid, (uid_t) -1, (uid_t) 0, (uid_t) -1) < 0 || set_effective_caps (~0ULL) < 0
      || syscall (SYS_setresgid, (gid_t) -1, (gid_t) 0, (gid_t) -1) < 0
      || syscall (SYS_setgroups, (size_t) 0, NULL) < 0 || fchdir (agent_root) < 0 || chroot (".") < 0
      || fchdir (agent_cwd) < 0)
    return -errno;
  umask (022);
  return 0;
}

static int64_t
run_as_target (struct net_job *j, bool *broken)
{
  struct target_creds cr;
  int64_t result;
  int ret;

  ret = read_creds (j->tid, &cr);
  if (ret < 0)
    return ret == -ENOENT ? -ESRCH : ret;
  ret = become_target (j->tid, &cr);
  if (ret < 0)
    result = ret;
  else
    {
      deadline (SEND_DEADLINE_US);
      switch (j->op)
        {
        case NET_OP_BIND:
          result = bind (j->sock, (struct sockaddr *) &j->addr, j->addrlen) == 0 ? 0 : -errno;
          break;
        case NET_OP_LISTEN:
          result = listen (j->sock, j->backlog) == 0 ? 0 : -errno;
          break;
        case NET_OP_CONNECT:
          result = connect (j->sock, (struct sockaddr *) &j->addr, j->addrlen) == 0 ? 0 : -errno;
          break;
        default:
          {
            ssize_t n = sendto (j->sock, j->data, j->len, j->flags,
                                j->addrlen ? (struct sockaddr *) &j->addr : NULL, j->addrlen);
            result = n >= 0 ? n : -errno;
          }
          break;
        }
      deadline (0);
    }
  *broken = become_agent () < 0;
  if (*broken)
    log_error ("a network worker cannot take back the agent's credentials (%s); it stops",
               strerror (errno));
  return result;
}

/* Make the call of j.  Returns false when j went on to the waiter, which
   then owns it.  */
static bool
job_run (struct net_workers *w, struct net_job *j, struct seccomp_notif_resp *resp)
{
  int64_t result;

  if (j->as_target)
    {
      bool broken = false;

      result = run_as_target (j, &broken);
      if (result != -ESRCH)
        job_respond (j, resp, w->resp_size, result);
      if (broken)
        {
          /* A thread that cannot come back must make no other call.  */
          job_free (j);
          pthread_mutex_lock (&w->lock);
          w->threads--;
          pthread_cond_signal (&w->gone);
          pthread_mutex_unlock (&w->lock);
          free (resp);
          pthread_exit (NULL);
        }
      return true;
    }
  if (j->op == NET_OP_CONNECT)
    {
      bool cut;

      result = connect_within_deadline (j->sock, &j->addr, j->addrlen, &cut);
      if (result == -EINPROGRESS)
        {
          j->op = NET_OP_CONNECT_WAIT;
          j->timeout_ms = send_timeout_ms (j->sock);
          waiter_add (w, j);
          return false;
        }
    }
  else
    result = sendto_within_deadline (j->sock, j->data, j->len, j->flags, &j->addr, j->addrlen, SEND_DEADLINE_US);
  job_respond (j, resp, w->resp_size, result);
  return true;
}

static void *
worker_main (void *data)
{
  struct net_workers *w = data;
  struct seccomp_notif_resp *resp = calloc (1, w->resp_size);

  pthread_mutex_lock (&w->lock);
  for (;;)
    {
      struct net_job *j;

      while (w->head == NULL && !w->stopping)
        pthread_cond_wait (&w->wake, &w->lock);
      if (w->head == NULL)
        break;
      j = w->head;
      w->head = j->next;
      if (w->head == NULL)
        w->tail = NULL;
      w->idle--;
      pthread_mutex_unlock (&w->lock);

      if (resp == NULL || job_run (w, j, resp))
        job_free (j);

      pthread_mutex_lock (&w->lock);
      w->idle++;
    }
  w->threads--;
  w->idle--;
  pthread_cond_signal (&w->gone);
  pthread_mutex_unlock (&w->lock);
  free (resp);
  return NULL;
}

/* Start a thread unless one is idle; called with the lock held.  */
static int
grow (struct net_workers *w)
{
  pthread_attr_t attr;
  pthread_t t;
  int ret;

  if (w->idle > 0 || w->threads >= MAX_WORKERS)
    return 0;
  pthread_attr_init (&attr);
  pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize (&attr, 64 * 1024);
  ret = pthread_create (&t, &attr, worker_main, w);
  pthread_attr_destroy (&attr);
  if (ret != 0)
    return -ret;
  w->threads++;
  w->idle++;
  return 0;
}

#define PIDFD_TAG 1

static void
waiter_forget (struct net_workers *w, struct net_job *j)
{
  struct net_job **pp;

  epoll_ctl (w->waiter_epfd, EPOLL_CTL_DEL, j->sock, NULL);
  if (j->pidfd >= 0)
    epoll_ctl (w->waiter_epfd, EPOLL_CTL_DEL, j->pidfd, NULL);
  for (pp = &w->waiting; *pp != NULL; pp = &(*pp)->next)
    if (*pp == j)
      {
        *pp = j->next;
        break;
      }
  job_free (j);
}

/* Move the connects added since the last round into the epoll set.  */
static void
waiter_take_incoming (struct net_workers *w, struct seccomp_notif_resp *resp)
{
  struct net_job *j, *next;

  pthread_mutex_lock (&w->lock);
  j = w->incoming;
  w->incoming = NULL;
  pthread_mutex_unlock (&w->lock);
  for (; j != NULL; j = next)
    {
      struct epoll_event sev = { .events = EPOLLOUT, .data.u64 = (uintptr_t) j };
      struct epoll_event pev = { .events = EPOLLIN, .data.u64 = (uintptr_t) j | PIDFD_TAG };

      next = j->next;
      if (epoll_ctl (w->waiter_epfd, EPOLL_CTL_ADD, j->sock, &sev) < 0
          || (j->pidfd >= 0 && epoll_ctl (w->waiter_epfd, EPOLL_CTL_ADD, j->pidfd, &pev) < 0))
        {
          /* Without the set, wait is impossible: report the connect as
             still in progress, as a connect that timed out would.  */
          log_error ("cannot wait for a connect in progress: %s", strerror (errno));
          epoll_ctl (w->waiter_epfd, EPOLL_CTL_DEL, j->sock, NULL);
          job_respond (j, resp, w->resp_size, -EINPROGRESS);
          job_free (j);
          continue;
        }
      j->next = w->waiting;
      w->waiting = j;
    }
}

static void *
waiter_main (void *data)
{
  struct net_workers *w = data;
  struct seccomp_notif_resp *resp = calloc (1, w->resp_size);
  struct epoll_event events[32];

  for (;;)
    {
      uint64_t now, nearest = 0;
      struct net_job *j, *next;
      int i, n, timeout = -1;
      bool stopping;

      pthread_mutex_lock (&w->lock);
      stopping = w->stopping;
      pthread_mutex_unlock (&w->lock);
      if (stopping || resp == NULL)
        break;
      waiter_take_incoming (w, resp);

      /* Connects whose socket has a send timeout end at its deadline.  */
      now = monotonic_ms ();
      for (j = w->waiting; j != NULL; j = next)
        {
          next = j->next;
          if (j->deadline_ms != 0 && j->deadline_ms <= now)
            {
              job_respond (j, resp, w->resp_size, -EINPROGRESS);
              waiter_forget (w, j);
            }
          else if (j->deadline_ms != 0 && (nearest == 0 || j->deadline_ms < nearest))
            nearest = j->deadline_ms;
        }
      if (nearest != 0)
        timeout = (int) (nearest - now);

      n = epoll_wait (w->waiter_epfd, events, 32, timeout);
      for (i = 0; i < n; i++)
        {
          uint64_t tag = events[i].data.u64;
          if (tag == 0)
            {
              uint64_t count;
              if (read (w->waiter_wake, &count, sizeof (count)) < 0 && errno != EAGAIN)
                log_error ("read the waiter's eventfd: %s", strerror (errno));
              continue;
            }
          j = (struct net_job *) (uintptr_t) (tag & ~(uint64_t) PIDFD_TAG);
          /* An earlier event of this round may have ended it.  */
          for (next = w->waiting; next != NULL && next != j; next = next->next)
            ;
          if (next == NULL)
            continue;
          if (!(tag & PIDFD_TAG))
            job_respond (j, resp, w->resp_size, connect_outcome (j->sock));
          /* Else the target exited, and no process waits for the outcome.  */
          waiter_forget (w, j);
        }
    }
  while (w->waiting != NULL)
    waiter_forget (w, w->waiting);
  free (resp);
  return NULL;
}

static int
waiter_start (struct net_workers *w)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0 };
  int ret;

  if (w->waiter_epfd < 0)
    w->waiter_epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (w->waiter_wake < 0)
    {
      w->waiter_wake = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
      if (w->waiter_epfd >= 0 && w->waiter_wake >= 0
          && epoll_ctl (w->waiter_epfd, EPOLL_CTL_ADD, w->waiter_wake, &ev) < 0)
        {
          ret = -errno;
          close (w->waiter_wake);
          w->waiter_wake = -1;
          return ret;
        }
    }
  if (w->waiter_epfd < 0 || w->waiter_wake < 0)
    return -errno;
  ret = pthread_create (&w->waiter, NULL, waiter_main, w);
  if (ret != 0)
    return -ret;
  w->waiter_started = true;
  return 0;
}

/* Hand a connect in progress to the waiter (which starts on first use).  */
static void
waiter_add (struct net_workers *w, struct net_job *j)
{
  uint64_t one = 1;
  bool added = false;
  int ret = 0;

  j->deadline_ms = j->timeout_ms >= 0 ? monotonic_ms () + (uint64_t) j->timeout_ms : 0;
  pthread_mutex_lock (&w->lock);
  if (!w->waiter_started && !w->stopping)
    ret = waiter_start (w);
  if (ret == 0 && w->waiter_started)
    {
      j->next = w->incoming;
      w->incoming = j;
      added = true;
    }
  pthread_mutex_unlock (&w->lock);
  if (!added)
    {
      /* The connect goes on in the kernel; the process hears of it as of
         a connect whose send timeout passed.  */
      struct seccomp_notif_resp *resp = calloc (1, w->resp_size);

      log_error ("cannot start the thread that waits for connects: %s",
                 strerror (ret < 0 ? -ret : ESHUTDOWN));
      if (resp != NULL)
        job_respond (j, resp, w->resp_size, -EINPROGRESS);
      free (resp);
      job_free (j);
      return;
    }
  if (write (w->waiter_wake, &one, sizeof (one)) < 0)
    log_error ("wake the waiter: %s", strerror (errno));
}

int
net_workers_start (struct net_workers **out, const struct notify_sizes *sizes, vigil_error_t *err)
{
  struct net_workers *w = calloc (1, sizeof (*w));

  if (w == NULL)
    return vigil_error_set (err, ENOMEM, "start network workers");
  pthread_mutex_init (&w->lock, NULL);
  pthread_cond_init (&w->wake, NULL);
  pthread_cond_init (&w->gone, NULL);
  w->resp_size = sizes->resp;
  w->waiter_epfd = w->waiter_wake = -1;
  {
    struct sigaction sa = { .sa_handler = on_deadline, .sa_flags = 0 };
    sigemptyset (&sa.sa_mask);
    if (sigaction (DEADLINE_SIGNAL, &sa, NULL) < 0)
      return vigil_error_set (err, errno, "install the handler of the call deadline");
  }
  *out = w;
  return 0;
}

void
net_workers_stop (struct net_workers *w)
{
  struct timespec deadline;

  if (w == NULL)
    return;
  pthread_mutex_lock (&w->lock);
  w->stopping = true;
  pthread_cond_broadcast (&w->wake);
  /* Idle threads leave at once; one blocked in a sendto on a full socket
     is left to the end of the process.  */
  clock_gettime (CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 1;
  while (w->threads > 0)
    if (pthread_cond_timedwait (&w->gone, &w->lock, &deadline) == ETIMEDOUT)
      break;
  if (w->threads > 0)
    {
      log_warning ("%u network calls still blocked at exit", w->threads);
      pthread_mutex_unlock (&w->lock);
      return; /* the threads still use w */
    }
  while (w->head != NULL)
    {
      struct net_job *j = w->head;
      w->head = j->next;
      job_free (j);
    }
  pthread_mutex_unlock (&w->lock);
  if (w->waiter_started)
    {
      uint64_t one = 1;
      if (write (w->waiter_wake, &one, sizeof (one)) < 0)
        log_error ("wake the waiter: %s", strerror (errno));
      pthread_join (w->waiter, NULL);
    }
  while (w->incoming != NULL)
    {
      struct net_job *j = w->incoming;
      w->incoming = j->next;
      job_free (j);
    }
  if (w->waiter_epfd >= 0)
    close (w->waiter_epfd);
  if (w->waiter_wake >= 0)
    close (w->waiter_wake);
  pthread_mutex_destroy (&w->lock);
  pthread_cond_destroy (&w->wake);
  pthread_cond_destroy (&w->gone);
  free (w);
}

static int
enqueue (struct net_workers *w, struct net_job *j)
{
  int ret;

  pthread_mutex_lock (&w->lock);
  ret = grow (w);
  if (ret == 0 || w->threads > 0)
    {
      j->next = NULL;
      if (w->tail != NULL)
        w->tail->next = j;
      else
        w->head = j;
      w->tail = j;
      pthread_cond_signal (&w->wake);
      ret = 0;
    }
  pthread_mutex_unlock (&w->lock);
  return ret;
}

/* ---------------------------------------------------------------------
   Decoding.  */

bool
net_sensor_handles (const struct exec_syscalls *nrs, const struct seccomp_notif *req)
{
  int i = exec_syscalls_match (nrs, req);
  int nr = req->data.nr;

  if (i < 0)
    return false;
  return exec_syscalls_is (nr, nrs->table[i].bind) || exec_syscalls_is (nr, nrs->table[i].listen)
         || exec_syscalls_is (nr, nrs->table[i].connect) || exec_syscalls_is (nr, nrs->table[i].sendto)
         || exec_syscalls_is (nr, nrs->table[i].socket) || exec_syscalls_is (nr, nrs->table[i].socketcall);
}

/* Which call req is, with its arguments.  socketcall (32-bit x86) passes
   them in the target's memory: they are read once, and what the agent
   does afterwards uses this copy.  Returns 0, -ENOSYS for a call the
   sensor does not decide, or another negative errno.  */
static int
decode_call (const struct exec_syscalls *nrs, const struct seccomp_notif *req, struct net_call *call)
{
  int i = exec_syscalls_match (nrs, req);
  int nr = req->data.nr;
  uint32_t packed[6];
  unsigned count, k;
  int ret;

  memcpy (call->args, req->data.args, sizeof (call->args));
  if (exec_syscalls_is (nr, nrs->table[i].socket))
    call->op = NET_OP_SOCKET;
  else if (exec_syscalls_is (nr, nrs->table[i].bind))
    call->op = NET_OP_BIND;
  else if (exec_syscalls_is (nr, nrs->table[i].listen))
    call->op = NET_OP_LISTEN;
  else if (exec_syscalls_is (nr, nrs->table[i].connect))
    call->op = NET_OP_CONNECT;
  else if (exec_syscalls_is (nr, nrs->table[i].sendto))
    call->op = NET_OP_SENDTO;
  else if (exec_syscalls_is (nr, nrs->table[i].socketcall))
    {
      switch (req->data.args[0])
        {
        case SYS_SOCKET:
          call->op = NET_OP_SOCKET;
          count = 3;
          break;
        case SYS_BIND:
          call->op = NET_OP_BIND;
          count = 3;
          break;
        case SYS_CONNECT:
          call->op = NET_OP_CONNECT;
          count = 3;
          break;
        case SYS_LISTEN:
          call->op = NET_OP_LISTEN;
          count = 2;
          break;
        case SYS_SENDTO:
          call->op = NET_OP_SENDTO;
          count = 6;
          break;
        default:
          return -ENOSYS;
        }
      ret = target_read_bytes ((pid_t) req->pid, req->data.args[1], packed, count * sizeof (packed[0]));
      if (ret < 0)
        return ret;
      memset (call->args, 0, sizeof (call->args));
      for (k = 0; k < count; k++)
        call->args[k] = packed[k];
    }
  else
    return -ENOSYS;
  return 0;
}

static const char *
protocol_text (int protocol, char *buf, size_t size)
{
  const char *name = netaddr_protocol_name (protocol);

  if (name != NULL && protocol != IPPROTO_IP)
    return name;
  snprintf (buf, size, "ip-%d", protocol);
  return buf;
}

/* ---------------------------------------------------------------------
   Decisions.  */

static void
learn (struct model *m, const struct model_net *e, const char *what)
{
  int added = model_add_net (m, e, "learned", (int64_t) time (NULL));

  if (added > 0)
    log_info ("model `%s`: learned %s %s", m->key, model_net_kind_name (e->kind), what);
  else if (added < 0)
    log_error ("model `%s`: cannot add %s %s", m->key, model_net_kind_name (e->kind), what);
}

static void
alert (struct agent *a, struct agent_container *c, const struct model_net *e, pid_t pid, const char *what,
       const char *reason, const char *action)
{
  char comm[32] = "", path[64], key[sizeof (e->address) + 64];
  cleanup_close int fd = -1;
  struct alert al;
  ssize_t n;

  snprintf (path, sizeof (path), "/proc/%d/comm", (int) pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0 && (n = read (fd, comm, sizeof (comm) - 1)) > 0)
    comm[n - (comm[n - 1] == '\n')] = '\0';

  exec_policy_alert_init (&al, c);
  al.sensor = "network";
  al.direction = model_net_kind_name (e->kind);
  al.protocol = e->protocol;
  al.address = e->address[0] ? e->address : NULL;
  al.port = e->kind == MODEL_NET_SOCKET ? -1 : (int) e->port;
  al.argv0 = comm[0] ? comm : NULL;
  al.pid = (int) pid;
  al.reason = reason;
  al.action = action;
  if (model_net_key (e, key, sizeof (key)) < 0)
    snprintf (key, sizeof (key), "%s", what);
  policy_alert_write (a, c, &al, key);
}

/* Stratum ports that mining pools use and few other services do.  */
static bool
is_pool_port (unsigned port)
{
  static const unsigned ports[] = { 3333, 14433, 14444, 45560, 45700 };
  size_t i;

  for (i = 0; i < sizeof (ports) / sizeof (ports[0]); i++)
    if (port == ports[i])
      return true;
  return false;
}

/* The rule's verdict on e.  A unix socket path is matched as the process
   wrote it and as the file it reaches, so that /var/run/x, /run//x, a
   relative path or a link cannot escape a blocked entry.  An allowed entry
   must match the file it reaches.  */
static enum rule_verdict
unix_aware_verdict (const struct agent_container *c, const struct model_net *e, pid_t pid)
{
  enum rule_verdict raw = rule_net_verdict (c->rule, e), real;
  struct model_net file;

  /* Resolving the path costs a walk of it: only when the rule names one.  */
  if (c->rule == NULL || !c->rule->sections[RULE_NETWORK].net_paths || strcmp (e->protocol, "unix") != 0
      || e->address[0] == '\0' || e->address[0] == '@')
    return raw;
  file = *e;
  if (open_sensor_resolve_path (c, pid, e->address, file.address, sizeof (file.address)) < 0
      || strcmp (file.address, e->address) == 0)
    return raw;
  real = rule_net_verdict (c->rule, &file);
  if (raw == VERDICT_BLOCKED || real == VERDICT_BLOCKED)
    return VERDICT_BLOCKED;
  return real;
}

/* Allow, learn, relearn (dry run) or deny and alert one network entry.
   what describes it for logs.  */
static bool
decide (struct agent *a, struct agent_container *c, const struct model_net *e, pid_t pid, const char *what)
{
  struct model *m = c->model;
  enum rule_verdict verdict;
  const char *action;
  char reason[900];
  bool allow;

  /* Threat detection: addresses the operator's feed lists are refused in
     every mode.  */
  if (e->kind == MODEL_NET_CONNECT && strcmp (e->protocol, "unix") != 0)
    {
      const struct feed_entry *hit = address_feed_match (a->feed, e->address);
      if (hit != NULL)
        {
          allow = enforce_threat (a, c, RULE_NETWORK, true, &action);
          snprintf (reason, sizeof (reason), "high-risk address: destination %s is in %s (line %u)", what,
                    a->feed->path, hit->line);
          alert (a, c, e, pid, what, reason, action);
          return allow;
        }
    }
  /* A rule's blocked entries apply in every mode.  */
  verdict = unix_aware_verdict (c, e, pid);
  switch (verdict)
    {
    case VERDICT_BLOCKED:
      {
        char subject[512];
        snprintf (subject, sizeof (subject), "%s %s", model_net_kind_name (e->kind), what);
        enforce_rule_reason (c, subject, reason, sizeof (reason));
        allow = enforce_apply (a, c, enforce_effect (a, c, RULE_NETWORK), &action);
        if (action != NULL)
          alert (a, c, e, pid, what, reason, action);
        /* A weaker effect does not lift the checks below.  */
        if (!allow)
          return false;
        break;
      }
    case VERDICT_ALLOWED:
    case VERDICT_NONE:
      break;
    }
  /* Threat detection, in every mode: the ports mining pools listen on.  */
  if (e->kind == MODEL_NET_CONNECT && is_pool_port (e->port))
    {
      allow = enforce_threat (a, c, RULE_NETWORK, false, &action);
      snprintf (reason, sizeof (reason), "crypto miner: destination %s is on a port of mining pools", what);
      alert (a, c, e, pid, what, reason, action);
      return allow;
    }
  /* Allowed entries extend the model; threats are never exempted.  */
  if (verdict == VERDICT_ALLOWED)
    return true;
  if (model_has_net (m, e))
    return true;
  switch (lifecycle_anomaly (m, &a->lifecycle))
    {
    case ANOMALY_RELEARN:
      log_warning ("model `%s`: %s %s in container `%s` is outside the model during the dry run; "
                   "learning again for %llu s",
                   m->key, model_net_kind_name (e->kind), what, c->id,
                   (unsigned long long) (a->lifecycle.relearn_ms / 1000));
      learn (m, e, what);
      return true;
    case ANOMALY_LEARN:
      learn (m, e, what);
      return true;
    case ANOMALY_ENFORCE:
      break;
    }
  switch (e->kind)
    {
    case MODEL_NET_LISTEN:
      snprintf (reason, sizeof (reason), "listening on %s is not in the model", what);
      break;
    case MODEL_NET_CONNECT:
      snprintf (reason, sizeof (reason), "destination %s is not in the model", what);
      break;
    case MODEL_NET_SOCKET:
      if (capabilities_has (&c->caps, CAPABILITY_RAW_SOCKETS))
        return true;
      snprintf (reason, sizeof (reason), "%s socket is not in the model", what);
      break;
    }
  allow = enforce_apply (a, c, enforce_effect (a, c, RULE_NETWORK), &action);
  if (action != NULL)
    alert (a, c, e, pid, what, reason, action);
  return allow;
}

/* ---------------------------------------------------------------------
   Responses.  */

static void
respond_continue (struct agent *a, struct agent_notifier *n, uint64_t id)
{
  exec_sensor_respond (a, n, id, 0);
}

static void
respond_error (struct agent *a, struct agent_notifier *n, uint64_t id, int errnum)
{
  exec_sensor_respond (a, n, id, errnum);
}

static void
respond_result (struct agent *a, struct agent_notifier *n, uint64_t id, int64_t result)
{
  int ret = notify_respond_result (n->w.fd, a->resp, a->sizes.resp, id, result);

  if (ret < 0)
    log_error ("respond to notification %llu of container `%s`: %s", (unsigned long long) id,
               n->container->id, strerror (-ret));
}

/* Whether the model of c is enforced now (Active, past the dry run).  */
static bool
enforcing (struct agent *a, const struct agent_container *c)
{
  return c->model->mode == MODEL_ACTIVE && !lifecycle_in_dry_run (c->model, &a->lifecycle);
}

/* ---------------------------------------------------------------------
   socket(): raw and packet sockets.  Its arguments are registers, so
   letting the call run after the decision is safe.  */

static void
handle_socket (struct agent *a, struct agent_notifier *n, const struct seccomp_notif *req,
               const struct net_call *call)
{
  int family = (int) call->args[0], type = (int) (call->args[1] & 0xf), protocol = (int) call->args[2];
  const char *fname = netaddr_family_name (family), *tname = netaddr_type_name (type);
  struct model_net e = { .kind = MODEL_NET_SOCKET };
  char what[96];

  /* The filter sends SOCK_RAW of every family; only IP raw sockets and
     packet sockets need CAP_NET_RAW and see other traffic.  A netlink or
     other raw socket (glibc opens one for getaddrinfo) is no such thing:
     it is let through, unlearned.  The arguments are registers, so
     letting the call run after the decision is safe.  */
  if (family != AF_PACKET && family != AF_INET && family != AF_INET6)
    {
      respond_continue (a, n, req->id);
      return;
    }
  if (fname != NULL)
    snprintf (e.protocol, sizeof (e.protocol), "%s", fname);
  else
    snprintf (e.protocol, sizeof (e.protocol), "%d", family);
  if (tname != NULL)
    snprintf (e.type, sizeof (e.type), "%s", tname);
  else
    snprintf (e.type, sizeof (e.type), "%d", type);
  e.port = (unsigned) protocol & 0xffff;
  snprintf (what, sizeof (what), "%s %s (protocol %d)", e.protocol, e.type, protocol);

  if (decide (a, n->container, &e, (pid_t) req->pid, what))
    respond_continue (a, n, req->id);
  else
    respond_error (a, n, req->id, a->cfg->deny_errno);
}

/* ---------------------------------------------------------------------
   Calls on a socket.  */

static int
get_int_opt (int fd, int opt, int *out)
{
  socklen_t len = sizeof (*out);
  return getsockopt (fd, SOL_SOCKET, opt, out, &len);
}


/* A pidfd of the thread tid that notified.  Before Linux 6.9 a pidfd names
   a whole process: then the process's, which shares its fd table.  */
static int
open_thread_pidfd (pid_t tid)
{
  char path[64], line[128];
  cleanup_file FILE *f = NULL;
  int fd = (int) syscall (SYS_pidfd_open, tid, PIDFD_THREAD);
  long tgid = -1;

  if (fd >= 0 || errno != EINVAL)
    return fd;
  fd = (int) syscall (SYS_pidfd_open, tid, 0);
  if (fd >= 0 || errno != EINVAL)
    return fd; /* tid is the process's leader */
  snprintf (path, sizeof (path), "/proc/%d/status", (int) tid);
  f = fopen (path, "re");
  while (f != NULL && fgets (line, sizeof (line), f) != NULL)
    if (sscanf (line, "Tgid: %ld", &tgid) == 1)
      break;
  return tgid > 0 ? (int) syscall (SYS_pidfd_open, (pid_t) tgid, 0) : -1;
}

/* Duplicate the target's socket fd into the agent, and keep a pidfd of
   the target in s->pidfd.  Returns 0, -ESRCH when
   the target is gone, or a negative errno the call itself would have
   failed with (-EBADF, -ENOTSOCK), or another negative errno.  */
static int
take_socket (pid_t pid, int target_fd, struct net_socket *s)
{
  int flags;

  s->fd = -1;
  s->pidfd = open_thread_pidfd (pid);
  if (s->pidfd < 0)
    return -ESRCH;
  s->fd = (int) syscall (SYS_pidfd_getfd, s->pidfd, target_fd, 0);
  if (s->fd < 0)
    return -errno;
  /* getsockopt fails with ENOTSOCK on any other file.  */
  if (get_int_opt (s->fd, SO_DOMAIN, &s->domain) < 0 || get_int_opt (s->fd, SO_TYPE, &s->type) < 0
      || get_int_opt (s->fd, SO_PROTOCOL, &s->protocol) < 0)
    return -errno;
  flags = fcntl (s->fd, F_GETFL);
  s->nonblocking = flags >= 0 && (flags & O_NONBLOCK);
  return 0;
}

static bool
is_ip (const struct net_socket *s)
{
  return s->domain == AF_INET || s->domain == AF_INET6;
}

/* Read the address argument of bind, connect or sendto.  Returns 0, or
   the negative errno the kernel would fail the call with.  */
static int
read_address (pid_t pid, uint64_t addr, uint64_t len, struct sockaddr_storage *out, socklen_t *outlen)
{
  if ((int) len < 0 || len > sizeof (*out))
    return -EINVAL;
  memset (out, 0, sizeof (*out));
  *outlen = (socklen_t) len;
  return target_read_bytes (pid, addr, out, (size_t) len);
}

/* The IP address a bind, connect or sendto on the IP socket s reaches,
   decoded into out.  Returns 1 when there is one to decide, 0 when the
   kernel reaches none with these bytes (it rejects the family, or AF_UNSPEC
   dissolves an association or is ignored), or a negative errno for
   bytes too short for their family.  The kernel's own rules for mixed
   families decide which is which.  */
static int
ip_address_of (const struct net_socket *s, enum net_op op, const struct sockaddr_storage *addr,
               socklen_t len, struct netaddr *out, vigil_error_t *err)
{
  struct sockaddr_storage copy;
  int family = addr->ss_family;

  if (len < sizeof (sa_family_t))
    return -EINVAL;
  if (s->domain == AF_INET && family == AF_UNSPEC && op != NET_OP_CONNECT)
    {
      /* IPv4 sendto takes AF_UNSPEC for AF_INET, and so does bind for the
         wildcard address.  */
      memcpy (&copy, addr, sizeof (copy));
      copy.ss_family = AF_INET;
      addr = &copy;
    }
  else if (s->domain == AF_INET && family != AF_INET)
    return 0;
  else if (s->domain == AF_INET6 && family == AF_INET
           && (op == NET_OP_BIND || (s->type == SOCK_STREAM && s->protocol == IPPROTO_TCP)))
    return 0; /* only datagram (and SCTP) IPv6 sockets take IPv4 peers */
  else if (s->domain == AF_INET6 && family != AF_INET6 && family != AF_INET)
    return 0;
  if (netaddr_decode (addr, len, out, err) < 0)
    return -((*err)->errnum ? (*err)->errnum : EINVAL);
  return 1;
}

/* The entry of a local port or unix name that s listens on.  */
static void
listen_entry (const struct net_socket *s, const struct netaddr *local, struct model_net *e, char *what,
              size_t size)
{
  char proto[16];

  memset (e, 0, sizeof (*e));
  e->kind = MODEL_NET_LISTEN;
  if (s->domain == AF_UNIX)
    {
      snprintf (e->protocol, sizeof (e->protocol), "unix");
      snprintf (e->address, sizeof (e->address), "%s", local->text);
      snprintf (what, size, "unix:%s", local->text);
      return;
    }
  snprintf (e->protocol, sizeof (e->protocol), "%s", protocol_text (s->protocol, proto, sizeof (proto)));
  e->port = local->port;
  snprintf (what, size, "%s port %u", e->protocol, local->port);
}

static void
connect_entry (const struct net_socket *s, const struct netaddr *peer, struct model_net *e, char *what,
               size_t size)
{
  char proto[16], text[NETADDR_UNIX_TEXT_MAX + 16];

  memset (e, 0, sizeof (*e));
  e->kind = MODEL_NET_CONNECT;
  if (s->domain == AF_UNIX)
    snprintf (e->protocol, sizeof (e->protocol), "unix");
  else
    {
      snprintf (e->protocol, sizeof (e->protocol), "%s", protocol_text (s->protocol, proto, sizeof (proto)));
      e->port = peer->port;
    }
  snprintf (e->address, sizeof (e->address), "%s", peer->text);
  netaddr_format (peer, text, sizeof (text));
  snprintf (what, size, "%s %s", e->protocol, text);
}

/* Read a sysctl of the network namespace of pid: the files under
   /proc/sys/net show the namespace of the thread that opens them.
   NOTE: this enters the namespace on the calling thread and goes back with
   a second setns, which can fail (ENOMEM) and leave the thread there.
   netdiag.c enters on a short-lived thread instead; this read should too.  */
static long
netns_sysctl (pid_t pid, const char *path, long fallback)
{
  char nspath[64], buf[32];
  cleanup_close int target = -1, own = -1, fd = -1;
  ssize_t n;

  snprintf (nspath, sizeof (nspath), "/proc/%d/ns/net", (int) pid);
  target = open (nspath, O_RDONLY | O_CLOEXEC);
  own = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (target < 0 || own < 0 || setns (target, CLONE_NEWNET) < 0)
    return fallback;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (setns (own, CLONE_NEWNET) < 0)
    log_error ("cannot return to the agent's network namespace: %s", strerror (errno));
  if (fd < 0 || (n = read (fd, buf, sizeof (buf) - 1)) <= 0)
    return fallback;
  buf[n] = '\0';
  return strtol (buf, NULL, 10);
}

/* Whether the kernel would let pid bind port: ports below
   net.ipv4.ip_unprivileged_port_start of its namespace need
   CAP_NET_BIND_SERVICE.  The agent has it, so it checks the target's
   before binding on its behalf.  */
static bool
may_bind_port (pid_t pid, unsigned port)
{
  cap_flag_value_t v = CAP_CLEAR;
  cap_t caps;

  if (port == 0)
    return true;
  caps = cap_get_pid (pid);
  if (caps != NULL)
    {
      cap_get_flag (caps, CAP_NET_BIND_SERVICE, CAP_EFFECTIVE, &v);
      cap_free (caps);
    }
  if (v == CAP_SET)
    return true;
  return (long) port >= netns_sysctl (pid, "/proc/sys/net/ipv4/ip_unprivileged_port_start", 1024);
}

/* Give j, with the socket s and a copy of the notify fd, to the waiter (a
   connect in progress) or to a worker, which answers the notification.
   Takes j and s->fd; on failure the call fails with EAGAIN.  */
static void
hand_over (struct agent *a, struct agent_notifier *n, const struct seccomp_notif *req, struct net_socket *s,
           struct net_job *j)
{
  int ret = 0;

  j->id = req->id;
  j->notify_fd = fcntl (n->w.fd, F_DUPFD_CLOEXEC, 3);
  j->sock = s->fd;
  s->fd = -1;
  j->pidfd = s->pidfd;
  s->pidfd = -1;
  if (j->notify_fd < 0)
    ret = -errno;
  else if (j->op == NET_OP_CONNECT_WAIT)
    {
      waiter_add (a->net_workers, j);
      return;
    }
  else
    ret = enqueue (a->net_workers, j);
  if (ret < 0)
    {
      log_error ("container `%s`: cannot hand notification %llu to a network worker: %s", n->container->id,
                 (unsigned long long) req->id, strerror (-ret));
      job_free (j);
      respond_error (a, n, req->id, EAGAIN);
    }
}

static int copy_send_data (const struct seccomp_notif *req, const struct net_call *call,
                           const struct net_socket *s, void **data, size_t *len);

/* Hand a call on a unix (or other non-IP) socket to a worker that makes it
   as the target.  addr (len bytes) is the address already read and
   decided on, or NULL to read it now.  */
static void
as_target (struct agent *a, struct agent_notifier *n, const struct seccomp_notif *req, const struct net_call *call,
           struct net_socket *s, const struct sockaddr_storage *addr, socklen_t len)
{
  const bool is_send = call->op == NET_OP_SENDTO;
  struct net_job *j = calloc (1, sizeof (*j));
  int ret = 0;

  if (j == NULL)
    {
      respond_error (a, n, req->id, ENOMEM);
      return;
    }
  j->notify_fd = j->sock = j->pidfd = -1;
  j->as_target = true;
  j->tid = (pid_t) req->pid;
  j->id = req->id;
  j->op = call->op;
  if (addr != NULL)
    {
      memcpy (&j->addr, addr, sizeof (j->addr));
      j->addrlen = len;
    }
  else if (call->op == NET_OP_BIND || call->op == NET_OP_CONNECT || (is_send && call->args[4] != 0))
    ret = read_address ((pid_t) req->pid, is_send ? call->args[4] : call->args[1],
                        is_send ? call->args[5] : call->args[2], &j->addr, &j->addrlen);
  if (ret == 0 && is_send)
    {
      j->flags = (int) call->args[3];
      ret = copy_send_data (req, call, s, &j->data, &j->len);
    }
  if (call->op == NET_OP_LISTEN)
    j->backlog = (int) call->args[1];
  if (ret < 0)
    {
      job_free (j);
      respond_error (a, n, req->id, -ret);
      return;
    }
  hand_over (a, n, req, s, j);
}

static void
handle_bind (struct agent *a, struct agent_notifier *n, const struct seccomp_notif *req,
             const struct net_call *call, struct net_socket *s)
{
  cleanup_error vigil_error_t err = NULL;
  struct sockaddr_storage addr;
  struct netaddr local;
  struct model_net e;
  socklen_t len;
  char what[NETADDR_UNIX_TEXT_MAX + 32];
  int ret;

  /* A unix bind creates a file with the caller's credentials and umask:
     it is made as the target.  A stream socket is decided at listen(); a
     datagram socket's name is checked when a peer connects or sends to
     it.  */
  if (!is_ip (s))
    {
      as_target (a, n, req, call, s, NULL, 0);
      return;
    }
  ret = read_address ((pid_t) req->pid, call->args[1], call->args[2], &addr, &len);
  if (ret == 0)
    ret = ip_address_of (s, NET_OP_BIND, &addr, len, &local, &err);
  if (ret < 0)
    {
      respond_error (a, n, req->id, -ret);
      return;
    }
  if (ret > 0)
    {
      /* A datagram socket bound to a port receives from anyone: that is
         its listening.  A stream socket listens at listen().  */
      if (s->type != SOCK_STREAM && local.port != 0)
        {
          listen_entry (s, &local, &e, what, sizeof (what));
          if (!decide (a, n->container, &e, (pid_t) req->pid, what))
            {
              respond_error (a, n, req->id, a->cfg->deny_errno);
              return;
            }
        }
      if (!may_bind_port ((pid_t) req->pid, local.port))
        {
          respond_error (a, n, req->id, EACCES);
          return;
        }
    }
  respond_result (a, n, req->id, bind (s->fd, (struct sockaddr *) &addr, len) == 0 ? 0 : -errno);
}

static void
handle_listen (struct agent *a, struct agent_notifier *n, const struct seccomp_notif *req,
               const struct net_call *call, struct net_socket *s)
{
  cleanup_error vigil_error_t err = NULL;
  struct sockaddr_storage addr;
  socklen_t len = sizeof (addr);
  struct netaddr local;
  struct model_net e;
  char what[NETADDR_UNIX_TEXT_MAX + 32];

  if (s->domain != AF_INET && s->domain != AF_INET6 && s->domain != AF_UNIX)
    {
      as_target (a, n, req, call, s, NULL, 0);
      return;
    }
  memset (&addr, 0, sizeof (addr));
  if (getsockname (s->fd, (struct sockaddr *) &addr, &len) < 0 || netaddr_decode (&addr, len, &local, &err) < 0)
    {
      /* The kernel fails listen() on such a socket the same way.  */
      respond_result (a, n, req->id, listen (s->fd, (int) call->args[1]) == 0 ? 0 : -errno);
      return;
    }
  listen_entry (s, &local, &e, what, sizeof (what));
  if (!decide (a, n->container, &e, (pid_t) req->pid, what))
    {
      respond_error (a, n, req->id, a->cfg->deny_errno);
      return;
    }
  /* A unix listener records the credentials of the process that calls
     listen() for its peers (SO_PEERCRED): it is made as the target.  */
  if (s->domain == AF_UNIX)
    as_target (a, n, req, call, s, NULL, 0);
  else
    respond_result (a, n, req->id, listen (s->fd, (int) call->args[1]) == 0 ? 0 : -errno);
}

static bool
is_loopback (const struct sockaddr_storage *addr)
{
  if (addr->ss_family == AF_INET)
    return (ntohl (((const struct sockaddr_in *) addr)->sin_addr.s_addr) >> 24) == 127;
  if (addr->ss_family == AF_INET6)
    {
      const struct in6_addr *a6 = &((const struct sockaddr_in6 *) addr)->sin6_addr;
      return IN6_IS_ADDR_LOOPBACK (a6) || (IN6_IS_ADDR_V4MAPPED (a6) && a6->s6_addr[12] == 127);
    }
  return false;
}

/* After a call made on the agent's thread for a container outlasted its
   deadline, that container's calls go to the workers for this long, so
   that it cannot stall the agent a deadline per call.  */
#define INLINE_BACKOFF_MS 10000

/* Make a connect or sendto for the target: here when it cannot block,
   else on a worker, which then owns the socket (s->fd becomes -1).  Takes
   data.  */
static void
perform (struct agent *a, struct agent_notifier *n, const struct seccomp_notif *req, enum net_op op,
         struct net_socket *s, const struct sockaddr_storage *addr, socklen_t len, void *data,
         size_t data_len, int flags)
{
  struct agent_container *c = n->container;
  struct net_job *j;
  int64_t result;
  int timeout_ms = -1;

  /* Calls that cannot block (the socket is non-blocking, MSG_DONTWAIT,
     AF_UNSPEC) and blocking connects to loopback, whose handshake
     completes within the call, are made here: handing them to a worker
     costs a thread wake-up, more than the call.  Any of them that blocks
     all the same (the target cleared O_NONBLOCK meanwhile, the listener's
     queue is full) is cut at the deadline.  */
  if (monotonic_ms () >= c->inline_connect_after_ms
      && (s->nonblocking || (op == NET_OP_SENDTO && (flags & MSG_DONTWAIT))
          || (op == NET_OP_CONNECT && addr->ss_family == AF_UNSPEC)
          || (op == NET_OP_CONNECT && s->type == SOCK_STREAM && is_loopback (addr))))
    {
      bool cut;

      if (op == NET_OP_CONNECT)
        result = connect_within_deadline (s->fd, addr, len, &cut);
      else
        {
          result = sendto_within_deadline (s->fd, data, data_len, flags, addr, len, CALL_DEADLINE_US);
          cut = result == -EINTR;
        }
      if (cut)
        {
          c->inline_connect_after_ms = monotonic_ms () + INLINE_BACKOFF_MS;
          log_info ("container `%s`: a %s did not complete at once; its calls go to workers for %d s",
                    c->id, op == NET_OP_CONNECT ? "connect" : "sendto", INLINE_BACKOFF_MS / 1000);
        }
      /* A non-blocking socket gets EINPROGRESS as it is; a blocking one
         waits on in the waiter.  */
      if (op == NET_OP_SENDTO || s->nonblocking || result != -EINPROGRESS)
        {
          free (data);
          respond_result (a, n, req->id, result);
          return;
        }
      op = NET_OP_CONNECT_WAIT;
      timeout_ms = send_timeout_ms (s->fd);
    }

  j = calloc (1, sizeof (*j));
  if (j == NULL)
    {
      free (data);
      respond_error (a, n, req->id, ENOMEM);
      return;
    }
  j->op = op;
  memcpy (&j->addr, addr, sizeof (j->addr));
  j->addrlen = len;
  j->data = data;
  j->len = data_len;
  j->flags = flags;
  j->timeout_ms = timeout_ms;
  hand_over (a, n, req, s, j);
}

/* Copy the data of a sendto out of the target: at most STREAM_CHUNK bytes
   of a stream send (which may send less than asked), a whole datagram.
   Returns 0, or the negative errno the call fails with.  */
static int
copy_send_data (const struct seccomp_notif *req, const struct net_call *call, const struct net_socket *s,
                void **data, size_t *len)
{
  size_t n = (size_t) call->args[2];
  int ret;

  if (s->type == SOCK_STREAM && n > STREAM_CHUNK)
    n = STREAM_CHUNK;
  else if (s->type != SOCK_STREAM && n > MAX_DATAGRAM)
    return -EMSGSIZE;
  *data = malloc (n ? n : 1);
  if (*data == NULL)
    return -ENOMEM;
  ret = target_read_bytes ((pid_t) req->pid, call->args[1], *data, n);
  if (ret < 0)
    {
      free (*data);
      *data = NULL;
      return ret;
    }
  *len = n;
  return 0;
}

static void
handle_connect (struct agent *a, struct agent_notifier *n, const struct seccomp_notif *req,
                const struct net_call *call, struct net_socket *s)
{
  const bool is_send = call->op == NET_OP_SENDTO;
  const uint64_t addr_arg = is_send ? call->args[4] : call->args[1];
  const uint64_t len_arg = is_send ? call->args[5] : call->args[2];
  cleanup_error vigil_error_t err = NULL;
  struct sockaddr_storage addr;
  struct netaddr peer;
  struct model_net e;
  socklen_t len;
  char what[NETADDR_UNIX_TEXT_MAX + 32];
  void *data = NULL;
  size_t data_len = 0;
  int flags = 0, ret;

  if (s->domain != AF_INET && s->domain != AF_INET6 && s->domain != AF_UNIX)
    {
      as_target (a, n, req, call, s, NULL, 0);
      return;
    }
  /* sendto on a stream socket ignores the address, unless it opens the
     connection (TCP Fast Open).  */
  if (is_send && s->domain != AF_UNIX
      && (addr_arg == 0 || (s->type == SOCK_STREAM && !(call->args[3] & MSG_FASTOPEN))))
    {
      /* No address that reaches anywhere: the send goes to the socket's
         peer.  The agent makes it all the same, on the socket it looked
         at: letting the process make it would let another of its threads
         put another socket (a datagram one) under the fd number first.  A
         stream send may send less than asked, so at most STREAM_CHUNK
         bytes are copied.  */
      ret = copy_send_data (req, call, s, &data, &data_len);
      if (ret < 0)
        {
          respond_error (a, n, req->id, -ret);
          return;
        }
      memset (&addr, 0, sizeof (addr));
      addr.ss_family = AF_UNSPEC;
      perform (a, n, req, NET_OP_SENDTO, s, &addr, 0, data, data_len, (int) call->args[3] & ~MSG_FASTOPEN);
      return;
    }

  ret = read_address ((pid_t) req->pid, addr_arg, len_arg, &addr, &len);
  if (ret < 0)
    {
      respond_error (a, n, req->id, -ret);
      return;
    }

  if (s->domain == AF_UNIX)
    {
      if (netaddr_decode (&addr, len, &peer, &err) < 0)
        {
          respond_error (a, n, req->id, err->errnum ? err->errnum : EINVAL);
          return;
        }
      /* The kernel checks the caller's permission on a socket file and
         passes its credentials to the peer: the call is made as the
         target.  */
      if (peer.family != AF_UNIX || peer.text[0] == '\0')
        {
          as_target (a, n, req, call, s, &addr, len);
          return;
        }
      connect_entry (s, &peer, &e, what, sizeof (what));
      if (decide (a, n->container, &e, (pid_t) req->pid, what))
        as_target (a, n, req, call, s, &addr, len);
      else
        respond_error (a, n, req->id, a->cfg->network_deny_errno);
      return;
    }

  ret = ip_address_of (s, call->op, &addr, len, &peer, &err);
  if (ret < 0)
    {
      respond_error (a, n, req->id, -ret);
      return;
    }
  if (ret > 0)
    {
      connect_entry (s, &peer, &e, what, sizeof (what));
      if (!decide (a, n->container, &e, (pid_t) req->pid, what))
        {
          respond_error (a, n, req->id, a->cfg->network_deny_errno);
          return;
        }
    }
  /* Otherwise the call reaches no destination: the kernel rejects it or
     dissolves an association, with the same bytes.  */

  if (is_send)
    {
      flags = (int) call->args[3];
      ret = copy_send_data (req, call, s, &data, &data_len);
      if (ret < 0)
        {
          respond_error (a, n, req->id, -ret);
          return;
        }
    }
  perform (a, n, req, call->op, s, &addr, len, data, data_len, flags);
}

void
net_sensor_handle (struct agent *a, struct agent_notifier *n, const struct seccomp_notif *req)
{
  struct agent_container *c = n->container;
  struct net_socket s = { .fd = -1, .pidfd = -1 };
  struct net_call call;
  int ret;

  ret = decode_call (&a->exec_nrs, req, &call);
  if (ret == -ENOSYS)
    {
      respond_continue (a, n, req->id);
      return;
    }
  if (ret < 0)
    {
      respond_error (a, n, req->id, -ret);
      return;
    }
  if (call.op == NET_OP_SOCKET)
    {
      handle_socket (a, n, req, &call);
      return;
    }

  ret = take_socket ((pid_t) req->pid, (int) call.args[0], &s);
  /* The pid may have been reused by now: only a notification still
     pending proves that s came from the target.  */
  if (!notify_id_valid (n->w.fd, req->id))
    goto out;
  if (ret == -EBADF || ret == -ENOTSOCK)
    {
      respond_error (a, n, req->id, -ret);
      goto out;
    }
  if (ret < 0)
    {
      log_warning ("container `%s`: cannot inspect socket %d of pid %d: %s", c->id, (int) call.args[0],
                   (int) req->pid, strerror (-ret));
      if (enforcing (a, c))
        respond_error (a, n, req->id, a->cfg->deny_errno);
      else
        respond_continue (a, n, req->id);
      goto out;
    }

  switch (call.op)
    {
    case NET_OP_BIND:
      handle_bind (a, n, req, &call, &s);
      break;
    case NET_OP_LISTEN:
      handle_listen (a, n, req, &call, &s);
      break;
    case NET_OP_CONNECT:
    case NET_OP_SENDTO:
      handle_connect (a, n, req, &call, &s);
      break;
    case NET_OP_SOCKET:
    case NET_OP_CONNECT_WAIT:
      break;
    }
out:
  if (s.fd >= 0)
    close (s.fd);
  if (s.pidfd >= 0)
    close (s.pidfd);
}

/* Whether pid is in the pid namespace of the container's init.  */
static bool
same_pid_ns (pid_t init, pid_t pid)
{
  char a[64], b[64];
  struct stat sa, sb;

  if (pid <= 0 || init <= 0)
    return false;
  snprintf (a, sizeof (a), "/proc/%d/ns/pid", (int) init);
  snprintf (b, sizeof (b), "/proc/%d/ns/pid", (int) pid);
  return stat (a, &sa) == 0 && stat (b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int
net_sensor_scan (struct agent *a, struct agent_container *c, json_t *out, vigil_error_t *err)
{
  cleanup_free struct netdiag_socket *socks = NULL;
  json_t list = NULL;
  size_t n = 0, i;

  (void) a;
  if (c->init_pid <= 0)
    return vigil_error_set (err, 0, "container `%s` has no known process", c->id);
  if (netdiag_listening (c->init_pid, &socks, &n, err) < 0)
    return -1;
  if (out != NULL && (list = json_new_array ()) == NULL)
    return vigil_error_set (err, ENOMEM, "list sockets");
  for (i = 0; i < n; i++)
    {
      const struct netdiag_socket *ns = &socks[i];
      bool own = same_pid_ns (c->init_pid, ns->pid);
      struct model_net e = { .kind = MODEL_NET_LISTEN };
      char proto[16];
      bool known;
      json_t o;

      snprintf (e.protocol, sizeof (e.protocol), "%s", protocol_text (ns->protocol, proto, sizeof (proto)));
      e.port = ns->port;
      known = model_has_net (c->model, &e);
      /* A socket of a process outside the container (a shared namespace,
         a pod's other containers) is no evidence about this image.  */
      if (own && !known && c->model->mode == MODEL_LEARNING
          && model_add_net (c->model, &e, "netlink", (int64_t) time (NULL)) > 0)
        {
          log_info ("model `%s`: learned listen %s port %u from the kernel's socket table", c->model->key,
                    e.protocol, e.port);
          known = true;
        }
      if (list == NULL)
        continue;
      o = json_new_object ();
      if (o == NULL || json_array_append (list, o) < 0
          || json_object_set (o, "protocol", json_new_string (e.protocol)) < 0
          || json_object_set (o, "address", json_new_string (ns->address)) < 0
          || json_object_set (o, "port", json_new_uint (ns->port)) < 0
          || json_object_set (o, "pid", json_new_uint ((uint64_t) ns->pid)) < 0
          || json_object_set (o, "comm", json_new_string (ns->comm)) < 0
          || json_object_set (o, "in_container", json_new_bool (own)) < 0
          || json_object_set (o, "in_model", json_new_bool (known)) < 0)
        {
          yajl_tree_free (list);
          return vigil_error_set (err, ENOMEM, "list sockets");
        }
    }
  if (out != NULL)
    *out = list;
  return 0;
}
