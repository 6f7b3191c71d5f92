/*
 * tests/unit/db/test_migrate.c
 *     Migration file naming and set validation (the database side is covered
 *     by the integration tests against a real server).
 */
#include "centra/migrate.h"

#include <string.h>

#include "testutil.h"

typedef struct NameCase {
    const char *name; /* file name */
    int version;      /* expected version, -1 = invalid */
} NameCase;

static const NameCase name_cases[] = {
    {"0001_initial.sql", 1},     {"0042_add_stock_updates.sql", 42},
    {"12345_big.sql", 12345},    {"001_short.sql", -1},
    {"0000_zero.sql", -1},       {"0001-initial.sql", -1},
    {"0001_.sql", -1},           {"0001_Initial.sql", -1},
    {"0001_initial.SQL", -1},    {"0001_initial", -1},
    {"initial.sql", -1},         {"0001_x y.sql", -1},
    {"9999999_too_big.sql", -1}, {"", -1},
};

START_TEST(migration_file_names_carry_the_version)
{
    const NameCase *c = &name_cases[_i];

    ck_assert_msg(migrate_version_of(c->name) == c->version, "%s -> %d", c->name,
                  migrate_version_of(c->name));
}
END_TEST

START_TEST(a_valid_set_passes)
{
    static const SqlFile m[] = {{"0001_a.sql", "SELECT 1;", 9}, {"0003_b.sql", "SELECT 2;", 9}};
    static const SqlFile o[] = {{"10_views.sql", "SELECT 3;", 9}};
    MigrationSet set = {m, 2, o, 1};
    Error err;

    ck_assert_int_eq(migrate_check_set(&set, &err), ERR_OK);
}
END_TEST

START_TEST(versions_must_increase)
{
    static const SqlFile m[] = {{"0002_a.sql", "SELECT 1;", 9}, {"0002_b.sql", "SELECT 2;", 9}};
    MigrationSet set = {m, 2, NULL, 0};
    Error err;

    ck_assert_int_eq(migrate_check_set(&set, &err), ERR_INTERNAL);
    ck_assert_str_eq(err.message, "migration \"0002_b.sql\" does not follow version 0002");
}
END_TEST

START_TEST(bad_names_and_empty_files_are_refused)
{
    static const SqlFile bad_name[] = {{"init.sql", "SELECT 1;", 9}};
    static const SqlFile empty[] = {{"0001_a.sql", "", 0}};
    static const SqlFile empty_obj[] = {{"10_views.sql", "", 0}};
    MigrationSet set = {bad_name, 1, NULL, 0};
    Error err;

    ck_assert_int_eq(migrate_check_set(&set, &err), ERR_INTERNAL);
    ck_assert_str_eq(err.message, "invalid migration file name \"init.sql\"");
    set = (MigrationSet){empty, 1, NULL, 0};
    ck_assert_int_eq(migrate_check_set(&set, &err), ERR_INTERNAL);
    ck_assert_str_eq(err.message, "migration \"0001_a.sql\" is empty");
    set = (MigrationSet){NULL, 0, empty_obj, 1};
    ck_assert_int_eq(migrate_check_set(&set, &err), ERR_INTERNAL);
    ck_assert_str_eq(err.message, "SQL file \"sql/10_views.sql\" is empty");
}
END_TEST

START_TEST(the_embedded_set_is_valid_and_complete)
{
    MigrationSet set = migrate_embedded();
    Error err;

    ck_assert_int_eq(migrate_check_set(&set, &err), ERR_OK);
    ck_assert_uint_ge(set.nmigrations, 1);
    ck_assert_str_eq(set.migrations[0].name, "0001_initial.sql");
    ck_assert_uint_eq(strlen(set.migrations[0].sql), set.migrations[0].len);
    ck_assert_ptr_nonnull(strstr(set.migrations[0].sql, "CREATE TABLE centra.orders"));
    ck_assert_uint_ge(set.nobjects, 2);
    for (size_t i = 1; i < set.nobjects; i++)
        ck_assert_int_lt(strcmp(set.objects[i - 1].name, set.objects[i].name), 0);
}
END_TEST

START_TEST(state_names)
{
    ck_assert_str_eq(migrate_state_name(MIGRATION_APPLIED), "applied");
    ck_assert_str_eq(migrate_state_name(MIGRATION_PENDING), "pending");
    ck_assert_str_eq(migrate_state_name(MIGRATION_CHANGED), "changed");
    ck_assert_str_eq(migrate_state_name(MIGRATION_UNKNOWN), "unknown");
}
END_TEST

static Suite *
migrate_suite(void)
{
    Suite *s = suite_create("migrate");
    TCase *tc = tcase_create("migration set");

    tcase_add_loop_test(tc, migration_file_names_carry_the_version, 0, (int)CB_LENGTH(name_cases));
    tcase_add_test(tc, a_valid_set_passes);
    tcase_add_test(tc, versions_must_increase);
    tcase_add_test(tc, bad_names_and_empty_files_are_refused);
    tcase_add_test(tc, the_embedded_set_is_valid_and_complete);
    tcase_add_test(tc, state_names);
    suite_add_tcase(s, tc);
    return s;
}

CB_TEST_MAIN(migrate_suite)
