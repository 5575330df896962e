/* Shared includes and helpers of the cmocka unit tests.  */
#ifndef VIGIL_TEST_UNIT_H
#define VIGIL_TEST_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Create a fresh temporary directory; the caller removes it with
   remove_tree.  */
static inline char *
make_temp_dir (void)
{
  char tmpl[] = "/tmp/vigil-test-XXXXXX";
  char *dir = mkdtemp (tmpl);

  assert_non_null (dir);
  return strdup (dir);
}

static inline void
remove_tree (const char *dir)
{
  char *cmd = NULL;

  assert_true (asprintf (&cmd, "rm -rf '%s'", dir) > 0);
  assert_int_equal (system (cmd), 0);
  free (cmd);
}

static inline void
write_text (const char *path, const char *text)
{
  FILE *f = fopen (path, "w");

  assert_non_null (f);
  assert_int_equal (fputs (text, f) >= 0, 1);
  assert_int_equal (fclose (f), 0);
}

#endif
