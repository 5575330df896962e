/* Rules: parsing good files and bad ones (with the exact message), scope
   matching, precedence, list verdicts and effects; capabilities
   recognised from image names and commands.  */
#include "config.h"

#include <sys/stat.h>

#include "tests/unit/unit.h"

#include "policy/capabilities.h"
#include "policy/rules.h"

static const char good[] = "{\n"
                           "  \"version\": 1,\n"
                           "  \"rules\": [\n"
                           "    {\n"
                           "      \"name\": \"httpd\",\n"
                           "      \"scope\": { \"images\": [\"*httpd*\"], \"namespaces\": [\"web-*\"] },\n"
                           "      \"effect\": \"prevent\",\n"
                           "      \"processes\": { \"allowed\": [\"/usr/bin/bar\", \"helper-*\"],\n"
                           "                       \"blocked\": [\"/usr/bin/foo\", \"nc\"] },\n"
                           "      \"network\": {\n"
                           "        \"effect\": \"alert\",\n"
                           "        \"allowed\": [ { \"direction\": \"connect\", \"address\": \"10.0.0.0/8\",\n"
                           "                         \"port\": \"5432-5433\", \"protocol\": \"tcp\" } ],\n"
                           "        \"blocked\": [ { \"direction\": \"listen\", \"port\": 22 },\n"
                           "                       { \"address\": \"/run/docker.sock\" } ]\n"
                           "      },\n"
                           "      \"files\": { \"effect\": \"block\", \"allowed\": [\"/var/cache/\"],\n"
                           "                   \"blocked\": [\"/etc\"] }\n"
                           "    },\n"
                           "    {\n"
                           "      \"name\": \"team-a\",\n"
                           "      \"scope\": { \"annotations\": { \"team\": \"a*\" }, \"containers\": [\"job-*\"] },\n"
                           "      \"capabilities\": { \"add\": [\"runs-arbitrary-children\"],\n"
                           "                          \"remove\": [\"package-manager\"] }\n"
                           "    },\n"
                           "    { \"name\": \"everything else\", \"effect\": \"alert\" }\n"
                           "  ]\n"
                           "}\n";

static struct rule_set *
parse_ok (const char *text)
{
  struct rule_set *set = calloc (1, sizeof (*set));
  vigil_error_t err = NULL;

  assert_non_null (set);
  if (rules_parse ("rules.json", text, strlen (text), set, &err) < 0)
    fail_msg ("unexpected error: %s", err->msg);
  return set;
}

static void
expect_error (const char *text, const char *message)
{
  struct rule_set set = { 0 };
  vigil_error_t err = NULL;

  assert_int_equal (rules_parse ("rules.json", text, strlen (text), &set, &err), -1);
  assert_non_null (err);
  if (strcmp (err->msg, message) != 0)
    fail_msg ("error\n  `%s`\nexpected\n  `%s`", err->msg, message);
  assert_int_equal (set.n, 0);
  free (set.rules);
  vigil_error_free (&err);
}

static void
parses_good_file (void **state)
{
  struct rule_set *set = parse_ok (good);
  const struct rule *r;

  (void) state;
  assert_int_equal (set->n, 3);
  r = &set->rules[0];
  assert_string_equal (r->name, "httpd");
  assert_int_equal (r->images.n, 1);
  assert_int_equal (r->sections[RULE_PROCESSES].effect, EFFECT_PREVENT); /* from the rule */
  assert_int_equal (r->sections[RULE_NETWORK].effect, EFFECT_ALERT);     /* its own */
  assert_int_equal (r->sections[RULE_FILES].effect, EFFECT_BLOCK);
  assert_int_equal (r->sections[RULE_NETWORK].n_net_allowed, 1);
  assert_int_equal (r->sections[RULE_NETWORK].net_allowed[0].port_lo, 5432);
  assert_int_equal (r->sections[RULE_NETWORK].net_allowed[0].port_hi, 5433);
  assert_int_equal (set->rules[1].caps_add, CAPABILITY_ARBITRARY_CHILDREN);
  assert_int_equal (set->rules[1].caps_remove, CAPABILITY_PACKAGE_MANAGER);
  assert_int_equal (set->rules[1].sections[RULE_PROCESSES].has_effect, false);
  assert_int_equal (rule_effect_of (&set->rules[1], RULE_PROCESSES, EFFECT_PREVENT), EFFECT_PREVENT);
  assert_int_equal (rule_effect_of (&set->rules[2], RULE_FILES, EFFECT_PREVENT), EFFECT_ALERT);
  assert_int_equal (rule_effect_of (NULL, RULE_FILES, EFFECT_BLOCK), EFFECT_BLOCK);
  rules_free (set);
}

static void
rejects_bad_files (void **state)
{
  (void) state;
  expect_error ("{\"rules\": [\n  {\"name\": \"a\",}\n]}", "rules.json:2:16: invalid JSON: parse error: invalid object key (must be a string)");
  expect_error ("{\"rules\": [\n", "rules.json:2:1: invalid JSON: parse error: premature EOF");
  expect_error ("{\"rules\": [\n {\"name\": \"a\\u0000b\"}]}",
                "rules.json:2:13: a string contains \\u0000, which no name or path can hold");
  expect_error ("[]", "rules.json: (top level): expected an object with a `rules` array, found an array");
  expect_error ("{}", "rules.json: (top level): no `rules` array");
  expect_error ("{\"rule\": []}", "rules.json: (top level): unknown key `rule` (expected version or rules)");
  expect_error ("{\"version\": 2, \"rules\": []}", "rules.json: version: unsupported version 2 (this vigild reads version 1)");
  expect_error ("{\"version\": \"1\", \"rules\": []}", "rules.json: version: expected the number 1, found a string");
  expect_error ("{\"rules\": {}}", "rules.json: rules: expected an array, found an object");
  expect_error ("{\"rules\": [{}]}", "rules.json: rules[0]: a rule needs a `name`");
  expect_error ("{\"rules\": [{\"name\": 3}]}", "rules.json: rules[0].name: expected a non-empty string, found a number");
  expect_error ("{\"rules\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}",
                "rules.json: rules[1]: a rule named `a` is already defined (rules.json, rules[0])");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"name\": \"b\"}]}", "rules.json: rules[0]: key `name` appears twice");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"proceses\": {}}]}",
                "rules.json: rules[0]: unknown key `proceses` (expected name, scope, effect, processes, network, "
                "files or capabilities)");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"effect\": \"deny\"}]}",
                "rules.json: rules[0].effect: unknown effect `deny` (expected disable, alert, prevent or block)");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"scope\": {\"images\": \"nginx\"}}]}",
                "rules.json: rules[0].scope.images: expected an array of strings, found a string");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"scope\": {\"images\": [\"\"]}}]}",
                "rules.json: rules[0].scope.images[0]: empty string");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"scope\": {\"labels\": {}}}]}",
                "rules.json: rules[0].scope: unknown key `labels` (expected images, clusters, namespaces, "
                "containers or annotations)");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"scope\": {\"annotations\": {\"team\": 1}}}]}",
                "rules.json: rules[0].scope.annotations.team: expected a string (a value, wildcards allowed), found "
                "a number");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"processes\": {\"blocked\": [\"bin/sh\"]}}]}",
                "rules.json: rules[0].processes.blocked[0]: `bin/sh` has a '/' but is not an absolute path (a name "
                "has no '/')");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"files\": {\"allowed\": [\"tmp\"]}}]}",
                "rules.json: rules[0].files.allowed[0]: `tmp` is not an absolute path prefix");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"network\": {\"blocked\": [{\"port\": 70000}]}}]}",
                "rules.json: rules[0].network.blocked[0].port: port 70000 is out of range (0-65535)");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"network\": {\"blocked\": [{\"port\": \"90-80\"}]}}]}",
                "rules.json: rules[0].network.blocked[0].port: `90-80` starts above its end (write \"LOW-HIGH\")");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"network\": {\"blocked\": [{\"port\": \"80-70000\"}]}}]}",
                "rules.json: rules[0].network.blocked[0].port: `80-70000` is not a range within 0-65535");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"network\": {\"blocked\": [{\"protocol\": \"TCP\"}]}}]}",
                "rules.json: rules[0].network.blocked[0].protocol: unknown protocol `TCP` (expected tcp, udp, unix, "
                "any, or inet, inet6 or packet for raw and packet sockets, the only ones Vigil watches)");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"network\": {\"blocked\": [{\"protocol\": \"netlink\"}]}}]}",
                "rules.json: rules[0].network.blocked[0].protocol: unknown protocol `netlink` (expected tcp, udp, unix, "
                "any, or inet, inet6 or packet for raw and packet sockets, the only ones Vigil watches)");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"network\": {\"blocked\": [{\"protocol\": \"unix\", \"port\": 80}]}}]}",
                "rules.json: rules[0].network.blocked[0]: a unix socket has no port");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"network\": {\"blocked\": [{\"protocol\": \"unix\", \"address\": \"10.0.0.1\"}]}}]}",
                "rules.json: rules[0].network.blocked[0].address: `10.0.0.1` is not a unix socket path (/...) or "
                "abstract name (@...)");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"network\": {\"blocked\": [{\"port\": \"http\"}]}}]}",
                "rules.json: rules[0].network.blocked[0].port: `http` is not a port or a range \"LOW-HIGH\"");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"network\": {\"blocked\": [{\"port\": \"80-\"}]}}]}",
                "rules.json: rules[0].network.blocked[0].port: `80-` is not a port or a range \"LOW-HIGH\"");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"network\": {\"allowed\": [{\"address\": \"10.0.0.0/33\"}]}}]}",
                "rules.json: rules[0].network.allowed[0].address: `10.0.0.0/33` is not an IPv4 or IPv6 address or "
                "CIDR, nor a unix socket path (/...) or abstract name (@...)");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"network\": {\"allowed\": [{}]}}]}",
                "rules.json: rules[0].network.allowed[0]: an entry needs at least one of direction, protocol, port "
                "or address");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"network\": {\"allowed\": [{\"direction\": \"out\"}]}}]}",
                "rules.json: rules[0].network.allowed[0].direction: unknown direction `out` (expected listen, "
                "connect, socket or any)");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"network\": {\"allowed\": [\"10.0.0.1\"]}}]}",
                "rules.json: rules[0].network.allowed[0]: expected an object, found a string");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"capabilities\": {\"add\": [\"root\"]}}]}",
                "rules.json: rules[0].capabilities.add[0]: unknown capability `root` (expected "
                "writes-and-executes-binaries, runs-arbitrary-children, uses-raw-sockets or package-manager)");
  expect_error ("{\"rules\": [{\"name\": \"a\", \"capabilities\": {\"add\": [\"package-manager\"], "
                "\"remove\": [\"package-manager\"]}}]}",
                "rules.json: rules[0].capabilities: a capability is both added and removed");
  expect_error ("{\"rules\": [{\"name\": \"ok\"}, {\"name\": \"b\", \"files\": []}]}",
                "rules.json: rules[1].files: expected an object, found an array");
}

static void
escaped_backslash_is_not_nul (void **state)
{
  struct rule_set *set = parse_ok ("{\"rules\": [{\"name\": \"a\\\\u0000\"}]}");

  (void) state;
  assert_string_equal (set->rules[0].name, "a\\u0000");
  rules_free (set);
}

static void
scope_and_precedence (void **state)
{
  struct rule_set *set = parse_ok (good);
  json_t ann = json_new_object ();
  struct rule_target t = { .image = "sha256:1234", .image_name = "docker.io/library/httpd:2.4",
                           .namespace = "web-prod", .container_id = "abc", .container_name = "web-1" };
  const struct rule *r;

  (void) state;
  r = rules_match (set, &t);
  assert_non_null (r);
  assert_string_equal (r->name, "httpd");

  /* The namespace does not match: the next rules are tried, in order.  */
  t.namespace = "default";
  assert_string_equal (rules_match (set, &t)->name, "everything else");
  t.namespace = NULL; /* a scope that names namespaces needs one */
  assert_string_equal (rules_match (set, &t)->name, "everything else");

  /* Annotations and container names, both needed.  */
  t.image_name = "nginx";
  json_object_set (ann, "team", json_new_string ("alpha"));
  t.annotations = ann;
  assert_string_equal (rules_match (set, &t)->name, "everything else");
  t.container_name = "job-17";
  assert_string_equal (rules_match (set, &t)->name, "team-a");
  t.container_name = NULL;
  t.container_id = "job-18"; /* the id replaces a missing name */
  assert_string_equal (rules_match (set, &t)->name, "team-a");

  /* Images match by digest too.  */
  t.image_name = NULL;
  t.image = "sha256:httpd-digest";
  t.namespace = "web-x";
  assert_string_equal (rules_match (set, &t)->name, "httpd");
  yajl_tree_free (ann);
  rules_free (set);
}

static void
verdicts (void **state)
{
  struct rule_set *set = parse_ok (good);
  const struct rule *r = &set->rules[0];
  struct model_net e = { .kind = MODEL_NET_CONNECT, .protocol = "tcp", .port = 5432, .address = "10.1.2.3" };

  (void) state;
  assert_int_equal (rule_process_verdict (r, "/usr/bin/bar", NULL), VERDICT_ALLOWED);
  /* A link named like an allowed file does not make another file allowed.  */
  assert_int_equal (rule_process_verdict (r, "/usr/bin/bar", "/usr/bin/perl"), VERDICT_NONE);
  assert_int_equal (rule_process_verdict (r, "/srv/link", "/usr/bin/bar"), VERDICT_ALLOWED);
  assert_int_equal (rule_process_verdict (r, "/usr/local/bin/helper-7", NULL), VERDICT_ALLOWED);
  assert_int_equal (rule_process_verdict (r, "/usr/bin/foo", NULL), VERDICT_BLOCKED);
  /* A name matches the last component of the path or of its target.  */
  assert_int_equal (rule_process_verdict (r, "/bin/nc", NULL), VERDICT_BLOCKED);
  assert_int_equal (rule_process_verdict (r, "/usr/bin/netcat", "/bin/nc"), VERDICT_BLOCKED);
  assert_int_equal (rule_process_verdict (r, "/bin/sh", "/bin/busybox"), VERDICT_NONE);
  assert_int_equal (rule_process_verdict (NULL, "/usr/bin/foo", NULL), VERDICT_NONE);

  assert_int_equal (rule_net_verdict (r, &e), VERDICT_ALLOWED);
  e.port = 5434;
  assert_int_equal (rule_net_verdict (r, &e), VERDICT_NONE);
  e.port = 5433;
  snprintf (e.address, sizeof (e.address), "11.0.0.1");
  assert_int_equal (rule_net_verdict (r, &e), VERDICT_NONE);
  snprintf (e.protocol, sizeof (e.protocol), "unix");
  snprintf (e.address, sizeof (e.address), "/run/docker.sock");
  e.port = 0;
  assert_int_equal (rule_net_verdict (r, &e), VERDICT_BLOCKED);
  e.kind = MODEL_NET_LISTEN;
  snprintf (e.protocol, sizeof (e.protocol), "tcp");
  e.address[0] = '\0';
  e.port = 22;
  assert_int_equal (rule_net_verdict (r, &e), VERDICT_BLOCKED);
  e.kind = MODEL_NET_CONNECT;
  snprintf (e.address, sizeof (e.address), "10.0.0.9");
  assert_int_equal (rule_net_verdict (r, &e), VERDICT_NONE); /* the port-22 entry is for listen */

  assert_int_equal (rule_file_verdict (r, "/etc/passwd"), VERDICT_BLOCKED);
  /* An entry with a port never matches a raw socket.  */
  {
    struct model_net raw = { .kind = MODEL_NET_SOCKET, .protocol = "inet" };
    assert_int_equal (rule_net_verdict (r, &raw), VERDICT_NONE);
  }
  assert_int_equal (rule_file_verdict (r, "/etc"), VERDICT_BLOCKED);
  assert_int_equal (rule_file_verdict (r, "/etcetera"), VERDICT_NONE);
  assert_int_equal (rule_file_verdict (r, "/var/cache/x"), VERDICT_ALLOWED);
  assert_int_equal (rule_file_verdict (r, "/var/cache"), VERDICT_ALLOWED); /* "/var/cache/" covers it */
  assert_int_equal (rule_file_verdict (r, "/var/cachex"), VERDICT_NONE);
  assert_int_equal (rule_file_verdict (r, "/var/log/x"), VERDICT_NONE);
  rules_free (set);
}

static void
directory_of_files (void **state)
{
  char *dir = make_temp_dir ();
  char path[512];
  struct rule_set *set = NULL;
  vigil_error_t err = NULL;

  (void) state;
  snprintf (path, sizeof (path), "%s/20-late.json", dir);
  write_text (path, "{\"rules\": [{\"name\": \"late\"}]}");
  snprintf (path, sizeof (path), "%s/10-early.json", dir);
  write_text (path, "{\"rules\": [{\"name\": \"early\", \"scope\": {\"images\": [\"a*\"]}}]}");
  snprintf (path, sizeof (path), "%s/notes.txt", dir);
  write_text (path, "not rules");
  assert_int_equal (rules_load (dir, &set, &err), 0);
  assert_int_equal (set->n, 2);
  assert_string_equal (set->rules[0].name, "early");
  assert_string_equal (set->rules[1].name, "late");
  rules_free (set);

  /* A bad file anywhere rejects the whole set, naming the file.  */
  snprintf (path, sizeof (path), "%s/30-bad.json", dir);
  write_text (path, "{\"rules\": [{\"name\": \"early\"}]}");
  assert_int_equal (rules_load (dir, &set, &err), -1);
  snprintf (path, sizeof (path), "%s/30-bad.json: rules[0]: a rule named `early` is already defined (%s/10-early.json, rules[0])",
            dir, dir);
  assert_string_equal (err->msg, path);
  vigil_error_free (&err);

  /* A FIFO would block the reader until someone writes to it.  */
  snprintf (path, sizeof (path), "%s/30-bad.json", dir);
  assert_int_equal (remove (path), 0);
  snprintf (path, sizeof (path), "%s/40-fifo.json", dir);
  assert_int_equal (mkfifo (path, 0600), 0);
  assert_int_equal (rules_load (dir, &set, &err), -1);
  assert_non_null (strstr (err->msg, "40-fifo.json`: not a regular file"));
  vigil_error_free (&err);
  remove (path);

  /* A directory without rule files is valid: no rules.  */
  snprintf (path, sizeof (path), "%s/empty", dir);
  assert_int_equal (mkdir (path, 0700), 0);
  assert_int_equal (rules_load (path, &set, &err), 0);
  assert_int_equal (set->n, 0);
  assert_int_equal (set->files, 0);
  rules_free (set);

  snprintf (path, sizeof (path), "%s/missing.json", dir);
  assert_int_equal (rules_load (path, &set, &err), -1);
  assert_non_null (strstr (err->msg, "No such file or directory"));
  vigil_error_free (&err);
  remove_tree (dir);
  free (dir);
}

static void
recognises_capabilities (void **state)
{
  const char *jenkins[] = { "/usr/bin/tini", "--", "/usr/local/bin/jenkins-agent" };
  const char *shell[] = { "/bin/sh", "-c", "apt-get update && apt-get install -y curl" };
  const char *echo[] = { "/bin/sh", "-c", "echo let us go" };
  const char *java[] = { "java", "-jar", "/usr/share/jenkins/agent.jar" };
  struct capability_set set;

  (void) state;
  capabilities_recognise ("docker.io/jenkins/jenkins:lts", NULL, 0, &set);
  assert_int_equal (set.bits, CAPABILITY_WRITES_AND_EXECUTES | CAPABILITY_ARBITRARY_CHILDREN);
  assert_string_equal (set.reason[0], "recognised as a CI agent: image `docker.io/jenkins/jenkins:lts`");

  capabilities_recognise ("registry.local/ci/base:1", jenkins, 3, &set);
  assert_int_equal (set.bits, CAPABILITY_WRITES_AND_EXECUTES | CAPABILITY_ARBITRARY_CHILDREN);
  assert_string_equal (set.reason[1], "recognised as a CI agent: its command runs `jenkins-agent`");

  capabilities_recognise ("localhost/app", java, 3, &set);
  assert_int_equal (set.bits, CAPABILITY_WRITES_AND_EXECUTES | CAPABILITY_ARBITRARY_CHILDREN);

  capabilities_recognise ("golang:1.22@sha256:abcd", NULL, 0, &set);
  assert_int_equal (set.bits, CAPABILITY_WRITES_AND_EXECUTES | CAPABILITY_ARBITRARY_CHILDREN);
  /* A name that only contains a build tool's is not one.  */
  capabilities_recognise ("example/gccache-viewer", NULL, 0, &set);
  assert_int_equal (set.bits, 0);

  capabilities_recognise ("debian:12", shell, 3, &set);
  assert_int_equal (set.bits, CAPABILITY_PACKAGE_MANAGER);
  assert_string_equal (set.reason[3], "recognised as a package manager: its command runs `apt-get install`");
  capabilities_recognise ("debian:12", echo, 3, &set);
  assert_int_equal (set.bits, 0);

  /* A package manager counts only when it installs; -c is a shell's
     only after a shell.  */
  {
    const char *npm_start[] = { "npm", "start" };
    const char *npm_install[] = { "/usr/bin/npm", "install", "--production" };
    const char *app_c[] = { "/usr/local/bin/myapp", "-c", "go" };
    const char *make[] = { "make", "-j4" };

    capabilities_recognise ("node:20", npm_start, 2, &set);
    assert_int_equal (set.bits, 0);
    capabilities_recognise ("node:20", npm_install, 3, &set);
    assert_int_equal (set.bits, CAPABILITY_PACKAGE_MANAGER);
    capabilities_recognise ("example/app", app_c, 3, &set);
    assert_int_equal (set.bits, 0);
    capabilities_recognise ("example/app", make, 2, &set);
    assert_int_equal (set.bits, CAPABILITY_WRITES_AND_EXECUTES | CAPABILITY_ARBITRARY_CHILDREN);
  }

  capabilities_recognise ("nicolaka/netshoot", NULL, 0, &set);
  assert_int_equal (set.bits, CAPABILITY_RAW_SOCKETS);

  /* Rules add and remove, with the reason.  */
  capabilities_apply (&set, CAPABILITY_PACKAGE_MANAGER, CAPABILITY_RAW_SOCKETS, "builders");
  assert_int_equal (set.bits, CAPABILITY_PACKAGE_MANAGER);
  assert_string_equal (set.reason[3], "added by rule `builders`");
  assert_int_equal (set.removed, CAPABILITY_RAW_SOCKETS);
  assert_string_equal (set.removed_reason[2],
                       "removed by rule `builders`; recognised as a packet capture image: image `nicolaka/netshoot`");
  assert_int_equal (capability_from_name ("uses-raw-sockets"), CAPABILITY_RAW_SOCKETS);
  assert_int_equal (capability_from_name ("raw"), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (parses_good_file),    cmocka_unit_test (rejects_bad_files),
    cmocka_unit_test (scope_and_precedence), cmocka_unit_test (verdicts),
    cmocka_unit_test (directory_of_files),  cmocka_unit_test (recognises_capabilities),
    cmocka_unit_test (escaped_backslash_is_not_nul),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
