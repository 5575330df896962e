/* Tests of netdiag_listening on network namespaces that the test makes.
   A child process unshares one, brings up lo and opens sockets on
   loopback addresses in it.  The tests need root and skip otherwise.  */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/unit.h"

#include "agent/netdiag.h"

#define CHILD_COMM "netdiag-child"
#define GRANDCHILD_COMM "netdiag-grand"

/* Sockets of each protocol in the many_sockets fixture.  400 messages of
   at least 88 bytes exceed the 32 KiB that one part of a netlink dump
   contains at most (netlink_recvmsg in net/netlink/af_netlink.c), so each
   dump arrives in several parts.  */
#define MANY_COUNT 400
#define MANY_TCP_PORT 10000
#define MANY_UDP_PORT 20000

struct fixture
{
  pid_t child;      /* -1 when the test is skipped */
  pid_t grandchild; /* forked by the child in its namespace, 0 when none */
};

/* Child side: plain code without cmocka.  Any failure ends the child
   before it reports ready.  */

static int
make_address (const char *address, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
  struct sockaddr_in *v4 = (struct sockaddr_in *) ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *) ss;

  memset (ss, 0, sizeof (*ss));
  if (strchr (address, ':') == NULL)
    {
      v4->sin_family = AF_INET;
      v4->sin_port = htons ((uint16_t) port);
      *len = sizeof (*v4);
      return inet_pton (AF_INET, address, &v4->sin_addr) == 1 ? 0 : -1;
    }
  v6->sin6_family = AF_INET6;
  v6->sin6_port = htons ((uint16_t) port);
  *len = sizeof (*v6);
  return inet_pton (AF_INET6, address, &v6->sin6_addr) == 1 ? 0 : -1;
}

/* A socket of type bound to address:port.  IPv6 sockets accept IPv4 too
   (IPV6_V6ONLY off).  */
static int
bound_socket (int type, const char *address, unsigned port)
{
  struct sockaddr_storage ss;
  socklen_t len;
  int off = 0, fd;

  if (make_address (address, port, &ss, &len) < 0)
    return -1;
  fd = socket (ss.ss_family, type | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (ss.ss_family == AF_INET6
      && setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof (off)) < 0)
    return -1;
  if (bind (fd, (struct sockaddr *) &ss, len) < 0)
    return -1;
  return fd;
}

static int
listening_socket (const char *address, unsigned port)
{
  int fd = bound_socket (SOCK_STREAM, address, port);

  return fd < 0 || listen (fd, 16) < 0 ? -1 : fd;
}

static int
connect_to (int fd, const char *address, unsigned port)
{
  struct sockaddr_storage ss;
  socklen_t len;

  if (make_address (address, port, &ss, &len) < 0)
    return -1;
  return connect (fd, (struct sockaddr *) &ss, len);
}

/* A socket of type connected to address:port.  A UDP connect sends no
   packet.  */
static int
connected_socket (int type, const char *address, unsigned port)
{
  int fd = socket (strchr (address, ':') == NULL ? AF_INET : AF_INET6, type | SOCK_CLOEXEC, 0);

  if (fd < 0 || connect_to (fd, address, port) < 0)
    return -1;
  return fd;
}

static int
bring_up_loopback (void)
{
  struct ifreq ifr;
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return -1;
  memset (&ifr, 0, sizeof (ifr));
  snprintf (ifr.ifr_name, sizeof (ifr.ifr_name), "lo");
  if (ioctl (fd, SIOCGIFFLAGS, &ifr) < 0)
    return -1;
  ifr.ifr_flags |= IFF_UP;
  if (ioctl (fd, SIOCSIFFLAGS, &ifr) < 0)
    return -1;
  close (fd);
  return 0;
}

/* The sockets of the listing tests, and some that must not be listed.  */
static int
open_standard_sockets (void)
{
  int fd;

  if (listening_socket ("127.0.0.1", 7001) < 0 || listening_socket ("::", 7002) < 0
      || bound_socket (SOCK_DGRAM, "0.0.0.0", 7003) < 0 || bound_socket (SOCK_DGRAM, "::1", 7004) < 0
      || listening_socket ("::ffff:127.0.0.1", 7005) < 0)
    return -1;

  /* Not listed: a connected TCP client (and its accepted peer), a
     connected UDP socket with an ephemeral port, and a bound UDP socket
     that was connected afterwards.  */
  if (connected_socket (SOCK_STREAM, "127.0.0.1", 7001) < 0
      || connected_socket (SOCK_DGRAM, "127.0.0.1", 7003) < 0)
    return -1;
  fd = bound_socket (SOCK_DGRAM, "127.0.0.1", 7006);
  if (fd < 0 || connect_to (fd, "127.0.0.1", 7003) < 0)
    return -1;
  return 0;
}

/* A listening socket that the child and a grandchild both hold, and one
   that only the grandchild holds.  Returns the grandchild's pid.  */
static int
open_shared_sockets (void)
{
  int ready[2];
  char c;
  pid_t pid;

  if (listening_socket ("127.0.0.1", 7101) < 0 || pipe2 (ready, O_CLOEXEC) < 0)
    return -1;
  pid = fork ();
  if (pid < 0)
    return -1;
  if (pid == 0)
    {
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      prctl (PR_SET_NAME, GRANDCHILD_COMM);
      if (bound_socket (SOCK_DGRAM, "127.0.0.1", 7102) < 0 || write (ready[1], "r", 1) != 1)
        _exit (1);
      for (;;)
        pause ();
    }
  close (ready[1]);
  if (read (ready[0], &c, 1) != 1)
    return -1;
  close (ready[0]);
  return (int) pid;
}

static int
open_many_sockets (void)
{
  struct rlimit rl;
  unsigned i;

  if (getrlimit (RLIMIT_NOFILE, &rl) < 0)
    return -1;
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit (RLIMIT_NOFILE, &rl) < 0)
    return -1;
  for (i = 0; i < MANY_COUNT; i++)
    if (listening_socket ("127.0.0.1", MANY_TCP_PORT + i) < 0
        || bound_socket (SOCK_DGRAM, "::1", MANY_UDP_PORT + i) < 0)
      return -1;
  return 0;
}

/* Fork a child in a new network namespace with the sockets open_sockets
   makes, and fill f once they are all open.  open_sockets returns -1 on
   failure, else the pid of a grandchild or 0.  */
static void
start_child (struct fixture *f, int (*open_sockets) (void))
{
  int ready[2], grandchild;
  pid_t pid;

  assert_int_equal (pipe2 (ready, O_CLOEXEC), 0);
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      close (ready[0]);
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      prctl (PR_SET_NAME, CHILD_COMM);
      if (unshare (CLONE_NEWNET) < 0 || bring_up_loopback () < 0)
        _exit (1);
      grandchild = open_sockets ();
      if (grandchild < 0)
        _exit (1);
      if (write (ready[1], &grandchild, sizeof (grandchild)) != sizeof (grandchild))
        _exit (1);
      for (;;)
        pause ();
    }

  close (ready[1]);
  if (read (ready[0], &grandchild, sizeof (grandchild)) != sizeof (grandchild))
    {
      waitpid (pid, NULL, 0);
      fail_msg ("the child could not set up its network namespace and sockets");
    }
  close (ready[0]);
  f->child = pid;
  f->grandchild = grandchild;
}

static int
setup_with (void **state, int (*open_sockets) (void))
{
  struct fixture *f = calloc (1, sizeof (*f));

  assert_non_null (f);
  f->child = -1;
  if (geteuid () == 0)
    start_child (f, open_sockets);
  *state = f;
  return 0;
}

static int
setup_standard (void **state)
{
  return setup_with (state, open_standard_sockets);
}

static int
setup_shared (void **state)
{
  return setup_with (state, open_shared_sockets);
}

static int
setup_many (void **state)
{
  return setup_with (state, open_many_sockets);
}

static int
teardown (void **state)
{
  struct fixture *f = *state;

  if (f->grandchild > 0)
    kill (f->grandchild, SIGKILL);
  if (f->child > 0)
    {
      kill (f->child, SIGKILL);
      waitpid (f->child, NULL, 0);
    }
  free (f);
  return 0;
}

static size_t
count_open_fds (void)
{
  DIR *d = opendir ("/proc/self/fd");
  size_t count = 0;

  assert_non_null (d);
  while (readdir (d) != NULL)
    count++;
  closedir (d);
  return count;
}

static ino_t
thread_netns_inode (void)
{
  struct stat st;

  assert_int_equal (stat ("/proc/thread-self/ns/net", &st), 0);
  return st.st_ino;
}

static void
listing_of_child_namespace (void **state)
{
  static const struct
  {
    int protocol;
    int family;
    const char *address;
    unsigned port;
  } expected[] = {
    { IPPROTO_TCP, AF_INET, "127.0.0.1", 7001 },
    { IPPROTO_TCP, AF_INET6, "::", 7002 },
    { IPPROTO_TCP, AF_INET6, "127.0.0.1", 7005 },
    { IPPROTO_UDP, AF_INET, "0.0.0.0", 7003 },
    { IPPROTO_UDP, AF_INET6, "::1", 7004 },
  };
  struct fixture *f = *state;
  struct netdiag_socket *v = NULL;
  vigil_error_t err = NULL;
  size_t n = 0, i;
  size_t fds_before;
  ino_t netns_before;

  if (f->child <= 0)
    skip ();
  fds_before = count_open_fds ();
  netns_before = thread_netns_inode ();

  assert_int_equal (netdiag_listening (f->child, &v, &n, &err), 0);
  assert_null (err);
  assert_non_null (v);
  assert_int_equal (n, sizeof (expected) / sizeof (expected[0]));

  /* Sorted by protocol, family, port and address.  */
  for (i = 0; i < n; i++)
    {
      assert_int_equal (v[i].protocol, expected[i].protocol);
      assert_int_equal (v[i].family, expected[i].family);
      assert_string_equal (v[i].address, expected[i].address);
      assert_int_equal (v[i].port, expected[i].port);
      assert_true (v[i].inode != 0);
      assert_int_equal (v[i].pid, f->child);
      assert_string_equal (v[i].comm, CHILD_COMM);
    }
  free (v);

  assert_int_equal (count_open_fds (), fds_before);
  assert_int_equal (thread_netns_inode (), netns_before);
}

static void
repeated_calls_leak_nothing (void **state)
{
  struct fixture *f = *state;
  size_t fds_before;
  ino_t netns_before;
  int i;

  if (f->child <= 0)
    skip ();
  fds_before = count_open_fds ();
  netns_before = thread_netns_inode ();

  for (i = 0; i < 20; i++)
    {
      struct netdiag_socket *v = NULL;
      vigil_error_t err = NULL;
      size_t n = 0;

      assert_int_equal (netdiag_listening (f->child, &v, &n, &err), 0);
      assert_int_equal (n, 5);
      free (v);
    }
  assert_int_equal (count_open_fds (), fds_before);
  assert_int_equal (thread_netns_inode (), netns_before);
}

/* The listing of this process's namespace contains none of the sockets of
   the child's namespace.  */
static void
own_namespace_excludes_child (void **state)
{
  struct fixture *f = *state;
  struct netdiag_socket *child_v = NULL, *own_v = NULL;
  vigil_error_t err = NULL;
  size_t child_n = 0, own_n = 0, i, j;

  if (f->child <= 0)
    skip ();
  assert_int_equal (netdiag_listening (f->child, &child_v, &child_n, &err), 0);
  assert_int_equal (child_n, 5);
  assert_int_equal (netdiag_listening (getpid (), &own_v, &own_n, &err), 0);
  assert_null (err);

  for (i = 0; i < own_n; i++)
    {
      assert_int_not_equal (own_v[i].pid, f->child);
      for (j = 0; j < child_n; j++)
        assert_true (own_v[i].inode != child_v[j].inode);
    }
  free (child_v);
  free (own_v);
}

/* A pid that was just reaped names no process.  */
static void
missing_process_error (void **state)
{
  struct netdiag_socket placeholder, *v = &placeholder;
  vigil_error_t err = NULL;
  char expected[64];
  size_t n = 99, fds_before;
  pid_t pid;

  (void) state;
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    _exit (0);
  assert_int_equal (waitpid (pid, NULL, 0), pid);

  fds_before = count_open_fds ();
  assert_int_equal (netdiag_listening (pid, &v, &n, &err), -1);
  assert_non_null (err);
  snprintf (expected, sizeof (expected), "process %d is gone: ", (int) pid);
  assert_true (strncmp (err->msg, expected, strlen (expected)) == 0);
  assert_int_equal (err->errnum, ESRCH);
  assert_null (v);
  assert_int_equal (n, 0);
  assert_int_equal (count_open_fds (), fds_before);
  vigil_error_free (&err);
}

/* A zombie still has /proc/PID but no network namespace.  */
static void
zombie_process_error (void **state)
{
  struct netdiag_socket *v = NULL;
  vigil_error_t err = NULL;
  siginfo_t info;
  char expected[64];
  size_t n = 0;
  pid_t pid;

  (void) state;
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    _exit (0);
  /* Wait until it has exited, leaving it unreaped.  */
  assert_int_equal (waitid (P_PID, (id_t) pid, &info, WEXITED | WNOWAIT), 0);

  assert_int_equal (netdiag_listening (pid, &v, &n, &err), -1);
  snprintf (expected, sizeof (expected), "process %d is gone: ", (int) pid);
  assert_non_null (err);
  assert_true (strncmp (err->msg, expected, strlen (expected)) == 0);
  assert_null (v);
  vigil_error_free (&err);
  assert_int_equal (waitpid (pid, NULL, 0), pid);
}

static void
invalid_arguments (void **state)
{
  struct netdiag_socket *v = NULL;
  vigil_error_t err = NULL;
  size_t n = 0;

  (void) state;
  assert_int_equal (netdiag_listening (0, &v, &n, &err), -1);
  assert_string_equal (err->msg, "invalid pid 0");
  assert_int_equal (netdiag_listening (-5, &v, &n, &err), -1);
  assert_string_equal (err->msg, "invalid pid -5");
  assert_int_equal (netdiag_listening (getpid (), NULL, &n, &err), -1);
  assert_non_null (strstr (err->msg, "must not be NULL"));
  assert_int_equal (netdiag_listening (getpid (), &v, NULL, &err), -1);
  assert_non_null (strstr (err->msg, "must not be NULL"));
  /* A NULL error pointer is allowed, and the caller then gets only -1.  */
  assert_int_equal (netdiag_listening (0, &v, &n, NULL), -1);
  vigil_error_free (&err);
}

/* A socket that two processes hold is reported with the lower pid.  */
static void
lowest_pid_owns_shared_socket (void **state)
{
  struct fixture *f = *state;
  struct netdiag_socket *v = NULL;
  vigil_error_t err = NULL;
  size_t n = 0;
  bool child_lower;

  if (f->child <= 0)
    skip ();
  assert_true (f->grandchild > 0);
  child_lower = f->child < f->grandchild;

  assert_int_equal (netdiag_listening (f->child, &v, &n, &err), 0);
  assert_int_equal (n, 2);

  assert_int_equal (v[0].protocol, IPPROTO_TCP);
  assert_int_equal (v[0].port, 7101);
  assert_int_equal (v[0].pid, child_lower ? f->child : f->grandchild);
  assert_string_equal (v[0].comm, child_lower ? CHILD_COMM : GRANDCHILD_COMM);

  assert_int_equal (v[1].protocol, IPPROTO_UDP);
  assert_int_equal (v[1].port, 7102);
  assert_int_equal (v[1].pid, f->grandchild);
  assert_string_equal (v[1].comm, GRANDCHILD_COMM);
  free (v);
}

/* Hundreds of sockets span several messages of each dump, and the owner
   scan reads hundreds of fds.  */
static void
many_sockets (void **state)
{
  struct fixture *f = *state;
  struct netdiag_socket *v = NULL;
  vigil_error_t err = NULL;
  size_t n = 0, i;

  if (f->child <= 0)
    skip ();
  assert_int_equal (netdiag_listening (f->child, &v, &n, &err), 0);
  assert_null (err);
  assert_int_equal (n, 2 * MANY_COUNT);

  for (i = 0; i < MANY_COUNT; i++)
    {
      const struct netdiag_socket *tcp = &v[i], *udp = &v[MANY_COUNT + i];

      assert_int_equal (tcp->protocol, IPPROTO_TCP);
      assert_int_equal (tcp->family, AF_INET);
      assert_string_equal (tcp->address, "127.0.0.1");
      assert_int_equal (tcp->port, MANY_TCP_PORT + i);
      assert_int_equal (tcp->pid, f->child);
      assert_int_equal (udp->protocol, IPPROTO_UDP);
      assert_int_equal (udp->family, AF_INET6);
      assert_string_equal (udp->address, "::1");
      assert_int_equal (udp->port, MANY_UDP_PORT + i);
      assert_int_equal (udp->pid, f->child);
    }
  free (v);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (listing_of_child_namespace, setup_standard, teardown),
    cmocka_unit_test_setup_teardown (repeated_calls_leak_nothing, setup_standard, teardown),
    cmocka_unit_test_setup_teardown (own_namespace_excludes_child, setup_standard, teardown),
    cmocka_unit_test_setup_teardown (lowest_pid_owns_shared_socket, setup_shared, teardown),
    cmocka_unit_test_setup_teardown (many_sockets, setup_many, teardown),
    cmocka_unit_test (missing_process_error),
    cmocka_unit_test (zombie_process_error),
    cmocka_unit_test (invalid_arguments),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
