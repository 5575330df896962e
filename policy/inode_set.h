/* A set of files identified by device and inode number: the files a
   container wrote since it started, for drift detection.  */
#ifndef VIGIL_INODE_SET_H
#define VIGIL_INODE_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct inode_set
{
  struct inode_key
  {
    dev_t dev;
    ino_t ino;
    bool used;
  } *slots;
  size_t cap;   /* a power of two, or 0 */
  size_t count;
};

/* Add a file; returns 1 when added, 0 when present, -1 when memory runs
   out.  */
int inode_set_add (struct inode_set *s, dev_t dev, ino_t ino);
bool inode_set_contains (const struct inode_set *s, dev_t dev, ino_t ino);
void inode_set_free (struct inode_set *s);

#endif
