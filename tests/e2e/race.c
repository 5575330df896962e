/* race TRIES ALLOWED FORBIDDEN: in each of TRIES children, one thread
   calls execve on a path buffer while another keeps rewriting the buffer
   between ALLOWED and FORBIDDEN (paths of equal length).  Prints how
   often each program ran; FORBIDDEN must never run when only ALLOWED is
   permitted.  Installed as a file named "permitted" or "forbidden", the
   binary is the program: it exits 0 or 42.  It tells which file it is
   from /proc/self/exe, not argv[0], which the race rewrites too.  */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FORBIDDEN_STATUS 42

static char path[256];
static const char *names[2];
static atomic_int stop;

static void *
flip (void *arg)
{
  size_t len = strlen (names[0]);
  int i = 0;

  (void) arg;
  while (!atomic_load (&stop))
    {
      memcpy (path, names[i], len);
      i ^= 1;
    }
  return NULL;
}

static void
child (void)
{
  char *argv[] = { path, NULL };
  char *envp[] = { NULL };
  pthread_t t;

  pthread_create (&t, NULL, flip, NULL);
  for (int i = 0; i < 1000; i++)
    execve (path, argv, envp); /* returns only when denied or torn */
  _exit (3);
}

int
main (int argc, char **argv)
{
  char exe[256] = "";
  ssize_t n = readlink ("/proc/self/exe", exe, sizeof (exe) - 1);
  const char *self;
  long tries, i, counts[256] = { 0 };

  exe[n > 0 ? n : 0] = '\0';
  self = strrchr (exe, '/') ? strrchr (exe, '/') + 1 : exe;

  if (strcmp (self, "permitted") == 0)
    return 0;
  if (strcmp (self, "forbidden") == 0)
    return FORBIDDEN_STATUS;
  if (argc != 4 || strlen (argv[2]) != strlen (argv[3]) || strlen (argv[2]) >= sizeof (path))
    {
      fprintf (stderr, "usage: race TRIES ALLOWED FORBIDDEN (paths of equal length)\n");
      return 2;
    }
  tries = strtol (argv[1], NULL, 10);
  names[0] = argv[2];
  names[1] = argv[3];

  for (i = 0; i < tries; i++)
    {
      int status;
      pid_t pid;

      memcpy (path, names[0], strlen (names[0]) + 1);
      pid = fork ();
      if (pid == 0)
        child ();
      if (pid < 0 || waitpid (pid, &status, 0) < 0)
        {
          perror ("race");
          return 2;
        }
      counts[WIFEXITED (status) ? WEXITSTATUS (status) : 255]++;
    }
  printf ("tries %ld allowed %ld forbidden %ld denied %ld\n", tries, counts[0],
          counts[FORBIDDEN_STATUS], counts[3]);
  return counts[FORBIDDEN_STATUS] == 0 ? 0 : 1;
}
