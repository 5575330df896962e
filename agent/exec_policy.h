/* Decisions on execs, shared by the seccomp path (the path a process
   asked for) and the fanotify path (the file the kernel opened).  */
#ifndef VIGIL_EXEC_POLICY_H
#define VIGIL_EXEC_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct agent;
struct agent_container;

struct exec_subject
{
  const char *name;    /* checked against the model */
  const char *target;  /* the file, every link resolved; may equal name */
  const char *argv0;   /* may be "" */
  /* When set, called before argv0 is read: the seccomp path reads it from
     the process only when an alert needs it.  */
  void (*load_argv0) (void *ctx);
  void *argv0_ctx;
  pid_t pid;
  bool file_level;     /* name is a file the kernel opened: it may match an
                          entry's target as well as its path */
  bool has_stat;       /* size and mtime_ns of the file are known */
  int64_t size;
  int64_t mtime_ns;
};

/* Decide an exec by the rule and the model of c.  A blocked entry is acted
   on in every mode and an allowed one passes.  Otherwise the exec is
   allowed, learned, relearned (dry run) or acted on with the process
   effect.  Returns whether the exec may proceed.  */
bool exec_policy_decide (struct agent *a, struct agent_container *c, const struct exec_subject *s);

/* A threat-based event (fileless execution, a binary written after the
   container started): alerted in every mode, acted on with the process
   effect while the model is active; always_deny (a file in the hash
   feed) fails the exec in every mode.  Returns whether the exec may
   proceed.  */
bool exec_policy_threat (struct agent *a, struct agent_container *c, const struct exec_subject *s,
                         const char *reason, bool always_deny);

/* Whether c may run a file written after it started without a threat
   alert: capabilities writes-and-executes-binaries or package-manager, or
   a rule's allowed file prefix over file, the path with every link
   resolved.  */
bool exec_policy_may_run_written (const struct agent_container *c, const char *file);

/* Act on an exec that a blocked entry of c's rule names, before any other
   check, so that a threat alerted in Learning cannot let it run: returns
   true with *allow set when it is blocked.  */
bool exec_policy_blocked (struct agent *a, struct agent_container *c, const struct exec_subject *s, bool *allow);

/* Whether an exec of path (target: every link resolved, may be NULL) runs
   from temporary storage (/tmp, /dev/shm, /var/tmp) and c has no
   capability or allowed prefix for it.  reason gets the alert's reason.  */
bool exec_policy_temporary (const struct agent_container *c, const char *path, const char *target, char *reason,
                            size_t size);

#define ALERTS_PER_SECOND 50

/* Write an alert for c, unless the same pid tried the same executable
   moments ago (a shell retrying along $PATH is one event), or c already
   raised ALERTS_PER_SECOND alerts this second: those are counted, and
   reported as one alert with the count (exec_policy_report_suppressed,
   from the tick), never dropped silently.  */
void exec_policy_alert (struct agent *a, struct agent_container *c, const struct exec_subject *s,
                        const char *sensor, const char *reason, const char *action);

struct alert;

/* Write al for c under the same rules as exec_policy_alert: what names
   the attempt (an executable, a destination) for telling repeats.  */
void policy_alert_write (struct agent *a, struct agent_container *c, const struct alert *al, const char *what);

/* Fill the container and model fields of al from c.  */
void exec_policy_alert_init (struct alert *al, const struct agent_container *c);
/* The same for an alert of the file system sensor about file.  */
void exec_policy_file_alert_init (struct alert *al, const struct agent_container *c, pid_t pid, const char *file,
                                  const char *reason, const char *action);

/* Write one alert for the alerts of c suppressed by the rate limit, and
   one for the repeats folded into the last alert once its window ended.  */
void exec_policy_report_suppressed (struct agent *a, struct agent_container *c);

#endif
