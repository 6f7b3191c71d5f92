/*
 * tests/unit/util/test_sha256.c
 *     SHA-256 against the FIPS 180-2 test vectors.
 */
#include "centra/sha256.h"

#include <string.h>

#include "testutil.h"

START_TEST(known_vectors)
{
    char hex[SHA256_HEX_LEN + 1];

    sha256_hex("", 0, hex);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_hex("abc", 3, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
    ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
END_TEST

START_TEST(a_million_a_in_uneven_pieces)
{
    unsigned char digest[SHA256_DIGEST_LEN];
    static const unsigned char expect[SHA256_DIGEST_LEN] = {
        0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92, 0x81, 0xa1, 0xc7,
        0xe2, 0x84, 0xd7, 0x3e, 0x67, 0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97,
        0x20, 0x0e, 0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0};
    char chunk[1000];
    Sha256 ctx;
    size_t done = 0;
    size_t step = 1;

    memset(chunk, 'a', sizeof(chunk));
    sha256_begin(&ctx);
    while (done < 1000000) {
        size_t n = step < 1000000 - done ? step : 1000000 - done;

        sha256_update(&ctx, chunk, n);
        done += n;
        step = step % 937 + 63; /* odd sizes up to 999 cross block boundaries */
    }
    sha256_end(&ctx, digest);
    ck_assert_int_eq(memcmp(digest, expect, sizeof(expect)), 0);
}
END_TEST

START_TEST(padding_boundaries)
{
    /* Lengths 55, 56 and 64 exercise the one- and two-block padding cases. */
    static const struct {
        size_t len;
        const char *hex;
    } cases[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
    };
    char data[64];
    char hex[SHA256_HEX_LEN + 1];

    memset(data, 'a', sizeof(data));
    for (size_t i = 0; i < CB_LENGTH(cases); i++) {
        sha256_hex(data, cases[i].len, hex);
        ck_assert_str_eq(hex, cases[i].hex);
    }
}
END_TEST

static Suite *
sha256_suite(void)
{
    Suite *s = suite_create("sha256");
    TCase *tc = tcase_create("sha256");

    tcase_add_test(tc, known_vectors);
    tcase_add_test(tc, a_million_a_in_uneven_pieces);
    tcase_add_test(tc, padding_boundaries);
    suite_add_tcase(s, tc);
    return s;
}

CB_TEST_MAIN(sha256_suite)
