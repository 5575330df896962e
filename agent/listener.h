/* The socket runc and crun connect to (linux.seccomp.listenerPath): each
   connection carries one seccomp notify fd and the container process
   state JSON, then hangs up.  */
#ifndef VIGIL_LISTENER_H
#define VIGIL_LISTENER_H

#include "common/error.h"
#include "common/json.h"

struct agent;
struct agent_client;

/* Bind and listen at path: parent directory 0700, socket 0600.  Fails when another agent
   already listens there.  */
int listener_open (const char *path, vigil_error_t *err);

void listener_accept (struct agent *a);

/* Accept one connection on listen_fd (nonblocking, CLOEXEC) from root.
   Returns the fd, -1 when none is waiting, -2 when one was rejected.  */
int listener_accept_root (int listen_fd, const char *path);
void listener_client_ready (struct agent *a, struct agent_client *c);

/* Drop connections that have not finished within their deadline.  */
void listener_expire_clients (struct agent *a, uint64_t now_ms);

void listener_client_free (struct agent *a, struct agent_client *c);

/* Handle one complete message: parsed is its tree, or NULL to parse state
   (the JSON text); fds came with it.  Takes the fds.  */
int listener_handle_message (struct agent *a, json_t parsed, const char *state, size_t len, int *fds,
                             unsigned nfds, vigil_error_t *err);

#endif
