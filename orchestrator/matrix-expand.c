/* SPDX-License-Identifier: MIT */
/* matrix.conf expansion: the cartesian product of the axes into cells. */
#include "vexp-config.h"

#include <string.h>

#include "matrix-priv.h"

static gboolean resolve_template(vexp_matrix *m, const char *group, const char *value, guint line,
                                 char **ret_path, GError **error)
{
    g_autofree char *cwd = g_get_current_dir();
    g_autofree char *in_base = NULL;

    if (m->files_unchecked) {
        *ret_path = g_strdup(value);
        return TRUE;
    }
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
            g_string_append_printf(s, "%s='%s'", matrix_keys_domain[a->key], v);
        else
            g_string_append_printf(s, "%s=%s", matrix_keys_domain[a->key], v);
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

    return matrix_keep_str(m, joined);
}

/* The domain spec's NIC rules (domains/spec.h), named by the cell's key and line. */
static gboolean check_nic(vexp_matrix *m, const matrix_cell *p, GError **error)
{
    g_autoptr(GError) local = NULL;

    switch (domains_spec_check_nic(p->nic, p->vhost, p->queues, p->accel, &local)) {
    case DOMAINS_SPEC_OK:
        return TRUE;
    case DOMAINS_SPEC_VHOST_ACCEL:
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID,
                    "%s:%u: vhost = on needs accel = kvm (or auto on a host with KVM), cell "
                    "'%s' has accel = %s",
                    m->path, value_line(m, D_VHOST), p->label, p->accel);
        return FALSE;
    case DOMAINS_SPEC_QUEUES:
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID, "%s:%u: cell '%s': %s", m->path,
                    value_line(m, D_QUEUES), p->label, local->message);
        return FALSE;
    default:
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID, "%s:%u: cell '%s': %s", m->path,
                    value_line(m, D_VHOST), p->label, local->message);
        return FALSE;
    }
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
    p->label = p->is_host ? "nic=host" : matrix_keep(m, label_of(m, values));
    /* syntax was checked while loading: these parses cannot fail */
    p->vcpus = (guint)g_ascii_strtoull(values[D_VCPUS], NULL, 10);
    p->memory_mib = (guint)g_ascii_strtoull(values[D_MEMORY_MIB], NULL, 10);
    p->vcpu_pin = values[D_VCPU_PIN];
    p->emulator_pin = values[D_EMULATOR_PIN];
    p->accel = values[D_ACCEL];
    p->machine = values[D_MACHINE];
    p->vhost = values[D_VHOST];
    p->queues = values[D_QUEUES] ? (guint)g_ascii_strtoull(values[D_QUEUES], NULL, 10) : 0;
    if (!check_nic(m, p, error))
        return FALSE;
    if (!matrix_parse_pin(m, "domain", "vcpu_pin", p->vcpu_pin, 0, &vpins, error) ||
        !matrix_parse_pin(m, "domain", "emulator_pin", p->emulator_pin, 0, &epins, error))
        return FALSE;
    if (!p->is_host) {
        /* vcpus not written anywhere: one vCPU per pinned host CPU */
        if (vpins && !m->domain_line[D_VCPUS] && !axis_of(m, D_VCPUS)) {
            p->vcpus = g_strv_length(vpins);
            c->values[D_VCPUS] = matrix_keep(m, g_strdup_printf("%u", p->vcpus));
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
            matrix_keep(m, path);
            g_hash_table_insert(templates, (gpointer)values[D_TEMPLATE], path);
            p->template_path = path;
        }
        if (vpins) {
            for (guint i = 0; vpins[i]; i++)
                matrix_keep(m, vpins[i]);
            p->vcpu_pin_cpusets = matrix_keep(m, g_memdup2(vpins, sizeof(char *) * (p->vcpus + 1)));
            g_free(g_steal_pointer(&vpins));
        }
        if (epins)
            p->emulator_cpuset = cpuset_of(m, epins);
    }
    g_ptr_array_add(m->cells, g_steal_pointer(&c));
    return TRUE;
}

gboolean matrix_expand(vexp_matrix *m, GError **error)
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
                        a->line, MATRIX_MAX_CELLS, matrix_keys_domain[a->key]);
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
        if (!domains_spec_nic_has_virtio_options(values[D_NIC])) {
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
