/* The alert stream: one JSON object per line, appended to a file that log
   shippers can follow.  */
#ifndef VIGIL_ALERTS_H
#define VIGIL_ALERTS_H

#include "common/error.h"

/* Alerts kept in memory for vigilctl, newest last.  */
#define ALERTS_RECENT_MAX 1000

struct alerts
{
  int fd;
  char *path;
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
  const char *action;       /* "denied", "alerted" */
};

int alerts_open (struct alerts *al, const char *path, vigil_error_t *err);
/* Append one alert; a failed write is logged, never fatal.  */
void alerts_write (struct alerts *al, const struct alert *alert);
/* The i-th most recent alert line kept in memory, oldest first
   (0 <= i < recent_count).  */
const char *alerts_recent (const struct alerts *al, size_t i);
void alerts_close (struct alerts *al);

#endif
