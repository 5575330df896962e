#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"

typedef void compress_fn (uint32_t *state, const uint8_t *block);

static inline uint32_t
rotl32 (uint32_t x, unsigned n)
{
  return (x << n) | (x >> (32 - n));
}

static inline uint32_t
rotr32 (uint32_t x, unsigned n)
{
  return (x >> n) | (x << (32 - n));
}

static inline uint32_t
load_be32 (const uint8_t *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static inline uint32_t
load_le32 (const uint8_t *p)
{
  return (uint32_t) p[3] << 24 | (uint32_t) p[2] << 16 | (uint32_t) p[1] << 8 | p[0];
}

/* Append len bytes to the message: compress each block as it fills and
   keep the rest in b.  */
static void
block_update (struct digest_block *b, uint32_t *state, compress_fn *compress, const uint8_t *p, size_t len)
{
  if (len == 0)
    return;
  b->length += len;

  if (b->used > 0)
    {
      size_t n = len < 64 - b->used ? len : 64 - b->used;

      memcpy (b->bytes + b->used, p, n);
      b->used += n;
      p += n;
      len -= n;
      if (b->used < 64)
        return;
      compress (state, b->bytes);
      b->used = 0;
    }

  for (; len >= 64; p += 64, len -= 64)
    compress (state, p);
  memcpy (b->bytes, p, len);
  b->used = len;
}

/* Pad the message as both algorithms do: a 1 bit, zeros up to 56 bytes
   into the last block, then the message length in bits as 64 bits.  Only
   the byte order of the length differs.  */
static void
block_pad (struct digest_block *b, uint32_t *state, compress_fn *compress, bool big_endian)
{
  uint64_t bits = b->length * 8;
  unsigned i;

  b->bytes[b->used++] = 0x80;
  if (b->used > 56)
    {
      memset (b->bytes + b->used, 0, 64 - b->used);
      compress (state, b->bytes);
      b->used = 0;
    }
  memset (b->bytes + b->used, 0, 56 - b->used);
  for (i = 0; i < 8; i++)
    b->bytes[big_endian ? 63 - i : 56 + i] = (uint8_t) (bits >> (8 * i));
  compress (state, b->bytes);
}

/* SHA-256, FIPS 180-4 sections 4.1.2, 4.2.2, 5.3.3 and 6.2.  */

/* The first 32 bits of the fractional parts of the cube roots of the
   first 64 primes.  */
static const uint32_t sha256_k[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static void
sha256_compress (uint32_t *state, const uint8_t *block)
{
  uint32_t w[64], a, b, c, d, e, f, g, h;
  unsigned t;

  for (t = 0; t < 16; t++)
    w[t] = load_be32 (block + 4 * t);
  for (t = 16; t < 64; t++)
    {
      uint32_t s0 = rotr32 (w[t - 15], 7) ^ rotr32 (w[t - 15], 18) ^ (w[t - 15] >> 3);
      uint32_t s1 = rotr32 (w[t - 2], 17) ^ rotr32 (w[t - 2], 19) ^ (w[t - 2] >> 10);

      w[t] = s1 + w[t - 7] + s0 + w[t - 16];
    }

  a = state[0], b = state[1], c = state[2], d = state[3];
  e = state[4], f = state[5], g = state[6], h = state[7];
  for (t = 0; t < 64; t++)
    {
      uint32_t sum1 = rotr32 (e, 6) ^ rotr32 (e, 11) ^ rotr32 (e, 25);
      uint32_t ch = (e & f) ^ (~e & g);
      uint32_t sum0 = rotr32 (a, 2) ^ rotr32 (a, 13) ^ rotr32 (a, 22);
      uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
      uint32_t t1 = h + sum1 + ch + sha256_k[t] + w[t];
      uint32_t t2 = sum0 + maj;

      h = g, g = f, f = e, e = d + t1;
      d = c, c = b, b = a, a = t1 + t2;
    }
  state[0] += a, state[1] += b, state[2] += c, state[3] += d;
  state[4] += e, state[5] += f, state[6] += g, state[7] += h;
}

void
sha256_init (struct sha256_ctx *ctx)
{
  /* The first 32 bits of the fractional parts of the square roots of the
     first 8 primes.  */
  static const uint32_t initial[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  };

  memset (ctx, 0, sizeof (*ctx));
  memcpy (ctx->state, initial, sizeof (initial));
}

void
sha256_update (struct sha256_ctx *ctx, const void *data, size_t len)
{
  block_update (&ctx->block, ctx->state, sha256_compress, data, len);
}

void
sha256_final (struct sha256_ctx *ctx, uint8_t out[32])
{
  unsigned i;

  block_pad (&ctx->block, ctx->state, sha256_compress, true);
  for (i = 0; i < 32; i++)
    out[i] = (uint8_t) (ctx->state[i / 4] >> (24 - 8 * (i % 4)));
}

/* MD5, RFC 1321 section 3.  */

/* floor (2^32 * abs (sin (i + 1))), i in radians.  */
static const uint32_t md5_t[64] = {
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* The left rotations of each round, in the order of its steps.  */
static const unsigned md5_shift[4][4] = { { 7, 12, 17, 22 }, { 5, 9, 14, 20 }, { 4, 11, 16, 23 }, { 6, 10, 15, 21 } };

static void
md5_compress (uint32_t *state, const uint8_t *block)
{
  uint32_t x[16], a = state[0], b = state[1], c = state[2], d = state[3];
  unsigned i;

  for (i = 0; i < 16; i++)
    x[i] = load_le32 (block + 4 * i);

  /* Each step is a = b + ((a + F (b, c, d) + X[k] + T[i]) <<< s), and the
     next step works on (d, a, b, c): shifting the names keeps one body.  */
  for (i = 0; i < 64; i++)
    {
      uint32_t f, next;
      unsigned k;

      switch (i / 16)
        {
        case 0:
          f = (b & c) | (~b & d);
          k = i;
          break;
        case 1:
          f = (b & d) | (c & ~d);
          k = (5 * i + 1) % 16;
          break;
        case 2:
          f = b ^ c ^ d;
          k = (3 * i + 5) % 16;
          break;
        default:
          f = c ^ (b | ~d);
          k = (7 * i) % 16;
          break;
        }
      next = b + rotl32 (a + f + x[k] + md5_t[i], md5_shift[i / 16][i % 4]);
      a = d, d = c, c = b, b = next;
    }
  state[0] += a, state[1] += b, state[2] += c, state[3] += d;
}

void
md5_init (struct md5_ctx *ctx)
{
  memset (ctx, 0, sizeof (*ctx));
  ctx->state[0] = 0x67452301;
  ctx->state[1] = 0xefcdab89;
  ctx->state[2] = 0x98badcfe;
  ctx->state[3] = 0x10325476;
}

void
md5_update (struct md5_ctx *ctx, const void *data, size_t len)
{
  block_update (&ctx->block, ctx->state, md5_compress, data, len);
}

void
md5_final (struct md5_ctx *ctx, uint8_t out[16])
{
  unsigned i;

  block_pad (&ctx->block, ctx->state, md5_compress, false);
  for (i = 0; i < 16; i++)
    out[i] = (uint8_t) (ctx->state[i / 4] >> (8 * (i % 4)));
}

int
digest_fd (int fd, uint64_t max_bytes, struct file_digest *out, vigil_error_t *err)
{
  uint8_t buf[64 * 1024];
  struct sha256_ctx sha;
  struct md5_ctx md5;
  uint64_t offset = 0;
  struct stat st;

  /* Reject a file that is already too large before reading any of it.
     The check in the loop catches a file that grows, and /proc files,
     whose size is 0.  */
  if (fstat (fd, &st) < 0)
    return vigil_error_set (err, errno, "stat fd %d", fd);
  if (S_ISREG (st.st_mode) && (uint64_t) st.st_size > max_bytes)
    return vigil_error_set (err, EFBIG, "file of %" PRIu64 " bytes is larger than the limit of %" PRIu64 " bytes",
                            (uint64_t) st.st_size, max_bytes);

  sha256_init (&sha);
  md5_init (&md5);
  for (;;)
    {
      ssize_t n = pread (fd, buf, sizeof (buf), (off_t) offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return vigil_error_set (err, errno, "read fd %d at offset %" PRIu64, fd, offset);
      if (n == 0)
        break;
      offset += (uint64_t) n;
      if (offset > max_bytes)
        return vigil_error_set (err, EFBIG,
                                "file of at least %" PRIu64 " bytes is larger than the limit of %" PRIu64 " bytes",
                                offset, max_bytes);
      sha256_update (&sha, buf, (size_t) n);
      md5_update (&md5, buf, (size_t) n);
    }

  sha256_final (&sha, out->sha256);
  md5_final (&md5, out->md5);
  out->size = offset;
  return 0;
}

void
digest_hex (const uint8_t *bytes, size_t n, char *out)
{
  static const char digits[] = "0123456789abcdef";
  size_t i;

  for (i = 0; i < n; i++)
    {
      out[2 * i] = digits[bytes[i] >> 4];
      out[2 * i + 1] = digits[bytes[i] & 0xf];
    }
  out[2 * n] = '\0';
}
