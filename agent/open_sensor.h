/* Opens for writing (open, openat, creat and openat2; the filter lets
   reads run without notifying): writes to a binary of an active model,
   and to the operator's protected paths, are denied.  */
#ifndef VIGIL_OPEN_SENSOR_H
#define VIGIL_OPEN_SENSOR_H

#include <linux/seccomp.h>
#include <stdbool.h>

#include "agent/exec_sensor.h"

struct agent;
struct agent_notifier;

bool open_sensor_handles (const struct exec_syscalls *nrs, const struct seccomp_notif *req);
void open_sensor_handle (struct agent *a, struct agent_notifier *n, const struct seccomp_notif *req);

#endif
