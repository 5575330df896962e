#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/alerts.h"
#include "common/cleanup.h"
#include "common/fileutil.h"
#include "common/json.h"
#include "common/log.h"

static void keep_recent (struct alerts *al, const char *line);

/* Keep the last alerts of the file in memory, so that vigilctl alerts
   shows them after a restart too.  Only the last 4 MiB are read.  */
static void
load_recent (struct alerts *al, const char *path)
{
  cleanup_file FILE *f = fopen (path, "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  long size;

  if (f == NULL || fseek (f, 0, SEEK_END) < 0 || (size = ftell (f)) < 0)
    return;
  if (fseek (f, size > (4L << 20) ? size - (4L << 20) : 0, SEEK_SET) < 0)
    return;
  if (size > (4L << 20) && getline (&line, &cap, f) < 0) /* a partial line */
    return;
  while ((n = getline (&line, &cap, f)) > 0)
    {
      if (line[n - 1] == '\n')
        line[n - 1] = '\0';
      if (line[0] == '{')
        keep_recent (al, line);
    }
}

int
alerts_open (struct alerts *al, const char *path, vigil_error_t *err)
{
  cleanup_free char *dir = strdup (path);

  al->fd = -1;
  al->path = strdup (path);
  if (dir == NULL || al->path == NULL)
    return vigil_error_set (err, ENOMEM, "open alerts file");
  if (mkdir_parents (dirname (dir), 0755, err) < 0)
    return -1;
  al->fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (al->fd < 0)
    return vigil_error_set (err, errno, "open alerts file `%s`", path);
  load_recent (al, path);
  return 0;
}

/* Every field is always present, null when unknown, so that consumers
   can rely on the shape of each line.  */
static int
put (json_t obj, const char *key, const char *value)
{
  return json_object_set (obj, key, value ? json_new_string (value) : json_new_null ());
}

/* The network object of an alert, or null.  */
static json_t
network_of (const struct alert *alert)
{
  json_t o;

  if (alert->direction == NULL)
    return json_new_null ();
  o = json_new_object ();
  if (o == NULL || put (o, "direction", alert->direction) < 0 || put (o, "protocol", alert->protocol) < 0
      || put (o, "address", alert->address) < 0
      || json_object_set (o, "port", alert->port >= 0 ? json_new_uint ((uint64_t) alert->port) : json_new_null ())
             < 0)
    {
      if (o != NULL)
        yajl_tree_free (o);
      return NULL;
    }
  return o;
}

static void
keep_recent (struct alerts *al, const char *line)
{
  char *copy = strdup (line);

  if (copy == NULL)
    return;
  free (al->recent[al->recent_next]);
  al->recent[al->recent_next] = copy;
  al->recent_next = (al->recent_next + 1) % ALERTS_RECENT_MAX;
  if (al->recent_count < ALERTS_RECENT_MAX)
    al->recent_count++;
}

void
alerts_write (struct alerts *al, const struct alert *alert)
{
  cleanup_json json_t obj = json_new_object ();
  cleanup_error vigil_error_t err = NULL;
  cleanup_free char *line = NULL;
  char stamp[40];
  struct timespec ts;
  struct tm tm;
  size_t len;

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (stamp, sizeof (stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (stamp + strlen (stamp), sizeof (stamp) - strlen (stamp), ".%06ldZ", ts.tv_nsec / 1000);

  if (obj == NULL || put (obj, "time", stamp) < 0 || put (obj, "container_id", alert->container_id) < 0
      || put (obj, "container_name", alert->container_name) < 0 || put (obj, "image", alert->image) < 0
      || put (obj, "image_name", alert->image_name) < 0 || put (obj, "cluster", alert->cluster) < 0
      || put (obj, "namespace", alert->namespace) < 0 || put (obj, "deployment", alert->deployment) < 0
      || put (obj, "model_key", alert->model_key) < 0 || put (obj, "mode", alert->mode) < 0
      || put (obj, "sensor", alert->sensor) < 0 || put (obj, "executable", alert->executable) < 0 || put (obj, "file", alert->file) < 0
      || put (obj, "argv0", alert->argv0) < 0
      || json_object_set (obj, "network", network_of (alert)) < 0
      || json_object_set (obj, "pid", json_new_uint ((uint64_t) alert->pid)) < 0
      || put (obj, "reason", alert->reason) < 0 || put (obj, "action", alert->action) < 0
      || json_generate (obj, false, &line, &len, &err) < 0)
    {
      log_error ("cannot format alert for container `%s`", alert->container_id);
      return;
    }

  log_warning ("alert: container `%s` model `%s`: %s `%s` %s (%s)", alert->container_id,
               alert->model_key, alert->sensor,
               alert->executable ? alert->executable : alert->file ? alert->file : "",
               alert->action, alert->reason);

  keep_recent (al, line);
  if (al->on_alert != NULL)
    al->on_alert (al->on_alert_data, line, len);

  line[len] = '\n';
  if (al->fd < 0 || write (al->fd, line, len + 1) != (ssize_t) (len + 1))
    log_error ("write alert to `%s`: %s", al->path, strerror (errno));
}

const char *
alerts_recent (const struct alerts *al, size_t i)
{
  size_t oldest = (al->recent_next + ALERTS_RECENT_MAX - al->recent_count) % ALERTS_RECENT_MAX;

  if (i >= al->recent_count)
    return NULL;
  return al->recent[(oldest + i) % ALERTS_RECENT_MAX];
}

void
alerts_close (struct alerts *al)
{
  size_t i;

  for (i = 0; i < ALERTS_RECENT_MAX; i++)
    {
      free (al->recent[i]);
      al->recent[i] = NULL;
    }
  if (al->fd >= 0)
    close (al->fd);
  free (al->path);
  al->fd = -1;
  al->path = NULL;
}
