/* SPDX-License-Identifier: MIT */
/* matrix.conf matrix_sections [experiment], [domain] and [matrix] (the axes). */
#include "vexp-config.h"

#include <string.h>

#include "matrix-priv.h"

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
    const char *k = matrix_keys_domain[key];
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
        return matrix_parse_uint(m, group, k, value, line, 1, DOMAINS_VCPUS_MAX, &u, error);
    case D_VCPU_PIN:
    case D_EMULATOR_PIN:
        return matrix_parse_pin(m, group, k, value, line, &pins, error);
    case D_MEMORY_MIB:
        return matrix_parse_uint(m, group, k, value, line, 16, DOMAINS_MEMORY_MIB_MAX, &u, error);
    case D_ACCEL:
        return matrix_parse_choice(m, group, k, value, line, matrix_known_accels, error);
    case D_MACHINE:
        return matrix_parse_name(m, group, k, value, line, error);
    case D_VHOST:
        return matrix_parse_choice(m, group, k, value, line, domains_vhost_values, error);
    case D_QUEUES: /* written: 1..; 0 is the spec's "the template's" */
        return matrix_parse_uint(m, group, k, value, line, 1, DOMAINS_QUEUES_MAX, &u, error);
    }
    g_assert_not_reached();
}

/* ---- matrix_sections ---- */

gboolean matrix_load_experiment(vexp_matrix *m, GError **error)
{
    static const char g[] = "experiment";
    g_autofree char *v = NULL;
    guint line;

    if (!matrix_get_value(m, g, "name", &v, &line, error))
        return FALSE;
    if (v) {
        if (!matrix_parse_name(m, g, "name", v, line, error))
            return FALSE;
        m->exp.name = matrix_keep_str(m, v);
    } else {
        g_autofree char *base = g_path_get_basename(m->path);
        char *dot = strrchr(base, '.');

        if (dot && dot != base)
            *dot = '\0';
        /* the file name may hold anything: matrix_keep only name characters */
        g_strcanon(base, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", '_');
        if (strlen(base) > MAX_NAME)
            base[MAX_NAME] = '\0';
        m->exp.name = matrix_keep_str(m, base);
    }
    g_clear_pointer(&v, g_free);

    if (!matrix_get_value(m, g, "description", &v, &line, error))
        return FALSE;
    if (v && strlen(v) > 1024) {
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: [experiment] description is %zu bytes long, more than 1024", m->path,
                    line, strlen(v));
        return FALSE;
    }
    g_clear_pointer(&v, g_free);

    if (!matrix_get_value(m, g, "uri", &v, &line, error))
        return FALSE;
    if (v) {
        g_auto(GStrv) uris = matrix_split_list(m, g, "uri", v, line, "list", error);

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
            matrix_keep(m, uris[i]);
        /* the strings are kept one by one, the array itself too */
        m->exp.uris = matrix_keep(m, g_steal_pointer(&uris));
        m->exp.uri = m->exp.uris[0];
    } else {
        static const char *const embed[] = {"qemu:///embed", NULL};

        m->exp.uri = embed[0];
        m->exp.uris = embed;
        m->exp.n_uris = 1;
    }
    g_clear_pointer(&v, g_free);

    if (!matrix_get_value(m, g, "parallel_trials", &v, &line, error))
        return FALSE;
    if (v && !matrix_parse_bool(m, g, "parallel_trials", v, line, &m->exp.parallel_trials, error))
        return FALSE;
    g_clear_pointer(&v, g_free);

    if (!matrix_get_value(m, g, "accel", &v, &line, error))
        return FALSE;
    if (v) {
        if (!matrix_parse_choice(m, g, "accel", v, line, matrix_known_accels, error))
            return FALSE;
        m->domain[D_ACCEL] = matrix_keep_str(m, v);
        m->domain_line[D_ACCEL] = line;
    }
    g_clear_pointer(&v, g_free);

    if (!matrix_get_value(m, g, "store", &v, &line, error))
        return FALSE;
    if (v) {
        if (!*v || strlen(v) > 4096) {
            g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                        "%s:%u: [experiment] store = '%s': expected a file name", m->path, line, v);
            return FALSE;
        }
        m->exp.store = matrix_keep_str(m, v);
    }
    g_clear_pointer(&v, g_free);

    m->exp.repetitions = 3;
    if (!matrix_get_value(m, g, "repetitions", &v, &line, error))
        return FALSE;
    /* its range is the engine's: checked with [traffic] */
    if (v && !matrix_parse_whole(m, g, "repetitions", v, line, &m->exp.repetitions, error))
        return FALSE;
    return TRUE;
}

gboolean matrix_load_domain(vexp_matrix *m, GError **error)
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

        if (!matrix_get_value(m, g, matrix_keys_domain[k], &v, &line, error))
            return FALSE;
        if (!v)
            continue;
        if (!check_domain_value(m, k, g, v, line, error))
            return FALSE;
        m->domain[k] = matrix_keep_str(m, v);
        m->domain_line[k] = line;
    }
    return TRUE;
}

gboolean matrix_load_axes(vexp_matrix *m, GError **error)
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
        while (strcmp(matrix_keys_domain[a->key], key))
            a->key++;
        if (!matrix_get_value(m, g, key, &v, &line, error))
            return FALSE;
        a->line = line;
        a->values = matrix_split_list(m, g, key, v, line, "axis", error);
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
