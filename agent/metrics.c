#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/metrics.h"
#include "common/fileutil.h"

static const char *const sensor_names[METRICS_SENSORS] = { "process", "file", "network" };

void
metrics_notification (struct metrics *m, enum metrics_sensor sensor, uint64_t ns)
{
  m->notifications[sensor]++;
  m->notification_ns[sensor] += ns;
}

/* A growing text buffer.  */
struct text
{
  char *buf;
  size_t len, cap;
  bool failed;
};

static void add (struct text *t, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
add (struct text *t, const char *fmt, ...)
{
  va_list ap;
  int n;

  if (t->failed)
    return;
  for (;;)
    {
      va_start (ap, fmt);
      n = vsnprintf (t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt, ap);
      va_end (ap);
      if (n < 0)
        {
          t->failed = true;
          return;
        }
      if (t->buf != NULL && t->len + (size_t) n < t->cap)
        {
          t->len += (size_t) n;
          return;
        }
      {
        size_t cap = (t->cap ? t->cap * 2 : 4096) + (size_t) n;
        char *bigger = realloc (t->buf, cap);
        if (bigger == NULL)
          {
            t->failed = true;
            return;
          }
        t->buf = bigger;
        t->cap = cap;
      }
    }
}

int
metrics_write (const struct agent *a, const char *path, vigil_error_t *err)
{
  static const char *const modes[] = { "learning", "active", "archived" };
  struct text t = { 0 };
  unsigned models[3] = { 0 }, running = 0;
  const struct agent_container *c;
  size_t i, j;
  int ret;

  for (i = 0; i < a->n_models; i++)
    models[a->models[i]->mode]++;
  for (c = a->containers; c != NULL; c = c->next)
    if (c->running)
      running++;

  add (&t, "# HELP vigil_notifications_total Seccomp notifications decided, by sensor.\n"
           "# TYPE vigil_notifications_total counter\n");
  for (i = 0; i < METRICS_SENSORS; i++)
    add (&t, "vigil_notifications_total{sensor=\"%s\"} %llu\n", sensor_names[i],
         (unsigned long long) a->metrics.notifications[i]);
  add (&t, "# HELP vigil_notification_seconds Time the event loop spent on a notification, by sensor.\n"
           "# TYPE vigil_notification_seconds summary\n");
  for (i = 0; i < METRICS_SENSORS; i++)
    add (&t,
         "vigil_notification_seconds_sum{sensor=\"%s\"} %.9f\n"
         "vigil_notification_seconds_count{sensor=\"%s\"} %llu\n",
         sensor_names[i], (double) a->metrics.notification_ns[i] / 1e9, sensor_names[i],
         (unsigned long long) a->metrics.notifications[i]);
  add (&t, "# HELP vigil_fanotify_events_total File events of the containers' fanotify groups.\n"
           "# TYPE vigil_fanotify_events_total counter\n"
           "vigil_fanotify_events_total %llu\n",
       (unsigned long long) a->metrics.fanotify_events);
  add (&t, "# HELP vigil_files_hashed_total Files hashed for the hash feed (each change of a file once).\n"
           "# TYPE vigil_files_hashed_total counter\n"
           "vigil_files_hashed_total %llu\n",
       (unsigned long long) a->metrics.files_hashed);
  add (&t, "# HELP vigil_alerts_total Alerts written, by sensor and effect.\n"
           "# TYPE vigil_alerts_total counter\n");
  for (i = 0; i < ALERTS_SENSORS; i++)
    for (j = 0; j < ALERTS_EFFECTS; j++)
      add (&t, "vigil_alerts_total{sensor=\"%s\",effect=\"%s\"} %llu\n", alerts_sensor_names[i],
           alerts_effect_names[j], (unsigned long long) a->alerts.counts[i][j]);
  add (&t, "# HELP vigil_events_folded_total Events acted on whose alerts were folded into a count.\n"
           "# TYPE vigil_events_folded_total counter\n"
           "vigil_events_folded_total %llu\n",
       (unsigned long long) a->alerts.folded);
  add (&t, "# HELP vigil_models Models, by mode.\n# TYPE vigil_models gauge\n");
  for (i = 0; i < 3; i++)
    add (&t, "vigil_models{mode=\"%s\"} %u\n", modes[i], models[i]);
  add (&t, "# HELP vigil_containers_running Containers whose filters vigild holds.\n"
           "# TYPE vigil_containers_running gauge\n"
           "vigil_containers_running %u\n",
       running);
  if (t.failed)
    {
      free (t.buf);
      return vigil_error_set (err, ENOMEM, "format the metrics");
    }
  ret = write_file_atomic (path, t.buf, t.len, 0644, false, err);
  free (t.buf);
  return ret;
}
