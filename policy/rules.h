/* Operator rules: an ordered list read from a JSON file or from every
   *.json file of a directory, in name order.  The first rule whose scope
   matches a container applies to it.  Its allowed entries extend the
   model, and its blocked entries apply even to what the model learned.
   Its effect per sensor decides what happens to what falls outside.  The
   format is in docs/RULES.md.  */
#ifndef VIGIL_RULES_H
#define VIGIL_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/json.h"
#include "policy/feed.h"
#include "policy/model.h"

enum rule_effect
{
  EFFECT_DISABLE, /* neither model nor lists are acted on */
  EFFECT_ALERT,   /* alert, let the call run */
  EFFECT_PREVENT, /* fail the call and alert */
  EFFECT_BLOCK,   /* fail the call, stop the container and alert */
};
#define EFFECT_COUNT 4

enum rule_sensor
{
  RULE_PROCESSES,
  RULE_NETWORK,
  RULE_FILES,
};
#define RULE_SENSORS 3

const char *rule_effect_name (enum rule_effect e);
/* -1 when name is no effect.  */
int rule_effect_from_name (const char *name);
const char *rule_sensor_name (enum rule_sensor s);

/* A network entry; every field set is matched, the others match anything.  */
struct rule_net
{
  int direction;            /* -1 any, else enum model_net_kind */
  char protocol[16];        /* "" any; tcp, udp, unix, or a family for sockets */
  unsigned port_lo, port_hi;
  bool has_address;
  struct feed_entry cidr;   /* when the address is an IP address or CIDR */
  char *path;               /* when it is a unix name; wildcards allowed */
};

struct rule_section
{
  bool has_effect;
  enum rule_effect effect;
  char **allowed;           /* processes and files: patterns and prefixes */
  size_t n_allowed;
  char **blocked;
  size_t n_blocked;
  struct rule_net *net_allowed;
  size_t n_net_allowed;
  struct rule_net *net_blocked;
  size_t n_net_blocked;
  bool net_paths;           /* a network entry names a unix socket path */
};

struct rule_annotation
{
  char *key;                /* exact */
  char *pattern;            /* wildcards allowed */
};

/* A list of wildcard patterns; n == 0 with present false matches anything.  */
struct rule_patterns
{
  bool present;
  char **v;
  size_t n;
};

struct rule
{
  char *name;
  char *file;               /* the file it came from */
  size_t index;             /* its place in that file's rules array */
  struct rule_patterns images, clusters, namespaces, containers;
  struct rule_annotation *annotations;
  size_t n_annotations;
  struct rule_section sections[RULE_SENSORS];
  unsigned caps_add, caps_remove;
};

struct rule_set
{
  char *path;               /* the file or directory */
  struct rule *rules;
  size_t n;
  size_t files;             /* rule files read: 0 for a directory without any */
};

/* The container a scope is matched against.  */
struct rule_target
{
  const char *image;        /* digest or id */
  const char *image_name;
  const char *cluster;
  const char *namespace;
  const char *container_id;
  const char *container_name;
  json_t annotations;       /* an object of strings, or NULL */
};

/* Load path, a file or a directory of *.json files.  Errors name the file
   and the line and column of a syntax error or the JSON path of a wrong
   value ("rules.json: rules[1].network.blocked[0].port: ...").  */
int rules_load (const char *path, struct rule_set **out, vigil_error_t *err);

/* Parse text, the contents of file, and append its rules to set (which
   may be empty).  On error set is left as it was.  */
int rules_parse (const char *file, const char *text, size_t len, struct rule_set *set, vigil_error_t *err);

void rules_free (struct rule_set *set);

/* The first rule of set whose scope matches t, or NULL.  */
const struct rule *rules_match (const struct rule_set *set, const struct rule_target *t);

enum rule_verdict
{
  VERDICT_NONE,
  VERDICT_ALLOWED,
  VERDICT_BLOCKED,          /* wins over allowed */
};

/* An executable: path is where it was found in the container, target the
   file with every link resolved (may be NULL).  Blocked entries match
   either, allowed entries the target only; entries with a '/' match the
   whole path, the others its last component; wildcards allowed.  */
enum rule_verdict rule_process_verdict (const struct rule *r, const char *path, const char *target);
/* A write to path (in the container): entries are path prefixes.  */
enum rule_verdict rule_file_verdict (const struct rule *r, const char *path);
enum rule_verdict rule_net_verdict (const struct rule *r, const struct model_net *e);

/* The effect of r for sensor s, or fallback without a rule or an effect.  */
enum rule_effect rule_effect_of (const struct rule *r, enum rule_sensor s, enum rule_effect fallback);

/* Write r as JSON (its lists, effects and capabilities) for vigilctl.  */
json_t rule_to_json (const struct rule *r);

#endif
