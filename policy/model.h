/* A model: what the containers of one image in one namespace (and
   cluster and deployment) are expected to do.  The process part is the
   set of executables run, the network part the sockets listened on,
   the destinations connected to and the raw sockets opened.
   policy/lifecycle.h describes how its mode changes.  */
#ifndef VIGIL_MODEL_H
#define VIGIL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "policy/identity.h"

enum model_mode
{
  MODEL_LEARNING = 0, /* observed behaviour is added to the model */
  MODEL_ACTIVE,       /* behaviour outside the model is denied and alerted */
  MODEL_ARCHIVED,     /* no container ran for a while; kept, then removed */
};

struct model_entry
{
  char *path;         /* canonical path inside the container */
  char *target;       /* executables: the file a symlink path leads to, or NULL */
  char *source;       /* "static" (from config.json at create), "learned" */
  int64_t first_seen; /* unix time, seconds */
  /* Executables only.  An entry learned from the kernel's open of an
     interpreter holds for that file, not for an exec by that name.  */
  bool file_only;
  /* The learned file's size and modification time, when known: a file
     put at a learned path later does not pass for it.  */
  bool has_fingerprint;
  int64_t size;
  int64_t mtime_ns;
};

enum fingerprint_match
{
  FINGERPRINT_UNKNOWN = -1,
  FINGERPRINT_DIFFERS = 0,
  FINGERPRINT_MATCHES = 1,
};

struct model
{
  char *key;
  char *image;
  char *image_name;   /* NULL when unknown */
  char *cluster;      /* NULL when unknown */
  char *namespace;    /* NULL outside Kubernetes */
  char *deployment;   /* NULL outside Kubernetes */
  char *key_source;   /* where each part of the key came from */

  enum model_mode mode;
  enum model_mode mode_before_archive;
  bool manual_learning;        /* learning started by an operator: no time limit */
  /* Durations are in ms of the lifecycle clock, summed over containers.  */
  uint64_t observed_ms;        /* all observation since the model was created */
  uint64_t learning_ms;        /* observation in the current learning period */
  uint64_t learning_target_ms; /* length of the current learning period */
  uint64_t active_ms;          /* observation since the model last turned active */
  unsigned relearn_count;      /* returns to learning after a dry-run anomaly */
  int64_t created;             /* unix time, seconds */
  int64_t activated;           /* unix time, seconds; 0 while never active */
  int64_t last_seen_ms;        /* unix time of the last running container, ms */
  int64_t archived_ms;         /* unix time of archiving, ms */

  struct model_entry *execs; /* process sensor: executables, sorted by path */
  size_t n_execs;
  size_t cap_execs;
  struct model_entry *dirs;  /* file system sensor: directories written, sorted */
  size_t n_dirs;
  size_t cap_dirs;
  struct model_entry *nets;  /* network sensor: path is model_net_key's text, sorted */
  size_t n_nets;
  size_t cap_nets;

  bool dirty;         /* changed since it was last saved */
};

/* A new model in Learning whose first period lasts learning_target_ms.  */
int model_new (const struct model_identity *id, int64_t now, uint64_t learning_target_ms,
               struct model **out, vigil_error_t *err);
void model_free (struct model *m);

const char *model_mode_name (enum model_mode mode);
/* Parse a mode name; returns -1 for an unknown one.  */
int model_mode_parse (const char *name);

/* The executable entry at path (file-only or not), or NULL.  */
const struct model_entry *model_find_exec (const struct model *m, const char *path);

/* Whether path is an executable of the model (not a file-only entry).  */
bool model_has_exec (const struct model *m, const char *path);

/* Whether file (the path of an opened file, all symlinks resolved) is an
   executable of the model or the target of one.  The kernel opens
   busybox, not /bin/ls: this is the check at that level.  */
bool model_has_exec_file (const struct model *m, const char *file);

/* Add path (a copy) unless present.  target (may be NULL) is the file it
   resolves to, filled in on an entry that lacks one.  Returns 1 when
   added, 0 when it was already there, -1 on allocation failure.  */
int model_add_exec (struct model *m, const char *path, const char *target, const char *source,
                    int64_t now);

/* Add file as a file-only entry (an interpreter or loader the kernel
   opened), unless an entry for it exists.  */
int model_add_exec_file (struct model *m, const char *file, const char *source, int64_t now);

/* Record the fingerprint of the file behind entry path where it has none
   (or, with replace, always).  */
void model_set_fingerprint (struct model *m, const char *path, int64_t size, int64_t mtime_ns,
                            bool replace);

/* Compare a file with the fingerprints the model recorded for it: of the
   entry at path (name level), or of every entry whose path or target is
   path (file level).  */
enum fingerprint_match model_check_fingerprint (const struct model *m, const char *path, bool file_level,
                                                int64_t size, int64_t mtime_ns);

bool model_has_dir (const struct model *m, const char *dir);
int model_add_dir (struct model *m, const char *dir, const char *source, int64_t now);

enum model_net_kind
{
  MODEL_NET_LISTEN,   /* a listening socket: protocol and port, or a unix name */
  MODEL_NET_CONNECT,  /* an outbound destination: protocol, address and port */
  MODEL_NET_SOCKET,   /* a raw or packet socket: family, type and protocol */
};

/* One network entry.  For MODEL_NET_SOCKET, protocol contains the family name
   ("inet", "packet"), type the socket type ("raw", "dgram") and port the
   protocol number; the other kinds leave type empty.  address is empty for
   a listening IP socket (any local address).  */
struct model_net
{
  enum model_net_kind kind;
  char protocol[16];
  char type[16];
  unsigned port;
  char address[448];
};

/* The sortable text of e, "connect tcp - 80 10.0.0.1"; fails with -1 when
   it does not fit in size.  */
int model_net_key (const struct model_net *e, char *buf, size_t size);
/* Parse a key back; -1 when it is not one.  */
int model_net_parse_key (const char *key, struct model_net *e);
const char *model_net_kind_name (enum model_net_kind kind);

bool model_has_net (const struct model *m, const struct model_net *e);
/* Add e unless present: 1 added, 0 present, -1 on failure.  */
int model_add_net (struct model *m, const struct model_net *e, const char *source, int64_t now);

int model_to_json (const struct model *m, char **out, vigil_error_t *err);
int model_from_json (const char *text, size_t len, struct model **out, vigil_error_t *err);

#endif
