#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fileutil.h"
#include "policy/hash_feed.h"

#define BLANKS " \t\r"
#define HEX_DIGITS "0123456789abcdefABCDEF"

/* About three million SHA-256 lines with short names fit, so a larger
   file is more likely a mistake than a feed.  */
#define MAX_FEED_BYTES (256 << 20)

struct entry_array
{
  struct hash_entry *v;
  size_t n, cap;
};

static void
cleanup_entry_arrayp (struct entry_array *a)
{
  free (a->v);
}
#define cleanup_entry_array __attribute__ ((cleanup (cleanup_entry_arrayp)))

void
hash_feed_free (struct hash_feed *f)
{
  if (f == NULL)
    return;
  free (f->path);
  free (f->text);
  free (f->sha256);
  free (f->md5);
  free (f);
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return c - 'A' + 10;
}

/* Parse one line, which parsing may change, into e.  Returns 1 for an
   entry, 0 for a blank or comment line, and -1 with err set for anything
   else.  */
static int
parse_line (const char *path, unsigned line, char *p, struct hash_entry *e, vigil_error_t *err)
{
  char *hash, *word, *name, *end;
  size_t digits, i;

  memset (e, 0, sizeof (*e));
  if ((hash = strchr (p, '#')) != NULL)
    *hash = '\0';
  word = p + strspn (p, BLANKS);
  if (*word == '\0')
    return 0;
  digits = strcspn (word, BLANKS);

  /* The name is the rest of the line without the blanks around it.  */
  name = word + digits + strspn (word + digits, BLANKS);
  end = name + strlen (name);
  while (end > name && strchr (BLANKS, end[-1]) != NULL)
    end--;
  *end = '\0';
  word[digits] = '\0';

  if (strspn (word, HEX_DIGITS) != digits)
    return vigil_error_set (err, 0, "%s:%u: `%.100s` is not a SHA-256 or MD5 hash in hex", path, line, word);
  if (digits == 40)
    return vigil_error_set (err, 0, "%s:%u: `%s` is a SHA-1 hash, which is not supported: use its SHA-256 or MD5",
                            path, line, word);
  if (digits != 64 && digits != 32)
    return vigil_error_set (err, 0,
                            "%s:%u: `%.100s` has %zu hex digits: a SHA-256 has 64 and an MD5 32", path,
                            line, word, digits);

  e->digest_size = digits / 2;
  for (i = 0; i < e->digest_size; i++)
    e->digest[i] = (uint8_t) (hex_value (word[2 * i]) << 4 | hex_value (word[2 * i + 1]));
  e->name = *name != '\0' ? name : NULL;
  e->line = line;
  return 1;
}

static int
append (struct entry_array *a, const struct hash_entry *e)
{
  if (a->n == a->cap)
    {
      size_t bigger = a->cap ? a->cap * 2 : 64;
      struct hash_entry *v = realloc (a->v, bigger * sizeof (*v));

      if (v == NULL)
        return -1;
      a->v = v;
      a->cap = bigger;
    }
  a->v[a->n++] = *e;
  return 0;
}

/* MD5 digests are zero-padded to 32 bytes, so one comparison serves both
   arrays.  */
static int
compare_digest (const void *a, const void *b)
{
  return memcmp (((const struct hash_entry *) a)->digest, ((const struct hash_entry *) b)->digest, 32);
}

/* Sort by line among equal digests, so that a match can return the first
   entry of a hash listed more than once.  */
static int
compare_entry (const void *a, const void *b)
{
  const struct hash_entry *x = a, *y = b;
  int c = compare_digest (x, y);

  if (c != 0)
    return c;
  return (x->line > y->line) - (x->line < y->line);
}

int
hash_feed_parse (const char *path, const char *text, struct hash_feed **out, vigil_error_t *err)
{
  cleanup_hash_feed struct hash_feed *f = calloc (1, sizeof (*f));
  cleanup_entry_array struct entry_array sha256 = { 0 };
  cleanup_entry_array struct entry_array md5 = { 0 };
  unsigned line = 0;
  char *p, *next;

  if (f == NULL || (f->text = strdup (text)) == NULL || (f->path = strdup (path)) == NULL)
    return vigil_error_set (err, ENOMEM, "load hash feed `%s`", path);

  for (p = f->text; p != NULL; p = next)
    {
      struct hash_entry e;
      int ret;

      line++;
      next = strchr (p, '\n');
      if (next != NULL)
        *next++ = '\0';
      ret = parse_line (path, line, p, &e, err);
      if (ret < 0)
        return -1;
      if (ret > 0 && append (e.digest_size == 32 ? &sha256 : &md5, &e) < 0)
        return vigil_error_set (err, ENOMEM, "load hash feed `%s`", path);
    }

  /* qsort needs a non-NULL array even when it is empty.  */
  if (sha256.n > 0)
    qsort (sha256.v, sha256.n, sizeof (*sha256.v), compare_entry);
  if (md5.n > 0)
    qsort (md5.v, md5.n, sizeof (*md5.v), compare_entry);
  f->sha256 = take_ptr (&sha256.v);
  f->n_sha256 = sha256.n;
  f->md5 = take_ptr (&md5.v);
  f->n_md5 = md5.n;
  *out = take_ptr (&f);
  return 0;
}

int
hash_feed_load (const char *path, struct hash_feed **out, vigil_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len;

  if (read_file (path, MAX_FEED_BYTES, &text, &len, err) < 0)
    return -1;
  /* The parser reads a C string: a NUL byte would end the feed early.  */
  if (strlen (text) != len)
    return vigil_error_set (err, 0, "%s: NUL byte at offset %zu", path, strlen (text));
  return hash_feed_parse (path, text, out, err);
}

static const struct hash_entry *
find (const struct hash_entry *v, size_t n, const uint8_t *digest, size_t size)
{
  struct hash_entry key = { .digest_size = size };
  const struct hash_entry *e;

  if (n == 0)
    return NULL;
  memcpy (key.digest, digest, size);
  e = bsearch (&key, v, n, sizeof (*v), compare_digest);
  while (e != NULL && e > v && compare_digest (e - 1, &key) == 0)
    e--;
  return e;
}

const struct hash_entry *
hash_feed_match (const struct hash_feed *f, const struct file_digest *d)
{
  const struct hash_entry *e;

  if (f == NULL)
    return NULL;
  e = find (f->sha256, f->n_sha256, d->sha256, sizeof (d->sha256));
  if (e == NULL)
    e = find (f->md5, f->n_md5, d->md5, sizeof (d->md5));
  return e;
}
