#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "policy/capabilities.h"
#include "policy/rules.h"

#define RULES_FILE_MAX (16u << 20)

static const char *const effect_names[EFFECT_COUNT] = { "disable", "alert", "prevent", "block" };
static const char *const section_keys[RULE_SENSORS] = { "processes", "network", "files" };

const char *
rule_effect_name (enum rule_effect e)
{
  return (unsigned) e < EFFECT_COUNT ? effect_names[e] : "?";
}

int
rule_effect_from_name (const char *name)
{
  int i;

  for (i = 0; i < EFFECT_COUNT; i++)
    if (strcmp (name, effect_names[i]) == 0)
      return i;
  return -1;
}

const char *
rule_sensor_name (enum rule_sensor s)
{
  return (unsigned) s < RULE_SENSORS ? section_keys[s] : "?";
}

/* ---------------------------------------------------------------------
   Freeing.  */

static void
free_strings (char **v, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    free (v[i]);
  free (v);
}

static void
free_nets (struct rule_net *v, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    free (v[i].path);
  free (v);
}

static void
rule_fini (struct rule *r)
{
  size_t i;

  free (r->name);
  free (r->file);
  free_strings (r->images.v, r->images.n);
  free_strings (r->clusters.v, r->clusters.n);
  free_strings (r->namespaces.v, r->namespaces.n);
  free_strings (r->containers.v, r->containers.n);
  for (i = 0; i < r->n_annotations; i++)
    {
      free (r->annotations[i].key);
      free (r->annotations[i].pattern);
    }
  free (r->annotations);
  for (i = 0; i < RULE_SENSORS; i++)
    {
      struct rule_section *s = &r->sections[i];
      free_strings (s->allowed, s->n_allowed);
      free_strings (s->blocked, s->n_blocked);
      free_nets (s->net_allowed, s->n_net_allowed);
      free_nets (s->net_blocked, s->n_net_blocked);
    }
  memset (r, 0, sizeof (*r));
}

void
rules_free (struct rule_set *set)
{
  size_t i;

  if (set == NULL)
    return;
  for (i = 0; i < set->n; i++)
    rule_fini (&set->rules[i]);
  free (set->rules);
  free (set->path);
  free (set);
}

/* ---------------------------------------------------------------------
   Parsing.  Every error names the file and the JSON path of the value.  */

struct parser
{
  const char *file;
  vigil_error_t *err;
};

static int fail (struct parser *p, const char *where, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

static int
fail (struct parser *p, const char *where, const char *fmt, ...)
{
  char msg[512];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof (msg), fmt, ap);
  va_end (ap);
  return vigil_error_set (p->err, 0, "%s: %s: %s", p->file, where, msg);
}

/* The JSON path of a value, cut short when it is too long for the
   message.  */
static void json_path (char *out, size_t size, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

static void
json_path (char *out, size_t size, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (out, size, fmt, ap);
  va_end (ap);
}

static const char *
type_name (json_t v)
{
  if (YAJL_IS_OBJECT (v))
    return "an object";
  if (YAJL_IS_ARRAY (v))
    return "an array";
  if (YAJL_IS_STRING (v))
    return "a string";
  if (YAJL_IS_NUMBER (v))
    return "a number";
  if (YAJL_IS_TRUE (v) || YAJL_IS_FALSE (v))
    return "a boolean";
  return "null";
}

/* Reject members of obj not in keys (NULL terminated): a misspelt key
   would otherwise be a rule that silently does less than it reads.  */
static int
known_keys (struct parser *p, const char *where, json_t obj, const char *const *keys, const char *expected)
{
  size_t i, k;

  for (i = 0; i < obj->u.object.len; i++)
    {
      const char *key = obj->u.object.keys[i];
      bool known = false;

      for (k = 0; keys[k] != NULL && !known; k++)
        known = strcmp (key, keys[k]) == 0;
      if (!known)
        return fail (p, where, "unknown key `%s` (expected %s)", key, expected);
      for (k = 0; k < i; k++)
        if (strcmp (key, obj->u.object.keys[k]) == 0)
          return fail (p, where, "key `%s` appears twice", key);
    }
  return 0;
}

static int
want_object (struct parser *p, const char *where, json_t v)
{
  if (!YAJL_IS_OBJECT (v))
    return fail (p, where, "expected an object, found %s", type_name (v));
  return 0;
}

/* An array of non-empty strings into *out.  */
static int
parse_strings (struct parser *p, const char *where, json_t v, char ***out, size_t *n)
{
  char path[256];
  size_t i;

  if (!YAJL_IS_ARRAY (v))
    return fail (p, where, "expected an array of strings, found %s", type_name (v));
  *out = calloc (v->u.array.len + 1, sizeof (char *));
  if (*out == NULL)
    return vigil_error_set (p->err, ENOMEM, "%s: %s", p->file, where);
  for (i = 0; i < v->u.array.len; i++)
    {
      json_t s = v->u.array.values[i];

      json_path (path, sizeof (path), "%s[%zu]", where, i);
      if (!YAJL_IS_STRING (s))
        return fail (p, path, "expected a string, found %s", type_name (s));
      if (s->u.string[0] == '\0')
        return fail (p, path, "empty string");
      (*out)[i] = strdup (s->u.string);
      if ((*out)[i] == NULL)
        return vigil_error_set (p->err, ENOMEM, "%s: %s", p->file, path);
      (*n)++;
    }
  return 0;
}

static int
parse_patterns (struct parser *p, const char *where, json_t v, struct rule_patterns *out)
{
  out->present = true;
  return parse_strings (p, where, v, &out->v, &out->n);
}

static int
parse_scope (struct parser *p, const char *where, json_t scope, struct rule *r)
{
  static const char *const keys[] = { "images", "clusters", "namespaces", "containers", "annotations", NULL };
  char path[256];
  json_t v;
  size_t i;

  if (want_object (p, where, scope) < 0
      || known_keys (p, where, scope, keys, "images, clusters, namespaces, containers or annotations") < 0)
    return -1;
#define PATTERNS(key, field)                                                                                  \
  if ((v = json_get (scope, key)) != NULL)                                                                  \
    {                                                                                                       \
      json_path (path, sizeof (path), "%s.%s", where, key);                                                  \
      if (parse_patterns (p, path, v, &r->field) < 0)                                                       \
        return -1;                                                                                          \
    }
  PATTERNS ("images", images);
  PATTERNS ("clusters", clusters);
  PATTERNS ("namespaces", namespaces);
  PATTERNS ("containers", containers);
#undef PATTERNS
  v = json_get (scope, "annotations");
  if (v == NULL)
    return 0;
  json_path (path, sizeof (path), "%s.annotations", where);
  if (want_object (p, path, v) < 0)
    return -1;
  r->annotations = calloc (v->u.object.len + 1, sizeof (*r->annotations));
  if (r->annotations == NULL)
    return vigil_error_set (p->err, ENOMEM, "%s: %s", p->file, path);
  for (i = 0; i < v->u.object.len; i++)
    {
      json_t value = v->u.object.values[i];

      json_path (path, sizeof (path), "%s.annotations.%s", where, v->u.object.keys[i]);
      if (!YAJL_IS_STRING (value))
        return fail (p, path, "expected a string (a value, wildcards allowed), found %s", type_name (value));
      r->annotations[i].key = strdup (v->u.object.keys[i]);
      r->annotations[i].pattern = strdup (value->u.string);
      r->n_annotations++;
      if (r->annotations[i].key == NULL || r->annotations[i].pattern == NULL)
        return vigil_error_set (p->err, ENOMEM, "%s: %s", p->file, path);
    }
  return 0;
}

static int
parse_effect (struct parser *p, const char *where, json_t v, enum rule_effect *out)
{
  int e;

  if (!YAJL_IS_STRING (v))
    return fail (p, where, "expected a string, found %s", type_name (v));
  e = rule_effect_from_name (v->u.string);
  if (e < 0)
    return fail (p, where, "unknown effect `%s` (expected disable, alert, prevent or block)", v->u.string);
  *out = (enum rule_effect) e;
  return 0;
}

/* "443" or "8000-8100" (a string), or 443 (a number).  */
static int
parse_port (struct parser *p, const char *where, json_t v, struct rule_net *n)
{
  unsigned long lo, hi;
  char *end;

  if (YAJL_IS_INTEGER (v))
    {
      if (YAJL_GET_INTEGER (v) < 0 || YAJL_GET_INTEGER (v) > 65535)
        return fail (p, where, "port %lld is out of range (0-65535)", (long long) YAJL_GET_INTEGER (v));
      n->port_lo = n->port_hi = (unsigned) YAJL_GET_INTEGER (v);
      return 0;
    }
  if (!YAJL_IS_STRING (v))
    return fail (p, where, "expected a port number or a range \"LOW-HIGH\", found %s", type_name (v));
  errno = 0;
  lo = strtoul (v->u.string, &end, 10);
  hi = lo;
  if (end != v->u.string && *end == '-')
    {
      const char *second = end + 1;
      hi = strtoul (second, &end, 10);
      if (end == second)
        end = (char *) "x";
    }
  if (end == v->u.string || *end != '\0' || errno != 0 || !(v->u.string[0] >= '0' && v->u.string[0] <= '9'))
    return fail (p, where, "`%s` is not a port or a range \"LOW-HIGH\"", v->u.string);
  if (hi > 65535)
    return fail (p, where, "`%s` is not a range within 0-65535", v->u.string);
  if (lo > hi)
    return fail (p, where, "`%s` starts above its end (write \"LOW-HIGH\")", v->u.string);
  n->port_lo = (unsigned) lo;
  n->port_hi = (unsigned) hi;
  return 0;
}

static int
parse_net_entry (struct parser *p, const char *where, json_t v, struct rule_net *n)
{
  static const char *const keys[] = { "direction", "protocol", "port", "address", NULL };
  char path[256];
  json_t f;

  memset (n, 0, sizeof (*n));
  n->direction = -1;
  n->port_hi = 65535;
  if (want_object (p, where, v) < 0 || known_keys (p, where, v, keys, "direction, protocol, port or address") < 0)
    return -1;
  if (v->u.object.len == 0)
    return fail (p, where, "an entry needs at least one of direction, protocol, port or address");
  if ((f = json_get (v, "direction")) != NULL)
    {
      json_path (path, sizeof (path), "%s.direction", where);
      if (!YAJL_IS_STRING (f))
        return fail (p, path, "expected a string, found %s", type_name (f));
      if (strcmp (f->u.string, "listen") == 0)
        n->direction = MODEL_NET_LISTEN;
      else if (strcmp (f->u.string, "connect") == 0)
        n->direction = MODEL_NET_CONNECT;
      else if (strcmp (f->u.string, "socket") == 0)
        n->direction = MODEL_NET_SOCKET;
      else if (strcmp (f->u.string, "any") != 0)
        return fail (p, path, "unknown direction `%s` (expected listen, connect, socket or any)", f->u.string);
    }
  if ((f = json_get (v, "protocol")) != NULL)
    {
      json_path (path, sizeof (path), "%s.protocol", where);
      if (!YAJL_IS_STRING (f))
        return fail (p, path, "expected a string, found %s", type_name (f));
      /* An unknown name would never match, and the entry would quietly
         do nothing.  */
      static const char *const protocols[] = { "tcp", "udp", "unix", "any", "inet", "inet6", "packet", NULL };
      size_t k;

      for (k = 0; protocols[k] != NULL && strcmp (f->u.string, protocols[k]) != 0; k++)
        ;
      if (protocols[k] == NULL)
        return fail (p, path,
                     "unknown protocol `%s` (expected tcp, udp, unix, any, or inet, inet6 or packet for raw "
                     "and packet sockets, the only ones Vigil watches)",
                     f->u.string);
      if (strcmp (f->u.string, "any") != 0)
        snprintf (n->protocol, sizeof (n->protocol), "%s", f->u.string);
    }
  if ((f = json_get (v, "port")) != NULL)
    {
      json_path (path, sizeof (path), "%s.port", where);
      if (parse_port (p, path, f, n) < 0)
        return -1;
    }
  if (strcmp (n->protocol, "unix") == 0 && json_get (v, "port") != NULL)
    return fail (p, where, "a unix socket has no port");
  if ((f = json_get (v, "address")) != NULL)
    {
      char word[128];

      json_path (path, sizeof (path), "%s.address", where);
      if (!YAJL_IS_STRING (f))
        return fail (p, path, "expected a string, found %s", type_name (f));
      n->has_address = true;
      if (f->u.string[0] == '/' || f->u.string[0] == '@')
        {
          n->path = strdup (f->u.string);
          if (n->path == NULL)
            return vigil_error_set (p->err, ENOMEM, "%s: %s", p->file, path);
        }
      else if (strcmp (n->protocol, "unix") == 0)
        return fail (p, path, "`%s` is not a unix socket path (/...) or abstract name (@...)", f->u.string);
      else if (strlen (f->u.string) >= sizeof (word)
               || (snprintf (word, sizeof (word), "%s", f->u.string), feed_entry_parse (word, &n->cidr) < 0))
        return fail (p, path,
                     "`%s` is not an IPv4 or IPv6 address or CIDR, nor a unix socket path (/...) or "
                     "abstract name (@...)",
                     f->u.string);
    }
  return 0;
}

static int
parse_nets (struct parser *p, const char *where, json_t v, struct rule_net **out, size_t *n, bool *paths)
{
  char path[256];
  size_t i;

  if (!YAJL_IS_ARRAY (v))
    return fail (p, where, "expected an array of objects, found %s", type_name (v));
  *out = calloc (v->u.array.len + 1, sizeof (**out));
  if (*out == NULL)
    return vigil_error_set (p->err, ENOMEM, "%s: %s", p->file, where);
  for (i = 0; i < v->u.array.len; i++)
    {
      json_path (path, sizeof (path), "%s[%zu]", where, i);
      if (parse_net_entry (p, path, v->u.array.values[i], &(*out)[i]) < 0)
        {
          free ((*out)[i].path);
          return -1;
        }
      if ((*out)[i].path != NULL && (*out)[i].path[0] == '/')
        *paths = true;
      (*n)++;
    }
  return 0;
}

/* File entries are path prefixes; a process entry without a '/' is a
   name, with one it must be a whole absolute path.  */
static int
check_paths (struct parser *p, const char *where, char **v, size_t n, enum rule_sensor s)
{
  char path[256];
  size_t i, len;

  for (i = 0; i < n; i++)
    {
      json_path (path, sizeof (path), "%s[%zu]", where, i);
      if (s == RULE_FILES && v[i][0] != '/')
        return fail (p, path, "`%s` is not an absolute path prefix", v[i]);
      /* "/etc/passwd/" covers /etc/passwd as "/etc/passwd" does.  */
      for (len = strlen (v[i]); s == RULE_FILES && len > 1 && v[i][len - 1] == '/'; len--)
        v[i][len - 1] = '\0';
      if (s == RULE_PROCESSES && strchr (v[i], '/') != NULL && v[i][0] != '/')
        return fail (p, path, "`%s` has a '/' but is not an absolute path (a name has no '/')", v[i]);
    }
  return 0;
}

static int
parse_section (struct parser *p, const char *where, json_t v, enum rule_sensor s, struct rule_section *out)
{
  static const char *const keys[] = { "effect", "allowed", "blocked", NULL };
  char path[256];
  json_t f;

  if (want_object (p, where, v) < 0 || known_keys (p, where, v, keys, "effect, allowed or blocked") < 0)
    return -1;
  if ((f = json_get (v, "effect")) != NULL)
    {
      json_path (path, sizeof (path), "%s.effect", where);
      if (parse_effect (p, path, f, &out->effect) < 0)
        return -1;
      out->has_effect = true;
    }
  if ((f = json_get (v, "allowed")) != NULL)
    {
      json_path (path, sizeof (path), "%s.allowed", where);
      if (s == RULE_NETWORK ? parse_nets (p, path, f, &out->net_allowed, &out->n_net_allowed, &out->net_paths) < 0
                            : (parse_strings (p, path, f, &out->allowed, &out->n_allowed) < 0
                               || check_paths (p, path, out->allowed, out->n_allowed, s) < 0))
        return -1;
    }
  if ((f = json_get (v, "blocked")) != NULL)
    {
      json_path (path, sizeof (path), "%s.blocked", where);
      if (s == RULE_NETWORK ? parse_nets (p, path, f, &out->net_blocked, &out->n_net_blocked, &out->net_paths) < 0
                            : (parse_strings (p, path, f, &out->blocked, &out->n_blocked) < 0
                               || check_paths (p, path, out->blocked, out->n_blocked, s) < 0))
        return -1;
    }
  return 0;
}

static int
parse_capabilities (struct parser *p, const char *where, json_t v, struct rule *r)
{
  static const char *const keys[] = { "add", "remove", NULL };
  static const char *const lists[] = { "add", "remove" };
  char path[256];
  size_t l, i;

  if (want_object (p, where, v) < 0 || known_keys (p, where, v, keys, "add or remove") < 0)
    return -1;
  for (l = 0; l < 2; l++)
    {
      json_t a = json_get (v, lists[l]);
      unsigned *bits = l == 0 ? &r->caps_add : &r->caps_remove;

      if (a == NULL)
        continue;
      json_path (path, sizeof (path), "%s.%s", where, lists[l]);
      if (!YAJL_IS_ARRAY (a))
        return fail (p, path, "expected an array of capability names, found %s", type_name (a));
      for (i = 0; i < a->u.array.len; i++)
        {
          json_t s = a->u.array.values[i];
          unsigned bit;

          json_path (path, sizeof (path), "%s.%s[%zu]", where, lists[l], i);
          if (!YAJL_IS_STRING (s))
            return fail (p, path, "expected a string, found %s", type_name (s));
          bit = capability_from_name (s->u.string);
          if (bit == 0)
            return fail (p, path,
                         "unknown capability `%s` (expected writes-and-executes-binaries, "
                         "runs-arbitrary-children, uses-raw-sockets or package-manager)",
                         s->u.string);
          *bits |= bit;
        }
    }
  if (r->caps_add & r->caps_remove)
    return fail (p, where, "a capability is both added and removed");
  return 0;
}

static int
parse_rule (struct parser *p, const char *where, json_t v, struct rule *r)
{
  static const char *const keys[] = { "name", "scope", "effect", "processes", "network", "files",
                                      "capabilities", NULL };
  char path[256];
  enum rule_effect effect = EFFECT_PREVENT;
  bool has_effect = false;
  json_t f;
  size_t s;

  if (want_object (p, where, v) < 0
      || known_keys (p, where, v, keys, "name, scope, effect, processes, network, files or capabilities") < 0)
    return -1;
  f = json_get (v, "name");
  json_path (path, sizeof (path), "%s.name", where);
  if (f == NULL)
    return fail (p, where, "a rule needs a `name`");
  if (!YAJL_IS_STRING (f) || f->u.string[0] == '\0')
    return fail (p, path, "expected a non-empty string, found %s", YAJL_IS_STRING (f) ? "\"\"" : type_name (f));
  r->name = strdup (f->u.string);
  r->file = strdup (p->file);
  if (r->name == NULL || r->file == NULL)
    return vigil_error_set (p->err, ENOMEM, "%s: %s", p->file, where);
  if ((f = json_get (v, "scope")) != NULL)
    {
      json_path (path, sizeof (path), "%s.scope", where);
      if (parse_scope (p, path, f, r) < 0)
        return -1;
    }
  if ((f = json_get (v, "effect")) != NULL)
    {
      json_path (path, sizeof (path), "%s.effect", where);
      if (parse_effect (p, path, f, &effect) < 0)
        return -1;
      has_effect = true;
    }
  for (s = 0; s < RULE_SENSORS; s++)
    {
      if ((f = json_get (v, section_keys[s])) != NULL)
        {
          json_path (path, sizeof (path), "%s.%s", where, section_keys[s]);
          if (parse_section (p, path, f, (enum rule_sensor) s, &r->sections[s]) < 0)
            return -1;
        }
      /* A section without an effect takes the rule's.  */
      if (!r->sections[s].has_effect && has_effect)
        {
          r->sections[s].has_effect = true;
          r->sections[s].effect = effect;
        }
    }
  if ((f = json_get (v, "capabilities")) != NULL)
    {
      json_path (path, sizeof (path), "%s.capabilities", where);
      if (parse_capabilities (p, path, f, r) < 0)
        return -1;
    }
  return 0;
}

/* The offset of a \u0000 escape in text, or -1.  yajl decodes it into a
   NUL byte that would silently cut the string short.  */
static ssize_t
nul_escape (const char *text, size_t len)
{
  size_t i = 0;

  while (i < len)
    {
      size_t run = 0;

      if (text[i] != '\\')
        {
          i++;
          continue;
        }
      while (i + run < len && text[i + run] == '\\')
        run++;
      /* An odd run ends in an escape of the character after it.  */
      if (run % 2 == 1 && i + run + 5 <= len && memcmp (text + i + run, "u0000", 5) == 0)
        return (ssize_t) (i + run - 1);
      i += run;
    }
  return -1;
}

int
rules_parse (const char *file, const char *text, size_t len, struct rule_set *set, vigil_error_t *err)
{
  static const char *const keys[] = { "version", "rules", NULL };
  struct parser p = { .file = file, .err = err };
  cleanup_json json_t doc = NULL;
  struct rule *grown;
  json_t rules, version;
  size_t i, j, added = 0;
  char path[64];
  ssize_t nul;

  nul = nul_escape (text, len);
  if (nul >= 0)
    {
      unsigned line = 1, column = 1;
      ssize_t k;

      for (k = 0; k < nul; k++)
        if (text[k] == '\n')
          line++, column = 1;
        else
          column++;
      return vigil_error_set (err, 0, "%s:%u:%u: a string contains \\u0000, which no name or path can hold",
                              file, line, column);
    }
  if (json_parse_file_text (file, text, len, &doc, err) < 0)
    return -1;
  if (!YAJL_IS_OBJECT (doc))
    return fail (&p, "(top level)", "expected an object with a `rules` array, found %s", type_name (doc));
  if (known_keys (&p, "(top level)", doc, keys, "version or rules") < 0)
    return -1;
  version = json_get (doc, "version");
  if (version != NULL && !YAJL_IS_INTEGER (version))
    return fail (&p, "version", "expected the number 1, found %s", type_name (version));
  if (version != NULL && YAJL_GET_INTEGER (version) != 1)
    return fail (&p, "version", "unsupported version %lld (this vigild reads version 1)",
                 (long long) YAJL_GET_INTEGER (version));
  rules = json_get (doc, "rules");
  if (rules == NULL)
    return fail (&p, "(top level)", "no `rules` array");
  if (!YAJL_IS_ARRAY (rules))
    return fail (&p, "rules", "expected an array, found %s", type_name (rules));

  grown = realloc (set->rules, (set->n + rules->u.array.len + 1) * sizeof (*grown));
  if (grown == NULL)
    return vigil_error_set (err, ENOMEM, "%s", file);
  set->rules = grown;
  for (i = 0; i < rules->u.array.len; i++)
    {
      struct rule *r = &set->rules[set->n + i];

      memset (r, 0, sizeof (*r));
      r->index = i;
      json_path (path, sizeof (path), "rules[%zu]", i);
      added++;
      if (parse_rule (&p, path, rules->u.array.values[i], r) < 0)
        goto fail;
      for (j = 0; j < set->n + i; j++)
        if (strcmp (set->rules[j].name, r->name) == 0)
          {
            fail (&p, path, "a rule named `%s` is already defined (%s, rules[%zu])", r->name, set->rules[j].file,
                  set->rules[j].index);
            goto fail;
          }
    }
  set->n += rules->u.array.len;
  return 0;

fail:
  for (i = 0; i < added; i++)
    rule_fini (&set->rules[set->n + i]);
  return -1;
}

static int
load_file (const char *path, struct rule_set *set, vigil_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len;

  if (read_file (path, RULES_FILE_MAX, &text, &len, err) < 0 || rules_parse (path, text, len, set, err) < 0)
    return -1;
  set->files++;
  return 0;
}

static int
by_name (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The *.json files of dir, in name order.  */
static int
load_directory (const char *dir, struct rule_set *set, vigil_error_t *err)
{
  cleanup_dir DIR *d = opendir (dir);
  char **names = NULL;
  size_t n = 0, cap = 0, i;
  struct dirent *de;
  int ret = 0;

  if (d == NULL)
    return vigil_error_set (err, errno, "open rules directory `%s`", dir);
  while ((de = readdir (d)) != NULL)
    {
      size_t len = strlen (de->d_name);

      if (de->d_name[0] == '.' || len < 6 || strcmp (de->d_name + len - 5, ".json") != 0)
        continue;
      if (n == cap)
        {
          char **bigger = realloc (names, (cap = cap ? cap * 2 : 16) * sizeof (*names));
          if (bigger == NULL)
            {
              ret = vigil_error_set (err, ENOMEM, "read rules directory `%s`", dir);
              goto out;
            }
          names = bigger;
        }
      if (asprintf (&names[n], "%s/%s", dir, de->d_name) < 0)
        {
          ret = vigil_error_set (err, ENOMEM, "read rules directory `%s`", dir);
          goto out;
        }
      n++;
    }
  if (n > 0)
    qsort (names, n, sizeof (*names), by_name);
  for (i = 0; i < n && ret == 0; i++)
    ret = load_file (names[i], set, err);
out:
  free_strings (names, n);
  return ret;
}

int
rules_load (const char *path, struct rule_set **out, vigil_error_t *err)
{
  struct rule_set *set = calloc (1, sizeof (*set));
  struct stat st;
  int ret;

  if (set == NULL || (set->path = strdup (path)) == NULL)
    {
      rules_free (set);
      return vigil_error_set (err, ENOMEM, "load rules `%s`", path);
    }
  if (stat (path, &st) < 0)
    ret = vigil_error_set (err, errno, "rules `%s`", path);
  else if (S_ISDIR (st.st_mode))
    ret = load_directory (path, set, err);
  else
    ret = load_file (path, set, err);
  if (ret < 0)
    {
      rules_free (set);
      return -1;
    }
  *out = set;
  return 0;
}

/* ---------------------------------------------------------------------
   Matching.  */

static bool
any_matches (const struct rule_patterns *p, const char *value)
{
  size_t i;

  if (!p->present)
    return true;
  for (i = 0; value != NULL && i < p->n; i++)
    if (fnmatch (p->v[i], value, 0) == 0)
      return true;
  return false;
}

static bool
scope_matches (const struct rule *r, const struct rule_target *t)
{
  size_t i;

  if (!(any_matches (&r->images, t->image_name) || (t->image != NULL && any_matches (&r->images, t->image)))
      || !any_matches (&r->clusters, t->cluster) || !any_matches (&r->namespaces, t->namespace)
      || !(any_matches (&r->containers, t->container_name) || any_matches (&r->containers, t->container_id)))
    return false;
  for (i = 0; i < r->n_annotations; i++)
    {
      const char *value = json_get_string (t->annotations, r->annotations[i].key);
      if (value == NULL || fnmatch (r->annotations[i].pattern, value, 0) != 0)
        return false;
    }
  return true;
}

const struct rule *
rules_match (const struct rule_set *set, const struct rule_target *t)
{
  size_t i;

  for (i = 0; set != NULL && i < set->n; i++)
    if (scope_matches (&set->rules[i], t))
      return &set->rules[i];
  return NULL;
}

static const char *
last_component (const char *path)
{
  const char *slash = strrchr (path, '/');
  return slash ? slash + 1 : path;
}

static bool
process_listed (char *const *v, size_t n, const char *path, const char *target)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      bool by_path = v[i][0] == '/';
      const char *a = by_path ? path : last_component (path);
      const char *b = NULL;

      if (target != NULL)
        b = by_path ? target : last_component (target);

      if (fnmatch (v[i], a, 0) == 0 || (b != NULL && fnmatch (v[i], b, 0) == 0))
        return true;
    }
  return false;
}

enum rule_verdict
rule_process_verdict (const struct rule *r, const char *path, const char *target)
{
  const struct rule_section *s;

  if (r == NULL)
    return VERDICT_NONE;
  s = &r->sections[RULE_PROCESSES];
  if (process_listed (s->blocked, s->n_blocked, path, target))
    return VERDICT_BLOCKED;
  /* Allowed entries name the file: a link, which a process can make
     anywhere it writes, must not lend its name to another file.  */
  if (process_listed (s->allowed, s->n_allowed, target != NULL ? target : path, NULL))
    return VERDICT_ALLOWED;
  return VERDICT_NONE;
}

/* Whether prefix covers path: equal, or path goes on below it.  */
static bool
under (const char *prefix, const char *path)
{
  size_t n = strlen (prefix);

  if (strncmp (prefix, path, n) != 0)
    return false;
  return path[n] == '\0' || path[n] == '/' || (n > 0 && prefix[n - 1] == '/');
}

static bool
file_listed (char *const *v, size_t n, const char *path)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (under (v[i], path))
      return true;
  return false;
}

enum rule_verdict
rule_file_verdict (const struct rule *r, const char *path)
{
  const struct rule_section *s;

  if (r == NULL)
    return VERDICT_NONE;
  s = &r->sections[RULE_FILES];
  if (file_listed (s->blocked, s->n_blocked, path))
    return VERDICT_BLOCKED;
  if (file_listed (s->allowed, s->n_allowed, path))
    return VERDICT_ALLOWED;
  return VERDICT_NONE;
}

static bool
net_matches (const struct rule_net *n, const struct model_net *e)
{
  if (n->direction >= 0 && n->direction != (int) e->kind)
    return false;
  if (n->protocol[0] != '\0' && strcmp (n->protocol, e->protocol) != 0)
    return false;
  /* A raw or packet socket has no port: an entry that names ports is
     about listening and connecting.  */
  if (e->kind == MODEL_NET_SOCKET && (n->port_lo != 0 || n->port_hi != 65535))
    return false;
  if (e->kind != MODEL_NET_SOCKET && (e->port < n->port_lo || e->port > n->port_hi))
    return false;
  if (!n->has_address)
    return true;
  if (n->path != NULL)
    return e->address[0] != '\0' && fnmatch (n->path, e->address, 0) == 0;
  {
    uint8_t a[16];
    int family = feed_address_parse (e->address, a);
    return family >= 0 && feed_entry_covers (&n->cidr, family, a);
  }
}

static bool
net_listed (const struct rule_net *v, size_t n, const struct model_net *e)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (net_matches (&v[i], e))
      return true;
  return false;
}

enum rule_verdict
rule_net_verdict (const struct rule *r, const struct model_net *e)
{
  const struct rule_section *s;

  if (r == NULL)
    return VERDICT_NONE;
  s = &r->sections[RULE_NETWORK];
  if (net_listed (s->net_blocked, s->n_net_blocked, e))
    return VERDICT_BLOCKED;
  if (net_listed (s->net_allowed, s->n_net_allowed, e))
    return VERDICT_ALLOWED;
  return VERDICT_NONE;
}

enum rule_effect
rule_effect_of (const struct rule *r, enum rule_sensor s, enum rule_effect fallback)
{
  if (r == NULL || !r->sections[s].has_effect)
    return fallback;
  return r->sections[s].effect;
}

/* ---------------------------------------------------------------------
   Output for vigilctl.  */

static json_t
strings_to_json (char *const *v, size_t n)
{
  json_t a = json_new_array ();
  size_t i;

  for (i = 0; a != NULL && i < n; i++)
    if (json_array_append (a, json_new_string (v[i])) < 0)
      {
        yajl_tree_free (a);
        return NULL;
      }
  return a;
}

static json_t
net_to_json (const struct rule_net *n)
{
  json_t o = json_new_object ();
  char text[160];

  if (o == NULL)
    return NULL;
  if (n->direction >= 0)
    json_object_set (o, "direction", json_new_string (model_net_kind_name ((enum model_net_kind) n->direction)));
  if (n->protocol[0])
    json_object_set (o, "protocol", json_new_string (n->protocol));
  if (n->port_lo != 0 || n->port_hi != 65535)
    {
      if (n->port_lo == n->port_hi)
        snprintf (text, sizeof (text), "%u", n->port_lo);
      else
        snprintf (text, sizeof (text), "%u-%u", n->port_lo, n->port_hi);
      json_object_set (o, "port", json_new_string (text));
    }
  if (n->path != NULL)
    json_object_set (o, "address", json_new_string (n->path));
  else if (n->has_address)
    {
      char addr[64];
      if (inet_ntop (n->cidr.family, n->cidr.addr, addr, sizeof (addr)) != NULL)
        {
          snprintf (text, sizeof (text), "%s/%u", addr, n->cidr.prefix);
          json_object_set (o, "address", json_new_string (text));
        }
    }
  return o;
}

static json_t
nets_to_json (const struct rule_net *v, size_t n)
{
  json_t a = json_new_array ();
  size_t i;

  for (i = 0; a != NULL && i < n; i++)
    if (json_array_append (a, net_to_json (&v[i])) < 0)
      {
        yajl_tree_free (a);
        return NULL;
      }
  return a;
}

static json_t
patterns_to_json (const struct rule_patterns *p)
{
  return p->present ? strings_to_json (p->v, p->n) : json_new_null ();
}

static json_t
caps_to_json (unsigned bits)
{
  json_t a = json_new_array ();
  unsigned i;

  for (i = 0; a != NULL && i < CAPABILITY_COUNT; i++)
    if ((bits & (1u << i)) && json_array_append (a, json_new_string (capability_name (i))) < 0)
      {
        yajl_tree_free (a);
        return NULL;
      }
  return a;
}

json_t
rule_to_json (const struct rule *r)
{
  json_t o = json_new_object (), scope = json_new_object (), ann = json_new_object (), caps = json_new_object ();
  size_t i;

  if (o == NULL || scope == NULL || ann == NULL || caps == NULL)
    goto oom;
  for (i = 0; i < r->n_annotations; i++)
    if (json_object_set (ann, r->annotations[i].key, json_new_string (r->annotations[i].pattern)) < 0)
      goto oom;
  if (json_object_set (scope, "images", patterns_to_json (&r->images)) < 0
      || json_object_set (scope, "clusters", patterns_to_json (&r->clusters)) < 0
      || json_object_set (scope, "namespaces", patterns_to_json (&r->namespaces)) < 0
      || json_object_set (scope, "containers", patterns_to_json (&r->containers)) < 0)
    goto oom;
  json_object_set (scope, "annotations", ann);
  ann = NULL;
  if (json_object_set (o, "name", json_new_string (r->name)) < 0
      || json_object_set (o, "file", json_new_string (r->file)) < 0
      || json_object_set (o, "index", json_new_uint (r->index)) < 0)
    goto oom;
  json_object_set (o, "scope", scope);
  scope = NULL;
  for (i = 0; i < RULE_SENSORS; i++)
    {
      const struct rule_section *s = &r->sections[i];
      json_t sec = json_new_object ();

      if (sec == NULL)
        goto oom;
      json_object_set (sec, "effect", s->has_effect ? json_new_string (rule_effect_name (s->effect)) : json_new_null ());
      if (i == RULE_NETWORK)
        {
          json_object_set (sec, "allowed", nets_to_json (s->net_allowed, s->n_net_allowed));
          json_object_set (sec, "blocked", nets_to_json (s->net_blocked, s->n_net_blocked));
        }
      else
        {
          json_object_set (sec, "allowed", strings_to_json (s->allowed, s->n_allowed));
          json_object_set (sec, "blocked", strings_to_json (s->blocked, s->n_blocked));
        }
      if (json_object_set (o, section_keys[i], sec) < 0)
        goto oom;
    }
  json_object_set (caps, "add", caps_to_json (r->caps_add));
  json_object_set (caps, "remove", caps_to_json (r->caps_remove));
  json_object_set (o, "capabilities", caps);
  return o;

oom:
  if (o)
    yajl_tree_free (o);
  if (scope)
    yajl_tree_free (scope);
  if (ann)
    yajl_tree_free (ann);
  if (caps)
    yajl_tree_free (caps);
  return NULL;
}
