/* Decoding socket addresses as a process passes them to bind, connect
   and sendto, and the network entries of a model.  */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "tests/unit/unit.h"

#include "policy/feed.h"
#include "policy/model.h"
#include "policy/netaddr.h"

static void
expect_error (const void *buf, size_t len, int errnum, const char *message)
{
  vigil_error_t err = NULL;
  struct netaddr a;

  assert_int_equal (netaddr_decode (buf, len, &a, &err), -1);
  assert_non_null (err);
  if (strstr (err->msg, message) == NULL)
    fail_msg ("error `%s` does not contain `%s`", err->msg, message);
  assert_int_equal (err->errnum, errnum);
  vigil_error_free (&err);
}

static void
ipv4 (void **state)
{
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons (8080) };
  vigil_error_t err = NULL;
  struct netaddr a;
  char text[128];

  (void) state;
  inet_pton (AF_INET, "10.1.2.3", &sin.sin_addr);
  assert_int_equal (netaddr_decode (&sin, sizeof (sin), &a, &err), 0);
  assert_int_equal (a.family, AF_INET);
  assert_string_equal (a.text, "10.1.2.3");
  assert_int_equal (a.port, 8080);
  assert_false (a.mapped);
  netaddr_format (&a, text, sizeof (text));
  assert_string_equal (text, "10.1.2.3:8080");

  /* The kernel reads 16 bytes; a longer buffer is fine, a shorter one an
     error.  */
  assert_int_equal (netaddr_decode (&sin, sizeof (struct sockaddr_storage), &a, &err), 0);
  expect_error (&sin, sizeof (sin) - 1, EINVAL, "IPv4 socket address of 15 bytes, 16 needed");
  expect_error (&sin, 1, EINVAL, "socket address of 1 bytes has no family");
  expect_error (&sin, 0, EINVAL, "has no family");
  expect_error (&sin, sizeof (struct sockaddr_storage) + 1, EINVAL, "longer than any");

  sin.sin_addr.s_addr = htonl (INADDR_ANY);
  assert_int_equal (netaddr_decode (&sin, sizeof (sin), &a, &err), 0);
  assert_true (netaddr_is_any (&a));
}

static void
ipv6_and_mapped (void **state)
{
  struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons (443) };
  vigil_error_t err = NULL;
  struct netaddr a;
  char text[128];

  (void) state;
  inet_pton (AF_INET6, "2001:db8::1", &sin6.sin6_addr);
  assert_int_equal (netaddr_decode (&sin6, sizeof (sin6), &a, &err), 0);
  assert_int_equal (a.family, AF_INET6);
  assert_string_equal (a.text, "2001:db8::1");
  netaddr_format (&a, text, sizeof (text));
  assert_string_equal (text, "[2001:db8::1]:443");

  /* Without sin6_scope_id (RFC 2133 size) the kernel accepts it too.  */
  assert_int_equal (netaddr_decode (&sin6, 24, &a, &err), 0);
  expect_error (&sin6, 23, EINVAL, "IPv6 socket address of 23 bytes, 24 needed");

  /* ::ffff:127.0.0.1 is 127.0.0.1: one destination, one entry.  */
  inet_pton (AF_INET6, "::ffff:127.0.0.1", &sin6.sin6_addr);
  assert_int_equal (netaddr_decode (&sin6, sizeof (sin6), &a, &err), 0);
  assert_int_equal (a.family, AF_INET);
  assert_true (a.mapped);
  assert_string_equal (a.text, "127.0.0.1");
  assert_int_equal (a.port, 443);

  inet_pton (AF_INET6, "::", &sin6.sin6_addr);
  assert_int_equal (netaddr_decode (&sin6, sizeof (sin6), &a, &err), 0);
  assert_true (netaddr_is_any (&a));
}

static void
unix_names (void **state)
{
  struct sockaddr_un sun = { .sun_family = AF_UNIX };
  const size_t off = offsetof (struct sockaddr_un, sun_path);
  vigil_error_t err = NULL;
  struct netaddr a;
  char text[600];

  (void) state;
  strcpy (sun.sun_path, "/run/app.sock");
  assert_int_equal (netaddr_decode (&sun, sizeof (sun), &a, &err), 0);
  assert_int_equal (a.family, AF_UNIX);
  assert_false (a.abstract);
  assert_string_equal (a.text, "/run/app.sock");
  netaddr_format (&a, text, sizeof (text));
  assert_string_equal (text, "unix:/run/app.sock");

  /* A path without its NUL ends at the length given.  */
  assert_int_equal (netaddr_decode (&sun, off + 4, &a, &err), 0);
  assert_string_equal (a.text, "/run");

  /* Abstract: every byte up to the length is the name, NULs and
     unprintable bytes included, written escaped.  */
  memset (sun.sun_path, 0, sizeof (sun.sun_path));
  memcpy (sun.sun_path, "\0srv\0x\n\\", 8);
  assert_int_equal (netaddr_decode (&sun, off + 8, &a, &err), 0);
  assert_true (a.abstract);
  assert_string_equal (a.text, "@srv\\x00x\\x0a\\x5c");
  netaddr_format (&a, text, sizeof (text));
  assert_string_equal (text, "unix:@srv\\x00x\\x0a\\x5c");

  /* A name of 107 unprintable bytes still fits its text.  */
  memset (sun.sun_path, 0xff, sizeof (sun.sun_path));
  sun.sun_path[0] = '\0';
  assert_int_equal (netaddr_decode (&sun, sizeof (sun), &a, &err), 0);
  assert_int_equal (strlen (a.text), 1 + 4 * (sizeof (sun.sun_path) - 1));

  /* The family alone: unnamed, the kernel picks a name on bind.  */
  assert_int_equal (netaddr_decode (&sun, sizeof (sa_family_t), &a, &err), 0);
  assert_string_equal (a.text, "");
  netaddr_format (&a, text, sizeof (text));
  assert_string_equal (text, "unix:(unnamed)");
}

static void
other_families (void **state)
{
  struct sockaddr_storage ss = { 0 };
  vigil_error_t err = NULL;
  struct netaddr a;
  char text[64];

  (void) state;
  /* AF_UNSPEC dissolves a datagram association: a valid address.  */
  ss.ss_family = AF_UNSPEC;
  assert_int_equal (netaddr_decode (&ss, sizeof (sa_family_t), &a, &err), 0);
  assert_int_equal (a.family, AF_UNSPEC);

  ss.ss_family = AF_NETLINK;
  assert_int_equal (netaddr_decode (&ss, 12, &a, &err), 0);
  assert_int_equal (a.family, AF_NETLINK);
  netaddr_format (&a, text, sizeof (text));
  assert_string_equal (text, "netlink address");

  ss.ss_family = 999;
  expect_error (&ss, sizeof (ss), EAFNOSUPPORT, "unknown socket address family 999");
  ss.ss_family = AF_MAX;
  expect_error (&ss, sizeof (ss), EAFNOSUPPORT, "unknown socket address family");
}

static void
names_and_numbers (void **state)
{
  (void) state;
  assert_string_equal (netaddr_family_name (AF_PACKET), "packet");
  assert_string_equal (netaddr_type_name (SOCK_RAW), "raw");
  assert_string_equal (netaddr_protocol_name (IPPROTO_TCP), "tcp");
  assert_null (netaddr_protocol_name (200));
  assert_int_equal (netaddr_family_parse ("inet6"), AF_INET6);
  assert_int_equal (netaddr_type_parse ("dgram"), SOCK_DGRAM);
  assert_int_equal (netaddr_protocol_parse ("udp"), IPPROTO_UDP);
  assert_int_equal (netaddr_protocol_parse ("200"), 200);
  assert_int_equal (netaddr_protocol_parse ("tcpx"), -1);
  assert_int_equal (netaddr_protocol_parse ("70000"), -1);
}

static struct model *
new_model (void)
{
  struct model_identity id = { .key = (char *) "c/ns/d/img", .image = (char *) "img" };
  vigil_error_t err = NULL;
  struct model *m = NULL;

  assert_int_equal (model_new (&id, 1000, 60000, &m, &err), 0);
  return m;
}

static void
model_network_round_trip (void **state)
{
  struct model *m = new_model (), *back = NULL;
  struct model_net listen_tcp = { .kind = MODEL_NET_LISTEN, .protocol = "tcp", .port = 8080 };
  struct model_net listen_unix = { .kind = MODEL_NET_LISTEN, .protocol = "unix", .address = "/run/a b.sock" };
  struct model_net out = { .kind = MODEL_NET_CONNECT, .protocol = "udp", .port = 53, .address = "10.0.0.2" };
  struct model_net abstract = { .kind = MODEL_NET_CONNECT, .protocol = "unix", .address = "@bus\\x00" };
  struct model_net raw = { .kind = MODEL_NET_SOCKET, .protocol = "packet", .type = "raw", .port = 768 };
  struct model_net other = out;
  vigil_error_t err = NULL;
  char *json = NULL;

  (void) state;
  assert_int_equal (model_add_net (m, &listen_tcp, "learned", 5), 1);
  assert_int_equal (model_add_net (m, &listen_tcp, "learned", 6), 0);
  assert_int_equal (model_add_net (m, &listen_unix, "learned", 5), 1);
  assert_int_equal (model_add_net (m, &out, "learned", 5), 1);
  assert_int_equal (model_add_net (m, &abstract, "learned", 5), 1);
  assert_int_equal (model_add_net (m, &raw, "static", 5), 1);

  assert_true (model_has_net (m, &out));
  other.port = 54;
  assert_false (model_has_net (m, &other));
  other = out;
  snprintf (other.address, sizeof (other.address), "10.0.0.3");
  assert_false (model_has_net (m, &other));
  other = out;
  snprintf (other.protocol, sizeof (other.protocol), "tcp");
  assert_false (model_has_net (m, &other));

  assert_int_equal (model_to_json (m, &json, &err), 0);
  assert_non_null (strstr (json, "\"network\""));
  assert_non_null (strstr (json, "\"path\": \"/run/a b.sock\""));
  assert_non_null (strstr (json, "\"family\": \"packet\""));
  assert_int_equal (model_from_json (json, strlen (json), &back, &err), 0);
  assert_int_equal (back->n_nets, 5);
  assert_true (model_has_net (back, &listen_tcp));
  assert_true (model_has_net (back, &listen_unix));
  assert_true (model_has_net (back, &out));
  assert_true (model_has_net (back, &abstract));
  assert_true (model_has_net (back, &raw));
  free (json);
  model_free (back);
  model_free (m);
}

static void
model_network_bad_entries (void **state)
{
  const char *bad[] = {
    "{\"network\": []}",
    "{\"network\": {\"listen\": {}}}",
    "{\"network\": {\"listen\": [{\"protocol\": \"tcp\"}]}}",
    "{\"network\": {\"listen\": [{\"protocol\": \"tcp\", \"port\": 70000}]}}",
    "{\"network\": {\"connect\": [{\"protocol\": \"tcp\", \"port\": 80}]}}",
    "{\"network\": {\"connect\": [{\"protocol\": \"t cp\", \"address\": \"1.2.3.4\", \"port\": 80}]}}",
    "{\"network\": {\"sockets\": [{\"family\": \"packet\", \"type\": \"raw\", \"protocol\": -1}]}}",
  };
  const char *expected[] = {
    "`network` is not an object",      "`network.listen` is not an array",
    "`network.listen[0]` is not a valid entry", "`network.listen[0]` is not a valid entry",
    "`network.connect[0]` is not a valid entry", "`network.connect[0]` is not a valid entry",
    "`network.sockets[0]` is not a valid entry",
  };
  size_t i;

  (void) state;
  for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      char text[512];
      vigil_error_t err = NULL;
      struct model *m = NULL;

      snprintf (text, sizeof (text),
                "{\"version\": 1, \"key\": \"k\", \"image\": \"i\", \"mode\": \"learning\", %s", bad[i] + 1);
      assert_int_equal (model_from_json (text, strlen (text), &m, &err), -1);
      if (strstr (err->msg, expected[i]) == NULL)
        fail_msg ("case %zu: `%s` does not contain `%s`", i, err->msg, expected[i]);
      vigil_error_free (&err);
    }
}

static void
feed_entries_and_matches (void **state)
{
  const char *text = "# high-risk\n"
                     "203.0.113.7\n"
                     "  198.51.100.0/24   # a network\n"
                     "\n"
                     "10.1.2.3/8\n"
                     "2001:db8::/32\n";
  struct address_feed *f = NULL;
  vigil_error_t err = NULL;
  const struct feed_entry *e;

  (void) state;
  assert_int_equal (address_feed_parse ("feed.txt", text, &f, &err), 0);
  assert_int_equal (f->n, 4);
  e = address_feed_match (f, "203.0.113.7");
  assert_non_null (e);
  assert_int_equal (e->line, 2);
  assert_null (address_feed_match (f, "203.0.113.8"));
  e = address_feed_match (f, "198.51.100.200");
  assert_non_null (e);
  assert_int_equal (e->line, 3);
  assert_null (address_feed_match (f, "198.51.101.1"));
  /* Host bits of a CIDR are ignored: 10.1.2.3/8 is 10.0.0.0/8.  */
  assert_non_null (address_feed_match (f, "10.200.0.1"));
  assert_non_null (address_feed_match (f, "2001:db8:ffff::1"));
  assert_null (address_feed_match (f, "2001:db9::1"));
  assert_null (address_feed_match (f, "/run/a.sock"));
  address_feed_free (f);
}

/* The sample feed the project ships loads.  */
static void
feed_sample (void **state)
{
  struct address_feed *f = NULL;
  vigil_error_t err = NULL;

  (void) state;
  if (address_feed_load (TOP_SRCDIR "/packaging/feeds/high-risk-addresses.txt", &f, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_int_equal (f->n, 3);
  assert_non_null (address_feed_match (f, "192.0.2.77"));
  assert_non_null (address_feed_match (f, "2001:db8:bad::1"));
  address_feed_free (f);
}

static void
feed_errors (void **state)
{
  const char *bad[] = { "1.2.3.4 5.6.7.8\n", "# ok\nexample.com\n", "10.0.0.0/33\n", "::1/129\n", "1.2.3.4/\n" };
  const char *expected[] = {
    "feed.txt:1: expected one address or CIDR a line",
    "feed.txt:2: `example.com` is not an IPv4 or IPv6 address or CIDR",
    "feed.txt:1: `10.0.0.0/33` is not an IPv4 or IPv6 address or CIDR",
    "feed.txt:1: `::1/129` is not an IPv4 or IPv6 address or CIDR",
    "feed.txt:1: `1.2.3.4/` is not an IPv4 or IPv6 address or CIDR",
  };
  size_t i;

  (void) state;
  for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      struct address_feed *f = NULL;
      vigil_error_t err = NULL;

      assert_int_equal (address_feed_parse ("feed.txt", bad[i], &f, &err), -1);
      assert_null (f);
      assert_string_equal (err->msg, expected[i]);
      vigil_error_free (&err);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (ipv4),
    cmocka_unit_test (ipv6_and_mapped),
    cmocka_unit_test (unix_names),
    cmocka_unit_test (other_families),
    cmocka_unit_test (names_and_numbers),
    cmocka_unit_test (model_network_round_trip),
    cmocka_unit_test (model_network_bad_entries),
    cmocka_unit_test (feed_entries_and_matches),
    cmocka_unit_test (feed_errors),
    cmocka_unit_test (feed_sample),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
