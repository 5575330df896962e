/* The process sensor on the seccomp path: decides execve and execveat
   notifications against the container's model.  */
#ifndef VIGIL_EXEC_SENSOR_H
#define VIGIL_EXEC_SENSOR_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/metrics.h"
#include "common/error.h"

struct agent;
struct agent_notifier;
struct agent_container;

/* The numbers of the watched syscalls on each architecture a
   notification can come from; negative where a syscall does not exist.  */
struct exec_syscalls
{
  struct
  {
    uint32_t arch;      /* AUDIT_ARCH_* */
    int execve;
    int execveat;
    int open;
    int openat;
    int creat;
    int openat2;
    int bind;
    int listen;
    int connect;
    int sendto;
    int socket;
    int socketcall;     /* the 32-bit x86 multiplexer; -1 elsewhere */
    unsigned ptr_size;  /* bytes of a user pointer */
  } table[4];
  unsigned n;
};

/* The table entry for the architecture of req, or -1.  */
int exec_syscalls_match (const struct exec_syscalls *nrs, const struct seccomp_notif *req);

/* Whether the number nr of a notification is syscall_nr, with or without
   the x32 bit.  */
bool exec_syscalls_is (int nr, int syscall_nr);

int exec_syscalls_init (struct exec_syscalls *nrs, vigil_error_t *err);

/* Decide one notification and send the response.  Every path responds
   exactly once, unless the target is already gone.  Returns the sensor
   that decided it.  */
enum metrics_sensor exec_sensor_handle (struct agent *a, struct agent_notifier *n,
                                        const struct seccomp_notif *req);

/* Where the root of a process is inside its container: "" for the
   container's root, "/tmp/r" after chroot("/tmp/r").  procfd and rootfd
   are the process's /proc/PID and root.  Returns 0, or -ESTALE when the
   root cannot be named.  */
int exec_sensor_root_prefix (const struct agent_container *c, int procfd, int rootfd, char *prefix,
                             size_t size);

/* Prefix an in-container path with a root prefix, in place.  */
int exec_sensor_apply_prefix (char *path, size_t size, const char *prefix);

/* Let the notified syscall run (errnum 0) or fail it with -errnum.  */
void exec_sensor_respond (struct agent *a, struct agent_notifier *n, uint64_t id, int errnum);

#endif
