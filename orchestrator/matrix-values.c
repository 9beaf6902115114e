/* SPDX-License-Identifier: MIT */
/* matrix.conf scalar values: numbers, booleans, choices, names, CPU pins. */
#include "vexp-config.h"

#include <string.h>

#include "matrix-priv.h"

gboolean matrix_all_digits(const char *s)
{
    if (!*s)
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_isdigit(*s))
            return FALSE;
    return TRUE;
}

gboolean matrix_parse_uint(vexp_matrix *m, const char *group, const char *key, const char *value,
                           guint line, guint64 min, guint64 max, guint *ret, GError **error)
{
    guint64 v = 0;

    if (!matrix_all_digits(value) || strlen(value) > 12) {
        if (matrix_all_digits(value))
            goto range;
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [%s] %s = '%s': not a whole number", m->path, line, group, key, value);
        return FALSE;
    }
    if (!g_ascii_string_to_unsigned(value, 10, 0, G_MAXUINT64, &v, NULL))
        goto range;
    if (v < min || v > max)
        goto range;
    *ret = (guint)v;
    return TRUE;
range:
    g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                "%s:%u: [%s] %s = '%s': out of range %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT,
                m->path, line, group, key, value, min, max);
    return FALSE;
}

/* A whole number's syntax only, for values whose range another module checks (the
 * engine's); one too large for a guint becomes G_MAXUINT, out of any such range. */
gboolean matrix_parse_whole(vexp_matrix *m, const char *group, const char *key, const char *value,
                            guint line, guint *ret, GError **error)
{
    if (!matrix_all_digits(value)) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [%s] %s = '%s': not a whole number", m->path, line, group, key, value);
        return FALSE;
    }
    if (strlen(value) > 10)
        *ret = G_MAXUINT;
    else
        *ret = (guint)MIN(g_ascii_strtoull(value, NULL, 10), (guint64)G_MAXUINT);
    return TRUE;
}

/* decimal only: digits, optionally '.' digits (no sign, exponent, inf, nan, hex) */
gboolean matrix_parse_double(vexp_matrix *m, const char *group, const char *key, const char *value,
                             guint line, double min, double max, double *ret, GError **error)
{
    const char *s = value;
    double v;

    while (g_ascii_isdigit(*s))
        s++;
    if (s == value || (*s == '.' && !g_ascii_isdigit(s[1]))) {
        s = NULL;
    } else if (*s == '.') {
        s++;
        while (g_ascii_isdigit(*s))
            s++;
    }
    if (!s || *s || strlen(value) > 32) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [%s] %s = '%s': not a number", m->path, line, group, key, value);
        return FALSE;
    }
    v = g_ascii_strtod(value, NULL);
    if (!(v >= min && v <= max)) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [%s] %s = '%s': out of range %g..%g", m->path, line, group, key, value,
                    min, max);
        return FALSE;
    }
    *ret = v;
    return TRUE;
}

gboolean matrix_parse_bool(vexp_matrix *m, const char *group, const char *key, const char *value,
                           guint line, gboolean *ret, GError **error)
{
    static const char *const yes[] = {"true", "yes", "on", "1", NULL};
    static const char *const no[] = {"false", "no", "off", "0", NULL};

    if (g_strv_contains(yes, value)) {
        *ret = TRUE;
        return TRUE;
    }
    if (g_strv_contains(no, value)) {
        *ret = FALSE;
        return TRUE;
    }
    g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                "%s:%u: [%s] %s = '%s': expected true or false", m->path, line, group, key, value);
    return FALSE;
}

gboolean matrix_parse_choice(vexp_matrix *m, const char *group, const char *key, const char *value,
                             guint line, const char *const *choices, GError **error)
{
    g_autofree char *list = NULL;

    if (g_strv_contains(choices, value))
        return TRUE;
    list = g_strjoinv(", ", (char **)choices);
    g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                "%s:%u: [%s] %s = '%s': expected one of %s", m->path, line, group, key, value,
                list);
    return FALSE;
}

/* [A-Za-z0-9._-]{1,MAX_NAME}: names that end up in domain names, paths and tables */
gboolean matrix_parse_name(vexp_matrix *m, const char *group, const char *key, const char *value,
                           guint line, GError **error)
{
    gsize len = strlen(value);

    for (const char *c = value; *c; c++) {
        if (!g_ascii_isalnum(*c) && *c != '.' && *c != '_' && *c != '-')
            len = 0;
    }
    if (len == 0 || len > MAX_NAME || value[0] == '-' || value[0] == '.') {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [%s] %s = '%s': expected 1 to %d letters, digits, '.', '_' or '-' "
                    "(not first)",
                    m->path, line, group, key, value, MAX_NAME);
        return FALSE;
    }
    return TRUE;
}

/* One cpuset entry "N" or "N-M" (N <= M <= MAX_CPU). */
static gboolean cpu_entry_ok(const char *e)
{
    g_auto(GStrv) ends = g_strsplit(e, "-", 3);
    guint64 lo, hi;

    if (g_strv_length(ends) > 2 || !matrix_all_digits(ends[0]) || strlen(ends[0]) > 5)
        return FALSE;
    lo = hi = g_ascii_strtoull(ends[0], NULL, 10);
    if (ends[1]) {
        if (!matrix_all_digits(ends[1]) || strlen(ends[1]) > 5)
            return FALSE;
        hi = g_ascii_strtoull(ends[1], NULL, 10);
    }
    return lo <= hi && hi <= MAX_CPU;
}

/* "none" or space-separated entries; *ret_entries NULL for none. */
gboolean matrix_parse_pin(vexp_matrix *m, const char *group, const char *key, const char *value,
                          guint line, char ***ret_entries, GError **error)
{
    g_auto(GStrv) words = NULL;
    g_autoptr(GPtrArray) entries = NULL;

    *ret_entries = NULL;
    if (!strcmp(value, "none"))
        return TRUE;
    words = g_strsplit_set(value, " \t", -1);
    entries = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; words[i]; i++) {
        /* repeated blanks leave empty words */
        if (words[i][0] == '\0')
            continue;
        if (!cpu_entry_ok(words[i]) || entries->len >= 256) {
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                        "%s:%u: [%s] %s = '%s': bad host CPU '%s' (expected 'none' or host CPUs "
                        "N or N-M up to %d, separated by spaces, at most 256)",
                        m->path, line, group, key, value, words[i], MAX_CPU);
            return FALSE;
        }
        g_ptr_array_add(entries, g_strdup(words[i]));
    }
    if (entries->len == 0) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [%s] %s = '%s': expected 'none' or host CPUs", m->path, line, group,
                    key, value);
        return FALSE;
    }
    g_ptr_array_add(entries, NULL);
    *ret_entries = (char **)g_ptr_array_free(g_steal_pointer(&entries), FALSE);
    return TRUE;
}
