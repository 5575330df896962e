#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>

#include "common/cleanup.h"

#include "profile_merge.h"

const char *const vigil_watched_syscalls[] = {
  "execve", "execveat", "open", "openat", "creat", "openat2", NULL,
};

/* Argument index of the open flags of each watched syscall: those notify
   only when the flags ask for writing, so that reads never reach the
   agent.  -1: always notify (openat2 passes its flags behind a pointer,
   which BPF cannot read).  */
static const int write_flags_index[] = { -1, -1, 1, 2, -1, -1 };

/* The flags that make an open a write.  */
static const unsigned write_flags[] = { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC };
#define WRITE_FLAGS_MASK (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)

/* Architectures a profile created here lists.  Without the compat ones,
   the filter would not cover 32-bit entry points (int 0x80 on x86_64);
   libseccomp adds the native architecture by itself.  */
static const char *const native_architectures[] = {
#if defined(__x86_64__)
  "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
#elif defined(__aarch64__)
  "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",
#elif defined(__i386__)
  "SCMP_ARCH_X86",
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  "SCMP_ARCH_PPC64LE",
#elif defined(__s390x__)
  "SCMP_ARCH_S390X", "SCMP_ARCH_S390",
#elif defined(__riscv) && __riscv_xlen == 64
  "SCMP_ARCH_RISCV64",
#endif
  NULL,
};

static bool
is_allow_action (const char *action)
{
  return action != NULL
         && (strcmp (action, "SCMP_ACT_ALLOW") == 0 || strcmp (action, "SCMP_ACT_LOG") == 0);
}

static int
watched_index (const char *name)
{
  int i;

  for (i = 0; vigil_watched_syscalls[i] != NULL; i++)
    if (strcmp (vigil_watched_syscalls[i], name) == 0)
      return i;
  return -1;
}

static bool
has_args (json_t rule)
{
  json_t args = json_get (rule, "args");
  return args != NULL && YAJL_IS_ARRAY (args) && args->u.array.len > 0;
}

static json_t
new_notify_rule (json_t names, json_t args)
{
  json_t rule = json_new_object ();

  if (rule == NULL)
    return NULL;
  if (json_object_set (rule, "names", names) < 0
      || json_object_set (rule, "action", json_new_string ("SCMP_ACT_NOTIFY")) < 0
      || (args != NULL && json_object_set (rule, "args", json_copy (args)) < 0))
    {
      yajl_tree_free (rule);
      return NULL;
    }
  return rule;
}

static json_t
masked_eq (int index, unsigned mask, unsigned value)
{
  json_t arg = json_new_object ();

  if (arg == NULL)
    return NULL;
  if (json_object_set (arg, "index", json_new_uint ((uint64_t) index)) < 0
      || json_object_set (arg, "value", json_new_uint (mask)) < 0
      || json_object_set (arg, "valueTwo", json_new_uint (value)) < 0
      || json_object_set (arg, "op", json_new_string ("SCMP_CMP_MASKED_EQ")) < 0)
    {
      yajl_tree_free (arg);
      return NULL;
    }
  return arg;
}

static json_t
single_name (const char *name)
{
  json_t names = json_new_array ();

  if (names != NULL && json_array_append (names, json_new_string (name)) < 0)
    return NULL;
  return names;
}

static json_t
conditional_rule (const char *name, const char *action, int index, unsigned mask, unsigned value)
{
  json_t rule = json_new_object ();
  json_t args = json_new_array ();

  if (rule == NULL || args == NULL)
    goto fail;
  if (json_array_append (args, masked_eq (index, mask, value)) < 0)
    goto fail;
  if (json_object_set (rule, "names", single_name (name)) < 0
      || json_object_set (rule, "action", json_new_string (action)) < 0)
    goto fail;
  if (json_object_set (rule, "args", args) < 0)
    {
      args = NULL;
      goto fail;
    }
  return rule;

fail:
  if (args != NULL)
    yajl_tree_free (args);
  if (rule != NULL)
    yajl_tree_free (rule);
  return NULL;
}

/* Rules for an open-like syscall: notify when any write flag is set, and,
   when allow_action is not NULL, let every other open through with it.  */
static int
add_write_rules (json_t new_rules, const char *name, int index, const char *allow_action)
{
  size_t i;

  for (i = 0; i < sizeof (write_flags) / sizeof (write_flags[0]); i++)
    if (json_array_append (new_rules, conditional_rule (name, "SCMP_ACT_NOTIFY", index, write_flags[i],
                                                        write_flags[i]))
        < 0)
      return -1;
  if (allow_action != NULL
      && json_array_append (new_rules, conditional_rule (name, allow_action, index, WRITE_FLAGS_MASK, 0)) < 0)
    return -1;
  return 0;
}

static json_t
new_default_profile (void)
{
  json_t profile = json_new_object ();
  json_t arches = json_new_array ();
  size_t i;

  if (profile == NULL || arches == NULL)
    goto fail;
  for (i = 0; native_architectures[i] != NULL; i++)
    if (json_array_append (arches, json_new_string (native_architectures[i])) < 0)
      goto fail;
  if (json_object_set (profile, "defaultAction", json_new_string ("SCMP_ACT_ALLOW")) < 0)
    goto fail;
  if (json_object_set (profile, "architectures", arches) < 0)
    {
      arches = NULL;
      goto fail;
    }
  arches = NULL;
  if (json_object_set (profile, "syscalls", json_new_array ()) < 0)
    goto fail;
  return profile;

fail:
  if (arches != NULL)
    yajl_tree_free (arches);
  if (profile != NULL)
    yajl_tree_free (profile);
  return NULL;
}

/* Take the watched names out of one rule that lets them through and put
   them into a notify rule with the same argument conditions, so that each case the rule allowed now goes to the
   agent first.  *covered[i] is set when
   watched syscall i has an unconditional rule of any action, which leaves
   nothing for the default action to decide.  */
static int
split_rule (json_t syscalls, size_t index, bool *covered, json_t new_rules)
{
  json_t rule = syscalls->u.array.values[index];
  json_t names = json_get (rule, "names");
  const char *action = json_get_string (rule, "action");
  bool conditional = has_args (rule);
  json_t moved;
  size_t i;
  int w;

  if (names == NULL || !YAJL_IS_ARRAY (names))
    return 0;

  for (i = 0; i < names->u.array.len; i++)
    {
      json_t n = names->u.array.values[i];
      if (YAJL_IS_STRING (n) && (w = watched_index (n->u.string)) >= 0 && !conditional)
        covered[w] = true;
    }
  if (!is_allow_action (action))
    return 0;

  moved = json_new_array ();
  if (moved == NULL)
    return -1;
  for (i = 0; i < names->u.array.len;)
    {
      json_t n = names->u.array.values[i];
      int wi = YAJL_IS_STRING (n) ? watched_index (n->u.string) : -1;

      /* An open-like syscall allowed under conditions of its own keeps
         them: combining them with the write-flag conditions is not done,
         so such opens are not watched.  */
      if (wi < 0 || (write_flags_index[wi] >= 0 && conditional))
        {
          i++;
          continue;
        }
      if (write_flags_index[wi] >= 0)
        {
          if (add_write_rules (new_rules, n->u.string, write_flags_index[wi], action) < 0)
            {
              yajl_tree_free (moved);
              return -1;
            }
        }
      else if (json_array_append (moved, json_new_string (n->u.string)) < 0)
        {
          yajl_tree_free (moved);
          return -1;
        }
      json_array_remove (names, i);
    }
  if (moved->u.array.len == 0)
    {
      yajl_tree_free (moved);
      return 0;
    }
  return json_array_append (new_rules, new_notify_rule (moved, json_get (rule, "args")));
}

static int
add_notify_rules (json_t seccomp, vigil_error_t *err)
{
  const char *default_action = json_get_string (seccomp, "defaultAction");
  bool covered[sizeof (vigil_watched_syscalls) / sizeof (vigil_watched_syscalls[0])] = { false };
  json_t syscalls = json_get (seccomp, "syscalls");
  json_t new_rules = NULL;
  size_t i;
  int w;

  if (default_action == NULL)
    return vigil_error_set (err, 0, "linux.seccomp.defaultAction is missing");
  if (syscalls == NULL)
    {
      if (json_object_set (seccomp, "syscalls", json_new_array ()) < 0)
        return vigil_error_set (err, ENOMEM, "add linux.seccomp.syscalls");
      syscalls = json_get (seccomp, "syscalls");
    }
  if (!YAJL_IS_ARRAY (syscalls))
    return vigil_error_set (err, 0, "linux.seccomp.syscalls is not an array");

  new_rules = json_new_array ();
  if (new_rules == NULL)
    return vigil_error_set (err, ENOMEM, "merge seccomp rules");

  for (i = 0; i < syscalls->u.array.len;)
    {
      json_t rule = syscalls->u.array.values[i];
      json_t names;

      if (!YAJL_IS_OBJECT (rule))
        {
          yajl_tree_free (new_rules);
          return vigil_error_set (err, 0, "linux.seccomp.syscalls[%zu] is not an object", i);
        }
      if (split_rule (syscalls, i, covered, new_rules) < 0)
        {
          yajl_tree_free (new_rules);
          return vigil_error_set (err, ENOMEM, "merge seccomp rules");
        }
      /* A rule left without names would be rejected by the runtime.  */
      names = json_get (rule, "names");
      if (names != NULL && YAJL_IS_ARRAY (names) && names->u.array.len == 0)
        json_array_remove (syscalls, i);
      else
        i++;
    }

  /* Watched syscalls that no unconditional rule mentions fall to the
     default action: notify them when that action would let them run.  */
  for (w = 0; vigil_watched_syscalls[w] != NULL; w++)
    {
      json_t names;

      if (covered[w] || !is_allow_action (default_action))
        continue;
      if (write_flags_index[w] >= 0)
        {
          if (add_write_rules (new_rules, vigil_watched_syscalls[w], write_flags_index[w], NULL) < 0)
            {
              yajl_tree_free (new_rules);
              return vigil_error_set (err, ENOMEM, "merge seccomp rules");
            }
          continue;
        }
      names = json_new_array ();
      if (names == NULL || json_array_append (names, json_new_string (vigil_watched_syscalls[w])) < 0
          || json_array_append (new_rules, new_notify_rule (names, NULL)) < 0)
        {
          yajl_tree_free (new_rules);
          return vigil_error_set (err, ENOMEM, "merge seccomp rules");
        }
    }

  for (i = 0; i < new_rules->u.array.len; i++)
    {
      json_t rule = new_rules->u.array.values[i];

      new_rules->u.array.values[i] = NULL;
      if (json_array_append (syscalls, rule) < 0)
        {
          yajl_tree_free (new_rules);
          return vigil_error_set (err, ENOMEM, "merge seccomp rules");
        }
    }
  yajl_tree_free (new_rules);
  return 0;
}

int
seccomp_merge (json_t config, const char *listener_path, const char *metadata, vigil_error_t *err)
{
  json_t linux_obj, seccomp;
  const char *existing;

  if (!YAJL_IS_OBJECT (config))
    return vigil_error_set (err, 0, "config.json is not a JSON object");

  linux_obj = json_get (config, "linux");
  if (linux_obj == NULL)
    {
      if (json_object_set (config, "linux", json_new_object ()) < 0)
        return vigil_error_set (err, ENOMEM, "add `linux`");
      linux_obj = json_get (config, "linux");
    }
  if (!YAJL_IS_OBJECT (linux_obj))
    return vigil_error_set (err, 0, "`linux` in config.json is not an object");

  seccomp = json_get (linux_obj, "seccomp");
  if (seccomp == NULL)
    {
      if (json_object_set (linux_obj, "seccomp", new_default_profile ()) < 0)
        return vigil_error_set (err, ENOMEM, "add linux.seccomp");
      seccomp = json_get (linux_obj, "seccomp");
    }
  if (!YAJL_IS_OBJECT (seccomp))
    return vigil_error_set (err, 0, "linux.seccomp is not an object");

  existing = json_get_string (seccomp, "listenerPath");
  if (existing != NULL && existing[0] != '\0')
    {
      /* Vigil merged this bundle before (a bundle created again, or an
         agent moved to another socket): its rules are in place, only the
         listener and the metadata are renewed.  */
      if (strcmp (existing, listener_path) == 0 || seccomp_merged_by_vigil (config))
        {
          if (json_object_set (seccomp, "listenerPath", json_new_string (listener_path)) < 0
              || json_object_set (seccomp, "listenerMetadata", json_new_string (metadata)) < 0)
            return vigil_error_set (err, ENOMEM, "set linux.seccomp.listenerPath");
          return SECCOMP_ALREADY_MERGED;
        }
      return vigil_error_set (err, 0,
                              "linux.seccomp.listenerPath is already set to `%s`: another seccomp "
                              "agent listens for this container, and a process can have only one "
                              "notify listener; remove it or run this container without vigil-runc",
                              existing);
    }

  if (add_notify_rules (seccomp, err) < 0)
    return -1;

  if (json_object_set (seccomp, "listenerPath", json_new_string (listener_path)) < 0
      || json_object_set (seccomp, "listenerMetadata", json_new_string (metadata)) < 0)
    return vigil_error_set (err, ENOMEM, "set linux.seccomp.listenerPath");
  return SECCOMP_MERGED;
}

bool
seccomp_merged_by_vigil (json_t config)
{
  json_t seccomp = json_get (json_get (config, "linux"), "seccomp");
  const char *path = json_get_string (seccomp, "listenerPath");
  const char *metadata = json_get_string (seccomp, "listenerMetadata");
  cleanup_error vigil_error_t err = NULL;
  cleanup_json json_t meta = NULL;

  if (path == NULL || path[0] == '\0' || metadata == NULL)
    return false;
  if (json_parse (metadata, strlen (metadata), &meta, &err) < 0)
    return false;
  return json_get_string (meta, "key") != NULL && json_get (meta, "version") != NULL
         && json_get_string (meta, "source") != NULL;
}

static bool
only_watched_names (json_t rule)
{
  json_t names = json_get (rule, "names");
  size_t i;

  if (names == NULL || !YAJL_IS_ARRAY (names) || names->u.array.len == 0)
    return false;
  for (i = 0; i < names->u.array.len; i++)
    if (!YAJL_IS_STRING (names->u.array.values[i]) || watched_index (names->u.array.values[i]->u.string) < 0)
      return false;
  return true;
}

int
seccomp_unmerge (json_t config, vigil_error_t *err)
{
  json_t seccomp = json_get (json_get (config, "linux"), "seccomp");
  json_t syscalls = json_get (seccomp, "syscalls");
  size_t i;

  if (!seccomp_merged_by_vigil (config))
    return 0;
  for (i = 0; syscalls != NULL && YAJL_IS_ARRAY (syscalls) && i < syscalls->u.array.len; i++)
    {
      json_t rule = syscalls->u.array.values[i];
      const char *action = json_get_string (rule, "action");

      /* The merge turned allowed watched syscalls into these rules, with
         the same conditions: allowing them again restores the profile.  */
      if (action != NULL && strcmp (action, "SCMP_ACT_NOTIFY") == 0 && only_watched_names (rule)
          && json_object_set (rule, "action", json_new_string ("SCMP_ACT_ALLOW")) < 0)
        return vigil_error_set (err, ENOMEM, "remove vigil's seccomp rules");
    }
  json_object_remove (seccomp, "listenerPath");
  json_object_remove (seccomp, "listenerMetadata");
  return 1;
}
