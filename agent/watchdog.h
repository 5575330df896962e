/* A thread that responds to fanotify permission events while the event
   loop is stuck in one handler (a container whose root file system stalls a
   lookup): a process blocked in exec waits at most a bounded time.  */
#ifndef VIGIL_WATCHDOG_H
#define VIGIL_WATCHDOG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct watchdog_group
{
  int fd;
  bool deny;            /* response for an enforcing model: deny */
  char id[72];          /* container id, for the log */
  /* Writes the watchdog read, handed back to the event loop.  */
  struct watchdog_write
  {
    dev_t dev;
    ino_t ino;
  } *writes;
  size_t n_writes;
};

struct watchdog
{
  pthread_t thread;
  bool running;
  pthread_mutex_t lock;
  struct watchdog_group *groups;
  size_t n_groups;
  uint64_t limit_ms;
  atomic_uint_fast64_t busy_since_ms; /* 0 while the loop waits for events */
  atomic_bool stop;
  atomic_ulong answered;               /* events the watchdog responded to */
};

int watchdog_start (struct watchdog *w, uint64_t limit_ms);
void watchdog_stop (struct watchdog *w);

void watchdog_add (struct watchdog *w, int fd, const char *container_id, bool deny);
void watchdog_set_deny (struct watchdog *w, int fd, bool deny);
/* Forget fd; call before closing it.  */
void watchdog_remove (struct watchdog *w, int fd);
/* Take the written files the watchdog read for fd; the caller frees
   *writes.  */
void watchdog_take_writes (struct watchdog *w, int fd, struct watchdog_write **writes, size_t *n);

/* The event loop marks the start and end of its work on a batch.  */
void watchdog_busy (struct watchdog *w, uint64_t now_ms);
void watchdog_idle (struct watchdog *w);

#endif
