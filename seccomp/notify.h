/* Thin wrappers around the seccomp user-notification ioctls
   (seccomp_unotify(2)).  */
#ifndef VIGIL_NOTIFY_H
#define VIGIL_NOTIFY_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

struct notify_sizes
{
  uint16_t notif;
  uint16_t resp;
};

/* Ask the kernel how large its notification structures are; they may be
   larger than this build's headers declare.  */
int notify_get_sizes (struct notify_sizes *sizes, vigil_error_t *err);

/* Receive one notification into req (zeroed first, size bytes).  Returns
   0, or -ENOENT when the target died before it could be received, or -1
   with err set.  */
int notify_receive (int fd, struct seccomp_notif *req, size_t size, vigil_error_t *err);

/* Whether notification id is still pending (the target is alive and
   waiting).  Reading the target's memory is only meaningful if this is still
   true afterwards.  */
bool notify_id_valid (int fd, uint64_t id);

/* Let the syscall run as if no filter had notified.  */
int notify_respond_continue (int fd, struct seccomp_notif_resp *resp, size_t size, uint64_t id);

/* Fail the syscall with -errnum.  */
int notify_respond_error (int fd, struct seccomp_notif_resp *resp, size_t size, uint64_t id,
                          int errnum);

/* Complete the syscall with the result of a call the agent made on the
   target's behalf: val when it is 0 or more, else the error -val.  */
int notify_respond_result (int fd, struct seccomp_notif_resp *resp, size_t size, uint64_t id,
                           int64_t val);

/* Set SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6).  Returns 0, or the
   negative errno of a kernel that lacks it.  */
int notify_set_sync_wakeup (int fd);

#endif
