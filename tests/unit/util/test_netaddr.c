/*
 * tests/unit/util/test_netaddr.c
 *     Listening addresses, and the one spelling of a queue's URL.
 */
#include "centra/netaddr.h"

#include <arpa/inet.h>
#include <string.h>

#include "testutil.h"

typedef struct UrlCase {
    const char *url;  /* as configured */
    const char *want; /* as the lock key spells it */
} UrlCase;

static const UrlCase url_cases[] = {
    {"https://x.centra.com/ams/system/service/module/soap/api",
     "https://x.centra.com/ams/system/service/module/soap/api"},
    {"HTTPS://X.Centra.COM:443/ams/Soap/API", "https://x.centra.com/ams/Soap/API"},
    {"http://127.0.0.1:80/soap", "http://127.0.0.1/soap"},
    {"http://127.0.0.1:8080/soap", "http://127.0.0.1:8080/soap"},
    {"https://host:80/soap", "https://host:80/soap"}, /* not https's default */
    {"http://host:443/soap", "http://host:443/soap"}, /* not http's default */
    {"https://host:4430/soap", "https://host:4430/soap"},
    {"https://host", "https://host/"},
    {"https://host:443?wsdl", "https://host/?wsdl"},
    {"http://[::1]:80/soap", "http://[::1]/soap"},
    {"http://[::1]/soap", "http://[::1]/soap"},
    {"http://user@host:80/soap", "http://host/soap"},
    {"not a url", "not a url"},
};

START_TEST(urls_get_one_spelling)
{
    const UrlCase *c = &url_cases[_i];
    char out[256];

    net_canonical_url(c->url, out, sizeof(out));
    ck_assert_str_eq(out, c->want);
}
END_TEST

START_TEST(a_small_buffer_gets_a_cut_string)
{
    char out[12];

    net_canonical_url("HTTPS://X.CENTRA.COM/ams/soap", out, sizeof(out));
    ck_assert_str_eq(out, "https://x.c");
    net_canonical_url("https://x", out, 1);
    ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(listen_addresses_are_ipv4_and_a_port)
{
    struct sockaddr_in a;
    const char *why = NULL;

    ck_assert(net_parse_listen("127.0.0.1:9470", &a, &why));
    ck_assert_uint_eq(ntohs(a.sin_port), 9470);
    ck_assert_uint_eq(ntohl(a.sin_addr.s_addr), 0x7f000001u);
    ck_assert(net_parse_listen("localhost:0", &a, &why));
    ck_assert_uint_eq(ntohs(a.sin_port), 0);
    ck_assert(!net_parse_listen("127.0.0.1", &a, &why));
    ck_assert_ptr_nonnull(why);
    ck_assert(!net_parse_listen("127.0.0.1:65536", &a, &why));
    ck_assert(!net_parse_listen("nope:1", &a, &why));
}
END_TEST

static Suite *
netaddr_suite(void)
{
    Suite *s = suite_create("netaddr");
    TCase *tc = tcase_create("netaddr");

    tcase_add_loop_test(tc, urls_get_one_spelling, 0, (int)CB_LENGTH(url_cases));
    tcase_add_test(tc, a_small_buffer_gets_a_cut_string);
    tcase_add_test(tc, listen_addresses_are_ipv4_and_a_port);
    suite_add_tcase(s, tc);
    return s;
}

CB_TEST_MAIN(netaddr_suite)
