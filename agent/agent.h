/* vigild's state: models, containers, the notify fds it owns and its
   event loop.  One thread; see agent.c.  */
#ifndef VIGIL_AGENT_H
#define VIGIL_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/json.h"

#include "agent/alerts.h"
#include "agent/enforce.h"
#include "agent/exec_pending.h"
#include "agent/exec_sensor.h"
#include "agent/metrics.h"
#include "agent/watchdog.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/vconfig.h"
#include "policy/capabilities.h"
#include "policy/feed.h"
#include "policy/hash_feed.h"
#include "policy/rules.h"
#include "policy/inode_set.h"
#include "policy/lifecycle.h"
#include "policy/model.h"
#include "seccomp/notify.h"

enum watch_kind
{
  WATCH_LISTENER,
  WATCH_CLIENT,
  WATCH_NOTIFY,
  WATCH_TIMER,
  WATCH_SIGNAL,
  WATCH_CONTROL_LISTENER,
  WATCH_CONTROL_CLIENT,
  WATCH_FANOTIFY,
};

struct control_client;

/* Every object registered with epoll starts with one of these.  */
struct watch
{
  enum watch_kind kind;
  int fd;
};

struct agent_container
{
  char *id;
  char *name;               /* may be NULL */
  struct model *model;
  unsigned live_fds;        /* notify fds still open */
  bool running;             /* started and not yet seen to stop */
  int init_pidfd;           /* pidfd of its init process, -1 if none; a
                               container whose init outlives every notify
                               fd (the agent restarted) is still running */
  int64_t started_ms;       /* unix time of its first notify fd */
  pid_t init_pid;
  bool has_root;            /* root_dev and root_ino hold its root directory */
  dev_t root_dev;
  ino_t root_ino;

  /* File system sensor: its fanotify group (fd -1 without one), and the
     files written since the container started.  */
  struct watch fanotify;
  bool fanotify_blind;      /* its root file system produces no events */
  struct inode_set written;
  size_t written_saved;     /* entries of written on disk, for restarts */

  /* The last denied exec, to report a retry of it only once.  */
  pid_t last_denied_pid;
  uint64_t last_denied_ms;
  char last_denied[256];
  unsigned long repeats_suppressed;  /* repeats of it since its alert */
  const char *repeat_sensor;        /* sensor and action of the last alert (static strings) */
  const char *last_action;
  /* At most ALERTS_PER_SECOND alerts a second; the rest are counted and
     reported in one alert.  */
  uint64_t alert_second_ms;
  unsigned alerts_in_second;
  unsigned long alerts_suppressed;

  /* Rules and capabilities (enforce.c).  */
  json_t annotations;       /* config.json's annotations, or NULL */
  char **args;              /* its process arguments, for capabilities */
  size_t nargs;
  const struct rule *rule;  /* the first rule whose scope matches; NULL: none */
  struct capability_set caps;
  bool stopped_by_block;    /* a block effect sent it SIGKILL */

  /* Network sensor: blocking loopback connects are made on the agent's
     thread from this time on (monotonic ms).  */
  uint64_t inline_connect_after_ms;

  struct agent_container *next;
};

/* One notify fd: the init process's, or one per exec session.  */
struct agent_notifier
{
  struct watch w;
  pid_t pid;                /* the process that sent it */
  struct agent_container *container;
  struct agent_notifier *next;
};

/* A connection on the listener socket, until it has sent its fd and
   state and hung up.  */
struct agent_client
{
  struct watch w;
  char *buf;
  size_t len;
  json_t state;             /* buf parsed, once it is complete */
  int fds[8];
  unsigned nfds;
  uint64_t deadline_ms;
  struct agent_client *next;
};

struct agent
{
  const struct vigil_config *cfg;
  int epfd;
  struct watch listener;
  struct watch control_listener;
  struct control_client *control_clients;
  struct watch timer;
  struct watch signals;

  struct model **models;
  size_t n_models;
  unsigned *model_running;  /* running containers per model, same index */
  struct lifecycle_config lifecycle;
  struct agent_container *containers;
  struct agent_notifier *notifiers;
  struct agent_client *clients;
  unsigned n_clients;

  struct notify_sizes sizes;
  struct seccomp_notif *req;
  struct seccomp_notif_resp *resp;
  int sync_wakeup;          /* 1 set, 0 unknown, -1 unsupported by the kernel */

  struct exec_syscalls exec_nrs;
  struct exec_pending_table pending;
  bool fanotify_supported;  /* FAN_OPEN_EXEC_PERM groups can be made */
  struct watchdog watchdog;
  struct net_workers *net_workers;
  struct alerts alerts;
  struct metrics metrics;
  struct address_feed *feed;  /* NULL without address_feed */
  struct rule_set *rules;     /* NULL without rules */
  struct hash_feed *hashes;   /* NULL without hash_feed */
  struct hash_cache *hash_cache;
  uint64_t last_tick_ms;
  uint64_t last_save_ms;
  bool tick_due;
  bool stopping;
  bool batch_complete;      /* the last epoll_wait returned every ready fd */
};

int agent_init (struct agent *a, const struct vigil_config *cfg, vigil_error_t *err);
int agent_run (struct agent *a, vigil_error_t *err);
void agent_fini (struct agent *a);


/* Index of model m in a->models, or -1.  */
ssize_t agent_model_index (const struct agent *a, const struct model *m);
/* Running containers of model m.  */
unsigned agent_model_running (const struct agent *a, const struct model *m);
/* Save m now; errors are logged.  */
void agent_save_model (struct agent *a, struct model *m);
/* Mark containers whose init exited as stopped and forget them.  */
void agent_refresh_containers (struct agent *a);
/* Remove model i from memory and disk.  It must have no containers.  */
int agent_delete_model (struct agent *a, size_t i, vigil_error_t *err);

/* Find the model of key or create it from the identity in meta (the
   listenerMetadata object).  */
struct model *agent_model_for (struct agent *a, json_t meta, vigil_error_t *err);

/* Register a notify fd received for container id (takes fd).  meta is
   the listener metadata the wrapper wrote: the container's name, its
   annotations and arguments, and in "static" the executables it found in
   config.json, added to a learning model.  */
int agent_add_notifier (struct agent *a, int fd, pid_t pid, pid_t init_pid, const char *container_id,
                        struct model *model, json_t meta, vigil_error_t *err);

#endif
