/* Operator-supplied lists of high-risk addresses: plain text, one IPv4 or
   IPv6 address or CIDR a line, '#' to the end of a line a comment.  */
#ifndef VIGIL_FEED_H
#define VIGIL_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct feed_entry
{
  int family;          /* AF_INET or AF_INET6 */
  uint8_t addr[16];    /* network byte order, the host bits cleared */
  unsigned prefix;     /* bits */
  unsigned line;
};

struct address_feed
{
  char *path;
  struct feed_entry *entries;
  size_t n;
};

/* Load path; an invalid line is an error that names the file and line.  */
int address_feed_load (const char *path, struct address_feed **out, vigil_error_t *err);

/* Parse text (the contents of path, for messages).  */
int address_feed_parse (const char *path, const char *text, struct address_feed **out, vigil_error_t *err);

/* The entry that covers address (text, as the model writes it), or NULL.  */
const struct feed_entry *address_feed_match (const struct address_feed *f, const char *address);

void address_feed_free (struct address_feed *f);

/* One address or CIDR (word is modified) into e; -1 when it is neither.
   Rules use these for their network entries.  */
int feed_entry_parse (char *word, struct feed_entry *e);
/* The family of address (AF_INET, AF_INET6) with its bytes in a, or -1.  */
int feed_address_parse (const char *address, uint8_t a[16]);
/* Whether e covers the address a of family.  */
bool feed_entry_covers (const struct feed_entry *e, int family, const uint8_t *a);

#endif
