/* SPDX-License-Identifier: MIT */
/* matrix.conf: load a matrix (lexer, matrix_sections, expansion in matrix-*.c) and read it. */
#include "vexp-config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "matrix-priv.h"

G_DEFINE_QUARK(vexp_matrix_error, matrix_error)

gpointer matrix_keep(vexp_matrix *m, gpointer p)
{
    g_ptr_array_add(m->owned, p);
    return p;
}

const char *matrix_keep_str(vexp_matrix *m, const char *s)
{
    return s ? matrix_keep(m, g_strdup(s)) : NULL;
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

char *matrix_line_key(const char *group, const char *key)
{
    return g_strconcat(group, "\x1f", key ? key : "", NULL);
}

guint matrix_line_of(const vexp_matrix *m, const char *group, const char *key)
{
    g_autofree char *k = matrix_line_key(group, key);

    return GPOINTER_TO_UINT(g_hash_table_lookup(m->lines, k));
}

static vexp_matrix *load_data(const char *data, gsize len, const char *file_name,
                              const char *base_dir, const char *const *valid_nics,
                              gboolean files_unchecked, GError **error)
{
    g_autoptr(vexp_matrix) m = g_new0(vexp_matrix, 1);
    g_autoptr(GError) local = NULL;

    m->path = g_strdup(file_name);
    m->files_unchecked = files_unchecked;
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
    if (!matrix_index_lines(m, error))
        return NULL;
    m->kf = g_key_file_new();
    g_key_file_set_list_separator(m->kf, ',');
    if (!g_key_file_load_from_data(m->kf, m->text, m->len, G_KEY_FILE_NONE, &local)) {
        /* matrix_index_lines accepts a subset of GKeyFile's grammar; kept as a safety net */
        g_set_error(error, MATRIX_ERROR, MATRIX_ERROR_INVALID, "%s:1: %s", m->path, local->message);
        return NULL;
    }
    if (!matrix_check_keys(m, "experiment", matrix_keys_experiment, error) ||
        !matrix_check_keys(m, "domain", matrix_keys_domain, error) ||
        !matrix_check_keys(m, "matrix", matrix_keys_domain, error) ||
        !matrix_check_keys(m, "traffic", matrix_keys_traffic, error) ||
        !matrix_check_keys(m, "network", matrix_keys_network, error))
        return NULL;
    if (!matrix_load_experiment(m, error) || !matrix_load_domain(m, error) ||
        !matrix_load_axes(m, error) || !matrix_load_traffic(m, error) ||
        !matrix_load_network(m, error) || !matrix_expand(m, error) ||
        !matrix_check_guest_addresses(m, error))
        return NULL;
    return g_steal_pointer(&m);
}

vexp_matrix *matrix_load_data(const char *data, gsize len, const char *file_name,
                              const char *base_dir, const char *const *valid_nics, GError **error)
{
    return load_data(data, len, file_name, base_dir, valid_nics, FALSE, error);
}

vexp_matrix *matrix_load_stored(const char *data, gsize len, const char *file_name,
                                const char *const *valid_nics, GError **error)
{
    return load_data(data, len, file_name, NULL, valid_nics, TRUE, error);
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
        if (!strcmp(matrix_keys_domain[k], key))
            return c->values[k];
    return NULL;
}

const char *const *matrix_domain_keys(void)
{
    return matrix_keys_domain;
}
