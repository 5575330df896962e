/* execat at DIR NAME [ARG]...   execveat(open(DIR), NAME, ...)
   execat fd PATH [ARG]...       execveat(open(PATH), "", ..., AT_EMPTY_PATH),
                                 which is what fexecve(3) does
   execat memfd PATH [ARG]...    copy PATH into a memfd and execute that:
                                 a program with no path in the file system
   The exec forms a shell never uses, for the end-to-end tests.  */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static char *const empty_env[] = { NULL };

int
main (int argc, char **argv)
{
  int fd;

  if (argc >= 4 && strcmp (argv[1], "at") == 0)
    {
      fd = open (argv[2], O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0)
        {
          fprintf (stderr, "execat: open %s: %s\n", argv[2], strerror (errno));
          return 2;
        }
      syscall (SYS_execveat, fd, argv[3], &argv[3], empty_env, 0);
      fprintf (stderr, "execat: %s in %s: %s\n", argv[3], argv[2], strerror (errno));
      return 126;
    }
  if (argc >= 3 && strcmp (argv[1], "fd") == 0)
    {
      fd = open (argv[2], O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        {
          fprintf (stderr, "execat: open %s: %s\n", argv[2], strerror (errno));
          return 2;
        }
      syscall (SYS_execveat, fd, "", &argv[2], empty_env, AT_EMPTY_PATH);
      fprintf (stderr, "execat: fd of %s: %s\n", argv[2], strerror (errno));
      return 126;
    }
  if (argc >= 3 && strcmp (argv[1], "memfd") == 0)
    {
      char buf[65536];
      ssize_t n;
      int src = open (argv[2], O_RDONLY | O_CLOEXEC);

      fd = (int) syscall (SYS_memfd_create, "payload", 0);
      if (src < 0 || fd < 0)
        {
          fprintf (stderr, "execat: memfd of %s: %s\n", argv[2], strerror (errno));
          return 2;
        }
      while ((n = read (src, buf, sizeof (buf))) > 0)
        if (write (fd, buf, (size_t) n) != n)
          return 2;
      syscall (SYS_execveat, fd, "", &argv[2], empty_env, AT_EMPTY_PATH);
      fprintf (stderr, "execat: memfd copy of %s: %s\n", argv[2], strerror (errno));
      return 126;
    }
  fprintf (stderr, "usage: execat at DIR NAME [ARG]... | execat fd PATH [ARG]... | "
                   "execat memfd PATH [ARG]...\n");
  return 2;
}
