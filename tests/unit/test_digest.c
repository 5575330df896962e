/* SHA-256 and MD5 against the test vectors of FIPS 180-4 and RFC 1321,
   and the digests of whole files.  */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "tests/unit/unit.h"

#include "common/digest.h"

static void
check_sha256 (const void *data, size_t len, const char *expected)
{
  struct sha256_ctx ctx;
  uint8_t out[32];
  char hex[65];

  sha256_init (&ctx);
  sha256_update (&ctx, data, len);
  sha256_final (&ctx, out);
  digest_hex (out, sizeof (out), hex);
  assert_string_equal (hex, expected);
}

static void
check_md5 (const char *text, const char *expected)
{
  struct md5_ctx ctx;
  uint8_t out[16];
  char hex[33];

  md5_init (&ctx);
  md5_update (&ctx, text, strlen (text));
  md5_final (&ctx, out);
  digest_hex (out, sizeof (out), hex);
  assert_string_equal (hex, expected);
}

static void
sha256_vectors (void **state)
{
  const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                     "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

  (void) state;
  check_sha256 ("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  check_sha256 (NULL, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  check_sha256 ("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  check_sha256 (m448, strlen (m448), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  check_sha256 (m896, strlen (m896), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

/* One million 'a', fed in pieces that do not divide the 64-byte block.  */
static void
one_million_a (void **state)
{
  char chunk[1000];
  struct sha256_ctx sha;
  struct md5_ctx md5;
  uint8_t sha_out[32], md5_out[16];
  char hex[65];
  int i;

  (void) state;
  memset (chunk, 'a', sizeof (chunk));
  sha256_init (&sha);
  md5_init (&md5);
  for (i = 0; i < 1000; i++)
    {
      sha256_update (&sha, chunk, sizeof (chunk));
      md5_update (&md5, chunk, sizeof (chunk));
    }
  sha256_final (&sha, sha_out);
  md5_final (&md5, md5_out);
  digest_hex (sha_out, sizeof (sha_out), hex);
  assert_string_equal (hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  digest_hex (md5_out, sizeof (md5_out), hex);
  assert_string_equal (hex, "7707d6ae4e027c70eea2a935c2296f21");
}

static void
md5_vectors (void **state)
{
  (void) state;
  check_md5 ("", "d41d8cd98f00b204e9800998ecf8427e");
  check_md5 ("a", "0cc175b9c0f1b6a831c399e269772661");
  check_md5 ("abc", "900150983cd24fb0d6963f7d28e17f72");
  check_md5 ("message digest", "f96b697d7cb7938d525a2f31aaf161d0");
  check_md5 ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b");
  check_md5 ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f");
  check_md5 ("12345678901234567890123456789012345678901234567890123456789012345678901234567890",
             "57edf4a22be3c955ac49da2e2107b67a");
}

/* Splitting the input at any point, in a block, at its edge or in the
   padding's last block, gives the digest of the whole.  */
static void
every_split_point (void **state)
{
  uint8_t input[200], sha_whole[32], md5_whole[16];
  struct sha256_ctx sha;
  struct md5_ctx md5;
  size_t i, k;

  (void) state;
  for (i = 0; i < sizeof (input); i++)
    input[i] = (uint8_t) (i * 7 + 1);
  sha256_init (&sha);
  sha256_update (&sha, input, sizeof (input));
  sha256_final (&sha, sha_whole);
  md5_init (&md5);
  md5_update (&md5, input, sizeof (input));
  md5_final (&md5, md5_whole);

  for (k = 0; k <= sizeof (input); k++)
    {
      uint8_t sha_out[32], md5_out[16];

      sha256_init (&sha);
      sha256_update (&sha, input, k);
      sha256_update (&sha, input + k, sizeof (input) - k);
      sha256_final (&sha, sha_out);
      assert_memory_equal (sha_out, sha_whole, sizeof (sha_out));

      md5_init (&md5);
      md5_update (&md5, input, k);
      md5_update (&md5, input + k, sizeof (input) - k);
      md5_final (&md5, md5_out);
      assert_memory_equal (md5_out, md5_whole, sizeof (md5_out));
    }
}

/* 200003 bytes, byte i being (i * 31 + 7) % 251: more than three reads
   of 64 KiB, the last one short.  */
#define FILE_SIZE 200003

static int
make_file (const char *dir, char *path, size_t size)
{
  uint8_t *data = malloc (FILE_SIZE);
  int fd;
  size_t i;

  assert_non_null (data);
  for (i = 0; i < FILE_SIZE; i++)
    data[i] = (uint8_t) ((i * 31 + 7) % 251);
  snprintf (path, size, "%s/data.bin", dir);
  fd = open (path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  assert_true (fd >= 0);
  assert_int_equal (write (fd, data, FILE_SIZE), FILE_SIZE);
  free (data);
  return fd;
}

static void
file_digest_matches_tools (void **state)
{
  char *dir = make_temp_dir (), path[4096], hex[65];
  struct file_digest d;
  vigil_error_t err = NULL;
  int fd;

  (void) state;
  fd = make_file (dir, path, sizeof (path));

  /* digest_fd reads the whole file from offset 0 and leaves the file
     offset where it was.  */
  assert_int_equal (lseek (fd, 1234, SEEK_SET), 1234);
  if (digest_fd (fd, FILE_SIZE, &d, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_int_equal (lseek (fd, 0, SEEK_CUR), 1234);

  assert_int_equal (d.size, FILE_SIZE);
  /* sha256sum and md5sum of the same bytes.  */
  digest_hex (d.sha256, sizeof (d.sha256), hex);
  assert_string_equal (hex, "b290c2cd22ab835ef82f2f7673c4b04c6c3fde2835231afd6fc873a57ab057cf");
  digest_hex (d.md5, sizeof (d.md5), hex);
  assert_string_equal (hex, "c96ef02e6f1fb92cf970edae0b6d2508");

  close (fd);
  remove_tree (dir);
  free (dir);
}

static void
file_digest_empty (void **state)
{
  char *dir = make_temp_dir (), path[4096], hex[65];
  struct file_digest d;
  vigil_error_t err = NULL;
  int fd;

  (void) state;
  snprintf (path, sizeof (path), "%s/empty", dir);
  fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  assert_true (fd >= 0);
  assert_int_equal (digest_fd (fd, 0, &d, &err), 0);
  assert_int_equal (d.size, 0);
  digest_hex (d.sha256, sizeof (d.sha256), hex);
  assert_string_equal (hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  digest_hex (d.md5, sizeof (d.md5), hex);
  assert_string_equal (hex, "d41d8cd98f00b204e9800998ecf8427e");

  close (fd);
  remove_tree (dir);
  free (dir);
}

static void
file_digest_size_limit (void **state)
{
  char *dir = make_temp_dir (), path[4096];
  struct file_digest d = { .size = 42 };
  vigil_error_t err = NULL;
  int fd;

  (void) state;
  fd = make_file (dir, path, sizeof (path));
  assert_int_equal (digest_fd (fd, FILE_SIZE - 1, &d, &err), -1);
  assert_int_equal (err->errnum, EFBIG);
  assert_non_null (strstr (err->msg, "file of 200003 bytes is larger than the limit of 200002 bytes"));
  assert_int_equal (d.size, 42);
  vigil_error_free (&err);
  close (fd);

  /* A /proc file has a size of 0 until it is read: the limit applies to
     the bytes read.  */
  fd = open ("/proc/self/status", O_RDONLY | O_CLOEXEC);
  assert_true (fd >= 0);
  assert_int_equal (digest_fd (fd, 10, &d, &err), -1);
  assert_int_equal (err->errnum, EFBIG);
  assert_non_null (strstr (err->msg, "is larger than the limit of 10 bytes"));
  vigil_error_free (&err);
  assert_int_equal (digest_fd (fd, 1 << 20, &d, &err), 0);
  assert_true (d.size > 10);
  close (fd);

  remove_tree (dir);
  free (dir);
}

static void
file_digest_pipe (void **state)
{
  struct file_digest d;
  vigil_error_t err = NULL;
  int p[2];

  (void) state;
  assert_int_equal (pipe2 (p, O_CLOEXEC), 0);
  assert_int_equal (digest_fd (p[0], 1 << 20, &d, &err), -1);
  assert_int_equal (err->errnum, ESPIPE);
  vigil_error_free (&err);
  close (p[0]);
  close (p[1]);
}

static void
hex_output (void **state)
{
  const uint8_t bytes[] = { 0x00, 0x0f, 0xa5, 0xff };
  char hex[9];

  (void) state;
  digest_hex (bytes, sizeof (bytes), hex);
  assert_string_equal (hex, "000fa5ff");
  digest_hex (bytes, 0, hex);
  assert_string_equal (hex, "");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (sha256_vectors),
    cmocka_unit_test (one_million_a),
    cmocka_unit_test (md5_vectors),
    cmocka_unit_test (every_split_point),
    cmocka_unit_test (file_digest_matches_tools),
    cmocka_unit_test (file_digest_empty),
    cmocka_unit_test (file_digest_size_limit),
    cmocka_unit_test (file_digest_pipe),
    cmocka_unit_test (hex_output),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
