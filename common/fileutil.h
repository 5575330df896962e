/* Reading and replacing whole files.  */
#ifndef VIGIL_FILEUTIL_H
#define VIGIL_FILEUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Read the file at path, at most max_size bytes, into a NUL-terminated
   buffer.  A larger file is an error (EFBIG), not a truncated read.  */
int read_file (const char *path, size_t max_size, char **out, size_t *out_len, vigil_error_t *err);

/* Replace path with data: write a temporary file in the same directory,
   fsync it, rename it over path and fsync the directory, so that a reader, or the file system after
   a crash, has either the old or the new content.  */
int write_file_atomic (const char *path, const char *data, size_t len, mode_t mode,
                       vigil_error_t *err);

/* Create path and its missing parents with mode.  */
int mkdir_parents (const char *path, mode_t mode, vigil_error_t *err);

#endif
