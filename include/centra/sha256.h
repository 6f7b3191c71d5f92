/*
 * include/centra/sha256.h
 *     SHA-256 (FIPS 180-4), used for migration checksums.
 *
 * A small self-contained implementation keeps the dependency list to the one
 * DESIGN.md fixes; speed is irrelevant at the sizes hashed.
 */
#ifndef CENTRA_SHA256_H
#define CENTRA_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_HEX_LEN    64

typedef struct Sha256 {
    uint32_t state[8];     /* running hash */
    uint64_t bits;         /* message length so far, in bits */
    unsigned char buf[64]; /* partial block */
    size_t buflen;         /* bytes in buf */
} Sha256;

void sha256_begin(Sha256 *ctx);
void sha256_update(Sha256 *ctx, const void *data, size_t len);
void sha256_end(Sha256 *ctx, unsigned char digest[SHA256_DIGEST_LEN]);

/* Hash len bytes of data into hex (lower case, NUL-terminated). */
void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN + 1]);

#endif /* CENTRA_SHA256_H */
