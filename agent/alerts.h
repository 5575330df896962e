/* The alert stream: one JSON object per line, appended to a file that log
   shippers can follow, and written to stdout or syslog as configured.  The
   fields that Falco's JSON output has (time, rule, priority, output,
   output_fields, hostname, tags) come first, so that tools reading Falco's
   alerts read these; Vigil's own follow.  */
#ifndef VIGIL_ALERTS_H
#define VIGIL_ALERTS_H

#include <stdint.h>

#include "common/error.h"
#include "common/vconfig.h"

/* Alerts kept in memory for vigilctl, newest last.  */
#define ALERTS_RECENT_MAX 1000

/* The sensors and effects alerts are counted by, for the metrics.  */
#define ALERTS_SENSORS 4
#define ALERTS_EFFECTS 4
extern const char *const alerts_sensor_names[ALERTS_SENSORS]; /* process, file, network, agent */
extern const char *const alerts_effect_names[ALERTS_EFFECTS]; /* block, prevent, alert, none */

struct alerts
{
  int fd;
  char *path;
  unsigned outputs;                /* VIGIL_ALERTS_TO_* */
  char hostname[256];
  uint64_t counts[ALERTS_SENSORS][ALERTS_EFFECTS];
  uint64_t folded;                 /* events stood for by the count of folded alerts */
  char *recent[ALERTS_RECENT_MAX]; /* ring of JSON lines without newline */
  size_t recent_next;
  size_t recent_count;
  /* Called with each new line, for vigilctl alerts --follow.  */
  void (*on_alert) (void *data, const char *line, size_t len);
  void *on_alert_data;
};

struct alert
{
  const char *container_id;
  const char *container_name;
  const char *image;
  const char *image_name;
  const char *cluster;
  const char *namespace;
  const char *deployment;
  const char *model_key;
  const char *mode;
  const char *sensor;       /* "process", "file", "network" */
  const char *executable;   /* process sensor */
  const char *file;         /* file sensor */
  /* Network sensor: "listen", "connect" or "socket", the protocol
     ("tcp", "udp", "unix"; the family for "socket"), the address (the
     destination, a unix socket name; NULL for a listening IP socket), the
     port (-1 when none).  */
  const char *direction;
  const char *protocol;
  const char *address;
  int port;
  const char *argv0;
  int pid;
  const char *reason;
  const char *action;       /* "denied", "blocked", "alerted", "suppressed" */
  const char *rule;         /* NULL: named after the reason */
  const char *policy_rule;  /* the operator's rule that applies to the container, or NULL */
  unsigned long count;      /* identical events this alert stands for; 0 is 1 */
};

/* Open the alert file path (with VIGIL_ALERTS_TO_FILE in outputs; it also
   keeps the alerts vigilctl lists across restarts) and the other outputs.  */
int alerts_open (struct alerts *al, const char *path, unsigned outputs, vigil_error_t *err);
/* Append one alert; a failed write is logged, never fatal.  */
void alerts_write (struct alerts *al, const struct alert *alert);
/* The i-th most recent alert line kept in memory, oldest first
   (0 <= i < recent_count).  */
const char *alerts_recent (const struct alerts *al, size_t i);
void alerts_close (struct alerts *al);

#endif
