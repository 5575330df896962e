/* Merging Vigil's SCMP_ACT_NOTIFY rules into the seccomp profile of an OCI
   runtime configuration (config.json, linux.seccomp).  */
#ifndef VIGIL_PROFILE_MERGE_H
#define VIGIL_PROFILE_MERGE_H

#include "common/error.h"
#include "common/json.h"

#include <stdbool.h>

/* Syscalls whose notifications the agent's sensors handle, NULL
   terminated.  Only these ever reach the agent.  */
extern const char *const vigil_watched_syscalls[];

enum seccomp_merge_result
{
  SECCOMP_MERGED = 0,
  SECCOMP_ALREADY_MERGED = 1, /* Vigil's rules were there: listener and metadata renewed */
};

/* Edit config (the whole config.json tree) so that every watched syscall
   that the profile lets through notifies listener_path instead, keeping
   every other rule, argument condition, default action, errno, flag and
   architecture.  Without a profile, one is added that allows everything
   else.  socket() is left alone when the process's bounding set lacks
   CAP_NET_RAW, since the kernel then refuses raw and packet sockets.  A
   profile whose listenerPath names another listener is an error.
   Returns an enum seccomp_merge_result or -1.  */
int profile_merge (json_t config, const char *listener_path, const char *metadata,
                   vigil_error_t *err);

/* Whether the profile's listener was set by Vigil: its listenerMetadata is
   the JSON object vigil-runc writes.  */
bool profile_merged_by_vigil (json_t config);

/* Undo a merge of Vigil's, so that a reused bundle runs without a listener
   (failing open while the agent is down): the notify rules it added allow
   again and the listener goes.  Returns 1 when something was undone, 0
   when the bundle had no listener of Vigil's, -1 on error.  */
int profile_unmerge (json_t config, vigil_error_t *err);

#endif
