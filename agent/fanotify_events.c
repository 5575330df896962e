#include "config.h"

#include <errno.h>
#include <linux/fanotify.h>
#include <string.h>

#include "fanotify_events.h"

int
fanotify_decode (const void *buf, size_t len,
                 void (*handle) (void *data, const struct fan_event *ev), void *data)
{
  const unsigned char *p = buf;
  size_t off = 0;
  int count = 0;

  while (off < len)
    {
      struct fanotify_event_metadata md;
      struct fan_event ev;

      if (len - off < sizeof (md))
        return -EPROTO;
      /* The records are not aligned for the struct in every buffer a
         caller may pass: copy the fixed part out.  */
      memcpy (&md, p + off, sizeof (md));
      if (md.vers != FANOTIFY_METADATA_VERSION || md.event_len < sizeof (md)
          || md.event_len > len - off)
        return -EPROTO;

      ev.mask = md.mask;
      ev.fd = md.fd;
      ev.pid = md.pid;
      handle (data, &ev);
      count++;
      off += md.event_len;
    }
  return count;
}
