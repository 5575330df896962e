#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static const char *log_program = "vigil";
static enum vigil_log_level log_level = VIGIL_LOG_INFO;
static bool log_to_journal;

static const char *const level_names[] = {
  [VIGIL_LOG_ERROR] = "error",
  [VIGIL_LOG_WARNING] = "warning",
  [VIGIL_LOG_INFO] = "info",
  [VIGIL_LOG_DEBUG] = "debug",
};

/* sd-daemon(3) prefixes: <3> err, <4> warning, <6> info, <7> debug.  */
static const int level_priorities[] = { 3, 4, 6, 7 };

void
vigil_log_init (const char *program)
{
  log_program = program;
  /* systemd sets JOURNAL_STREAM when stderr is a journal stream; the
     journal then adds its own timestamps and reads the priority prefix.  */
  log_to_journal = getenv ("JOURNAL_STREAM") != NULL;
}

void
vigil_log_set_level (enum vigil_log_level level)
{
  log_level = level;
}

enum vigil_log_level
vigil_log_get_level (void)
{
  return log_level;
}

int
vigil_log_parse_level (const char *name)
{
  size_t i;

  if (strcmp (name, "warn") == 0)
    return VIGIL_LOG_WARNING;
  for (i = 0; i < sizeof (level_names) / sizeof (level_names[0]); i++)
    if (strcmp (name, level_names[i]) == 0)
      return (int) i;
  return -1;
}

const char *
vigil_log_level_name (enum vigil_log_level level)
{
  return level_names[level];
}

void
vigil_log (enum vigil_log_level level, const char *fmt, ...)
{
  va_list ap;
  char stamp[32] = "";
  struct timespec ts;
  struct tm tm;

  if (level > log_level)
    return;

  if (log_to_journal)
    fprintf (stderr, "<%d>", level_priorities[level]);
  else
    {
      clock_gettime (CLOCK_REALTIME, &ts);
      gmtime_r (&ts.tv_sec, &tm);
      strftime (stamp, sizeof (stamp), "%Y-%m-%dT%H:%M:%S", &tm);
      fprintf (stderr, "%s.%03ldZ %s[%s]: ", stamp, ts.tv_nsec / 1000000L, log_program,
               level_names[level]);
    }

  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
}
