/* SPDX-License-Identifier: MIT */
/* matrix.conf: a line-indexed GKeyFile, validated key by key, expanded into cells. */
#include "vexp-config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <glib/gstdio.h>

#include "matrix.h"

G_DEFINE_QUARK(vexp_matrix_error, matrix_error)

/* [domain] keys, also the possible [matrix] axes */
enum {
    D_TEMPLATE,
    D_NIC,
    D_VCPUS,
    D_VCPU_PIN,
    D_EMULATOR_PIN,
    D_MEMORY_MIB,
    D_ACCEL,
    D_MACHINE,
    D_VHOST,
    D_QUEUES,
    N_DOMAIN_KEYS
};
static const char *const domain_keys[] = {
    "template", "nic",     "vcpus", "vcpu_pin", "emulator_pin", "memory_mib",
    "accel",    "machine", "vhost", "queues",   NULL,
};

static const char *const experiment_keys[] = {
    "name", "description", "uri", "accel", "store", "repetitions", "parallel_trials", NULL,
};
static const char *const traffic_keys[] = {
    "tests",
    "frame_sizes",
    "directions",
    "trial_s",
    "line_rate_mbps",
    "resolution_pct",
    "loss_tolerance_pct",
    "probes",
    "latency_repetitions",
    "b2b_repetitions",
    "b2b_trial_s",
    "wait_s",
    "reflect",
    "repetitions",
    "rate_mbps",
    NULL,
};
static const char *const network_keys[] = {
    "mode",          "bridge", "tester", "tester_address", "guest_address", "tester_identity",
    "tester_host_key", "isolated_ports", NULL,
};

static const char *const sections[] = {"experiment", "domain",  "matrix",
                                       "traffic",    "network", NULL};

static const char *const known_tests[] = {"throughput", "latency", "loss", "b2b",
                                          "rtt",        "fixed",   NULL};
static const char *const known_directions[] = {"in", "out", "both", NULL};
static const char *const known_accels[] = {"auto", "kvm", "tcg", NULL};
static const char *const known_vhost[] = {"on", "off", NULL};

static const guint default_frame_sizes[] = {64, 128, 256, 512, 1024, 1280, 1518};

#define MAX_CPU 4095
#define MAX_NAME 64

typedef struct cell_priv {
    matrix_cell pub;
    const char *values[N_DOMAIN_KEYS]; /* raw resolved values, owned by the matrix */
} cell_priv;

typedef struct axis {
    guint key;
    guint line;
    char **values; /* NULL-terminated */
    guint n;
} axis;

struct vexp_matrix {
    char *path;
    char *text;
    gsize len;
    char *hash;
    char *base_dir;
    GKeyFile *kf;
    GHashTable *lines; /* "group\x1fkey" (or "group\x1f" for the header) -> line */
    GPtrArray *owned;  /* everything the public structs point to */
    const char *const *valid_nics;
    matrix_experiment exp;
    matrix_traffic traffic;
    matrix_network net;
    const char *domain[N_DOMAIN_KEYS]; /* [domain] values or defaults */
    guint domain_line[N_DOMAIN_KEYS];  /* 0 = default */
    GPtrArray *axes;                   /* axis * */
    GPtrArray *cells;                  /* cell_priv * */
};

static gpointer keep(vexp_matrix *m, gpointer p)
{
    g_ptr_array_add(m->owned, p);
    return p;
}

static const char *keep_str(vexp_matrix *m, const char *s)
{
    return s ? keep(m, g_strdup(s)) : NULL;
}

static void axis_free(axis *a)
{
    g_strfreev(a->values);
    g_free(a);
}

void matrix_free(vexp_matrix *m)
{
    if (!m)
        return;
    g_free(m->path);
    g_free(m->text);
    g_free(m->hash);
    g_free(m->base_dir);
    if (m->kf)
        g_key_file_unref(m->kf);
    if (m->lines)
        g_hash_table_unref(m->lines);
    if (m->axes)
        g_ptr_array_unref(m->axes);
    if (m->cells)
        g_ptr_array_unref(m->cells);
    if (m->owned)
        g_ptr_array_unref(m->owned);
    g_free(m);
}

static char *line_key(const char *group, const char *key)
{
    return g_strconcat(group, "\x1f", key ? key : "", NULL);
}

guint matrix_line_of(const vexp_matrix *m, const char *group, const char *key)
{
    g_autofree char *k = line_key(group, key);

    return GPOINTER_TO_UINT(g_hash_table_lookup(m->lines, k));
}

/* ---- the line index and syntax (GKeyFile reports no lines) ---- */

static gboolean is_key_char(char c)
{
    return g_ascii_islower(c) || g_ascii_isdigit(c) || c == '_';
}

/* Mirrors GKeyFile's line grammar so that GKeyFile never fails after it:
 * comment / blank, [group], key = value. */
static gboolean index_lines(vexp_matrix *m, GError **error)
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
            if (!g_strv_contains(sections, s + 1)) {
                g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                            "%s:%u: unknown section '[%s]' (known: [experiment], [domain], "
                            "[matrix], [traffic], [network])",
                            m->path, lineno, s + 1);
                return FALSE;
            }
            k = line_key(s + 1, NULL);
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
            k = line_key(group, s);
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
static gboolean get_value(vexp_matrix *m, const char *group, const char *key, char **ret_value,
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
static char **split_list(vexp_matrix *m, const char *group, const char *key, const char *value,
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

static gboolean all_digits(const char *s)
{
    if (!*s)
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_isdigit(*s))
            return FALSE;
    return TRUE;
}

static gboolean parse_uint(vexp_matrix *m, const char *group, const char *key, const char *value,
                           guint line, guint64 min, guint64 max, guint *ret, GError **error)
{
    guint64 v = 0;

    if (!all_digits(value) || strlen(value) > 12) {
        if (all_digits(value))
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

/* decimal only: digits, optionally '.' digits (no sign, exponent, inf, nan, hex) */
static gboolean parse_double(vexp_matrix *m, const char *group, const char *key, const char *value,
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

static gboolean parse_bool(vexp_matrix *m, const char *group, const char *key, const char *value,
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

static gboolean parse_choice(vexp_matrix *m, const char *group, const char *key, const char *value,
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
static gboolean parse_name(vexp_matrix *m, const char *group, const char *key, const char *value,
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

    if (g_strv_length(ends) > 2 || !all_digits(ends[0]) || strlen(ends[0]) > 5)
        return FALSE;
    lo = hi = g_ascii_strtoull(ends[0], NULL, 10);
    if (ends[1]) {
        if (!all_digits(ends[1]) || strlen(ends[1]) > 5)
            return FALSE;
        hi = g_ascii_strtoull(ends[1], NULL, 10);
    }
    return lo <= hi && hi <= MAX_CPU;
}

/* "none" or space-separated entries; *ret_entries NULL for none. */
static gboolean parse_pin(vexp_matrix *m, const char *group, const char *key, const char *value,
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

static gboolean resolve_template(vexp_matrix *m, const char *group, const char *value, guint line,
                                 char **ret_path, GError **error)
{
    g_autofree char *cwd = g_get_current_dir();
    g_autofree char *in_base = NULL;

    if (g_path_is_absolute(value)) {
        in_base = g_strdup(value);
    } else {
        in_base = g_canonicalize_filename(value, m->base_dir);
        if (!g_file_test(in_base, G_FILE_TEST_IS_REGULAR)) {
            g_free(in_base);
            in_base = g_canonicalize_filename(value, cwd);
        }
    }
    if (!g_file_test(in_base, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [%s] template = '%s': no such file (looked relative to '%s', then "
                    "to '%s')",
                    m->path, line, group, value, m->base_dir, cwd);
        return FALSE;
    }
    *ret_path = g_canonicalize_filename(in_base, NULL);
    return TRUE;
}

static gboolean nic_known(vexp_matrix *m, const char *nic)
{
    if (!strcmp(nic, "host"))
        return TRUE;
    if (m->valid_nics)
        return g_strv_contains(m->valid_nics, nic);
    for (const char *c = nic; *c; c++)
        if (!g_ascii_islower(*c) && !g_ascii_isdigit(*c) && *c != '_' && *c != '-')
            return FALSE;
    return *nic && strlen(nic) <= MAX_NAME;
}

/* Syntax and range of one [domain] value (template existence checked per cell). */
static gboolean check_domain_value(vexp_matrix *m, guint key, const char *group, const char *value,
                                   guint line, GError **error)
{
    const char *k = domain_keys[key];
    g_auto(GStrv) pins = NULL;
    guint u;

    switch (key) {
    case D_TEMPLATE:
        if (!*value || strlen(value) > 4096) {
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                        "%s:%u: [%s] template = '%s': expected a file name", m->path, line, group,
                        value);
            return FALSE;
        }
        return TRUE;
    case D_NIC:
        if (!nic_known(m, value)) {
            g_autofree char *list =
                m->valid_nics ? g_strjoinv(", ", (char **)m->valid_nics) : g_strdup("[a-z0-9_-]");
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                        "%s:%u: [%s] nic = '%s': unknown NIC model (valid: %s, host)", m->path,
                        line, group, value, list);
            return FALSE;
        }
        return TRUE;
    case D_VCPUS:
        return parse_uint(m, group, k, value, line, 1, 256, &u, error);
    case D_VCPU_PIN:
    case D_EMULATOR_PIN:
        return parse_pin(m, group, k, value, line, &pins, error);
    case D_MEMORY_MIB:
        return parse_uint(m, group, k, value, line, 16, 1048576, &u, error);
    case D_ACCEL:
        return parse_choice(m, group, k, value, line, known_accels, error);
    case D_MACHINE:
        return parse_name(m, group, k, value, line, error);
    case D_VHOST:
        return parse_choice(m, group, k, value, line, known_vhost, error);
    case D_QUEUES:
        return parse_uint(m, group, k, value, line, 1, 256, &u, error);
    }
    g_assert_not_reached();
}

/* Unknown keys of a section: every key in the index under "group\x1f". */
static gboolean check_keys(vexp_matrix *m, const char *group, const char *const *known,
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

/* ---- sections ---- */

static gboolean load_experiment(vexp_matrix *m, GError **error)
{
    static const char g[] = "experiment";
    g_autofree char *v = NULL;
    guint line;

    if (!get_value(m, g, "name", &v, &line, error))
        return FALSE;
    if (v) {
        if (!parse_name(m, g, "name", v, line, error))
            return FALSE;
        m->exp.name = keep_str(m, v);
    } else {
        g_autofree char *base = g_path_get_basename(m->path);
        char *dot = strrchr(base, '.');

        if (dot && dot != base)
            *dot = '\0';
        /* the file name may hold anything: keep only name characters */
        g_strcanon(base, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", '_');
        if (strlen(base) > MAX_NAME)
            base[MAX_NAME] = '\0';
        m->exp.name = keep_str(m, base);
    }
    g_clear_pointer(&v, g_free);

    if (!get_value(m, g, "description", &v, &line, error))
        return FALSE;
    if (v && strlen(v) > 1024) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [experiment] description is %zu bytes long, more than 1024", m->path,
                    line, strlen(v));
        return FALSE;
    }
    g_clear_pointer(&v, g_free);

    if (!get_value(m, g, "uri", &v, &line, error))
        return FALSE;
    if (v) {
        g_auto(GStrv) uris = split_list(m, g, "uri", v, line, "list", error);

        if (!uris)
            return FALSE;
        for (guint i = 0; uris[i]; i++) {
            const char *u = uris[i];

            if (strlen(u) > 1024 || !strstr(u, ":") || strpbrk(u, " \t")) {
                g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                            "%s:%u: [experiment] uri = '%s': expected a libvirt URI such as "
                            "'qemu:///embed' or 'qemu+ssh://host/system'",
                            m->path, line, u);
                return FALSE;
            }
        }
        m->exp.n_uris = g_strv_length(uris);
        for (guint i = 0; uris[i]; i++)
            keep(m, uris[i]);
        /* the strings are kept one by one, the array itself too */
        m->exp.uris = keep(m, g_steal_pointer(&uris));
        m->exp.uri = m->exp.uris[0];
    } else {
        static const char *const embed[] = {"qemu:///embed", NULL};

        m->exp.uri = embed[0];
        m->exp.uris = embed;
        m->exp.n_uris = 1;
    }
    g_clear_pointer(&v, g_free);

    if (!get_value(m, g, "parallel_trials", &v, &line, error))
        return FALSE;
    if (v && !parse_bool(m, g, "parallel_trials", v, line, &m->exp.parallel_trials, error))
        return FALSE;
    g_clear_pointer(&v, g_free);

    if (!get_value(m, g, "accel", &v, &line, error))
        return FALSE;
    if (v) {
        if (!parse_choice(m, g, "accel", v, line, known_accels, error))
            return FALSE;
        m->domain[D_ACCEL] = keep_str(m, v);
        m->domain_line[D_ACCEL] = line;
    }
    g_clear_pointer(&v, g_free);

    if (!get_value(m, g, "store", &v, &line, error))
        return FALSE;
    if (v) {
        if (!*v || strlen(v) > 4096) {
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                        "%s:%u: [experiment] store = '%s': expected a file name", m->path, line, v);
            return FALSE;
        }
        m->exp.store = keep_str(m, v);
    }
    g_clear_pointer(&v, g_free);

    m->exp.repetitions = 3;
    if (!get_value(m, g, "repetitions", &v, &line, error))
        return FALSE;
    if (v && !parse_uint(m, g, "repetitions", v, line, 1, 1000, &m->exp.repetitions, error))
        return FALSE;
    return TRUE;
}

static gboolean load_domain(vexp_matrix *m, GError **error)
{
    static const char g[] = "domain";

    m->domain[D_NIC] = "virtio";
    m->domain[D_VCPUS] = "1";
    m->domain[D_VCPU_PIN] = "none";
    m->domain[D_EMULATOR_PIN] = "none";
    m->domain[D_MEMORY_MIB] = "256";
    if (!m->domain[D_ACCEL])
        m->domain[D_ACCEL] = "auto";
    for (guint k = 0; k < N_DOMAIN_KEYS; k++) {
        g_autofree char *v = NULL;
        guint line;

        if (!get_value(m, g, domain_keys[k], &v, &line, error))
            return FALSE;
        if (!v)
            continue;
        if (!check_domain_value(m, k, g, v, line, error))
            return FALSE;
        m->domain[k] = keep_str(m, v);
        m->domain_line[k] = line;
    }
    return TRUE;
}

static gboolean load_axes(vexp_matrix *m, GError **error)
{
    static const char g[] = "matrix";
    g_auto(GStrv) keys = g_key_file_get_keys(m->kf, g, NULL, NULL);
    g_autoptr(GArray) order = g_array_new(FALSE, FALSE, sizeof(guint));

    /* GKeyFile keeps file order; sort by line anyway, the index is the truth */
    for (guint i = 0; keys && keys[i]; i++) {
        guint line = matrix_line_of(m, g, keys[i]);
        guint pos = 0;

        while (pos < order->len) {
            const char *other = keys[g_array_index(order, guint, pos)];
            if (matrix_line_of(m, g, other) > line)
                break;
            pos++;
        }
        g_array_insert_val(order, pos, i);
    }
    for (guint o = 0; o < order->len; o++) {
        const char *key = keys[g_array_index(order, guint, o)];
        g_autofree char *v = NULL;
        g_autofree axis *a = g_new0(axis, 1);
        guint line;

        a->key = 0;
        while (strcmp(domain_keys[a->key], key))
            a->key++;
        if (!get_value(m, g, key, &v, &line, error))
            return FALSE;
        a->line = line;
        a->values = split_list(m, g, key, v, line, "axis", error);
        if (!a->values)
            return FALSE;
        a->n = g_strv_length(a->values);
        for (guint i = 0; i < a->n; i++) {
            if (!check_domain_value(m, a->key, g, a->values[i], line, error)) {
                g_strfreev(a->values);
                return FALSE;
            }
        }
        g_ptr_array_add(m->axes, g_steal_pointer(&a));
    }
    return TRUE;
}

static gboolean load_traffic(vexp_matrix *m, GError **error)
{
    static const char g[] = "traffic";
    matrix_traffic *t = &m->traffic;
    g_autofree char *v = NULL;
    guint line;
    struct {
        const char *key;
        double *dst, min, max, def;
    } doubles[] = {
        {"trial_s", &t->trial_s, 0.1, 3600, 60},
        {"line_rate_mbps", &t->line_rate_mbps, 1, 400000, 1000},
        {"resolution_pct", &t->resolution_pct, 0.01, 50, 0.5},
        {"loss_tolerance_pct", &t->loss_tolerance_pct, 0, 100, 0},
        {"b2b_trial_s", &t->b2b_trial_s, 2, 3600, 2},
        {"wait_s", &t->wait_s, 0, 600, 2},
        {"rate_mbps", &t->rate_mbps, 0.001, 400000, 0},
    };
    struct {
        const char *key;
        guint *dst, min, max, def;
    } uints[] = {
        {"probes", &t->probes, 1, 1000000, 100},
        {"latency_repetitions", &t->latency_repetitions, 1, 1000, 20},
        {"b2b_repetitions", &t->b2b_repetitions, 1, 1000, 50},
    };

    /* tests */
    if (!get_value(m, g, "tests", &v, &line, error))
        return FALSE;
    {
        g_auto(GStrv) items = v ? split_list(m, g, "tests", v, line, "list", error)
                                : g_strsplit("throughput,latency,loss,b2b", ",", -1);
        if (!items)
            return FALSE;
        for (guint i = 0; items[i]; i++)
            if (!parse_choice(m, g, "tests", items[i], line, known_tests, error))
                return FALSE;
        if (g_strv_contains((const char *const *)items, "latency") &&
            !g_strv_contains((const char *const *)items, "throughput")) {
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                        "%s:%u: [traffic] tests = '%s': 'latency' is measured at the throughput "
                        "rate, so it needs 'throughput' too",
                        m->path, line, v);
            return FALSE;
        }
        t->n_tests = g_strv_length(items);
        for (guint i = 0; items[i]; i++)
            keep(m, items[i]);
        t->tests = keep(m, g_memdup2(items, sizeof(char *) * (t->n_tests + 1)));
        g_free(g_steal_pointer(&items)); /* the strings are kept */
    }
    g_clear_pointer(&v, g_free);

    /* frame sizes */
    if (!get_value(m, g, "frame_sizes", &v, &line, error))
        return FALSE;
    if (v) {
        g_auto(GStrv) items = split_list(m, g, "frame_sizes", v, line, "list", error);
        guint *sizes;

        if (!items)
            return FALSE;
        t->n_frame_sizes = g_strv_length(items);
        sizes = keep(m, g_new0(guint, t->n_frame_sizes));
        for (guint i = 0; items[i]; i++) {
            if (!parse_uint(m, g, "frame_sizes", items[i], line, 64, 9018, &sizes[i], error))
                return FALSE;
            /* "64" and "064" are the same size */
            for (guint j = 0; j < i; j++) {
                if (sizes[j] == sizes[i]) {
                    g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                                "%s:%u: [traffic] frame_sizes = '%s': duplicate value '%s'",
                                m->path, line, v, items[i]);
                    return FALSE;
                }
            }
        }
        t->frame_sizes = sizes;
    } else {
        t->frame_sizes = default_frame_sizes;
        t->n_frame_sizes = G_N_ELEMENTS(default_frame_sizes);
    }
    g_clear_pointer(&v, g_free);

    /* directions */
    if (!get_value(m, g, "directions", &v, &line, error))
        return FALSE;
    {
        g_auto(GStrv) items =
            v ? split_list(m, g, "directions", v, line, "list", error) : g_strsplit("in", ",", -1);
        if (!items)
            return FALSE;
        for (guint i = 0; items[i]; i++)
            if (!parse_choice(m, g, "directions", items[i], line, known_directions, error))
                return FALSE;
        t->n_directions = g_strv_length(items);
        for (guint i = 0; items[i]; i++)
            keep(m, items[i]);
        t->directions = keep(m, g_memdup2(items, sizeof(char *) * (t->n_directions + 1)));
        g_free(g_steal_pointer(&items));
    }
    g_clear_pointer(&v, g_free);

    for (guint i = 0; i < G_N_ELEMENTS(doubles); i++) {
        *doubles[i].dst = doubles[i].def;
        if (!get_value(m, g, doubles[i].key, &v, &line, error))
            return FALSE;
        if (v && !parse_double(m, g, doubles[i].key, v, line, doubles[i].min, doubles[i].max,
                               doubles[i].dst, error))
            return FALSE;
        g_clear_pointer(&v, g_free);
    }
    for (guint i = 0; i < G_N_ELEMENTS(uints); i++) {
        *uints[i].dst = uints[i].def;
        if (!get_value(m, g, uints[i].key, &v, &line, error))
            return FALSE;
        if (v && !parse_uint(m, g, uints[i].key, v, line, uints[i].min, uints[i].max, uints[i].dst,
                             error))
            return FALSE;
        g_clear_pointer(&v, g_free);
    }

    {
        gboolean fixed = g_strv_contains(t->tests, "fixed");
        guint rate_line = matrix_line_of(m, g, "rate_mbps");

        if (fixed && t->rate_mbps == 0) {
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                        "%s:%u: [traffic] tests includes 'fixed': give its offered rate as "
                        "rate_mbps = M (L2 Mb/s)",
                        m->path, matrix_line_of(m, g, "tests"));
            return FALSE;
        }
        if (!fixed && rate_line) {
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                        "%s:%u: [traffic] rate_mbps is the offered rate of the 'fixed' test, "
                        "which tests does not include",
                        m->path, rate_line);
            return FALSE;
        }
    }

    if (!get_value(m, g, "reflect", &v, &line, error))
        return FALSE;
    if (v && !parse_bool(m, g, "reflect", v, line, &t->reflect, error))
        return FALSE;
    g_clear_pointer(&v, g_free);

    if (!get_value(m, g, "repetitions", &v, &line, error))
        return FALSE;
    if (v) {
        guint first = matrix_line_of(m, "experiment", "repetitions");

        if (first) {
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                        "%s:%u: [traffic] repetitions = '%s': already given in [experiment] at "
                        "line %u",
                        m->path, line, v, first);
            return FALSE;
        }
        if (!parse_uint(m, g, "repetitions", v, line, 1, 1000, &m->exp.repetitions, error))
            return FALSE;
    }
    return TRUE;
}

/* An IPv4 address, optionally with "/prefix" when ret_prefix is not NULL. */
static gboolean parse_ipv4(vexp_matrix *m, const char *key, const char *value, guint line,
                           guint *ret_prefix, GError **error)
{
    g_autofree char *addr = g_strdup(value);
    char *slash = strchr(addr, '/');
    struct in_addr in;
    guint prefix = 0;

    if (slash) {
        *slash = '\0';
        if (!ret_prefix || !all_digits(slash + 1) || strlen(slash + 1) > 2 ||
            (prefix = (guint)g_ascii_strtoull(slash + 1, NULL, 10)) < 8 || prefix > 30)
            goto bad;
    }
    if (inet_pton(AF_INET, addr, &in) != 1)
        goto bad;
    if (ret_prefix && slash)
        *ret_prefix = prefix;
    return TRUE;
bad:
    g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                "%s:%u: [network] %s = '%s': expected an IPv4 address%s", m->path, line, key,
                value, ret_prefix ? " with an optional /prefix (8..30), e.g. 198.18.0.10/15" : "");
    return FALSE;
}

/* "ssh://[user@]host[:port]" into the network's tester_* fields */
static gboolean parse_tester(vexp_matrix *m, const char *value, guint line, GError **error)
{
    const char *rest = value + strlen("ssh://");
    const char *at = strchr(rest, '@');
    g_autofree char *user = NULL, *hostport = NULL;
    char *colon;
    guint port = 22;

    if (!strcmp(value, "local")) {
        m->net.tester = "local";
        return TRUE;
    }
    if (!g_str_has_prefix(value, "ssh://"))
        goto bad;
    user = at ? g_strndup(rest, at - rest) : g_strdup("root");
    hostport = g_strdup(at ? at + 1 : rest);
    colon = strrchr(hostport, ':');
    if (colon) {
        *colon = '\0';
        if (!all_digits(colon + 1) || strlen(colon + 1) > 5 ||
            (port = (guint)g_ascii_strtoull(colon + 1, NULL, 10)) == 0 || port > 65535)
            goto bad;
    }
    if (!*user || !*hostport || strlen(hostport) > 253 || strchr(hostport, '/'))
        goto bad;
    for (const char *c = user; *c; c++)
        if (!g_ascii_isalnum(*c) && !strchr("._-", *c))
            goto bad;
    for (const char *c = hostport; *c; c++)
        if (!g_ascii_isalnum(*c) && !strchr(".-", *c))
            goto bad;
    m->net.tester = keep_str(m, value);
    m->net.tester_user = keep_str(m, user);
    m->net.tester_host = keep_str(m, hostport);
    m->net.tester_port = port;
    return TRUE;
bad:
    g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                "%s:%u: [network] tester = '%s': expected 'local' or 'ssh://[user@]host[:port]'",
                m->path, line, value);
    return FALSE;
}

/* a file named in [network]: absolute (relative to the matrix's directory), readable */
static gboolean network_file(vexp_matrix *m, const char *key, const char *value, guint line,
                             const char **ret_path, GError **error)
{
    g_autofree char *path = g_canonicalize_filename(value, m->base_dir);

    if (!*value || !g_file_test(path, G_FILE_TEST_IS_REGULAR) || access(path, R_OK) != 0) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [network] %s = '%s': no readable file '%s'", m->path, line, key,
                    value, path);
        return FALSE;
    }
    *ret_path = keep_str(m, path);
    return TRUE;
}

/* URIs of the embedded driver: the only ones whose domains live in vexp's own namespace */
static gboolean uri_is_embed(const char *uri)
{
    return g_str_has_prefix(uri, "qemu:///embed");
}

static gboolean check_ifname(vexp_matrix *m, const char *key, const char *name, guint line,
                             GError **error)
{
    gboolean ok = *name && strlen(name) <= 15;

    for (const char *c = name; *c; c++)
        if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_' && *c != '.')
            ok = FALSE;
    if (!ok)
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [network] %s = '%s': expected an interface name of 1 to 15 "
                    "letters, digits, '-', '_' or '.'",
                    m->path, line, key, name);
    return ok;
}

static gboolean load_network(vexp_matrix *m, GError **error)
{
    static const char g[] = "network";
    static const char *const modes[] = {"namespace", "bridge", NULL};
    static const char *const bridge_only[] = {"tester",          "tester_address",
                                              "guest_address",   "tester_identity",
                                              "tester_host_key", "isolated_ports",
                                              NULL};
    g_autofree char *mode = NULL;
    g_autofree char *bridge = NULL;
    guint mode_line, bridge_line;

    if (!get_value(m, g, "mode", &mode, &mode_line, error) ||
        !get_value(m, g, "bridge", &bridge, &bridge_line, error))
        return FALSE;
    if (mode && !parse_choice(m, g, "mode", mode, mode_line, modes, error))
        return FALSE;
    m->net.mode =
        mode && !strcmp(mode, "bridge") ? MATRIX_NETWORK_BRIDGE : MATRIX_NETWORK_NAMESPACE;
    m->net.tester = "local";
    m->net.tester_address = "198.18.0.1";
    m->net.guest_address = "198.18.0.10";
    m->net.prefix = 15;
    if (bridge) {
        if (!check_ifname(m, "bridge", bridge, bridge_line, error))
            return FALSE;
        if (m->net.mode != MATRIX_NETWORK_BRIDGE) {
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                        "%s:%u: [network] bridge = '%s' needs mode = bridge", m->path, bridge_line,
                        bridge);
            return FALSE;
        }
        m->net.bridge = keep_str(m, bridge);
    } else if (m->net.mode == MATRIX_NETWORK_BRIDGE) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [network] mode = '%s' needs a 'bridge = NAME'", m->path, mode_line,
                    mode);
        return FALSE;
    }

    if (m->net.mode == MATRIX_NETWORK_NAMESPACE) {
        /* vexp's own namespace holds its addresses and the taps of in-process domains */
        for (guint i = 0; bridge_only[i]; i++) {
            guint line = matrix_line_of(m, g, bridge_only[i]);
            if (line) {
                g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                            "%s:%u: [network] %s needs mode = bridge (in the default mode = "
                            "namespace vexp picks the addresses and runs the tester itself)",
                            m->path, line, bridge_only[i]);
                return FALSE;
            }
        }
        for (guint i = 0; i < m->exp.n_uris; i++) {
            if (!uri_is_embed(m->exp.uris[i])) {
                g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                            "%s:%u: [experiment] uri = '%s': a libvirtd or remote hypervisor "
                            "cannot reach the private network namespace vexp makes for a run; "
                            "set [network] mode = bridge with a bridge on that host (or use "
                            "qemu:///embed)",
                            m->path, matrix_line_of(m, "experiment", "uri"), m->exp.uris[i]);
                return FALSE;
            }
        }
        return TRUE;
    }

    /* mode = bridge */
    for (guint k = 0; bridge_only[k]; k++) {
        g_autofree char *v = NULL;
        guint line = 0;

        if (!get_value(m, g, bridge_only[k], &v, &line, error))
            return FALSE;
        if (!v)
            continue;
        if (!strcmp(bridge_only[k], "tester")) {
            if (!parse_tester(m, v, line, error))
                return FALSE;
        } else if (!strcmp(bridge_only[k], "tester_address")) {
            if (!parse_ipv4(m, "tester_address", v, line, NULL, error))
                return FALSE;
            m->net.tester_address = keep_str(m, v);
        } else if (!strcmp(bridge_only[k], "guest_address")) {
            char *slash;

            if (!parse_ipv4(m, "guest_address", v, line, &m->net.prefix, error))
                return FALSE;
            if ((slash = strchr(v, '/')))
                *slash = '\0';
            m->net.guest_address = keep_str(m, v);
        } else if (!strcmp(bridge_only[k], "isolated_ports")) {
            g_auto(GStrv) ports = split_list(m, g, "isolated_ports", v, line, "list", error);

            if (!ports)
                return FALSE;
            for (guint i = 0; ports[i]; i++)
                if (!check_ifname(m, "isolated_ports", ports[i], line, error))
                    return FALSE;
            for (guint i = 0; ports[i]; i++)
                keep(m, ports[i]);
            m->net.isolated_ports = (const char *const *)keep(m, g_steal_pointer(&ports));
        } else if (!strcmp(bridge_only[k], "tester_identity")) {
            if (!network_file(m, "tester_identity", v, line, &m->net.tester_identity, error))
                return FALSE;
        } else if (!network_file(m, "tester_host_key", v, line, &m->net.tester_host_key,
                                 error)) {
            return FALSE;
        }
    }
    if (!matrix_line_of(m, g, "tester_address")) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [network] mode = bridge needs 'tester_address = ADDR' (the "
                    "tester's IPv4 address on the bridge's network)",
                    m->path, mode_line);
        return FALSE;
    }
    if (!strcmp(m->net.tester, "local") &&
        (matrix_line_of(m, g, "tester_identity") || matrix_line_of(m, g, "tester_host_key"))) {
        guint line = matrix_line_of(m, g, "tester_identity");
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [network] tester_identity and tester_host_key need "
                    "tester = ssh://[user@]host",
                    m->path, line ? line : matrix_line_of(m, g, "tester_host_key"));
        return FALSE;
    }
    if (strcmp(m->net.tester, "local") != 0 && !m->net.tester_host_key) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [network] tester = '%s' needs 'tester_host_key = FILE' (its pinned "
                    "SSH host key: a known_hosts file or a .pub key)",
                    m->path, matrix_line_of(m, g, "tester"), m->net.tester);
        return FALSE;
    }
    return TRUE;
}

/* ---- expansion ---- */

static char *label_of(vexp_matrix *m, const char *const *values)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < m->axes->len; i++) {
        const axis *a = m->axes->pdata[i];
        const char *v = values[a->key];

        if (!v) /* not applicable to this cell (vhost, queues of a non-virtio NIC) */
            continue;
        if (s->len)
            g_string_append_c(s, ' ');
        if (strpbrk(v, " \t"))
            g_string_append_printf(s, "%s='%s'", domain_keys[a->key], v);
        else
            g_string_append_printf(s, "%s=%s", domain_keys[a->key], v);
    }
    if (!s->len)
        g_string_append_printf(s, "nic=%s", values[D_NIC]);
    return g_string_free(s, FALSE);
}

static const axis *axis_of(vexp_matrix *m, guint key)
{
    for (guint i = 0; i < m->axes->len; i++) {
        const axis *a = m->axes->pdata[i];
        if (a->key == key)
            return a;
    }
    return NULL;
}

/* the line a cell's value of key came from: its axis, else [domain], else the header */
static guint value_line(vexp_matrix *m, guint key)
{
    if (axis_of(m, key))
        return axis_of(m, key)->line;
    if (m->domain_line[key])
        return m->domain_line[key];
    if (matrix_line_of(m, "domain", NULL))
        return matrix_line_of(m, "domain", NULL);
    return 1;
}

static const char *cpuset_of(vexp_matrix *m, char **entries)
{
    g_autofree char *joined = g_strjoinv(",", entries);

    return keep_str(m, joined);
}

static gboolean make_cell(vexp_matrix *m, const char *const *values, GHashTable *templates,
                          GError **error)
{
    g_autofree cell_priv *c = g_new0(cell_priv, 1);
    matrix_cell *p = &c->pub;
    g_auto(GStrv) vpins = NULL;
    g_auto(GStrv) epins = NULL;

    memcpy(c->values, values, sizeof(c->values));
    p->index = m->cells->len;
    p->nic = values[D_NIC];
    p->is_host = !strcmp(p->nic, "host");
    p->label = p->is_host ? "nic=host" : keep(m, label_of(m, values));
    /* syntax was checked while loading: these parses cannot fail */
    p->vcpus = (guint)g_ascii_strtoull(values[D_VCPUS], NULL, 10);
    p->memory_mib = (guint)g_ascii_strtoull(values[D_MEMORY_MIB], NULL, 10);
    p->vcpu_pin = values[D_VCPU_PIN];
    p->emulator_pin = values[D_EMULATOR_PIN];
    p->accel = values[D_ACCEL];
    p->machine = values[D_MACHINE];
    p->vhost = values[D_VHOST];
    p->queues = values[D_QUEUES] ? (guint)g_ascii_strtoull(values[D_QUEUES], NULL, 10) : 0;
    if (p->vhost && !strcmp(p->vhost, "on") && !strcmp(p->accel, "tcg")) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: vhost = on needs accel = kvm (or auto on a host with KVM), cell "
                    "'%s' has accel = tcg",
                    m->path, value_line(m, D_VHOST), p->label);
        return FALSE;
    }
    if (!parse_pin(m, "domain", "vcpu_pin", p->vcpu_pin, 0, &vpins, error) ||
        !parse_pin(m, "domain", "emulator_pin", p->emulator_pin, 0, &epins, error))
        return FALSE;
    if (!p->is_host) {
        /* vcpus not written anywhere: one vCPU per pinned host CPU */
        if (vpins && !m->domain_line[D_VCPUS] && !axis_of(m, D_VCPUS)) {
            p->vcpus = g_strv_length(vpins);
            c->values[D_VCPUS] = keep(m, g_strdup_printf("%u", p->vcpus));
        }
        if (vpins && g_strv_length(vpins) != p->vcpus) {
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                        "%s:%u: vcpu_pin = '%s' names %u host CPUs for vcpus = %u in cell '%s' "
                        "(one per vCPU, or 'none')",
                        m->path, value_line(m, D_VCPU_PIN), p->vcpu_pin, g_strv_length(vpins),
                        p->vcpus, p->label);
            return FALSE;
        }
        if (!values[D_TEMPLATE]) {
            /* point at what asked for a domain: the [domain] section, else the nic */
            guint line = matrix_line_of(m, "domain", NULL);

            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                        "%s:%u: [domain] template = FILE is required for cell '%s' (nic = '%s')",
                        m->path, line ? line : value_line(m, D_NIC), p->label, p->nic);
            return FALSE;
        }
        p->template_path = g_hash_table_lookup(templates, values[D_TEMPLATE]);
        if (!p->template_path) {
            char *path = NULL;

            if (!resolve_template(m, axis_of(m, D_TEMPLATE) ? "matrix" : "domain",
                                  values[D_TEMPLATE], value_line(m, D_TEMPLATE), &path, error))
                return FALSE;
            keep(m, path);
            g_hash_table_insert(templates, (gpointer)values[D_TEMPLATE], path);
            p->template_path = path;
        }
        if (vpins) {
            for (guint i = 0; vpins[i]; i++)
                keep(m, vpins[i]);
            p->vcpu_pin_cpusets = keep(m, g_memdup2(vpins, sizeof(char *) * (p->vcpus + 1)));
            g_free(g_steal_pointer(&vpins));
        }
        if (epins)
            p->emulator_cpuset = cpuset_of(m, epins);
    }
    g_ptr_array_add(m->cells, g_steal_pointer(&c));
    return TRUE;
}

static gboolean expand(vexp_matrix *m, GError **error)
{
    g_autoptr(GHashTable) templates = g_hash_table_new(g_str_hash, g_str_equal);
    g_autofree guint *pos = NULL;
    const char *values[N_DOMAIN_KEYS];
    guint64 total = 1;
    gboolean have_host = FALSE;
    guint n_axes = m->axes->len;
    g_autoptr(GHashTable) labels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; i < n_axes; i++) {
        const axis *a = m->axes->pdata[i];

        total *= a->n;
        if (total > MATRIX_MAX_CELLS) {
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                        "%s:%u: [matrix] expands to more than %d cells (at axis '%s')", m->path,
                        a->line, MATRIX_MAX_CELLS, domain_keys[a->key]);
            return FALSE;
        }
    }
    pos = g_new0(guint, n_axes + 1);
    for (guint64 c = 0; c < total; c++) {
        memcpy(values, m->domain, sizeof(values));
        for (guint i = 0; i < n_axes; i++) {
            const axis *a = m->axes->pdata[i];
            values[a->key] = a->values[pos[i]];
        }
        if (strcmp(values[D_NIC], "virtio") != 0) {
            /* vhost-net and multiqueue are virtio's: not applicable to other NICs */
            values[D_VHOST] = NULL;
            values[D_QUEUES] = NULL;
        }
        if (!strcmp(values[D_NIC], "host")) {
            /* the bare reference has no domain: other axes do not apply */
            if (m->net.mode == MATRIX_NETWORK_BRIDGE) {
                g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                            "%s:%u: nic = host (the bare veth reference) needs [network] mode = "
                            "namespace; with mode = bridge measure the host from the tester "
                            "machine instead",
                            m->path, value_line(m, D_NIC));
                return FALSE;
            }
            if (!have_host) {
                memcpy(values, m->domain, sizeof(values));
                values[D_NIC] = "host";
                if (!make_cell(m, values, templates, error))
                    return FALSE;
                have_host = TRUE;
            }
        } else {
            g_autofree char *label = label_of(m, values);

            /* cells that differ only in axes that do not apply to them are one cell */
            if (!g_hash_table_contains(labels, label)) {
                if (!make_cell(m, values, templates, error))
                    return FALSE;
                g_hash_table_add(labels, g_steal_pointer(&label));
            }
        }
        /* odometer: the last axis varies fastest */
        for (guint i = n_axes; i-- > 0;) {
            const axis *a = m->axes->pdata[i];
            if (++pos[i] < a->n)
                break;
            pos[i] = 0;
        }
    }
    return TRUE;
}

vexp_matrix *matrix_load_data(const char *data, gsize len, const char *file_name,
                              const char *base_dir, const char *const *valid_nics, GError **error)
{
    g_autoptr(vexp_matrix) m = g_new0(vexp_matrix, 1);
    g_autoptr(GError) local = NULL;

    m->path = g_strdup(file_name);
    {
        /* g_canonicalize_filename() wants an absolute base */
        g_autofree char *cwd = g_get_current_dir();
        m->base_dir = g_canonicalize_filename(base_dir ? base_dir : ".", cwd);
    }
    m->valid_nics = valid_nics;
    m->lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    m->owned = g_ptr_array_new_with_free_func(g_free);
    m->axes = g_ptr_array_new_with_free_func((GDestroyNotify)axis_free);
    m->cells = g_ptr_array_new_with_free_func(g_free);
    if (len > MATRIX_MAX_FILE_BYTES) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:1: the matrix is %" G_GSIZE_FORMAT " bytes long, more than %d", m->path,
                    len, MATRIX_MAX_FILE_BYTES);
        return NULL;
    }
    m->text = g_strndup(data, len);
    m->len = len;
    m->hash = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, len);
    if (!index_lines(m, error))
        return NULL;
    m->kf = g_key_file_new();
    g_key_file_set_list_separator(m->kf, ',');
    if (!g_key_file_load_from_data(m->kf, m->text, m->len, G_KEY_FILE_NONE, &local)) {
        /* index_lines accepts a subset of GKeyFile's grammar; kept as a safety net */
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID, "%s:1: %s", m->path, local->message);
        return NULL;
    }
    if (!check_keys(m, "experiment", experiment_keys, error) ||
        !check_keys(m, "domain", domain_keys, error) ||
        !check_keys(m, "matrix", domain_keys, error) ||
        !check_keys(m, "traffic", traffic_keys, error) ||
        !check_keys(m, "network", network_keys, error))
        return NULL;
    if (!load_experiment(m, error) || !load_domain(m, error) || !load_axes(m, error) ||
        !load_traffic(m, error) || !load_network(m, error) || !expand(m, error))
        return NULL;
    return g_steal_pointer(&m);
}

vexp_matrix *matrix_load(const char *path, const char *const *valid_nics, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *data = NULL;
    g_autofree char *dir = NULL;
    GStatBuf st;
    gsize len;

    if (g_stat(path, &st) < 0) {
        int e = errno;
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID, "failed to read matrix '%s': %s",
                    path, g_strerror(e));
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > MATRIX_MAX_FILE_BYTES) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "failed to read matrix '%s': not a regular file of at most %d bytes", path,
                    MATRIX_MAX_FILE_BYTES);
        return NULL;
    }
    if (!g_file_get_contents(path, &data, &len, &local)) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID, "failed to read matrix '%s': %s",
                    path, local->message);
        return NULL;
    }
    dir = g_path_get_dirname(path);
    return matrix_load_data(data, len, path, dir, valid_nics, error);
}

const char *matrix_path(const vexp_matrix *m)
{
    return m->path;
}

const char *matrix_text(const vexp_matrix *m)
{
    return m->text;
}

const char *matrix_hash(const vexp_matrix *m)
{
    return m->hash;
}

const matrix_experiment *matrix_get_experiment(const vexp_matrix *m)
{
    return &m->exp;
}

const matrix_traffic *matrix_get_traffic(const vexp_matrix *m)
{
    return &m->traffic;
}

const matrix_network *matrix_get_network(const vexp_matrix *m)
{
    return &m->net;
}

guint matrix_cell_count(const vexp_matrix *m)
{
    return m->cells->len;
}

const matrix_cell *matrix_get_cell(const vexp_matrix *m, guint i)
{
    g_return_val_if_fail(i < m->cells->len, NULL);
    return &((const cell_priv *)m->cells->pdata[i])->pub;
}

const char *matrix_cell_value(const vexp_matrix *m, guint i, const char *key)
{
    const cell_priv *c;

    g_return_val_if_fail(i < m->cells->len, NULL);
    c = m->cells->pdata[i];
    for (guint k = 0; k < N_DOMAIN_KEYS; k++)
        if (!strcmp(domain_keys[k], key))
            return c->values[k];
    return NULL;
}

const char *const *matrix_domain_keys(void)
{
    return domain_keys;
}
