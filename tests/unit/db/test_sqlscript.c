/*
 * tests/unit/db/test_sqlscript.c
 *     Places in an SQL script: statement starts past quotes, comments, dollar
 *     quotes and function bodies; character positions; lines and columns.
 */
#include "centra/sqlscript.h"

#include "testutil.h"

/* The text at the start of statement index of sql, up to its first space, or "(none)". */
static const char *
start_word(const char *sql, int index)
{
    static char buf[64];
    long at = sqlscript_statement_start(sql, index);

    if (at < 0)
        return "(none)";
    snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(sql + at, " \n;"), sql + at);
    return buf;
}

START_TEST(statements_start_after_semicolons_outside_quotes_and_comments)
{
    static const char sql[] = "-- head; comment\n"
                              "one 'a;''b' \"c;\"\"d\" E'e\\';f' $1;\n"
                              "/* a; /* nested; */ still; */ two $t$ g; $x$ $t$ (h;);\n"
                              " ;; \n"
                              "three$x;\n"
                              "four";

    ck_assert_str_eq(start_word(sql, 0), "one");
    ck_assert_str_eq(start_word(sql, 1), "two");
    ck_assert_str_eq(start_word(sql, 2), "three$x");
    ck_assert_str_eq(start_word(sql, 3), "four");
    ck_assert_str_eq(start_word(sql, 4), "(none)");
    ck_assert_str_eq(start_word("", 0), "(none)");
    ck_assert_str_eq(start_word("-- only a comment;\n", 0), "(none)");
}
END_TEST

START_TEST(function_bodies_keep_their_semicolons)
{
    static const char sql[] = "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql\n"
                              "BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END;\n"
                              "CREATE PROCEDURE p() BEGIN ATOMIC SELECT 1; END;\n"
                              "CREATE TABLE begin_end (a int);\n"
                              "DO $$ BEGIN PERFORM 1; END $$;\n"
                              "last;";

    ck_assert_str_eq(start_word(sql, 1), "CREATE");
    ck_assert_int_eq(sqlscript_statement_start(sql, 2), (long)(strstr(sql, "CREATE TABLE") - sql));
    ck_assert_str_eq(start_word(sql, 3), "DO");
    ck_assert_str_eq(start_word(sql, 4), "last");
}
END_TEST

START_TEST(positions_count_characters_and_lines_count_from_one)
{
    static const char sql[] = "-- å\nSELECT x;";
    size_t off = sqlscript_char_offset(sql, 13); /* "x": "å" is one character, two bytes */
    int line;
    int column;

    ck_assert_uint_eq(off, (size_t)(strchr(sql, 'x') - sql));
    sqlscript_line_of(sql, off, &line, &column);
    ck_assert_int_eq(line, 2);
    ck_assert_int_eq(column, 8);
    sqlscript_line_of(sql, 3, &line, &column);
    ck_assert_int_eq(line, 1);
    ck_assert_int_eq(column, 4);
    ck_assert_uint_eq(sqlscript_char_offset(sql, 999), strlen(sql));
}
END_TEST

START_TEST(bodies_are_found_inside_their_quotes)
{
    static const char sql[] = "SELECT 1; DO -- x\n $b$ BEGIN END $b$; DO 'x'; SELECT 2;";
    long second = sqlscript_statement_start(sql, 1);
    long third = sqlscript_statement_start(sql, 2);

    ck_assert_int_eq(sqlscript_body_start(sql, (size_t)second),
                     (long)(strstr(sql, " BEGIN") - sql));
    ck_assert_int_eq(sqlscript_body_start(sql, (size_t)third), (long)(strstr(sql, "x'") - sql));
    ck_assert_int_eq(sqlscript_body_start(sql, 0), -1);
}
END_TEST

static Suite *
sqlscript_suite(void)
{
    Suite *s = suite_create("sqlscript");
    TCase *tc = tcase_create("sqlscript");

    tcase_add_test(tc, statements_start_after_semicolons_outside_quotes_and_comments);
    tcase_add_test(tc, function_bodies_keep_their_semicolons);
    tcase_add_test(tc, positions_count_characters_and_lines_count_from_one);
    tcase_add_test(tc, bodies_are_found_inside_their_quotes);
    suite_add_tcase(s, tc);
    return s;
}

CB_TEST_MAIN(sqlscript_suite)
