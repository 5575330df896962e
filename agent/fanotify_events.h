/* Decoding the records read from a fanotify fd (fanotify(7)).  */
#ifndef VIGIL_FANOTIFY_EVENTS_H
#define VIGIL_FANOTIFY_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct fan_event
{
  uint64_t mask;
  int fd;        /* FAN_NOFD (-1) for queue overflow */
  pid_t pid;     /* thread id with FAN_REPORT_TID */
};

/* Call handle for each event in buf[0..len).  Every event with an fd is
   handed on, so that the caller can respond to it and close it, even when a
   later record is malformed.  Returns the number of events, or -EPROTO when a record is truncated, is
   shorter than the metadata or has another metadata version.  The events
   before such a record were handed on.  */
int fanotify_decode (const void *buf, size_t len,
                     void (*handle) (void *data, const struct fan_event *ev), void *data);

#endif
