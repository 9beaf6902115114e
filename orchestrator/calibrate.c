/* SPDX-License-Identifier: MIT */
/* The estimate's calibration from the store: earlier cells' wall time against the model. */
#include "vexp-config.h"

#include <math.h>
#include <string.h>

#include "calibrate.h"
#include "domains-host.h"
#include "store.h"

struct vexp_calib_set {
    GArray *samples;  /* vexp_calib_sample, labels owned by strings */
    GPtrArray *strings;
};

static double iso_diff_s(const char *from, const char *to)
{
    g_autoptr(GDateTime) a = from ? g_date_time_new_from_iso8601(from, NULL) : NULL;
    g_autoptr(GDateTime) b = to ? g_date_time_new_from_iso8601(to, NULL) : NULL;

    if (!a || !b)
        return NAN;
    return g_date_time_difference(b, a) / 1e6;
}

/* The accelerator every cell of m asks for, or NULL (auto, or mixed). */
static const char *matrix_accel(const vexp_matrix *m)
{
    const char *accel = NULL;

    for (guint i = 0; i < matrix_cell_count(m); i++) {
        const matrix_cell *cell = matrix_get_cell(m, i);
        if (cell->is_host)
            continue;
        if (!cell->accel || strcmp(cell->accel, "auto") == 0 ||
            (accel && strcmp(accel, cell->accel) != 0))
            return NULL;
        accel = cell->accel;
    }
    return accel;
}

/* One earlier run's complete first attempts as samples. */
static void add_run(vexp_calib_set *set, vexp_store *store, const store_run *run,
                    const char *accel)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    g_autofree char *name = g_strdup_printf("run #%" G_GINT64_FORMAT, run->id);
    g_autoptr(vexp_matrix) pm = NULL;
    g_autoptr(GPtrArray) cells = NULL;
    vexp_estimate pe;

    if (!store_run_matrix_text(store, run->id, &text, &error) || !text)
        return;
    pm = matrix_load_stored(text, strlen(text), name, domains_default_nic_models(), &error);
    if (!pm || !vexp_estimate_matrix(pm, NULL, &pe, &error))
        return;
    if (!store_cells_rows(store, run->id, &cells, &error))
        return;
    for (guint i = 0; i < cells->len; i++) {
        const store_cell_row *row = g_ptr_array_index(cells, i);
        const double wall = iso_diff_s(row->started_at, row->finished_at);
        const matrix_cell *cell;
        double model;
        char *label;

        if (g_strcmp0(row->status, "complete") != 0 || row->attempt != 1 || !(wall > 0) ||
            row->cell_index >= matrix_cell_count(pm))
            continue;
        cell = matrix_get_cell(pm, row->cell_index);
        if (accel && !cell->is_host && g_strcmp0(row->accel, accel) != 0)
            continue;
        model = cell->is_host ? pe.host_cell_wall_s[TRAFFIC_ESTIMATE_TYPICAL]
                              : pe.vm_cell_wall_s[TRAFFIC_ESTIMATE_TYPICAL];
        if (!(model > 0))
            continue;
        label = g_strdup(row->label);
        g_ptr_array_add(set->strings, label);
        g_array_append_val(set->samples, ((vexp_calib_sample){.label = label,
                                                              .is_host = cell->is_host,
                                                              .ratio = wall / model,
                                                              .run_id = run->id}));
    }
}

vexp_calib_set *vexp_calib_load(const char *store_path, const vexp_matrix *m, char **ret_note)
{
    vexp_calib_set *set = g_new0(vexp_calib_set, 1);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) runs = NULL;
    const char *host = g_get_host_name();
    const char *accel = matrix_accel(m);
    vexp_store *store = NULL;
    guint used = 0;

    set->samples = g_array_new(FALSE, FALSE, sizeof(vexp_calib_sample));
    set->strings = g_ptr_array_new_with_free_func(g_free);
    if (ret_note)
        *ret_note = NULL;
    if (!store_path || !g_file_test(store_path, G_FILE_TEST_EXISTS))
        return set;
    if (!(store = store_open_readonly(store_path, &error)) ||
        !store_run_list(store, &runs, &error)) {
        if (ret_note)
            *ret_note = g_strdup_printf("estimate not calibrated: %s", error->message);
        store_close(store);
        return set;
    }
    for (guint i = 0; i < runs->len && used < VEXP_CALIB_RUNS; i++) {
        const store_run *run = g_ptr_array_index(runs, i);

        if (g_strcmp0(run->host, host) != 0)
            continue;
        used++;
        add_run(set, store, run, accel);
    }
    store_close(store);
    return set;
}

vexp_calibration vexp_calib_get(const vexp_calib_set *set)
{
    return (vexp_calibration){.samples = set ? (const vexp_calib_sample *)set->samples->data : NULL,
                              .n = set ? set->samples->len : 0};
}

void vexp_calib_free(vexp_calib_set *set)
{
    if (!set)
        return;
    g_array_free(set->samples, TRUE);
    g_ptr_array_free(set->strings, TRUE);
    g_free(set);
}
