/* SPDX-License-Identifier: MIT */
/* Unit tests of numfmt/: significant digits, grouping, spreads, raw numbers, locales. */
#include <check.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>

#include "numfmt.h"

static const struct {
    double v;
    guint sig;
    gboolean group;
    const char *want;
} number_cases[] = {
    {49360, 4, TRUE, "49,360"},       {1413690, 4, TRUE, "1,414,000"},
    {1413690, 4, FALSE, "1414000"},   {36.7249, 4, TRUE, "36.72"},
    {2.867, 2, TRUE, "2.9"},          {3564, 2, TRUE, "3,600"},
    {0.012345, 4, TRUE, "0.01235"},   {9999.6, 4, TRUE, "10,000"},
    {-21729, 4, TRUE, "-21,730"},     {0, 4, TRUE, "0"},
    {-0.00001, 2, TRUE, "-0.000010"}, {999, 4, TRUE, "999.0"},
    {1000, 4, TRUE, "1,000"},         {NAN, 4, TRUE, "-"},
    {INFINITY, 4, TRUE, "inf"},
};

START_TEST(test_number)
{
    const __typeof__(number_cases[0]) *c = &number_cases[_i];
    g_autofree char *s = numfmt_number(c->v, c->sig, c->group);
    ck_assert_msg(!g_strcmp0(s, c->want), "numfmt_number(%.17g, %u) = '%s', expected '%s'", c->v,
                  c->sig, s, c->want);
}
END_TEST

START_TEST(test_figure_text_c_and_utf8)
{
    /* the same figure under both locales the tests and users run with */
    ck_assert_ptr_nonnull(setlocale(LC_ALL, "C"));
    g_autofree char *c = numfmt_figure(49360, 3564, 2, 7.22, TRUE, NUMFMT_TEXT);
    ck_assert_str_eq(c, "49,360 +/- 3,600 (2) cv 7.2% !2");
    g_autofree char *html = numfmt_figure(36.7249, 2.867, 3, NAN, FALSE, NUMFMT_HTML);
    ck_assert_str_eq(html, "36.72 \u00b1 2.9 (3)");
    g_autofree char *ascii = numfmt_for_locale("p50 \u00b5s \u2192 [OPTION\u2026] \u00e9");
    ck_assert_str_eq(ascii, "p50 us -> [OPTION...] ?");
    if (setlocale(LC_ALL, "C.UTF-8")) {
        g_autofree char *u = numfmt_figure(49360, 3564, 2, 7.22, FALSE, NUMFMT_TEXT);
        ck_assert_str_eq(u, "49,360 \u00b1 3,600 (2) cv 7.2%");
        g_autofree char *same = numfmt_for_locale("\u00b5s");
        ck_assert_str_eq(same, "\u00b5s");
    }
    setlocale(LC_ALL, "C");
    g_autofree char *one = numfmt_figure(154742.4, NAN, 1, NAN, FALSE, NUMFMT_TEXT);
    ck_assert_str_eq(one, "154,700 (1)");
    g_autofree char *none = numfmt_figure(NAN, NAN, 0, NAN, FALSE, NUMFMT_TEXT);
    ck_assert_str_eq(none, "-");
}
END_TEST

START_TEST(test_delta_and_raw)
{
    g_autofree char *d1 = numfmt_delta_pct(-50.04);
    g_autofree char *d2 = numfmt_delta_pct(3.14159);
    g_autofree char *d3 = numfmt_delta_pct(NAN);
    ck_assert_str_eq(d1, "-50.0%");
    ck_assert_str_eq(d2, "+3.14%");
    ck_assert_str_eq(d3, "-");

    const double raw[] = {0.1, 49360.5, 1e6, 1413690.123456789, 1.0 / 3, -21729, 2.5e-7};
    for (guint i = 0; i < G_N_ELEMENTS(raw); i++) {
        g_autofree char *r = numfmt_raw(raw[i]);
        ck_assert_msg(g_ascii_strtod(r, NULL) == raw[i], "raw '%s' != %.17g", r, raw[i]);
    }
    g_autofree char *cnt = numfmt_count(1234567);
    ck_assert_str_eq(cnt, "1,234,567");
    g_autofree char *m = numfmt_raw(1e6);
    g_autofree char *t = numfmt_raw(0.1);
    ck_assert_str_eq(m, "1000000");
    ck_assert_str_eq(t, "0.1");
    ck_assert_ptr_null(numfmt_raw(NAN));
    /* a locale with a decimal comma leaves the raw numbers alone */
    if (setlocale(LC_NUMERIC, "de_DE.UTF-8")) {
        g_autofree char *de = numfmt_raw(0.5);
        ck_assert_str_eq(de, "0.5");
        setlocale(LC_NUMERIC, "C");
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("numfmt");
    TCase *tc = tcase_create("numfmt");
    tcase_add_loop_test(tc, test_number, 0, G_N_ELEMENTS(number_cases));
    tcase_add_test(tc, test_figure_text_c_and_utf8);
    tcase_add_test(tc, test_delta_and_raw);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
