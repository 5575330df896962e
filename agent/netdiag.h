/* The listening sockets of a container's network namespace and the
   processes holding them, read through netlink socket diagnostics
   (NETLINK_SOCK_DIAG, inet_diag) inside that namespace.  */
#ifndef VIGIL_NETDIAG_H
#define VIGIL_NETDIAG_H

#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

struct netdiag_socket
{
  int protocol;          /* IPPROTO_TCP or IPPROTO_UDP */
  int family;            /* AF_INET or AF_INET6 */
  char address[64];      /* local address as text ("0.0.0.0", "::", "127.0.0.1"); a v4-mapped v6 address written as its IPv4 form */
  unsigned port;         /* local port */
  unsigned long inode;   /* socket inode */
  pid_t pid;             /* a process holding it, 0 when none was found among pids */
  char comm[16];         /* that process's /proc/PID/comm, "" when pid is 0 */
};

/* List the TCP sockets in LISTEN state and the UDP sockets bound to a local
   port (unconnected) in the network namespace of process pid, IPv4 and IPv6.
   Owners are looked up among the processes whose /proc/N/ns/net is the same
   namespace; when several hold a socket, pid is the lowest of them.  The
   entries are sorted by protocol, family, port and address.  *out is
   malloc'd (free with free()), *n its length; *out is NULL when *n is 0.
   Needs CAP_SYS_ADMIN to enter the namespace, and the calling thread never
   changes namespace.  */
int netdiag_listening (pid_t pid, struct netdiag_socket **out, size_t *n, vigil_error_t *err);

#endif
