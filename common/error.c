#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static char *
format_message (int errnum, const char *fmt, va_list ap)
{
  char *base = NULL;
  char *full = NULL;

  if (vasprintf (&base, fmt, ap) < 0)
    return NULL;
  if (errnum == 0)
    return base;
  if (asprintf (&full, "%s: %s", base, strerror (errnum)) < 0)
    full = NULL;
  free (base);
  return full;
}

int
vigil_error_set (vigil_error_t *err, int errnum, const char *fmt, ...)
{
  va_list ap;
  struct vigil_error *e;

  if (err == NULL)
    return -1;
  vigil_error_free (err);

  e = calloc (1, sizeof (*e));
  if (e == NULL)
    return -1;
  va_start (ap, fmt);
  e->msg = format_message (errnum, fmt, ap);
  va_end (ap);
  e->errnum = errnum;
  *err = e;
  return -1;
}

int
vigil_error_wrap (vigil_error_t *err, const char *fmt, ...)
{
  va_list ap;
  char *context = NULL;
  char *joined = NULL;

  if (err == NULL || *err == NULL)
    return -1;

  va_start (ap, fmt);
  if (vasprintf (&context, fmt, ap) < 0)
    context = NULL;
  va_end (ap);
  if (context == NULL)
    return -1;

  if (asprintf (&joined, "%s: %s", context, (*err)->msg ? (*err)->msg : "unknown error") >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = joined;
    }
  free (context);
  return -1;
}

void
vigil_error_free (vigil_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}
