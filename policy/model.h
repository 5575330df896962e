/* A model: what the containers of one image in one namespace are expected
   to do.  The process part is the set of executables run.  */
#ifndef VIGIL_MODEL_H
#define VIGIL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "policy/identity.h"

enum model_mode
{
  MODEL_LEARNING = 0, /* observed behaviour is added to the model */
  MODEL_ACTIVE,       /* behaviour outside the model is denied and alerted */
};

struct model_entry
{
  char *path;         /* executable, canonical path inside the container */
  char *source;       /* "learned" today; "static" and "rule" later */
  int64_t first_seen; /* unix time, seconds */
};

struct model
{
  char *key;
  char *image;
  char *image_name;   /* NULL when unknown */
  char *namespace;    /* NULL outside Kubernetes */
  char *key_source;   /* where the image identity came from */
  enum model_mode mode;
  uint64_t observed_ms; /* cumulative running time of its containers */
  int64_t created;
  int64_t activated;  /* 0 while never active */

  struct model_entry *execs; /* sorted by path */
  size_t n_execs;
  size_t cap_execs;

  bool dirty;         /* changed since it was last saved */
};

int model_new (const struct model_identity *id, int64_t now, struct model **out, vigil_error_t *err);
void model_free (struct model *m);

const char *model_mode_name (enum model_mode mode);

bool model_has_exec (const struct model *m, const char *path);

/* Add path (a copy) unless present.  Returns 1 when added, 0 when it was
   already there, -1 on allocation failure.  */
int model_add_exec (struct model *m, const char *path, const char *source, int64_t now);

int model_to_json (const struct model *m, char **out, vigil_error_t *err);
int model_from_json (const char *text, size_t len, struct model **out, vigil_error_t *err);

#endif
