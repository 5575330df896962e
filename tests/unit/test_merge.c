/* Merging notify rules into the seccomp profiles that engines write.  */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <unistd.h>

#include "tests/unit/unit.h"

#include "common/fileutil.h"
#include "common/vconfig.h"
#include "common/json.h"
#include "seccomp/profile_merge.h"
#include "shim/bundle.h"

#define LISTENER "/run/vigil/vigild.sock"

static json_t
load_fixture (const char *name)
{
  char *path = NULL, *text = NULL;
  size_t len;
  vigil_error_t err = NULL;
  json_t v = NULL;

  assert_true (asprintf (&path, "%s/%s", FIXTURES_DIR, name) > 0);
  if (read_file (path, 1 << 20, &text, &len, &err) < 0)
    fail_msg ("fixture missing: %s (set FIXTURES_DIR)", err->msg);
  assert_int_equal (json_parse (text, len, &v, &err), 0);
  free (path);
  free (text);
  return v;
}

static json_t
parse_text (const char *text)
{
  vigil_error_t err = NULL;
  json_t v = NULL;

  assert_int_equal (json_parse (text, strlen (text), &v, &err), 0);
  return v;
}

static json_t
seccomp_of (json_t config)
{
  return json_get (json_get (config, "linux"), "seccomp");
}

static bool
is_watched (const char *name)
{
  return strcmp (name, "execve") == 0 || strcmp (name, "execveat") == 0 || strcmp (name, "open") == 0
         || strcmp (name, "openat") == 0 || strcmp (name, "creat") == 0 || strcmp (name, "openat2") == 0
         || strcmp (name, "bind") == 0 || strcmp (name, "listen") == 0 || strcmp (name, "connect") == 0
         || strcmp (name, "sendto") == 0 || strcmp (name, "socket") == 0;
}

static bool
rule_names_contain (json_t rule, const char *name)
{
  json_t names = json_get (rule, "names");
  size_t i;

  for (i = 0; names != NULL && i < names->u.array.len; i++)
    if (strcmp (names->u.array.values[i]->u.string, name) == 0)
      return true;
  return false;
}

/* Whether rules hold a rule for name with action and the one argument
   condition (flags index, "value" mask, "valueTwo" value, masked equal).  */
static bool
has_flag_rule (json_t rules, const char *name, const char *action, uint64_t index, uint64_t mask,
               uint64_t value)
{
  size_t i;

  for (i = 0; i < rules->u.array.len; i++)
    {
      json_t r = rules->u.array.values[i];
      json_t args = json_get (r, "args");
      json_t a;

      if (strcmp (json_get_string (r, "action"), action) != 0 || !rule_names_contain (r, name)
          || args == NULL || args->u.array.len != 1)
        continue;
      a = args->u.array.values[0];
      if (json_get_uint (a, "index", 99) == index && json_get_uint (a, "value", 0) == mask
          && json_get_uint (a, "valueTwo", 99) == value
          && strcmp (json_get_string (a, "op"), "SCMP_CMP_MASKED_EQ") == 0)
        return true;
    }
  return false;
}

static char *generate (json_t v);

/* Rules of action for name whose conditions, written as JSON, are args.  */
static size_t
count_rules (json_t rules, const char *name, const char *action, const char *args)
{
  size_t i, n = 0;

  for (i = 0; i < rules->u.array.len; i++)
    {
      json_t r = rules->u.array.values[i];
      char *text;

      if (strcmp (json_get_string (r, "action"), action) != 0 || !rule_names_contain (r, name))
        continue;
      text = generate (json_get (r, "args"));
      if (args == NULL || strcmp (text, args) == 0)
        n++;
      free (text);
    }
  return n;
}

#define ARG(i, op, v, v2) "{\"index\":" #i ",\"value\":" #v ",\"valueTwo\":" #v2 ",\"op\":\"SCMP_CMP_" #op "\"}"
#define RAW_TYPE ARG (1, MASKED_EQ, 15, 3)
#define PACKET_TYPE ARG (1, MASKED_EQ, 15, 10)
#define DGRAM_TYPE ARG (1, MASKED_EQ, 15, 2)

/* sendto notifies only with a destination address; socket, when the
   process may hold CAP_NET_RAW (raw), only for packet and raw sockets.
   With allow_too, the profile allowed them and the rest stays allowed.  */
static void
assert_network_rules (json_t rules, bool allow_too, bool raw)
{
  assert_int_equal (count_rules (rules, "sendto", "SCMP_ACT_NOTIFY", "[" ARG (4, NE, 0, 0) "]"), 1);
  assert_int_equal (count_rules (rules, "sendto", "SCMP_ACT_ALLOW", "[" ARG (4, EQ, 0, 0) "]"),
                    allow_too ? 1 : 0);
  if (!raw)
    {
      assert_int_equal (count_rules (rules, "socket", "SCMP_ACT_NOTIFY", NULL), 0);
      return;
    }
  if (allow_too)
    {
      /* podman's profile allows socket() under conditions of its own
         (not an audit netlink socket); each rule keeps one of them.  */
      assert_int_equal (count_rules (rules, "socket", "SCMP_ACT_NOTIFY", "[" ARG (0, NE, 16, 0) "," RAW_TYPE "]"), 1);
      /* podman lists the second one twice: the rules made of it, once.  */
      assert_int_equal (count_rules (rules, "socket", "SCMP_ACT_NOTIFY", "[" RAW_TYPE "," ARG (2, NE, 9, 0) "]"), 1);
      assert_int_equal (count_rules (rules, "socket", "SCMP_ACT_NOTIFY", "[" ARG (0, NE, 16, 0) "," PACKET_TYPE "]"), 1);
      /* AF_PACKET (17) is not AF_NETLINK (16): that condition is implied.
         The family is compared on its lower 32 bits, as the kernel reads
         it.  */
      assert_int_equal (count_rules (rules, "socket", "SCMP_ACT_NOTIFY", "[" ARG (0, MASKED_EQ, 4294967295, 17) "," DGRAM_TYPE "]"), 1);
      /* Datagram sockets of families other than 16 and 17.  */
      assert_int_equal (count_rules (rules, "socket", "SCMP_ACT_ALLOW", "[" ARG (0, LT, 16, 0) "," DGRAM_TYPE "]"), 1);
      assert_int_equal (count_rules (rules, "socket", "SCMP_ACT_ALLOW", "[" ARG (0, GT, 17, 0) "," DGRAM_TYPE "]"), 1);
      assert_int_equal (count_rules (rules, "socket", "SCMP_ACT_NOTIFY", NULL), 6);
      /* Four plain types and datagram sockets (split in two ranges for
         the second condition), per distinct condition.  */
      assert_int_equal (count_rules (rules, "socket", "SCMP_ACT_ALLOW", NULL), 11);
      return;
    }
  assert_int_equal (count_rules (rules, "socket", "SCMP_ACT_NOTIFY", "[" RAW_TYPE "]"), 1);
  assert_int_equal (count_rules (rules, "socket", "SCMP_ACT_NOTIFY", "[" PACKET_TYPE "]"), 1);
  assert_int_equal (count_rules (rules, "socket", "SCMP_ACT_NOTIFY", "[" ARG (0, MASKED_EQ, 4294967295, 17) "," DGRAM_TYPE "]"), 1);
  assert_int_equal (count_rules (rules, "socket", "SCMP_ACT_ALLOW", NULL), 0);
}

/* open-like syscalls notify for each write flag, so that reads never
   reach the agent; with allow_too, every other open is allowed.  */
static void
assert_write_rules (json_t rules, const char *name, uint64_t index, bool allow_too)
{
  const uint64_t flags[] = { 1, 2, 0100, 01000 }; /* O_WRONLY O_RDWR O_CREAT O_TRUNC */
  size_t i;

  for (i = 0; i < 4; i++)
    if (!has_flag_rule (rules, name, "SCMP_ACT_NOTIFY", index, flags[i], flags[i]))
      fail_msg ("%s: no notify rule for flag 0%llo", name, (unsigned long long) flags[i]);
  if (has_flag_rule (rules, name, "SCMP_ACT_ALLOW", index, 01103, 0) != allow_too)
    fail_msg ("%s: allow rule for opens without write flags %s", name, allow_too ? "missing" : "unexpected");
}


static char *
generate (json_t v)
{
  vigil_error_t err = NULL;
  char *out = NULL;

  if (v == NULL)
    return strdup ("null");
  assert_int_equal (json_generate (v, false, &out, NULL, &err), 0);
  return out;
}

/* The rule of after that keeps the non-watched names of before: same
   action, errno and argument conditions, same names minus the watched
   ones.  */
static void
assert_rule_kept (json_t before, json_t after_rules)
{
  json_t names = json_get (before, "names");
  char *args_before = generate (json_get (before, "args"));
  char *errno_before = generate (json_get (before, "errnoRet"));
  const char *action = json_get_string (before, "action");
  size_t i, j, kept = 0;
  bool found = false;

  for (i = 0; i < names->u.array.len; i++)
    if (!is_watched (names->u.array.values[i]->u.string))
      kept++;
  if (kept == 0)
    {
      free (args_before);
      free (errno_before);
      return;
    }

  for (j = 0; j < after_rules->u.array.len && !found; j++)
    {
      json_t r = after_rules->u.array.values[j];
      json_t rnames = json_get (r, "names");
      char *args_after, *errno_after;
      bool all = true;

      if (strcmp (json_get_string (r, "action"), action) != 0 || rnames->u.array.len != kept)
        continue;
      for (i = 0; i < names->u.array.len && all; i++)
        {
          const char *n = names->u.array.values[i]->u.string;
          if (!is_watched (n) && !rule_names_contain (r, n))
            all = false;
        }
      args_after = generate (json_get (r, "args"));
      errno_after = generate (json_get (r, "errnoRet"));
      found = all && strcmp (args_before, args_after) == 0 && strcmp (errno_before, errno_after) == 0;
      free (args_after);
      free (errno_after);
    }
  if (!found)
    fail_msg ("rule with action %s and %zu names was not kept", action, kept);
  free (args_before);
  free (errno_before);
}

static void
assert_notifies (json_t rules, const char *name)
{
  size_t i;

  for (i = 0; i < rules->u.array.len; i++)
    {
      json_t r = rules->u.array.values[i];
      if (strcmp (json_get_string (r, "action"), "SCMP_ACT_NOTIFY") == 0 && rule_names_contain (r, name))
        {
          assert_null (json_get (r, "args"));
          return;
        }
    }
  fail_msg ("no SCMP_ACT_NOTIFY rule for %s", name);
}

static void
assert_not_allowed_elsewhere (json_t rules, const char *name)
{
  size_t i;

  for (i = 0; i < rules->u.array.len; i++)
    {
      json_t r = rules->u.array.values[i];
      if (strcmp (json_get_string (r, "action"), "SCMP_ACT_ALLOW") == 0 && rule_names_contain (r, name))
        fail_msg ("%s is still in an SCMP_ACT_ALLOW rule", name);
    }
}

/* podman's default profile: an allow-list with argument conditions; the
   merge moves execve and execveat into notify rules and keeps the rest.  */
static void
podman_default_profile (void **state)
{
  json_t original = load_fixture ("podman-4.3-runc-default-seccomp.json");
  json_t config = load_fixture ("podman-4.3-runc-default-seccomp.json");
  vigil_error_t err = NULL;
  json_t before, after, before_rules, after_rules;
  char *a, *b;
  size_t i;

  (void) state;
  assert_int_equal (profile_merge (config, LISTENER, "{\"key\":\"k\"}", &err), SECCOMP_MERGED);
  before = seccomp_of (original);
  after = seccomp_of (config);

  assert_string_equal (json_get_string (after, "defaultAction"), "SCMP_ACT_ERRNO");
  a = generate (json_get (before, "defaultErrnoRet"));
  b = generate (json_get (after, "defaultErrnoRet"));
  assert_string_equal (a, "38");
  assert_string_equal (a, b);
  free (a);
  free (b);
  a = generate (json_get (before, "architectures"));
  b = generate (json_get (after, "architectures"));
  assert_string_equal (a, b);
  free (a);
  free (b);
  a = generate (json_get (before, "flags"));
  b = generate (json_get (after, "flags"));
  assert_string_equal (a, b);
  free (a);
  free (b);
  assert_string_equal (json_get_string (after, "listenerPath"), LISTENER);
  assert_string_equal (json_get_string (after, "listenerMetadata"), "{\"key\":\"k\"}");

  before_rules = json_get (before, "syscalls");
  after_rules = json_get (after, "syscalls");
  for (i = 0; i < before_rules->u.array.len; i++)
    assert_rule_kept (before_rules->u.array.values[i], after_rules);
  assert_notifies (after_rules, "execve");
  assert_notifies (after_rules, "execveat");
  assert_notifies (after_rules, "creat");
  assert_notifies (after_rules, "openat2");
  assert_write_rules (after_rules, "open", 1, true);
  assert_write_rules (after_rules, "openat", 2, true);
  assert_notifies (after_rules, "bind");
  assert_notifies (after_rules, "listen");
  assert_notifies (after_rules, "connect");
  /* podman drops CAP_NET_RAW: its socket() rules stay as they are.  */
  assert_network_rules (after_rules, true, false);
  assert_int_equal (count_rules (after_rules, "socket", "SCMP_ACT_ALLOW", NULL), 3);
  assert_not_allowed_elsewhere (after_rules, "execve");
  assert_not_allowed_elsewhere (after_rules, "execveat");
  assert_not_allowed_elsewhere (after_rules, "connect");
  /* The original rules, one notify rule for the unconditional names, four
     notify rules and one allow rule for each of open and openat, and two
     for sendto.  */
  assert_int_equal (after_rules->u.array.len, before_rules->u.array.len + 1 + 10 + 2);

  /* The rest of config.json is untouched.  */
  json_object_remove (json_get (original, "linux"), "seccomp");
  json_object_remove (json_get (config, "linux"), "seccomp");
  a = generate (original);
  b = generate (config);
  assert_string_equal (a, b);
  free (a);
  free (b);
  yajl_tree_free (original);
  yajl_tree_free (config);
}

static void assert_compiles (json_t seccomp);

/* podman's profile for a process that may hold CAP_NET_RAW: socket()
   notifies for raw and packet sockets, under podman's own conditions.  */
static void
podman_profile_with_net_raw (void **state)
{
  json_t config = load_fixture ("podman-4.3-runc-default-seccomp.json");
  json_t bounding = json_get (json_get (json_get (config, "process"), "capabilities"), "bounding");
  vigil_error_t err = NULL;
  json_t rules;
  size_t before;

  (void) state;
  assert_non_null (bounding);
  assert_int_equal (json_array_append (bounding, json_new_string ("CAP_NET_RAW")), 0);
  before = json_get (seccomp_of (config), "syscalls")->u.array.len;
  assert_int_equal (profile_merge (config, LISTENER, "{\"key\":\"k\"}", &err), SECCOMP_MERGED);
  rules = json_get (seccomp_of (config), "syscalls");
  assert_network_rules (rules, true, true);
  /* The original rules less podman's three socket rules, one notify rule
     for the unconditional names, four notify rules and one allow rule for
     each of open and openat, two for sendto, 17 for socket.  */
  assert_int_equal (rules->u.array.len, before - 3 + 1 + 10 + 2 + 17);
  assert_compiles (seccomp_of (config));
  yajl_tree_free (config);
}

static void
assert_added_profile (json_t config, bool raw)
{
  json_t s = seccomp_of (config);
  json_t arches = json_get (s, "architectures");
  json_t rules = json_get (s, "syscalls");

  assert_non_null (s);
  assert_string_equal (json_get_string (s, "defaultAction"), "SCMP_ACT_ALLOW");
#if defined(__x86_64__)
  assert_int_equal (arches->u.array.len, 3);
  assert_string_equal (arches->u.array.values[0]->u.string, "SCMP_ARCH_X86_64");
  assert_string_equal (arches->u.array.values[1]->u.string, "SCMP_ARCH_X86");
  assert_string_equal (arches->u.array.values[2]->u.string, "SCMP_ARCH_X32");
#else
  assert_true (arches->u.array.len >= 1);
#endif
  /* One rule for each of the seven unconditional names, four each for
     open and openat, one for sendto, three for socket when raw.  */
  assert_int_equal (rules->u.array.len, raw ? 19 : 16);
  assert_network_rules (rules, false, raw);
  assert_notifies (rules, "connect");
  assert_notifies (rules, "execve");
  assert_notifies (rules, "execveat");
  assert_notifies (rules, "creat");
  assert_notifies (rules, "openat2");
  /* The default action allows every other open.  */
  assert_write_rules (rules, "open", 1, false);
  assert_write_rules (rules, "openat", 2, false);
  assert_string_equal (json_get_string (s, "listenerPath"), LISTENER);
}

/* ctr run and runc spec write no seccomp profile: one that allows
   everything else is added.  */
static void
no_profile_fixtures (void **state)
{
  const char *names[] = { "containerd-1.6-ctr-run.json", "runc-1.1-spec-default.json" };
  size_t i;

  (void) state;
  for (i = 0; i < 2; i++)
    {
      json_t config = load_fixture (names[i]);
      vigil_error_t err = NULL;

      assert_int_equal (profile_merge (config, LISTENER, "{}", &err), SECCOMP_MERGED);
      /* ctr run's process may hold CAP_NET_RAW, runc spec's may not.  */
      assert_added_profile (config, i == 0);
      yajl_tree_free (config);
    }
}

static void
foreign_listener_rejected (void **state)
{
  json_t config = load_fixture ("runc-1.1-spec-with-listener.json");
  json_t rules_before = json_copy (json_get (seccomp_of (config), "syscalls"));
  vigil_error_t err = NULL;
  char *a, *b;

  (void) state;
  assert_int_equal (profile_merge (config, LISTENER, "{}", &err), -1);
  assert_non_null (strstr (err->msg, "/run/vigil/notify.sock"));
  assert_non_null (strstr (err->msg, "listenerPath"));
  a = generate (rules_before);
  b = generate (json_get (seccomp_of (config), "syscalls"));
  assert_string_equal (a, b);
  free (a);
  free (b);
  vigil_error_free (&err);
  yajl_tree_free (rules_before);
  yajl_tree_free (config);
}

static void
own_listener_left_alone (void **state)
{
  json_t config = load_fixture ("runc-1.1-spec-default.json");
  vigil_error_t err = NULL;
  char *once, *twice;

  (void) state;
  assert_int_equal (profile_merge (config, LISTENER, "{}", &err), SECCOMP_MERGED);
  once = generate (config);
  assert_int_equal (profile_merge (config, LISTENER, "{}", &err), SECCOMP_ALREADY_MERGED);
  twice = generate (config);
  assert_string_equal (once, twice);
  free (once);
  free (twice);
  yajl_tree_free (config);
}

#define VIGIL_METADATA "{\"version\":1,\"key\":\"-/-/-/img\",\"image\":\"img\",\"source\":\"image from annotation vigil.image\"}"

/* A bundle merged before, for an agent now on another socket: the
   listener and metadata follow, the rules stay.  */
static void
remerge_moves_listener (void **state)
{
  json_t config = load_fixture ("podman-4.3-runc-default-seccomp.json");
  vigil_error_t err = NULL;
  char *rules_once, *rules_twice;

  (void) state;
  assert_int_equal (profile_merge (config, LISTENER, VIGIL_METADATA, &err), SECCOMP_MERGED);
  assert_true (profile_merged_by_vigil (config));
  rules_once = generate (json_get (seccomp_of (config), "syscalls"));
  assert_int_equal (profile_merge (config, "/run/vigil2/vigild.sock", "{\"version\":1,\"key\":\"k2\",\"source\":\"s\"}", &err),
                    SECCOMP_ALREADY_MERGED);
  rules_twice = generate (json_get (seccomp_of (config), "syscalls"));
  assert_string_equal (rules_once, rules_twice);
  assert_string_equal (json_get_string (seccomp_of (config), "listenerPath"), "/run/vigil2/vigild.sock");
  assert_non_null (strstr (json_get_string (seccomp_of (config), "listenerMetadata"), "k2"));
  free (rules_once);
  free (rules_twice);
  yajl_tree_free (config);
}

/* Undoing a merge: no listener, and every watched syscall that was
   allowed is allowed again.  */
static void
unmerge_restores_allow (void **state)
{
  const char *names[] = { "podman-4.3-runc-default-seccomp.json", "containerd-1.6-ctr-run.json" };
  size_t i, j;

  (void) state;
  for (i = 0; i < 2; i++)
    {
      json_t config = load_fixture (names[i]);
      vigil_error_t err = NULL;
      json_t rules;

      assert_int_equal (profile_merge (config, LISTENER, VIGIL_METADATA, &err), SECCOMP_MERGED);
      assert_int_equal (profile_unmerge (config, &err), 1);
      assert_null (json_get (seccomp_of (config), "listenerPath"));
      assert_null (json_get (seccomp_of (config), "listenerMetadata"));
      assert_false (profile_merged_by_vigil (config));
      rules = json_get (seccomp_of (config), "syscalls");
      for (j = 0; j < rules->u.array.len; j++)
        assert_string_not_equal (json_get_string (rules->u.array.values[j], "action"), "SCMP_ACT_NOTIFY");
      assert_int_equal (profile_unmerge (config, &err), 0);
      yajl_tree_free (config);
    }
}

/* Another agent's listener is never touched.  */
static void
unmerge_leaves_foreign_listener (void **state)
{
  json_t config = load_fixture ("runc-1.1-spec-with-listener.json");
  vigil_error_t err = NULL;
  char *before = generate (config), *after;

  (void) state;
  assert_false (profile_merged_by_vigil (config));
  assert_int_equal (profile_unmerge (config, &err), 0);
  after = generate (config);
  assert_string_equal (before, after);
  free (before);
  free (after);
  yajl_tree_free (config);
}

/* A conditional allow of execve becomes a conditional notify; a denial
   stays a denial and is never notified.  */
static void
conditions_and_denials (void **state)
{
  json_t config = parse_text (
      "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
      "{\"names\":[\"execveat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1},"
      "{\"names\":[\"execve\",\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\","
      "\"args\":[{\"index\":2,\"value\":0,\"op\":\"SCMP_CMP_NE\"}]}]}}}");
  vigil_error_t err = NULL;
  json_t rules;
  char *text;

  (void) state;
  assert_int_equal (profile_merge (config, LISTENER, "{}", &err), SECCOMP_MERGED);
  rules = json_get (seccomp_of (config), "syscalls");
  text = generate (rules);
  /* The first four rules; open-like syscalls follow, checked elsewhere.  */
  if (strncmp (text,
               "[{\"names\":[\"execveat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1},"
               "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\","
               "\"args\":[{\"index\":2,\"value\":0,\"op\":\"SCMP_CMP_NE\"}]},"
               "{\"names\":[\"execve\"],\"action\":\"SCMP_ACT_NOTIFY\","
               "\"args\":[{\"index\":2,\"value\":0,\"op\":\"SCMP_CMP_NE\"}]},"
               "{\"names\":[\"execve\"],\"action\":\"SCMP_ACT_NOTIFY\"},",
               strlen ("[{\"names\":[\"execveat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1},"
                       "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\","
                       "\"args\":[{\"index\":2,\"value\":0,\"op\":\"SCMP_CMP_NE\"}]},"
                       "{\"names\":[\"execve\"],\"action\":\"SCMP_ACT_NOTIFY\","
                       "\"args\":[{\"index\":2,\"value\":0,\"op\":\"SCMP_CMP_NE\"}]},"
                       "{\"names\":[\"execve\"],\"action\":\"SCMP_ACT_NOTIFY\"},"))
      != 0)
    fail_msg ("unexpected rules: %s", text);
  free (text);
  yajl_tree_free (config);
}

/* With a deny-by-default profile that does not list execve, exec is
   denied by the runtime and nothing is notified.  */
static void
deny_default_without_exec (void **state)
{
  json_t config = parse_text ("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\","
                              "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}}}");
  vigil_error_t err = NULL;
  char *text;

  (void) state;
  assert_int_equal (profile_merge (config, LISTENER, "{}", &err), SECCOMP_MERGED);
  text = generate (json_get (seccomp_of (config), "syscalls"));
  assert_string_equal (text, "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]");
  free (text);
  yajl_tree_free (config);
}

static void
malformed_profiles (void **state)
{
  const char *bad[] = {
    "[]",
    "{\"linux\":[]}",
    "{\"linux\":{\"seccomp\":\"x\"}}",
    "{\"linux\":{\"seccomp\":{\"syscalls\":[]}}}",
    "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}}}",
    "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[1]}}}",
  };
  const char *expected[] = {
    "not a JSON object", "not an object", "not an object", "defaultAction is missing",
    "not an array", "syscalls[0] is not an object",
  };
  size_t i;

  (void) state;
  for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      json_t config = parse_text (bad[i]);
      vigil_error_t err = NULL;

      assert_int_equal (profile_merge (config, LISTENER, "{}", &err), -1);
      if (strstr (err->msg, expected[i]) == NULL)
        fail_msg ("case %zu: message `%s` lacks `%s`", i, err->msg, expected[i]);
      vigil_error_free (&err);
      yajl_tree_free (config);
    }
}

/* The wrapper's full rewrite rejects text that is not JSON with the
   parser's reason.  */
static void
test_config (struct vigil_config *cfg)
{
  vigil_error_t err = NULL;

  assert_int_equal (vigil_config_load (cfg, "/nonexistent", true, &err), 0);
  assert_int_equal (vigil_config_apply_line (cfg, "listener_socket = " LISTENER, &err), 0);
  assert_int_equal (vigil_config_apply_line (cfg, "cluster_name = eu-1", &err), 0);
}

static void
rewrite_invalid_json (void **state)
{
  struct vigil_config cfg;
  vigil_error_t err = NULL;
  char *out = NULL;

  (void) state;
  test_config (&cfg);
  assert_int_equal (bundle_rewrite_config ("{\"ociVersion\": ", 15, "/b", "c", &cfg, &out, &err), -1);
  assert_non_null (strstr (err->msg, "invalid JSON"));
  assert_null (out);
  vigil_error_free (&err);
  vigil_config_free (&cfg);
}

/* The rewrite carries the model key, the container identity and the
   statically found executables in listenerMetadata.  */
static void
rewrite_sets_metadata (void **state)
{
  char *dir = make_temp_dir ();
  char *rootfs = NULL, *bin = NULL, *script = NULL, *text = NULL;
  struct vigil_config cfg;
  vigil_error_t err = NULL;
  char *out = NULL;
  json_t config, meta, statics;
  const char *m;

  (void) state;
  test_config (&cfg);
  /* rootfs/bin/sh -> busybox, and rootfs/app/run.sh starting "#!/bin/sh -e".  */
  assert_true (asprintf (&rootfs, "%s/rootfs", dir) > 0);
  assert_true (asprintf (&bin, "mkdir -p %s/bin %s/app && touch %s/bin/busybox && ln -s busybox %s/bin/sh",
                         rootfs, rootfs, rootfs, rootfs) > 0);
  assert_int_equal (system (bin), 0);
  assert_true (asprintf (&script, "%s/app/run.sh", rootfs) > 0);
  write_text (script, "#!/bin/sh -e\necho hi\n");
  assert_true (asprintf (&text, "{\"root\":{\"path\":\"rootfs\"},\"process\":{\"args\":[\"run.sh\"],"
                                "\"env\":[\"PATH=/nothing:/app\"],\"cwd\":\"/\"},"
                                "\"annotations\":{\"vigil.image\":\"sha256:ab\",\"vigil.namespace\":\"shop\","
                                "\"io.kubernetes.cri.sandbox-name\":\"api-7d4b9c5f6-x2x9z\"}}")
               > 0);

  assert_int_equal (bundle_rewrite_config (text, strlen (text), dir, "c1", &cfg, &out, &err), 0);
  config = parse_text (out);
  m = json_get_string (seccomp_of (config), "listenerMetadata");
  assert_non_null (m);
  meta = parse_text (m);
  assert_string_equal (json_get_string (meta, "key"), "eu-1/shop/api/sha256:ab");
  assert_string_equal (json_get_string (meta, "cluster"), "eu-1");
  assert_string_equal (json_get_string (meta, "deployment"), "api");
  assert_string_equal (json_get_string (meta, "pod"), "api-7d4b9c5f6-x2x9z");
  assert_string_equal (json_get_string (meta, "container_id"), "c1");
  assert_non_null (strstr (json_get_string (meta, "source"), "image from annotation vigil.image"));
  statics = json_get (meta, "static");
  assert_non_null (statics);
  assert_int_equal (statics->u.array.len, 2);
  assert_string_equal (statics->u.array.values[0]->u.string, "/app/run.sh");
  assert_string_equal (statics->u.array.values[1]->u.string, "/bin/sh");

  yajl_tree_free (meta);
  yajl_tree_free (config);
  free (out);
  free (text);
  free (script);
  free (bin);
  free (rootfs);
  remove_tree (dir);
  free (dir);
  vigil_config_free (&cfg);
}

static uint32_t
scmp_action (const char *name, json_t rule)
{
  if (strcmp (name, "SCMP_ACT_ALLOW") == 0)
    return SCMP_ACT_ALLOW;
  if (strcmp (name, "SCMP_ACT_NOTIFY") == 0)
    return SCMP_ACT_NOTIFY;
  if (strcmp (name, "SCMP_ACT_LOG") == 0)
    return SCMP_ACT_LOG;
  if (strcmp (name, "SCMP_ACT_KILL") == 0 || strcmp (name, "SCMP_ACT_KILL_THREAD") == 0)
    return SCMP_ACT_KILL;
  return SCMP_ACT_ERRNO ((uint16_t) json_get_uint (rule, "errnoRet", EPERM));
}

static enum scmp_compare
scmp_op (const char *name)
{
  static const char *const ops[] = { "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
                                     "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ" };
  static const enum scmp_compare values[] = { SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE,       SCMP_CMP_EQ,
                                              SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ };
  size_t i;

  for (i = 0; i < sizeof (ops) / sizeof (ops[0]); i++)
    if (strcmp (name, ops[i]) == 0)
      return values[i];
  fail_msg ("unknown op %s", name);
  return SCMP_CMP_EQ;
}

static void
on_alarm (int sig)
{
  (void) sig;
  static const char msg[] = "libseccomp did not compile the merged profile within 20 s\n";
  write (2, msg, sizeof (msg) - 1);
  _exit (1);
}

/* Compile the profile as runc and crun do, with libseccomp, rule by rule
   in order: every rule must be accepted and the filter built in bounded
   time.  Some orders of conditional rules make libseccomp 2.5 run for
   minutes, which hangs the runtime at create.  */
static void
assert_compiles (json_t seccomp)
{
  json_t arches = json_get (seccomp, "architectures");
  json_t rules = json_get (seccomp, "syscalls");
  scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ERRNO (38));
  int devnull = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  size_t i, j, k;

  assert_non_null (ctx);
  for (i = 0; arches != NULL && i < arches->u.array.len; i++)
    {
      uint32_t arch = seccomp_arch_resolve_name (arches->u.array.values[i]->u.string + strlen ("SCMP_ARCH_"));
      if (arch != 0 && arch != seccomp_arch_native ())
        assert_int_equal (seccomp_arch_add (ctx, arch), 0);
    }
  for (i = 0; i < rules->u.array.len; i++)
    {
      json_t r = rules->u.array.values[i];
      json_t names = json_get (r, "names"), args = json_get (r, "args");
      struct scmp_arg_cmp cmp[6];
      unsigned n = 0;

      for (k = 0; args != NULL && k < args->u.array.len; k++)
        {
          json_t a = args->u.array.values[k];
          cmp[n].arg = (unsigned) json_get_uint (a, "index", 0);
          cmp[n].op = scmp_op (json_get_string (a, "op"));
          cmp[n].datum_a = json_get_uint (a, "value", 0);
          cmp[n].datum_b = json_get_uint (a, "valueTwo", 0);
          n++;
        }
      for (j = 0; j < names->u.array.len; j++)
        {
          int nr = seccomp_syscall_resolve_name (names->u.array.values[j]->u.string);
          int ret;
          if (nr == __NR_SCMP_ERROR)
            continue;
          ret = seccomp_rule_add_array (ctx, scmp_action (json_get_string (r, "action"), r), nr, n, cmp);
          if (ret < 0)
            fail_msg ("libseccomp rejects rule %zu (%s): %s", i, names->u.array.values[j]->u.string,
                      strerror (-ret));
        }
    }
  signal (SIGALRM, on_alarm);
  alarm (20);
  assert_int_equal (seccomp_export_bpf (ctx, devnull), 0);
  alarm (0);
  close (devnull);
  seccomp_release (ctx);
}

/* Every profile the fixtures hold, merged, compiles.  */
static void
merged_profiles_compile (void **state)
{
  const char *names[] = { "podman-4.3-runc-default-seccomp.json", "containerd-1.6-ctr-run.json",
                          "runc-1.1-spec-default.json" };
  size_t i;

  (void) state;
  for (i = 0; i < sizeof (names) / sizeof (names[0]); i++)
    {
      json_t config = load_fixture (names[i]);
      vigil_error_t err = NULL;

      assert_true (profile_merge (config, LISTENER, "{\"key\":\"k\"}", &err) >= 0);
      assert_compiles (seccomp_of (config));
      yajl_tree_free (config);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (podman_default_profile),
    cmocka_unit_test (merged_profiles_compile),
    cmocka_unit_test (podman_profile_with_net_raw),
    cmocka_unit_test (no_profile_fixtures),
    cmocka_unit_test (foreign_listener_rejected),
    cmocka_unit_test (own_listener_left_alone),
    cmocka_unit_test (remerge_moves_listener),
    cmocka_unit_test (unmerge_restores_allow),
    cmocka_unit_test (unmerge_leaves_foreign_listener),
    cmocka_unit_test (conditions_and_denials),
    cmocka_unit_test (deny_default_without_exec),
    cmocka_unit_test (malformed_profiles),
    cmocka_unit_test (rewrite_invalid_json),
    cmocka_unit_test (rewrite_sets_metadata),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
