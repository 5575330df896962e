/* Operator-supplied lists of malware hashes: plain text, one SHA-256 (64
   hex digits) or MD5 (32 hex digits) a line, in either case, optionally
   followed by whitespace and a name such as the malware family.  '#' to
   the end of a line is a comment.  The lines that sha256sum and md5sum
   print are valid, with the file name as the name, except those that
   start with a backslash because the name has one or a newline.  */
#ifndef VIGIL_HASH_FEED_H
#define VIGIL_HASH_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "common/digest.h"
#include "common/error.h"

struct hash_entry
{
  uint8_t digest[32];   /* an MD5 fills the first 16 bytes, the rest is 0 */
  size_t digest_size;   /* 32 for SHA-256, 16 for MD5 */
  const char *name;     /* the rest of the line, or NULL when it is empty */
  unsigned line;
};

struct hash_feed
{
  char *path;
  char *text;                   /* the lines, which the names point into */
  struct hash_entry *sha256;    /* sorted by digest, then line */
  size_t n_sha256;
  struct hash_entry *md5;       /* sorted by digest, then line */
  size_t n_md5;
};

/* Load the feed at path.  An invalid line is an error that names the file
   and line.  */
int hash_feed_load (const char *path, struct hash_feed **out, vigil_error_t *err);

/* Parse text (the contents of path, for messages).  */
int hash_feed_parse (const char *path, const char *text, struct hash_feed **out, vigil_error_t *err);

/* The entry for the SHA-256 of d, else the entry for its MD5, else NULL.
   Of entries for the same hash, the one on the first line is returned.  */
const struct hash_entry *hash_feed_match (const struct hash_feed *f, const struct file_digest *d);

void hash_feed_free (struct hash_feed *f);

static inline void
cleanup_hash_feedp (struct hash_feed **f)
{
  hash_feed_free (*f);
}
#define cleanup_hash_feed __attribute__ ((cleanup (cleanup_hash_feedp)))

#endif
