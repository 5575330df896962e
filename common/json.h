/* The only module that calls yajl.  Documents are parsed into yajl trees,
   edited in place with the helpers below and written back with every
   number kept in its original spelling.  */
#ifndef VIGIL_JSON_H
#define VIGIL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_tree.h>

#include "error.h"

typedef yajl_val json_t;

static inline void
cleanup_jsonp (json_t *v)
{
  if (*v != NULL)
    yajl_tree_free (*v);
}
#define cleanup_json __attribute__ ((cleanup (cleanup_jsonp)))

/* Parse text of length len (which need not be NUL terminated).  */
int json_parse (const char *text, size_t len, json_t *out, vigil_error_t *err);

/* json_parse for the contents of file path: a syntax error is reported as
   "PATH:LINE:COLUMN: invalid JSON: ...".  */
int json_parse_file_text (const char *path, const char *text, size_t len, json_t *out, vigil_error_t *err);

/* Serialize v.  With pretty set, the output is indented.  */
int json_generate (json_t v, bool pretty, char **out, size_t *out_len, vigil_error_t *err);

/* Lookup: the member called key of object obj, or NULL when obj is not an
   object or has no such member.  */
json_t json_get (json_t obj, const char *key);
/* The string value of member key, or NULL when absent or not a string.  */
const char *json_get_string (json_t obj, const char *key);
/* The value of member key as uint64, or def when absent or not an
   unsigned integer.  */
uint64_t json_get_uint (json_t obj, const char *key, uint64_t def);

/* Constructors.  They return NULL when memory runs out.  */
json_t json_new_string (const char *s);
json_t json_new_object (void);
json_t json_new_array (void);
json_t json_new_uint (uint64_t n);
json_t json_new_bool (bool b);
json_t json_new_null (void);
json_t json_copy (json_t v);

/* Mutators.  They take ownership of value, also on failure, and return -1
   with errno set to ENOMEM when memory runs out.  */
int json_object_set (json_t obj, const char *key, json_t value);
int json_array_append (json_t arr, json_t value);
/* Remove and free member key; returns whether it was present.  */
bool json_object_remove (json_t obj, const char *key);
/* Remove and free element index of arr.  */
void json_array_remove (json_t arr, size_t index);

#endif
