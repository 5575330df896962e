/* Static analysis of a bundle before its container runs: the command of
   config.json resolved in the root file system, and the interpreter
   named on its "#!" line.  */
#ifndef VIGIL_STATIC_ANALYSIS_H
#define VIGIL_STATIC_ANALYSIS_H

#include "common/json.h"

/* Return a JSON array of in-container paths (possibly empty), or NULL
   when memory runs out.  Paths that cannot be resolved are left out: the
   agent learns them when they run.  rootfs is the host path of the
   container's root.  */
json_t static_executables (json_t config, const char *rootfs);

#endif
