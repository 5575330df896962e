/* Kernel interfaces that Debian 12's headers (Linux 6.1) lack.  configure
   probes each one; the values below are the kernel's ABI and only fill
   the gaps.  Whether the running kernel accepts them is checked at run
   time.  */
#ifndef VIGIL_KERNEL_COMPAT_H
#define VIGIL_KERNEL_COMPAT_H

#include <fcntl.h>

#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#ifndef SECCOMP_IOC_MAGIC
#define SECCOMP_IOC_MAGIC '!'
#endif

#if !HAVE_DECL_SECCOMP_IOCTL_NOTIF_RECV
#define SECCOMP_IOCTL_NOTIF_RECV _IOWR (SECCOMP_IOC_MAGIC, 0, struct seccomp_notif)
#endif
#if !HAVE_DECL_SECCOMP_IOCTL_NOTIF_SEND
#define SECCOMP_IOCTL_NOTIF_SEND _IOWR (SECCOMP_IOC_MAGIC, 1, struct seccomp_notif_resp)
#endif
#if !HAVE_DECL_SECCOMP_IOCTL_NOTIF_ID_VALID
#define SECCOMP_IOCTL_NOTIF_ID_VALID _IOW (SECCOMP_IOC_MAGIC, 2, __u64)
#endif
#if !HAVE_DECL_SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_FLAG_CONTINUE (1UL << 0)
#endif
/* Linux 6.6: wake the notifying task on the CPU of the responding one.  */
#if !HAVE_DECL_SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS _IOW (SECCOMP_IOC_MAGIC, 4, __u64)
#endif
#if !HAVE_DECL_SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

#if !HAVE_DECL_SYS_PIDFD_OPEN
#define SYS_pidfd_open 434
#endif
/* Linux 6.9: a pidfd of one thread rather than of its process.  */
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#if !HAVE_DECL_SYS_OPENAT2
#define SYS_openat2 437
#endif

#endif
