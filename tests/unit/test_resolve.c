/* Resolving exec paths inside a container root full of hostile
   symlinks.  */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/unit.h"

#include "common/resolve.h"

struct fixture
{
  char *dir;
  int rootfd;
  struct resolve_root root;
};

static void
make_file (const char *dir, const char *rel, const char *text)
{
  char *p = NULL;

  assert_true (asprintf (&p, "%s/%s", dir, rel) > 0);
  write_text (p, text);
  free (p);
}

static void
make_dir (const char *dir, const char *rel)
{
  char *p = NULL;

  assert_true (asprintf (&p, "%s/%s", dir, rel) > 0);
  assert_int_equal (mkdir (p, 0755), 0);
  free (p);
}

static void
make_link (const char *dir, const char *rel, const char *target)
{
  char *p = NULL;

  assert_true (asprintf (&p, "%s/%s", dir, rel) > 0);
  assert_int_equal (symlink (target, p), 0);
  free (p);
}

/* rootfs layout:
     bin/busybox             file
     bin/ls -> busybox
     bin/sh -> /bin/busybox
     bin/x -> /../../etc      an absolute link that climbs above the root
     bin/up -> ../../../../../etc/passwd
     usr/bin -> ../bin        merged /usr
     etc/passwd               the container's, not the host's
     tmp/loop1 -> loop2, tmp/loop2 -> loop1
     home/user/                a directory for relative lookups */
static int
setup (void **state)
{
  struct fixture *f = calloc (1, sizeof (*f));

  f->dir = make_temp_dir ();
  make_dir (f->dir, "bin");
  make_dir (f->dir, "usr");
  make_dir (f->dir, "etc");
  make_dir (f->dir, "tmp");
  make_dir (f->dir, "home");
  make_dir (f->dir, "home/user");
  make_file (f->dir, "bin/busybox", "binary");
  make_file (f->dir, "etc/passwd", "container passwd");
  make_link (f->dir, "bin/ls", "busybox");
  make_link (f->dir, "bin/sh", "/bin/busybox");
  make_link (f->dir, "bin/x", "/../../etc");
  make_link (f->dir, "bin/up", "../../../../../etc/passwd");
  make_link (f->dir, "usr/bin", "../bin");
  make_link (f->dir, "tmp/loop1", "loop2");
  make_link (f->dir, "tmp/loop2", "loop1");
  f->rootfd = open (f->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_true (f->rootfd >= 0);
  f->root.rootfd = f->rootfd;
  f->root.procfd = -1;
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  struct fixture *f = *state;

  close (f->rootfd);
  remove_tree (f->dir);
  free (f->dir);
  free (f);
  return 0;
}

static ino_t
inode_of (const struct fixture *f, const char *rel)
{
  struct stat st;

  assert_int_equal (fstatat (f->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW), 0);
  return st.st_ino;
}

static int
resolve (const struct fixture *f, const char *path, struct resolved_path *out)
{
  return resolve_in_root (&f->root, NULL, 0, 0, path, out);
}

static void
plain_and_applet_links (void **state)
{
  struct fixture *f = *state;
  struct resolved_path r;

  assert_int_equal (resolve (f, "/bin/busybox", &r), 0);
  assert_string_equal (r.name, "/bin/busybox");
  assert_string_equal (r.target, "/bin/busybox");
  assert_int_equal (r.ino, inode_of (f, "bin/busybox"));

  /* A multi-call binary keeps the name of the link it was run through.  */
  assert_int_equal (resolve (f, "/bin/ls", &r), 0);
  assert_string_equal (r.name, "/bin/ls");
  assert_string_equal (r.target, "/bin/busybox");
  assert_int_equal (resolve (f, "/bin/sh", &r), 0);
  assert_string_equal (r.name, "/bin/sh");
  assert_string_equal (r.target, "/bin/busybox");
}

/* Directory symlinks are resolved, so each file has one name.  */
static void
directory_links_canonical (void **state)
{
  struct fixture *f = *state;
  struct resolved_path r;

  assert_int_equal (resolve (f, "/usr/bin/ls", &r), 0);
  assert_string_equal (r.name, "/bin/ls");
  assert_int_equal (resolve (f, "//usr/./bin/../bin//busybox", &r), 0);
  assert_string_equal (r.name, "/bin/busybox");
}

/* Links that climb above the root stop at the container's root; the
   host's /etc is never reached.  */
static void
hostile_links_stay_inside (void **state)
{
  struct fixture *f = *state;
  struct resolved_path r;

  assert_int_equal (resolve (f, "/bin/x/passwd", &r), 0);
  assert_string_equal (r.target, "/etc/passwd");
  assert_int_equal (r.ino, inode_of (f, "etc/passwd"));

  assert_int_equal (resolve (f, "/bin/up", &r), 0);
  assert_string_equal (r.name, "/bin/up");
  assert_string_equal (r.target, "/etc/passwd");
  assert_int_equal (r.ino, inode_of (f, "etc/passwd"));

  assert_int_equal (resolve (f, "/../../../etc/passwd", &r), 0);
  assert_int_equal (r.ino, inode_of (f, "etc/passwd"));
}

static void
relative_to_start_directory (void **state)
{
  struct fixture *f = *state;
  struct resolved_path r;
  struct stat st;

  assert_int_equal (fstatat (f->rootfd, "bin", &st, 0), 0);
  assert_int_equal (resolve_in_root (&f->root, "/bin", st.st_dev, st.st_ino, "./ls", &r), 0);
  assert_string_equal (r.name, "/bin/ls");

  assert_int_equal (fstatat (f->rootfd, "home/user", &st, 0), 0);
  assert_int_equal (resolve_in_root (&f->root, "/home/user", st.st_dev, st.st_ino, "../../bin/ls", &r), 0);
  assert_string_equal (r.name, "/bin/ls");
  assert_int_equal (resolve_in_root (&f->root, "/home/user", st.st_dev, st.st_ino,
                                     "../../../../../../bin/busybox", &r),
                    0);
  assert_string_equal (r.name, "/bin/busybox");

  /* A start path that no longer names the process's directory.  */
  assert_int_equal (resolve_in_root (&f->root, "/bin", st.st_dev, st.st_ino, "ls", &r), -ESTALE);
  assert_int_equal (resolve_in_root (&f->root, "/gone", st.st_dev, st.st_ino, "ls", &r), -ESTALE);
}

/* Failures the kernel's exec would report the same way.  */
static void
kernel_equivalent_errors (void **state)
{
  struct fixture *f = *state;
  struct resolved_path r;

  assert_int_equal (resolve (f, "/bin/nothing", &r), -ENOENT);
  assert_int_equal (resolve (f, "/bin/busybox/sub", &r), -ENOTDIR);
  assert_int_equal (resolve (f, "/tmp/loop1", &r), -ELOOP);
  assert_int_equal (resolve (f, "/bin", &r), -EACCES);
  /* A directory's canonical path comes back with the error, for callers
     that resolve the parent of a new file.  */
  assert_string_equal (r.target, "/bin");
  assert_int_equal (resolve (f, "/usr/bin/../../tmp//", &r), -EACCES);
  assert_string_equal (r.target, "/tmp");
  assert_int_equal (resolve (f, "/usr/bin", &r), -EACCES);
  assert_string_equal (r.target, "/bin");
  assert_int_equal (resolve (f, "/", &r), -EACCES);
  assert_string_equal (r.target, "/");
  assert_int_equal (resolve (f, "", &r), -ENOENT);
  assert_true (resolve_error_is_kernel_equivalent (-ENOENT));
  assert_true (resolve_error_is_kernel_equivalent (-ELOOP));
  assert_false (resolve_error_is_kernel_equivalent (-ESTALE));
  assert_false (resolve_error_is_kernel_equivalent (-EXDEV));
}

static void
overlong_paths (void **state)
{
  struct fixture *f = *state;
  struct resolved_path r;
  char *longpath = malloc (3 * PATH_MAX);
  size_t i;

  for (i = 0; i + 2 < 3 * PATH_MAX; i += 2)
    memcpy (longpath + i, "/.", 2);
  longpath[i] = '\0';
  assert_int_equal (resolve (f, longpath, &r), -ENAMETOOLONG);
  free (longpath);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (plain_and_applet_links, setup, teardown),
    cmocka_unit_test_setup_teardown (directory_links_canonical, setup, teardown),
    cmocka_unit_test_setup_teardown (hostile_links_stay_inside, setup, teardown),
    cmocka_unit_test_setup_teardown (relative_to_start_directory, setup, teardown),
    cmocka_unit_test_setup_teardown (kernel_equivalent_errors, setup, teardown),
    cmocka_unit_test_setup_teardown (overlong_paths, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
