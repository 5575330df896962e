/* bench-loops: the timed loops of the benchmark suite, run inside a
   container (or on the host) and timed from the inside, so that the time
   of `runc exec` itself is not counted.  Built static, so that it runs in
   a root file system that has nothing but busybox.

     bench-loops now                       print CLOCK_MONOTONIC in ns
     bench-loops exec N PATH               N times fork, execve PATH, wait
     bench-loops sys N                     N times read 1 byte of /dev/zero
                                           and write it to /dev/null
     bench-loops connect N                 N TCP connections to a server in a
                                           child process, on 127.0.0.1 port
                                           $BENCH_CONNECT_PORT (17071)
     bench-loops write N DIR               N times create, write 4 KiB to
                                           and close a file in DIR
     bench-loops notify N PATH [START_NS]  N times execve PATH with a bad
                                           environment pointer, which the
                                           kernel fails with EFAULT once
                                           the seccomp listener (if any)
                                           has let the call go on

   Each loop prints one line of KEY=VALUE pairs: ops, ns (elapsed), start
   and end (CLOCK_MONOTONIC, ns).  notify waits until START_NS when it is
   given, so that loops in several containers start together.  With
   BENCH_CPU=N in the environment the loop runs on CPU N only.  Errors go
   to stderr, with exit status 1, or 2 for invalid arguments.  */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"

#define WRITE_SIZE 4096

static uint64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static void
report (unsigned long ops, uint64_t start, uint64_t end)
{
  printf ("ops=%lu ns=%llu start=%llu end=%llu\n", ops, (unsigned long long) (end - start),
          (unsigned long long) start, (unsigned long long) end);
}

static int
parse_count (const char *text, unsigned long *out)
{
  char *end;

  errno = 0;
  *out = strtoul (text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || *out == 0 || text[0] == '-')
    {
      fprintf (stderr, "bench-loops: invalid count `%s`: expected a positive integer\n", text);
      return -1;
    }
  return 0;
}

static int
wait_child (pid_t pid)
{
  int status;

  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return -errno;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return -ECHILD;
  return 0;
}

static int
loop_exec (unsigned long n, const char *path)
{
  char *const argv[] = { (char *) path, NULL };
  char *const envp[] = { NULL };
  unsigned long i;
  uint64_t start;
  int ret;

  start = now_ns ();
  for (i = 0; i < n; i++)
    {
      pid_t pid = fork ();

      if (pid < 0)
        {
          fprintf (stderr, "bench-loops: fork: %s\n", strerror (errno));
          return -1;
        }
      if (pid == 0)
        {
          execve (path, argv, envp);
          _exit (127);
        }
      ret = wait_child (pid);
      if (ret < 0)
        {
          fprintf (stderr, "bench-loops: `%s` failed (run %lu of %lu)\n", path, i + 1, n);
          return -1;
        }
    }
  report (n, start, now_ns ());
  return 0;
}

static int
loop_sys (unsigned long n)
{
  cleanup_close int zero = -1;
  cleanup_close int null = -1;
  unsigned long i;
  uint64_t start;
  char c;

  zero = open ("/dev/zero", O_RDONLY | O_CLOEXEC);
  null = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  if (zero < 0 || null < 0)
    {
      fprintf (stderr, "bench-loops: open /dev/zero or /dev/null: %s\n", strerror (errno));
      return -1;
    }
  start = now_ns ();
  for (i = 0; i < n; i++)
    if (read (zero, &c, 1) != 1 || write (null, &c, 1) != 1)
      {
        fprintf (stderr, "bench-loops: read or write: %s\n", strerror (errno));
        return -1;
      }
  /* Two system calls per round.  */
  report (2 * n, start, now_ns ());
  return 0;
}

/* The server side: accept n connections and close each one.  */
static int
serve (int listen_fd, unsigned long n)
{
  unsigned long done = 0;

  while (done < n)
    {
      int fd = accept4 (listen_fd, NULL, NULL, SOCK_CLOEXEC);

      if (fd < 0 && errno == EINTR)
        continue;
      if (fd < 0)
        return -1;
      close (fd);
      done++;
    }
  return 0;
}

static int
loop_connect (unsigned long n)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof (addr);
  /* Reset on close, so that no connection stays in TIME_WAIT and keeps
     its port in use.  */
  struct linger reset = { .l_onoff = 1, .l_linger = 0 };
  cleanup_close int listen_fd = -1;
  unsigned long i;
  uint64_t start;
  pid_t pid;

  /* One fixed port, so that the model learns it once: the network sensor
     refuses a port an active model does not have.  */
  const char *port = getenv ("BENCH_CONNECT_PORT");
  int one = 1;

  addr.sin_port = htons ((uint16_t) (port != NULL ? atoi (port) : 17071));
  listen_fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd < 0 || setsockopt (listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one)) < 0
      || bind (listen_fd, (struct sockaddr *) &addr, sizeof (addr)) < 0 || listen (listen_fd, 4096) < 0
      || getsockname (listen_fd, (struct sockaddr *) &addr, &len) < 0)
    {
      fprintf (stderr, "bench-loops: listen on 127.0.0.1: %s\n", strerror (errno));
      return -1;
    }

  start = now_ns ();
  pid = fork ();
  if (pid < 0)
    {
      fprintf (stderr, "bench-loops: fork: %s\n", strerror (errno));
      return -1;
    }
  if (pid == 0)
    _exit (serve (listen_fd, n) < 0 ? 1 : 0);

  for (i = 0; i < n; i++)
    {
      cleanup_close int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

      if (fd < 0 || setsockopt (fd, SOL_SOCKET, SO_LINGER, &reset, sizeof (reset)) < 0
          || connect (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0)
        {
          fprintf (stderr, "bench-loops: connect to 127.0.0.1:%d: %s\n", (int) ntohs (addr.sin_port),
                   strerror (errno));
          kill (pid, SIGKILL);
          wait_child (pid);
          return -1;
        }
    }
  /* Done when the server has accepted every connection.  */
  if (wait_child (pid) < 0)
    {
      fprintf (stderr, "bench-loops: the server failed\n");
      return -1;
    }
  report (n, start, now_ns ());
  return 0;
}

static int
loop_write (unsigned long n, const char *dir)
{
  static char data[WRITE_SIZE];
  cleanup_close int dirfd = -1;
  unsigned long i;
  uint64_t start;
  char name[32];

  dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    {
      fprintf (stderr, "bench-loops: open `%s`: %s\n", dir, strerror (errno));
      return -1;
    }
  snprintf (name, sizeof (name), "bench-write.%d", (int) getpid ());
  memset (data, 'v', sizeof (data));

  start = now_ns ();
  for (i = 0; i < n; i++)
    {
      cleanup_close int fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

      if (fd < 0 || write (fd, data, sizeof (data)) != (ssize_t) sizeof (data))
        {
          fprintf (stderr, "bench-loops: write `%s/%s`: %s\n", dir, name, strerror (errno));
          unlinkat (dirfd, name, 0);
          return -1;
        }
    }
  report (n, start, now_ns ());
  unlinkat (dirfd, name, 0);
  return 0;
}

static int
loop_notify (unsigned long n, const char *path, uint64_t start_at)
{
  char *const argv[] = { (char *) path, NULL };
  unsigned long i;
  uint64_t start;

  if (start_at > 0)
    {
      struct timespec ts = { .tv_sec = (time_t) (start_at / 1000000000u),
                             .tv_nsec = (long) (start_at % 1000000000u) };
      while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
    }

  start = now_ns ();
  for (i = 0; i < n; i++)
    {
      /* Through syscall(), so that no library wrapper touches the bad
         pointer before the kernel does.  */
      long ret = syscall (SYS_execve, path, argv, (char *const *) 1);

      if (ret == 0 || errno != EFAULT)
        {
          fprintf (stderr, "bench-loops: execve `%s` with a bad environment: %s, expected EFAULT\n",
                   path, strerror (errno));
          return -1;
        }
    }
  report (n, start, now_ns ());
  return 0;
}

/* Pin the process to the CPU named by BENCH_CPU, if any.  */
static int
pin_cpu (void)
{
  const char *text = getenv ("BENCH_CPU");
  unsigned long cpu;
  cpu_set_t set;
  char *end;

  if (text == NULL || text[0] == '\0')
    return 0;
  errno = 0;
  cpu = strtoul (text, &end, 10);
  if (errno != 0 || *end != '\0' || cpu >= CPU_SETSIZE)
    {
      fprintf (stderr, "bench-loops: invalid BENCH_CPU `%s`: expected a CPU number\n", text);
      return -1;
    }
  CPU_ZERO (&set);
  CPU_SET (cpu, &set);
  if (sched_setaffinity (0, sizeof (set), &set) < 0)
    {
      fprintf (stderr, "bench-loops: pin to CPU %lu: %s\n", cpu, strerror (errno));
      return -1;
    }
  return 0;
}

static void
usage (void)
{
  fprintf (stderr, "usage: bench-loops now | exec N PATH | sys N | connect N | write N DIR"
                   " | notify N PATH [START_NS]\n");
}

int
main (int argc, char **argv)
{
  unsigned long n;
  int ret;

  /* One line per loop: with stdout on a pipe, print it before exit.  */
  setvbuf (stdout, NULL, _IOLBF, 0);
  if (argc == 2 && strcmp (argv[1], "now") == 0)
    {
      printf ("%llu\n", (unsigned long long) now_ns ());
      return 0;
    }
  if (argc < 3)
    {
      usage ();
      return 2;
    }
  if (parse_count (argv[2], &n) < 0 || pin_cpu () < 0)
    return 2;

  if (strcmp (argv[1], "exec") == 0 && argc == 4)
    ret = loop_exec (n, argv[3]);
  else if (strcmp (argv[1], "sys") == 0 && argc == 3)
    ret = loop_sys (n);
  else if (strcmp (argv[1], "connect") == 0 && argc == 3)
    ret = loop_connect (n);
  else if (strcmp (argv[1], "write") == 0 && argc == 4)
    ret = loop_write (n, argv[3]);
  else if (strcmp (argv[1], "notify") == 0 && (argc == 4 || argc == 5))
    ret = loop_notify (n, argv[3], argc == 5 ? strtoull (argv[4], NULL, 10) : 0);
  else
    {
      usage ();
      return 2;
    }
  return ret < 0 ? 1 : 0;
}
