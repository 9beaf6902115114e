/* SPDX-License-Identifier: MIT */
/* matrix.conf syntax: the line index, raw values, lists, unknown keys. */
#include "vexp-config.h"

#include <string.h>

#include "matrix-priv.h"

/* ---- the line index and syntax (GKeyFile reports no lines) ---- */

static gboolean is_key_char(char c)
{
    return g_ascii_islower(c) || g_ascii_isdigit(c) || c == '_';
}

/* Mirrors GKeyFile's line grammar so that GKeyFile never fails after it:
 * comment / blank, [group], key = value. */
gboolean matrix_index_lines(vexp_matrix *m, GError **error)
{
    const char *p = m->text, *end = m->text + m->len;
    g_autofree char *group = NULL;
    guint lineno = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', end - p);
        const char *eol = nl ? nl : end;
        g_autofree char *line = NULL;
        char *s;

        lineno++;
        if (memchr(p, '\0', eol - p)) {
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID, "%s:%u: NUL byte in the line",
                        m->path, lineno);
            return FALSE;
        }
        if (!g_utf8_validate(p, eol - p, NULL)) {
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID, "%s:%u: invalid UTF-8", m->path,
                        lineno);
            return FALSE;
        }
        line = g_strndup(p, eol - p);
        p = nl ? nl + 1 : end;
        s = g_strstrip(line);
        if (*s == '\0' || *s == '#')
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            g_autofree char *k = NULL;
            guint first;

            if (!close || close[1] != '\0' || close == s + 1) {
                g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                            "%s:%u: malformed section header '%s'", m->path, lineno, s);
                return FALSE;
            }
            *close = '\0';
            if (!g_strv_contains(matrix_sections, s + 1)) {
                g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                            "%s:%u: unknown section '[%s]' (known: [experiment], [domain], "
                            "[matrix], [traffic], [network])",
                            m->path, lineno, s + 1);
                return FALSE;
            }
            k = matrix_line_key(s + 1, NULL);
            first = GPOINTER_TO_UINT(g_hash_table_lookup(m->lines, k));
            if (first) {
                g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                            "%s:%u: duplicate section '[%s]' (first at line %u)", m->path, lineno,
                            s + 1, first);
                return FALSE;
            }
            g_hash_table_insert(m->lines, g_steal_pointer(&k), GUINT_TO_POINTER(lineno));
            g_free(group);
            group = g_strdup(s + 1);
            continue;
        }
        {
            char *eq = strchr(s, '=');
            const char *value;
            g_autofree char *k = NULL;
            guint first;

            if (!eq) {
                g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                            "%s:%u: expected 'key = value', a [section] or a # comment, got '%s'",
                            m->path, lineno, s);
                return FALSE;
            }
            *eq = '\0';
            value = g_strstrip(eq + 1);
            g_strstrip(s);
            if (!group) {
                g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                            "%s:%u: key '%s' (value '%s') before any [section]", m->path, lineno, s,
                            value);
                return FALSE;
            }
            for (const char *c = s; *c; c++) {
                if (!is_key_char(*c)) {
                    g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                                "%s:%u: invalid key '%s' in [%s] (value '%s')", m->path, lineno, s,
                                group, value);
                    return FALSE;
                }
            }
            if (*s == '\0') {
                g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                            "%s:%u: empty key in [%s] (value '%s')", m->path, lineno, group, value);
                return FALSE;
            }
            k = matrix_line_key(group, s);
            first = GPOINTER_TO_UINT(g_hash_table_lookup(m->lines, k));
            if (first) {
                if (!strcmp(group, "matrix"))
                    g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                                "%s:%u: duplicate axis '%s' = '%s' in [matrix] (first at line "
                                "%u)",
                                m->path, lineno, s, value, first);
                else
                    g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                                "%s:%u: duplicate key '%s' = '%s' in [%s] (first at line %u)",
                                m->path, lineno, s, value, group, first);
                return FALSE;
            }
            g_hash_table_insert(m->lines, g_steal_pointer(&k), GUINT_TO_POINTER(lineno));
        }
    }
    return TRUE;
}

/* ---- values ---- */

/* The value of [group] key, unescaped by GKeyFile and stripped; NULL when
 * absent.  *ret_line gets its line. */
gboolean matrix_get_value(vexp_matrix *m, const char *group, const char *key, char **ret_value,
                          guint *ret_line, GError **error)
{
    g_autoptr(GError) local = NULL;
    guint line = matrix_line_of(m, group, key);
    char *v;

    *ret_line = line;
    *ret_value = NULL;
    if (!line)
        return TRUE;
    {
        /* check escapes first: GLib 2.74 warns on some bad ones (an error set twice) */
        g_autofree char *raw = g_key_file_get_value(m->kf, group, key, NULL);

        for (const char *p = raw; p && *p; p++) {
            if (*p != '\\')
                continue;
            if (!p[1] || !strchr("sntr\\", p[1])) {
                g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                            "%s:%u: [%s] %s = '%s': invalid escape '\\%.1s' (known: \\s \\n "
                            "\\t \\r \\\\)",
                            m->path, line, group, key, raw, p + 1);
                return FALSE;
            }
            p++;
        }
    }
    v = g_key_file_get_string(m->kf, group, key, &local);
    /* GLib 2.74 returns a value *and* sets the error for a bad escape */
    if (!v || local) {
        g_free(v);
        g_autofree char *raw = g_key_file_get_value(m->kf, group, key, NULL);
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID, "%s:%u: [%s] %s = '%s': %s", m->path,
                    line, group, key, raw ? raw : "", local->message);
        return FALSE;
    }
    *ret_value = g_strstrip(v);
    return TRUE;
}

/* Splits a comma list; empty items and duplicates are errors.  At least one item. */
char **matrix_split_list(vexp_matrix *m, const char *group, const char *key, const char *value,
                         guint line, const char *what, GError **error)
{
    g_auto(GStrv) items = g_strsplit(value, ",", -1);
    guint n = g_strv_length(items);

    /* g_strsplit("") gives no items at all */
    if (n == 0 || (n == 1 && *g_strstrip(items[0]) == '\0')) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID, "%s:%u: empty %s '%s' in [%s]",
                    m->path, line, what, key, group);
        return NULL;
    }
    if (n > MATRIX_MAX_LIST) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [%s] %s has %u values, more than %d", m->path, line, group, key, n,
                    MATRIX_MAX_LIST);
        return NULL;
    }
    for (guint i = 0; i < n; i++) {
        g_strstrip(items[i]);
        if (items[i][0] == '\0') {
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                        "%s:%u: [%s] %s = '%s': empty value in the list", m->path, line, group, key,
                        value);
            return NULL;
        }
        for (guint j = 0; j < i; j++) {
            if (!strcmp(items[i], items[j])) {
                g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                            "%s:%u: [%s] %s = '%s': duplicate value '%s'", m->path, line, group,
                            key, value, items[i]);
                return NULL;
            }
        }
    }
    return g_steal_pointer(&items);
}

/* Unknown keys of a section: every key in the index under "group\x1f". */
gboolean matrix_check_keys(vexp_matrix *m, const char *group, const char *const *known,
                           GError **error)
{
    g_auto(GStrv) keys = g_key_file_get_keys(m->kf, group, NULL, NULL);

    for (guint i = 0; keys && keys[i]; i++) {
        if (!g_strv_contains(known, keys[i])) {
            g_autofree char *list = g_strjoinv(", ", (char **)known);
            g_autofree char *raw = g_key_file_get_value(m->kf, group, keys[i], NULL);
            guint line = matrix_line_of(m, group, keys[i]);

            if (!strcmp(group, "matrix"))
                g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                            "%s:%u: unknown axis '%s' = '%s' in [matrix] (axes are [domain] "
                            "keys: %s)",
                            m->path, line, keys[i], raw ? raw : "", list);
            else
                g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                            "%s:%u: unknown key '%s' = '%s' in [%s] (known: %s)", m->path, line,
                            keys[i], raw ? raw : "", group, list);
            return FALSE;
        }
    }
    return TRUE;
}
