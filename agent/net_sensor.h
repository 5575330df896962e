/* The network sensor: decides bind, listen, connect, sendto with an
   address and raw or packet socket() against the container's model.  */
#ifndef VIGIL_NET_SENSOR_H
#define VIGIL_NET_SENSOR_H

#include <linux/seccomp.h>
#include <stdbool.h>

#include "agent/exec_sensor.h"
#include "common/error.h"
#include "common/json.h"
#include "seccomp/notify.h"

struct agent;
struct agent_notifier;
struct net_workers;

bool net_sensor_handles (const struct exec_syscalls *nrs, const struct seccomp_notif *req);

/* Decide one notification.  The agent makes an allowed call on an IP
   socket itself, on the target's socket (pidfd_getfd) with the address it
   checked, so a thread that rewrites the address after the check changes
   nothing.  A call that may block goes to the workers.  */
void net_sensor_handle (struct agent *a, struct agent_notifier *n, const struct seccomp_notif *req);

/* The static side: list the sockets listening in the network namespace
   of c (read with sock_diag, see netdiag.h) and, while its model learns,
   add those its own processes hold (source "netlink").  With out, return
   them as a JSON array for vigilctl.  */
int net_sensor_scan (struct agent *a, struct agent_container *c, json_t *out, vigil_error_t *err);

/* Threads that make blocking connects and sends for their targets, so
   that a slow peer stalls only the process that waits for it.  */
int net_workers_start (struct net_workers **out, const struct notify_sizes *sizes, vigil_error_t *err);
void net_workers_stop (struct net_workers *w);

#endif
