/* Lists of malware hashes: parsing, errors and matching.  */
#include "config.h"

#include <errno.h>

#include "tests/unit/unit.h"

#include "common/digest.h"
#include "policy/hash_feed.h"

/* The digests of the text "abc".  */
#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ABC_MD5 "900150983cd24fb0d6963f7d28e17f72"

static struct file_digest
digest_of (const char *text)
{
  struct file_digest d = { .size = strlen (text) };
  struct sha256_ctx sha;
  struct md5_ctx md5;

  sha256_init (&sha);
  sha256_update (&sha, text, d.size);
  sha256_final (&sha, d.sha256);
  md5_init (&md5);
  md5_update (&md5, text, d.size);
  md5_final (&md5, d.md5);
  return d;
}

static void
feed_entries_and_names (void **state)
{
  const char *text = "# malware seen this week\n"
                     "\n"
                     "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD  Family One   # upper case\n"
                     "\t900150983cd24fb0d6963f7d28e17f72 family-two\r\n"
                     "   # indented comment\n"
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                     "0cc175b9c0f1B6A831C399E269772661\t*a.out";
  struct hash_feed *f = NULL;
  vigil_error_t err = NULL;
  char hex[65];

  (void) state;
  if (hash_feed_parse ("hashes.txt", text, &f, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_int_equal (f->n_sha256, 2);
  assert_int_equal (f->n_md5, 2);

  /* Sorted by digest: e3b0... follows ba78....  */
  assert_int_equal (f->sha256[0].line, 3);
  assert_int_equal (f->sha256[0].digest_size, 32);
  assert_string_equal (f->sha256[0].name, "Family One");
  digest_hex (f->sha256[0].digest, 32, hex);
  assert_string_equal (hex, ABC_SHA256);
  assert_int_equal (f->sha256[1].line, 6);
  assert_null (f->sha256[1].name);

  /* 0cc1... follows 9001... as bytes, not in the order of the lines.  */
  assert_int_equal (f->md5[0].line, 7);
  assert_string_equal (f->md5[0].name, "*a.out");
  assert_int_equal (f->md5[1].line, 4);
  assert_int_equal (f->md5[1].digest_size, 16);
  assert_string_equal (f->md5[1].name, "family-two");
  digest_hex (f->md5[1].digest, 16, hex);
  assert_string_equal (hex, ABC_MD5);
  hash_feed_free (f);
}

static void
feed_match_sha256_then_md5 (void **state)
{
  const char *text = ABC_MD5 " abc by md5\n"
                     ABC_SHA256 " abc by sha256\n"
                     "0cc175b9c0f1b6a831c399e269772661 a by md5\n";
  struct file_digest abc = digest_of ("abc"), a = digest_of ("a"), other = digest_of ("b");
  struct hash_feed *f = NULL;
  vigil_error_t err = NULL;
  const struct hash_entry *e;

  (void) state;
  assert_int_equal (hash_feed_parse ("hashes.txt", text, &f, &err), 0);

  /* Both hashes of "abc" are listed: the SHA-256 wins.  */
  e = hash_feed_match (f, &abc);
  assert_non_null (e);
  assert_int_equal (e->line, 2);
  assert_string_equal (e->name, "abc by sha256");

  e = hash_feed_match (f, &a);
  assert_non_null (e);
  assert_int_equal (e->line, 3);
  assert_int_equal (e->digest_size, 16);

  assert_null (hash_feed_match (f, &other));
  assert_null (hash_feed_match (NULL, &abc));
  hash_feed_free (f);
}

/* A hash listed twice matches its first line, whatever order the sort
   leaves the others in.  */
static void
feed_duplicates (void **state)
{
  const char *text = "0cc175b9c0f1b6a831c399e269772661 first\n"
                     ABC_SHA256 " abc one\n"
                     ABC_SHA256 " abc two\n"
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                     ABC_SHA256 " abc three\n";
  struct file_digest abc = digest_of ("abc");
  struct hash_feed *f = NULL;
  vigil_error_t err = NULL;
  const struct hash_entry *e;

  (void) state;
  assert_int_equal (hash_feed_parse ("hashes.txt", text, &f, &err), 0);
  assert_int_equal (f->n_sha256, 4);
  e = hash_feed_match (f, &abc);
  assert_non_null (e);
  assert_int_equal (e->line, 2);
  assert_string_equal (e->name, "abc one");
  hash_feed_free (f);
}

static void
feed_empty (void **state)
{
  const char *texts[] = { "", "\n\n", "# only a comment\n   \n" };
  struct file_digest empty = digest_of ("");
  size_t i;

  (void) state;
  for (i = 0; i < sizeof (texts) / sizeof (texts[0]); i++)
    {
      struct hash_feed *f = NULL;
      vigil_error_t err = NULL;

      assert_int_equal (hash_feed_parse ("hashes.txt", texts[i], &f, &err), 0);
      assert_int_equal (f->n_sha256, 0);
      assert_int_equal (f->n_md5, 0);
      assert_null (hash_feed_match (f, &empty));
      hash_feed_free (f);
    }
}

static void
feed_errors (void **state)
{
  const char *bad[] = {
    "# header\n" ABC_SHA256 "\n" "a9993e364706816aba3e25717850c26c9cd0d89d SHA-1 of abc\n",
    ABC_MD5 "0\n",
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a\n",
    "900150983cd24fb0d6963f7d28e17f7g family\n",
    "\n\nsha256:" ABC_SHA256 "\n",
    ABC_MD5 ",name\n",
    "abc\n",
  };
  const char *expected[] = {
    "hashes.txt:3: `a9993e364706816aba3e25717850c26c9cd0d89d` is a SHA-1 hash, which is not supported: use its "
    "SHA-256 or MD5",
    "hashes.txt:1: `900150983cd24fb0d6963f7d28e17f720` has 33 hex digits: a SHA-256 has 64 and an MD5 32",
    "hashes.txt:1: `ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a` has 63 hex digits: a SHA-256 "
    "has 64 and an MD5 32",
    "hashes.txt:1: `900150983cd24fb0d6963f7d28e17f7g` is not a SHA-256 or MD5 hash in hex",
    "hashes.txt:3: `sha256:" ABC_SHA256 "` is not a SHA-256 or MD5 hash in hex",
    "hashes.txt:1: `" ABC_MD5 ",name` is not a SHA-256 or MD5 hash in hex",
    "hashes.txt:1: `abc` has 3 hex digits: a SHA-256 has 64 and an MD5 32",
  };
  size_t i;

  (void) state;
  for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      struct hash_feed *f = NULL;
      vigil_error_t err = NULL;

      assert_int_equal (hash_feed_parse ("hashes.txt", bad[i], &f, &err), -1);
      assert_null (f);
      assert_int_equal (err->errnum, 0);
      assert_string_equal (err->msg, expected[i]);
      vigil_error_free (&err);
    }
}

static void
feed_load_file (void **state)
{
  char *dir = make_temp_dir (), path[4096];
  struct file_digest abc = digest_of ("abc");
  struct hash_feed *f = NULL;
  vigil_error_t err = NULL;

  (void) state;
  snprintf (path, sizeof (path), "%s/hashes.txt", dir);
  write_text (path, ABC_MD5 " from a file\n");
  if (hash_feed_load (path, &f, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_string_equal (hash_feed_match (f, &abc)->name, "from a file");
  hash_feed_free (f);

  /* A missing file is an error that names it.  */
  snprintf (path, sizeof (path), "%s/missing.txt", dir);
  assert_int_equal (hash_feed_load (path, &f, &err), -1);
  assert_int_equal (err->errnum, ENOENT);
  assert_non_null (strstr (err->msg, "missing.txt"));
  vigil_error_free (&err);

  /* A NUL byte would hide every line after it.  */
  snprintf (path, sizeof (path), "%s/nul.txt", dir);
  {
    FILE *out = fopen (path, "w");
    assert_non_null (out);
    assert_int_equal (fwrite (ABC_MD5 "\n\0" ABC_MD5 "\n", 1, 67, out), 67);
    assert_int_equal (fclose (out), 0);
  }
  assert_int_equal (hash_feed_load (path, &f, &err), -1);
  assert_non_null (strstr (err->msg, "nul.txt: NUL byte at offset 33"));
  vigil_error_free (&err);

  remove_tree (dir);
  free (dir);
}

/* The sample feed the project ships loads, and lists the EICAR test file
   by both hashes.  */
static void
feed_sample (void **state)
{
  struct file_digest eicar = { .size = 68 };
  struct hash_feed *f = NULL;
  vigil_error_t err = NULL;
  const struct hash_entry *e;

  (void) state;
  if (hash_feed_load (TOP_SRCDIR "/packaging/feeds/malware-hashes.txt", &f, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_int_equal (f->n_sha256, 2);
  assert_int_equal (f->n_md5, 2);

  /* From sha256sum and md5sum of the 68-byte string.  */
  memcpy (eicar.sha256,
          "\x27\x5a\x02\x1b\xbf\xb6\x48\x9e\x54\xd4\x71\x89\x9f\x7d\xb9\xd1"
          "\x66\x3f\xc6\x95\xec\x2f\xe2\xa2\xc4\x53\x8a\xab\xf6\x51\xfd\x0f",
          32);
  memcpy (eicar.md5, "\x44\xd8\x86\x12\xfe\xa8\xa8\xf3\x6d\xe8\x2e\x12\x78\xab\xb0\x2f", 16);
  e = hash_feed_match (f, &eicar);
  assert_non_null (e);
  assert_int_equal (e->digest_size, 32);
  assert_string_equal (e->name, "EICAR test file");

  memset (eicar.sha256, 0, sizeof (eicar.sha256));
  e = hash_feed_match (f, &eicar);
  assert_non_null (e);
  assert_int_equal (e->digest_size, 16);
  assert_string_equal (e->name, "EICAR test file");
  hash_feed_free (f);
}

/* 100,000 lines parse and match quickly: the arrays are sorted once and
   searched by bisection.  */
static void
feed_large (void **state)
{
  const size_t n = 100000;
  char *text = malloc (n * 80 + 1), *p = text, hex[65];
  struct hash_feed *f = NULL;
  vigil_error_t err = NULL;
  struct file_digest d;
  size_t i, found = 0;

  (void) state;
  assert_non_null (text);
  for (i = 0; i < n; i++)
    {
      char line[16];

      snprintf (line, sizeof (line), "%zu", i);
      d = digest_of (line);
      digest_hex (d.sha256, sizeof (d.sha256), hex);
      p += sprintf (p, "%s n%zu\n", hex, i);
    }
  if (hash_feed_parse ("big.txt", text, &f, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_int_equal (f->n_sha256, n);

  for (i = 0; i < n; i += 997)
    {
      char line[16], name[16];
      const struct hash_entry *e;

      snprintf (line, sizeof (line), "%zu", i);
      snprintf (name, sizeof (name), "n%zu", i);
      d = digest_of (line);
      e = hash_feed_match (f, &d);
      assert_non_null (e);
      assert_string_equal (e->name, name);
      assert_int_equal (e->line, i + 1);
      found++;
    }
  assert_true (found > 100);
  d = digest_of ("not listed");
  assert_null (hash_feed_match (f, &d));
  hash_feed_free (f);
  free (text);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (feed_entries_and_names),
    cmocka_unit_test (feed_match_sha256_then_md5),
    cmocka_unit_test (feed_duplicates),
    cmocka_unit_test (feed_empty),
    cmocka_unit_test (feed_errors),
    cmocka_unit_test (feed_load_file),
    cmocka_unit_test (feed_sample),
    cmocka_unit_test (feed_large),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
