/* The process sensor on the seccomp path: decides execve and execveat
   notifications against the container's model.  */
#ifndef VIGIL_EXEC_SENSOR_H
#define VIGIL_EXEC_SENSOR_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

struct agent;
struct agent_notifier;

/* execve and execveat numbers on each architecture a notification can
   come from.  */
struct exec_syscalls
{
  struct
  {
    uint32_t arch;      /* AUDIT_ARCH_* */
    int execve;
    int execveat;
    unsigned ptr_size;  /* bytes of a user pointer */
  } table[4];
  unsigned n;
};

int exec_syscalls_init (struct exec_syscalls *nrs, vigil_error_t *err);

/* Decide one notification and send the response.  Every path responds
   exactly once, unless the target is already gone.  */
void exec_sensor_handle (struct agent *a, struct agent_notifier *n, const struct seccomp_notif *req);

#endif
