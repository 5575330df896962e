#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "cleanup.h"
#include "json.h"

/* yajl_tree_free() releases every node, key and string with free(), so the
   nodes built here are plain malloc() allocations laid out as yajl's own.  */

int
json_parse (const char *text, size_t len, json_t *out, vigil_error_t *err)
{
  cleanup_free char *copy = NULL;
  char errbuf[256] = "";

  copy = malloc (len + 1);
  if (copy == NULL)
    return vigil_error_set (err, errno, "allocate JSON buffer");
  memcpy (copy, text, len);
  copy[len] = '\0';
  if (strlen (copy) != len)
    return vigil_error_set (err, 0, "invalid JSON: NUL byte at offset %zu", strlen (copy));

  *out = yajl_tree_parse (copy, errbuf, sizeof (errbuf));
  if (*out == NULL)
    {
      /* yajl's message spans several lines; the first one names the error.  */
      char *nl = strchr (errbuf, '\n');
      if (nl != NULL)
        *nl = '\0';
      return vigil_error_set (err, 0, "invalid JSON: %s", errbuf[0] ? errbuf : "parse error");
    }
  return 0;
}

/* The offset of the first error in text, found by a second parse with
   yajl's stream parser: the tree parser does not report where it failed.  */
static size_t
error_offset (const char *text, size_t len)
{
  yajl_handle h = yajl_alloc (NULL, NULL, NULL);
  size_t offset = len;

  if (h == NULL)
    return len;
  /* The count includes the byte that was rejected.  */
  if (yajl_parse (h, (const unsigned char *) text, len) != yajl_status_ok)
    offset = yajl_get_bytes_consumed (h) > 0 ? yajl_get_bytes_consumed (h) - 1 : 0;
  else if (yajl_complete_parse (h) != yajl_status_ok)
    offset = len;
  yajl_free (h);
  return offset;
}

int
json_parse_file_text (const char *path, const char *text, size_t len, json_t *out, vigil_error_t *err)
{
  unsigned line = 1, column = 1;
  size_t offset, i;

  if (json_parse (text, len, out, err) == 0)
    return 0;
  offset = error_offset (text, len);
  for (i = 0; i < offset && i < len; i++)
    if (text[i] == '\n')
      line++, column = 1;
    else
      column++;
  return vigil_error_wrap (err, "%s:%u:%u", path, line, column);
}

static yajl_gen_status
generate_value (yajl_gen g, json_t v)
{
  yajl_gen_status st = yajl_gen_status_ok;
  size_t i;

  switch (v->type)
    {
    case yajl_t_string:
      return yajl_gen_string (g, (const unsigned char *) v->u.string, strlen (v->u.string));
    case yajl_t_number:
      return yajl_gen_number (g, v->u.number.r, strlen (v->u.number.r));
    case yajl_t_true:
      return yajl_gen_bool (g, 1);
    case yajl_t_false:
      return yajl_gen_bool (g, 0);
    case yajl_t_null:
      return yajl_gen_null (g);
    case yajl_t_object:
      st = yajl_gen_map_open (g);
      for (i = 0; st == yajl_gen_status_ok && i < v->u.object.len; i++)
        {
          const char *k = v->u.object.keys[i];
          st = yajl_gen_string (g, (const unsigned char *) k, strlen (k));
          if (st == yajl_gen_status_ok)
            st = generate_value (g, v->u.object.values[i]);
        }
      return st == yajl_gen_status_ok ? yajl_gen_map_close (g) : st;
    case yajl_t_array:
      st = yajl_gen_array_open (g);
      for (i = 0; st == yajl_gen_status_ok && i < v->u.array.len; i++)
        st = generate_value (g, v->u.array.values[i]);
      return st == yajl_gen_status_ok ? yajl_gen_array_close (g) : st;
    default:
      return yajl_gen_invalid_string;
    }
}

int
json_generate (json_t v, bool pretty, char **out, size_t *out_len, vigil_error_t *err)
{
  yajl_gen g;
  const unsigned char *buf;
  size_t len;
  yajl_gen_status st;

  g = yajl_gen_alloc (NULL);
  if (g == NULL)
    return vigil_error_set (err, ENOMEM, "allocate JSON generator");
  yajl_gen_config (g, yajl_gen_beautify, pretty ? 1 : 0);
  yajl_gen_config (g, yajl_gen_indent_string, "  ");
  yajl_gen_config (g, yajl_gen_validate_utf8, 1);

  st = generate_value (g, v);
  if (st != yajl_gen_status_ok)
    {
      yajl_gen_free (g);
      return vigil_error_set (err, 0, "generate JSON: yajl status %d", (int) st);
    }
  yajl_gen_get_buf (g, &buf, &len);
  *out = malloc (len + 1);
  if (*out == NULL)
    {
      yajl_gen_free (g);
      return vigil_error_set (err, ENOMEM, "allocate JSON output");
    }
  memcpy (*out, buf, len);
  (*out)[len] = '\0';
  if (out_len != NULL)
    *out_len = len;
  yajl_gen_free (g);
  return 0;
}

json_t
json_get (json_t obj, const char *key)
{
  size_t i;

  if (obj == NULL || obj->type != yajl_t_object)
    return NULL;
  for (i = 0; i < obj->u.object.len; i++)
    if (strcmp (obj->u.object.keys[i], key) == 0)
      return obj->u.object.values[i];
  return NULL;
}

const char *
json_get_string (json_t obj, const char *key)
{
  json_t v = json_get (obj, key);
  return (v != NULL && v->type == yajl_t_string) ? v->u.string : NULL;
}

uint64_t
json_get_uint (json_t obj, const char *key, uint64_t def)
{
  json_t v = json_get (obj, key);
  char *end;
  unsigned long long n;

  if (v == NULL || v->type != yajl_t_number || v->u.number.r[0] == '-')
    return def;
  errno = 0;
  n = strtoull (v->u.number.r, &end, 10);
  if (errno != 0 || *end != '\0')
    return def;
  return n;
}

static json_t
new_node (yajl_type type)
{
  json_t v = calloc (1, sizeof (*v));
  if (v != NULL)
    v->type = type;
  return v;
}

json_t
json_new_string (const char *s)
{
  json_t v = new_node (yajl_t_string);
  if (v == NULL)
    return NULL;
  v->u.string = strdup (s);
  if (v->u.string == NULL)
    {
      free (v);
      return NULL;
    }
  return v;
}

json_t
json_new_object (void)
{
  return new_node (yajl_t_object);
}

json_t
json_new_array (void)
{
  return new_node (yajl_t_array);
}

json_t
json_new_bool (bool b)
{
  return new_node (b ? yajl_t_true : yajl_t_false);
}

json_t
json_new_null (void)
{
  return new_node (yajl_t_null);
}

json_t
json_new_uint (uint64_t n)
{
  json_t v = new_node (yajl_t_number);
  if (v == NULL)
    return NULL;
  if (asprintf (&v->u.number.r, "%" PRIu64, n) < 0)
    {
      free (v);
      return NULL;
    }
  v->u.number.i = (long long) n;
  v->u.number.d = (double) n;
  v->u.number.flags = YAJL_NUMBER_INT_VALID | YAJL_NUMBER_DOUBLE_VALID;
  return v;
}

json_t
json_copy (json_t v)
{
  json_t c;
  size_t i;

  if (v == NULL)
    return NULL;
  switch (v->type)
    {
    case yajl_t_string:
      return json_new_string (v->u.string);
    case yajl_t_number:
      c = new_node (yajl_t_number);
      if (c == NULL)
        return NULL;
      c->u.number = v->u.number;
      c->u.number.r = strdup (v->u.number.r);
      if (c->u.number.r == NULL)
        {
          free (c);
          return NULL;
        }
      return c;
    case yajl_t_object:
      c = json_new_object ();
      for (i = 0; c != NULL && i < v->u.object.len; i++)
        if (json_object_set (c, v->u.object.keys[i], json_copy (v->u.object.values[i])) < 0)
          {
            yajl_tree_free (c);
            return NULL;
          }
      return c;
    case yajl_t_array:
      c = json_new_array ();
      for (i = 0; c != NULL && i < v->u.array.len; i++)
        if (json_array_append (c, json_copy (v->u.array.values[i])) < 0)
          {
            yajl_tree_free (c);
            return NULL;
          }
      return c;
    default:
      return new_node (v->type);
    }
}

int
json_object_set (json_t obj, const char *key, json_t value)
{
  size_t i, n;
  const char **keys;
  json_t *values;
  char *key_copy;

  if (value == NULL)
    {
      errno = ENOMEM;
      return -1;
    }
  for (i = 0; i < obj->u.object.len; i++)
    if (strcmp (obj->u.object.keys[i], key) == 0)
      {
        yajl_tree_free (obj->u.object.values[i]);
        obj->u.object.values[i] = value;
        return 0;
      }

  n = obj->u.object.len + 1;
  key_copy = strdup (key);
  keys = realloc (obj->u.object.keys, n * sizeof (*keys));
  if (keys != NULL)
    obj->u.object.keys = keys;
  values = realloc (obj->u.object.values, n * sizeof (*values));
  if (values != NULL)
    obj->u.object.values = values;
  if (key_copy == NULL || keys == NULL || values == NULL)
    {
      free (key_copy);
      yajl_tree_free (value);
      errno = ENOMEM;
      return -1;
    }
  keys[n - 1] = key_copy;
  values[n - 1] = value;
  obj->u.object.len = n;
  return 0;
}

int
json_array_append (json_t arr, json_t value)
{
  json_t *values;

  if (value == NULL)
    {
      errno = ENOMEM;
      return -1;
    }
  values = realloc (arr->u.array.values, (arr->u.array.len + 1) * sizeof (*values));
  if (values == NULL)
    {
      yajl_tree_free (value);
      errno = ENOMEM;
      return -1;
    }
  values[arr->u.array.len++] = value;
  arr->u.array.values = values;
  return 0;
}

bool
json_object_remove (json_t obj, const char *key)
{
  size_t i, rest;

  if (obj == NULL || obj->type != yajl_t_object)
    return false;
  for (i = 0; i < obj->u.object.len; i++)
    if (strcmp (obj->u.object.keys[i], key) == 0)
      {
        free ((char *) obj->u.object.keys[i]);
        yajl_tree_free (obj->u.object.values[i]);
        rest = obj->u.object.len - i - 1;
        memmove (&obj->u.object.keys[i], &obj->u.object.keys[i + 1], rest * sizeof (char *));
        memmove (&obj->u.object.values[i], &obj->u.object.values[i + 1], rest * sizeof (json_t));
        obj->u.object.len--;
        return true;
      }
  return false;
}

void
json_array_remove (json_t arr, size_t index)
{
  size_t rest;

  if (index >= arr->u.array.len)
    return;
  yajl_tree_free (arr->u.array.values[index]);
  rest = arr->u.array.len - index - 1;
  memmove (&arr->u.array.values[index], &arr->u.array.values[index + 1], rest * sizeof (json_t));
  arr->u.array.len--;
}
