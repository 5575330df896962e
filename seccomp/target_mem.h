/* Reading syscall arguments out of a notifying process.  What is read can
   change under the reader (another thread of the target may write it), so
   it is context, never proof: see seccomp_unotify(2).  */
#ifndef VIGIL_TARGET_MEM_H
#define VIGIL_TARGET_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read a NUL-terminated string of at most size - 1 bytes at addr in pid.
   Returns its length, -ENAMETOOLONG when no NUL came within size bytes,
   or another negative errno (-EFAULT for a bad address).  */
ssize_t target_read_string (pid_t pid, uint64_t addr, char *buf, size_t size);

/* Read a pointer of ptr_size (4 or 8) bytes at addr.  */
int target_read_pointer (pid_t pid, uint64_t addr, unsigned ptr_size, uint64_t *out);

/* Read exactly len bytes at addr.  Returns 0 or a negative errno
   (-EFAULT when part of the range is not mapped).  */
int target_read_bytes (pid_t pid, uint64_t addr, void *buf, size_t len);

#endif
