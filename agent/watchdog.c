#include "config.h"

#include <errno.h>
#include <signal.h>
#include <linux/fanotify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/fanotify_events.h"
#include "agent/watchdog.h"
#include "common/clock.h"
#include "common/log.h"

struct drain
{
  struct watchdog *w;
  struct watchdog_group *g;
  unsigned answered;
};

/* Runs on the watchdog thread with the lock held.  It touches no file
   under a mark: fstat of the event's fd raises no event.  */
static void
answer (void *data, const struct fan_event *ev)
{
  struct drain *d = data;
  struct stat st;

  if (ev->fd < 0)
    return;
  if (ev->mask & FAN_OPEN_EXEC_PERM)
    {
      struct fanotify_response r = { .fd = ev->fd, .response = d->g->deny ? FAN_DENY : FAN_ALLOW };
      (void) !write (d->g->fd, &r, sizeof (r));
      d->answered++;
    }
  if ((ev->mask & FAN_CLOSE_WRITE) && fstat (ev->fd, &st) == 0)
    {
      struct watchdog_write *grown = realloc (d->g->writes, (d->g->n_writes + 1) * sizeof (*grown));
      if (grown != NULL)
        {
          grown[d->g->n_writes].dev = st.st_dev;
          grown[d->g->n_writes].ino = st.st_ino;
          d->g->writes = grown;
          d->g->n_writes++;
        }
    }
  close (ev->fd);
}

static void
drain_all (struct watchdog *w, uint64_t stalled_ms)
{
  unsigned char buf[4096] __attribute__ ((aligned (__alignof__ (struct fanotify_event_metadata))));
  size_t i;

  pthread_mutex_lock (&w->lock);
  for (i = 0; i < w->n_groups; i++)
    {
      struct drain d = { .w = w, .g = &w->groups[i] };
      ssize_t n;

      while ((n = read (w->groups[i].fd, buf, sizeof (buf))) > 0)
        if (fanotify_decode (buf, (size_t) n, answer, &d) < 0)
          break;
      if (d.answered > 0)
        {
          atomic_fetch_add (&w->answered, d.answered);
          log_warning ("watchdog: the event loop is busy for %llu ms; %s %u exec(s) of container `%s`",
                       (unsigned long long) stalled_ms, w->groups[i].deny ? "denied" : "allowed",
                       d.answered, w->groups[i].id);
        }
    }
  pthread_mutex_unlock (&w->lock);
}

static void *
run (void *arg)
{
  struct watchdog *w = arg;
  struct timespec tick = { .tv_sec = 0, .tv_nsec = 100 * 1000000L };
  sigset_t all;

  /* Signals are the event loop's (signalfd): a SIGTERM delivered to this
     thread would take the default action and kill the agent.  */
  sigfillset (&all);
  pthread_sigmask (SIG_BLOCK, &all, NULL);

  while (!atomic_load (&w->stop))
    {
      uint64_t since = atomic_load (&w->busy_since_ms);
      uint64_t now = monotonic_ms ();

      if (since != 0 && now - since >= w->limit_ms)
        drain_all (w, now - since);
      nanosleep (&tick, NULL);
    }
  return NULL;
}

int
watchdog_start (struct watchdog *w, uint64_t limit_ms)
{
  int ret;

  memset (w, 0, sizeof (*w));
  w->limit_ms = limit_ms;
  pthread_mutex_init (&w->lock, NULL);
  ret = pthread_create (&w->thread, NULL, run, w);
  if (ret != 0)
    return -ret;
  w->running = true;
  return 0;
}

void
watchdog_stop (struct watchdog *w)
{
  size_t i;

  if (!w->running)
    return;
  atomic_store (&w->stop, true);
  pthread_join (w->thread, NULL);
  w->running = false;
  for (i = 0; i < w->n_groups; i++)
    free (w->groups[i].writes);
  free (w->groups);
  w->groups = NULL;
  w->n_groups = 0;
  pthread_mutex_destroy (&w->lock);
}

static struct watchdog_group *
find (struct watchdog *w, int fd)
{
  size_t i;

  for (i = 0; i < w->n_groups; i++)
    if (w->groups[i].fd == fd)
      return &w->groups[i];
  return NULL;
}

void
watchdog_add (struct watchdog *w, int fd, const char *container_id, bool deny)
{
  struct watchdog_group *grown;

  if (!w->running)
    return;
  pthread_mutex_lock (&w->lock);
  grown = realloc (w->groups, (w->n_groups + 1) * sizeof (*grown));
  if (grown != NULL)
    {
      memset (&grown[w->n_groups], 0, sizeof (grown[0]));
      grown[w->n_groups].fd = fd;
      grown[w->n_groups].deny = deny;
      snprintf (grown[w->n_groups].id, sizeof (grown[0].id), "%s", container_id);
      w->groups = grown;
      w->n_groups++;
    }
  pthread_mutex_unlock (&w->lock);
}

void
watchdog_set_deny (struct watchdog *w, int fd, bool deny)
{
  struct watchdog_group *g;

  if (!w->running)
    return;
  pthread_mutex_lock (&w->lock);
  g = find (w, fd);
  if (g != NULL)
    g->deny = deny;
  pthread_mutex_unlock (&w->lock);
}

void
watchdog_remove (struct watchdog *w, int fd)
{
  struct watchdog_group *g;

  if (!w->running)
    return;
  pthread_mutex_lock (&w->lock);
  g = find (w, fd);
  if (g != NULL)
    {
      free (g->writes);
      *g = w->groups[--w->n_groups];
    }
  pthread_mutex_unlock (&w->lock);
}

void
watchdog_take_writes (struct watchdog *w, int fd, struct watchdog_write **writes, size_t *n)
{
  struct watchdog_group *g;

  *writes = NULL;
  *n = 0;
  if (!w->running)
    return;
  pthread_mutex_lock (&w->lock);
  g = find (w, fd);
  if (g != NULL && g->n_writes > 0)
    {
      *writes = g->writes;
      *n = g->n_writes;
      g->writes = NULL;
      g->n_writes = 0;
    }
  pthread_mutex_unlock (&w->lock);
}

void
watchdog_busy (struct watchdog *w, uint64_t now)
{
  atomic_store (&w->busy_since_ms, now);
}

void
watchdog_idle (struct watchdog *w)
{
  atomic_store (&w->busy_since_ms, 0);
}
