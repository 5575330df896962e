#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "identity.h"

/* Annotation names, as containerd's CRI plugin (pkg/cri/annotations),
   CRI-O (pkg/annotations) and kubelet's labels write them.  */
#define ANN_VIGIL_IMAGE "vigil.image"
#define ANN_VIGIL_NAMESPACE "vigil.namespace"
#define ANN_VIGIL_DEPLOYMENT "vigil.deployment"
#define ANN_CRIO_IMAGE_REF "io.kubernetes.cri-o.ImageRef"
#define ANN_CRIO_IMAGE_NAME "io.kubernetes.cri-o.ImageName"
#define ANN_CRIO_NAMESPACE "io.kubernetes.cri-o.Namespace"
#define ANN_CRIO_LABELS "io.kubernetes.cri-o.Labels"
#define ANN_KUBE_POD_NAMESPACE "io.kubernetes.pod.namespace"
#define ANN_KUBE_POD_NAME "io.kubernetes.pod.name"
#define ANN_KUBE_CONTAINER_NAME "io.kubernetes.container.name"
#define ANN_CRI_IMAGE_NAME "io.kubernetes.cri.image-name"
#define ANN_CRI_NAMESPACE "io.kubernetes.cri.sandbox-namespace"
#define ANN_CRI_POD_NAME "io.kubernetes.cri.sandbox-name"
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
  free (*field);
  *field = strdup (value);
  return *field == NULL ? -1 : 0;
}

int
model_identity_make_key (struct model_identity *id)
{
  free (id->key);
  id->key = NULL;
  if (asprintf (&id->key, "%s/%s/%s/%s", id->cluster ? id->cluster : "-",
                id->namespace ? id->namespace : "-", id->deployment ? id->deployment : "-",
                id->image)
      < 0)
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
take_image (struct model_identity *id, const char *image, const char *image_name, const char *source)
{
  id->image = normalize_image_id (image);
  if (id->image == NULL || set_field (&id->image_name, image_name) < 0)
    return -1;
  return set_field (&id->source, source);
}

/* Characters of the random suffixes Kubernetes generates for names
   (rand.SafeEncodeString in k8s.io/apimachinery: no vowels, no 0, 1, 3).  */
static bool
is_generated_suffix (const char *s, size_t len, size_t min, size_t max)
{
  size_t i;

  if (len < min || len > max)
    return false;
  for (i = 0; i < len; i++)
    if (strchr ("bcdfghjklmnpqrstvwxz2456789", s[i]) == NULL)
      return false;
  return true;
}

char *
pod_owner_from_name (const char *pod_name)
{
  char *owner = strdup (pod_name);
  char *dash;

  if (owner == NULL)
    return NULL;

  /* StatefulSet: NAME-ORDINAL.  */
  dash = strrchr (owner, '-');
  if (dash != NULL && dash != owner && dash[1] != '\0'
      && strspn (dash + 1, "0123456789") == strlen (dash + 1))
    {
      *dash = '\0';
      return owner;
    }

  /* The pod's own five-character suffix, then a Deployment's
     pod-template-hash (six to ten characters).  */
  if (dash == NULL || dash == owner || !is_generated_suffix (dash + 1, strlen (dash + 1), 5, 5))
    return owner;
  *dash = '\0';
  dash = strrchr (owner, '-');
  if (dash != NULL && dash != owner && is_generated_suffix (dash + 1, strlen (dash + 1), 6, 10))
    *dash = '\0';
  return owner;
}

/* The value of key in the JSON object held, as a string, by the
   annotation json_annotation (CRI-O's io.kubernetes.cri-o.Labels).  */
static char *
label_from_json_annotation (json_t annotations, const char *json_annotation, const char *key)
{
  const char *text = json_get_string (annotations, json_annotation);
  cleanup_error vigil_error_t err = NULL;
  cleanup_json json_t labels = NULL;
  const char *value;

  if (text == NULL || json_parse (text, strlen (text), &labels, &err) < 0)
    return NULL;
  value = json_get_string (labels, key);
  return value ? strdup (value) : NULL;
}

static int
image_from_annotations (json_t annotations, struct model_identity *id)
{
  const char *image = json_get_string (annotations, ANN_VIGIL_IMAGE);
  const char *cri_name = json_get_string (annotations, ANN_CRI_IMAGE_NAME);

  if (image != NULL && image[0] != '\0')
    {
      if (set_field (&id->image, image) < 0)
        return -1;
      return set_field (&id->source, "image from annotation " ANN_VIGIL_IMAGE);
    }
  image = json_get_string (annotations, ANN_CRIO_IMAGE_REF);
  if (image != NULL && image[0] != '\0')
    return take_image (id, image, json_get_string (annotations, ANN_CRIO_IMAGE_NAME),
                       "image from cri-o annotation " ANN_CRIO_IMAGE_REF);
  /* kubelet passes the image id to CreateContainer, which containerd's CRI
     plugin writes here; crictl users may pass a tag instead.  */
  if (cri_name != NULL && strncmp (cri_name, "sha256:", 7) == 0)
    return take_image (id, cri_name, NULL, "image from containerd cri annotation " ANN_CRI_IMAGE_NAME);
  return 0;
}

static int
pod_from_annotations (json_t annotations, struct model_identity *id)
{
  const char *ns = json_get_string (annotations, ANN_VIGIL_NAMESPACE);
  const char *deployment = json_get_string (annotations, ANN_VIGIL_DEPLOYMENT);
  const char *pod = json_get_string (annotations, ANN_CRI_POD_NAME);
  const char *name;

  if (ns == NULL)
    ns = json_get_string (annotations, ANN_CRIO_NAMESPACE);
  if (ns == NULL)
    ns = json_get_string (annotations, ANN_CRI_NAMESPACE);
  if (ns == NULL)
    ns = json_get_string (annotations, ANN_KUBE_POD_NAMESPACE);
  if (set_field (&id->namespace, ns) < 0)
    return -1;

  if (pod == NULL)
    pod = json_get_string (annotations, ANN_KUBE_POD_NAME);
  if (pod != NULL)
    {
      if (set_field (&id->pod_name, pod) < 0)
        return -1;
    }
  else
    id->pod_name = label_from_json_annotation (annotations, ANN_CRIO_LABELS, ANN_KUBE_POD_NAME);

  if (deployment != NULL && deployment[0] != '\0')
    {
      if (set_field (&id->deployment, deployment) < 0)
        return -1;
    }
  else if (id->pod_name != NULL && (id->deployment = pod_owner_from_name (id->pod_name)) == NULL)
    return -1;

  name = json_get_string (annotations, ANN_CRI_CONTAINER_NAME);
  if (name == NULL)
    name = json_get_string (annotations, ANN_KUBE_CONTAINER_NAME);
  return set_field (&id->container_name, name);
}

/* The first name of image in STORAGE/overlay-images/images.json, or NULL
   (errno ENOMEM when memory ran out).  */
static char *
storage_image_name (const char *bundle, const char *image)
{
  cleanup_free char *path = NULL;
  cleanup_free char *text = NULL;
  cleanup_json json_t list = NULL;
  cleanup_error vigil_error_t err = NULL;
  size_t len, i;

  errno = 0;
  if (asprintf (&path, "%s/../../../overlay-images/images.json", bundle) < 0)
    {
      errno = ENOMEM;
      return NULL;
    }
  if (read_file (path, CONTAINERS_JSON_MAX, &text, &len, &err) < 0
      || json_parse (text, len, &list, &err) < 0 || !YAJL_IS_ARRAY (list))
    {
      errno = 0;
      return NULL;
    }
  for (i = 0; i < list->u.array.len; i++)
    {
      json_t entry = list->u.array.values[i];
      json_t names = json_get (entry, "names");
      const char *iid = json_get_string (entry, "id");

      if (iid != NULL && strcmp (iid, image) == 0 && names != NULL && YAJL_IS_ARRAY (names)
          && names->u.array.len > 0 && YAJL_IS_STRING (names->u.array.values[0]))
        return strdup (names->u.array.values[0]->u.string);
    }
  errno = 0;
  return NULL;
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
      if (take_image (id, image, NULL, "image from containers-storage") < 0)
        return -1;
      if ((id->image_name = storage_image_name (bundle, image)) == NULL && errno == ENOMEM)
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
from_rootfs (json_t config, const char *bundle, const char *mountinfo, const char *cri_name,
             struct model_identity *id)
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
      return set_field (&id->source, "image derived from the overlay lower directories of the rootfs");
    }

  if (cri_name != NULL && cri_name[0] != '\0')
    {
      if (set_field (&id->image, cri_name) < 0)
        return -1;
      return set_field (&id->source, "image from containerd cri annotation " ANN_CRI_IMAGE_NAME
                                     " (a name, not a digest)");
    }

  if (asprintf (&id->image, "rootfs:%s", resolved) < 0)
    {
      id->image = NULL;
      return -1;
    }
  return set_field (&id->source, "image derived from the rootfs path: no image information in the bundle");
}

/* Append ", PART from WHERE" to the source description.  */
static int
note_source (struct model_identity *id, const char *part, const char *where)
{
  char *joined = NULL;

  if (asprintf (&joined, "%s, %s from %s", id->source, part, where) < 0)
    return -1;
  free (id->source);
  id->source = joined;
  return 0;
}

static int
identify (json_t config, const char *bundle, const char *container_id, const char *cluster,
          const char *mountinfo, struct model_identity *id)
{
  json_t annotations = json_get (config, "annotations");
  const char *cri_name = json_get_string (annotations, ANN_CRI_IMAGE_NAME);
  bool explicit_deployment = json_get_string (annotations, ANN_VIGIL_DEPLOYMENT) != NULL;

  if (image_from_annotations (annotations, id) < 0 || pod_from_annotations (annotations, id) < 0)
    return -1;
  if (id->image == NULL && from_containers_storage (bundle, container_id, id) < 0)
    return -1;
  if (id->image == NULL && from_rootfs (config, bundle, mountinfo, cri_name, id) < 0)
    return -1;
  if (id->image_name == NULL && set_field (&id->image_name, cri_name) < 0)
    return -1;
  if (set_field (&id->cluster, cluster) < 0)
    return -1;

  if (id->cluster != NULL && note_source (id, "cluster", "the node configuration") < 0)
    return -1;
  if (id->namespace != NULL && note_source (id, "namespace", "the pod annotations") < 0)
    return -1;
  if (id->deployment != NULL
      && note_source (id, "deployment",
                      explicit_deployment ? "annotation " ANN_VIGIL_DEPLOYMENT : "the pod name")
             < 0)
    return -1;
  return model_identity_make_key (id);
}

int
model_identity_from_bundle (json_t config, const char *bundle, const char *container_id,
                            const char *cluster, const char *mountinfo, struct model_identity *id,
                            vigil_error_t *err)
{
  memset (id, 0, sizeof (*id));
  if (identify (config, bundle, container_id, cluster, mountinfo, id) < 0)
    {
      model_identity_free (id);
      return vigil_error_set (err, ENOMEM, "identify the model of container `%s`",
                              container_id ? container_id : "");
    }
  return 0;
}

void
model_identity_free (struct model_identity *id)
{
  free (id->image);
  free (id->image_name);
  free (id->cluster);
  free (id->namespace);
  free (id->deployment);
  free (id->pod_name);
  free (id->container_name);
  free (id->source);
  free (id->key);
  memset (id, 0, sizeof (*id));
}
