#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "model.h"

#define MODEL_FORMAT_VERSION 1

static const char *const mode_names[] = {
  [MODEL_LEARNING] = "learning",
  [MODEL_ACTIVE] = "active",
  [MODEL_ARCHIVED] = "archived",
};

const char *
model_mode_name (enum model_mode mode)
{
  return mode_names[mode];
}

int
model_mode_parse (const char *name)
{
  size_t i;

  for (i = 0; name != NULL && i < sizeof (mode_names) / sizeof (mode_names[0]); i++)
    if (strcmp (name, mode_names[i]) == 0)
      return (int) i;
  return -1;
}

static int
dup_optional (char **dst, const char *src)
{
  *dst = NULL;
  if (src == NULL)
    return 0;
  *dst = strdup (src);
  return *dst == NULL ? -1 : 0;
}

int
model_new (const struct model_identity *id, int64_t now, uint64_t learning_target_ms,
           struct model **out, vigil_error_t *err)
{
  struct model *m = calloc (1, sizeof (*m));

  if (m == NULL)
    return vigil_error_set (err, ENOMEM, "create model");
  if (dup_optional (&m->key, id->key) < 0 || dup_optional (&m->image, id->image) < 0
      || dup_optional (&m->image_name, id->image_name) < 0
      || dup_optional (&m->cluster, id->cluster) < 0
      || dup_optional (&m->namespace, id->namespace) < 0
      || dup_optional (&m->deployment, id->deployment) < 0
      || dup_optional (&m->key_source, id->source) < 0 || m->key == NULL || m->image == NULL)
    {
      model_free (m);
      return vigil_error_set (err, ENOMEM, "create model");
    }
  m->mode = MODEL_LEARNING;
  m->mode_before_archive = MODEL_LEARNING;
  m->learning_target_ms = learning_target_ms;
  m->created = now;
  m->last_seen_ms = now * 1000;
  m->dirty = true;
  *out = m;
  return 0;
}

void
model_free (struct model *m)
{
  size_t i;

  if (m == NULL)
    return;
  for (i = 0; i < m->n_execs; i++)
    {
      free (m->execs[i].path);
      free (m->execs[i].source);
    }
  free (m->execs);
  free (m->key);
  free (m->image);
  free (m->image_name);
  free (m->cluster);
  free (m->namespace);
  free (m->deployment);
  free (m->key_source);
  free (m);
}

/* Index of path, or of where it would be inserted, in the sorted array.  */
static size_t
exec_position (const struct model *m, const char *path, bool *found)
{
  size_t lo = 0, hi = m->n_execs;

  *found = false;
  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      int c = strcmp (m->execs[mid].path, path);
      if (c == 0)
        {
          *found = true;
          return mid;
        }
      if (c < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

bool
model_has_exec (const struct model *m, const char *path)
{
  bool found;

  exec_position (m, path, &found);
  return found;
}

int
model_add_exec (struct model *m, const char *path, const char *source, int64_t now)
{
  struct model_entry e;
  bool found;
  size_t at = exec_position (m, path, &found);

  if (found)
    return 0;
  if (m->n_execs == m->cap_execs)
    {
      size_t cap = m->cap_execs ? m->cap_execs * 2 : 16;
      struct model_entry *bigger = realloc (m->execs, cap * sizeof (*bigger));
      if (bigger == NULL)
        return -1;
      m->execs = bigger;
      m->cap_execs = cap;
    }
  e.path = strdup (path);
  e.source = strdup (source);
  e.first_seen = now;
  if (e.path == NULL || e.source == NULL)
    {
      free (e.path);
      free (e.source);
      return -1;
    }
  memmove (&m->execs[at + 1], &m->execs[at], (m->n_execs - at) * sizeof (*m->execs));
  m->execs[at] = e;
  m->n_execs++;
  m->dirty = true;
  return 1;
}

static int
set_optional_string (json_t obj, const char *key, const char *value)
{
  if (value == NULL)
    return 0;
  return json_object_set (obj, key, json_new_string (value));
}

int
model_to_json (const struct model *m, char **out, vigil_error_t *err)
{
  cleanup_json json_t root = json_new_object ();
  json_t process, execs;
  size_t i;

  if (root == NULL)
    return vigil_error_set (err, ENOMEM, "serialize model");
  process = json_new_object ();
  execs = json_new_array ();
  if (json_object_set (root, "version", json_new_uint (MODEL_FORMAT_VERSION)) < 0
      || json_object_set (root, "key", json_new_string (m->key)) < 0
      || json_object_set (root, "image", json_new_string (m->image)) < 0
      || set_optional_string (root, "image_name", m->image_name) < 0
      || set_optional_string (root, "cluster", m->cluster) < 0
      || set_optional_string (root, "namespace", m->namespace) < 0
      || set_optional_string (root, "deployment", m->deployment) < 0
      || set_optional_string (root, "key_source", m->key_source) < 0
      || json_object_set (root, "mode", json_new_string (model_mode_name (m->mode))) < 0
      || json_object_set (root, "mode_before_archive",
                          json_new_string (model_mode_name (m->mode_before_archive))) < 0
      || json_object_set (root, "manual_learning", json_new_bool (m->manual_learning)) < 0
      || json_object_set (root, "observed_ms", json_new_uint (m->observed_ms)) < 0
      || json_object_set (root, "learning_ms", json_new_uint (m->learning_ms)) < 0
      || json_object_set (root, "learning_target_ms", json_new_uint (m->learning_target_ms)) < 0
      || json_object_set (root, "active_ms", json_new_uint (m->active_ms)) < 0
      || json_object_set (root, "relearn_count", json_new_uint (m->relearn_count)) < 0
      || json_object_set (root, "created", json_new_uint ((uint64_t) m->created)) < 0
      || json_object_set (root, "activated", json_new_uint ((uint64_t) m->activated)) < 0
      || json_object_set (root, "last_seen_ms", json_new_uint ((uint64_t) m->last_seen_ms)) < 0
      || json_object_set (root, "archived_ms", json_new_uint ((uint64_t) m->archived_ms)) < 0
      || json_object_set (root, "process", process) < 0)
    {
      if (execs != NULL)
        yajl_tree_free (execs);
      return vigil_error_set (err, ENOMEM, "serialize model");
    }
  if (json_object_set (process, "executables", execs) < 0)
    return vigil_error_set (err, ENOMEM, "serialize model");
  for (i = 0; i < m->n_execs; i++)
    {
      json_t e = json_new_object ();
      if (e == NULL || json_array_append (execs, e) < 0
          || json_object_set (e, "path", json_new_string (m->execs[i].path)) < 0
          || json_object_set (e, "source", json_new_string (m->execs[i].source)) < 0
          || json_object_set (e, "first_seen", json_new_uint ((uint64_t) m->execs[i].first_seen)) < 0)
        return vigil_error_set (err, ENOMEM, "serialize model");
    }
  return json_generate (root, true, out, NULL, err);
}

static int
load_execs (struct model *m, json_t process, vigil_error_t *err)
{
  json_t execs = json_get (process, "executables");
  size_t i;

  if (execs == NULL)
    return 0;
  if (!YAJL_IS_ARRAY (execs))
    return vigil_error_set (err, 0, "`process.executables` is not an array");
  for (i = 0; i < execs->u.array.len; i++)
    {
      json_t e = execs->u.array.values[i];
      const char *path = json_get_string (e, "path");
      const char *source = json_get_string (e, "source");

      if (path == NULL || path[0] != '/')
        return vigil_error_set (err, 0, "`process.executables[%zu].path` is missing or not absolute", i);
      if (model_add_exec (m, path, source ? source : "learned",
                          (int64_t) json_get_uint (e, "first_seen", 0)) < 0)
        return vigil_error_set (err, ENOMEM, "load model");
    }
  return 0;
}

int
model_from_json (const char *text, size_t len, struct model **out, vigil_error_t *err)
{
  cleanup_json json_t root = NULL;
  struct model_identity id = { 0 };
  struct model *m = NULL;
  const char *mode, *before;
  json_t manual;
  int mode_value, before_value;
  uint64_t version;

  if (json_parse (text, len, &root, err) < 0)
    return -1;
  if (!YAJL_IS_OBJECT (root))
    return vigil_error_set (err, 0, "model is not a JSON object");
  version = json_get_uint (root, "version", 0);
  if (version != MODEL_FORMAT_VERSION)
    return vigil_error_set (err, 0, "unsupported model version %llu (expected %d)",
                            (unsigned long long) version, MODEL_FORMAT_VERSION);

  id.key = (char *) json_get_string (root, "key");
  id.image = (char *) json_get_string (root, "image");
  id.image_name = (char *) json_get_string (root, "image_name");
  id.cluster = (char *) json_get_string (root, "cluster");
  id.namespace = (char *) json_get_string (root, "namespace");
  id.deployment = (char *) json_get_string (root, "deployment");
  id.source = (char *) json_get_string (root, "key_source");
  if (id.key == NULL || id.image == NULL)
    return vigil_error_set (err, 0, "model has no `key` or `image`");

  mode = json_get_string (root, "mode");
  mode_value = model_mode_parse (mode);
  if (mode_value < 0)
    return vigil_error_set (err, 0, "invalid model mode `%s`", mode ? mode : "(missing)");
  before = json_get_string (root, "mode_before_archive");
  before_value = before ? model_mode_parse (before) : MODEL_LEARNING;
  if (before_value < 0 || before_value == MODEL_ARCHIVED)
    return vigil_error_set (err, 0, "invalid `mode_before_archive` `%s`", before);

  if (model_new (&id, (int64_t) json_get_uint (root, "created", 0),
                 json_get_uint (root, "learning_target_ms", 0), &m, err) < 0)
    return -1;
  m->mode = (enum model_mode) mode_value;
  m->mode_before_archive = (enum model_mode) before_value;
  manual = json_get (root, "manual_learning");
  m->manual_learning = manual != NULL && YAJL_IS_TRUE (manual);
  m->observed_ms = json_get_uint (root, "observed_ms", 0);
  m->learning_ms = json_get_uint (root, "learning_ms", 0);
  m->active_ms = json_get_uint (root, "active_ms", 0);
  m->relearn_count = (unsigned) json_get_uint (root, "relearn_count", 0);
  m->activated = (int64_t) json_get_uint (root, "activated", 0);
  m->last_seen_ms = (int64_t) json_get_uint (root, "last_seen_ms", 0);
  m->archived_ms = (int64_t) json_get_uint (root, "archived_ms", 0);
  if (load_execs (m, json_get (root, "process"), err) < 0)
    {
      model_free (m);
      return -1;
    }
  m->dirty = false;
  *out = m;
  return 0;
}
