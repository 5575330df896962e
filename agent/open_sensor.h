/* Opens for writing (open, openat, creat and openat2; the filter lets
   reads run without notifying): writes to a binary of an active model,
   and to the operator's protected paths, are denied.  */
#ifndef VIGIL_OPEN_SENSOR_H
#define VIGIL_OPEN_SENSOR_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "agent/exec_sensor.h"

struct agent;
struct agent_notifier;

bool open_sensor_handles (const struct exec_syscalls *nrs, const struct seccomp_notif *req);
void open_sensor_handle (struct agent *a, struct agent_notifier *n, const struct seccomp_notif *req);

struct agent_container;

/* The in-container path that path, relative to the working directory of
   process pid, reaches with every link resolved (for a file yet to be
   created, its directory's real path joined with its name).  Returns 0
   or a negative errno.  */
int open_sensor_resolve_path (const struct agent_container *c, pid_t pid, const char *path, char *out, size_t size);

#endif
