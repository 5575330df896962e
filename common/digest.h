/* SHA-256 (FIPS 180-4) and MD5 (RFC 1321), and the digests of a whole
   file, so that files can be matched against lists of malware hashes
   without a crypto library.  MD5 is here only because many published
   lists still use it.  */
#ifndef VIGIL_DIGEST_H
#define VIGIL_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* The 64-byte message block that both algorithms fill before they
   compress it.  */
struct digest_block
{
  uint8_t bytes[64];
  size_t used;          /* bytes of bytes[] filled */
  uint64_t length;      /* message bytes so far */
};

struct sha256_ctx
{
  uint32_t state[8];
  struct digest_block block;
};

struct md5_ctx
{
  uint32_t state[4];
  struct digest_block block;
};

void sha256_init (struct sha256_ctx *ctx);
void sha256_update (struct sha256_ctx *ctx, const void *data, size_t len);
/* Write the digest to out.  ctx needs sha256_init before it is used again.  */
void sha256_final (struct sha256_ctx *ctx, uint8_t out[32]);

void md5_init (struct md5_ctx *ctx);
void md5_update (struct md5_ctx *ctx, const void *data, size_t len);
void md5_final (struct md5_ctx *ctx, uint8_t out[16]);

struct file_digest
{
  uint8_t sha256[32];
  uint8_t md5[16];
  uint64_t size;        /* bytes */
};

/* Compute both digests of the file open on fd, from offset 0 to its end.
   It reads with pread, so the file offset, which fd may share with a
   process, does not move.  A file of more than max_bytes is an error
   (EFBIG), and so is a fd that cannot pread, such as a pipe (ESPIPE).
   out is written only on success.
   NOTE: the read buffer takes 64 KiB of the caller's stack, so do not
   call this on a thread with a small stack, such as the network workers
   of vigild, which have 64 KiB.  */
int digest_fd (int fd, uint64_t max_bytes, struct file_digest *out, vigil_error_t *err);

/* Write the n bytes as 2n lower-case hex digits and a NUL to out.  */
void digest_hex (const uint8_t *bytes, size_t n, char *out);

#endif
