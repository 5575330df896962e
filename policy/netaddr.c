#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/netaddr.h"

#ifndef SIN6_LEN_RFC2133
#define SIN6_LEN_RFC2133 24 /* sockaddr_in6 without sin6_scope_id */
#endif

static void
unix_text (const char *path, size_t len, bool abstract, char *out, size_t size)
{
  static const char hex[] = "0123456789abcdef";
  size_t o = 0, i;

  if (abstract && o + 1 < size)
    out[o++] = '@';
  for (i = 0; i < len && o + 4 < size; i++)
    {
      unsigned char ch = (unsigned char) path[i];
      if (ch >= 0x20 && ch < 0x7f && ch != '\\')
        out[o++] = (char) ch;
      else
        {
          out[o++] = '\\';
          out[o++] = 'x';
          out[o++] = hex[ch >> 4];
          out[o++] = hex[ch & 0xf];
        }
    }
  out[o] = '\0';
}

static int
decode_unix (const unsigned char *buf, size_t len, struct netaddr *out)
{
  const size_t off = offsetof (struct sockaddr_un, sun_path);
  const char *path = (const char *) buf + off;
  size_t n = len - off;

  if (len > sizeof (struct sockaddr_un))
    n = sizeof (((struct sockaddr_un *) 0)->sun_path);
  if (n == 0)
    return 0; /* unnamed: the kernel picks an abstract name on bind */
  if (path[0] == '\0')
    {
      /* Every byte up to len is part of an abstract name, NULs included.  */
      out->abstract = true;
      unix_text (path + 1, n - 1, true, out->text, sizeof (out->text));
      return 0;
    }
  /* A path ends at its first NUL or at len.  */
  unix_text (path, strnlen (path, n), false, out->text, sizeof (out->text));
  return 0;
}

int
netaddr_decode (const void *buf, size_t len, struct netaddr *out, vigil_error_t *err)
{
  const unsigned char *b = buf;
  sa_family_t family;

  memset (out, 0, sizeof (*out));
  if (len < sizeof (sa_family_t))
    return vigil_error_set (err, EINVAL, "socket address of %zu bytes has no family", len);
  if (len > sizeof (struct sockaddr_storage))
    return vigil_error_set (err, EINVAL, "socket address of %zu bytes is longer than any (%zu)", len,
                            sizeof (struct sockaddr_storage));
  memcpy (&family, b, sizeof (family));
  out->family = family;

  switch (family)
    {
    case AF_UNSPEC:
      return 0;

    case AF_INET:
      {
        struct sockaddr_in sin;
        if (len < sizeof (sin))
          return vigil_error_set (err, EINVAL, "IPv4 socket address of %zu bytes, %zu needed", len,
                                  sizeof (sin));
        memcpy (&sin, b, sizeof (sin));
        inet_ntop (AF_INET, &sin.sin_addr, out->text, sizeof (out->text));
        out->port = ntohs (sin.sin_port);
        return 0;
      }

    case AF_INET6:
      {
        struct sockaddr_in6 sin6;
        if (len < SIN6_LEN_RFC2133)
          return vigil_error_set (err, EINVAL, "IPv6 socket address of %zu bytes, %d needed", len,
                                  SIN6_LEN_RFC2133);
        memset (&sin6, 0, sizeof (sin6));
        memcpy (&sin6, b, len < sizeof (sin6) ? len : sizeof (sin6));
        out->port = ntohs (sin6.sin6_port);
        if (IN6_IS_ADDR_V4MAPPED (&sin6.sin6_addr))
          {
            /* ::ffff:10.0.0.1 reaches 10.0.0.1: one destination, one entry.  */
            out->family = AF_INET;
            out->mapped = true;
            inet_ntop (AF_INET, &sin6.sin6_addr.s6_addr[12], out->text, sizeof (out->text));
          }
        else
          inet_ntop (AF_INET6, &sin6.sin6_addr, out->text, sizeof (out->text));
        return 0;
      }

    case AF_UNIX:
      return decode_unix (b, len, out);

    default:
      if (family >= AF_MAX)
        return vigil_error_set (err, EAFNOSUPPORT, "unknown socket address family %u", family);
      return 0;
    }
}

void
netaddr_format (const struct netaddr *a, char *buf, size_t size)
{
  const char *name;

  switch (a->family)
    {
    case AF_INET:
      snprintf (buf, size, "%s:%u", a->text, a->port);
      break;
    case AF_INET6:
      snprintf (buf, size, "[%s]:%u", a->text, a->port);
      break;
    case AF_UNIX:
      snprintf (buf, size, "unix:%s", a->text[0] ? a->text : "(unnamed)");
      break;
    default:
      name = netaddr_family_name (a->family);
      if (name != NULL)
        snprintf (buf, size, "%s address", name);
      else
        snprintf (buf, size, "family %d address", a->family);
      break;
    }
}

bool
netaddr_is_any (const struct netaddr *a)
{
  return (a->family == AF_INET && strcmp (a->text, "0.0.0.0") == 0)
         || (a->family == AF_INET6 && strcmp (a->text, "::") == 0);
}

struct name_number
{
  const char *name;
  int number;
};

static const struct name_number families[] = {
  { "unspec", AF_UNSPEC }, { "unix", AF_UNIX },         { "inet", AF_INET },
  { "inet6", AF_INET6 },   { "netlink", AF_NETLINK },   { "packet", AF_PACKET },
  { "vsock", AF_VSOCK },   { "bluetooth", AF_BLUETOOTH }, { "can", AF_CAN },
  { "xdp", AF_XDP },       { "alg", AF_ALG },           { NULL, 0 },
};

static const struct name_number types[] = {
  { "stream", SOCK_STREAM }, { "dgram", SOCK_DGRAM },   { "raw", SOCK_RAW },
  { "rdm", SOCK_RDM },       { "seqpacket", SOCK_SEQPACKET }, { "dccp", SOCK_DCCP },
  { "packet", SOCK_PACKET }, { NULL, 0 },
};

static const struct name_number protocols[] = {
  { "ip", IPPROTO_IP },     { "icmp", IPPROTO_ICMP }, { "igmp", IPPROTO_IGMP },
  { "tcp", IPPROTO_TCP },   { "udp", IPPROTO_UDP },   { "ipv6", IPPROTO_IPV6 },
  { "gre", IPPROTO_GRE },   { "icmpv6", IPPROTO_ICMPV6 }, { "sctp", IPPROTO_SCTP },
  { "udplite", IPPROTO_UDPLITE }, { "mptcp", 262 }, { "raw", IPPROTO_RAW },
  { NULL, 0 },
};

static const char *
name_of (const struct name_number *table, int number)
{
  for (; table->name != NULL; table++)
    if (table->number == number)
      return table->name;
  return NULL;
}

static int
number_of (const struct name_number *table, const char *name)
{
  char *end;
  long v;

  for (; table->name != NULL; table++)
    if (strcmp (table->name, name) == 0)
      return table->number;
  if (name[0] < '0' || name[0] > '9')
    return -1;
  errno = 0;
  v = strtol (name, &end, 10);
  if (errno != 0 || *end != '\0' || v < 0 || v > 65535)
    return -1;
  return (int) v;
}

const char *
netaddr_family_name (int family)
{
  return name_of (families, family);
}

const char *
netaddr_type_name (int type)
{
  return name_of (types, type);
}

const char *
netaddr_protocol_name (int protocol)
{
  return name_of (protocols, protocol);
}

int
netaddr_family_parse (const char *name)
{
  return number_of (families, name);
}

int
netaddr_type_parse (const char *name)
{
  return number_of (types, name);
}

int
netaddr_protocol_parse (const char *name)
{
  return number_of (protocols, name);
}
