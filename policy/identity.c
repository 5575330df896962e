#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "identity.h"

/* Annotation names, as containerd's CRI plugin (pkg/cri/annotations) and
   CRI-O (pkg/annotations) write them.  */
#define ANN_VIGIL_IMAGE "vigil.image"
#define ANN_VIGIL_NAMESPACE "vigil.namespace"
#define ANN_CRIO_IMAGE_REF "io.kubernetes.cri-o.ImageRef"
#define ANN_CRIO_IMAGE_NAME "io.kubernetes.cri-o.ImageName"
#define ANN_CRIO_NAMESPACE "io.kubernetes.cri-o.Namespace"
#define ANN_KUBE_POD_NAMESPACE "io.kubernetes.pod.namespace"
#define ANN_KUBE_CONTAINER_NAME "io.kubernetes.container.name"
#define ANN_CRI_IMAGE_NAME "io.kubernetes.cri.image-name"
#define ANN_CRI_NAMESPACE "io.kubernetes.cri.sandbox-namespace"
#define ANN_CRI_CONTAINER_NAME "io.kubernetes.cri.container-name"

#define CONTAINERS_JSON_MAX (64u << 20)

void
vigil_hash_hex (const char *s, char out[17])
{
  uint64_t h = 0xcbf29ce484222325ULL;

  for (; *s != '\0'; s++)
    {
      h ^= (unsigned char) *s;
      h *= 0x100000001b3ULL;
    }
  snprintf (out, 17, "%016" PRIx64, h);
}

static int
set_field (char **field, const char *value)
{
  if (value == NULL || value[0] == '\0')
    return 0;
  *field = strdup (value);
  return *field == NULL ? -1 : 0;
}

int
model_identity_make_key (struct model_identity *id)
{
  free (id->key);
  id->key = NULL;
  if (asprintf (&id->key, "%s/%s", id->namespace ? id->namespace : "-", id->image) < 0)
    {
      id->key = NULL;
      return -1;
    }
  return 0;
}

/* An image id of containers-storage is the hex digest of the image
   configuration; write it the way digests are written elsewhere.  */
static char *
normalize_image_id (const char *id)
{
  char *out = NULL;

  if (strchr (id, ':') != NULL)
    return strdup (id);
  if (asprintf (&out, "sha256:%s", id) < 0)
    return NULL;
  return out;
}

static int
from_annotations (json_t annotations, struct model_identity *id)
{
  const char *image = json_get_string (annotations, ANN_VIGIL_IMAGE);
  const char *ns = json_get_string (annotations, ANN_VIGIL_NAMESPACE);

  if (image != NULL && image[0] != '\0')
    {
      if (set_field (&id->image, image) < 0 || set_field (&id->source, "annotation " ANN_VIGIL_IMAGE) < 0)
        return -1;
    }
  else if ((image = json_get_string (annotations, ANN_CRIO_IMAGE_REF)) != NULL && image[0] != '\0')
    {
      id->image = normalize_image_id (image);
      if (id->image == NULL || set_field (&id->source, "cri-o annotation " ANN_CRIO_IMAGE_REF) < 0
          || set_field (&id->image_name, json_get_string (annotations, ANN_CRIO_IMAGE_NAME)) < 0)
        return -1;
    }
  else if ((image = json_get_string (annotations, ANN_CRI_IMAGE_NAME)) != NULL && image[0] != '\0')
    {
      /* containerd's CRI plugin names the image but does not annotate its
         digest.  */
      if (set_field (&id->image, image) < 0 || set_field (&id->image_name, image) < 0
          || set_field (&id->source, "containerd cri annotation " ANN_CRI_IMAGE_NAME) < 0)
        return -1;
    }

  if (ns == NULL)
    ns = json_get_string (annotations, ANN_CRIO_NAMESPACE);
  if (ns == NULL)
    ns = json_get_string (annotations, ANN_CRI_NAMESPACE);
  if (ns == NULL)
    ns = json_get_string (annotations, ANN_KUBE_POD_NAMESPACE);
  if (set_field (&id->namespace, ns) < 0)
    return -1;

  const char *name = json_get_string (annotations, ANN_CRI_CONTAINER_NAME);
  if (name == NULL)
    name = json_get_string (annotations, ANN_KUBE_CONTAINER_NAME);
  return set_field (&id->container_name, name);
}

/* podman and CRI-O keep the bundle at
   STORAGE/overlay-containers/ID/userdata and list every container, with
   its image id, in STORAGE/overlay-containers/containers.json.  */
static int
from_containers_storage (const char *bundle, const char *container_id, struct model_identity *id)
{
  cleanup_free char *path = NULL;
  cleanup_free char *text = NULL;
  cleanup_json json_t list = NULL;
  cleanup_error vigil_error_t err = NULL;
  size_t len, i;

  if (container_id == NULL || asprintf (&path, "%s/../../containers.json", bundle) < 0)
    return 0;
  if (read_file (path, CONTAINERS_JSON_MAX, &text, &len, &err) < 0)
    return 0;
  if (json_parse (text, len, &list, &err) < 0 || !YAJL_IS_ARRAY (list))
    return 0;

  for (i = 0; i < list->u.array.len; i++)
    {
      json_t entry = list->u.array.values[i];
      const char *cid = json_get_string (entry, "id");
      const char *image = json_get_string (entry, "image");
      json_t names = json_get (entry, "names");

      if (cid == NULL || strcmp (cid, container_id) != 0 || image == NULL || image[0] == '\0')
        continue;
      id->image = normalize_image_id (image);
      if (id->image == NULL || set_field (&id->source, "containers-storage") < 0)
        return -1;
      if (id->container_name == NULL && names != NULL && YAJL_IS_ARRAY (names)
          && names->u.array.len > 0 && YAJL_IS_STRING (names->u.array.values[0]))
        return set_field (&id->container_name, names->u.array.values[0]->u.string);
      return 0;
    }
  return 0;
}

/* Find the mount at mount_point in a mountinfo file and return the value
   of its lowerdir= option, or NULL.  Mount points in mountinfo escape
   space, tab, newline and backslash as octal.  */
static char *
overlay_lowerdir (const char *mountinfo, const char *mount_point)
{
  cleanup_file FILE *f = fopen (mountinfo, "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;
  char *found = NULL;

  if (f == NULL)
    return NULL;
  while (getline (&line, &cap, f) > 0)
    {
      char *sep, *opt, *save = NULL, *tok;
      const char *mount_field = NULL;
      int n;

      /* Fields: id parent major:minor root mount-point options
         [optional fields...] - fstype source super-options.  */
      sep = strstr (line, " - ");
      if (sep == NULL)
        continue;
      *sep = '\0';
      for (n = 0, tok = strtok_r (line, " ", &save); tok != NULL; tok = strtok_r (NULL, " ", &save), n++)
        if (n == 4)
          {
            mount_field = tok;
            break;
          }
      if (mount_field == NULL || strcmp (mount_field, mount_point) != 0)
        continue;
      opt = strstr (sep + 3, "lowerdir=");
      if (opt == NULL)
        continue;
      opt += strlen ("lowerdir=");
      free (found);
      found = strndup (opt, strcspn (opt, ",\n "));
    }
  return found;
}

static int
from_rootfs (json_t config, const char *bundle, const char *mountinfo, struct model_identity *id)
{
  const char *root = json_get_string (json_get (config, "root"), "path");
  cleanup_free char *joined = NULL;
  cleanup_free char *lower = NULL;
  char resolved[PATH_MAX];
  char hash[17];

  if (root == NULL)
    root = "rootfs";
  if (root[0] == '/')
    joined = strdup (root);
  else if (asprintf (&joined, "%s/%s", bundle, root) < 0)
    joined = NULL;
  if (joined == NULL)
    return -1;
  if (realpath (joined, resolved) == NULL)
    snprintf (resolved, sizeof (resolved), "%s", joined);

  lower = overlay_lowerdir (mountinfo ? mountinfo : "/proc/self/mountinfo", resolved);
  if (lower != NULL)
    {
      /* The lower directories of an image's snapshot are the same for
         every container of that image.  */
      vigil_hash_hex (lower, hash);
      if (asprintf (&id->image, "lowerdir:%s", hash) < 0)
        {
          id->image = NULL;
          return -1;
        }
      return set_field (&id->source, "derived from the overlay lower directories of the rootfs");
    }

  if (asprintf (&id->image, "rootfs:%s", resolved) < 0)
    {
      id->image = NULL;
      return -1;
    }
  return set_field (&id->source, "derived from the rootfs path: no image information in the bundle");
}

int
model_identity_from_bundle (json_t config, const char *bundle, const char *container_id,
                            const char *mountinfo, struct model_identity *id, vigil_error_t *err)
{
  json_t annotations = json_get (config, "annotations");

  memset (id, 0, sizeof (*id));
  if (from_annotations (annotations, id) < 0)
    goto nomem;
  if (id->image == NULL && from_containers_storage (bundle, container_id, id) < 0)
    goto nomem;
  if (id->image == NULL && from_rootfs (config, bundle, mountinfo, id) < 0)
    goto nomem;
  if (model_identity_make_key (id) < 0)
    goto nomem;
  return 0;

nomem:
  model_identity_free (id);
  return vigil_error_set (err, ENOMEM, "identify the model of container `%s`",
                          container_id ? container_id : "");
}

void
model_identity_free (struct model_identity *id)
{
  free (id->image);
  free (id->image_name);
  free (id->namespace);
  free (id->container_name);
  free (id->source);
  free (id->key);
  memset (id, 0, sizeof (*id));
}
