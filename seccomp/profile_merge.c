#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "common/cleanup.h"

#include "profile_merge.h"

const char *const vigil_watched_syscalls[] = {
  "execve", "execveat", "open",   "openat", "creat", "openat2",
  "bind",   "listen",   "connect", "sendto", "socket", NULL,
};

/* When each watched syscall notifies.  Conditions keep the agent out of
   the common case: reads, sends on connected sockets, ordinary sockets.  */
enum watch_condition
{
  NOTIFY_ALWAYS,
  NOTIFY_WRITE_FLAGS, /* open flags at arg ask for writing */
  NOTIFY_ARG_SET,     /* arg is not 0 (sendto with a destination address) */
  NOTIFY_RAW_SOCKET,  /* socket() of family AF_PACKET or type SOCK_RAW */
};

static const struct
{
  enum watch_condition condition;
  int arg;
} watch_conditions[] = {
  { NOTIFY_ALWAYS, -1 },     { NOTIFY_ALWAYS, -1 }, { NOTIFY_WRITE_FLAGS, 1 },
  { NOTIFY_WRITE_FLAGS, 2 }, { NOTIFY_ALWAYS, -1 }, /* openat2's flags are behind a pointer */
  { NOTIFY_ALWAYS, -1 },     { NOTIFY_ALWAYS, -1 }, { NOTIFY_ALWAYS, -1 },
  { NOTIFY_ALWAYS, -1 },     { NOTIFY_ARG_SET, 4 }, { NOTIFY_RAW_SOCKET, -1 },
};

_Static_assert (sizeof (watch_conditions) / sizeof (watch_conditions[0]) + 1
                    == sizeof (vigil_watched_syscalls) / sizeof (vigil_watched_syscalls[0]),
                "one condition per watched syscall");

/* The flags that make an open a write.  */
static const unsigned write_flags[] = { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC };
#define WRITE_FLAGS_MASK (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)

/* Socket types no packet or raw socket has, for the rules that let
   ordinary socket() calls through without notifying.  SOCK_DGRAM is let
   through for families other than AF_PACKET.  */
static const unsigned plain_socket_types[] = { SOCK_STREAM, SOCK_RDM, SOCK_SEQPACKET, SOCK_DCCP };
#define SOCK_TYPE_MASK 0xf

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

/* The index of name among the watched syscalls, unless its bit is set
   in skip (the syscalls a merge leaves alone).  */
static int
handled_index (const char *name, unsigned skip)
{
  int w = watched_index (name);

  return w >= 0 && (skip & (1u << w)) ? -1 : w;
}

/* Whether the process of config can ever hold CAP_NET_RAW, which raw and
   packet sockets need.  Without it in the bounding set, the kernel refuses
   them by itself, and the socket() rules are left out: they are the
   costliest for libseccomp to build (with podman's profile, 13 of the
   15 ms the merge adds at create).  */
static bool
may_use_raw_sockets (json_t config)
{
  json_t bounding = json_get (json_get (json_get (config, "process"), "capabilities"), "bounding");
  size_t i;

  if (bounding == NULL || !YAJL_IS_ARRAY (bounding))
    return true;
  for (i = 0; i < bounding->u.array.len; i++)
    {
      json_t c = bounding->u.array.values[i];
      if (YAJL_IS_STRING (c) && strcmp (c->u.string, "CAP_NET_RAW") == 0)
        return true;
    }
  return false;
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

/* Argument conditions as the OCI profile writes them ("args").  */
enum cmp_op
{
  CMP_NE,
  CMP_LT,
  CMP_LE,
  CMP_EQ,
  CMP_GE,
  CMP_GT,
  CMP_MASKED_EQ, /* (arg & value) == value_two */
};

static const char *const cmp_op_names[] = {
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
  "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};

struct cond
{
  unsigned index;
  enum cmp_op op;
  uint64_t value;
  uint64_t value_two;
};

/* A rule's conditions, all of which must hold.  libseccomp takes at most
   one per argument.  */
#define MAX_CONDS 6
struct cond_set
{
  struct cond c[MAX_CONDS];
  unsigned n;
};

#define COND(i, o, v, v2) ((struct cond){ .index = (i), .op = (o), .value = (v), .value_two = (v2) })

static bool
cond_holds (const struct cond *c, uint64_t x)
{
  switch (c->op)
    {
    case CMP_NE:
      return x != c->value;
    case CMP_LT:
      return x < c->value;
    case CMP_LE:
      return x <= c->value;
    case CMP_EQ:
      return x == c->value;
    case CMP_GE:
      return x >= c->value;
    case CMP_GT:
      return x > c->value;
    case CMP_MASKED_EQ:
      return (x & c->value) == c->value_two;
    }
  return false;
}

static int
cond_from_json (json_t arg, struct cond *out)
{
  const char *op = json_get_string (arg, "op");
  size_t i;

  if (op == NULL || json_get (arg, "index") == NULL)
    return -1;
  for (i = 0; i < sizeof (cmp_op_names) / sizeof (cmp_op_names[0]); i++)
    if (strcmp (op, cmp_op_names[i]) == 0)
      break;
  if (i == sizeof (cmp_op_names) / sizeof (cmp_op_names[0]))
    return -1;
  out->op = (enum cmp_op) i;
  out->index = (unsigned) json_get_uint (arg, "index", 6);
  out->value = json_get_uint (arg, "value", 0);
  out->value_two = json_get_uint (arg, "valueTwo", 0);
  return out->index < 6 ? 0 : -1;
}

static json_t
cond_to_json (const struct cond *c)
{
  json_t arg = json_new_object ();

  if (arg == NULL)
    return NULL;
  if (json_object_set (arg, "index", json_new_uint (c->index)) < 0
      || json_object_set (arg, "value", json_new_uint (c->value)) < 0
      || json_object_set (arg, "valueTwo", json_new_uint (c->value_two)) < 0
      || json_object_set (arg, "op", json_new_string (cmp_op_names[c->op])) < 0)
    {
      yajl_tree_free (arg);
      return NULL;
    }
  return arg;
}

/* The ways a and b, two conditions on one argument, can both hold, each
   as one condition: none (out empty), one, or a few when a range must be
   split.  Returns the number written, or -1 when the pair cannot be
   written that way.  */
static int
intersect (const struct cond *a, const struct cond *b, struct cond *out, unsigned max)
{
  uint64_t lo, hi, x;
  unsigned n = 0;

  if (b->op == CMP_EQ || a->op == CMP_EQ)
    {
      const struct cond *eq = b->op == CMP_EQ ? b : a, *other = eq == b ? a : b;
      if (!cond_holds (other, eq->value))
        return 0;
      out[0] = *eq;
      return 1;
    }
  if ((a->op == CMP_MASKED_EQ && b->op == CMP_NE) || (a->op == CMP_NE && b->op == CMP_MASKED_EQ))
    {
      const struct cond *masked = a->op == CMP_MASKED_EQ ? a : b, *ne = masked == a ? b : a;
      if ((ne->value & masked->value) == masked->value_two)
        return -1; /* not one condition */
      out[0] = *masked;
      return 1;
    }
  if (a->op == CMP_MASKED_EQ && b->op == CMP_MASKED_EQ && a->value == b->value)
    {
      if (a->value_two != b->value_two)
        return 0;
      out[0] = *a;
      return 1;
    }
  if (a->op == CMP_NE && b->op == CMP_NE)
    {
      if (a->value == b->value)
        {
          out[0] = *a;
          return 1;
        }
      /* x != lo and x != hi: below lo, above hi, or one of the few
         values between.  */
      lo = a->value < b->value ? a->value : b->value;
      hi = a->value < b->value ? b->value : a->value;
      if (hi - lo - 1 > max - 2)
        return -1;
      if (lo > 0)
        out[n++] = COND (a->index, CMP_LT, lo, 0);
      if (hi < UINT64_MAX)
        out[n++] = COND (a->index, CMP_GT, hi, 0);
      for (x = lo + 1; x < hi; x++)
        out[n++] = COND (a->index, CMP_EQ, x, 0);
      return (int) n;
    }
  return -1;
}

/* Add to out (room for max sets, *n used) every set that holds when both
   base and ours hold.  Returns -1 when that cannot be written as rules.  */
static int
combine (const struct cond_set *base, const struct cond_set *ours, struct cond_set *out, unsigned max,
         unsigned *n)
{
  struct cond_set work[16];
  unsigned nw = 1, i, j, k;

  work[0] = *ours;
  for (i = 0; i < base->n; i++)
    {
      struct cond_set next[16];
      unsigned nn = 0;

      for (j = 0; j < nw; j++)
        {
          struct cond alts[6];
          int na = -2;

          for (k = 0; k < work[j].n; k++)
            if (work[j].c[k].index == base->c[i].index)
              {
                na = intersect (&base->c[i], &work[j].c[k], alts, 6);
                break;
              }
          if (na == -1)
            return -1;
          if (na == -2)
            {
              /* No condition of ours on this argument: add the base's.  */
              if (nn == 16 || work[j].n == MAX_CONDS)
                return -1;
              next[nn] = work[j];
              next[nn].c[next[nn].n++] = base->c[i];
              nn++;
              continue;
            }
          for (int alt = 0; alt < na; alt++)
            {
              if (nn == 16)
                return -1;
              next[nn] = work[j];
              next[nn].c[k] = alts[alt];
              nn++;
            }
        }
      memcpy (work, next, sizeof (next[0]) * nn);
      nw = nn;
    }
  for (j = 0; j < nw; j++)
    {
      if (*n == max)
        return -1;
      out[(*n)++] = work[j];
    }
  return 0;
}

/* The conditions under which watched syscall w notifies (notify) and the
   rest of its calls (allow).  */
static void
condition_sets (int w, struct cond_set *notify, unsigned *n_notify, struct cond_set *allow,
                unsigned *n_allow)
{
  const unsigned arg = (unsigned) watch_conditions[w].arg;
  size_t i;

  *n_notify = *n_allow = 0;
  switch (watch_conditions[w].condition)
    {
    case NOTIFY_WRITE_FLAGS:
      for (i = 0; i < sizeof (write_flags) / sizeof (write_flags[0]); i++)
        notify[(*n_notify)++] = (struct cond_set){ { COND (arg, CMP_MASKED_EQ, write_flags[i], write_flags[i]) }, 1 };
      allow[(*n_allow)++] = (struct cond_set){ { COND (arg, CMP_MASKED_EQ, WRITE_FLAGS_MASK, 0) }, 1 };
      break;

    case NOTIFY_ARG_SET:
      notify[(*n_notify)++] = (struct cond_set){ { COND (arg, CMP_NE, 0, 0) }, 1 };
      allow[(*n_allow)++] = (struct cond_set){ { COND (arg, CMP_EQ, 0, 0) }, 1 };
      break;

    case NOTIFY_RAW_SOCKET:
      /* Raw sockets of any family, packet sockets of every type.  The
         sets do not overlap: each call matches one rule at most.  */
      notify[(*n_notify)++] = (struct cond_set){ { COND (1, CMP_MASKED_EQ, SOCK_TYPE_MASK, SOCK_RAW) }, 1 };
      notify[(*n_notify)++] = (struct cond_set){ { COND (1, CMP_MASKED_EQ, SOCK_TYPE_MASK, SOCK_PACKET) }, 1 };
      /* The kernel reads the family as an int: its upper 32 bits are
         ignored, so only the lower ones are compared.  */
      notify[(*n_notify)++] = (struct cond_set){
        { COND (0, CMP_MASKED_EQ, 0xffffffffu, AF_PACKET), COND (1, CMP_MASKED_EQ, SOCK_TYPE_MASK, SOCK_DGRAM) }, 2
      };
      for (i = 0; i < sizeof (plain_socket_types) / sizeof (plain_socket_types[0]); i++)
        allow[(*n_allow)++] = (struct cond_set){ { COND (1, CMP_MASKED_EQ, SOCK_TYPE_MASK, plain_socket_types[i]) }, 1 };
      allow[(*n_allow)++] = (struct cond_set){
        { COND (0, CMP_NE, AF_PACKET, 0), COND (1, CMP_MASKED_EQ, SOCK_TYPE_MASK, SOCK_DGRAM) }, 2
      };
      break;

    case NOTIFY_ALWAYS:
      break;
    }
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
rule_from_set (const char *name, const char *action, const struct cond_set *set)
{
  json_t rule = json_new_object ();
  json_t args = json_new_array ();
  unsigned i, next, done = 0;

  if (rule == NULL || args == NULL)
    goto fail;
  /* In the order of the arguments, as libseccomp tests them.  */
  for (next = 0; next < 6 && done < set->n; next++)
    for (i = 0; i < set->n; i++)
      if (set->c[i].index == next)
        {
          if (json_array_append (args, cond_to_json (&set->c[i])) < 0)
            goto fail;
          done++;
        }
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

/* Rules for a syscall w that notifies under conditions: notify when they
   hold, and, when allow_action is not NULL, let every other call through
   with it.  base_args (NULL or the "args" of the rule that allowed the
   syscall) must hold too.  The rules never overlap, so their order does
   not matter to the runtime or to libseccomp.  Returns 0, 1 when the
   conditions cannot be combined with base_args (nothing is added: the
   caller keeps the original rule), -1 when out of memory.  */
static int
add_conditional_rules (json_t new_rules, int w, const char *allow_action, json_t base_args)
{
  const char *name = vigil_watched_syscalls[w];
  struct cond_set notify[8], allow[8], base = { .n = 0 };
  struct cond_set out_notify[32], out_allow[32];
  unsigned n_notify, n_allow, n_out_notify = 0, n_out_allow = 0, i;

  condition_sets (w, notify, &n_notify, allow, &n_allow);
  for (i = 0; base_args != NULL && YAJL_IS_ARRAY (base_args) && i < base_args->u.array.len; i++)
    if (base.n == MAX_CONDS || cond_from_json (base_args->u.array.values[i], &base.c[base.n++]) < 0)
      return 1;
  for (i = 0; i < n_notify; i++)
    if (combine (&base, &notify[i], out_notify, 32, &n_out_notify) < 0)
      return 1;
  for (i = 0; allow_action != NULL && i < n_allow; i++)
    if (combine (&base, &allow[i], out_allow, 32, &n_out_allow) < 0)
      return 1;

  for (i = 0; i < n_out_notify; i++)
    if (json_array_append (new_rules, rule_from_set (name, "SCMP_ACT_NOTIFY", &out_notify[i])) < 0)
      return -1;
  for (i = 0; i < n_out_allow; i++)
    if (json_array_append (new_rules, rule_from_set (name, allow_action, &out_allow[i])) < 0)
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
split_rule (json_t syscalls, size_t index, bool *covered, json_t new_rules, unsigned skip)
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
      if (YAJL_IS_STRING (n) && (w = handled_index (n->u.string, skip)) >= 0 && !conditional)
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
      int wi = YAJL_IS_STRING (n) ? handled_index (n->u.string, skip) : -1;

      int ret;

      if (wi < 0)
        {
          i++;
          continue;
        }
      if (watch_conditions[wi].condition != NOTIFY_ALWAYS)
        {
          /* The rule's own conditions and the notify conditions must both
             hold; where they cannot be combined into rules, the rule is
             kept as it is and the syscall goes unwatched under it.  */
          ret = add_conditional_rules (new_rules, wi, action, conditional ? json_get (rule, "args") : NULL);
          if (ret < 0)
            {
              yajl_tree_free (moved);
              return -1;
            }
          if (ret > 0)
            {
              i++;
              continue;
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

static bool
same_rule (json_t a, json_t b)
{
  cleanup_error vigil_error_t err = NULL;
  cleanup_free char *ta = NULL, *tb = NULL;

  return json_generate (a, false, &ta, NULL, &err) == 0 && json_generate (b, false, &tb, NULL, &err) == 0
         && strcmp (ta, tb) == 0;
}

/* Move the new rules to syscalls: every notify rule first, then the
   rest, each once.  libseccomp builds its filter in the order of the
   rules, and some orders of overlapping conditional rules make it run
   for minutes (2.5.4: allow rules on socket() with conditions on
   arguments 0 and 2 before the notify ones), which would hang the runtime
   at create.  tests/unit/test_merge.c compiles merged profiles to catch
   such cases.  */
static int
append_new_rules (json_t syscalls, json_t new_rules)
{
  size_t first = syscalls->u.array.len, pass, i, j;

  for (pass = 0; pass < 2; pass++)
    for (i = 0; i < new_rules->u.array.len; i++)
      {
        json_t rule = new_rules->u.array.values[i];
        const char *action = rule ? json_get_string (rule, "action") : NULL;
        bool notify = action != NULL && strcmp (action, "SCMP_ACT_NOTIFY") == 0;
        bool duplicate = false;

        if (rule == NULL || notify != (pass == 0))
          continue;
        for (j = first; j < syscalls->u.array.len && !duplicate; j++)
          duplicate = same_rule (syscalls->u.array.values[j], rule);
        if (duplicate)
          continue;
        new_rules->u.array.values[i] = NULL;
        if (json_array_append (syscalls, rule) < 0)
          return -1;
      }
  return 0;
}

static int
add_notify_rules (json_t seccomp, unsigned skip, vigil_error_t *err)
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
      if (split_rule (syscalls, i, covered, new_rules, skip) < 0)
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

      if (covered[w] || !is_allow_action (default_action) || (skip & (1u << w)))
        continue;
      if (watch_conditions[w].condition != NOTIFY_ALWAYS)
        {
          if (add_conditional_rules (new_rules, w, NULL, NULL) < 0)
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

  if (append_new_rules (syscalls, new_rules) < 0)
    {
      yajl_tree_free (new_rules);
      return vigil_error_set (err, ENOMEM, "merge seccomp rules");
    }
  yajl_tree_free (new_rules);
  return 0;
}

int
profile_merge (json_t config, const char *listener_path, const char *metadata, vigil_error_t *err)
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
      if (strcmp (existing, listener_path) == 0 || profile_merged_by_vigil (config))
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

  if (add_notify_rules (seccomp, may_use_raw_sockets (config) ? 0 : 1u << watched_index ("socket"), err) < 0)
    return -1;

  if (json_object_set (seccomp, "listenerPath", json_new_string (listener_path)) < 0
      || json_object_set (seccomp, "listenerMetadata", json_new_string (metadata)) < 0)
    return vigil_error_set (err, ENOMEM, "set linux.seccomp.listenerPath");
  return SECCOMP_MERGED;
}

bool
profile_merged_by_vigil (json_t config)
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
profile_unmerge (json_t config, vigil_error_t *err)
{
  json_t seccomp = json_get (json_get (config, "linux"), "seccomp");
  json_t syscalls = json_get (seccomp, "syscalls");
  size_t i;

  if (!profile_merged_by_vigil (config))
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
