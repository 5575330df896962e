#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "inode_set.h"

static size_t
slot_of (dev_t dev, ino_t ino, size_t cap)
{
  uint64_t h = (uint64_t) ino * 0x9e3779b97f4a7c15ULL ^ (uint64_t) dev * 0xc2b2ae3d27d4eb4fULL;
  return (size_t) (h ^ (h >> 29)) & (cap - 1);
}

static bool
find (const struct inode_set *s, dev_t dev, ino_t ino, size_t *at)
{
  size_t i;

  if (s->cap == 0)
    return false;
  for (i = slot_of (dev, ino, s->cap);; i = (i + 1) & (s->cap - 1))
    {
      if (!s->slots[i].used)
        {
          *at = i;
          return false;
        }
      if (s->slots[i].dev == dev && s->slots[i].ino == ino)
        {
          *at = i;
          return true;
        }
    }
}

static int
grow (struct inode_set *s)
{
  struct inode_set bigger = { .cap = s->cap ? s->cap * 2 : 64 };
  size_t i, at;

  bigger.slots = calloc (bigger.cap, sizeof (*bigger.slots));
  if (bigger.slots == NULL)
    return -1;
  for (i = 0; i < s->cap; i++)
    if (s->slots[i].used)
      {
        find (&bigger, s->slots[i].dev, s->slots[i].ino, &at);
        bigger.slots[at] = s->slots[i];
        bigger.count++;
      }
  free (s->slots);
  *s = bigger;
  return 0;
}

int
inode_set_add (struct inode_set *s, dev_t dev, ino_t ino)
{
  size_t at;

  /* Keep the load at most one half, so probes stay short.  */
  if ((s->count + 1) * 2 > s->cap && grow (s) < 0)
    return -1;
  if (find (s, dev, ino, &at))
    return 0;
  s->slots[at].dev = dev;
  s->slots[at].ino = ino;
  s->slots[at].used = true;
  s->count++;
  return 1;
}

bool
inode_set_contains (const struct inode_set *s, dev_t dev, ino_t ino)
{
  size_t at;

  return find (s, dev, ino, &at);
}

void
inode_set_free (struct inode_set *s)
{
  free (s->slots);
  s->slots = NULL;
  s->cap = s->count = 0;
}
