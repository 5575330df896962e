#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "target_mem.h"

/* process_vm_readv fails as a whole on a range that crosses into an
   unmapped page, so strings are read one page piece at a time.  */
static ssize_t
read_chunk (pid_t pid, uint64_t addr, void *buf, size_t len)
{
  struct iovec local = { .iov_base = buf, .iov_len = len };
  struct iovec remote = { .iov_base = (void *) (uintptr_t) addr, .iov_len = len };
  ssize_t n = process_vm_readv (pid, &local, 1, &remote, 1, 0);

  return n < 0 ? -errno : n;
}

ssize_t
target_read_string (pid_t pid, uint64_t addr, char *buf, size_t size)
{
  const size_t page = (size_t) sysconf (_SC_PAGESIZE);
  size_t done = 0;

  if (addr == 0)
    return -EFAULT;
  while (done < size)
    {
      uint64_t at = addr + done;
      size_t want = page - (size_t) (at % page);
      ssize_t n;
      char *nul;

      if (want > size - done)
        want = size - done;
      n = read_chunk (pid, at, buf + done, want);
      if (n < 0)
        return n;
      if (n == 0)
        return -EFAULT;
      nul = memchr (buf + done, '\0', (size_t) n);
      if (nul != NULL)
        return nul - buf;
      done += (size_t) n;
    }
  buf[size - 1] = '\0';
  return -ENAMETOOLONG;
}

int
target_read_pointer (pid_t pid, uint64_t addr, unsigned ptr_size, uint64_t *out)
{
  uint64_t v64 = 0;
  uint32_t v32 = 0;
  ssize_t n;

  if (ptr_size == 4)
    {
      n = read_chunk (pid, addr, &v32, sizeof (v32));
      *out = v32;
    }
  else
    {
      n = read_chunk (pid, addr, &v64, sizeof (v64));
      *out = v64;
    }
  if (n < 0)
    return (int) n;
  return (size_t) n == ptr_size ? 0 : -EFAULT;
}

int
target_read_bytes (pid_t pid, uint64_t addr, void *buf, size_t len)
{
  ssize_t n;

  if (len == 0)
    return 0;
  if (addr == 0)
    return -EFAULT;
  n = read_chunk (pid, addr, buf, len);
  if (n < 0)
    return (int) n;
  return (size_t) n == len ? 0 : -EFAULT;
}
