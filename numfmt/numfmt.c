/* SPDX-License-Identifier: MIT */
/* numfmt: significant digits, thousands grouping, raw round-trip numbers, locale-safe symbols. */
#include <math.h>
#include <string.h>

#include "numfmt.h"

gboolean numfmt_utf8(void)
{
    return g_get_charset(NULL);
}

const char *numfmt_pm(numfmt_target t)
{
    return t == NUMFMT_HTML || numfmt_utf8() ? "\u00b1" : "+/-";
}

/* "1234567.5" -> "1,234,567.5" */
static char *group_thousands(const char *plain)
{
    GString *s = g_string_new(NULL);
    const char *p = plain;

    if (*p == '-')
        g_string_append_c(s, *p++);
    size_t int_len = strspn(p, "0123456789");
    for (size_t i = 0; i < int_len; i++) {
        if (i > 0 && (int_len - i) % 3 == 0)
            g_string_append_c(s, ',');
        g_string_append_c(s, p[i]);
    }
    g_string_append(s, p + int_len);
    return g_string_free(s, FALSE);
}

char *numfmt_number(double v, guint sig, gboolean group)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE + 320];
    char fmt[16];

    if (isnan(v))
        return g_strdup("-");
    if (isinf(v))
        return g_strdup(v > 0 ? "inf" : "-inf");
    sig = CLAMP(sig, 1u, 17u);
    int decimals = 0;
    if (v != 0) {
        int e = (int)floor(log10(fabs(v)));
        double scale = pow(10, e - (int)sig + 1);
        double r = round(v / scale) * scale;
        /* rounding can carry into the next decade: 9999.6 -> 10000 */
        if (r != 0)
            e = (int)floor(log10(fabs(r)) + 1e-12);
        decimals = MAX(0, (int)sig - 1 - e);
        if (decimals == 0)
            v = r; /* digits beyond sig in the integer part become zeros */
    }
    g_snprintf(fmt, sizeof(fmt), "%%.%df", MIN(decimals, 20));
    g_ascii_formatd(buf, sizeof(buf), fmt, v);
    if (!strcmp(buf, "-0") || (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1)))
        memmove(buf, buf + 1, strlen(buf)); /* no "-0" */
    return group ? group_thousands(buf) : g_strdup(buf);
}

char *numfmt_count(guint64 v)
{
    char buf[32];
    g_snprintf(buf, sizeof(buf), "%" G_GUINT64_FORMAT, v);
    return group_thousands(buf);
}

char *numfmt_figure(double mean, double stddev, guint n, double cov_pct, gboolean bimodal,
                    numfmt_target t)
{
    if (n == 0 || isnan(mean))
        return g_strdup("-");
    g_autofree char *m = numfmt_number(mean, NUMFMT_SIG, TRUE);
    GString *s = g_string_new(m);
    if (n > 1 && isfinite(stddev)) {
        g_autofree char *sd = numfmt_number(stddev, NUMFMT_SPREAD_SIG, TRUE);
        g_string_append_printf(s, " %s %s", numfmt_pm(t), sd);
    }
    g_string_append_printf(s, " (%u)", n);
    if (n > 1 && isfinite(cov_pct)) {
        g_autofree char *cv = numfmt_number(cov_pct, 2, FALSE);
        g_string_append_printf(s, " cv %s%%", cv);
    }
    if (bimodal)
        g_string_append(s, " !2");
    return g_string_free(s, FALSE);
}

char *numfmt_delta_pct(double pct)
{
    if (isnan(pct))
        return g_strdup("-");
    if (isinf(pct))
        return g_strdup(pct > 0 ? "+inf%" : "-inf%");
    g_autofree char *n = numfmt_number(fabs(pct), 3, TRUE);
    return g_strdup_printf("%s%s%%", pct < 0 && strcmp(n, "0") ? "-" : "+", n);
}

char *numfmt_raw(double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];

    if (!isfinite(v))
        return NULL;
    /* the shortest precision that reads back as the same double */
    for (int prec = 1; prec <= 17; prec++) {
        char fmt[8];
        g_snprintf(fmt, sizeof(fmt), "%%.%dg", prec);
        g_ascii_formatd(buf, sizeof(buf), fmt, v);
        if (g_ascii_strtod(buf, NULL) == v)
            break;
    }
    /* "1e+06" is valid JSON and CSV, but people read these files too */
    if (strchr(buf, 'e') && fabs(v) < 1e15 && fabs(v) >= 1)
        g_ascii_formatd(buf, sizeof(buf), "%.0f", v);
    return g_strdup(buf);
}

char *numfmt_for_locale(const char *utf8)
{
    static const struct {
        gunichar c;
        const char *ascii;
    } map[] = {
        {0x00b1, "+/-"}, {0x00b5, "u"}, {0x2192, "->"}, {0x2013, "-"},  {0x2014, "--"},
        {0x2026, "..."}, {0x00d7, "x"}, {0x2264, "<="}, {0x2265, ">="}, {0x201c, "\""},
        {0x201d, "\""},  {0x2018, "'"}, {0x2019, "'"},  {0x00a0, " "},  {0x202f, " "},
    };

    if (!utf8)
        return NULL;
    if (numfmt_utf8() || !g_utf8_validate(utf8, -1, NULL))
        return g_strdup(utf8);
    GString *s = g_string_sized_new(strlen(utf8));
    for (const char *p = utf8; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c < 0x80) {
            g_string_append_c(s, (char)c);
            continue;
        }
        const char *rep = "?";
        for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
            if (map[i].c == c)
                rep = map[i].ascii;
        g_string_append(s, rep);
    }
    return g_string_free(s, FALSE);
}
