/* Execs that passed the seccomp check and wait for the kernel to open
   their file: the fanotify decision compares the file the kernel opened
   with the one that was checked.  */
#ifndef VIGIL_EXEC_PENDING_H
#define VIGIL_EXEC_PENDING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define EXEC_PENDING_MAX 512

struct exec_pending
{
  pid_t tid;          /* 0 for a free slot */
  bool has_file;      /* false when the path did not resolve */
  bool threat_reported; /* the seccomp path alerted a threat and let it run */
  dev_t dev;          /* the file that was checked */
  ino_t ino;
  unsigned opens;     /* exec opens seen: the file, then interpreters */
  uint64_t since_ms;
};

struct exec_pending_table
{
  struct exec_pending slots[EXEC_PENDING_MAX];
};

/* Record an exec of thread tid about to open (dev, ino); replaces an
   older record of the same thread, else the oldest one.  */
void exec_pending_put (struct exec_pending_table *t, pid_t tid, bool has_file, dev_t dev, ino_t ino,
                       bool threat_reported, uint64_t now_ms);
/* The record of tid, or NULL.  */
struct exec_pending *exec_pending_get (struct exec_pending_table *t, pid_t tid);
/* Drop records older than max_age_ms.  */
void exec_pending_expire (struct exec_pending_table *t, uint64_t now_ms, uint64_t max_age_ms);

#endif
