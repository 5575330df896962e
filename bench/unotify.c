/* bench-unotify: the kernel's floor under Vigil, a bare seccomp user
   notification round trip.

     bench-unotify plain N         N getppid calls, no filter
     bench-unotify notify N        N getppid calls that notify a listener
                                   in the parent, which responds to each
                                   with SECCOMP_USER_NOTIF_FLAG_CONTINUE
     bench-unotify notify-sync N   the same with
                                   SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP set
                                   on the listener (Linux 6.6)
     bench-unotify notify-epoll N, notify-sync-epoll N
                                   the same two, with the parent waiting in
                                   epoll_wait before each receive, as
                                   vigild does

   The child installs the filter with SECCOMP_FILTER_FLAG_NEW_LISTENER and
   hands the listener to the parent over a socket pair.  The child times
   its own calls.  Prints one line "ops=N ns=ELAPSED", or
   "unsupported=REASON" with exit status 3 when the kernel rejects the
   sync wake-up flag.  */
#include "config.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/kernel-compat.h"

#if defined(__x86_64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "bench-unotify: add the audit architecture of this machine"
#endif

/* Calls before the timed ones, to fault in pages and warm caches.  */
#define WARMUP 1000

static uint64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static uint64_t
time_getppid (unsigned long n)
{
  unsigned long i;
  uint64_t start;

  for (i = 0; i < WARMUP; i++)
    syscall (SYS_getppid);
  start = now_ns ();
  for (i = 0; i < n; i++)
    syscall (SYS_getppid);
  return now_ns () - start;
}

/* getppid of the native architecture notifies; everything else runs.  */
static int
install_filter (void)
{
  struct sock_filter code[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, NATIVE_AUDIT_ARCH, 0, 3),
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = { .len = sizeof (code) / sizeof (code[0]), .filter = code };
  int fd;

  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return -errno;
  fd = (int) syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  return fd < 0 ? -errno : fd;
}

static int
send_fd (int sock, int fd)
{
  char byte = 'f';
  char control[CMSG_SPACE (sizeof (int))] = { 0 };
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  struct msghdr msg = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = control,
    .msg_controllen = sizeof (control),
  };
  struct cmsghdr *cm = CMSG_FIRSTHDR (&msg);

  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cm), &fd, sizeof (int));
  return sendmsg (sock, &msg, 0) == 1 ? 0 : -errno;
}

static int
recv_fd (int sock)
{
  char byte;
  char control[CMSG_SPACE (sizeof (int))] = { 0 };
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  struct msghdr msg = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = control,
    .msg_controllen = sizeof (control),
  };
  struct cmsghdr *cm;
  int fd;

  if (recvmsg (sock, &msg, MSG_CMSG_CLOEXEC) != 1)
    return -EPROTO;
  cm = CMSG_FIRSTHDR (&msg);
  if (cm == NULL || cm->cmsg_type != SCM_RIGHTS)
    return -EPROTO;
  memcpy (&fd, CMSG_DATA (cm), sizeof (int));
  return fd;
}

/* The notifying side: runs in the child, writes the elapsed ns.  */
static int
notifying_child (int sock, unsigned long n)
{
  cleanup_close int listener = install_filter ();
  uint64_t elapsed;
  char go;

  if (listener < 0)
    {
      fprintf (stderr, "bench-unotify: install filter: %s\n", strerror (-listener));
      return 1;
    }
  if (send_fd (sock, listener) < 0)
    return 1;
  close (take_fd (&listener));
  /* Wait until the parent has set its flags.  */
  if (read (sock, &go, 1) != 1)
    return 1;
  elapsed = time_getppid (n);
  return write (sock, &elapsed, sizeof (elapsed)) == sizeof (elapsed) ? 0 : 1;
}

static int
answer (int listener, int epfd, unsigned long count, struct seccomp_notif *req, size_t req_size,
        struct seccomp_notif_resp *resp, size_t resp_size)
{
  unsigned long done = 0;

  while (done < count)
    {
      if (epfd >= 0)
        {
          struct epoll_event ev;
          int n = epoll_wait (epfd, &ev, 1, -1);

          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            return -errno;
        }
      memset (req, 0, req_size);
      if (ioctl (listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
        {
          if (errno == EINTR)
            continue;
          return -errno;
        }
      done++;
      memset (resp, 0, resp_size);
      resp->id = req->id;
      resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
      if (ioctl (listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
        return -errno;
    }
  return 0;
}

static int
run_notify (unsigned long n, bool sync_wakeup, bool use_epoll)
{
  struct seccomp_notif_sizes sizes = { 0 };
  cleanup_free struct seccomp_notif *req = NULL;
  cleanup_free struct seccomp_notif_resp *resp = NULL;
  cleanup_close int listener = -1;
  cleanup_close int epfd = -1;
  int socks[2], ret, status;
  uint64_t elapsed = 0;
  size_t req_size, resp_size;
  pid_t pid;

  if (syscall (SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
    {
      fprintf (stderr, "bench-unotify: SECCOMP_GET_NOTIF_SIZES: %s\n", strerror (errno));
      return 1;
    }
  req_size = sizes.seccomp_notif > sizeof (*req) ? sizes.seccomp_notif : sizeof (*req);
  resp_size = sizes.seccomp_notif_resp > sizeof (*resp) ? sizes.seccomp_notif_resp : sizeof (*resp);
  req = calloc (1, req_size);
  resp = calloc (1, resp_size);
  if (req == NULL || resp == NULL)
    return 1;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, socks) < 0)
    {
      fprintf (stderr, "bench-unotify: socketpair: %s\n", strerror (errno));
      return 1;
    }
  pid = fork ();
  if (pid < 0)
    {
      fprintf (stderr, "bench-unotify: fork: %s\n", strerror (errno));
      return 1;
    }
  if (pid == 0)
    {
      close (socks[0]);
      _exit (notifying_child (socks[1], n));
    }
  close (socks[1]);

  listener = recv_fd (socks[0]);
  ret = listener < 0 ? listener : 0;
  if (ret == 0 && sync_wakeup
      && ioctl (listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (unsigned long) SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP)
             < 0)
    {
      printf ("unsupported=SECCOMP_IOCTL_NOTIF_SET_FLAGS: %s\n", strerror (errno));
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      close (socks[0]);
      return 3;
    }
  if (ret == 0 && use_epoll)
    {
      struct epoll_event ev = { .events = EPOLLIN };

      epfd = epoll_create1 (EPOLL_CLOEXEC);
      if (epfd < 0 || epoll_ctl (epfd, EPOLL_CTL_ADD, listener, &ev) < 0)
        ret = -errno;
    }
  if (ret == 0 && write (socks[0], "g", 1) != 1)
    ret = -errno;
  if (ret == 0)
    ret = answer (listener, epfd, WARMUP + n, req, req_size, resp, resp_size);
  if (ret == 0 && read (socks[0], &elapsed, sizeof (elapsed)) != sizeof (elapsed))
    ret = -EPROTO;
  close (socks[0]);
  if (ret < 0)
    kill (pid, SIGKILL);
  if (waitpid (pid, &status, 0) < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    ret = ret < 0 ? ret : -ECHILD;
  if (ret < 0)
    {
      fprintf (stderr, "bench-unotify: round trip: %s\n", strerror (-ret));
      return 1;
    }
  printf ("ops=%lu ns=%llu\n", n, (unsigned long long) elapsed);
  return 0;
}

int
main (int argc, char **argv)
{
  unsigned long n;
  char *end;

  if (argc != 3)
    {
      fprintf (stderr, "usage: bench-unotify plain|notify|notify-sync|notify-epoll|notify-sync-epoll N\n");
      return 2;
    }
  errno = 0;
  n = strtoul (argv[2], &end, 10);
  if (errno != 0 || *end != '\0' || n == 0 || argv[2][0] == '-')
    {
      fprintf (stderr, "bench-unotify: invalid count `%s`: expected a positive integer\n", argv[2]);
      return 2;
    }
  if (strcmp (argv[1], "plain") == 0)
    {
      printf ("ops=%lu ns=%llu\n", n, (unsigned long long) time_getppid (n));
      return 0;
    }
  if (strcmp (argv[1], "notify") == 0)
    return run_notify (n, false, false);
  if (strcmp (argv[1], "notify-sync") == 0)
    return run_notify (n, true, false);
  if (strcmp (argv[1], "notify-epoll") == 0)
    return run_notify (n, false, true);
  if (strcmp (argv[1], "notify-sync-epoll") == 0)
    return run_notify (n, true, true);
  fprintf (stderr,
           "bench-unotify: invalid mode `%s`: expected plain, notify, notify-sync, notify-epoll or "
           "notify-sync-epoll\n",
           argv[1]);
  return 2;
}
