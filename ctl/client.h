/* vigilctl's side of the control socket.  */
#ifndef VIGIL_CTL_CLIENT_H
#define VIGIL_CTL_CLIENT_H

#include <stdio.h>

#include "common/error.h"
#include "common/json.h"

struct ctl_client
{
  int fd;
  FILE *in;   /* buffered reader of response lines */
};

int ctl_connect (struct ctl_client *c, const char *path, vigil_error_t *err);

/* Send request and read the one-line response.  A response with "ok"
   false becomes an error carrying its message; *reason (may be NULL)
   receives its "reason".  */
int ctl_request (struct ctl_client *c, json_t request, json_t *response, char **reason,
                 vigil_error_t *err);

/* Read the next streamed line (alerts --follow).  Returns 0 and a tree,
   1 at end of stream, or -1.  */
int ctl_read_line (struct ctl_client *c, json_t *out, vigil_error_t *err);

void ctl_close (struct ctl_client *c);

#endif
