#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/kernel-compat.h"
#include "notify.h"

int
notify_get_sizes (struct notify_sizes *sizes, vigil_error_t *err)
{
  struct seccomp_notif_sizes s = { 0 };

  if (syscall (SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &s) < 0)
    return vigil_error_set (err, errno, "seccomp(SECCOMP_GET_NOTIF_SIZES)");
  sizes->notif = s.seccomp_notif > sizeof (struct seccomp_notif) ? s.seccomp_notif
                                                                  : sizeof (struct seccomp_notif);
  sizes->resp = s.seccomp_notif_resp > sizeof (struct seccomp_notif_resp)
                    ? s.seccomp_notif_resp
                    : sizeof (struct seccomp_notif_resp);
  return 0;
}

int
notify_receive (int fd, struct seccomp_notif *req, size_t size, vigil_error_t *err)
{
  for (;;)
    {
      memset (req, 0, size);
      if (ioctl (fd, SECCOMP_IOCTL_NOTIF_RECV, req) == 0)
        return 0;
      if (errno == EINTR)
        continue;
      if (errno == ENOENT)
        return -ENOENT;
      return vigil_error_set (err, errno, "receive seccomp notification");
    }
}

bool
notify_id_valid (int fd, uint64_t id)
{
  return ioctl (fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

static int
send_response (int fd, struct seccomp_notif_resp *resp)
{
  if (ioctl (fd, SECCOMP_IOCTL_NOTIF_SEND, resp) == 0)
    return 0;
  /* ENOENT: the target was interrupted or died meanwhile; nothing waits for this
     response any more.  */
  return errno == ENOENT ? 0 : -errno;
}

int
notify_respond_continue (int fd, struct seccomp_notif_resp *resp, size_t size, uint64_t id)
{
  memset (resp, 0, size);
  resp->id = id;
  resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  return send_response (fd, resp);
}

int
notify_respond_error (int fd, struct seccomp_notif_resp *resp, size_t size, uint64_t id,
                      int errnum)
{
  memset (resp, 0, size);
  resp->id = id;
  resp->error = -errnum;
  return send_response (fd, resp);
}

int
notify_respond_result (int fd, struct seccomp_notif_resp *resp, size_t size, uint64_t id, int64_t val)
{
  memset (resp, 0, size);
  resp->id = id;
  if (val < 0)
    resp->error = (int32_t) val;
  else
    resp->val = val;
  return send_response (fd, resp);
}

int
notify_set_sync_wakeup (int fd)
{
  if (ioctl (fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (unsigned long) SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0)
    return 0;
  return -errno;
}
