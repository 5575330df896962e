#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>


#include "agent/agent.h"
#include "agent/exec_policy.h"
#include "agent/malware.h"
#include "agent/exec_sensor.h"
#include "agent/file_sensor.h"
#include "agent/net_sensor.h"
#include "agent/open_sensor.h"
#include "common/resolve.h"
#include "common/kernel-compat.h"
#include "policy/netaddr.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "seccomp/target_mem.h"

#define X32_SYSCALL_BIT 0x40000000

struct exec_request
{
  bool is_execveat;
  unsigned ptr_size;
  int dirfd;                /* AT_FDCWD for execve */
  uint64_t path_addr;
  uint64_t argv_addr;
  int flags;                /* execveat flags */
  char path[PATH_MAX];
  /* argv[0], read from the process on first use (load_argv0): most execs
     are allowed without it, and reading it costs two system calls.  */
  char argv0[NAME_MAX + 1];
  bool argv0_loaded;
  pid_t pid;
};

/* The number of a network syscall on arch.  libseccomp gives negative
   pseudo numbers for calls an architecture reaches through socketcall
   only; those become -1, which never matches.  */
static int
net_nr (uint32_t arch, const char *name)
{
  int nr = seccomp_syscall_resolve_name_arch (arch, name);
  return nr < 0 ? -1 : nr;
}

#define RESOLVE_NETWORK(t, arch)                                                                   \
  do                                                                                               \
    {                                                                                              \
      (t).bind = net_nr ((arch), "bind");                                                          \
      (t).listen = net_nr ((arch), "listen");                                                      \
      (t).connect = net_nr ((arch), "connect");                                                    \
      (t).sendto = net_nr ((arch), "sendto");                                                      \
      (t).socket = net_nr ((arch), "socket");                                                      \
      (t).socketcall = net_nr ((arch), "socketcall");                                              \
    }                                                                                              \
  while (0)

int
exec_syscalls_init (struct exec_syscalls *nrs, vigil_error_t *err)
{
  static const struct
  {
    uint32_t arch;
    unsigned ptr_size;
  } arches[] = {
#if defined(__x86_64__)
    { SCMP_ARCH_X86_64, 8 }, { SCMP_ARCH_X86, 4 }, { SCMP_ARCH_X32, 4 },
#elif defined(__aarch64__)
    { SCMP_ARCH_AARCH64, 8 }, { SCMP_ARCH_ARM, 4 },
#endif
    { 0, 0 },
  };
  unsigned i;

  memset (nrs, 0, sizeof (*nrs));
  for (i = 0; arches[i].arch != 0 && nrs->n < 4; i++)
    {
      int e = seccomp_syscall_resolve_name_arch (arches[i].arch, "execve");
      int ea = seccomp_syscall_resolve_name_arch (arches[i].arch, "execveat");
      if (e < 0)
        continue;
      nrs->table[nrs->n].arch = arches[i].arch;
      nrs->table[nrs->n].execve = e;
      nrs->table[nrs->n].execveat = ea;
      nrs->table[nrs->n].open = seccomp_syscall_resolve_name_arch (arches[i].arch, "open");
      nrs->table[nrs->n].openat = seccomp_syscall_resolve_name_arch (arches[i].arch, "openat");
      nrs->table[nrs->n].creat = seccomp_syscall_resolve_name_arch (arches[i].arch, "creat");
      nrs->table[nrs->n].openat2 = seccomp_syscall_resolve_name_arch (arches[i].arch, "openat2");
      RESOLVE_NETWORK (nrs->table[nrs->n], arches[i].arch);
      nrs->table[nrs->n].ptr_size = arches[i].ptr_size;
      nrs->n++;
    }
  if (nrs->n == 0)
    {
      int e = seccomp_syscall_resolve_name ("execve");
      int ea = seccomp_syscall_resolve_name ("execveat");
      if (e < 0)
        return vigil_error_set (err, 0, "libseccomp does not know execve on this architecture");
      nrs->table[0].arch = seccomp_arch_native ();
      nrs->table[0].execve = e;
      nrs->table[0].execveat = ea;
      nrs->table[0].open = seccomp_syscall_resolve_name ("open");
      nrs->table[0].openat = seccomp_syscall_resolve_name ("openat");
      nrs->table[0].creat = seccomp_syscall_resolve_name ("creat");
      nrs->table[0].openat2 = seccomp_syscall_resolve_name ("openat2");
      RESOLVE_NETWORK (nrs->table[0], seccomp_arch_native ());
      nrs->table[0].ptr_size = sizeof (void *);
      nrs->n = 1;
    }
  return 0;
}

int
exec_syscalls_match (const struct exec_syscalls *nrs, const struct seccomp_notif *req)
{
  unsigned i;
  int nr = req->data.nr;

  for (i = 0; i < nrs->n; i++)
    {
      uint32_t arch = nrs->table[i].arch;
      if (arch == SCMP_ARCH_X32)
        arch = AUDIT_ARCH_X86_64;
      if (req->data.arch != arch)
        continue;
      if (nrs->table[i].arch == SCMP_ARCH_X32 && !(nr & X32_SYSCALL_BIT))
        continue;
      if (nrs->table[i].arch == SCMP_ARCH_X86_64 && (nr & X32_SYSCALL_BIT))
        continue;
      return (int) i;
    }
  return -1;
}

/* x32 shares AUDIT_ARCH_X86_64 and marks its numbers with
   X32_SYSCALL_BIT, which libseccomp's numbers may or may not carry.  */
bool
exec_syscalls_is (int nr, int syscall_nr)
{
  return syscall_nr >= 0 && (nr == syscall_nr || (nr | X32_SYSCALL_BIT) == syscall_nr);
}

/* Decode which exec call req is; -ENOSYS for any other syscall.  */
static int
decode_request (const struct exec_syscalls *nrs, const struct seccomp_notif *req, struct exec_request *er)
{
  int i = exec_syscalls_match (nrs, req);
  int nr = req->data.nr;

  memset (er, 0, sizeof (*er));
  if (i < 0)
    return -ENOSYS;
  if (exec_syscalls_is (nr, nrs->table[i].execve))
    er->is_execveat = false;
  else if (exec_syscalls_is (nr, nrs->table[i].execveat))
    er->is_execveat = true;
  else
    return -ENOSYS;
  er->ptr_size = nrs->table[i].ptr_size;
  if (er->is_execveat)
    {
      er->dirfd = (int) (int32_t) req->data.args[0];
      er->path_addr = req->data.args[1];
      er->argv_addr = req->data.args[2];
      er->flags = (int) req->data.args[4];
    }
  else
    {
      er->dirfd = AT_FDCWD;
      er->path_addr = req->data.args[0];
      er->argv_addr = req->data.args[1];
    }
  return 0;
}

static void
read_argv0 (pid_t pid, struct exec_request *er)
{
  uint64_t p = 0;
  ssize_t n;

  if (er->argv0_loaded)
    return;
  er->argv0_loaded = true;
  if (er->argv_addr == 0 || target_read_pointer (pid, er->argv_addr, er->ptr_size, &p) < 0 || p == 0)
    return;
  n = target_read_string (pid, p, er->argv0, sizeof (er->argv0));
  if (n < 0)
    er->argv0[0] = '\0';
}

static void
load_argv0 (void *ctx)
{
  struct exec_request *er = ctx;

  read_argv0 (er->pid, er);
}

/* The directory a relative path starts from, as an in-container path, and
   its identity, for resolve_in_root to check against.  */
static int
start_directory (int procfd, const struct exec_request *er, char *buf, size_t size, struct stat *st)
{
  char name[32];
  ssize_t n;

  if (er->dirfd == AT_FDCWD)
    snprintf (name, sizeof (name), "cwd");
  else if (er->dirfd >= 0)
    snprintf (name, sizeof (name), "fd/%d", er->dirfd);
  else
    return -EBADF;
  n = readlinkat (procfd, name, buf, size - 1);
  if (n < 0)
    return -errno;
  buf[n] = '\0';
  if (fstatat (procfd, name, st, 0) < 0)
    return -errno;
  return 0;
}

/* Name a multi-call binary (busybox) that started itself again through
   /proc/self/exe by argv[0], like the symlink an exec by name would have
   used.  The name is taken only if a file of that name beside the binary
   or in a standard directory is the same file.  */
static void
name_reexec (const struct resolve_root *root, struct exec_request *er, struct resolved_path *rp)
{
  static const char *const dirs[] = { NULL, "/bin", "/usr/bin", "/sbin", "/usr/sbin" };
  char exe_dir[PATH_MAX], candidate[PATH_MAX];
  const char *base;
  size_t i;

  load_argv0 (er);
  if (er->argv0[0] == '\0')
    return;
  base = strrchr (er->argv0, '/') ? strrchr (er->argv0, '/') + 1 : er->argv0;
  if (base[0] == '\0' || strcmp (base, ".") == 0 || strcmp (base, "..") == 0)
    return;
  snprintf (exe_dir, sizeof (exe_dir), "%s", rp->target);
  *strrchr (exe_dir, '/') = '\0';

  for (i = 0; i < sizeof (dirs) / sizeof (dirs[0]); i++)
    {
      struct resolved_path alt;
      const char *dir = dirs[i] ? dirs[i] : exe_dir;

      if (snprintf (candidate, sizeof (candidate), "%s/%s", dir, base) >= (int) sizeof (candidate))
        continue;
      if (resolve_in_root (root, NULL, 0, 0, candidate, &alt) == 0 && alt.dev == rp->dev
          && alt.ino == rp->ino)
        {
          memcpy (rp->name, alt.name, sizeof (rp->name));
          return;
        }
    }
}

void
exec_sensor_respond (struct agent *a, struct agent_notifier *n, uint64_t id, int errnum)
{
  int ret;

  if (errnum == 0)
    ret = notify_respond_continue (n->w.fd, a->resp, a->sizes.resp, id);
  else
    ret = notify_respond_error (n->w.fd, a->resp, a->sizes.resp, id, errnum);
  if (ret < 0)
    log_error ("respond to notification %llu of container `%s`: %s", (unsigned long long) id,
               n->container->id, strerror (-ret));
}

int
exec_sensor_root_prefix (const struct agent_container *c, int procfd, int rootfd, char *prefix,
                         size_t size)
{
  struct stat st;
  ssize_t n;

  prefix[0] = '\0';
  if (!c->has_root || fstat (rootfd, &st) < 0 || (st.st_dev == c->root_dev && st.st_ino == c->root_ino))
    return 0;
  n = readlinkat (procfd, "root", prefix, size - 1);
  if (n <= 0 || prefix[0] != '/')
    return -ESTALE;
  prefix[n] = '\0';
  if (strcmp (prefix, "/") == 0)
    {
      /* Another root that still reads as "/": one we cannot name.  */
      prefix[0] = '\0';
      return -ESTALE;
    }
  return 0;
}

int
exec_sensor_apply_prefix (char *path, size_t size, const char *prefix)
{
  char joined[PATH_MAX];

  if (prefix[0] == '\0')
    return 0;
  if (snprintf (joined, sizeof (joined), "%s%s", prefix, path) >= (int) sizeof (joined)
      || strlen (joined) >= size)
    return -ENAMETOOLONG;
  memcpy (path, joined, strlen (joined) + 1);
  return 0;
}

/* Read the request and resolve what it executes.  Returns 0 with rp
   filled, or a negative errno of resolve_in_root, or -ESRCH when the
   target went away.  */
static int
inspect (struct agent *a, struct agent_notifier *n, const struct seccomp_notif *req,
         struct exec_request *er, struct resolved_path *rp)
{
  cleanup_close int procfd = -1;
  cleanup_close int rootfd = -1;
  char proc_path[32], start[PATH_MAX];
  struct stat start_st = { 0 };
  struct resolve_root root;
  ssize_t len;
  int ret;

  /* An fd on /proc/PID stays bound to this process even if the pid is
     reused, so once the id is known to be valid below, everything opened
     through procfd belongs to the notifying process.  */
  snprintf (proc_path, sizeof (proc_path), "/proc/%d", (int) req->pid);
  procfd = open (proc_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (procfd < 0)
    return -ESRCH;

  len = target_read_string (req->pid, er->path_addr, er->path, sizeof (er->path));
  er->pid = (pid_t) req->pid;
  if (!notify_id_valid (n->w.fd, req->id))
    return -ESRCH;
  if (len < 0)
    return (int) len;

  rootfd = openat (procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return -ESRCH;
  root.rootfd = rootfd;
  root.procfd = procfd;

  if (er->is_execveat && er->path[0] == '\0' && (er->flags & AT_EMPTY_PATH))
    {
      /* fexecve: the file is the descriptor itself.  */
      if (er->dirfd < 0)
        return -EBADF;
      snprintf (er->path, sizeof (er->path), "/proc/self/fd/%d", er->dirfd);
    }

  if (er->path[0] != '/')
    {
      ret = start_directory (procfd, er, start, sizeof (start), &start_st);
      if (ret < 0)
        return ret == -ENOENT ? -ESTALE : ret;
    }
  ret = resolve_in_root (&root, start, start_st.st_dev, start_st.st_ino, er->path, rp);
  if (ret == 0 && rp->via_proc_exe)
    name_reexec (&root, er, rp);
  if (ret == 0)
    {
      /* A chrooted process names files from its own root: name them from
         the container's, where the model's names are.  */
      char prefix[PATH_MAX];

      ret = exec_sensor_root_prefix (n->container, procfd, rootfd, prefix, sizeof (prefix));
      if (ret == 0 && (exec_sensor_apply_prefix (rp->name, sizeof (rp->name), prefix) < 0
                       || exec_sensor_apply_prefix (rp->target, sizeof (rp->target), prefix) < 0))
        ret = -ENAMETOOLONG;
    }
  return ret;
}

/* Whether file is a dynamic loader that the process runs directly, as in
   "ld.so /tmp/x", which executes /tmp/x without an exec of it.  */
static bool
is_dynamic_loader (const char *file)
{
  const char *base = strrchr (file, '/') ? strrchr (file, '/') + 1 : file;

  return strncmp (base, "ld-linux", 8) == 0 || strncmp (base, "ld-musl-", 8) == 0
         || strcmp (base, "ld.so") == 0;
}

/* The program the loader is asked to run: its first argument that is not
   an option of ld.so(8).  */
static int
loader_program (pid_t pid, const struct exec_request *er, char *out, size_t size)
{
  static const char *const with_value[] = { "--library-path", "--inhibit-rpath", "--audit",
                                            "--preload", "--argv0", "--glibc-hwcaps-prefix",
                                            "--glibc-hwcaps-mask", NULL };
  uint64_t p;
  unsigned i, j;
  ssize_t n;

  for (i = 1; i < 64; i++)
    {
      if (target_read_pointer (pid, er->argv_addr + (uint64_t) i * er->ptr_size, er->ptr_size, &p) < 0
          || p == 0)
        return -ENOENT;
      n = target_read_string (pid, p, out, size);
      if (n < 0)
        return (int) n;
      if (strncmp (out, "--", 2) != 0)
        return 0;
      for (j = 0; with_value[j] != NULL; j++)
        if (strcmp (out, with_value[j]) == 0)
          i++;
    }
  return -E2BIG;
}

/* Whether the descriptor the process names through /proc/self/fd (or
   fexecve) is a file with no path: a memfd or a deleted file.  */
static bool
is_fileless (pid_t pid, const char *path)
{
  char link[64], target[PATH_MAX];
  ssize_t n;
  int fd;

  if (sscanf (path, "/proc/self/fd/%d", &fd) != 1 && sscanf (path, "/proc/thread-self/fd/%d", &fd) != 1)
    return false;
  snprintf (link, sizeof (link), "/proc/%d/fd/%d", (int) pid, fd);
  n = readlink (link, target, sizeof (target) - 1);
  if (n < 0)
    return false;
  target[n] = '\0';
  return strncmp (target, "/memfd:", 7) == 0 || (n > 10 && strcmp (target + n - 10, " (deleted)") == 0);
}

static void
expect_open (struct agent *a, pid_t tid, const struct resolved_path *rp, bool has_file, bool threat)
{
  exec_pending_put (&a->pending, tid, has_file, has_file ? rp->dev : 0, has_file ? rp->ino : 0, threat,
                    monotonic_ms ());
}

/* "ld.so PROGRAM": decide on PROGRAM, which the loader maps itself.
   NOTE: the program path is read from the process and the loader opens
   it later without an exec, so this check, unlike the one on exec'd
   files, can be raced by another thread of the process.  */
static bool
decide_loader_exec (struct agent *a, struct agent_notifier *n, const struct seccomp_notif *req,
                    struct exec_request *er, const struct resolved_path *loader)
{
  struct agent_container *c = n->container;
  struct resolve_root root = { .procfd = -1 };
  struct resolved_path prog;
  struct exec_subject s;
  const struct hash_entry *hit;
  char program[PATH_MAX], proc_path[64], reason[PATH_MAX + 512], matched[65];
  bool blocked_allow;
  int rootfd, ret;

  if (loader_program (req->pid, er, program, sizeof (program)) < 0)
    return true; /* no program: ld.so prints its usage */
  snprintf (proc_path, sizeof (proc_path), "/proc/%d/root", (int) req->pid);
  rootfd = open (proc_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return true;
  root.rootfd = rootfd;
  if (program[0] != '/')
    {
      /* A relative program is relative to the loader's cwd.  */
      char cwd[PATH_MAX], joined[2 * PATH_MAX], link[64];
      ssize_t len;

      snprintf (link, sizeof (link), "/proc/%d/cwd", (int) req->pid);
      len = readlink (link, cwd, sizeof (cwd) - 1);
      if (len < 0)
        {
          close (rootfd);
          return true;
        }
      cwd[len] = '\0';
      snprintf (joined, sizeof (joined), "%s/%s", cwd, program);
      if (strlen (joined) >= sizeof (program))
        {
          close (rootfd);
          return true;
        }
      memcpy (program, joined, strlen (joined) + 1);
    }
  ret = resolve_in_root (&root, NULL, 0, 0, program, &prog);
  close (rootfd);
  if (ret < 0)
    return true; /* the loader fails on it as well */

  s.name = prog.name;
  s.target = prog.target;
  s.argv0 = er->argv0;
  s.load_argv0 = load_argv0;
  s.argv0_ctx = er;
  s.pid = (pid_t) req->pid;
  s.file_level = false;
  s.has_stat = true;
  s.size = prog.size;
  s.mtime_ns = prog.mtime_ns;
  /* The loader maps the program without an exec, so fanotify reports no
     event for it and the hash feed is checked here.  */
  hit = malware_check_in_root (a, (pid_t) req->pid, &prog, matched);
  if (hit != NULL)
    {
      malware_reason (a, hit, matched, "program run through the dynamic loader", reason, sizeof (reason));
      return exec_policy_threat (a, c, &s, reason, true);
    }
  if (exec_policy_blocked (a, c, &s, &blocked_allow))
    return blocked_allow;
  if (inode_set_contains (&c->written, prog.dev, prog.ino) && !exec_policy_may_run_written (c, prog.target))
    {
      snprintf (reason, sizeof (reason), "modified binary: written after the container started, run "
                                         "through the dynamic loader `%s`",
                loader->name);
      return exec_policy_threat (a, c, &s, reason, false);
    }
  if (exec_policy_temporary (c, prog.name, prog.target, reason, sizeof (reason)))
    return exec_policy_threat (a, c, &s, reason, false);
  return exec_policy_decide (a, c, &s);
}

/* Threat detection: programs that mine cryptocurrencies, by the names
   their releases use.  */
static bool
is_known_miner (const char *path, char *reason, size_t size)
{
  static const char *const miners[] = { "xmrig", "xmr-stak", "minerd", "cpuminer", "ccminer", "ethminer",
                                        "t-rex", "nbminer", "lolminer", "phoenixminer", "nanominer" };
  const char *base = strrchr (path, '/') ? strrchr (path, '/') + 1 : path;
  size_t i;

  for (i = 0; i < sizeof (miners) / sizeof (miners[0]); i++)
    if (strcasecmp (base, miners[i]) == 0)
      {
        snprintf (reason, size, "crypto miner: `%s` is the name of a known miner", base);
        return true;
      }
  return false;
}

/* Whether path names a shell, by its last component.  */
static bool
is_shell (const char *path)
{
  static const char *const shells[] = { "sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish" };
  const char *base = strrchr (path, '/') ? strrchr (path, '/') + 1 : path;
  size_t i;

  for (i = 0; i < sizeof (shells) / sizeof (shells[0]); i++)
    if (strcmp (base, shells[i]) == 0)
      return true;
  return false;
}

/* The IP peer of fd of the process of pidfd as text, or false when fd is
   not a connected IP socket.  */
static bool
ip_peer (int pidfd, int fd, char *peer, size_t size)
{
  cleanup_close int sock = (int) syscall (SYS_pidfd_getfd, pidfd, fd, 0);
  cleanup_error vigil_error_t err = NULL;
  struct sockaddr_storage ss;
  socklen_t len = sizeof (ss), dlen = sizeof (int);
  struct netaddr na;
  int domain;

  if (sock < 0 || getsockopt (sock, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) < 0
      || (domain != AF_INET && domain != AF_INET6))
    return false;
  if (getpeername (sock, (struct sockaddr *) &ss, &len) < 0 || netaddr_decode (&ss, len, &na, &err) < 0)
    return false;
  netaddr_format (&na, peer, size);
  return true;
}

/* Threat detection: a shell whose standard input and output are network
   connections takes its commands from a remote peer (a reverse or bind
   shell).  The new program inherits the fds of the process that requests
   the exec, so those are checked.  */
static bool
reverse_shell (pid_t pid, char *reason, size_t size)
{
  cleanup_close int pidfd = (int) syscall (SYS_pidfd_open, pid, PIDFD_THREAD);
  char in[NETADDR_UNIX_TEXT_MAX + 16], out[NETADDR_UNIX_TEXT_MAX + 16];

  if (pidfd < 0)
    pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (pidfd < 0 || !ip_peer (pidfd, 0, in, sizeof (in)) || !ip_peer (pidfd, 1, out, sizeof (out)))
    return false;
  snprintf (reason, size, "reverse shell: standard input and output are a network connection (%s)", in);
  return true;
}

/* Decide an execve or execveat notification.  */
static void
handle_exec (struct agent *a, struct agent_notifier *n, const struct seccomp_notif *req)
{
  struct agent_container *c = n->container;
  struct model *m = c->model;
  struct exec_request er;
  struct resolved_path rp;
  struct exec_subject s;
  const struct hash_entry *hit;
  char reason[PATH_MAX + 512], matched[65];
  bool allow, threat;
  int ret;

  if (decode_request (&a->exec_nrs, req, &er) < 0)
    {
      /* Only the watched syscalls notify; anything else means the profile
         was changed behind our back.  Let the kernel decide.  */
      log_warning ("container `%s`: unexpected notification for syscall %d (arch 0x%x)", c->id,
                   req->data.nr, req->data.arch);
      exec_sensor_respond (a, n, req->id, 0);
      return;
    }

  ret = inspect (a, n, req, &er, &rp);
  if (ret == -ESRCH)
    return; /* the target is gone; nothing waits for a response */

  s.argv0 = er.argv0;
  s.load_argv0 = load_argv0;
  s.argv0_ctx = &er;
  s.pid = (pid_t) req->pid;
  s.file_level = false;
  s.has_stat = false;

  if (ret < 0 && is_fileless (req->pid, er.path))
    {
      s.name = er.path;
      s.target = er.path;
      allow = exec_policy_threat (a, c, &s, "fileless execution: the file has no path (memfd or "
                                            "deleted)",
                                  false);
      /* The kernel's open of it would alert again: mark it as handled.  */
      if (allow)
        expect_open (a, (pid_t) req->pid, &rp, false, true);
      exec_sensor_respond (a, n, req->id, allow ? 0 : a->cfg->deny_errno);
      return;
    }

  if (ret < 0 && resolve_error_is_kernel_equivalent (ret))
    {
      /* The kernel's own lookup fails the same way; let it report that.
         Should the path appear meanwhile, the open is checked by file.  */
      expect_open (a, (pid_t) req->pid, &rp, false, false);
      exec_sensor_respond (a, n, req->id, 0);
      return;
    }

  if (ret < 0)
    {
      snprintf (reason, sizeof (reason), "path could not be resolved in the container: %s",
                strerror (-ret));
      if (m->mode == MODEL_ACTIVE && !lifecycle_in_dry_run (m, &a->lifecycle))
        {
          const char *action;
          allow = enforce_apply (a, c, enforce_effect (a, c, RULE_PROCESSES), &action);
          s.name = er.path;
          s.target = er.path;
          if (action != NULL)
            exec_policy_alert (a, c, &s, "process", reason, action);
          if (allow)
            expect_open (a, (pid_t) req->pid, &rp, false, false);
          exec_sensor_respond (a, n, req->id, allow ? 0 : a->cfg->deny_errno);
        }
      else
        {
          log_info ("container `%s`: exec of `%s` not learned: %s", c->id, er.path, reason);
          expect_open (a, (pid_t) req->pid, &rp, false, false);
          exec_sensor_respond (a, n, req->id, 0);
        }
      return;
    }

  s.name = rp.name;
  s.target = rp.target;
  s.has_stat = true;
  s.size = rp.size;
  s.mtime_ns = rp.mtime_ns;
  threat = inode_set_contains (&c->written, rp.dev, rp.ino) && !exec_policy_may_run_written (c, rp.target);
  hit = malware_check_in_root (a, (pid_t) req->pid, &rp, matched);
  if (hit != NULL)
    {
      /* Refused before a learning model could learn it.  */
      threat = true;
      malware_reason (a, hit, matched, "executable", reason, sizeof (reason));
      allow = exec_policy_threat (a, c, &s, reason, true);
    }
  else if (exec_policy_blocked (a, c, &s, &allow))
    threat = true; /* alerted: the open of the file is not alerted again */
  else if (threat)
    allow = exec_policy_threat (a, c, &s, "modified binary: written after the container started", false);
  else if ((threat = exec_policy_temporary (c, rp.name, rp.target, reason, sizeof (reason))))
    allow = exec_policy_threat (a, c, &s, reason, false);
  else if (is_known_miner (rp.name, reason, sizeof (reason)) || is_known_miner (rp.target, reason, sizeof (reason)))
    {
      threat = true;
      allow = exec_policy_threat (a, c, &s, reason, false);
    }
  else if (is_shell (rp.name) && reverse_shell ((pid_t) req->pid, reason, sizeof (reason)))
    {
      threat = true;
      allow = exec_policy_threat (a, c, &s, reason, false);
    }
  else if (is_dynamic_loader (rp.target))
    allow = decide_loader_exec (a, n, req, &er, &rp);
  else
    allow = exec_policy_decide (a, c, &s);

  if (allow)
    expect_open (a, (pid_t) req->pid, &rp, true, threat);
  exec_sensor_respond (a, n, req->id, allow ? 0 : a->cfg->deny_errno);
}

enum metrics_sensor
exec_sensor_handle (struct agent *a, struct agent_notifier *n, const struct seccomp_notif *req)
{
  struct agent_container *c = n->container;

  if (net_sensor_handles (&a->exec_nrs, req))
    {
      net_sensor_handle (a, n, req);
      return METRICS_NETWORK;
    }

  /* Writes that came before this exec or open are queued on the
     container's fanotify group: record them first, so that a file written
     and then executed is known as written.  The event loop did so already
     unless its last batch was full.  */
  if (c->fanotify.fd >= 0 && !a->batch_complete)
    file_sensor_ready (a, c);
  else if (c->fanotify.fd >= 0)
    file_sensor_take_watchdog_writes (a, c);

  if (open_sensor_handles (&a->exec_nrs, req))
    {
      open_sensor_handle (a, n, req);
      return METRICS_FILE;
    }
  handle_exec (a, n, req);
  return METRICS_PROCESS;
}
