#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/error.h"
#include "ctl/ctl.h"

void
format_duration (uint64_t ms, char *buf, size_t size)
{
  uint64_t s = ms / 1000;

  if (s < 60)
    snprintf (buf, size, "%" PRIu64 "s", s);
  else if (s < 3600)
    snprintf (buf, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
  else if (s < 86400)
    snprintf (buf, size, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, (s % 3600) / 60);
  else
    snprintf (buf, size, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, (s % 86400) / 3600);
}

void
format_time (int64_t ms, char *buf, size_t size)
{
  time_t t = (time_t) (ms / 1000);
  struct tm tm;

  if (ms <= 0)
    {
      snprintf (buf, size, "-");
      return;
    }
  gmtime_r (&t, &tm);
  strftime (buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

void
ctl_print_json (json_t v)
{
  cleanup_error vigil_error_t err = NULL;
  cleanup_free char *text = NULL;

  if (json_generate (v, true, &text, NULL, &err) == 0)
    printf ("%s\n", text);
}

bool
wants_help (int argc, char **argv, const char *usage)
{
  int i;

  for (i = 1; i < argc; i++)
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
      {
        fputs (usage, stdout);
        return true;
      }
  return false;
}

int
usage_error (const char *usage, const char *fmt, ...)
{
  va_list ap;

  fputs ("vigilctl: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputs ("\n", stderr);
  fputs (usage, stderr);
  return CTL_EXIT_USAGE;
}
