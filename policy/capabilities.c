#include "config.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "policy/capabilities.h"

static const char *const names[CAPABILITY_COUNT] = {
  "writes-and-executes-binaries",
  "runs-arbitrary-children",
  "uses-raw-sockets",
  "package-manager",
};

const char *
capability_name (unsigned i)
{
  return i < CAPABILITY_COUNT ? names[i] : NULL;
}

unsigned
capability_from_name (const char *name)
{
  unsigned i;

  for (i = 0; i < CAPABILITY_COUNT; i++)
    if (strcmp (name, names[i]) == 0)
      return 1u << i;
  return 0;
}

#define CI_AGENT (CAPABILITY_WRITES_AND_EXECUTES | CAPABILITY_ARBITRARY_CHILDREN)
#define BUILD_TOOL (CAPABILITY_WRITES_AND_EXECUTES | CAPABILITY_ARBITRARY_CHILDREN)

/* Kinds of images, each recognised by the last component of the image's
   repository (docker.io/jenkins/inbound-agent:4 -> "inbound-agent", the
   whole name too for patterns with a '/') or by a program its entrypoint
   or command runs.  */
static const struct
{
  const char *kind;
  unsigned caps;
  const char *const images[12];
  const char *const programs[20];
} kinds[] = {
  { "CI agent",
    CI_AGENT,
    { "*jenkins*", "inbound-agent", "*gitlab-runner*", "*buildkite*", "*drone-runner*", "*teamcity*agent*",
      "*actions-runner*", "*circleci*", "*woodpecker*agent*", "*tekton*", NULL },
    { "jenkins-agent", "jenkins-slave", "jenkins.sh", "jenkins.war", "agent.jar", "gitlab-runner",
      "buildkite-agent", "Runner.Listener", "drone-runner-docker", "woodpecker-agent", NULL } },
  { "build image",
    BUILD_TOOL,
    { "golang", "gcc", "maven", "gradle", "rust", "*kaniko*", "buildkit", "bazel*", "*buildpack*", NULL },
    { "make", "gcc", "cc", "g++", "clang", "go", "cargo", "rustc", "mvn", "gradle", "bazel", "buildkitd",
      "javac", "cmake", "ninja", NULL } },
  { "package manager",
    CAPABILITY_PACKAGE_MANAGER,
    { NULL },
    { "apt-get", "apt", "dpkg", "apk", "yum", "dnf", "microdnf", "rpm", "zypper", "pip", "pip3", "npm", "yarn",
      "gem", NULL } },
  { "packet capture image",
    CAPABILITY_RAW_SOCKETS,
    { "tcpdump", "*wireshark*", "tshark", "netshoot", NULL },
    { "tcpdump", "tshark", "ping", "arping", "traceroute", NULL } },
};

/* The repository's last component: "registry:5000/team/app:1@sha256:..."
   gives "app".  */
static void
repository_basename (const char *image, char *out, size_t size)
{
  const char *slash = strrchr (image, '/');
  const char *start = slash ? slash + 1 : image;
  size_t n = strcspn (start, ":@");

  if (n >= size)
    n = size - 1;
  memcpy (out, start, n);
  out[n] = '\0';
}

static void
add (struct capability_set *set, unsigned caps, const char *fmt_kind, const char *what, const char *value)
{
  unsigned i;

  for (i = 0; i < CAPABILITY_COUNT; i++)
    if ((caps & (1u << i)) && !(set->bits & (1u << i)))
      {
        set->bits |= 1u << i;
        snprintf (set->reason[i], sizeof (set->reason[i]), "recognised as a %s: %s `%s`", fmt_kind, what,
                  value);
      }
}

static bool
image_is (const char *image_name, const char *pattern)
{
  char base[256];

  if (strchr (pattern, '/') != NULL)
    return fnmatch (pattern, image_name, 0) == 0;
  repository_basename (image_name, base, sizeof (base));
  return fnmatch (pattern, base, 0) == 0;
}

/* Whether the n bytes at word, after their last '/', are one of programs;
   *found is set to it.  */
static bool
word_is (const char *word, size_t n, const char *const *programs, const char **found)
{
  const char *end = word + n, *p;
  size_t i;

  for (p = word; p < end; p++)
    if (*p == '/')
      word = p + 1;
  n = (size_t) (end - word);
  for (i = 0; n > 0 && programs[i] != NULL; i++)
    if (n == strlen (programs[i]) && strncmp (word, programs[i], n) == 0)
      {
        *found = programs[i];
        return true;
      }
  return false;
}

/* The program of the list that a command line runs: the first word of each
   command of a shell string, so that `apt-get update && make` yields
   apt-get, while `echo go` names no program.  Assignments (A=b) and the
   wrappers env, exec and sudo before a command are skipped.  */
static const char *
program_in (const char *line, const char *const *programs)
{
  static const char blanks[] = " \t\n";
  static const char operators[] = ";&|()`\n";
  const char *p = line, *found = NULL;

  while (*p != '\0')
    {
      size_t seg = strcspn (p, operators);
      const char *end = p + seg;

      for (;;)
        {
          size_t n;
          p += strspn (p, blanks);
          n = strcspn (p, " \t\n;&|()`");
          if (p >= end || n == 0)
            break;
          if (memchr (p, '=', n) != NULL || (n == 3 && strncmp (p, "env", 3) == 0)
              || (n == 4 && (strncmp (p, "exec", 4) == 0 || strncmp (p, "sudo", 4) == 0)))
            {
              p += n;
              continue;
            }
          if (word_is (p, n, programs, &found))
            return found;
          break;
        }
      p = *end ? end + 1 : end;
    }
  return NULL;
}

/* The program of the list that args run: args[0], the string after a
   shell's -c, and any argument that is an absolute path or a .jar or .war
   file (tini -- /usr/local/bin/jenkins.sh, java -jar agent.jar).  */
static const char *
program_of (const char *const *args, size_t nargs, const char *const *programs)
{
  const char *found = NULL;
  size_t j;

  for (j = 0; j < nargs; j++)
    {
      const char *arg = args[j];
      size_t n;

      if (arg == NULL)
        continue;
      n = strlen (arg);
      if (j == 0 || (j > 0 && args[j - 1] != NULL && strcmp (args[j - 1], "-c") == 0))
        found = program_in (arg, programs);
      else if (arg[0] == '/' || (n > 4 && (strcmp (arg + n - 4, ".jar") == 0 || strcmp (arg + n - 4, ".war") == 0)))
        word_is (arg, n, programs, &found);
      if (found != NULL)
        return found;
    }
  return NULL;
}

void
capabilities_recognise (const char *image_name, const char *const *args, size_t nargs,
                        struct capability_set *out)
{
  const char *program;
  size_t k, i;

  memset (out, 0, sizeof (*out));
  for (k = 0; k < sizeof (kinds) / sizeof (kinds[0]); k++)
    {
      for (i = 0; image_name != NULL && kinds[k].images[i] != NULL; i++)
        if (image_is (image_name, kinds[k].images[i]))
          {
            add (out, kinds[k].caps, kinds[k].kind, "image", image_name);
            break;
          }
      program = program_of (args, nargs, kinds[k].programs);
      if (program != NULL)
        add (out, kinds[k].caps, kinds[k].kind, "its command runs", program);
    }
}

void
capabilities_apply (struct capability_set *set, unsigned add_bits, unsigned remove_bits, const char *rule_name)
{
  unsigned i;

  for (i = 0; i < CAPABILITY_COUNT; i++)
    {
      if (remove_bits & (1u << i))
        {
          set->removed |= 1u << i;
          if (set->bits & (1u << i))
            snprintf (set->removed_reason[i], sizeof (set->removed_reason[i]), "removed by rule `%s`; %.120s",
                      rule_name, set->reason[i]);
          else
            snprintf (set->removed_reason[i], sizeof (set->removed_reason[i]), "removed by rule `%s`",
                      rule_name);
          set->bits &= ~(1u << i);
          set->reason[i][0] = '\0';
        }
      else if (add_bits & (1u << i))
        {
          set->bits |= 1u << i;
          snprintf (set->reason[i], sizeof (set->reason[i]), "added by rule `%s`", rule_name);
        }
    }
}
