/* Scope-bound cleanup for heap memory, descriptors and streams. */
#ifndef VIGIL_CLEANUP_H
#define VIGIL_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void
cleanup_freep (void *p)
{
  void **pp = (void **) p;
  free (*pp);
}

static inline void
cleanup_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}

static inline void
cleanup_fclosep (FILE **f)
{
  if (*f != NULL)
    fclose (*f);
}

static inline void
cleanup_closedirp (DIR **d)
{
  if (*d != NULL)
    closedir (*d);
}

#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))
#define cleanup_file __attribute__ ((cleanup (cleanup_fclosep)))
#define cleanup_dir __attribute__ ((cleanup (cleanup_closedirp)))

/* Hand ownership of a pointer to the caller and leave NULL behind, so the
   cleanup attribute on the local variable does nothing.  */
static inline void *
take_ptr_impl (void *p)
{
  void **pp = (void **) p;
  void *ret = *pp;
  *pp = NULL;
  return ret;
}
#define take_ptr(p) ((__typeof__ (*(p))) take_ptr_impl (p))

static inline int
take_fd (int *fd)
{
  int ret = *fd;
  *fd = -1;
  return ret;
}

#endif
