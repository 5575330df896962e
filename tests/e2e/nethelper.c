/* Network peer and client for the end-to-end tests; built static so that
   it runs in the busybox root.  Only loopback addresses are used.

   nethelper serve FILE PORT...      accept on 127.0.0.1:PORT..., greet each
                                     client with "hello PORT", append PORT to
                                     FILE per connection
   nethelper full PORT               listen with a full queue, never accept
   nethelper connect ADDR PORT       blocking connect, print the greeting
   nethelper connect-nb ADDR PORT    non-blocking connect: report EINPROGRESS
                                     and the outcome after poll
   nethelper listen PORT [SECONDS]   listen on 0.0.0.0:PORT, optionally stay
   nethelper udp ADDR PORT           one datagram with sendto
   nethelper udp-unspec ADDR PORT    the same with sin_family AF_UNSPEC, which
                                     IPv4 sendto takes for AF_INET
   nethelper listen-nocap PORT       drop every capability, then bind
                                     0.0.0.0:PORT
   nethelper hang ADDR PORT N        N threads each in a blocking connect
   nethelper intr ADDR PORT          a blocking connect interrupted after
                                     1 s by a signal with SA_RESTART
   nethelper userve PATH             a unix stream server at PATH that sends
                                     each client its uid (SO_PEERCRED)
   nethelper uconnect PATH           connect to it, print what it says
   nethelper swap PORT N             N connects on a netlink socket while a
                                     second thread keeps putting a TCP socket
                                     under its fd and 127.0.0.1:PORT into the
                                     address; print how many TCP connects won
   nethelper raw                     socket(AF_PACKET, SOCK_RAW)
   nethelper packet-hi               socket(AF_PACKET, SOCK_DGRAM) with bits set
                                     above the 32 of the family
   nethelper race ADDR OK BAD N      N connects to ADDR:OK while a second
                                     thread keeps rewriting the port to BAD;
                                     print how many connected
   nethelper logsink PATH FILE       a unix datagram socket at PATH (a
                                     stand-in for /dev/log) appending each
                                     message to FILE as a line  */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <sys/un.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int
fail (const char *what)
{
  fprintf (stderr, "%s: %s\n", what, strerror (errno));
  return 1;
}

static struct sockaddr_in
address (const char *addr, const char *port)
{
  struct sockaddr_in sin;

  memset (&sin, 0, sizeof (sin));
  sin.sin_family = AF_INET;
  sin.sin_port = htons ((unsigned short) atoi (port));
  if (inet_pton (AF_INET, addr, &sin.sin_addr) != 1)
    {
      fprintf (stderr, "bad address %s\n", addr);
      exit (2);
    }
  return sin;
}

static int
listener (const char *addr, const char *port, int backlog)
{
  struct sockaddr_in sin = address (addr, port);
  int one = 1, fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return -1;
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one));
  if (bind (fd, (struct sockaddr *) &sin, sizeof (sin)) < 0 || listen (fd, backlog) < 0)
    {
      int saved = errno;
      close (fd);
      errno = saved;
      return -1;
    }
  return fd;
}

static int
serve (int argc, char **argv)
{
  struct pollfd fds[16];
  int n = 0, i, log;

  log = open (argv[2], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (log < 0)
    return fail ("open log");
  for (i = 3; i < argc && n < 16; i++, n++)
    {
      fds[n].fd = listener ("127.0.0.1", argv[i], 128);
      fds[n].events = POLLIN;
      if (fds[n].fd < 0)
        return fail ("listen");
    }
  for (;;)
    {
      if (poll (fds, (nfds_t) n, -1) < 0)
        return fail ("poll");
      for (i = 0; i < n; i++)
        if (fds[i].revents & POLLIN)
          {
            char line[32];
            int c = accept4 (fds[i].fd, NULL, NULL, SOCK_CLOEXEC);
            if (c < 0)
              continue;
            snprintf (line, sizeof (line), "%s\n", argv[i + 3]);
            if (write (log, line, strlen (line)) < 0)
              return fail ("write log");
            snprintf (line, sizeof (line), "hello %s\n", argv[i + 3]);
            if (write (c, line, strlen (line)) < 0)
              perror ("write");
            close (c);
          }
    }
}

static int
connect_blocking (const char *addr, const char *port)
{
  struct sockaddr_in sin = address (addr, port);
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  char buf[64];
  ssize_t n;

  if (fd < 0)
    return fail ("socket");
  if (connect (fd, (struct sockaddr *) &sin, sizeof (sin)) < 0)
    return fail ("connect");
  n = read (fd, buf, sizeof (buf) - 1);
  if (n > 0)
    {
      buf[n] = '\0';
      fputs (buf, stdout);
    }
  else
    puts ("connected");
  return 0;
}

static int
connect_nonblocking (const char *addr, const char *port)
{
  struct sockaddr_in sin = address (addr, port);
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 0;
  socklen_t len = sizeof (err);
  struct pollfd p;

  if (fd < 0)
    return fail ("socket");
  if (connect (fd, (struct sockaddr *) &sin, sizeof (sin)) == 0)
    {
      puts ("connected at once");
      return 0;
    }
  if (errno != EINPROGRESS)
    return fail ("connect");
  puts ("EINPROGRESS");
  p.fd = fd;
  p.events = POLLOUT;
  if (poll (&p, 1, 5000) != 1)
    return fail ("poll");
  if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
    return fail ("getsockopt");
  if (err != 0)
    {
      errno = err;
      return fail ("connect completed");
    }
  puts ("connected");
  return 0;
}

static int
listen_on (const char *port, const char *seconds)
{
  int fd = listener ("0.0.0.0", port, 16);

  if (fd < 0)
    return fail ("listen");
  puts ("listening");
  fflush (stdout);
  if (seconds != NULL)
    sleep ((unsigned) atoi (seconds));
  return 0;
}

static int
udp (const char *addr, const char *port)
{
  struct sockaddr_in sin = address (addr, port);
  int fd = socket (AF_INET, SOCK_DGRAM, 0);

  if (fd < 0)
    return fail ("socket");
  if (sendto (fd, "ping", 4, 0, (struct sockaddr *) &sin, sizeof (sin)) != 4)
    return fail ("sendto");
  puts ("sent");
  return 0;
}

static int
udp_unspec (const char *addr, const char *port)
{
  struct sockaddr_in sin = address (addr, port);
  int fd = socket (AF_INET, SOCK_DGRAM, 0);

  if (fd < 0)
    return fail ("socket");
  sin.sin_family = AF_UNSPEC;
  if (sendto (fd, "ping", 4, 0, (struct sockaddr *) &sin, sizeof (sin)) != 4)
    return fail ("sendto");
  puts ("sent");
  return 0;
}

static int
listen_nocap (const char *port)
{
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2];
  int fd;

  memset (data, 0, sizeof (data));
  if (syscall (SYS_capset, &hdr, data) < 0)
    return fail ("capset");
  fd = listener ("0.0.0.0", port, 16);
  if (fd < 0)
    return fail ("listen");
  puts ("listening");
  return 0;
}

static struct sockaddr_in hang_addr;

static void *
hang_one (void *arg)
{
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  (void) arg;
  if (fd >= 0)
    connect (fd, (struct sockaddr *) &hang_addr, sizeof (hang_addr));
  return NULL;
}

static int
hang (const char *addr, const char *port, const char *count)
{
  long n = atol (count), i;
  pthread_t t;

  hang_addr = address (addr, port);
  for (i = 0; i < n; i++)
    if (pthread_create (&t, NULL, hang_one, NULL) != 0)
      return fail ("pthread_create");
  printf ("%ld connects started\n", n);
  pause ();
  return 0;
}

static void
on_alarm (int sig)
{
  (void) sig;
}

static int
interrupted (const char *addr, const char *port)
{
  struct sockaddr_in sin = address (addr, port);
  struct sigaction sa;
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  if (fd < 0)
    return fail ("socket");
  memset (&sa, 0, sizeof (sa));
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigaction (SIGALRM, &sa, NULL);
  alarm (1);
  if (connect (fd, (struct sockaddr *) &sin, sizeof (sin)) < 0)
    return fail ("connect");
  puts ("connected");
  return 0;
}

static int
unix_addr (const char *path, struct sockaddr_un *sun)
{
  memset (sun, 0, sizeof (*sun));
  sun->sun_family = AF_UNIX;
  if (strlen (path) >= sizeof (sun->sun_path))
    return -1;
  strcpy (sun->sun_path, path);
  return 0;
}

static int
userve (const char *path)
{
  struct sockaddr_un sun;
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0 || unix_addr (path, &sun) < 0)
    return fail ("socket");
  unlink (path);
  if (bind (fd, (struct sockaddr *) &sun, sizeof (sun)) < 0 || listen (fd, 16) < 0)
    return fail ("listen");
  puts ("listening");
  for (;;)
    {
      struct ucred cr;
      socklen_t len = sizeof (cr);
      char line[64];
      int c = accept (fd, NULL, NULL);

      if (c < 0)
        continue;
      if (getsockopt (c, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0)
        {
          snprintf (line, sizeof (line), "peer uid %u\n", (unsigned) cr.uid);
          if (write (c, line, strlen (line)) < 0)
            perror ("write");
        }
      close (c);
    }
}

static int
uconnect (const char *path)
{
  struct sockaddr_un sun;
  char buf[64];
  ssize_t n;
  int fd = socket (AF_UNIX, SOCK_STREAM, 0);

  if (fd < 0 || unix_addr (path, &sun) < 0)
    return fail ("socket");
  if (connect (fd, (struct sockaddr *) &sun, sizeof (sun)) < 0)
    return fail ("connect");
  n = read (fd, buf, sizeof (buf) - 1);
  if (n > 0)
    {
      buf[n] = '\0';
      fputs (buf, stdout);
    }
  return 0;
}

/* The swap: one fd number and one address buffer that both threads use.  */
static int swap_fd;
static int swap_netlink;
static union
{
  struct sockaddr sa;
  struct sockaddr_nl nl;
  struct sockaddr_in in;
} swap_addr;
static struct sockaddr_in swap_target;
static atomic_int swap_stop;

static void *
swapper (void *arg)
{
  struct sockaddr_nl nl = { .nl_family = AF_NETLINK };

  (void) arg;
  while (!atomic_load (&swap_stop))
    {
      int t = socket (AF_INET, SOCK_STREAM, 0);
      if (t < 0)
        continue;
      dup2 (t, swap_fd);
      memcpy (&swap_addr.in, &swap_target, sizeof (swap_target));
      sched_yield ();
      dup2 (swap_netlink, swap_fd);
      memcpy (&swap_addr.nl, &nl, sizeof (nl));
      close (t);
    }
  return NULL;
}

static int
swap (const char *port, const char *count)
{
  long n = atol (count), i, won = 0;
  pthread_t t;

  swap_target = address ("127.0.0.1", port);
  swap_netlink = socket (AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  swap_fd = socket (AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  if (swap_netlink < 0 || swap_fd < 0)
    return fail ("socket");
  swap_addr.nl.nl_family = AF_NETLINK;
  if (pthread_create (&t, NULL, swapper, NULL) != 0)
    return fail ("pthread_create");
  for (i = 0; i < n; i++)
    {
      struct sockaddr_in peer;
      socklen_t len = sizeof (peer);
      connect (swap_fd, &swap_addr.sa, sizeof (swap_addr.in));
      /* A TCP socket under the number that got connected: the swap won.  */
      if (getpeername (swap_fd, (struct sockaddr *) &peer, &len) == 0 && peer.sin_family == AF_INET)
        won++;
    }
  atomic_store (&swap_stop, 1);
  pthread_join (t, NULL);
  printf ("won %ld of %ld\n", won, n);
  return 0;
}

static int
packet_hi (void)
{
  long fd = syscall (SYS_socket, (long) AF_PACKET | (1L << 32), (long) SOCK_DGRAM, (long) htons (0x0003));

  if (fd < 0)
    return fail ("socket");
  puts ("packet socket");
  return 0;
}

static int
raw (void)
{
  int fd = socket (AF_PACKET, SOCK_RAW, htons (0x0003));

  if (fd < 0)
    return fail ("socket");
  puts ("raw socket");
  return 0;
}

/* The race: one sockaddr in memory both threads see.  */
static struct sockaddr_in shared;
static atomic_int stop;
static unsigned short ok_port, bad_port;

static void *
flipper (void *arg)
{
  volatile unsigned short *port = &shared.sin_port;

  (void) arg;
  while (!atomic_load (&stop))
    {
      *port = bad_port;
      *port = ok_port;
    }
  return NULL;
}

static int
race (const char *addr, const char *ok, const char *bad, const char *count)
{
  long n = atol (count), i, connected = 0, refused = 0;
  pthread_t t;

  shared = address (addr, ok);
  ok_port = htons ((unsigned short) atoi (ok));
  bad_port = htons ((unsigned short) atoi (bad));
  if (pthread_create (&t, NULL, flipper, NULL) != 0)
    return fail ("pthread_create");
  for (i = 0; i < n; i++)
    {
      int fd = socket (AF_INET, SOCK_STREAM, 0);
      if (fd < 0)
        return fail ("socket");
      if (connect (fd, (struct sockaddr *) &shared, sizeof (shared)) == 0)
        connected++;
      else
        refused++;
      close (fd);
    }
  atomic_store (&stop, 1);
  pthread_join (t, NULL);
  printf ("connected %ld refused %ld\n", connected, refused);
  return 0;
}

/* A stand-in for /dev/log: a unix datagram socket at path; each message
   is appended to file as one line.  */
static int
logsink (const char *path, const char *file)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  char buf[65536];
  int fd = socket (AF_UNIX, SOCK_DGRAM, 0);

  if (fd < 0 || strlen (path) >= sizeof (addr.sun_path))
    return fail ("socket");
  memcpy (addr.sun_path, path, strlen (path));
  unlink (path);
  if (bind (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    return fail ("bind");
  for (;;)
    {
      ssize_t n = recv (fd, buf, sizeof (buf) - 1, 0);
      FILE *out;

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return fail ("recv");
      buf[n] = '\0';
      out = fopen (file, "a");
      if (out == NULL)
        return fail ("open the output file");
      fprintf (out, "%s\n", buf);
      fclose (out);
    }
}

int
main (int argc, char **argv)
{
  signal (SIGPIPE, SIG_IGN);
  setvbuf (stdout, NULL, _IOLBF, 0);
  if (argc >= 4 && strcmp (argv[1], "serve") == 0)
    return serve (argc, argv);
  if (argc == 3 && strcmp (argv[1], "full") == 0)
    {
      int fd = listener ("127.0.0.1", argv[2], 0);
      if (fd < 0)
        return fail ("listen");
      pause ();
      return 0;
    }
  if (argc == 4 && strcmp (argv[1], "connect") == 0)
    return connect_blocking (argv[2], argv[3]);
  if (argc == 4 && strcmp (argv[1], "connect-nb") == 0)
    return connect_nonblocking (argv[2], argv[3]);
  if ((argc == 3 || argc == 4) && strcmp (argv[1], "listen") == 0)
    return listen_on (argv[2], argc == 4 ? argv[3] : NULL);
  if (argc == 4 && strcmp (argv[1], "udp") == 0)
    return udp (argv[2], argv[3]);
  if (argc == 4 && strcmp (argv[1], "udp-unspec") == 0)
    return udp_unspec (argv[2], argv[3]);
  if (argc == 3 && strcmp (argv[1], "listen-nocap") == 0)
    return listen_nocap (argv[2]);
  if (argc == 5 && strcmp (argv[1], "hang") == 0)
    return hang (argv[2], argv[3], argv[4]);
  if (argc == 4 && strcmp (argv[1], "intr") == 0)
    return interrupted (argv[2], argv[3]);
  if (argc == 3 && strcmp (argv[1], "userve") == 0)
    return userve (argv[2]);
  if (argc == 3 && strcmp (argv[1], "uconnect") == 0)
    return uconnect (argv[2]);
  if (argc == 4 && strcmp (argv[1], "swap") == 0)
    return swap (argv[2], argv[3]);
  if (argc == 2 && strcmp (argv[1], "packet-hi") == 0)
    return packet_hi ();
  if (argc == 2 && strcmp (argv[1], "raw") == 0)
    return raw ();
  if (argc == 6 && strcmp (argv[1], "race") == 0)
    return race (argv[2], argv[3], argv[4], argv[5]);
  if (argc == 4 && strcmp (argv[1], "logsink") == 0)
    return logsink (argv[2], argv[3]);
  fprintf (stderr, "nethelper: unknown command or wrong arguments (usage: tests/e2e/nethelper.c)\n");
  return 2;
}
