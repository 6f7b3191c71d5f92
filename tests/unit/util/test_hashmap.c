/*
 * tests/unit/util/test_hashmap.c
 *     The string-keyed hash map: put, get, replace, remove, growth, iteration.
 *
 * The map probes linearly and marks removed slots with tombstones, so the
 * collision tests build keys whose FNV-1a hashes share their low 16 bits:
 * such keys land in the same home slot for every table of up to 65536 slots,
 * before and after growth.  Their home slot is the last one of the table, so
 * every chain of them also wraps around to slot 0.
 */
#include "centra/hashmap.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

#define NCOLLIDE   4      /* keys in the colliding set */
#define COLLIDE_LO 0xFFFF /* the low 16 bits they share: the last slot of any table */

/* The map's hash (FNV-1a, 64 bits), recomputed to find colliding keys. */
static uint64_t
test_fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static char collide[NCOLLIDE][32]; /* keys whose hashes end in COLLIDE_LO */

/* Fill collide[] with the first NCOLLIDE keys "c<n>" whose hashes end in COLLIDE_LO. */
static void
find_colliding_keys(void)
{
    int found = 0;

    for (unsigned long i = 0; found < NCOLLIDE; i++) {
        char key[32];

        snprintf(key, sizeof(key), "c%lu", i);
        if ((test_fnv1a(key) & 0xFFFF) == COLLIDE_LO)
            memcpy(collide[found++], key, sizeof(key));
    }
    for (int i = 0; i < NCOLLIDE; i++)
        ck_assert_uint_eq(test_fnv1a(collide[i]) & 0xFFFF, COLLIDE_LO);
}

/* A distinct non-NULL value for index i (never dereferenced). */
static void *
val(size_t i)
{
    return (void *)(uintptr_t)(i + 1);
}

static void
key_of(size_t i, char *buf, size_t size)
{
    snprintf(buf, size, "key-%zu", i);
}

/* --- basics ------------------------------------------------------------------ */

START_TEST(a_new_map_is_empty)
{
    HashMap *m = hashmap_new();

    ck_assert_uint_eq(hashmap_count(m), 0);
    ck_assert_ptr_null(hashmap_get(m, "x"));
    ck_assert_ptr_null(hashmap_get(m, ""));
    ck_assert_ptr_null(hashmap_remove(m, "x"));
    ck_assert_uint_eq(hashmap_count(m), 0);
    hashmap_free(m);
}
END_TEST

START_TEST(put_stores_and_get_finds)
{
    HashMap *m = hashmap_new();
    int a = 1;
    int b = 2;

    ck_assert_ptr_null(hashmap_put(m, "alpha", &a));
    ck_assert_ptr_null(hashmap_put(m, "beta", &b));
    ck_assert_ptr_eq(hashmap_get(m, "alpha"), &a);
    ck_assert_ptr_eq(hashmap_get(m, "beta"), &b);
    ck_assert_ptr_null(hashmap_get(m, "gamma"));
    ck_assert_ptr_null(hashmap_get(m, "alph"));
    ck_assert_ptr_null(hashmap_get(m, "alphaa"));
    ck_assert_uint_eq(hashmap_count(m), 2);
    hashmap_free(m);
}
END_TEST

START_TEST(put_on_an_existing_key_replaces_and_returns_the_previous_value)
{
    HashMap *m = hashmap_new();
    int a = 1;
    int b = 2;
    int c = 3;

    ck_assert_ptr_null(hashmap_put(m, "k", &a));
    ck_assert_ptr_eq(hashmap_put(m, "k", &b), &a);
    ck_assert_ptr_eq(hashmap_get(m, "k"), &b);
    ck_assert_ptr_eq(hashmap_put(m, "k", &c), &b);
    ck_assert_ptr_eq(hashmap_get(m, "k"), &c);
    ck_assert_uint_eq(hashmap_count(m), 1);
    hashmap_free(m);
}
END_TEST

START_TEST(a_null_value_is_an_entry_of_its_own)
{
    HashMap *m = hashmap_new();
    int a = 1;

    ck_assert_ptr_null(hashmap_put(m, "k", NULL));
    ck_assert_uint_eq(hashmap_count(m), 1);
    ck_assert_ptr_null(hashmap_put(m, "k", &a));
    ck_assert_uint_eq(hashmap_count(m), 1);
    ck_assert_ptr_eq(hashmap_get(m, "k"), &a);
    hashmap_free(m);
}
END_TEST

START_TEST(similar_keys_are_distinct)
{
    static const char *const keys[] = {"a", "ab", "abc", "b", "ba", "A", "a ", " a"};
    HashMap *m = hashmap_new();

    for (size_t i = 0; i < CB_LENGTH(keys); i++)
        ck_assert_ptr_null(hashmap_put(m, keys[i], val(i)));
    ck_assert_uint_eq(hashmap_count(m), CB_LENGTH(keys));
    for (size_t i = 0; i < CB_LENGTH(keys); i++)
        ck_assert_ptr_eq(hashmap_get(m, keys[i]), val(i));
    hashmap_free(m);
}
END_TEST

START_TEST(the_empty_string_is_a_key)
{
    HashMap *m = hashmap_new();
    int a = 1;
    int b = 2;

    ck_assert_ptr_null(hashmap_put(m, "", &a));
    ck_assert_ptr_null(hashmap_put(m, "x", &b));
    ck_assert_ptr_eq(hashmap_get(m, ""), &a);
    ck_assert_uint_eq(hashmap_count(m), 2);
    ck_assert_ptr_eq(hashmap_remove(m, ""), &a);
    ck_assert_ptr_null(hashmap_get(m, ""));
    ck_assert_ptr_eq(hashmap_get(m, "x"), &b);
    ck_assert_uint_eq(hashmap_count(m), 1);
    hashmap_free(m);
}
END_TEST

START_TEST(long_keys_are_compared_in_full)
{
    HashMap *m = hashmap_new();
    char k1[10001];
    char k2[10001];

    memset(k1, 'q', sizeof(k1) - 1);
    k1[sizeof(k1) - 1] = '\0';
    memcpy(k2, k1, sizeof(k1));
    k2[sizeof(k2) - 2] = 'r'; /* differs only in the last byte */
    ck_assert_ptr_null(hashmap_put(m, k1, val(1)));
    ck_assert_ptr_null(hashmap_put(m, k2, val(2)));
    ck_assert_ptr_eq(hashmap_get(m, k1), val(1));
    ck_assert_ptr_eq(hashmap_get(m, k2), val(2));
    ck_assert_uint_eq(hashmap_count(m), 2);
    hashmap_free(m);
}
END_TEST

START_TEST(keys_are_copied)
{
    HashMap *m = hashmap_new();
    char buf[16];
    int a = 1;

    snprintf(buf, sizeof(buf), "alpha");
    ck_assert_ptr_null(hashmap_put(m, buf, &a));
    snprintf(buf, sizeof(buf), "omega");
    ck_assert_ptr_eq(hashmap_get(m, "alpha"), &a);
    ck_assert_ptr_null(hashmap_get(m, "omega"));
    ck_assert_ptr_null(hashmap_get(m, buf));
    memset(buf, 0, sizeof(buf));
    ck_assert_ptr_eq(hashmap_get(m, "alpha"), &a);
    hashmap_free(m);
}
END_TEST

/* Values on the stack: if the map freed values, this would crash or show under valgrind. */
START_TEST(free_releases_the_keys_but_not_the_values)
{
    HashMap *m = hashmap_new();
    int values[100];

    for (size_t i = 0; i < CB_LENGTH(values); i++) {
        char key[32];

        values[i] = (int)i;
        key_of(i, key, sizeof(key));
        ck_assert_ptr_null(hashmap_put(m, key, &values[i]));
    }
    hashmap_free(m);
    for (size_t i = 0; i < CB_LENGTH(values); i++)
        ck_assert_int_eq(values[i], (int)i);
}
END_TEST

START_TEST(free_of_null_is_a_no_op)
{
    hashmap_free(NULL);
}
END_TEST

/* --- removal --------------------------------------------------------------------- */

START_TEST(remove_returns_the_value_and_forgets_the_key)
{
    HashMap *m = hashmap_new();
    int a = 1;
    int b = 2;

    ck_assert_ptr_null(hashmap_put(m, "a", &a));
    ck_assert_ptr_null(hashmap_put(m, "b", &b));
    ck_assert_ptr_eq(hashmap_remove(m, "a"), &a);
    ck_assert_ptr_null(hashmap_get(m, "a"));
    ck_assert_ptr_eq(hashmap_get(m, "b"), &b);
    ck_assert_uint_eq(hashmap_count(m), 1);
    ck_assert_ptr_null(hashmap_remove(m, "a"));
    ck_assert_uint_eq(hashmap_count(m), 1);
    ck_assert_ptr_null(hashmap_remove(m, "never"));
    ck_assert_uint_eq(hashmap_count(m), 1);
    hashmap_free(m);
}
END_TEST

START_TEST(a_removed_key_can_be_put_again)
{
    HashMap *m = hashmap_new();
    int a = 1;
    int b = 2;

    ck_assert_ptr_null(hashmap_put(m, "k", &a));
    ck_assert_ptr_eq(hashmap_remove(m, "k"), &a);
    /* A fresh entry: the old value is not reported as replaced. */
    ck_assert_ptr_null(hashmap_put(m, "k", &b));
    ck_assert_ptr_eq(hashmap_get(m, "k"), &b);
    ck_assert_uint_eq(hashmap_count(m), 1);
    ck_assert_ptr_eq(hashmap_remove(m, "k"), &b);
    ck_assert_uint_eq(hashmap_count(m), 0);
    hashmap_free(m);
}
END_TEST

START_TEST(colliding_keys_are_all_found)
{
    HashMap *m = hashmap_new();

    find_colliding_keys();
    for (size_t i = 0; i < NCOLLIDE; i++)
        ck_assert_ptr_null(hashmap_put(m, collide[i], val(i)));
    ck_assert_uint_eq(hashmap_count(m), NCOLLIDE);
    for (size_t i = 0; i < NCOLLIDE; i++)
        ck_assert_ptr_eq(hashmap_get(m, collide[i]), val(i));
    hashmap_free(m);
}
END_TEST

START_TEST(removal_in_the_middle_of_a_chain_keeps_later_keys_reachable)
{
    HashMap *m = hashmap_new();

    find_colliding_keys();
    for (size_t i = 0; i < NCOLLIDE; i++)
        ck_assert_ptr_null(hashmap_put(m, collide[i], val(i)));
    ck_assert_ptr_eq(hashmap_remove(m, collide[1]), val(1));
    ck_assert_ptr_eq(hashmap_get(m, collide[0]), val(0));
    ck_assert_ptr_null(hashmap_get(m, collide[1]));
    ck_assert_ptr_eq(hashmap_get(m, collide[2]), val(2));
    ck_assert_ptr_eq(hashmap_get(m, collide[3]), val(3));
    ck_assert_uint_eq(hashmap_count(m), NCOLLIDE - 1);
    /* The head too. */
    ck_assert_ptr_eq(hashmap_remove(m, collide[0]), val(0));
    ck_assert_ptr_eq(hashmap_get(m, collide[2]), val(2));
    ck_assert_ptr_eq(hashmap_get(m, collide[3]), val(3));
    ck_assert_ptr_eq(hashmap_remove(m, collide[3]), val(3));
    ck_assert_ptr_eq(hashmap_get(m, collide[2]), val(2));
    ck_assert_uint_eq(hashmap_count(m), 1);
    hashmap_free(m);
}
END_TEST

/*
 * Replacing a key that sits after a tombstone must update it in place, not
 * fill the tombstone with a duplicate that a later remove would leave behind.
 */
START_TEST(replacing_a_key_behind_a_tombstone_does_not_duplicate_it)
{
    HashMap *m = hashmap_new();

    find_colliding_keys();
    for (size_t i = 0; i < 3; i++)
        ck_assert_ptr_null(hashmap_put(m, collide[i], val(i)));
    ck_assert_ptr_eq(hashmap_remove(m, collide[0]), val(0));
    ck_assert_ptr_eq(hashmap_put(m, collide[2], val(20)), val(2));
    ck_assert_uint_eq(hashmap_count(m), 2);
    ck_assert_ptr_eq(hashmap_get(m, collide[2]), val(20));
    ck_assert_ptr_eq(hashmap_remove(m, collide[2]), val(20));
    ck_assert_ptr_null(hashmap_get(m, collide[2]));
    ck_assert_ptr_null(hashmap_remove(m, collide[2]));
    ck_assert_ptr_eq(hashmap_get(m, collide[1]), val(1));
    ck_assert_uint_eq(hashmap_count(m), 1);
    hashmap_free(m);
}
END_TEST

START_TEST(a_key_removed_from_a_chain_can_be_put_again)
{
    HashMap *m = hashmap_new();

    find_colliding_keys();
    for (size_t i = 0; i < NCOLLIDE; i++)
        ck_assert_ptr_null(hashmap_put(m, collide[i], val(i)));
    ck_assert_ptr_eq(hashmap_remove(m, collide[1]), val(1));
    ck_assert_ptr_null(hashmap_put(m, collide[1], val(10)));
    for (size_t i = 0; i < NCOLLIDE; i++)
        ck_assert_ptr_eq(hashmap_get(m, collide[i]), i == 1 ? val(10) : val(i));
    ck_assert_uint_eq(hashmap_count(m), NCOLLIDE);
    /* Empty the chain and refill it in the other order. */
    for (size_t i = 0; i < NCOLLIDE; i++)
        ck_assert_ptr_nonnull(hashmap_remove(m, collide[i]));
    ck_assert_uint_eq(hashmap_count(m), 0);
    for (size_t i = NCOLLIDE; i-- > 0;)
        ck_assert_ptr_null(hashmap_put(m, collide[i], val(i + 100)));
    for (size_t i = 0; i < NCOLLIDE; i++)
        ck_assert_ptr_eq(hashmap_get(m, collide[i]), val(i + 100));
    ck_assert_uint_eq(hashmap_count(m), NCOLLIDE);
    hashmap_free(m);
}
END_TEST

START_TEST(a_chain_with_a_tombstone_survives_growth)
{
    HashMap *m = hashmap_new();
    char key[32];

    find_colliding_keys();
    for (size_t i = 0; i < NCOLLIDE; i++)
        ck_assert_ptr_null(hashmap_put(m, collide[i], val(i)));
    ck_assert_ptr_eq(hashmap_remove(m, collide[1]), val(1));
    for (size_t i = 0; i < 10000; i++) {
        key_of(i, key, sizeof(key));
        ck_assert_ptr_null(hashmap_put(m, key, val(i + 1000)));
    }
    ck_assert_ptr_eq(hashmap_get(m, collide[0]), val(0));
    ck_assert_ptr_null(hashmap_get(m, collide[1]));
    ck_assert_ptr_eq(hashmap_get(m, collide[2]), val(2));
    ck_assert_ptr_eq(hashmap_get(m, collide[3]), val(3));
    ck_assert_uint_eq(hashmap_count(m), 10000 + NCOLLIDE - 1);
    hashmap_free(m);
}
END_TEST

/*
 * Many puts and removes with few live keys leave many tombstones; the map
 * must keep finding free slots (a lookup would loop forever in a table
 * with no empty slot) and keep its contents right.
 */
START_TEST(churn_with_few_live_keys_stays_correct)
{
    HashMap *m = hashmap_new();
    char key[32];

    for (size_t i = 0; i < 100000; i++) {
        key_of(i, key, sizeof(key));
        ck_assert_ptr_null(hashmap_put(m, key, val(i)));
        if (i >= 5) {
            key_of(i - 5, key, sizeof(key));
            ck_assert_ptr_eq(hashmap_remove(m, key), val(i - 5));
        }
    }
    ck_assert_uint_eq(hashmap_count(m), 5);
    for (size_t i = 0; i < 100000; i++) {
        key_of(i, key, sizeof(key));
        ck_assert_ptr_eq(hashmap_get(m, key), i >= 100000 - 5 ? val(i) : NULL);
    }
    hashmap_free(m);
}
END_TEST

/* --- growth ---------------------------------------------------------------------- */

START_TEST(growth_past_many_thousands_of_keys_keeps_every_key)
{
    enum { N = 50000 };
    HashMap *m = hashmap_new();
    char key[32];

    for (size_t i = 0; i < N; i++) {
        key_of(i, key, sizeof(key));
        ck_assert_ptr_null(hashmap_put(m, key, val(i)));
        ck_assert_uint_eq(hashmap_count(m), i + 1);
    }
    for (size_t i = 0; i < N; i++) {
        key_of(i, key, sizeof(key));
        ck_assert_ptr_eq(hashmap_get(m, key), val(i));
    }
    for (size_t i = N; i < N + 1000; i++) {
        key_of(i, key, sizeof(key));
        ck_assert_ptr_null(hashmap_get(m, key));
    }
    /* Remove every other key, then check both halves. */
    for (size_t i = 0; i < N; i += 2) {
        key_of(i, key, sizeof(key));
        ck_assert_ptr_eq(hashmap_remove(m, key), val(i));
    }
    ck_assert_uint_eq(hashmap_count(m), N / 2);
    for (size_t i = 0; i < N; i++) {
        key_of(i, key, sizeof(key));
        ck_assert_ptr_eq(hashmap_get(m, key), i % 2 == 0 ? NULL : val(i));
    }
    /* Replacing after growth still returns the previous value. */
    key_of(N - 1, key, sizeof(key));
    ck_assert_ptr_eq(hashmap_put(m, key, val(0)), val(N - 1));
    ck_assert_uint_eq(hashmap_count(m), N / 2);
    hashmap_free(m);
}
END_TEST

/* --- iteration ------------------------------------------------------------------- */

typedef struct Visit {
    size_t calls;        /* how many times fn ran */
    size_t stop_after;   /* return false on this call (0: never) */
    unsigned char *seen; /* per index: how often its entry was visited */
    size_t n;            /* entries in seen */
    bool key_mismatch;   /* a key did not match its value */
} Visit;

static bool
visit(const char *key, void *value, void *arg)
{
    Visit *v = arg;
    size_t i = (size_t)(uintptr_t)value - 1;
    char expect[32];

    v->calls++;
    if (i < v->n) {
        v->seen[i]++;
        key_of(i, expect, sizeof(expect));
        if (strcmp(key, expect) != 0)
            v->key_mismatch = true;
    }
    return v->stop_after == 0 || v->calls < v->stop_after;
}

START_TEST(each_visits_every_entry_exactly_once)
{
    enum { N = 1000 };
    HashMap *m = hashmap_new();
    unsigned char seen[N] = {0};
    Visit v = {0, 0, seen, N, false};
    char key[32];

    for (size_t i = 0; i < N; i++) {
        key_of(i, key, sizeof(key));
        ck_assert_ptr_null(hashmap_put(m, key, val(i)));
    }
    hashmap_each(m, visit, &v);
    ck_assert_uint_eq(v.calls, N);
    ck_assert(!v.key_mismatch);
    for (size_t i = 0; i < N; i++)
        ck_assert_msg(seen[i] == 1, "entry %zu visited %d times", i, seen[i]);
    hashmap_free(m);
}
END_TEST

START_TEST(each_skips_removed_entries)
{
    enum { N = 200 };
    HashMap *m = hashmap_new();
    unsigned char seen[N] = {0};
    Visit v = {0, 0, seen, N, false};
    char key[32];

    for (size_t i = 0; i < N; i++) {
        key_of(i, key, sizeof(key));
        ck_assert_ptr_null(hashmap_put(m, key, val(i)));
    }
    for (size_t i = 0; i < N; i += 3) {
        key_of(i, key, sizeof(key));
        ck_assert_ptr_eq(hashmap_remove(m, key), val(i));
    }
    hashmap_each(m, visit, &v);
    ck_assert_uint_eq(v.calls, hashmap_count(m));
    for (size_t i = 0; i < N; i++)
        ck_assert_uint_eq(seen[i], i % 3 == 0 ? 0 : 1);
    hashmap_free(m);
}
END_TEST

START_TEST(each_stops_when_fn_returns_false)
{
    HashMap *m = hashmap_new();
    unsigned char seen[50] = {0};
    Visit v = {0, 3, seen, 50, false};
    char key[32];

    for (size_t i = 0; i < 50; i++) {
        key_of(i, key, sizeof(key));
        ck_assert_ptr_null(hashmap_put(m, key, val(i)));
    }
    hashmap_each(m, visit, &v);
    ck_assert_uint_eq(v.calls, 3);
    v.calls = 0;
    v.stop_after = 1;
    hashmap_each(m, visit, &v);
    ck_assert_uint_eq(v.calls, 1);
    hashmap_free(m);
}
END_TEST

START_TEST(each_on_an_empty_map_calls_nothing)
{
    HashMap *m = hashmap_new();
    Visit v = {0, 0, NULL, 0, false};

    hashmap_each(m, visit, &v);
    ck_assert_uint_eq(v.calls, 0);
    ck_assert_ptr_null(hashmap_put(m, "k", val(0)));
    ck_assert_ptr_eq(hashmap_remove(m, "k"), val(0));
    hashmap_each(m, visit, &v);
    ck_assert_uint_eq(v.calls, 0);
    hashmap_free(m);
}
END_TEST

static bool
record_key(const char *key, void *value, void *arg)
{
    (void)value;
    snprintf(arg, 16, "%s", key);
    return true;
}

START_TEST(each_passes_the_map_copy_of_the_key)
{
    HashMap *m = hashmap_new();
    char buf[16];
    char got[16] = "";

    snprintf(buf, sizeof(buf), "alpha");
    ck_assert_ptr_null(hashmap_put(m, buf, val(0)));
    snprintf(buf, sizeof(buf), "omega");
    hashmap_each(m, record_key, got);
    ck_assert_str_eq(got, "alpha");
    hashmap_free(m);
}
END_TEST

static Suite *
hashmap_suite(void)
{
    Suite *s = suite_create("hashmap");
    TCase *basics = tcase_create("basics");
    TCase *removal = tcase_create("removal");
    TCase *growth = tcase_create("growth");
    TCase *each = tcase_create("each");

    tcase_add_test(basics, a_new_map_is_empty);
    tcase_add_test(basics, put_stores_and_get_finds);
    tcase_add_test(basics, put_on_an_existing_key_replaces_and_returns_the_previous_value);
    tcase_add_test(basics, a_null_value_is_an_entry_of_its_own);
    tcase_add_test(basics, similar_keys_are_distinct);
    tcase_add_test(basics, the_empty_string_is_a_key);
    tcase_add_test(basics, long_keys_are_compared_in_full);
    tcase_add_test(basics, keys_are_copied);
    tcase_add_test(basics, free_releases_the_keys_but_not_the_values);
    tcase_add_test(basics, free_of_null_is_a_no_op);
    tcase_add_test(removal, remove_returns_the_value_and_forgets_the_key);
    tcase_add_test(removal, a_removed_key_can_be_put_again);
    tcase_add_test(removal, colliding_keys_are_all_found);
    tcase_add_test(removal, removal_in_the_middle_of_a_chain_keeps_later_keys_reachable);
    tcase_add_test(removal, replacing_a_key_behind_a_tombstone_does_not_duplicate_it);
    tcase_add_test(removal, a_key_removed_from_a_chain_can_be_put_again);
    tcase_add_test(removal, a_chain_with_a_tombstone_survives_growth);
    tcase_add_test(removal, churn_with_few_live_keys_stays_correct);
    tcase_add_test(growth, growth_past_many_thousands_of_keys_keeps_every_key);
    tcase_add_test(each, each_visits_every_entry_exactly_once);
    tcase_add_test(each, each_skips_removed_entries);
    tcase_add_test(each, each_stops_when_fn_returns_false);
    tcase_add_test(each, each_on_an_empty_map_calls_nothing);
    tcase_add_test(each, each_passes_the_map_copy_of_the_key);
    suite_add_tcase(s, basics);
    suite_add_tcase(s, removal);
    suite_add_tcase(s, growth);
    suite_add_tcase(s, each);
    return s;
}

CB_TEST_MAIN(hashmap_suite)
