/* Model identity of a container: the image it runs and the namespace it
   runs in, found in what the engine put into the bundle.  */
#ifndef VIGIL_IDENTITY_H
#define VIGIL_IDENTITY_H

#include "common/error.h"
#include "common/json.h"

struct model_identity
{
  char *image;          /* digest or image id where known, else a derived value */
  char *image_name;     /* a human-readable name, may be NULL */
  char *namespace;      /* Kubernetes namespace, NULL outside Kubernetes */
  char *container_name; /* may be NULL */
  char *source;         /* where image came from, recorded in the model */
  char *key;            /* "NAMESPACE/IMAGE", "-" standing for no namespace */
};

/* Sources tried in order: the annotation vigil.image (with vigil.namespace),
   CRI-O's annotations, containerd CRI's annotations, podman's
   containers-storage beside the bundle, the overlay lower directories of
   the mounted rootfs, and last the rootfs path.  config is the bundle's
   config.json tree.  mountinfo may be NULL for /proc/self/mountinfo.  */
int model_identity_from_bundle (json_t config, const char *bundle, const char *container_id,
                                const char *mountinfo, struct model_identity *id,
                                vigil_error_t *err);

/* Fill key from image and namespace.  */
int model_identity_make_key (struct model_identity *id);

void model_identity_free (struct model_identity *id);

/* 64-bit FNV-1a of s, printed as 16 hex digits into out (17 bytes).  */
void vigil_hash_hex (const char *s, char out[17]);

#endif
