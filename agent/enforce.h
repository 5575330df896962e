/* Enforcement shared by every sensor: the operator's rule that applies
   to a container, its capabilities, the effect of an event, and the block
   effect, which stops the whole container.  */
#ifndef VIGIL_ENFORCE_H
#define VIGIL_ENFORCE_H

#include <stdbool.h>

#include "common/error.h"
#include "common/json.h"
#include "policy/capabilities.h"
#include "policy/rules.h"

struct agent;
struct agent_container;
struct model;

/* Keep what rules are matched against from the listener metadata (the
   annotations and process arguments of config.json), then find the rule
   and the capabilities of c.  */
int enforce_container_init (struct agent *a, struct agent_container *c, json_t meta);
void enforce_container_fini (struct agent_container *c);

/* Find the rule of c and its capabilities again, after a reload.  */
void enforce_resolve (struct agent *a, struct agent_container *c);

/* The effect of events of sensor s in c: its rule's, else default_effect.  */
enum rule_effect enforce_effect (const struct agent *a, const struct agent_container *c, enum rule_sensor s);

/* Act on an event that effect e applies to.  *action is the alert's
   action ("denied", "blocked", "alerted") or NULL when nothing is to be
   alerted (disable).  Returns whether the call may proceed.  Block stops
   the container (SIGKILL to its init process) and fails the call.  */
bool enforce_apply (struct agent *a, struct agent_container *c, enum rule_effect e, const char **action);

/* Like enforce_apply for threats: these alert in every mode, fail the
   call only while the model is active, and are never silenced by the
   disable effect.  always_deny (a feed match) fails the call in every
   mode.  */
bool enforce_threat (struct agent *a, struct agent_container *c, enum rule_sensor s, bool always_deny,
                     const char **action);

/* A reason that names the rule: "blocked by rule `NAME` (FILE): WHAT".  */
void enforce_rule_reason (const struct agent_container *c, const char *what, char *buf, size_t size);

/* Log what set holds, with a warning for a directory without rule files.  */
void enforce_log_rules (const struct rule_set *set);

/* Load the rules again and apply them to every container; on error the
   rules in force stay and err contains the reason.  */
int enforce_reload_rules (struct agent *a, vigil_error_t *err);

/* The capabilities of model m for vigilctl models show: those of its
   running containers, else what its image name and rules give.  */
json_t enforce_model_capabilities (struct agent *a, const struct model *m);

#endif
