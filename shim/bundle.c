#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "common/json.h"
#include "policy/identity.h"
#include "runtime_log.h"
#include "seccomp/profile_merge.h"
#include "shim/static_analysis.h"
#include "shim/bundle.h"

#define CONFIG_JSON_MAX (16u << 20)

int
agent_reachable (const char *path, unsigned timeout_ms, vigil_error_t *err)
{
  cleanup_close int fd = -1;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct pollfd pfd;
  int soerr = 0;
  socklen_t soerr_len = sizeof (soerr);

  if (strlen (path) >= sizeof (addr.sun_path))
    return vigil_error_set (err, ENAMETOOLONG, "agent socket `%s`", path);
  memcpy (addr.sun_path, path, strlen (path));

  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return vigil_error_set (err, errno, "create socket");
  if (connect (fd, (struct sockaddr *) &addr, sizeof (addr)) == 0)
    return 0;
  if (errno != EAGAIN && errno != EINPROGRESS)
    return vigil_error_set (err, errno, "connect to vigild at `%s`", path);

  /* The listen backlog is full: wait, but never longer than configured.  */
  pfd.fd = fd;
  pfd.events = POLLOUT;
  if (poll (&pfd, 1, (int) timeout_ms) <= 0)
    return vigil_error_set (err, ETIMEDOUT, "connect to vigild at `%s`", path);
  if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &soerr, &soerr_len) < 0 || soerr != 0)
    return vigil_error_set (err, soerr ? soerr : errno, "connect to vigild at `%s`", path);
  return 0;
}

/* listenerMetadata: what the agent needs to know about the container
   before its first syscall, as a JSON object in a string.  */
/* Annotation values longer than this are left out of the metadata:
   rules match short labels, and Kubernetes' last-applied-configuration
   can be tens of KiB.  */
#define ANNOTATION_VALUE_MAX 1024
/* Process arguments kept for recognising capabilities, and the bytes of
   them and of annotations kept in all: the metadata must stay well below
   the agent's 1 MiB message limit whatever config.json holds.  */
#define ARGS_MAX 64
#define SCOPE_BYTES_MAX (64u << 10)

/* config.json's annotations and process.args, for rule scopes and
   capabilities.  */
static int
add_scope (json_t meta, json_t config)
{
  json_t annotations = json_get (config, "annotations");
  json_t args = json_get (json_get (config, "process"), "args");
  size_t i, used = 0;
  json_t out;

  if (annotations != NULL && YAJL_IS_OBJECT (annotations))
    {
      out = json_new_object ();
      if (out == NULL)
        return -1;
      for (i = 0; i < annotations->u.object.len; i++)
        {
          json_t v = annotations->u.object.values[i];
          size_t bytes = YAJL_IS_STRING (v) ? strlen (annotations->u.object.keys[i]) + strlen (v->u.string) : 0;

          if (bytes > ANNOTATION_VALUE_MAX || (used += bytes) > SCOPE_BYTES_MAX)
            continue;
          if (YAJL_IS_STRING (v)
              && json_object_set (out, annotations->u.object.keys[i], json_new_string (v->u.string)) < 0)
            {
              yajl_tree_free (out);
              return -1;
            }
        }
      if (json_object_set (meta, "annotations", out) < 0)
        return -1;
    }
  if (args != NULL && YAJL_IS_ARRAY (args))
    {
      out = json_new_array ();
      if (out == NULL)
        return -1;
      for (i = 0; i < args->u.array.len && i < ARGS_MAX; i++)
        {
          json_t v = args->u.array.values[i];
          const char *arg = YAJL_IS_STRING (v) ? v->u.string : "";

          if ((used += strlen (arg)) > SCOPE_BYTES_MAX)
            break;
          if (json_array_append (out, json_new_string (arg)) < 0)
            {
              yajl_tree_free (out);
              return -1;
            }
        }
      if (json_object_set (meta, "args", out) < 0)
        return -1;
    }
  return 0;
}

static char *
make_metadata (const struct model_identity *id, const char *container_id, const char *bundle,
               json_t static_execs, json_t config)
{
  cleanup_json json_t meta = json_new_object ();
  cleanup_error vigil_error_t err = NULL;
  char *text = NULL;

  if (meta == NULL)
    return NULL;
  if (json_object_set (meta, "version", json_new_uint (1)) < 0
      || json_object_set (meta, "key", json_new_string (id->key)) < 0
      || json_object_set (meta, "image", json_new_string (id->image)) < 0
      || json_object_set (meta, "source", json_new_string (id->source)) < 0
      || json_object_set (meta, "bundle", json_new_string (bundle)) < 0)
    return NULL;
  if (id->image_name && json_object_set (meta, "image_name", json_new_string (id->image_name)) < 0)
    return NULL;
  if (id->cluster && json_object_set (meta, "cluster", json_new_string (id->cluster)) < 0)
    return NULL;
  if (id->namespace && json_object_set (meta, "namespace", json_new_string (id->namespace)) < 0)
    return NULL;
  if (id->deployment && json_object_set (meta, "deployment", json_new_string (id->deployment)) < 0)
    return NULL;
  if (id->pod_name && json_object_set (meta, "pod", json_new_string (id->pod_name)) < 0)
    return NULL;
  if (json_object_set (meta, "static", json_copy (static_execs)) < 0)
    return NULL;
  if (id->container_name
      && json_object_set (meta, "container_name", json_new_string (id->container_name)) < 0)
    return NULL;
  if (container_id && json_object_set (meta, "container_id", json_new_string (container_id)) < 0)
    return NULL;
  if (add_scope (meta, config) < 0)
    return NULL;
  if (json_generate (meta, false, &text, NULL, &err) < 0)
    return NULL;
  return text;
}

/* Host path of the container's root: root.path, relative to the bundle
   unless absolute.  */
static char *
rootfs_path (json_t config, const char *bundle)
{
  const char *root = json_get_string (json_get (config, "root"), "path");
  char *path = NULL;

  if (root == NULL)
    root = "rootfs";
  if (root[0] == '/')
    return strdup (root);
  if (asprintf (&path, "%s/%s", bundle, root) < 0)
    return NULL;
  return path;
}

int
bundle_rewrite_config (const char *in, size_t len, const char *bundle, const char *container_id,
                       const struct vigil_config *cfg, char **out, vigil_error_t *err)
{
  cleanup_json json_t config = NULL;
  cleanup_json json_t static_execs = NULL;
  cleanup_free char *metadata = NULL;
  cleanup_free char *rootfs = NULL;
  struct model_identity id;
  int ret;

  if (json_parse (in, len, &config, err) < 0)
    return -1;
  if (!YAJL_IS_OBJECT (config))
    return vigil_error_set (err, 0, "config.json is not a JSON object");

  if (model_identity_from_bundle (config, bundle, container_id, cfg->cluster_name, NULL, &id, err) < 0)
    return -1;
  rootfs = rootfs_path (config, bundle);
  static_execs = rootfs ? static_executables (config, rootfs) : NULL;
  metadata = static_execs ? make_metadata (&id, container_id, bundle, static_execs, config) : NULL;
  model_identity_free (&id);
  if (metadata == NULL)
    return vigil_error_set (err, ENOMEM, "build listener metadata");

  ret = profile_merge (config, cfg->listener_socket, metadata, err);
  if (ret < 0)
    return -1;
  return json_generate (config, false, out, NULL, err);
}

/* A bundle created through Vigil before still names Vigil's listener;
   failing open, the runtime would try to reach it and fail.  Take the
   listener out again.  */
static int
remove_own_listener (const char *path, vigil_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_free char *rewritten = NULL;
  cleanup_json json_t config = NULL;
  cleanup_error vigil_error_t parse_err = NULL;
  struct stat st;
  size_t len;
  int ret;

  if (stat (path, &st) < 0 || read_file (path, CONFIG_JSON_MAX, &text, &len, &parse_err) < 0
      || json_parse (text, len, &config, &parse_err) < 0)
    return 0; /* the runtime reports an unreadable bundle itself */
  ret = profile_unmerge (config, err);
  if (ret <= 0)
    return ret;
  if (json_generate (config, false, &rewritten, &len, err) < 0
      || write_file_atomic (path, rewritten, len, st.st_mode & 07777, false, err) < 0)
    return vigil_error_wrap (err, "`%s`", path);
  runtime_log ("warning", "removed the seccomp listener of vigild from `%s`", path);
  return 0;
}

int
bundle_prepare (const struct vigil_config *cfg, const struct runtime_args *args,
                vigil_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *text = NULL;
  cleanup_free char *rewritten = NULL;
  cleanup_error vigil_error_t reach_err = NULL;
  char bundle[PATH_MAX];
  struct stat st;
  size_t len;

  if (realpath (args->bundle, bundle) == NULL)
    return vigil_error_set (err, errno, "bundle `%s`", args->bundle);
  if (asprintf (&path, "%s/config.json", bundle) < 0)
    return vigil_error_set (err, ENOMEM, "bundle `%s`", args->bundle);

  if (agent_reachable (cfg->listener_socket, (unsigned) cfg->connect_timeout_ms, &reach_err) < 0)
    {
      if (cfg->fail_mode == VIGIL_FAIL_CLOSED)
        {
          *err = take_ptr (&reach_err);
          return vigil_error_wrap (err, "container `%s` not created because on_agent_unreachable "
                                        "is fail-closed; start vigild",
                                   args->container_id ? args->container_id : "");
        }
      if (remove_own_listener (path, err) < 0)
        return -1;
      runtime_log ("warning", "%s; container `%s` runs unprotected (on_agent_unreachable is fail-open)",
                   reach_err->msg, args->container_id ? args->container_id : "");
      return 0;
    }

  if (stat (path, &st) < 0)
    return vigil_error_set (err, errno, "stat `%s`", path);
  if (read_file (path, CONFIG_JSON_MAX, &text, &len, err) < 0)
    return -1;
  if (bundle_rewrite_config (text, len, bundle, args->container_id, cfg, &rewritten, err) < 0)
    return vigil_error_wrap (err, "`%s`", path);
  /* Not fsynced, because a bundle does not outlive a crash of the machine
     (its containers are gone) and runtimes do not sync it either.  The
     rename alone keeps readers from seeing half a file.  */
  return write_file_atomic (path, rewritten, strlen (rewritten), st.st_mode & 07777, false, err);
}
