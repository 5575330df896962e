/* The life of a model:

     Learning --(learning period observed)--> Active (dry run)
     Active (dry run) --(anomaly)--> Learning (relearn period)
     Active (dry run) --(dry run observed)--> Active (enforcing)
     Learning/Active --(no container for archive_after)--> Archived
     Archived --(a container starts)--> its previous mode
     Archived --(archive_keep passed)--> removed

   Observation time is the running time of the model's containers, summed
   (two containers for ten minutes are twenty minutes), on a clock that
   runs clock_scale times as fast as real time.  Idle and archive times
   are real time multiplied by the same scale.  The functions here only
   change the model; the caller persists it and acts on the result.  */
#ifndef VIGIL_LIFECYCLE_H
#define VIGIL_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "policy/model.h"

struct lifecycle_config
{
  uint64_t learning_ms;      /* first learning period */
  uint64_t dry_run_ms;
  uint64_t relearn_ms;       /* learning period after a dry-run anomaly */
  uint64_t archive_after_ms; /* idle time before archiving */
  uint64_t archive_keep_ms;  /* archived time before removal */
  uint64_t clock_scale;      /* lifecycle ms per real ms */
};

enum lifecycle_change
{
  LIFECYCLE_UNCHANGED = 0,
  LIFECYCLE_ACTIVATED,       /* Learning -> Active */
  LIFECYCLE_DRY_RUN_ENDED,   /* Active: anomalies now count */
  LIFECYCLE_ARCHIVED,
  LIFECYCLE_EXPIRED,         /* archived long enough: remove the model */
};

enum anomaly_action
{
  ANOMALY_LEARN,     /* Learning: add it to the model and let it run */
  ANOMALY_RELEARN,   /* dry run: back to Learning, add it, let it run */
  ANOMALY_ENFORCE,   /* Active after the dry run: alert and deny */
};

/* Add elapsed_ms of lifecycle time observed in each of running
   containers, and move on when a period is complete.  */
enum lifecycle_change lifecycle_observe (struct model *m, uint64_t elapsed_ms, unsigned running,
                                         const struct lifecycle_config *cfg, int64_t now_ms);

/* Decide what behaviour outside the model means now.  ANOMALY_RELEARN
   has already moved the model back to Learning.  */
enum anomaly_action lifecycle_anomaly (struct model *m, const struct lifecycle_config *cfg);

bool lifecycle_in_dry_run (const struct model *m, const struct lifecycle_config *cfg);

/* A container of the model runs at now_ms (unix ms): an archived model
   returns to the mode it had.  Returns whether it was archived.  */
bool lifecycle_container_running (struct model *m, int64_t now_ms);

/* Archive a model idle for archive_after, and report an archived one
   whose keep time has passed.  running is its number of containers.  */
enum lifecycle_change lifecycle_check_idle (struct model *m, unsigned running,
                                            const struct lifecycle_config *cfg, int64_t now_ms);

/* Operator actions.  */
void lifecycle_relearn (struct model *m, const struct lifecycle_config *cfg);
void lifecycle_learn_start (struct model *m);
void lifecycle_learn_stop (struct model *m, int64_t now_ms);
void lifecycle_archive (struct model *m, int64_t now_ms);

#endif
