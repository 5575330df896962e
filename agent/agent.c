/* The agent's event loop.  One thread serves the listener socket, every
   notify fd, a periodic tick and signals through one epoll set.
   NOTE: a notification is decided on this thread, so a container whose
   root file system stalls path lookups (a hung FUSE or NFS mount) delays
   the decisions of the others until the lookup returns.  */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/control.h"
#include "agent/enforce.h"
#include "agent/exec_policy.h"
#include "agent/file_sensor.h"
#include "agent/listener.h"
#include "agent/malware.h"
#include "agent/net_sensor.h"
#include "common/cleanup.h"
#include "common/kernel-compat.h"
#include "common/fileutil.h"
#include "common/log.h"
#include "policy/model_store.h"

static bool init_alive (const struct agent_container *c);
static void forget_stopped_containers (struct agent *a);
static void container_stopped (struct agent *a, struct agent_container *c);

/* How long the event loop may stay in one batch before the watchdog
   responds to pending exec permission events on its behalf.  */
#define WATCHDOG_LIMIT_MS 2000

static int
watch_add (struct agent *a, struct watch *w, uint32_t events, vigil_error_t *err)
{
  struct epoll_event ev = { .events = events, .data.ptr = w };

  if (epoll_ctl (a->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0)
    return vigil_error_set (err, errno, "epoll_ctl");
  return 0;
}

static int
setup_timer (struct agent *a, vigil_error_t *err)
{
  struct itimerspec its = { 0 };
  uint64_t ms = a->cfg->tick_ms;

  a->timer.kind = WATCH_TIMER;
  a->timer.fd = timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (a->timer.fd < 0)
    return vigil_error_set (err, errno, "timerfd_create");
  its.it_interval.tv_sec = (time_t) (ms / 1000);
  its.it_interval.tv_nsec = (long) (ms % 1000) * 1000000L;
  its.it_value = its.it_interval;
  if (timerfd_settime (a->timer.fd, 0, &its, NULL) < 0)
    return vigil_error_set (err, errno, "timerfd_settime");
  return watch_add (a, &a->timer, EPOLLIN, err);
}

static int
setup_signals (struct agent *a, vigil_error_t *err)
{
  sigset_t set;

  sigemptyset (&set);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGHUP);
  if (sigprocmask (SIG_BLOCK, &set, NULL) < 0)
    return vigil_error_set (err, errno, "sigprocmask");
  /* A target that closes its end early must not kill the agent.  */
  signal (SIGPIPE, SIG_IGN);
  a->signals.kind = WATCH_SIGNAL;
  a->signals.fd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (a->signals.fd < 0)
    return vigil_error_set (err, errno, "signalfd");
  return watch_add (a, &a->signals, EPOLLIN, err);
}

/* A model file that does not load means its image learns again from
   nothing: the operator must hear of it, not only the log.  */
static void
model_file_corrupt (void *data, const char *path, const char *reason)
{
  struct agent *a = data;
  char text[PATH_MAX + 256];
  struct alert al = {
    .sensor = "agent",
    .file = path,
    .reason = text,
    .action = "alerted",
  };

  snprintf (text, sizeof (text), "model file is invalid (%s); it was moved to `%s.corrupt` and the "
                                 "containers of its model learn again",
            reason, path);
  alerts_write (&a->alerts, &al);
}

static int
load_models (struct agent *a, vigil_error_t *err)
{
  size_t i;

  if (model_store_init (a->cfg->state_dir, err) < 0)
    return -1;
  if (model_store_load_all (a->cfg->state_dir, &a->models, &a->n_models, model_file_corrupt, a, err) < 0)
    return -1;
  a->model_running = calloc (a->n_models + 1, sizeof (*a->model_running));
  if (a->model_running == NULL)
    return vigil_error_set (err, ENOMEM, "load models");
  for (i = 0; i < a->n_models; i++)
    log_info ("loaded model `%s`: %s, %zu executables, observed %llu s", a->models[i]->key,
              model_mode_name (a->models[i]->mode), a->models[i]->n_execs,
              (unsigned long long) (a->models[i]->observed_ms / 1000));
  return 0;
}

int
agent_init (struct agent *a, const struct vigil_config *cfg, vigil_error_t *err)
{
  memset (a, 0, sizeof (*a));
  a->cfg = cfg;
  a->epfd = -1;
  a->listener.fd = a->timer.fd = a->signals.fd = a->control_listener.fd = -1;
  a->alerts.fd = -1;
  a->lifecycle.learning_ms = cfg->learning_seconds * 1000;
  a->lifecycle.dry_run_ms = cfg->dry_run_seconds * 1000;
  a->lifecycle.relearn_ms = cfg->relearn_seconds * 1000;
  a->lifecycle.archive_after_ms = cfg->archive_after_seconds * 1000;
  a->lifecycle.archive_keep_ms = cfg->archive_keep_seconds * 1000;
  a->lifecycle.clock_scale = cfg->clock_scale;

  if (notify_get_sizes (&a->sizes, err) < 0)
    return -1;
  a->req = calloc (1, a->sizes.notif);
  a->resp = calloc (1, a->sizes.resp);
  if (a->req == NULL || a->resp == NULL)
    return vigil_error_set (err, ENOMEM, "allocate notification buffers");
  if (exec_syscalls_init (&a->exec_nrs, err) < 0)
    return -1;
  a->fanotify_supported = file_sensor_probe ();
  /* Its threads start on demand, from this thread, with its signal mask.  */
  if (net_workers_start (&a->net_workers, &a->sizes, err) < 0)
    return -1;

  if (alerts_open (&a->alerts, cfg->alerts_file, cfg->alert_outputs, err) < 0)
    return -1;
  if (cfg->address_feed != NULL)
    {
      if (address_feed_load (cfg->address_feed, &a->feed, err) < 0)
        return -1;
      log_info ("address feed `%s`: %zu addresses and networks", cfg->address_feed, a->feed->n);
    }
  if (cfg->hash_feed != NULL)
    {
      if (hash_feed_load (cfg->hash_feed, &a->hashes, err) < 0)
        return -1;
      log_info ("hash feed `%s`: %zu SHA-256 and %zu MD5 hashes", cfg->hash_feed, a->hashes->n_sha256,
                a->hashes->n_md5);
    }
  if (cfg->rules != NULL)
    {
      if (rules_load (cfg->rules, &a->rules, err) < 0)
        return -1;
      enforce_log_rules (a->rules);
    }
  if (load_models (a, err) < 0)
    return -1;

  a->epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (a->epfd < 0)
    return vigil_error_set (err, errno, "epoll_create1");
  if (setup_signals (a, err) < 0 || setup_timer (a, err) < 0)
    return -1;
  /* Started after the signals are blocked, so that it inherits the mask.  */
  if (a->fanotify_supported)
    {
      int ret = watchdog_start (&a->watchdog, WATCHDOG_LIMIT_MS);
      if (ret < 0)
        log_warning ("cannot start the watchdog thread: %s", strerror (-ret));
    }

  a->listener.kind = WATCH_LISTENER;
  a->listener.fd = listener_open (cfg->listener_socket, err);
  if (a->listener.fd < 0)
    return -1;
  if (watch_add (a, &a->listener, EPOLLIN, err) < 0)
    return -1;
  if (control_open (a, err) < 0)
    return -1;
  a->alerts.on_alert = control_alert;
  a->alerts.on_alert_data = a;

  a->last_tick_ms = monotonic_ms ();
  return 0;
}

ssize_t
agent_model_index (const struct agent *a, const struct model *m)
{
  size_t i;

  for (i = 0; i < a->n_models; i++)
    if (a->models[i] == m)
      return (ssize_t) i;
  return -1;
}

unsigned
agent_model_running (const struct agent *a, const struct model *m)
{
  ssize_t i = agent_model_index (a, m);
  return i < 0 ? 0 : a->model_running[i];
}

struct model *
agent_model_for (struct agent *a, json_t meta, vigil_error_t *err)
{
  struct model_identity id = { 0 };
  struct model *m, **bigger;
  unsigned *running;
  const char *key = json_get_string (meta, "key");
  size_t i;

  if (key == NULL || json_get_string (meta, "image") == NULL)
    {
      vigil_error_set (err, 0, "metadata has no model `key` or `image`");
      return NULL;
    }
  for (i = 0; i < a->n_models; i++)
    if (strcmp (a->models[i]->key, key) == 0)
      return a->models[i];

  id.key = (char *) key;
  id.image = (char *) json_get_string (meta, "image");
  id.image_name = (char *) json_get_string (meta, "image_name");
  id.cluster = (char *) json_get_string (meta, "cluster");
  id.namespace = (char *) json_get_string (meta, "namespace");
  id.deployment = (char *) json_get_string (meta, "deployment");
  id.source = (char *) json_get_string (meta, "source");
  if (model_new (&id, wall_clock_ms () / 1000, a->lifecycle.learning_ms, &m, err) < 0)
    return NULL;
  bigger = realloc (a->models, (a->n_models + 1) * sizeof (*bigger));
  if (bigger != NULL)
    a->models = bigger;
  running = realloc (a->model_running, (a->n_models + 1) * sizeof (*running));
  if (running != NULL)
    a->model_running = running;
  if (bigger == NULL || running == NULL)
    {
      model_free (m);
      vigil_error_set (err, ENOMEM, "add model");
      return NULL;
    }
  a->models[a->n_models] = m;
  a->model_running[a->n_models] = 0;
  a->n_models++;
  log_info ("new model `%s` (%s), learning for %llu s", m->key,
            m->key_source ? m->key_source : "unknown source",
            (unsigned long long) a->cfg->learning_seconds);
  return m;
}

void
agent_save_model (struct agent *a, struct model *m)
{
  cleanup_error vigil_error_t err = NULL;

  if (model_store_save (a->cfg->state_dir, m, &err) < 0)
    log_error ("%s", err->msg);
}

/* The files a container wrote are kept on disk too: a restarted agent
   must still deny a binary planted before the restart.  */
static char *
written_path (struct agent *a, const char *container_id)
{
  char hash[17];
  char *path = NULL;

  vigil_hash_hex (container_id, hash);
  if (asprintf (&path, "%s/containers/%s.written", a->cfg->state_dir, hash) < 0)
    return NULL;
  return path;
}

static void
load_written (struct agent *a, struct agent_container *c)
{
  cleanup_free char *path = written_path (a, c->id);
  cleanup_file FILE *f = path ? fopen (path, "re") : NULL;
  unsigned long long dev, ino;

  if (f == NULL)
    return;
  while (fscanf (f, "%llu %llu\n", &dev, &ino) == 2)
    inode_set_add (&c->written, (dev_t) dev, (ino_t) ino);
  c->written_saved = c->written.count;
  if (c->written.count > 0)
    log_info ("container `%s`: %zu files written before the agent started", c->id, c->written.count);
}

static void
save_written (struct agent *a, struct agent_container *c)
{
  cleanup_error vigil_error_t err = NULL;
  cleanup_free char *path = written_path (a, c->id);
  cleanup_free char *dir = NULL;
  char *text = NULL;
  size_t len = 0, i;
  FILE *out;

  if (path == NULL || c->written.count == c->written_saved)
    return;
  if (asprintf (&dir, "%s/containers", a->cfg->state_dir) < 0 || mkdir_parents (dir, 0700, &err) < 0)
    return;
  out = open_memstream (&text, &len);
  if (out == NULL)
    return;
  for (i = 0; i < c->written.cap; i++)
    if (c->written.slots[i].used)
      fprintf (out, "%llu %llu\n", (unsigned long long) c->written.slots[i].dev,
               (unsigned long long) c->written.slots[i].ino);
  fclose (out);
  if (write_file_atomic (path, text, len, 0600, true, &err) < 0)
    log_error ("container `%s`: %s", c->id, err->msg);
  else
    c->written_saved = c->written.count;
  free (text);
}

static void
remove_written (struct agent *a, const struct agent_container *c)
{
  cleanup_free char *path = written_path (a, c->id);

  if (path != NULL)
    unlink (path);
}

static void
container_free (struct agent *a, struct agent_container *c)
{
  file_sensor_detach (a, c);
  if (c->init_pidfd >= 0)
    close (c->init_pidfd);
  inode_set_free (&c->written);
  enforce_container_fini (c);
  free (c->id);
  free (c->name);
  free (c);
}

void
agent_refresh_containers (struct agent *a)
{
  struct agent_container *c;

  /* Containers are only marked here; they are freed at the tick, outside
     any batch of events that may still point at them.  */
  for (c = a->containers; c != NULL; c = c->next)
    if (c->running && !init_alive (c) && (c->init_pidfd >= 0 || c->live_fds == 0))
      container_stopped (a, c);
}

static void
forget_stopped_containers (struct agent *a)
{
  struct agent_container **pp = &a->containers, *c;

  while ((c = *pp) != NULL)
    {
      /* Every process of a container's pid namespace ends with its init:
         a dead init means a stopped container, even before its notify fds
         report the hang-up.  */
      if (c->running && !init_alive (c) && (c->init_pidfd >= 0 || c->live_fds == 0))
        container_stopped (a, c);
      if (c->running || c->live_fds > 0)
        {
          pp = &c->next;
          continue;
        }
      *pp = c->next;
      remove_written (a, c);
      container_free (a, c);
    }
}

/* The watchdog denies for containers of active models and allows for the
   others.  */
static void
update_watchdog (struct agent *a)
{
  struct agent_container *c;

  for (c = a->containers; c != NULL; c = c->next)
    if (c->fanotify.fd >= 0)
      watchdog_set_deny (&a->watchdog, c->fanotify.fd, c->model->mode == MODEL_ACTIVE);
}

static void
report_change (const struct model *m, enum lifecycle_change change)
{
  switch (change)
    {
    case LIFECYCLE_ACTIVATED:
      log_info ("model `%s` is active with %zu executables; dry run first", m->key, m->n_execs);
      break;
    case LIFECYCLE_DRY_RUN_ENDED:
      log_info ("model `%s`: dry run over, anomalies are now denied and alerted", m->key);
      break;
    case LIFECYCLE_ARCHIVED:
      log_info ("model `%s` archived: no container ran for a while", m->key);
      break;
    default:
      break;
    }
}

int
agent_delete_model (struct agent *a, size_t i, vigil_error_t *err)
{
  cleanup_free char *path = model_store_path (a->cfg->state_dir, a->models[i]->key);
  struct agent_container *c;

  for (c = a->containers; c != NULL; c = c->next)
    if (c->model == a->models[i] && c->running)
      return vigil_error_set (err, EBUSY, "model `%s` has container `%s`", a->models[i]->key, c->id);
  /* Stopped containers wait for the tick to be freed; they must not keep
     a pointer to the freed model.  */
  for (c = a->containers; c != NULL; c = c->next)
    if (c->model == a->models[i])
      c->model = NULL;
  if (path == NULL)
    return vigil_error_set (err, ENOMEM, "delete model");
  if (unlink (path) < 0 && errno != ENOENT)
    return vigil_error_set (err, errno, "remove `%s`", path);

  model_free (a->models[i]);
  memmove (&a->models[i], &a->models[i + 1], (a->n_models - i - 1) * sizeof (*a->models));
  memmove (&a->model_running[i], &a->model_running[i + 1],
           (a->n_models - i - 1) * sizeof (*a->model_running));
  a->n_models--;
  return 0;
}

/* Entries the wrapper read from config.json (the command and the
   interpreter of a script) go into a model that is learning.  An active model does not take them, because anyone who can choose the
   command of a new container would then choose what the model allows.  */
static void
add_static_execs (struct model *m, json_t list)
{
  size_t i;

  if (list == NULL || !YAJL_IS_ARRAY (list) || m->mode != MODEL_LEARNING)
    return;
  for (i = 0; i < list->u.array.len; i++)
    {
      json_t v = list->u.array.values[i];
      if (YAJL_IS_STRING (v) && v->u.string[0] == '/'
          && model_add_exec (m, v->u.string, NULL, "static", wall_clock_ms () / 1000) > 0)
        log_info ("model `%s`: executable `%s` from config.json", m->key, v->u.string);
    }
}

static struct agent_container *
find_or_add_container (struct agent *a, const char *id, struct model *m, const char *name)
{
  struct agent_container *c;

  for (c = a->containers; c != NULL; c = c->next)
    if (strcmp (c->id, id) == 0)
      {
        /* A container id can be reused after delete, with another name.  */
        c->model = m;
        if (name != NULL && (c->name == NULL || strcmp (c->name, name) != 0))
          {
            char *copy = strdup (name);
            if (copy != NULL)
              {
                free (c->name);
                c->name = copy;
              }
          }
        return c;
      }
  c = calloc (1, sizeof (*c));
  if (c == NULL)
    return NULL;
  c->id = strdup (id);
  c->name = name ? strdup (name) : NULL;
  if (c->id == NULL)
    {
      free (c);
      return NULL;
    }
  c->model = m;
  c->init_pidfd = -1;
  c->fanotify.kind = WATCH_FANOTIFY;
  c->fanotify.fd = -1;
  c->started_ms = wall_clock_ms ();
  c->next = a->containers;
  a->containers = c;
  load_written (a, c);
  return c;
}

static void
container_started (struct agent *a, struct agent_container *c, pid_t pid, pid_t init_pid,
                   json_t static_execs)
{
  cleanup_error vigil_error_t err = NULL;
  ssize_t i = agent_model_index (a, c->model);

  char root[64];
  struct stat st;

  /* Paths are named from this root; a process chrooted elsewhere gets
     its names prefixed with where its root is.  */
  snprintf (root, sizeof (root), "/proc/%d/root", (int) pid);
  if (pid > 0 && stat (root, &st) == 0)
    {
      c->has_root = true;
      c->root_dev = st.st_dev;
      c->root_ino = st.st_ino;
    }
  if (file_sensor_attach (a, c, pid, &err) < 0)
    log_error ("%s; execs are checked on the seccomp path only", err->msg);

  c->running = true;
  c->init_pid = init_pid > 0 ? init_pid : pid;
  if (c->init_pidfd < 0 && c->init_pid > 0)
    c->init_pidfd = (int) syscall (SYS_pidfd_open, c->init_pid, 0);
  if (i >= 0)
    a->model_running[i]++;
  if (lifecycle_container_running (c->model, wall_clock_ms ()))
    log_info ("model `%s` leaves the archive: %s again", c->model->key, model_mode_name (c->model->mode));
  add_static_execs (c->model, static_execs);
  if (net_sensor_scan (a, c, NULL, &err) < 0)
    log_warning ("container `%s`: cannot read its listening sockets: %s", c->id, err->msg);
}

static void
container_stopped (struct agent *a, struct agent_container *c)
{
  ssize_t i = agent_model_index (a, c->model);

  c->running = false;
  if (i >= 0 && a->model_running[i] > 0)
    a->model_running[i]--;
  file_sensor_detach (a, c);
  c->model->last_seen_ms = wall_clock_ms ();
  c->model->dirty = true;
  /* The id may come back as a new container with another init.  */
  if (c->init_pidfd >= 0)
    close (c->init_pidfd);
  c->init_pidfd = -1;
  c->init_pid = 0;
  log_info ("container `%s` stopped: no process uses its filter any more", c->id);
}

int
agent_add_notifier (struct agent *a, int fd, pid_t pid, pid_t init_pid, const char *container_id,
                    struct model *model, json_t meta, vigil_error_t *err)
{
  struct agent_notifier *n;
  struct agent_container *c;
  int ret;

  c = find_or_add_container (a, container_id, model, json_get_string (meta, "container_name"));
  /* An engine deleted the container and created another under the same
     id before the old one's notify fds were seen to close: exec sessions
     name the init they join, a new container names a new one.  */
  if (c != NULL && c->running && init_pid > 0 && c->init_pid > 0 && init_pid != c->init_pid)
    {
      log_info ("container `%s`: a new container (init pid %d) under the id of one with init pid %d", c->id,
                (int) init_pid, (int) c->init_pid);
      container_stopped (a, c);
    }
  n = calloc (1, sizeof (*n));
  if (c == NULL || n == NULL || (!c->running && enforce_container_init (a, c, meta) < 0))
    {
      free (n);
      close (fd);
      return vigil_error_set (err, ENOMEM, "register container `%s`", container_id);
    }

  if (a->sync_wakeup >= 0)
    {
      ret = notify_set_sync_wakeup (fd);
      if (ret == 0 && a->sync_wakeup == 0)
        log_info ("SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP is set on notify fds");
      else if (ret < 0)
        log_info ("the kernel lacks SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (%s); notifications wake "
                  "the agent on any CPU",
                  strerror (-ret));
      a->sync_wakeup = ret == 0 ? 1 : -1;
    }

  n->w.kind = WATCH_NOTIFY;
  n->w.fd = fd;
  n->pid = pid;
  n->container = c;
  if (watch_add (a, &n->w, EPOLLIN, err) < 0)
    {
      close (fd);
      free (n);
      return -1;
    }
  n->next = a->notifiers;
  a->notifiers = n;
  c->live_fds++;
  if (!c->running)
    container_started (a, c, pid, init_pid, json_get (meta, "static"));
  log_info ("container `%s` (pid %d): notify fd received, model `%s` is %s", container_id, (int) pid,
            model->key, model_mode_name (model->mode));
  return 0;
}

/* Whether the init process of c still runs: its pidfd is readable once
   it exits.  */
static bool
init_alive (const struct agent_container *c)
{
  struct pollfd p = { .fd = c->init_pidfd, .events = POLLIN };

  if (c->init_pidfd < 0)
    return false;
  return poll (&p, 1, 0) == 0;
}

static void
remove_notifier (struct agent *a, struct agent_notifier *n)
{
  struct agent_notifier **pp;

  for (pp = &a->notifiers; *pp != NULL; pp = &(*pp)->next)
    if (*pp == n)
      {
        *pp = n->next;
        break;
      }
  epoll_ctl (a->epfd, EPOLL_CTL_DEL, n->w.fd, NULL);
  close (n->w.fd);
  if (n->container->live_fds > 0 && --n->container->live_fds == 0 && n->container->running
      && !init_alive (n->container))
    container_stopped (a, n->container);
  free (n);
}

static void
notifier_ready (struct agent *a, struct agent_notifier *n, uint32_t events)
{
  cleanup_error vigil_error_t err = NULL;
  int ret;

  if (events & EPOLLIN)
    {
      ret = notify_receive (n->w.fd, a->req, a->sizes.notif, &err);
      if (ret == 0)
        {
          enum metrics_sensor sensor;
          struct timespec t0, t1;

          clock_gettime (CLOCK_MONOTONIC, &t0);
          sensor = exec_sensor_handle (a, n, a->req);
          clock_gettime (CLOCK_MONOTONIC, &t1);
          metrics_notification (&a->metrics, sensor,
                                (uint64_t) ((t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec)));
        }
      else if (ret != -ENOENT)
        log_error ("container `%s`: %s", n->container->id, err->msg);
      return;
    }
  /* EPOLLHUP with nothing to read: every process of this filter exited.  */
  if (events & (EPOLLHUP | EPOLLERR))
    remove_notifier (a, n);
}

/* Models of running containers change every tick (their observation
   time).  Writing them with two fsyncs every tick would stall decisions,
   so routine saves come at most every SAVE_INTERVAL_MS.  Changes of mode
   are saved at once, new entries at the next routine save.  */
#define SAVE_INTERVAL_MS 5000

static void
save_dirty_models (struct agent *a)
{
  size_t i;

  a->last_save_ms = monotonic_ms ();
  for (i = 0; i < a->n_models; i++)
    {
      cleanup_error vigil_error_t err = NULL;
      if (a->models[i]->dirty && model_store_save (a->cfg->state_dir, a->models[i], &err) < 0)
        log_error ("%s", err->msg);
    }
}

/* Advance every model's lifecycle: add the time since the last tick once
   per running container, archive idle models and remove expired ones.  */
static void
tick (struct agent *a)
{
  uint64_t now = monotonic_ms ();
  uint64_t elapsed = (now - a->last_tick_ms) * a->cfg->clock_scale;
  int64_t wall = wall_clock_ms ();
  size_t i;

  a->last_tick_ms = now;
  for (i = 0; i < a->n_models; i++)
    {
      struct model *m = a->models[i];
      enum lifecycle_change change;

      change = lifecycle_observe (m, elapsed, a->model_running[i], &a->lifecycle, wall);
      if (change == LIFECYCLE_UNCHANGED)
        change = lifecycle_check_idle (m, a->model_running[i], &a->lifecycle, wall);
      report_change (m, change);
      if (change == LIFECYCLE_ACTIVATED || change == LIFECYCLE_ARCHIVED || change == LIFECYCLE_DRY_RUN_ENDED)
        agent_save_model (a, m);
      if (change == LIFECYCLE_EXPIRED)
        {
          cleanup_error vigil_error_t err = NULL;
          cleanup_free char *key = strdup (m->key);

          if (agent_delete_model (a, i, &err) < 0)
            log_error ("remove expired model: %s", err->msg);
          else
            {
              log_info ("model `%s` removed: archived for longer than archive_keep_seconds",
                        key ? key : "");
              i--;
            }
        }
    }

  if (now - a->last_save_ms >= SAVE_INTERVAL_MS)
    save_dirty_models (a);
  listener_expire_clients (a, now);
  forget_stopped_containers (a);
  exec_pending_expire (&a->pending, now, 10000);
  update_watchdog (a);
  if (a->cfg->metrics_file != NULL)
    {
      cleanup_error vigil_error_t err = NULL;
      if (metrics_write (a, a->cfg->metrics_file, &err) < 0)
        log_error ("%s", err->msg);
    }
  for (struct agent_container *c = a->containers; c != NULL; c = c->next)
    {
      save_written (a, c);
      if (monotonic_ms () - c->alert_second_ms >= 1000)
        exec_policy_report_suppressed (a, c);
    }
}

static void
timer_ready (struct agent *a)
{
  uint64_t expirations;

  if (read (a->timer.fd, &expirations, sizeof (expirations)) > 0)
    a->tick_due = true;
}

/* Load the feeds and the rules again; one with an error is rejected, and
   the previous one stays in force.  */
static void
reload_feeds_and_rules (struct agent *a)
{
  cleanup_error vigil_error_t err = NULL;
  struct address_feed *f = NULL;
  struct hash_feed *h = NULL;

  if (a->cfg->address_feed != NULL && address_feed_load (a->cfg->address_feed, &f, &err) < 0)
    {
      log_error ("%s; the previous address feed stays in force", err->msg);
      vigil_error_free (&err);
    }
  else if (f != NULL)
    {
      address_feed_free (a->feed);
      a->feed = f;
      log_info ("address feed `%s` reloaded: %zu addresses and networks", a->cfg->address_feed, f->n);
    }
  if (a->cfg->hash_feed != NULL && hash_feed_load (a->cfg->hash_feed, &h, &err) < 0)
    {
      log_error ("%s; the previous hash feed stays in force", err->msg);
      vigil_error_free (&err);
    }
  else if (h != NULL)
    {
      hash_feed_free (a->hashes);
      a->hashes = h;
      log_info ("hash feed `%s` reloaded: %zu SHA-256 and %zu MD5 hashes", a->cfg->hash_feed, h->n_sha256,
                h->n_md5);
    }
  if (a->cfg->rules != NULL && enforce_reload_rules (a, &err) < 0)
    log_error ("%s", err->msg);
}

static void
signal_ready (struct agent *a)
{
  struct signalfd_siginfo si;

  while (read (a->signals.fd, &si, sizeof (si)) == sizeof (si))
    {
      if (si.ssi_signo == SIGHUP)
        {
          log_info ("SIGHUP: saving models, reloading the feeds and the rules");
          save_dirty_models (a);
          reload_feeds_and_rules (a);
          continue;
        }
      log_info ("signal %d: stopping", (int) si.ssi_signo);
      a->stopping = true;
    }
}

int
agent_run (struct agent *a, vigil_error_t *err)
{
  struct epoll_event events[64];

  log_info ("listening on `%s`; models in `%s/models`; alerts to `%s`; learning time %llu s",
            a->cfg->listener_socket, a->cfg->state_dir, a->cfg->alerts_file,
            (unsigned long long) a->cfg->learning_seconds);

  while (!a->stopping)
    {
      int i, n = epoll_wait (a->epfd, events, 64, -1);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return vigil_error_set (err, errno, "epoll_wait");
      watchdog_busy (&a->watchdog, monotonic_ms ());
      /* File events first: a write closed before an exec was queued before
         the exec's notification, so when this batch contains every ready fd
         (it is not full), the exec sensor finds the write recorded without
         reading the fanotify group again.  */
      a->batch_complete = n < (int) (sizeof (events) / sizeof (events[0]));
      for (i = 0; i < n; i++)
        {
          struct watch *w = events[i].data.ptr;
          if (w->kind == WATCH_FANOTIFY)
            file_sensor_ready (a, (struct agent_container *) ((char *) w - offsetof (struct agent_container, fanotify)));
        }
      for (i = 0; i < n; i++)
        {
          struct watch *w = events[i].data.ptr;
          switch (w->kind)
            {
            case WATCH_LISTENER:
              listener_accept (a);
              break;
            case WATCH_CLIENT:
              listener_client_ready (a, (struct agent_client *) w);
              break;
            case WATCH_NOTIFY:
              notifier_ready (a, (struct agent_notifier *) w, events[i].events);
              break;
            case WATCH_TIMER:
              timer_ready (a);
              break;
            case WATCH_SIGNAL:
              signal_ready (a);
              break;
            case WATCH_CONTROL_LISTENER:
              control_accept (a);
              break;
            case WATCH_CONTROL_CLIENT:
              control_client_event (a, (struct control_client *) w, events[i].events);
              break;
            case WATCH_FANOTIFY:
              break;
            }
        }
      control_reap (a);
      watchdog_idle (&a->watchdog);
      /* The tick frees expired clients, which must not happen while
         later events of this batch may still point at them.  */
      if (a->tick_due)
        {
          a->tick_due = false;
          tick (a);
        }
    }
  tick (a);
  save_dirty_models (a);
  return 0;
}

void
agent_fini (struct agent *a)
{
  struct agent_container *c, *cnext;
  size_t i;

  while (a->clients != NULL)
    listener_client_free (a, a->clients);
  control_close_all (a);
  watchdog_stop (&a->watchdog);
  net_workers_stop (a->net_workers);
  a->net_workers = NULL;
  while (a->notifiers != NULL)
    remove_notifier (a, a->notifiers);
  for (c = a->containers; c != NULL; c = cnext)
    {
      cnext = c->next;
      save_written (a, c);
      container_free (a, c);
    }
  address_feed_free (a->feed);
  a->feed = NULL;
  hash_feed_free (a->hashes);
  a->hashes = NULL;
  malware_cache_free (a->hash_cache);
  a->hash_cache = NULL;
  rules_free (a->rules);
  a->rules = NULL;
  for (i = 0; i < a->n_models; i++)
    model_free (a->models[i]);
  free (a->models);
  free (a->model_running);
  if (a->listener.fd >= 0)
    {
      close (a->listener.fd);
      unlink (a->cfg->listener_socket);
    }
  if (a->timer.fd >= 0)
    close (a->timer.fd);
  if (a->signals.fd >= 0)
    close (a->signals.fd);
  if (a->epfd >= 0)
    close (a->epfd);
  alerts_close (&a->alerts);
  free (a->req);
  free (a->resp);
}
