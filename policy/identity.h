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
  char *cluster;        /* from the node configuration, may be NULL */
  char *namespace;      /* Kubernetes namespace, NULL outside Kubernetes */
  char *deployment;     /* the pod's owner, NULL outside Kubernetes */
  char *pod_name;       /* may be NULL */
  char *container_name; /* may be NULL */
  char *source;         /* where each part came from, recorded in the model */
  char *key;            /* "CLUSTER/NAMESPACE/DEPLOYMENT/IMAGE", "-" for a missing part */
};

/* Image sources tried in order: the annotation vigil.image, CRI-O's image
   id, containerd CRI's image name when it is a digest, podman's
   containers-storage beside the bundle, the overlay lower directories of
   the mounted rootfs (the same for every container of one image, whatever
   its tag), containerd CRI's image name, and last the rootfs path.  The
   namespace and the deployment come from vigil.namespace and
   vigil.deployment, else from the engines' pod annotations.  config is
   the bundle's config.json tree; cluster may be NULL; mountinfo may be
   NULL for /proc/self/mountinfo.  */
int model_identity_from_bundle (json_t config, const char *bundle, const char *container_id,
                                const char *cluster, const char *mountinfo,
                                struct model_identity *id, vigil_error_t *err);

/* The owner of a pod, from its generated name: a Deployment's pod
   "api-7d4b9c5f6-x2x9z" and a DaemonSet's or Job's "api-x2x9z" belong to
   "api", a StatefulSet's "db-0" to "db".  Other names are returned whole.
   The caller frees the result.  */
char *pod_owner_from_name (const char *pod_name);

/* Fill key from image and namespace.  */
int model_identity_make_key (struct model_identity *id);

void model_identity_free (struct model_identity *id);

/* 64-bit FNV-1a of s, printed as 16 hex digits into out (17 bytes).  */
void vigil_hash_hex (const char *s, char out[17]);

#endif
