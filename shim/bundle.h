/* Rewriting the bundle of a container that is being created.  */
#ifndef VIGIL_SHIM_BUNDLE_H
#define VIGIL_SHIM_BUNDLE_H

#include "common/error.h"
#include "common/vconfig.h"
#include "shim/args.h"

/* Merge Vigil's seccomp rules into BUNDLE/config.json when the agent can
   be reached; when it cannot, follow cfg->fail_mode.  Returns 0 when the
   delegate runtime may run (protected or, failing open, not).  */
int bundle_prepare (const struct vigil_config *cfg, const struct runtime_args *args,
                    vigil_error_t *err);

/* Rewrite the config.json text in (length len) for a container, storing
   the new text in *out.  Separated from file access for tests.  */
int bundle_rewrite_config (const char *in, size_t len, const char *bundle,
                           const char *container_id, const struct vigil_config *cfg, char **out,
                           vigil_error_t *err);

/* Whether a process listens on the unix socket at path: connect within
   timeout_ms, then close.  */
int agent_reachable (const char *path, unsigned timeout_ms, vigil_error_t *err);

#endif
