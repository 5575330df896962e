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
    /* "PROGRAM SUBCOMMAND": the program counts only with one of these
       words after it, so that `npm start` is not an install.  */
    { "apt-get install", "apt install", "dpkg -i", "dpkg --install", "apk add", "yum install", "dnf install",
      "microdnf install", "rpm -i", "rpm -U", "zypper install", "pip install", "pip3 install", "npm install",
      "npm ci", "yarn add", "gem install", NULL } },
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

/* Whether the n bytes at word, after their last '/', are program (a
   name without a subcommand).  */
static bool
word_is (const char *word, size_t n, const char *program)
{
  const char *end = word + n, *p;

  for (p = word; p < end; p++)
    if (*p == '/')
      word = p + 1;
  n = (size_t) (end - word);
  return n > 0 && n == strlen (program) && strncmp (word, program, n) == 0;
}

/* Whether the words from p to end contain word.  */
static bool
has_word (const char *p, const char *end, const char *word)
{
  size_t len = strlen (word);

  while (p < end)
    {
      size_t n;

      p += strspn (p, " \t");
      n = strcspn (p, " \t");
      if (p + n > end)
        n = (size_t) (end - p);
      if (n == len && strncmp (p, word, n) == 0)
        return true;
      p += n;
    }
  return false;
}

/* The entry of programs that the command from cmd to end runs: its first
   word, after assignments (A=b) and the wrappers env, exec and sudo, is
   the program, and an entry "PROGRAM SUBCOMMAND" needs SUBCOMMAND among
   the words after it.  */
static const char *
command_runs (const char *cmd, const char *end, const char *const *programs)
{
  const char *p = cmd;
  size_t n, i;

  for (;;)
    {
      p += strspn (p, " \t\n");
      if (p >= end)
        return NULL;
      n = strcspn (p, " \t\n");
      if (p + n > end)
        n = (size_t) (end - p);
      if (memchr (p, '=', n) == NULL && !(n == 3 && strncmp (p, "env", 3) == 0)
          && !(n == 4 && (strncmp (p, "exec", 4) == 0 || strncmp (p, "sudo", 4) == 0)))
        break;
      p += n;
    }
  for (i = 0; programs[i] != NULL; i++)
    {
      const char *space = strchr (programs[i], ' ');
      char name[64];

      snprintf (name, sizeof (name), "%.*s", space ? (int) (space - programs[i]) : 63, programs[i]);
      if (word_is (p, n, name) && (space == NULL || has_word (p + n, end, space + 1)))
        return programs[i];
    }
  return NULL;
}

/* The entry of programs that a shell command line runs: the first word of
   each of its commands, so that `apt-get update && apt-get install x`
   names apt-get install, while `echo go` names no program.  */
static const char *
program_in (const char *line, const char *const *programs)
{
  static const char operators[] = ";&|()`\n";
  const char *p = line, *found;

  while (*p != '\0')
    {
      const char *end = p + strcspn (p, operators);

      if ((found = command_runs (p, end, programs)) != NULL)
        return found;
      p = *end ? end + 1 : end;
    }
  return NULL;
}

static bool
is_shell (const char *arg)
{
  static const char *const shells[] = { "sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", NULL };
  size_t i;

  for (i = 0; shells[i] != NULL; i++)
    if (word_is (arg, strlen (arg), shells[i]))
      return true;
  return false;
}

/* The entry of programs that args run.  A shell's `-c` string is read as
   commands; otherwise the arguments are one command.  An argument that is
   an absolute path or a .jar or .war file is a program too
   (tini -- /usr/local/bin/jenkins.sh, java -jar agent.jar).  */
static const char *
program_of (const char *const *args, size_t nargs, const char *const *programs)
{
  char line[4096];
  size_t used = 0, j, k;

  if (nargs == 0 || args[0] == NULL)
    return NULL;
  if (nargs >= 3 && is_shell (args[0]) && args[1] != NULL && strcmp (args[1], "-c") == 0 && args[2] != NULL)
    return program_in (args[2], programs);
  for (j = 0; j < nargs && used < sizeof (line) - 1; j++)
    used += (size_t) snprintf (line + used, sizeof (line) - used, "%s%s", j ? " " : "", args[j] ? args[j] : "");
  if (used >= sizeof (line))
    used = sizeof (line) - 1;
  if (command_runs (line, line + used, programs) != NULL)
    return command_runs (line, line + used, programs);
  for (j = 1; j < nargs; j++)
    {
      const char *arg = args[j];
      size_t n = arg ? strlen (arg) : 0;

      if (n == 0 || !(arg[0] == '/' || (n > 4 && (strcmp (arg + n - 4, ".jar") == 0
                                                 || strcmp (arg + n - 4, ".war") == 0))))
        continue;
      for (k = 0; programs[k] != NULL; k++)
        if (strchr (programs[k], ' ') == NULL && word_is (arg, n, programs[k]))
          return programs[k];
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
