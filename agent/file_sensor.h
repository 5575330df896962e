/* The file system sensor, and the exec decision that holds: a fanotify
   group per container (FAN_CLASS_CONTENT), marked on every mount of the
   container's file system tree, responds to FAN_OPEN_EXEC_PERM for the file
   the kernel actually opened and records FAN_CLOSE_WRITE.  */
#ifndef VIGIL_FILE_SENSOR_H
#define VIGIL_FILE_SENSOR_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"

struct agent;
struct agent_container;

/* Whether this kernel can make permission groups with FAN_OPEN_EXEC_PERM
   (Linux 5.0) and FAN_REPORT_TID; logs the result.  */
bool file_sensor_probe (void);

/* Create the group of container c, whose processes see the mounts of
   pid, and watch it.  A root file system fanotify cannot see (FUSE) is
   reported, not an error: the seccomp path then decides alone.  */
int file_sensor_attach (struct agent *a, struct agent_container *c, pid_t pid, vigil_error_t *err);

/* Record the written files the watchdog read from c's group while the
   event loop was stuck.  */
void file_sensor_take_watchdog_writes (struct agent *a, struct agent_container *c);

/* Handle what the group of c reported.  Every permission event gets a response, on
   every path.  */
void file_sensor_ready (struct agent *a, struct agent_container *c);

/* Close the group; the kernel allows whatever is still pending.  */
void file_sensor_detach (struct agent *a, struct agent_container *c);

#endif
