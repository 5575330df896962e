/* Error objects: every fallible function returns a negative int and fills
   one of these with errno and a message; callers add context on the way up
   and only main() prints.  */
#ifndef VIGIL_ERROR_H
#define VIGIL_ERROR_H

#include <stdarg.h>

struct vigil_error
{
  int errnum;   /* errno of the root cause, 0 when none applies */
  char *msg;
};

typedef struct vigil_error *vigil_error_t;

/* Store a new error in *err.  When errnum is not 0, ": strerror(errnum)"
   is appended.  Returns -1 so that callers can write
   "return vigil_error_set (...)".  */
int vigil_error_set (vigil_error_t *err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Prefix the message of *err with more context ("context: old message").
   Returns -1.  */
int vigil_error_wrap (vigil_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

void vigil_error_free (vigil_error_t *err);

static inline void
cleanup_errorp (vigil_error_t *err)
{
  vigil_error_free (err);
}
#define cleanup_error __attribute__ ((cleanup (cleanup_errorp)))

#endif
