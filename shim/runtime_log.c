#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime_log.h"

static const char *log_file;
static bool log_json;

void
runtime_log_setup (const char *log_path, const char *format)
{
  log_json = format != NULL && strcmp (format, "json") == 0;
  log_file = NULL;
  if (log_path == NULL || log_path[0] == '\0')
    return;
  if (strncmp (log_path, "file:", 5) == 0)
    log_file = log_path + 5;
  else if (strchr (log_path, ':') == NULL || log_path[0] == '/')
    log_file = log_path;
}

/* Append s to f with JSON string escaping.  runc's text format quotes the
   message the same way for the characters that matter here.  */
static void
put_escaped (FILE *f, const char *s)
{
  for (; *s != '\0'; s++)
    {
      unsigned char c = (unsigned char) *s;
      if (c == '"' || c == '\\')
        fprintf (f, "\\%c", c);
      else if (c == '\n')
        fputs ("\\n", f);
      else if (c == '\t')
        fputs ("\\t", f);
      else if (c < 0x20)
        fprintf (f, "\\u%04x", c);
      else
        fputc (c, f);
    }
}

static void
write_line (FILE *f, const char *level, const char *stamp, const char *msg)
{
  if (log_json)
    {
      fprintf (f, "{\"level\":\"%s\",\"msg\":\"", level);
      put_escaped (f, msg);
      fprintf (f, "\",\"time\":\"%s\"}\n", stamp);
    }
  else
    {
      fprintf (f, "time=\"%s\" level=%s msg=\"", stamp, level);
      put_escaped (f, msg);
      fputs ("\"\n", f);
    }
}

void
runtime_log (const char *level, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  char stamp[40];
  struct timespec ts;
  struct tm tm;
  va_list ap;
  int fd;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (msg == NULL)
    return;

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (stamp, sizeof (stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);

  fprintf (stderr, "vigil-runc: %s: %s\n", level, msg);

  if (log_file == NULL)
    return;
  fd = open (log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0)
    {
      FILE *f = fdopen (fd, "a");
      if (f == NULL)
        {
          close (fd);
          return;
        }
      write_line (f, level, stamp, msg);
      fclose (f);
    }
}
