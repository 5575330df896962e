#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "agent/alerts.h"
#include "common/cleanup.h"
#include "common/fileutil.h"
#include "common/json.h"
#include "common/log.h"

static void keep_recent (struct alerts *al, const char *line);

const char *const alerts_sensor_names[ALERTS_SENSORS] = { "process", "file", "network", "agent" };
const char *const alerts_effect_names[ALERTS_EFFECTS] = { "block", "prevent", "alert", "none" };

static void
count (struct alerts *al, const struct alert *alert, const char *effect)
{
  size_t s, e;

  for (s = 0; s < ALERTS_SENSORS - 1; s++)
    if (alert->sensor != NULL && strcmp (alert->sensor, alerts_sensor_names[s]) == 0)
      break;
  for (e = 0; e < ALERTS_EFFECTS - 1; e++)
    if (effect != NULL && strcmp (effect, alerts_effect_names[e]) == 0)
      break;
  al->counts[s][e]++;
  if (alert->action != NULL && strcmp (alert->action, "suppressed") == 0)
    al->folded += alert->count;
}

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
alerts_open (struct alerts *al, const char *path, unsigned outputs, vigil_error_t *err)
{
  cleanup_free char *dir = strdup (path);

  al->fd = -1;
  al->outputs = outputs;
  if (gethostname (al->hostname, sizeof (al->hostname) - 1) < 0)
    snprintf (al->hostname, sizeof (al->hostname), "localhost");
  if (outputs & VIGIL_ALERTS_TO_SYSLOG)
    openlog ("vigild", LOG_PID | LOG_NDELAY, LOG_DAEMON);
  al->path = strdup (path);
  if (dir == NULL || al->path == NULL)
    return vigil_error_set (err, ENOMEM, "open alerts file");
  if (!(outputs & VIGIL_ALERTS_TO_FILE))
    return 0;
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

/* Rule names and priorities (Falco's scale) of the events Vigil alerts
   on, by the start of their reason.  */
static const struct
{
  const char *reason;
  const char *rule;
  const char *priority;
} rule_table[] = {
  { "fileless execution", "Fileless execution", "Critical" },
  { "modified binary", "Modified binary executed", "Critical" },
  { "the file at a learned path is not the learned file", "Learned executable replaced", "Critical" },
  { "executable not in the model", "Executable outside the model", "Error" },
  { "path could not be resolved", "Unresolvable executable", "Error" },
  { "write to a protected path", "Write to a protected path", "Critical" },
  { "write to a binary of the model", "Write to a binary of the model", "Critical" },
  { "binary of the model written", "Binary of the model written", "Warning" },
  { "destination ", "Destination outside the model", "Error" },
  { "listening on ", "Listening port outside the model", "Error" },
  { "root file system not visible", "File system not visible to fanotify", "Warning" },
  { "reverse shell", "Reverse shell", "Critical" },
  { "crypto miner", "Crypto miner", "Critical" },
  { "high-risk address", "High-risk address", "Critical" },
  { "model file is invalid", "Invalid model file", "Error" },
  { "malware", "Malware", "Critical" },
  { "executed from temporary storage", "Execution from temporary storage", "Warning" },
  { "blocked by rule", "Blocked by rule", "Error" },
};

static void
classify (const struct alert *alert, const char **rule, const char **priority)
{
  size_t i;

  *rule = "Vigil event";
  *priority = "Warning";
  if (alert->action != NULL && strcmp (alert->action, "suppressed") == 0)
    {
      *rule = "Alerts folded";
      *priority = "Notice";
    }
  else if (alert->direction != NULL && strcmp (alert->direction, "socket") == 0)
    {
      *rule = "Raw socket outside the model";
      *priority = "Error";
    }
  else
    for (i = 0; alert->reason != NULL && i < sizeof (rule_table) / sizeof (rule_table[0]); i++)
      if (strncmp (alert->reason, rule_table[i].reason, strlen (rule_table[i].reason)) == 0)
        {
          *rule = rule_table[i].rule;
          *priority = rule_table[i].priority;
          break;
        }
  if (alert->rule != NULL)
    *rule = alert->rule;
}

/* The image name of the alert, else its id, else "-".  */
static const char *
image_of (const struct alert *alert)
{
  if (alert->image_name != NULL)
    return alert->image_name;
  if (alert->image != NULL)
    return alert->image;
  return "-";
}

/* Falco's field names for what the alert is about.  */
static json_t
output_fields (const struct alert *alert)
{
  json_t o = json_new_object ();

  if (o == NULL || put (o, "container.id", alert->container_id) < 0
      || put (o, "container.name", alert->container_name) < 0
      || put (o, "container.image", strcmp (image_of (alert), "-") == 0 ? NULL : image_of (alert)) < 0
      || put (o, "k8s.ns.name", alert->namespace) < 0 || put (o, "proc.name", alert->argv0) < 0
      || put (o, "proc.exepath", alert->executable) < 0 || put (o, "fd.name", alert->file ? alert->file : alert->address) < 0
      || put (o, "fd.l4proto", alert->protocol) < 0
      || json_object_set (o, "fd.port", alert->direction != NULL && alert->port >= 0
                                            ? json_new_uint ((uint64_t) alert->port)
                                            : json_new_null ())
             < 0
      || json_object_set (o, "proc.pid", alert->pid > 0 ? json_new_uint ((uint64_t) alert->pid) : json_new_null ()) < 0)
    {
      if (o != NULL)
        yajl_tree_free (o);
      return NULL;
    }
  return o;
}

static json_t
tags_of (const struct alert *alert)
{
  json_t t = json_new_array ();

  if (t == NULL || json_array_append (t, json_new_string ("vigil")) < 0
      || json_array_append (t, json_new_string ("container")) < 0
      || (alert->sensor != NULL && json_array_append (t, json_new_string (alert->sensor)) < 0))
    {
      if (t != NULL)
        yajl_tree_free (t);
      return NULL;
    }
  return t;
}

/* One sentence, as Falco's "output" field has.  */
static void
describe (const struct alert *alert, const char *rule, char *buf, size_t size)
{
  char what[PATH_MAX + 64] = "", count[32] = "";

  if (alert->executable != NULL)
    snprintf (what, sizeof (what), " exe=%s", alert->executable);
  else if (alert->file != NULL)
    snprintf (what, sizeof (what), " file=%s", alert->file);
  else if (alert->direction != NULL && alert->address != NULL && alert->port >= 0)
    snprintf (what, sizeof (what), " %s=%s %s:%d", alert->direction, alert->protocol ? alert->protocol : "",
              alert->address, alert->port);
  else if (alert->direction != NULL && alert->port >= 0)
    snprintf (what, sizeof (what), " %s=%s port %d", alert->direction, alert->protocol ? alert->protocol : "",
              alert->port);
  else if (alert->direction != NULL)
    snprintf (what, sizeof (what), " %s=%s", alert->direction, alert->protocol ? alert->protocol : "");
  if (alert->count > 1)
    snprintf (count, sizeof (count), " count=%lu", alert->count);
  snprintf (buf, size, "%s (container=%s image=%s%s pid=%d action=%s%s)", rule,
            alert->container_id ? alert->container_id : "-", image_of (alert), what, alert->pid,
            alert->action ? alert->action : "-", count);
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
  char stamp[40], output[PATH_MAX + 512];
  const char *rule, *priority, *effect, *subject;
  struct timespec ts;
  struct tm tm;
  size_t len;

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (stamp, sizeof (stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (stamp + strlen (stamp), sizeof (stamp) - strlen (stamp), ".%06ldZ", ts.tv_nsec / 1000);

  classify (alert, &rule, &priority);
  describe (alert, rule, output, sizeof (output));
  effect = alert->action == NULL ? NULL
           : strcmp (alert->action, "denied") == 0 ? "prevent"
           : strcmp (alert->action, "blocked") == 0 ? "block"
           : strcmp (alert->action, "alerted") == 0 ? "alert"
                                                   : "none";
  if (obj == NULL || put (obj, "time", stamp) < 0 || put (obj, "rule", rule) < 0
      || put (obj, "priority", priority) < 0 || put (obj, "output", output) < 0
      || json_object_set (obj, "output_fields", output_fields (alert)) < 0
      || put (obj, "hostname", al->hostname) < 0 || json_object_set (obj, "tags", tags_of (alert)) < 0
      || put (obj, "container_id", alert->container_id) < 0
      || put (obj, "container_name", alert->container_name) < 0 || put (obj, "image", alert->image) < 0
      || put (obj, "image_name", alert->image_name) < 0 || put (obj, "cluster", alert->cluster) < 0
      || put (obj, "namespace", alert->namespace) < 0 || put (obj, "deployment", alert->deployment) < 0
      || put (obj, "model_key", alert->model_key) < 0 || put (obj, "mode", alert->mode) < 0
      || put (obj, "sensor", alert->sensor) < 0 || put (obj, "executable", alert->executable) < 0 || put (obj, "file", alert->file) < 0
      || put (obj, "argv0", alert->argv0) < 0
      || json_object_set (obj, "network", network_of (alert)) < 0
      || json_object_set (obj, "pid", json_new_uint ((uint64_t) alert->pid)) < 0
      || put (obj, "reason", alert->reason) < 0 || put (obj, "action", alert->action) < 0
      || put (obj, "effect", effect) < 0
      || json_object_set (obj, "count", json_new_uint (alert->count > 1 ? alert->count : 1)) < 0
      || put (obj, "policy_rule", alert->policy_rule) < 0
      || json_generate (obj, false, &line, &len, &err) < 0)
    {
      log_error ("cannot format alert for container `%s`", alert->container_id);
      return;
    }

  count (al, alert, effect);
  subject = alert->executable;
  if (subject == NULL)
    subject = alert->file;
  if (subject == NULL)
    subject = alert->address;
  if (subject == NULL)
    subject = alert->direction;
  if (subject == NULL)
    subject = "";
  log_warning ("alert: container `%s` model `%s`: %s `%s` %s (%s)", alert->container_id,
               alert->model_key, alert->sensor, subject, alert->action, alert->reason);

  keep_recent (al, line);
  if (al->on_alert != NULL)
    al->on_alert (al->on_alert_data, line, len);

  if (al->outputs & VIGIL_ALERTS_TO_SYSLOG)
    syslog (strcmp (priority, "Critical") == 0 ? LOG_CRIT
            : strcmp (priority, "Error") == 0  ? LOG_ERR
            : strcmp (priority, "Notice") == 0 ? LOG_NOTICE
                                                : LOG_WARNING,
            "%s", line);
  line[len] = '\n';
  if ((al->outputs & VIGIL_ALERTS_TO_STDOUT) && fwrite (line, 1, len + 1, stdout) == len + 1)
    fflush (stdout);
  if ((al->outputs & VIGIL_ALERTS_TO_FILE) && (al->fd < 0 || write (al->fd, line, len + 1) != (ssize_t) (len + 1)))
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
  if (al->outputs & VIGIL_ALERTS_TO_SYSLOG)
    closelog ();
  free (al->path);
  al->fd = -1;
  al->path = NULL;
}
