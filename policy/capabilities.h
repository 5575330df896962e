/* Capabilities: named per-image tunings that change how Vigil acts on
   events, never what a model holds.  Vigil recognises images that need
   them from the image name and the entrypoint; rules add and remove them.  */
#ifndef VIGIL_CAPABILITIES_H
#define VIGIL_CAPABILITIES_H

#include <stdbool.h>
#include <stddef.h>

enum capability
{
  /* Executing files written after the container started, also from /tmp
     and /dev/shm, is not a threat (compilers, CI jobs).  */
  CAPABILITY_WRITES_AND_EXECUTES = 1u << 0,
  /* Executables outside the model are allowed without an alert once the
     model is active (CI agents run whatever a job runs).  */
  CAPABILITY_ARBITRARY_CHILDREN = 1u << 1,
  /* Raw and packet sockets outside the model are allowed.  */
  CAPABILITY_RAW_SOCKETS = 1u << 2,
  /* Writes to binaries and protected paths are allowed, and so is
     executing what was written: installing packages at run time.  */
  CAPABILITY_PACKAGE_MANAGER = 1u << 3,
};

#define CAPABILITY_COUNT 4

struct capability_set
{
  unsigned bits;
  char reason[CAPABILITY_COUNT][192]; /* why each present one applies */
  unsigned removed;                   /* taken away by a rule */
  char removed_reason[CAPABILITY_COUNT][192];
};

/* The name of capability bit i (0 <= i < CAPABILITY_COUNT).  */
const char *capability_name (unsigned i);
/* The bit of a capability name, 0 when there is no such capability.  */
unsigned capability_from_name (const char *name);

/* Recognise the capabilities of a container from its image name (may be
   NULL) and its process arguments (the entrypoint and command).  */
void capabilities_recognise (const char *image_name, const char *const *args, size_t nargs,
                             struct capability_set *out);

/* Apply a rule's additions and removals.  */
void capabilities_apply (struct capability_set *set, unsigned add, unsigned remove, const char *rule_name);

static inline bool
capabilities_has (const struct capability_set *set, enum capability c)
{
  return set != NULL && (set->bits & (unsigned) c) != 0;
}

#endif
