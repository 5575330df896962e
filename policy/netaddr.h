/* Socket addresses for the network sensor: decoded from the bytes
   a process passed to bind, connect or sendto, and written as the text the
   model and the alerts hold.  */
#ifndef VIGIL_NETADDR_H
#define VIGIL_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common/error.h"

/* Longest unix socket name as text: every byte of sun_path escaped as
   \xHH, an '@' for abstract names and the NUL.  */
#define NETADDR_UNIX_TEXT_MAX (4 * sizeof (((struct sockaddr_un *) 0)->sun_path) + 2)

struct netaddr
{
  int family;      /* AF_INET, AF_INET6, AF_UNIX, AF_UNSPEC or another AF_* */
  /* AF_INET and AF_INET6: the address as text, a v4-mapped IPv6 address in
     its IPv4 form (with family AF_INET and mapped set).  AF_UNIX: the path,
     "@name" for an abstract name (bytes outside printable ASCII, and '\',
     as \xHH), "" for an unnamed (autobind) address.  */
  char text[NETADDR_UNIX_TEXT_MAX];
  unsigned port;   /* AF_INET and AF_INET6 */
  bool mapped;     /* an IPv4 address given as ::ffff:a.b.c.d */
  bool abstract;   /* AF_UNIX abstract name */
};

/* Decode len bytes of a struct sockaddr as the kernel would read them
   from a process.  Families other than AF_INET, AF_INET6 and AF_UNIX are
   decoded to their number only.  Errors (with the reason in err): fewer
   bytes than the family needs, more than a sockaddr_storage, a family
   number the kernel does not have.  */
int netaddr_decode (const void *buf, size_t len, struct netaddr *out, vigil_error_t *err);

/* "127.0.0.1:80", "[::1]:80", "unix:/run/a.sock", "unix:@name".  */
void netaddr_format (const struct netaddr *a, char *buf, size_t size);

/* Whether the address is a wildcard or unspecified one ("0.0.0.0", "::").  */
bool netaddr_is_any (const struct netaddr *a);

/* The name of a socket family, type or IP protocol as the model writes it
   ("inet", "packet"; "stream", "raw"; "tcp", "icmp"), or NULL for a number
   without one.  */
const char *netaddr_family_name (int family);
const char *netaddr_type_name (int type);
const char *netaddr_protocol_name (int protocol);

/* The inverse of the three above, also accepting a decimal number.
   Returns -1 for an unknown name.  */
int netaddr_family_parse (const char *name);
int netaddr_type_parse (const char *name);
int netaddr_protocol_parse (const char *name);

#endif
