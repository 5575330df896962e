/* Counters of vigild in the Prometheus text format, written to a file for
   node_exporter's textfile collector.  */
#ifndef VIGIL_METRICS_H
#define VIGIL_METRICS_H

#include <stdint.h>

#include "common/error.h"

struct agent;

enum metrics_sensor
{
  METRICS_PROCESS,  /* execve and execveat */
  METRICS_FILE,     /* opens for writing */
  METRICS_NETWORK,  /* bind, listen, connect, sendto, socket */
  METRICS_SENSORS,
};

struct metrics
{
  uint64_t notifications[METRICS_SENSORS];
  uint64_t notification_ns[METRICS_SENSORS]; /* event loop time spent on them (a
                                                blocking connect goes on in a
                                                worker) */
  uint64_t fanotify_events;
  uint64_t files_hashed;     /* hashed for the hash feed, cache misses */
};

/* Count one notification of sensor, handled in ns nanoseconds.  */
void metrics_notification (struct metrics *m, enum metrics_sensor sensor, uint64_t ns);

/* Write every counter of a to path, replacing the file atomically.  */
int metrics_write (const struct agent *a, const char *path, vigil_error_t *err);

#endif
