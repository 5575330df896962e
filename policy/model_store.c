#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "common/log.h"
#include "model_store.h"

#define MODEL_FILE_MAX (64u << 20)

char *
model_store_path (const char *state_dir, const char *key)
{
  char hash[17];
  char *path = NULL;

  vigil_hash_hex (key, hash);
  if (asprintf (&path, "%s/models/%s.json", state_dir, hash) < 0)
    return NULL;
  return path;
}

int
model_store_init (const char *state_dir, vigil_error_t *err)
{
  cleanup_free char *dir = NULL;

  if (asprintf (&dir, "%s/models", state_dir) < 0)
    return vigil_error_set (err, ENOMEM, "model directory");
  return mkdir_parents (dir, 0700, err);
}

int
model_store_save (const char *state_dir, struct model *m, vigil_error_t *err)
{
  cleanup_free char *path = model_store_path (state_dir, m->key);
  cleanup_free char *text = NULL;

  if (path == NULL)
    return vigil_error_set (err, ENOMEM, "save model `%s`", m->key);
  if (model_to_json (m, &text, err) < 0)
    return vigil_error_wrap (err, "save model `%s`", m->key);
  if (write_file_atomic (path, text, strlen (text), 0600, true, err) < 0)
    return vigil_error_wrap (err, "save model `%s`", m->key);
  m->dirty = false;
  return 0;
}

static void
quarantine (const char *path, const char *reason)
{
  cleanup_free char *moved = NULL;

  if (asprintf (&moved, "%s.corrupt", path) < 0)
    moved = NULL;
  if (moved != NULL && rename (path, moved) == 0)
    log_error ("model file `%s` is invalid (%s); moved to `%s`", path, reason, moved);
  else
    log_error ("model file `%s` is invalid (%s); skipped", path, reason);
}

int
model_store_load_all (const char *state_dir, struct model ***models, size_t *n,
                      void (*on_corrupt) (void *data, const char *path, const char *reason), void *data,
                      vigil_error_t *err)
{
  cleanup_free char *dirpath = NULL;
  cleanup_dir DIR *dir = NULL;
  struct model **list = NULL;
  size_t count = 0;
  struct dirent *de;

  *models = NULL;
  *n = 0;
  if (asprintf (&dirpath, "%s/models", state_dir) < 0)
    return vigil_error_set (err, ENOMEM, "load models");
  dir = opendir (dirpath);
  if (dir == NULL)
    return errno == ENOENT ? 0 : vigil_error_set (err, errno, "open `%s`", dirpath);

  while ((de = readdir (dir)) != NULL)
    {
      cleanup_free char *path = NULL;
      cleanup_free char *text = NULL;
      cleanup_error vigil_error_t load_err = NULL;
      struct model *m = NULL, **bigger;
      size_t len = strlen (de->d_name);

      if (len < 6 || strcmp (de->d_name + len - 5, ".json") != 0)
        continue;
      if (asprintf (&path, "%s/%s", dirpath, de->d_name) < 0)
        break;
      if (read_file (path, MODEL_FILE_MAX, &text, &len, &load_err) < 0
          || model_from_json (text, len, &m, &load_err) < 0)
        {
          quarantine (path, load_err->msg);
          if (on_corrupt != NULL)
            on_corrupt (data, path, load_err->msg);
          continue;
        }
      bigger = realloc (list, (count + 1) * sizeof (*list));
      if (bigger == NULL)
        {
          model_free (m);
          break;
        }
      list = bigger;
      list[count++] = m;
    }
  *models = list;
  *n = count;
  return 0;
}
