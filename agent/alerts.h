/* The alert stream: one JSON object per line, appended to a file that log
   shippers can follow.  */
#ifndef VIGIL_ALERTS_H
#define VIGIL_ALERTS_H

#include "common/error.h"

struct alerts
{
  int fd;
  char *path;
};

struct alert
{
  const char *container_id;
  const char *container_name;
  const char *image;
  const char *image_name;
  const char *namespace;
  const char *model_key;
  const char *mode;
  const char *sensor;       /* "process" */
  const char *executable;
  const char *argv0;
  int pid;
  const char *reason;
  const char *action;       /* "denied", "alerted" */
};

int alerts_open (struct alerts *al, const char *path, vigil_error_t *err);
/* Append one alert; a failed write is logged, never fatal.  */
void alerts_write (struct alerts *al, const struct alert *alert);
void alerts_close (struct alerts *al);

#endif
