/* exec32 PROGRAM [ARG]...: execute PROGRAM through the 32-bit execve
   entry point (int 0x80) of an x86_64 kernel.  A seccomp filter gets that call as another architecture (AUDIT_ARCH_I386) with another
   syscall number (11), so a filter that watches only the 64-bit execve
   would miss it.  Built static and non-PIE so that every string and the
   argument array sit below 4 GiB, where 32-bit pointers reach.  */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAX_ARGS 16

static char arg_storage[MAX_ARGS][256];
static uint32_t argv32[MAX_ARGS + 1];

int
main (int argc, char **argv)
{
  long ret;
  int i;

  if (argc < 2 || argc - 1 > MAX_ARGS)
    {
      fprintf (stderr, "usage: exec32 PROGRAM [ARG]... (at most %d)\n", MAX_ARGS);
      return 2;
    }
  for (i = 1; i < argc; i++)
    {
      snprintf (arg_storage[i - 1], sizeof (arg_storage[i - 1]), "%s", argv[i]);
      argv32[i - 1] = (uint32_t) (uintptr_t) arg_storage[i - 1];
    }
  argv32[argc - 1] = 0;

  __asm__ volatile ("int $0x80"
                    : "=a"(ret)
                    : "a"(11L), "b"(arg_storage[0]), "c"(argv32), "d"(0L)
                    : "memory");
  fprintf (stderr, "exec32: %s: %s\n", arg_storage[0], strerror ((int) -ret));
  return 126;
}
