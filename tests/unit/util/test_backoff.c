/*
 * tests/unit/util/test_backoff.c
 *     Exponential backoff with jitter.
 */
#include "centra/backoff.h"

#include "testutil.h"

START_TEST(delays_double_within_the_jitter_band)
{
    uint64_t rng = 12345;

    for (int attempt = 0; attempt < 6; attempt++) {
        long long full = 100LL << attempt;

        for (int i = 0; i < 200; i++) {
            long long d = backoff_delay_ms(100, 100000, attempt, &rng);

            ck_assert_int_ge(d, full - full / 2);
            ck_assert_int_le(d, full);
        }
    }
}
END_TEST

START_TEST(delays_are_capped)
{
    uint64_t rng = 7;

    for (int attempt = 0; attempt < 100; attempt++)
        ck_assert_int_le(backoff_delay_ms(1000, 30000, attempt, &rng), 30000);
    ck_assert_int_ge(backoff_delay_ms(1000, 30000, 99, &rng), 15000);
}
END_TEST

START_TEST(jitter_spreads_clients_out)
{
    uint64_t rng = backoff_seed();
    long long first = backoff_delay_ms(1000, 30000, 3, &rng);
    bool differs = false;

    for (int i = 0; i < 50 && !differs; i++)
        differs = backoff_delay_ms(1000, 30000, 3, &rng) != first;
    ck_assert(differs);
}
END_TEST

START_TEST(seeds_differ_between_calls)
{
    ck_assert(backoff_seed() != backoff_seed());
}
END_TEST

START_TEST(sleep_waits_and_the_clock_is_monotonic)
{
    long long t0 = backoff_now_ms();

    ck_assert_int_eq(backoff_sleep_ms(20), 0);
    ck_assert_int_ge(backoff_now_ms() - t0, 20);
    ck_assert_int_eq(backoff_sleep_ms(0), 0);
    ck_assert_int_eq(backoff_sleep_ms(-5), 0);
}
END_TEST

static Suite *
backoff_suite(void)
{
    Suite *s = suite_create("backoff");
    TCase *tc = tcase_create("backoff");

    tcase_add_test(tc, delays_double_within_the_jitter_band);
    tcase_add_test(tc, delays_are_capped);
    tcase_add_test(tc, jitter_spreads_clients_out);
    tcase_add_test(tc, seeds_differ_between_calls);
    tcase_add_test(tc, sleep_waits_and_the_clock_is_monotonic);
    suite_add_tcase(s, tc);
    return s;
}

CB_TEST_MAIN(backoff_suite)
