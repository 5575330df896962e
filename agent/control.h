/* vigilctl's control socket: one JSON request per line, and one JSON line in response; "alerts" with "follow" then streams each new alert as a
   line until the client hangs up.  Only root may connect (SO_PEERCRED).  */
#ifndef VIGIL_CONTROL_H
#define VIGIL_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/agent.h"
#include "common/error.h"
#include "common/json.h"

struct control_client
{
  struct watch w;
  char *in;
  size_t in_len;
  char *out;
  size_t out_len;
  size_t out_off;
  bool following;
  bool dead;              /* to be freed after the current event batch */
  char *filter_container; /* alerts: only this container id */
  char *filter_model;     /* alerts: only this model key */
  struct control_client *next;
};

int control_open (struct agent *a, vigil_error_t *err);
void control_accept (struct agent *a);
void control_client_event (struct agent *a, struct control_client *c, unsigned events);
void control_close_all (struct agent *a);

/* Hand a new alert line to every following client.  */
void control_alert (void *agent, const char *line, size_t len);
/* Whether alert is of the container named by which: its id, a prefix of
   its id (as podman and runc print them shortened), or its name.  */
bool alert_container_is (json_t alert, const char *which);

/* Whether alert passes the filters of vigilctl alerts: container as for
   alert_container_is, model a full model key; NULL passes everything.  */
bool alert_selected (json_t alert, const char *container, const char *model);

/* Free the clients marked dead; call between epoll batches.  */
void control_reap (struct agent *a);

/* Run one request and return the response object, NULL only when memory
   runs out.  "alerts" with "follow" marks c as following.  */
json_t control_dispatch (struct agent *a, json_t request, struct control_client *c);

#endif
