#include "config.h"

#include <string.h>

#include "exec_pending.h"

void
exec_pending_put (struct exec_pending_table *t, pid_t tid, bool has_file, dev_t dev, ino_t ino,
                  bool threat_reported, uint64_t now_ms)
{
  struct exec_pending *slot = exec_pending_get (t, tid);
  size_t i;

  if (slot == NULL)
    {
      slot = &t->slots[0];
      for (i = 0; i < EXEC_PENDING_MAX; i++)
        {
          if (t->slots[i].tid == 0)
            {
              slot = &t->slots[i];
              break;
            }
          if (t->slots[i].since_ms < slot->since_ms)
            slot = &t->slots[i];
        }
    }
  slot->tid = tid;
  slot->has_file = has_file;
  slot->dev = dev;
  slot->ino = ino;
  slot->threat_reported = threat_reported;
  slot->opens = 0;
  slot->since_ms = now_ms;
}

struct exec_pending *
exec_pending_get (struct exec_pending_table *t, pid_t tid)
{
  size_t i;

  for (i = 0; i < EXEC_PENDING_MAX; i++)
    if (t->slots[i].tid == tid)
      return &t->slots[i];
  return NULL;
}

void
exec_pending_expire (struct exec_pending_table *t, uint64_t now_ms, uint64_t max_age_ms)
{
  size_t i;

  for (i = 0; i < EXEC_PENDING_MAX; i++)
    if (t->slots[i].tid != 0 && now_ms - t->slots[i].since_ms > max_age_ms)
      memset (&t->slots[i], 0, sizeof (t->slots[i]));
}
