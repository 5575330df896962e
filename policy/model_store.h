/* Models on disk: one JSON file per model in STATE_DIR/models, named by a
   hash of the model key and replaced atomically on every save.  */
#ifndef VIGIL_MODEL_STORE_H
#define VIGIL_MODEL_STORE_H

#include <stddef.h>

#include "common/error.h"
#include "policy/model.h"

/* Create STATE_DIR/models (mode 0700) when missing.  */
int model_store_init (const char *state_dir, vigil_error_t *err);

int model_store_save (const char *state_dir, struct model *m, vigil_error_t *err);

/* Load every model.  A file that does not parse is renamed to
   NAME.corrupt, reported through the log and on_corrupt (may be NULL),
   and skipped, so that one bad file never stops the agent.  *models is a
   malloc'd array.  */
int model_store_load_all (const char *state_dir, struct model ***models, size_t *n,
                          void (*on_corrupt) (void *data, const char *path, const char *reason),
                          void *data, vigil_error_t *err);

/* Path of the file for key; the caller frees it.  */
char *model_store_path (const char *state_dir, const char *key);

#endif
