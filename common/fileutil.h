/* Reading and replacing whole files.  */
#ifndef VIGIL_FILEUTIL_H
#define VIGIL_FILEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Read the file at path, at most max_size bytes, into a NUL-terminated
   buffer.  A larger file is an error (EFBIG), not a truncated read.  */
int read_file (const char *path, size_t max_size, char **out, size_t *out_len, vigil_error_t *err);

/* Replace path with data: write a temporary file in the same directory
   and rename it over path, so that a reader sees either the old or the
   new content.  With durable set, the file and the directory are also
   fsynced, so that the same is true after a crash.  */
int write_file_atomic (const char *path, const char *data, size_t len, mode_t mode, bool durable,
                       vigil_error_t *err);

/* Create path and its missing parents with mode.  */
int mkdir_parents (const char *path, mode_t mode, vigil_error_t *err);

#endif
