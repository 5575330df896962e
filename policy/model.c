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
      free (m->execs[i].target);
      free (m->execs[i].source);
    }
  free (m->execs);
  for (i = 0; i < m->n_dirs; i++)
    {
      free (m->dirs[i].path);
      free (m->dirs[i].source);
    }
  free (m->dirs);
  for (i = 0; i < m->n_nets; i++)
    {
      free (m->nets[i].path);
      free (m->nets[i].source);
    }
  free (m->nets);
  free (m->key);
  free (m->image);
  free (m->image_name);
  free (m->cluster);
  free (m->namespace);
  free (m->deployment);
  free (m->key_source);
  free (m);
}

/* Index of path, or of where it would be inserted, in a sorted array.  */
static size_t
entry_position (const struct model_entry *items, size_t n, const char *path, bool *found)
{
  size_t lo = 0, hi = n;

  *found = false;
  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      int c = strcmp (items[mid].path, path);
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

/* Insert an entry for path into the sorted array unless present.
   Returns 1 when added, 0 when present (*at is its index), -1.  */
static int
entry_add (struct model_entry **items, size_t *n, size_t *cap, const char *path, const char *source,
           int64_t now, size_t *at)
{
  struct model_entry e = { 0 };
  bool found;

  *at = entry_position (*items, *n, path, &found);
  if (found)
    return 0;
  if (*n == *cap)
    {
      size_t bigger_cap = *cap ? *cap * 2 : 16;
      struct model_entry *bigger = realloc (*items, bigger_cap * sizeof (*bigger));
      if (bigger == NULL)
        return -1;
      *items = bigger;
      *cap = bigger_cap;
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
  memmove (&(*items)[*at + 1], &(*items)[*at], (*n - *at) * sizeof (**items));
  (*items)[*at] = e;
  (*n)++;
  return 1;
}

const struct model_entry *
model_find_exec (const struct model *m, const char *path)
{
  bool found;
  size_t at = entry_position (m->execs, m->n_execs, path, &found);

  return found ? &m->execs[at] : NULL;
}

bool
model_has_exec (const struct model *m, const char *path)
{
  bool found;
  size_t at = entry_position (m->execs, m->n_execs, path, &found);

  return found && !m->execs[at].file_only;
}

bool
model_has_exec_file (const struct model *m, const char *file)
{
  size_t i;
  bool found;

  entry_position (m->execs, m->n_execs, file, &found);
  if (found)
    return true;
  for (i = 0; i < m->n_execs; i++)
    if (m->execs[i].target != NULL && strcmp (m->execs[i].target, file) == 0)
      return true;
  return false;
}

int
model_add_exec (struct model *m, const char *path, const char *target, const char *source, int64_t now)
{
  size_t at;
  int ret = entry_add (&m->execs, &m->n_execs, &m->cap_execs, path, source, now, &at);

  if (ret < 0)
    return -1;
  if (target != NULL && strcmp (target, path) != 0 && m->execs[at].target == NULL)
    {
      m->execs[at].target = strdup (target);
      m->dirty = true;
    }
  /* An exec by this name makes a file-only entry a full one.  */
  if (ret == 0 && m->execs[at].file_only)
    {
      m->execs[at].file_only = false;
      m->dirty = true;
      ret = 1;
    }
  if (ret > 0)
    m->dirty = true;
  return ret;
}

int
model_add_exec_file (struct model *m, const char *file, const char *source, int64_t now)
{
  size_t at;
  int ret = entry_add (&m->execs, &m->n_execs, &m->cap_execs, file, source, now, &at);

  if (ret > 0)
    {
      m->execs[at].file_only = true;
      m->dirty = true;
    }
  return ret;
}

void
model_set_fingerprint (struct model *m, const char *path, int64_t size, int64_t mtime_ns, bool replace)
{
  bool found;
  size_t at = entry_position (m->execs, m->n_execs, path, &found);
  struct model_entry *e = &m->execs[at];

  if (!found || (e->has_fingerprint && !replace)
      || (e->has_fingerprint && e->size == size && e->mtime_ns == mtime_ns))
    return;
  e->has_fingerprint = true;
  e->size = size;
  e->mtime_ns = mtime_ns;
  m->dirty = true;
}

static enum fingerprint_match
compare (const struct model_entry *e, int64_t size, int64_t mtime_ns)
{
  if (!e->has_fingerprint)
    return FINGERPRINT_UNKNOWN;
  return e->size == size && e->mtime_ns == mtime_ns ? FINGERPRINT_MATCHES : FINGERPRINT_DIFFERS;
}

enum fingerprint_match
model_check_fingerprint (const struct model *m, const char *path, bool file_level, int64_t size,
                         int64_t mtime_ns)
{
  enum fingerprint_match result = FINGERPRINT_UNKNOWN;
  bool found;
  size_t i, at = entry_position (m->execs, m->n_execs, path, &found);

  if (!file_level)
    return found ? compare (&m->execs[at], size, mtime_ns) : FINGERPRINT_UNKNOWN;
  /* The file passes when one recorded fingerprint of it matches.  */
  for (i = 0; i < m->n_execs; i++)
    {
      const struct model_entry *e = &m->execs[i];
      enum fingerprint_match r;

      if (strcmp (e->path, path) != 0 && (e->target == NULL || strcmp (e->target, path) != 0))
        continue;
      r = compare (e, size, mtime_ns);
      if (r == FINGERPRINT_MATCHES)
        return r;
      if (r == FINGERPRINT_DIFFERS)
        result = r;
    }
  return result;
}

bool
model_has_dir (const struct model *m, const char *dir)
{
  bool found;

  entry_position (m->dirs, m->n_dirs, dir, &found);
  return found;
}

int
model_add_dir (struct model *m, const char *dir, const char *source, int64_t now)
{
  size_t at;
  int ret = entry_add (&m->dirs, &m->n_dirs, &m->cap_dirs, dir, source, now, &at);

  if (ret > 0)
    m->dirty = true;
  return ret;
}

static const char *const net_kind_names[] = {
  [MODEL_NET_LISTEN] = "listen",
  [MODEL_NET_CONNECT] = "connect",
  [MODEL_NET_SOCKET] = "socket",
};

const char *
model_net_kind_name (enum model_net_kind kind)
{
  return net_kind_names[kind];
}

/* Protocol and type are single words; the address comes last, so it may
   hold spaces (a unix socket path).  */
static bool
is_word (const char *s)
{
  return s[0] != '\0' && strpbrk (s, " \t\n") == NULL;
}

int
model_net_key (const struct model_net *e, char *buf, size_t size)
{
  int n;

  if (!is_word (e->protocol) || (e->type[0] != '\0' && !is_word (e->type)))
    return -1;
  n = snprintf (buf, size, "%s %s %s %u %s", net_kind_names[e->kind], e->protocol,
                e->type[0] ? e->type : "-", e->port, e->address);
  return n < 0 || (size_t) n >= size ? -1 : 0;
}

int
model_net_parse_key (const char *key, struct model_net *e)
{
  char kind[16];
  int consumed = 0;
  size_t i;

  memset (e, 0, sizeof (*e));
  if (sscanf (key, "%15s %15s %15s %u %n", kind, e->protocol, e->type, &e->port, &consumed) != 4
      || consumed == 0 || key[consumed - 1] != ' ')
    return -1;
  for (i = 0; i < sizeof (net_kind_names) / sizeof (net_kind_names[0]); i++)
    if (strcmp (kind, net_kind_names[i]) == 0)
      break;
  if (i == sizeof (net_kind_names) / sizeof (net_kind_names[0]))
    return -1;
  e->kind = (enum model_net_kind) i;
  if (strcmp (e->type, "-") == 0)
    e->type[0] = '\0';
  if (strlen (key + consumed) >= sizeof (e->address))
    return -1;
  strcpy (e->address, key + consumed);
  return 0;
}

bool
model_has_net (const struct model *m, const struct model_net *e)
{
  char key[sizeof (e->address) + 64];
  bool found;

  if (model_net_key (e, key, sizeof (key)) < 0)
    return false;
  entry_position (m->nets, m->n_nets, key, &found);
  return found;
}

int
model_add_net (struct model *m, const struct model_net *e, const char *source, int64_t now)
{
  char key[sizeof (e->address) + 64];
  size_t at;
  int ret;

  if (model_net_key (e, key, sizeof (key)) < 0)
    return -1;
  ret = entry_add (&m->nets, &m->n_nets, &m->cap_nets, key, source, now, &at);
  if (ret > 0)
    m->dirty = true;
  return ret;
}

static int
set_optional_string (json_t obj, const char *key, const char *value)
{
  if (value == NULL)
    return 0;
  return json_object_set (obj, key, json_new_string (value));
}

static int
entries_to_json (json_t array, const struct model_entry *items, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      json_t e = json_new_object ();
      if (e == NULL || json_array_append (array, e) < 0
          || json_object_set (e, "path", json_new_string (items[i].path)) < 0
          || (items[i].target != NULL && json_object_set (e, "target", json_new_string (items[i].target)) < 0)
          || (items[i].file_only && json_object_set (e, "file_only", json_new_bool (true)) < 0)
          || (items[i].has_fingerprint
              && (json_object_set (e, "size", json_new_uint ((uint64_t) items[i].size)) < 0
                  || json_object_set (e, "mtime_ns", json_new_uint ((uint64_t) items[i].mtime_ns)) < 0))
          || json_object_set (e, "source", json_new_string (items[i].source)) < 0
          || json_object_set (e, "first_seen", json_new_uint ((uint64_t) items[i].first_seen)) < 0)
        return -1;
    }
  return 0;
}

static bool
is_unix (const struct model_net *e)
{
  return strcmp (e->protocol, "unix") == 0;
}

static int
net_to_json (json_t network, const struct model *m)
{
  static const char *const sections[] = { "listen", "connect", "sockets" };
  json_t lists[3];
  size_t i;

  for (i = 0; i < 3; i++)
    {
      if (json_object_set (network, sections[i], json_new_array ()) < 0)
        return -1;
      lists[i] = json_get (network, sections[i]);
    }
  for (i = 0; i < m->n_nets; i++)
    {
      const struct model_entry *me = &m->nets[i];
      struct model_net e;
      json_t o;
      int ret;

      if (model_net_parse_key (me->path, &e) < 0)
        continue;
      o = json_new_object ();
      if (o == NULL || json_array_append (lists[e.kind], o) < 0)
        return -1;
      if (e.kind == MODEL_NET_SOCKET)
        ret = json_object_set (o, "family", json_new_string (e.protocol)) < 0
                      || json_object_set (o, "type", json_new_string (e.type)) < 0
                      || json_object_set (o, "protocol", json_new_uint (e.port)) < 0
                  ? -1
                  : 0;
      else if (is_unix (&e))
        ret = json_object_set (o, "protocol", json_new_string (e.protocol)) < 0
                      || json_object_set (o, "path", json_new_string (e.address)) < 0
                  ? -1
                  : 0;
      else
        ret = json_object_set (o, "protocol", json_new_string (e.protocol)) < 0
                      || (e.kind == MODEL_NET_CONNECT
                          && json_object_set (o, "address", json_new_string (e.address)) < 0)
                      || json_object_set (o, "port", json_new_uint (e.port)) < 0
                  ? -1
                  : 0;
      if (ret < 0 || json_object_set (o, "source", json_new_string (me->source)) < 0
          || json_object_set (o, "first_seen", json_new_uint ((uint64_t) me->first_seen)) < 0)
        return -1;
    }
  return 0;
}

static int
copy_word (char *dst, size_t size, const char *src)
{
  if (src == NULL || src[0] == '\0' || strlen (src) >= size || strpbrk (src, " \t\n") != NULL)
    return -1;
  strcpy (dst, src);
  return 0;
}

/* One entry of network.listen, network.connect or network.sockets.  */
static int
net_from_json (json_t o, enum model_net_kind kind, struct model_net *e)
{
  const char *address;

  memset (e, 0, sizeof (*e));
  e->kind = kind;
  if (!YAJL_IS_OBJECT (o))
    return -1;
  if (kind == MODEL_NET_SOCKET)
    {
      json_t proto = json_get (o, "protocol");
      if (copy_word (e->protocol, sizeof (e->protocol), json_get_string (o, "family")) < 0
          || copy_word (e->type, sizeof (e->type), json_get_string (o, "type")) < 0
          || proto == NULL || !YAJL_IS_INTEGER (proto) || YAJL_GET_INTEGER (proto) < 0
          || YAJL_GET_INTEGER (proto) > 65535)
        return -1;
      e->port = (unsigned) YAJL_GET_INTEGER (proto);
      return 0;
    }
  if (copy_word (e->protocol, sizeof (e->protocol), json_get_string (o, "protocol")) < 0)
    return -1;
  address = json_get_string (o, is_unix (e) ? "path" : "address");
  if (is_unix (e) || kind == MODEL_NET_CONNECT)
    {
      if (address == NULL || address[0] == '\0' || strlen (address) >= sizeof (e->address))
        return -1;
      strcpy (e->address, address);
    }
  if (!is_unix (e))
    {
      json_t port = json_get (o, "port");
      if (port == NULL || !YAJL_IS_INTEGER (port) || YAJL_GET_INTEGER (port) < 0
          || YAJL_GET_INTEGER (port) > 65535)
        return -1;
      e->port = (unsigned) YAJL_GET_INTEGER (port);
    }
  return 0;
}

static int
load_network (struct model *m, json_t network, vigil_error_t *err)
{
  static const char *const sections[] = { "listen", "connect", "sockets" };
  size_t s, i;

  if (network == NULL)
    return 0; /* a model written before the network sensor */
  if (!YAJL_IS_OBJECT (network))
    return vigil_error_set (err, 0, "`network` is not an object");
  for (s = 0; s < 3; s++)
    {
      json_t list = json_get (network, sections[s]);
      if (list == NULL)
        continue;
      if (!YAJL_IS_ARRAY (list))
        return vigil_error_set (err, 0, "`network.%s` is not an array", sections[s]);
      for (i = 0; i < list->u.array.len; i++)
        {
          json_t o = list->u.array.values[i];
          const char *source = json_get_string (o, "source");
          struct model_net e;

          if (net_from_json (o, (enum model_net_kind) s, &e) < 0)
            return vigil_error_set (err, 0, "`network.%s[%zu]` is not a valid entry", sections[s], i);
          if (model_add_net (m, &e, source ? source : "learned", (int64_t) json_get_uint (o, "first_seen", 0))
              < 0)
            return vigil_error_set (err, ENOMEM, "load model");
        }
    }
  return 0;
}

int
model_to_json (const struct model *m, char **out, vigil_error_t *err)
{
  cleanup_json json_t root = json_new_object ();
  json_t process, execs, filesystem, network;

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
  if (entries_to_json (execs, m->execs, m->n_execs) < 0)
    return vigil_error_set (err, ENOMEM, "serialize model");
  filesystem = json_new_object ();
  if (json_object_set (root, "filesystem", filesystem) < 0
      || json_object_set (filesystem, "written_directories", json_new_array ()) < 0
      || entries_to_json (json_get (filesystem, "written_directories"), m->dirs, m->n_dirs) < 0)
    return vigil_error_set (err, ENOMEM, "serialize model");
  network = json_new_object ();
  if (json_object_set (root, "network", network) < 0 || net_to_json (network, m) < 0)
    return vigil_error_set (err, ENOMEM, "serialize model");
  return json_generate (root, true, out, NULL, err);
}

/* Load the entries at list (an array or NULL) with add; name is the JSON
   path for messages.  */
static int
load_entries (struct model *m, json_t list, const char *name, bool execs, vigil_error_t *err)
{
  size_t i;

  if (list == NULL)
    return 0;
  if (!YAJL_IS_ARRAY (list))
    return vigil_error_set (err, 0, "`%s` is not an array", name);
  for (i = 0; i < list->u.array.len; i++)
    {
      json_t e = list->u.array.values[i];
      const char *path = json_get_string (e, "path");
      const char *source = json_get_string (e, "source");
      int64_t first = (int64_t) json_get_uint (e, "first_seen", 0);
      int ret;

      if (path == NULL || path[0] != '/')
        return vigil_error_set (err, 0, "`%s[%zu].path` is missing or not absolute", name, i);
      if (execs && json_get (e, "file_only") != NULL && YAJL_IS_TRUE (json_get (e, "file_only")))
        ret = model_add_exec_file (m, path, source ? source : "learned", first);
      else if (execs)
        ret = model_add_exec (m, path, json_get_string (e, "target"), source ? source : "learned", first);
      else
        ret = model_add_dir (m, path, source ? source : "learned", first);
      if (ret < 0)
        return vigil_error_set (err, ENOMEM, "load model");
      if (execs && json_get (e, "size") != NULL && json_get (e, "mtime_ns") != NULL)
        model_set_fingerprint (m, path, (int64_t) json_get_uint (e, "size", 0),
                               (int64_t) json_get_uint (e, "mtime_ns", 0), true);
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
  if (load_entries (m, json_get (json_get (root, "process"), "executables"), "process.executables", true, err) < 0
      || load_entries (m, json_get (json_get (root, "filesystem"), "written_directories"),
                       "filesystem.written_directories", false, err)
             < 0
      || load_network (m, json_get (root, "network"), err) < 0)
    {
      model_free (m);
      return -1;
    }
  m->dirty = false;
  *out = m;
  return 0;
}
