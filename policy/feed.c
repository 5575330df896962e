#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "policy/feed.h"

void
address_feed_free (struct address_feed *f)
{
  if (f == NULL)
    return;
  free (f->path);
  free (f->entries);
  free (f);
}

int
feed_entry_parse (char *word, struct feed_entry *e)
{
  char *slash = strchr (word, '/');
  unsigned max, i;

  memset (e->addr, 0, sizeof (e->addr));
  if (slash != NULL)
    *slash = '\0';
  if (inet_pton (AF_INET, word, e->addr) == 1)
    e->family = AF_INET, max = 32;
  else if (inet_pton (AF_INET6, word, e->addr) == 1)
    e->family = AF_INET6, max = 128;
  else
    return -1;
  e->prefix = max;
  if (slash != NULL)
    {
      char *end;
      unsigned long p = strtoul (slash + 1, &end, 10);
      if (slash[1] == '\0' || *end != '\0' || p > max)
        return -1;
      e->prefix = (unsigned) p;
    }
  for (i = e->prefix; i < max; i++)
    e->addr[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
  return 0;
}

int
address_feed_parse (const char *path, const char *text, struct address_feed **out, vigil_error_t *err)
{
  struct address_feed *f = calloc (1, sizeof (*f));
  cleanup_free char *copy = strdup (text);
  size_t cap = 0;
  unsigned line = 0;
  char *p, *next;

  if (f == NULL || copy == NULL || (f->path = strdup (path)) == NULL)
    {
      address_feed_free (f);
      return vigil_error_set (err, ENOMEM, "load address feed `%s`", path);
    }
  for (p = copy; p != NULL; p = next)
    {
      char *hash, *word, *end, shown[128];
      struct feed_entry e;

      line++;
      next = strchr (p, '\n');
      if (next != NULL)
        *next++ = '\0';
      if ((hash = strchr (p, '#')) != NULL)
        *hash = '\0';
      word = p + strspn (p, " \t\r");
      end = word + strcspn (word, " \t\r");
      if (*word == '\0')
        continue;
      if (end[strspn (end, " \t\r")] != '\0')
        {
          address_feed_free (f);
          return vigil_error_set (err, 0, "%s:%u: expected one address or CIDR a line", path, line);
        }
      *end = '\0';
      snprintf (shown, sizeof (shown), "%s", word);
      if (feed_entry_parse (word, &e) < 0)
        {
          address_feed_free (f);
          return vigil_error_set (err, 0, "%s:%u: `%s` is not an IPv4 or IPv6 address or CIDR", path, line,
                                  shown);
        }
      e.line = line;
      if (f->n == cap)
        {
          size_t bigger = cap ? cap * 2 : 64;
          struct feed_entry *v = realloc (f->entries, bigger * sizeof (*v));
          if (v == NULL)
            {
              address_feed_free (f);
              return vigil_error_set (err, ENOMEM, "load address feed `%s`", path);
            }
          f->entries = v;
          cap = bigger;
        }
      f->entries[f->n++] = e;
    }
  *out = f;
  return 0;
}

int
address_feed_load (const char *path, struct address_feed **out, vigil_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len;

  if (read_file (path, 64 << 20, &text, &len, err) < 0)
    return -1;
  /* The parser reads a C string: a NUL byte would end the feed early.  */
  if (strlen (text) != len)
    return vigil_error_set (err, 0, "%s: NUL byte at offset %zu", path, strlen (text));
  return address_feed_parse (path, text, out, err);
}

bool
feed_entry_covers (const struct feed_entry *e, int family, const uint8_t *a)
{
  unsigned full = e->prefix / 8, rest = e->prefix % 8;

  if (e->family != family || memcmp (a, e->addr, full) != 0)
    return false;
  return rest == 0 || ((a[full] ^ e->addr[full]) & (uint8_t) (0xff00u >> rest)) == 0;
}

int
feed_address_parse (const char *address, uint8_t a[16])
{
  memset (a, 0, 16);
  if (inet_pton (AF_INET, address, a) == 1)
    return AF_INET;
  if (inet_pton (AF_INET6, address, a) == 1)
    return AF_INET6;
  return -1;
}

const struct feed_entry *
address_feed_match (const struct address_feed *f, const char *address)
{
  uint8_t a[16];
  int family;
  size_t i;

  if (f == NULL || (family = feed_address_parse (address, a)) < 0)
    return NULL;
  for (i = 0; i < f->n; i++)
    if (feed_entry_covers (&f->entries[i], family, a))
      return &f->entries[i];
  return NULL;
}
