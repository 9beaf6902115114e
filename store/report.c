/* SPDX-License-Identifier: MIT */
/* vexp report: chart data from the store, SVG charts, the HTML page, CSV/JSON export. */
#include "vexp-config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <libxml/HTMLtree.h>
#include <libxml/tree.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "store-priv.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)

#define SVG_NS "http://www.w3.org/2000/svg"

/* ---- axis scales ---------------------------------------------------- */

double report_nice_number(double x, gboolean round)
{
    if (!(x > 0) || !isfinite(x))
        return 1;
    double e = floor(log10(x));
    double f = x / pow(10, e); /* 1 <= f < 10 */
    double nf;

    if (round)
        nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    else
        nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nf * pow(10, e);
}

report_scale report_scale_nice(double lo, double hi, guint max_ticks, gboolean include_zero)
{
    report_scale s;

    if (max_ticks < 2)
        max_ticks = 2;
    if (!isfinite(lo) && !isfinite(hi))
        lo = 0, hi = 1;
    else if (!isfinite(lo))
        lo = hi;
    else if (!isfinite(hi))
        hi = lo;
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (include_zero) {
        lo = MIN(lo, 0);
        hi = MAX(hi, 0);
    }
    if (hi == lo) {
        if (lo == 0)
            hi = 1;
        else if (lo > 0)
            hi = lo * 2, lo = include_zero ? 0 : lo / 2;
        else
            lo = hi * 2, hi = include_zero ? 0 : hi / 2;
    }
    /* the largest nice step that still fits the range in max_ticks ticks */
    s.step = report_nice_number((hi - lo) / (max_ticks - 1), TRUE);
    for (;;) {
        /* the epsilon keeps 1 / 0.2 = 5.000000001 from adding a tick */
        s.min = floor(lo / s.step + 1e-9) * s.step;
        s.max = ceil(hi / s.step - 1e-9) * s.step;
        s.n_ticks = (guint)llround((s.max - s.min) / s.step) + 1;
        if (s.n_ticks <= max_ticks)
            break;
        s.step = report_nice_number(s.step * 1.01, FALSE);
    }
    if (s.min == 0)
        s.min = 0; /* no "-0" labels */
    return s;
}

char *report_tick_label(double v, double step)
{
    const char *suffix = "";
    double div = 1;
    char buf[G_ASCII_DTOSTR_BUF_SIZE];

    if (fabs(v) < step * 1e-9)
        return g_strdup("0");
    /* the suffix follows the step, so that one axis uses one unit */
    if (step >= 1e5)
        div = 1e6, suffix = "M";
    else if (step >= 1e3)
        div = 1e3, suffix = "k";
    double st = step / div;
    int decimals = st >= 1 ? 0 : (int)ceil(-log10(st) - 1e-9);
    if (decimals > 9)
        decimals = 9;
    g_autofree char *fmt = g_strdup_printf("%%.%df", decimals);
    g_ascii_formatd(buf, sizeof(buf), fmt, v / div);
    return g_strconcat(buf, suffix, NULL);
}

/* ---- theoretical maximum ------------------------------------------- */

double report_line_fps(double line_mbps, guint frame_size)
{
    if (!(line_mbps > 0) || frame_size == 0)
        return NAN;
    return line_mbps * 1e6 / ((frame_size + 20.0) * 8.0);
}

double report_line_mbps_l2(double line_mbps, guint frame_size)
{
    return report_line_fps(line_mbps, frame_size) * frame_size * 8.0 / 1e6;
}

double report_matrix_line_rate(const char *matrix_text)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *v = NULL;
    char *end = NULL;

    if (!matrix_text || !g_key_file_load_from_data(kf, matrix_text, -1, G_KEY_FILE_NONE, NULL))
        return NAN;
    if (!(v = g_key_file_get_value(kf, "traffic", "line_rate_mbps", NULL)))
        return 1000; /* the matrix default (orchestrator/matrix.c) */
    g_strstrip(v);
    errno = 0;
    double d = g_ascii_strtod(v, &end);
    if (errno || end == v || *end || !(d > 0 && d <= 400000))
        return NAN;
    return d;
}

/* ---- runs --------------------------------------------------------- */

void report_loss_trial_free(report_loss_trial *t)
{
    if (!t)
        return;
    g_free(t->direction);
    g_free(t);
}

report_run *report_run_new(void)
{
    report_run *r = g_new0(report_run, 1);

    r->line_rate_mbps = NAN;
    r->results = g_ptr_array_new_with_free_func((GDestroyNotify)store_result_row_free);
    r->cells = g_ptr_array_new_with_free_func((GDestroyNotify)store_cell_row_free);
    r->loss_trials = g_ptr_array_new_with_free_func((GDestroyNotify)report_loss_trial_free);
    r->vcpus = g_hash_table_new(g_direct_hash, g_direct_equal);
    return r;
}

void report_run_free(report_run *run)
{
    if (!run)
        return;
    store_run_free(run->run);
    g_free(run->matrix_text);
    g_clear_pointer(&run->results, g_ptr_array_unref);
    g_clear_pointer(&run->cells, g_ptr_array_unref);
    g_clear_pointer(&run->loss_trials, g_ptr_array_unref);
    g_clear_pointer(&run->vcpus, g_hash_table_unref);
    g_free(run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3, sqlite3_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

#define LATEST_ATTEMPT                                                                             \
    "ce.attempt = (SELECT max(x.attempt) FROM cell x "                                             \
    "WHERE x.run_id = ce.run_id AND x.cell_index = ce.cell_index)"

/* The trials and vCPU counts: store.h has no reader for them, so a second,
 * read-only connection asks (WAL lets it read while `vexp run` writes). */
static gboolean load_trials(const char *path, report_run *r, GError **error)
{
    g_autoptr(sqlite3) db = NULL;
    g_autoptr(sqlite3_stmt) st = NULL;
    int rc;

    if (!path || !strcmp(path, ":memory:") || !*path)
        return TRUE;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN, "cannot open store '%s' to read: %s",
                    path, db ? sqlite3_errmsg(db) : "out of memory");
        return FALSE;
    }
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_prepare_v2(
            db,
            "SELECT ce.cell_index, t.direction, t.frame_size, t.repetition, t.step,"
            " t.offered_fps, t.loss_pct FROM trial t JOIN cell ce ON ce.id = "
            "t.cell_id WHERE ce.run_id = ?1 AND t.test = 'loss' AND t.valid = 1"
            " AND t.offered_fps IS NOT NULL AND t.loss_pct IS NOT NULL AND " LATEST_ATTEMPT
            " ORDER BY ce.cell_index, t.direction, t.frame_size, t.repetition,"
            " t.step",
            -1, &st, NULL) != SQLITE_OK)
        goto sql_error;
    sqlite3_bind_int64(st, 1, r->run->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        report_loss_trial *t = g_new0(report_loss_trial, 1);
        t->cell_index = (guint)sqlite3_column_int64(st, 0);
        t->direction = g_strdup((const char *)sqlite3_column_text(st, 1));
        t->frame_size = (guint)sqlite3_column_int64(st, 2);
        t->repetition = (guint)sqlite3_column_int64(st, 3);
        t->step = (guint)sqlite3_column_int64(st, 4);
        t->offered_fps = sqlite3_column_double(st, 5);
        t->loss_pct = sqlite3_column_double(st, 6);
        g_ptr_array_add(r->loss_trials, t);
    }
    if (rc != SQLITE_DONE)
        goto sql_error;
    g_clear_pointer(&st, sqlite3_finalize);
    if (sqlite3_prepare_v2(
            db,
            "SELECT ce.cell_index, c.vcpus FROM cell ce JOIN config c ON c.id = "
            "ce.config_id WHERE ce.run_id = ?1 AND c.vcpus IS NOT NULL AND " LATEST_ATTEMPT,
            -1, &st, NULL) != SQLITE_OK)
        goto sql_error;
    sqlite3_bind_int64(st, 1, r->run->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        g_hash_table_insert(r->vcpus, GUINT_TO_POINTER((guint)sqlite3_column_int64(st, 0)),
                            GUINT_TO_POINTER((guint)sqlite3_column_int64(st, 1)));
    if (rc != SQLITE_DONE)
        goto sql_error;
    return TRUE;

sql_error:
    g_set_error(error, STORE_ERROR, STORE_ERROR_SQL,
                "reading the trials of run %" G_GINT64_FORMAT " from '%s': %s", r->run->id, path,
                sqlite3_errmsg(db));
    return FALSE;
}

gboolean report_run_load(vexp_store *store, gint64 run_id, report_run **ret_run, GError **error)
{
    g_autoptr(report_run) r = report_run_new();
    g_autoptr(GPtrArray) results = NULL;
    g_autoptr(GPtrArray) cells = NULL;

    if (!store_results_rows(store, run_id, &r->run, &results, error) ||
        !store_cells_rows(store, r->run->id, &cells, error) ||
        !store_run_matrix_text(store, r->run->id, &r->matrix_text, error))
        return FALSE;
    g_ptr_array_extend_and_steal(r->results, g_steal_pointer(&results));
    g_ptr_array_extend_and_steal(r->cells, g_steal_pointer(&cells));
    r->line_rate_mbps = report_matrix_line_rate(r->matrix_text);
    if (!load_trials(store_path(store), r, error))
        return FALSE;
    *ret_run = g_steal_pointer(&r);
    return TRUE;
}

/* ---- series naming and colours ------------------------------------ */

static const struct {
    const char *nic, *color;
} nic_colors[] = {
    /* Okabe-Ito: distinguishable with the common colour-vision deficiencies */
    {"host", "#000000"},    {"virtio", "#0072B2"},  {"e1000", "#D55E00"},
    {"rtl8139", "#009E73"}, {"vmxnet3", "#CC79A7"}, {"e1000e", "#E69F00"},
};
static const char *const spare_colors[] = {"#56B4E9", "#F0E442", "#882255", "#999933"};
#define THEORY_COLOR "#7f7f7f"

static const char *nic_color(const char *nic, guint position)
{
    for (guint i = 0; i < G_N_ELEMENTS(nic_colors); i++)
        if (!g_strcmp0(nic, nic_colors[i].nic))
            return nic_colors[i].color;
    return spare_colors[position % G_N_ELEMENTS(spare_colors)];
}

typedef struct series_key {
    guint cell_index;
    const char *nic;
    char *name; /* without the run suffix */
} series_key;

static void series_key_clear(series_key *k)
{
    g_free(k->name);
}

/* The cells of a run that become series, in cell order: from the cells list,
 * or from the result rows when the list is empty (hand-built runs). */
static GArray *run_series_keys(const report_run *r)
{
    GArray *keys = g_array_new(FALSE, TRUE, sizeof(series_key));
    g_array_set_clear_func(keys, (GDestroyNotify)series_key_clear);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_autoptr(GHashTable) nic_count = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < r->cells->len; i++) {
        const store_cell_row *c = g_ptr_array_index(r->cells, i);
        series_key k = {c->cell_index, c->nic, g_strdup(c->label)};
        if (!g_hash_table_add(seen, GUINT_TO_POINTER(c->cell_index + 1))) {
            g_free(k.name);
            continue;
        }
        g_array_append_val(keys, k);
    }
    for (guint i = 0; i < r->results->len; i++) {
        const store_result_row *row = g_ptr_array_index(r->results, i);
        series_key k = {row->cell_index, row->nic, g_strdup(row->label)};
        if (!g_hash_table_add(seen, GUINT_TO_POINTER(row->cell_index + 1))) {
            g_free(k.name);
            continue;
        }
        g_array_append_val(keys, k);
    }
    for (guint i = 0; i < keys->len; i++) {
        series_key *k = &g_array_index(keys, series_key, i);
        if (k->nic)
            g_hash_table_insert(
                nic_count, (gpointer)k->nic,
                GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(nic_count, k->nic)) + 1));
    }
    /* the NIC model names a series unless two cells share it */
    for (guint i = 0; i < keys->len; i++) {
        series_key *k = &g_array_index(keys, series_key, i);
        if (k->nic && GPOINTER_TO_UINT(g_hash_table_lookup(nic_count, k->nic)) == 1) {
            g_free(k->name);
            k->name = g_strdup(k->nic);
        } else if (!k->name) {
            k->name = g_strdup_printf("cell %u", k->cell_index);
        }
    }
    return keys;
}

static char *series_name(const char *base, const report_run *r, guint n_runs)
{
    if (n_runs < 2)
        return g_strdup(base);
    return g_strdup_printf("%s, run %" G_GINT64_FORMAT, base, r->run ? r->run->id : 0);
}

static report_series *series_new(char *name, const char *color, report_style style)
{
    report_series *s = g_new0(report_series, 1);
    s->name = name;
    s->color = color;
    s->style = style;
    s->points = g_array_new(FALSE, TRUE, sizeof(report_point));
    return s;
}

static void series_free(report_series *s)
{
    if (!s)
        return;
    g_free(s->name);
    g_array_unref(s->points);
    g_free(s);
}

static gboolean series_has_data(const report_series *s)
{
    for (guint i = 0; i < s->points->len; i++)
        if (isfinite(g_array_index(s->points, report_point, i).y))
            return TRUE;
    return FALSE;
}

static void panel_free(report_panel *p)
{
    if (!p)
        return;
    g_free(p->title);
    g_free(p->direction);
    g_ptr_array_unref(p->series);
    g_free(p);
}

static report_panel *panel_new(const char *direction)
{
    report_panel *p = g_new0(report_panel, 1);
    p->direction = g_strdup(direction);
    if (!strcmp(direction, "in"))
        p->title = g_strdup("DUT in (tester \u2192 guest)");
    else if (!strcmp(direction, "out"))
        p->title = g_strdup("DUT out (guest \u2192 tester)");
    else if (!strcmp(direction, "both"))
        p->title = g_strdup("both directions");
    else
        p->title = g_strdup(direction);
    p->series = g_ptr_array_new_with_free_func((GDestroyNotify)series_free);
    return p;
}

void report_chart_free(report_chart *chart)
{
    if (!chart)
        return;
    g_free(chart->id);
    g_free(chart->title);
    g_free(chart->subtitle);
    g_free(chart->x_label);
    g_free(chart->y_label);
    g_free(chart->note);
    g_clear_pointer(&chart->categories, g_ptr_array_unref);
    g_clear_pointer(&chart->panels, g_ptr_array_unref);
    g_free(chart);
}

static report_chart *chart_new(const char *id, const char *title, const char *x_label,
                               const char *y_label, report_run *const *runs, guint n_runs)
{
    report_chart *c = g_new0(report_chart, 1);
    c->id = g_strdup(id);
    c->title = g_strdup(title);
    c->x_label = g_strdup(x_label);
    c->y_label = g_strdup(y_label);
    c->categories = g_ptr_array_new_with_free_func(g_free);
    c->panels = g_ptr_array_new_with_free_func((GDestroyNotify)panel_free);
    for (guint i = 0; i < n_runs; i++)
        if (runs[i]->run && !g_strcmp0(runs[i]->run->accel, "tcg")) {
            c->subtitle = g_strdup("TCG: QEMU software emulation figures, not KVM");
            break;
        }
    return c;
}

guint report_chart_n_series(const report_chart *chart)
{
    guint n = 0;

    for (guint p = 0; p < chart->panels->len; p++) {
        const report_panel *panel = g_ptr_array_index(chart->panels, p);
        for (guint s = 0; s < panel->series->len; s++)
            if (((report_series *)g_ptr_array_index(panel->series, s))->style !=
                REPORT_STYLE_DASHED)
                n++;
    }
    return n;
}

/* frame sizes ordered numerically, directions in, out, both, then others */
static gint cmp_uint(gconstpointer a, gconstpointer b)
{
    guint x = *(const guint *)a, y = *(const guint *)b;
    return x < y ? -1 : x > y;
}

static int direction_rank(const char *d)
{
    return !strcmp(d, "in") ? 0 : !strcmp(d, "out") ? 1 : !strcmp(d, "both") ? 2 : 3;
}

static gint cmp_direction(gconstpointer a, gconstpointer b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    int d = direction_rank(x) - direction_rank(y);
    return d ? d : strcmp(x, y);
}

static char *row_key(guint cell, const char *test, const char *dir, guint frame, const char *metric)
{
    return g_strdup_printf("%u\t%s\t%s\t%u\t%s", cell, test, dir, frame, metric);
}

/* (cell, test, direction, frame, metric) -> row; rows are borrowed */
static GHashTable *index_rows(const report_run *r)
{
    GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; i < r->results->len; i++) {
        store_result_row *row = g_ptr_array_index(r->results, i);
        g_hash_table_insert(
            h, row_key(row->cell_index, row->test, row->direction, row->frame_size, row->metric),
            row);
    }
    return h;
}

/* ---- chart data: a metric against frame size ----------------------- */

report_chart *report_chart_metric(report_run *const *runs, guint n_runs,
                                  const report_chart_spec *spec)
{
    g_autoptr(GArray) frames = g_array_new(FALSE, FALSE, sizeof(guint));
    g_autoptr(GPtrArray) dirs = g_ptr_array_new();
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    double factor = spec->factor != 0 ? spec->factor : 1;
    double line = NAN;

    for (guint ri = 0; ri < n_runs; ri++) {
        const report_run *r = runs[ri];
        if (!isfinite(line))
            line = r->line_rate_mbps;
        for (guint i = 0; i < r->results->len; i++) {
            const store_result_row *row = g_ptr_array_index(r->results, i);
            if (strcmp(row->test, spec->test) || strcmp(row->metric, spec->metric))
                continue;
            g_autofree char *fk = g_strdup_printf("f%u", row->frame_size);
            g_autofree char *dk = g_strdup_printf("d%s", row->direction);
            if (g_hash_table_add(seen, g_steal_pointer(&fk)))
                g_array_append_val(frames, row->frame_size);
            if (g_hash_table_add(seen, g_steal_pointer(&dk)))
                g_ptr_array_add(dirs, row->direction);
        }
    }
    if (frames->len == 0)
        return NULL;
    g_array_sort(frames, cmp_uint);
    g_ptr_array_sort(dirs, cmp_direction);

    report_chart *c = chart_new(spec->id, spec->title, "frame size, bytes (L2, FCS included)",
                                spec->y_label, runs, n_runs);
    c->x_categories = TRUE;
    for (guint i = 0; i < frames->len; i++)
        g_ptr_array_add(c->categories, g_strdup_printf("%u", g_array_index(frames, guint, i)));
    if (spec->whisker)
        c->note = g_strdup("dot: p50, mean over the repetitions; whisker: up to p99");
    else
        c->note = g_strdup("error bars: 95 % confidence interval of the mean over the "
                           "repetitions (none where n = 1)");

    for (guint di = 0; di < dirs->len; di++) {
        const char *dir = g_ptr_array_index(dirs, di);
        report_panel *panel = panel_new(dir);
        g_ptr_array_add(c->panels, panel);
        if (!strcmp(spec->test, "rtt")) {
            /* rtt is stored as 'in' but the probes go to the DUT and back */
            g_free(panel->title);
            panel->title = g_strdup("tester \u2192 guest \u2192 tester, no load");
        }
        for (guint ri = 0; ri < n_runs; ri++) {
            const report_run *r = runs[ri];
            g_autoptr(GHashTable) idx = index_rows(r);
            g_autoptr(GArray) keys = run_series_keys(r);
            for (guint k = 0; k < keys->len; k++) {
                const series_key *sk = &g_array_index(keys, series_key, k);
                report_series *s =
                    series_new(series_name(sk->name, r, n_runs), nic_color(sk->nic, k),
                               ri == 0 ? REPORT_STYLE_SOLID : REPORT_STYLE_DOTTED);
                for (guint fi = 0; fi < frames->len; fi++) {
                    guint f = g_array_index(frames, guint, fi);
                    g_autofree char *key =
                        row_key(sk->cell_index, spec->test, dir, f, spec->metric);
                    const store_result_row *row = g_hash_table_lookup(idx, key);
                    report_point pt = {fi, NAN, NAN, NAN, 0};
                    if (row && isfinite(row->mean)) {
                        pt.y = row->mean * factor;
                        pt.n = row->n;
                        if (spec->whisker) {
                            g_autofree char *wk =
                                row_key(sk->cell_index, spec->test, dir, f, spec->whisker);
                            const store_result_row *w = g_hash_table_lookup(idx, wk);
                            if (w && isfinite(w->mean))
                                pt.lo = pt.y, pt.hi = w->mean * factor;
                        } else if (isfinite(row->ci95_low) && isfinite(row->ci95_high)) {
                            pt.lo = row->ci95_low * factor;
                            pt.hi = row->ci95_high * factor;
                        }
                    }
                    g_array_append_val(s->points, pt);
                }
                if (series_has_data(s))
                    g_ptr_array_add(panel->series, s);
                else
                    series_free(s);
            }
        }
        if (spec->theory != REPORT_THEORY_NONE && isfinite(line)) {
            g_autofree char *lr = report_tick_label(line, 1);
            report_series *s =
                series_new(g_strdup_printf("theoretical maximum, %s Mbit/s line", lr), THEORY_COLOR,
                           REPORT_STYLE_DASHED);
            for (guint fi = 0; fi < frames->len; fi++) {
                guint f = g_array_index(frames, guint, fi);
                report_point pt = {fi, NAN, NAN, NAN, 0};
                pt.y = (spec->theory == REPORT_THEORY_FPS ? report_line_fps(line, f)
                                                          : report_line_mbps_l2(line, f)) *
                       factor;
                g_array_append_val(s->points, pt);
            }
            g_ptr_array_add(panel->series, s);
        }
    }
    return c;
}

/* ---- chart data: loss curves --------------------------------------- */

typedef struct loss_acc {
    GArray *pct, *loss; /* double per repetition */
} loss_acc;

static void loss_acc_free(loss_acc *a)
{
    g_array_unref(a->pct);
    g_array_unref(a->loss);
    g_free(a);
}

report_chart *report_chart_loss_curve(report_run *const *runs, guint n_runs, guint frame_size)
{
    g_autoptr(GPtrArray) dirs = g_ptr_array_new();
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint ri = 0; ri < n_runs; ri++)
        for (guint i = 0; i < runs[ri]->loss_trials->len; i++) {
            const report_loss_trial *t = g_ptr_array_index(runs[ri]->loss_trials, i);
            if (t->frame_size == frame_size && g_hash_table_add(seen, t->direction))
                g_ptr_array_add(dirs, t->direction);
        }
    if (dirs->len == 0)
        return NULL;
    g_ptr_array_sort(dirs, cmp_direction);

    g_autofree char *id = g_strdup_printf("loss-curve-%u", frame_size);
    g_autofree char *title = g_strdup_printf("Frame loss rate, %u-byte frames", frame_size);
    report_chart *c =
        chart_new(id, title, "offered load, % of the maximum rate", "frames lost, %", runs, n_runs);
    c->x_categories = FALSE;
    c->x_min = 0;
    c->x_max = 100;
    c->note = g_strdup("mean over the repetitions with 95 % confidence interval; the curve "
                       "starts at the throughput search's maximum rate and goes down in steps "
                       "until two trials lose nothing");

    for (guint di = 0; di < dirs->len; di++) {
        const char *dir = g_ptr_array_index(dirs, di);
        report_panel *panel = panel_new(dir);
        g_ptr_array_add(c->panels, panel);
        for (guint ri = 0; ri < n_runs; ri++) {
            const report_run *r = runs[ri];
            g_autoptr(GArray) keys = run_series_keys(r);
            for (guint k = 0; k < keys->len; k++) {
                const series_key *sk = &g_array_index(keys, series_key, k);
                /* step -> values over the repetitions; x in % of the step-0 rate */
                g_autoptr(GPtrArray) steps =
                    g_ptr_array_new_with_free_func((GDestroyNotify)loss_acc_free);
                double first = NAN;
                guint rep = 0;
                for (guint i = 0; i < r->loss_trials->len; i++) {
                    const report_loss_trial *t = g_ptr_array_index(r->loss_trials, i);
                    if (t->cell_index != sk->cell_index || t->frame_size != frame_size ||
                        strcmp(t->direction, dir))
                        continue;
                    if (t->repetition != rep || t->step == 0) {
                        rep = t->repetition;
                        first = t->step == 0 ? t->offered_fps : NAN;
                    }
                    if (!(first > 0))
                        continue;
                    while (steps->len <= t->step) {
                        loss_acc *a = g_new0(loss_acc, 1);
                        a->pct = g_array_new(FALSE, FALSE, sizeof(double));
                        a->loss = g_array_new(FALSE, FALSE, sizeof(double));
                        g_ptr_array_add(steps, a);
                    }
                    loss_acc *a = g_ptr_array_index(steps, t->step);
                    double pct = t->offered_fps / first * 100.0;
                    g_array_append_val(a->pct, pct);
                    g_array_append_val(a->loss, t->loss_pct);
                }
                report_series *s =
                    series_new(series_name(sk->name, r, n_runs), nic_color(sk->nic, k),
                               ri == 0 ? REPORT_STYLE_SOLID : REPORT_STYLE_DOTTED);
                /* steps go down in load: append in reverse for x ascending */
                for (guint j = steps->len; j-- > 0;) {
                    loss_acc *a = g_ptr_array_index(steps, j);
                    if (a->pct->len == 0)
                        continue;
                    const double *l = (const double *)(void *)a->loss->data;
                    double sd = stats_stddev(l, a->loss->len);
                    double half = stats_ci95_half(sd, a->loss->len);
                    report_point pt;
                    pt.x = stats_mean((const double *)(void *)a->pct->data, a->pct->len);
                    pt.y = stats_mean(l, a->loss->len);
                    pt.lo = isfinite(half) ? pt.y - half : NAN;
                    pt.hi = isfinite(half) ? pt.y + half : NAN;
                    pt.n = a->loss->len;
                    if (pt.x > c->x_max)
                        c->x_max = pt.x;
                    g_array_append_val(s->points, pt);
                }
                if (series_has_data(s))
                    g_ptr_array_add(panel->series, s);
                else
                    series_free(s);
            }
        }
    }
    return c;
}

/* ---- the chart list ------------------------------------------------ */

static const report_chart_spec chart_specs[] = {
    {"throughput-mbps", "Throughput (RFC 2544), L2 bit rate", "throughput",
     STORE_METRIC_THROUGHPUT_MBPS_L2, NULL, "throughput, Mbit/s (L2, frame bytes)", 0,
     REPORT_THEORY_MBPS_L2},
    {"throughput-fps", "Throughput (RFC 2544), frame rate", "throughput",
     STORE_METRIC_THROUGHPUT_FPS, NULL, "throughput, frames/s", 0, REPORT_THEORY_FPS},
    {"cpu-guest", "Guest (DUT) CPU at the throughput rate", "throughput", STORE_METRIC_DUT_CPU_PCT,
     NULL, "guest CPU busy, % of all vCPUs", 0, REPORT_THEORY_NONE},
    {"cpu-qemu", "QEMU process CPU on the host at the throughput rate", "throughput",
     STORE_METRIC_HOST_CPU_PCT, NULL, "QEMU CPU, % of one host CPU", 0, REPORT_THEORY_NONE},
    {"loss-at-max", "Frame loss at 100 % of the maximum rate", "loss", STORE_METRIC_LOSS_PCT_AT_MAX,
     NULL, "frames lost, %", 0, REPORT_THEORY_NONE},
    {"latency", "Latency at the throughput rate (round trip)", "latency", STORE_METRIC_RTT_P50_US,
     STORE_METRIC_RTT_P99_US, "round-trip time, \u00b5s", 0, REPORT_THEORY_NONE},
    {"rtt-idle", "Idle round-trip time", "rtt", STORE_METRIC_RTT_P50_US, STORE_METRIC_RTT_P99_US,
     "round-trip time, \u00b5s", 0, REPORT_THEORY_NONE},
    {"b2b-frames", "Back-to-back: longest loss-free burst", "b2b", STORE_METRIC_B2B_FRAMES, NULL,
     "burst, frames", 0, REPORT_THEORY_NONE},
    {"b2b-buffer", "Back-to-back: buffer time (RFC 9004, corrected)", "b2b",
     "b2b_corrected_buffer_s", NULL, "buffer time, ms", 1000, REPORT_THEORY_NONE},
};

GPtrArray *report_charts(report_run *const *runs, guint n_runs)
{
    GPtrArray *charts = g_ptr_array_new_with_free_func((GDestroyNotify)report_chart_free);
    g_autoptr(GArray) frames = g_array_new(FALSE, FALSE, sizeof(guint));
    g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);

    for (guint i = 0; i < G_N_ELEMENTS(chart_specs); i++) {
        report_chart *c = report_chart_metric(runs, n_runs, &chart_specs[i]);
        if (c)
            g_ptr_array_add(charts, c);
        if (!strcmp(chart_specs[i].id, "loss-at-max")) {
            /* the loss curves follow the loss at the maximum rate */
            for (guint ri = 0; ri < n_runs; ri++)
                for (guint j = 0; j < runs[ri]->loss_trials->len; j++) {
                    const report_loss_trial *t = g_ptr_array_index(runs[ri]->loss_trials, j);
                    if (g_hash_table_add(seen, GUINT_TO_POINTER(t->frame_size)))
                        g_array_append_val(frames, t->frame_size);
                }
            g_array_sort(frames, cmp_uint);
            for (guint j = 0; j < frames->len; j++)
                if ((c = report_chart_loss_curve(runs, n_runs, g_array_index(frames, guint, j))))
                    g_ptr_array_add(charts, c);
        }
    }
    return charts;
}

/* ---- SVG ----------------------------------------------------------- */

/* layout, px */
#define SVG_PAD 16    /* outer margin */
#define SVG_YLABEL 22 /* the rotated y axis label */
#define SVG_TICKS 52  /* y tick labels left of each plot */
#define SVG_PLOT_W 440
#define SVG_PLOT_H 260
#define SVG_GAP 28   /* between panels */
#define SVG_TOP 88   /* title, subtitle, panel title */
#define SVG_XAXIS 48 /* x tick labels and the x label */
#define SVG_LEGEND_ROW 20
#define SVG_CHAR_W 7.0 /* average glyph width at 12 px, for the legend layout */

static void set_attr(xmlNodePtr n, const char *name, const char *value)
{
    xmlSetProp(n, BAD_CAST name, BAD_CAST value);
}

static void set_num(xmlNodePtr n, const char *name, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(buf, sizeof(buf), "%.2f", v);
    /* trim "12.00" to "12" to keep files small */
    char *dot = strchr(buf, '.');
    if (dot) {
        char *e = buf + strlen(buf) - 1;
        while (e > dot && *e == '0')
            *e-- = '\0';
        if (e == dot)
            *e = '\0';
    }
    xmlSetProp(n, BAD_CAST name, BAD_CAST buf);
}

static xmlNodePtr svg_el(xmlNodePtr parent, const char *name)
{
    return xmlNewChild(parent, NULL, BAD_CAST name, NULL);
}

static xmlNodePtr svg_line(xmlNodePtr parent, double x1, double y1, double x2, double y2,
                           const char *stroke, double width)
{
    xmlNodePtr l = svg_el(parent, "line");
    set_num(l, "x1", x1);
    set_num(l, "y1", y1);
    set_num(l, "x2", x2);
    set_num(l, "y2", y2);
    set_attr(l, "stroke", stroke);
    set_num(l, "stroke-width", width);
    return l;
}

static xmlNodePtr svg_text(xmlNodePtr parent, double x, double y, const char *anchor, double size,
                           const char *text)
{
    xmlNodePtr t = xmlNewTextChild(parent, NULL, BAD_CAST "text", BAD_CAST text);
    set_num(t, "x", x);
    set_num(t, "y", y);
    if (anchor)
        set_attr(t, "text-anchor", anchor);
    set_num(t, "font-size", size);
    return t;
}

static const char *style_dash(report_style s)
{
    return s == REPORT_STYLE_DASHED ? "7,5" : s == REPORT_STYLE_DOTTED ? "2,3" : NULL;
}

report_scale report_chart_y_scale(const report_chart *chart)
{
    double data_hi = -INFINITY, data_lo = INFINITY, theory_hi = -INFINITY, y_lo = INFINITY;

    for (guint p = 0; p < chart->panels->len; p++) {
        const report_panel *panel = g_ptr_array_index(chart->panels, p);
        for (guint s = 0; s < panel->series->len; s++) {
            const report_series *se = g_ptr_array_index(panel->series, s);
            for (guint i = 0; i < se->points->len; i++) {
                const report_point *pt = &g_array_index(se->points, report_point, i);
                if (!isfinite(pt->y))
                    continue;
                if (se->style == REPORT_STYLE_DASHED) {
                    theory_hi = MAX(theory_hi, pt->y);
                    continue;
                }
                data_hi = MAX(data_hi, isfinite(pt->hi) ? MAX(pt->hi, pt->y) : pt->y);
                data_lo = MIN(data_lo, isfinite(pt->lo) ? MIN(pt->lo, pt->y) : pt->y);
                y_lo = MIN(y_lo, pt->y);
            }
        }
    }
    /* figures that cannot be negative (rates, %, times) keep the axis at 0 even
     * when a wide confidence interval reaches below it; the bar is clipped */
    if (y_lo >= 0 && data_lo < 0)
        data_lo = 0;
    if (isfinite(theory_hi) && (!isfinite(data_hi) || theory_hi <= 4 * data_hi))
        data_hi = MAX(data_hi, theory_hi);
    return report_scale_nice(data_lo, data_hi, 7, TRUE);
}

static gboolean theory_clipped(const report_chart *chart, const report_scale *ys)
{
    for (guint p = 0; p < chart->panels->len; p++) {
        const report_panel *panel = g_ptr_array_index(chart->panels, p);
        for (guint s = 0; s < panel->series->len; s++) {
            const report_series *se = g_ptr_array_index(panel->series, s);
            if (se->style != REPORT_STYLE_DASHED)
                continue;
            for (guint i = 0; i < se->points->len; i++)
                if (g_array_index(se->points, report_point, i).y > ys->max)
                    return TRUE;
        }
    }
    return FALSE;
}

typedef struct plot_area {
    double x0, y0, w, h;
    report_scale ys;
    const report_chart *chart;
} plot_area;

static double map_x(const plot_area *a, double x)
{
    const report_chart *c = a->chart;
    if (c->x_categories) {
        double band = a->w / MAX(c->categories->len, 1u);
        return a->x0 + (x + 0.5) * band;
    }
    double span = c->x_max - c->x_min;
    return a->x0 + (span > 0 ? (x - c->x_min) / span : 0.5) * a->w;
}

static double map_y(const plot_area *a, double y)
{
    return a->y0 + a->h - (y - a->ys.min) / (a->ys.max - a->ys.min) * a->h;
}

static void draw_axes(xmlNodePtr g, const plot_area *a)
{
    const report_chart *c = a->chart;

    for (guint i = 0; i < a->ys.n_ticks; i++) {
        double v = a->ys.min + i * a->ys.step;
        double y = map_y(a, v);
        g_autofree char *label = report_tick_label(v, a->ys.step);
        svg_line(g, a->x0, y, a->x0 + a->w, y, "#e3e3e3", 1);
        svg_line(g, a->x0 - 4, y, a->x0, y, "#000000", 1);
        svg_text(g, a->x0 - 7, y + 4, "end", 11, label);
    }
    if (c->x_categories) {
        for (guint i = 0; i < c->categories->len; i++) {
            double x = map_x(a, i);
            svg_line(g, x, a->y0 + a->h, x, a->y0 + a->h + 4, "#000000", 1);
            svg_text(g, x, a->y0 + a->h + 17, "middle", 11, g_ptr_array_index(c->categories, i));
        }
    } else {
        report_scale xs = report_scale_nice(c->x_min, c->x_max, 11, TRUE);
        for (guint i = 0; i < xs.n_ticks; i++) {
            double v = xs.min + i * xs.step;
            if (v > c->x_max + 1e-9)
                break;
            double x = map_x(a, v);
            g_autofree char *label = report_tick_label(v, xs.step);
            svg_line(g, x, a->y0 + a->h, x, a->y0 + a->h + 4, "#000000", 1);
            svg_text(g, x, a->y0 + a->h + 17, "middle", 11, label);
        }
    }
    svg_line(g, a->x0, a->y0 + a->h, a->x0 + a->w, a->y0 + a->h, "#000000", 1);
    svg_line(g, a->x0, a->y0, a->x0, a->y0 + a->h, "#000000", 1);
    svg_text(g, a->x0 + a->w / 2, a->y0 + a->h + 36, "middle", 12, c->x_label);
}

static void draw_series(xmlNodePtr g, const plot_area *a, const report_series *s, double dodge)
{
    g_autoptr(GString) d = g_string_new(NULL);
    gboolean pen_down = FALSE;
    char buf[2][G_ASCII_DTOSTR_BUF_SIZE];

    /* the line, broken where a frame size has no figure */
    for (guint i = 0; i < s->points->len; i++) {
        const report_point *pt = &g_array_index(s->points, report_point, i);
        if (!isfinite(pt->y)) {
            pen_down = FALSE;
            continue;
        }
        g_ascii_formatd(buf[0], sizeof(buf[0]), "%.2f", map_x(a, pt->x) + dodge);
        g_ascii_formatd(buf[1], sizeof(buf[1]), "%.2f", map_y(a, pt->y));
        g_string_append_printf(d, "%s%s %s ", pen_down ? "L" : "M", buf[0], buf[1]);
        pen_down = TRUE;
    }
    xmlNodePtr path = svg_el(g, "path");
    set_attr(path, "d", d->str);
    set_attr(path, "fill", "none");
    set_attr(path, "stroke", s->color);
    set_num(path, "stroke-width", s->style == REPORT_STYLE_DASHED ? 1.5 : 2);
    if (style_dash(s->style))
        set_attr(path, "stroke-dasharray", style_dash(s->style));
    if (s->style == REPORT_STYLE_DASHED)
        return;
    for (guint i = 0; i < s->points->len; i++) {
        const report_point *pt = &g_array_index(s->points, report_point, i);
        if (!isfinite(pt->y))
            continue;
        double x = map_x(a, pt->x) + dodge;
        if (isfinite(pt->lo) && isfinite(pt->hi) && pt->hi > pt->lo) {
            double y1 = map_y(a, pt->lo), y2 = map_y(a, pt->hi);
            svg_line(g, x, y1, x, y2, s->color, 1.2);
            svg_line(g, x - 3.5, y1, x + 3.5, y1, s->color, 1.2);
            svg_line(g, x - 3.5, y2, x + 3.5, y2, s->color, 1.2);
        }
        xmlNodePtr m = svg_el(g, "circle");
        set_num(m, "cx", x);
        set_num(m, "cy", map_y(a, pt->y));
        set_num(m, "r", 3.5);
        set_attr(m, "fill", s->style == REPORT_STYLE_DOTTED ? "#ffffff" : s->color);
        set_attr(m, "stroke", s->color);
        set_num(m, "stroke-width", 1.5);
    }
}

typedef struct legend_entry {
    const char *name, *color;
    report_style style;
} legend_entry;

char *report_chart_svg(const report_chart *chart, gsize *ret_len)
{
    g_autoptr(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr root = xmlNewNode(NULL, BAD_CAST "svg");
    xmlNsPtr ns = xmlNewNs(root, BAD_CAST SVG_NS, NULL);
    guint np = MAX(chart->panels->len, 1u);
    report_scale ys = report_chart_y_scale(chart);
    gboolean clipped = theory_clipped(chart, &ys);
    double panel_w = SVG_TICKS + SVG_PLOT_W;
    double width = 2 * SVG_PAD + SVG_YLABEL + np * panel_w + (np - 1) * SVG_GAP;
    g_autoptr(GArray) legend = g_array_new(FALSE, FALSE, sizeof(legend_entry));
    g_autoptr(GHashTable) in_legend = g_hash_table_new(g_str_hash, g_str_equal);

    xmlSetNs(root, ns);
    xmlDocSetRootElement(doc, root);

    /* legend entries: each distinct series name once, in order of appearance */
    for (guint p = 0; p < chart->panels->len; p++) {
        const report_panel *panel = g_ptr_array_index(chart->panels, p);
        for (guint s = 0; s < panel->series->len; s++) {
            const report_series *se = g_ptr_array_index(panel->series, s);
            if (g_hash_table_add(in_legend, se->name)) {
                legend_entry e = {se->name, se->color, se->style};
                g_array_append_val(legend, e);
            }
        }
    }
    /* legend layout: rows that fit the width */
    g_autoptr(GArray) lx = g_array_new(FALSE, FALSE, sizeof(double));
    g_autoptr(GArray) lrow = g_array_new(FALSE, FALSE, sizeof(guint));
    double x = SVG_PAD + SVG_YLABEL + SVG_TICKS;
    guint row = 0;
    for (guint i = 0; i < legend->len; i++) {
        const legend_entry *e = &g_array_index(legend, legend_entry, i);
        g_autofree char *text = g_strdup_printf(
            "%s%s", e->name,
            e->style == REPORT_STYLE_DASHED && clipped ? " (partly off the scale)" : "");
        double w = 34 + g_utf8_strlen(text, -1) * SVG_CHAR_W + 18;
        if (x + w > width - SVG_PAD && x > SVG_PAD + SVG_YLABEL + SVG_TICKS)
            x = SVG_PAD + SVG_YLABEL + SVG_TICKS, row++;
        g_array_append_val(lx, x);
        g_array_append_val(lrow, row);
        x += w;
    }
    guint legend_rows = legend->len ? row + 1 : 0;
    double height = SVG_TOP + SVG_PLOT_H + SVG_XAXIS + legend_rows * SVG_LEGEND_ROW + SVG_PAD;

    set_num(root, "width", width);
    set_num(root, "height", height);
    g_autofree char *vb = g_strdup_printf("0 0 %d %d", (int)ceil(width), (int)ceil(height));
    set_attr(root, "viewBox", vb);
    set_attr(root, "font-family", "DejaVu Sans, Helvetica, Arial, sans-serif");
    xmlNodePtr title = xmlNewTextChild(root, NULL, BAD_CAST "title", BAD_CAST chart->title);
    (void)title;
    xmlNodePtr bg = svg_el(root, "rect");
    set_attr(bg, "width", "100%");
    set_attr(bg, "height", "100%");
    set_attr(bg, "fill", "#ffffff");

    svg_text(root, SVG_PAD, SVG_PAD + 14, NULL, 16, chart->title);
    if (chart->subtitle) {
        xmlNodePtr st = svg_text(root, SVG_PAD, SVG_PAD + 32, NULL, 12, chart->subtitle);
        set_attr(st, "fill", "#b00000");
        set_attr(st, "font-weight", "bold");
    }
    xmlNodePtr defs = svg_el(root, "defs");
    xmlNodePtr yl = svg_text(root, 0, 0, "middle", 12, chart->y_label);
    g_autofree char *rot = NULL;
    {
        char bx[G_ASCII_DTOSTR_BUF_SIZE], by[G_ASCII_DTOSTR_BUF_SIZE];
        g_ascii_formatd(bx, sizeof(bx), "%.1f", SVG_PAD + 12.0);
        g_ascii_formatd(by, sizeof(by), "%.1f", SVG_TOP + SVG_PLOT_H / 2.0);
        rot = g_strdup_printf("translate(%s %s) rotate(-90)", bx, by);
    }
    set_attr(yl, "transform", rot);

    for (guint p = 0; p < chart->panels->len; p++) {
        const report_panel *panel = g_ptr_array_index(chart->panels, p);
        plot_area a = {SVG_PAD + SVG_YLABEL + SVG_TICKS + p * (panel_w + SVG_GAP),
                       SVG_TOP,
                       SVG_PLOT_W,
                       SVG_PLOT_H,
                       ys,
                       chart};
        xmlNodePtr g = svg_el(root, "g");
        g_autofree char *clip_id = g_strdup_printf("clip-%s-%u", chart->id, p);
        g_autofree char *clip_ref = g_strdup_printf("url(#%s)", clip_id);
        xmlNodePtr clip = svg_el(defs, "clipPath");
        set_attr(clip, "id", clip_id);
        xmlNodePtr cr = svg_el(clip, "rect");
        /* a little room above the axis so markers at the top are whole */
        set_num(cr, "x", a.x0 - 8);
        set_num(cr, "y", a.y0 - 6);
        set_num(cr, "width", a.w + 16);
        set_num(cr, "height", a.h + 12);

        set_attr(g, "class", "panel");
        set_attr(g, "data-direction", panel->direction);
        svg_text(g, a.x0 + a.w / 2, a.y0 - 10, "middle", 13, panel->title);
        draw_axes(g, &a);
        xmlNodePtr data = svg_el(g, "g");
        set_attr(data, "clip-path", clip_ref);
        guint n_measured = 0;
        for (guint s = 0; s < panel->series->len; s++)
            if (((report_series *)g_ptr_array_index(panel->series, s))->style !=
                REPORT_STYLE_DASHED)
                n_measured++;
        guint k = 0;
        for (guint s = 0; s < panel->series->len; s++) {
            const report_series *se = g_ptr_array_index(panel->series, s);
            xmlNodePtr sg = svg_el(data, "g");
            set_attr(sg, "class", se->style == REPORT_STYLE_DASHED ? "theory" : "series");
            set_attr(sg, "data-name", se->name);
            double dodge = 0;
            if (chart->x_categories && se->style != REPORT_STYLE_DASHED && n_measured > 1) {
                /* side by side inside a category, so that error bars do not overlap */
                double band = a.w / MAX(chart->categories->len, 1u);
                double step = MIN(7.0, band * 0.5 / n_measured);
                dodge = (k - (n_measured - 1) / 2.0) * step;
            }
            if (se->style != REPORT_STYLE_DASHED)
                k++;
            draw_series(sg, &a, se, dodge);
        }
        if (n_measured == 0) {
            xmlNodePtr t =
                svg_text(g, a.x0 + a.w / 2, a.y0 + a.h / 2, "middle", 13, "not measured");
            set_attr(t, "fill", "#7f7f7f");
        }
    }

    xmlNodePtr lg = svg_el(root, "g");
    set_attr(lg, "class", "legend");
    for (guint i = 0; i < legend->len; i++) {
        const legend_entry *e = &g_array_index(legend, legend_entry, i);
        double lxv = g_array_index(lx, double, i);
        double ly =
            SVG_TOP + SVG_PLOT_H + SVG_XAXIS + g_array_index(lrow, guint, i) * SVG_LEGEND_ROW + 6;
        xmlNodePtr l = svg_line(lg, lxv, ly, lxv + 28, ly, e->color,
                                e->style == REPORT_STYLE_DASHED ? 1.5 : 2);
        if (style_dash(e->style))
            set_attr(l, "stroke-dasharray", style_dash(e->style));
        if (e->style != REPORT_STYLE_DASHED) {
            xmlNodePtr m = svg_el(lg, "circle");
            set_num(m, "cx", lxv + 14);
            set_num(m, "cy", ly);
            set_num(m, "r", 3.5);
            set_attr(m, "fill", e->style == REPORT_STYLE_DOTTED ? "#ffffff" : e->color);
            set_attr(m, "stroke", e->color);
        }
        g_autofree char *text = g_strdup_printf(
            "%s%s", e->name,
            e->style == REPORT_STYLE_DASHED && clipped ? " (partly off the scale)" : "");
        svg_text(lg, lxv + 34, ly + 4, NULL, 12, text);
    }

    xmlChar *mem = NULL;
    int len = 0;
    xmlDocDumpFormatMemoryEnc(doc, &mem, &len, "UTF-8", 1);
    char *out = g_strndup((const char *)mem, len);
    xmlFree(mem);
    if (ret_len)
        *ret_len = (gsize)len;
    return out;
}

/* ---- the study's conclusions --------------------------------------- */

const char *report_verdict_name(report_verdict v)
{
    switch (v) {
    case REPORT_HOLDS:
        return "holds";
    case REPORT_DOES_NOT_HOLD:
        return "does not hold";
    case REPORT_NOT_MEASURED:
        return "not measured";
    }
    return "?";
}

void report_finding_free(report_finding *f)
{
    if (!f)
        return;
    g_free(f->evidence);
    g_free(f);
}

/* the first cell of a run with that NIC model; G_MAXUINT when none */
static guint first_cell(const report_run *r, const char *nic)
{
    guint best = G_MAXUINT;

    for (guint i = 0; i < r->cells->len; i++) {
        const store_cell_row *c = g_ptr_array_index(r->cells, i);
        if (!g_strcmp0(c->nic, nic) && c->cell_index < best)
            best = c->cell_index;
    }
    if (best != G_MAXUINT)
        return best;
    for (guint i = 0; i < r->results->len; i++) {
        const store_result_row *row = g_ptr_array_index(r->results, i);
        if (!g_strcmp0(row->nic, nic) && row->cell_index < best)
            best = row->cell_index;
    }
    return best;
}

static double result_mean(GHashTable *idx, guint cell, const char *test, const char *dir,
                          guint frame, const char *metric)
{
    if (cell == G_MAXUINT)
        return NAN;
    g_autofree char *key = row_key(cell, test, dir, frame, metric);
    const store_result_row *row = g_hash_table_lookup(idx, key);
    return row ? row->mean : NAN;
}

/* frame sizes at which cell has the metric in that direction, ascending */
static GArray *frames_of(const report_run *r, guint cell, const char *test, const char *dir,
                         const char *metric)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(guint));

    for (guint i = 0; i < r->results->len; i++) {
        const store_result_row *row = g_ptr_array_index(r->results, i);
        if (row->cell_index == cell && !strcmp(row->test, test) && !strcmp(row->direction, dir) &&
            !strcmp(row->metric, metric) && isfinite(row->mean))
            g_array_append_val(a, row->frame_size);
    }
    g_array_sort(a, cmp_uint);
    return a;
}

static report_finding *finding_new(guint number, const char *claim, const char *criterion)
{
    report_finding *f = g_new0(report_finding, 1);
    f->number = number;
    f->claim = claim;
    f->criterion = criterion;
    f->verdict = REPORT_NOT_MEASURED;
    return f;
}

static void pct_text(GString *s, double v)
{
    if (isfinite(v))
        g_string_append_printf(s, "%.0f %%", v);
    else
        g_string_append(s, "n/a");
}

/* Throughput ratio a/b per frame size in one direction: appends
 * "in: 64 B 93 %, ..." and returns the min and max ratio; FALSE when no
 * frame size has both. */
static gboolean ratio_by_frame(const report_run *r, GHashTable *idx, guint a, guint b,
                               const char *dir, GString *ev, double *ret_min, double *ret_max,
                               guint *ret_min_frame)
{
    g_autoptr(GArray) frames = frames_of(r, a, "throughput", dir, STORE_METRIC_THROUGHPUT_FPS);
    double mn = INFINITY, mx = -INFINITY;
    guint n = 0, mn_frame = 0;

    g_string_append_printf(ev, "%s%s:", ev->len ? "; " : "", dir);
    for (guint i = 0; i < frames->len; i++) {
        guint f = g_array_index(frames, guint, i);
        double va = result_mean(idx, a, "throughput", dir, f, STORE_METRIC_THROUGHPUT_FPS);
        double vb = result_mean(idx, b, "throughput", dir, f, STORE_METRIC_THROUGHPUT_FPS);
        if (!isfinite(va) || !(vb > 0))
            continue;
        double q = va / vb;
        g_string_append_printf(ev, "%s %u B ", n ? "," : "", f);
        pct_text(ev, q * 100);
        if (q < mn)
            mn = q, mn_frame = f;
        mx = MAX(mx, q);
        n++;
    }
    if (n == 0)
        g_string_append(ev, " no common frame size");
    *ret_min = mn;
    *ret_max = mx;
    if (ret_min_frame)
        *ret_min_frame = mn_frame;
    return n > 0;
}

static report_finding *finding_virtio_vs_host(const report_run *r, GHashTable *idx)
{
    report_finding *f = finding_new(
        1, "virtio throughput is close to the bare host in both directions",
        "virtio reaches >= 90 % of the host's throughput (frames/s) at every frame size "
        "measured for both, in and out");
    guint v = first_cell(r, "virtio"), h = first_cell(r, "host");
    g_autoptr(GString) ev = g_string_new(NULL);
    double lo = INFINITY;
    gboolean all = TRUE;

    if (v == G_MAXUINT || h == G_MAXUINT) {
        f->evidence =
            g_strdup(v == G_MAXUINT ? "no virtio cell in this run" : "no host cell in this run");
        return f;
    }
    g_string_append(ev, "virtio / host: ");
    g_autoptr(GString) ratios = g_string_new(NULL);
    for (guint d = 0; d < 2; d++) {
        double mn, mx;
        if (!ratio_by_frame(r, idx, v, h, d ? "out" : "in", ratios, &mn, &mx, NULL))
            all = FALSE;
        else
            lo = MIN(lo, mn);
    }
    g_string_append(ev, ratios->str);
    if (!all) {
        g_string_append(ev, " (needs throughput of both in both directions)");
        f->verdict = REPORT_NOT_MEASURED;
    } else {
        f->verdict = lo >= REPORT_CLOSE_RATIO ? REPORT_HOLDS : REPORT_DOES_NOT_HOLD;
        g_string_append_printf(ev, "; lowest %.0f %%", lo * 100);
    }
    f->evidence = g_string_free(g_steal_pointer(&ev), FALSE);
    return f;
}

static report_finding *finding_e1000_out(const report_run *r, GHashTable *idx)
{
    report_finding *f =
        finding_new(2, "e1000 'out' throughput is far below virtio 'out'",
                    "e1000 out reaches < 50 % of virtio out (frames/s) at every frame size "
                    "measured for both");
    guint e = first_cell(r, "e1000"), v = first_cell(r, "virtio");
    g_autoptr(GString) ev = g_string_new(NULL);
    double mn, mx;

    if (e == G_MAXUINT || v == G_MAXUINT) {
        f->evidence =
            g_strdup(e == G_MAXUINT ? "no e1000 cell in this run" : "no virtio cell in this run");
        return f;
    }
    g_autoptr(GString) ratios = g_string_new(NULL);
    gboolean ok = ratio_by_frame(r, idx, e, v, "out", ratios, &mn, &mx, NULL);
    g_string_append_printf(ev, "e1000 / virtio: %s", ratios->str);
    if (ok) {
        f->verdict = mx < REPORT_FAR_BELOW_RATIO ? REPORT_HOLDS : REPORT_DOES_NOT_HOLD;
        g_string_append_printf(ev, "; highest %.0f %%", mx * 100);
    }
    f->evidence = g_string_free(g_steal_pointer(&ev), FALSE);
    return f;
}

static report_finding *finding_e1000_in_large(const report_run *r, GHashTable *idx)
{
    static const guint sizes[] = {1280, 1518};
    report_finding *f =
        finding_new(3, "e1000 'in' throughput is close to virtio at 1280 and 1518 bytes",
                    "e1000 in reaches >= 90 % of virtio in (frames/s) at both 1280 and 1518 bytes");
    guint e = first_cell(r, "e1000"), v = first_cell(r, "virtio");
    g_autoptr(GString) ev = g_string_new("e1000 / virtio, in:");
    gboolean all = TRUE, close = TRUE;

    if (e == G_MAXUINT || v == G_MAXUINT) {
        f->evidence =
            g_strdup(e == G_MAXUINT ? "no e1000 cell in this run" : "no virtio cell in this run");
        return f;
    }
    for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
        double a = result_mean(idx, e, "throughput", "in", sizes[i], STORE_METRIC_THROUGHPUT_FPS);
        double b = result_mean(idx, v, "throughput", "in", sizes[i], STORE_METRIC_THROUGHPUT_FPS);
        g_string_append_printf(ev, "%s %u B ", i ? "," : "", sizes[i]);
        if (!isfinite(a) || !(b > 0)) {
            g_string_append(ev, "not measured");
            all = FALSE;
            continue;
        }
        pct_text(ev, a / b * 100);
        g_string_append_printf(ev, " (%.0f vs %.0f frames/s)", a, b);
        if (a / b < REPORT_CLOSE_RATIO)
            close = FALSE;
    }
    if (all)
        f->verdict = close ? REPORT_HOLDS : REPORT_DOES_NOT_HOLD;
    f->evidence = g_string_free(g_steal_pointer(&ev), FALSE);
    return f;
}

static report_finding *finding_e1000_latency(const report_run *r, GHashTable *idx)
{
    report_finding *f = finding_new(
        4, "e1000 latency is up to about twice the host's",
        "the largest ratio e1000 / host of the p50 latency (test 'latency' at the throughput "
        "rate; the idle 'rtt' test when no latency was measured) over frame sizes and "
        "directions lies in [1.5, 2.5]");
    guint e = first_cell(r, "e1000"), h = first_cell(r, "host");
    g_autoptr(GString) ev = g_string_new(NULL);
    const char *tests[] = {"latency", "rtt"};
    const char *dirs[] = {"in", "out", "both"};
    double mx = -INFINITY;
    guint at_frame = 0, n = 0;
    const char *at_dir = NULL, *used = NULL;

    if (e == G_MAXUINT || h == G_MAXUINT) {
        f->evidence =
            g_strdup(e == G_MAXUINT ? "no e1000 cell in this run" : "no host cell in this run");
        return f;
    }
    for (guint t = 0; t < G_N_ELEMENTS(tests) && n == 0; t++) {
        used = tests[t];
        for (guint d = 0; d < G_N_ELEMENTS(dirs); d++) {
            g_autoptr(GArray) frames = frames_of(r, e, tests[t], dirs[d], STORE_METRIC_RTT_P50_US);
            for (guint i = 0; i < frames->len; i++) {
                guint fs = g_array_index(frames, guint, i);
                double a = result_mean(idx, e, tests[t], dirs[d], fs, STORE_METRIC_RTT_P50_US);
                double b = result_mean(idx, h, tests[t], dirs[d], fs, STORE_METRIC_RTT_P50_US);
                if (!isfinite(a) || !(b > 0))
                    continue;
                n++;
                if (a / b > mx)
                    mx = a / b, at_frame = fs, at_dir = dirs[d];
            }
        }
    }
    if (n == 0) {
        f->evidence = g_strdup("no p50 latency of both e1000 and host at a common frame size");
        return f;
    }
    double a = result_mean(idx, e, used, at_dir, at_frame, STORE_METRIC_RTT_P50_US);
    double b = result_mean(idx, h, used, at_dir, at_frame, STORE_METRIC_RTT_P50_US);
    g_string_append_printf(ev,
                           "test '%s': largest e1000 / host p50 ratio %.2f\u00d7 (%s, %u B: "
                           "%.1f vs %.1f \u00b5s) over %u frame size/direction pairs",
                           used, mx, at_dir, at_frame, a, b, n);
    f->verdict =
        mx >= REPORT_TWICE_LOW && mx <= REPORT_TWICE_HIGH ? REPORT_HOLDS : REPORT_DOES_NOT_HOLD;
    f->evidence = g_string_free(g_steal_pointer(&ev), FALSE);
    return f;
}

static report_finding *finding_e1000_cpu(const report_run *r, GHashTable *idx)
{
    report_finding *f =
        finding_new(5, "the guest's CPU is near 100 % on one vCPU for e1000 'out'",
                    "guest CPU busy at the throughput rate, converted to one vCPU (% of all "
                    "vCPUs x vCPUs), is >= 90 % at every frame size of e1000 out");
    guint e = first_cell(r, "e1000");
    g_autoptr(GString) ev = g_string_new(NULL);
    double mn = INFINITY;
    guint vcpus, n = 0;

    if (e == G_MAXUINT) {
        f->evidence = g_strdup("no e1000 cell in this run");
        return f;
    }
    vcpus = GPOINTER_TO_UINT(g_hash_table_lookup(r->vcpus, GUINT_TO_POINTER(e)));
    if (vcpus == 0)
        vcpus = 1; /* unknown: the study's guests had one */
    g_autoptr(GArray) frames = frames_of(r, e, "throughput", "out", STORE_METRIC_DUT_CPU_PCT);
    g_string_append_printf(ev, "e1000 out, %u vCPU%s, %% of one vCPU:", vcpus,
                           vcpus == 1 ? "" : "s");
    for (guint i = 0; i < frames->len; i++) {
        guint fs = g_array_index(frames, guint, i);
        double v = result_mean(idx, e, "throughput", "out", fs, STORE_METRIC_DUT_CPU_PCT) * vcpus;
        g_string_append_printf(ev, "%s %u B ", n ? "," : "", fs);
        pct_text(ev, v);
        mn = MIN(mn, v);
        n++;
    }
    if (n == 0) {
        f->evidence = g_strdup("no guest CPU figure for e1000 out");
        return f;
    }
    g_string_append_printf(ev, "; lowest %.0f %%", mn);
    f->verdict = mn >= REPORT_SATURATED_PCT ? REPORT_HOLDS : REPORT_DOES_NOT_HOLD;
    f->evidence = g_string_free(g_steal_pointer(&ev), FALSE);
    return f;
}

GPtrArray *report_findings(const report_run *run)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)report_finding_free);
    g_autoptr(GHashTable) idx = index_rows(run);

    g_ptr_array_add(out, finding_virtio_vs_host(run, idx));
    g_ptr_array_add(out, finding_e1000_out(run, idx));
    g_ptr_array_add(out, finding_e1000_in_large(run, idx));
    g_ptr_array_add(out, finding_e1000_latency(run, idx));
    g_ptr_array_add(out, finding_e1000_cpu(run, idx));
    return out;
}

/* ---- CSV and JSON -------------------------------------------------- */

static void csv_field(GString *out, const char *s)
{
    if (!s)
        return;
    if (strpbrk(s, ",\"\n\r")) {
        g_string_append_c(out, '"');
        for (const char *p = s; *p; p++) {
            if (*p == '"')
                g_string_append_c(out, '"');
            g_string_append_c(out, *p);
        }
        g_string_append_c(out, '"');
    } else {
        g_string_append(out, s);
    }
}

static void csv_number(GString *out, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    if (isfinite(v))
        g_string_append(out, g_ascii_formatd(buf, sizeof(buf), "%.9g", v));
}

char *report_csv(report_run *const *runs, guint n_runs)
{
    /* new columns go at the end: scripts that index columns keep working */
    GString *out = g_string_new("run,cell,label,config_key,nic,accel,test,direction,frame_size,"
                                "metric,unit,n,mean,stddev,ci95_low,ci95_high,vhost,queues,"
                                "hypervisor,hypervisor_host\n");

    for (guint ri = 0; ri < n_runs; ri++) {
        const report_run *r = runs[ri];
        for (guint i = 0; i < r->results->len; i++) {
            const store_result_row *row = g_ptr_array_index(r->results, i);
            const char *text[] = {row->label, row->config_key, row->nic,
                                  row->accel, row->test,       row->direction};
            g_string_append_printf(out, "%" G_GINT64_FORMAT ",%u", r->run ? r->run->id : 0,
                                   row->cell_index);
            for (guint k = 0; k < G_N_ELEMENTS(text); k++) {
                g_string_append_c(out, ',');
                csv_field(out, text[k]);
            }
            g_string_append_printf(out, ",%u,", row->frame_size);
            csv_field(out, row->metric);
            g_string_append_c(out, ',');
            csv_field(out, row->unit);
            g_string_append_printf(out, ",%u,", row->n);
            csv_number(out, row->mean);
            g_string_append_c(out, ',');
            csv_number(out, row->stddev);
            g_string_append_c(out, ',');
            csv_number(out, row->ci95_low);
            g_string_append_c(out, ',');
            csv_number(out, row->ci95_high);
            g_string_append_c(out, ',');
            csv_field(out, row->vhost);
            g_string_append_c(out, ',');
            if (row->queues)
                g_string_append_printf(out, "%u", row->queues);
            g_string_append_c(out, ',');
            csv_field(out, row->hypervisor);
            g_string_append_c(out, ',');
            csv_field(out, row->host);
            g_string_append_c(out, '\n');
        }
    }
    return g_string_free(out, FALSE);
}

static void json_string(GString *out, const char *s)
{
    if (!s) {
        g_string_append(out, "null");
        return;
    }
    g_string_append_c(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_printf(out, "\\%c", *p);
        else if (*p < 0x20)
            g_string_append_printf(out, "\\u%04x", *p);
        else
            g_string_append_c(out, (char)*p);
    }
    g_string_append_c(out, '"');
}

static void json_number(GString *out, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    if (isfinite(v))
        g_string_append(out, g_ascii_formatd(buf, sizeof(buf), "%.9g", v));
    else
        g_string_append(out, "null");
}

static void json_kv(GString *out, const char *key, const char *value, gboolean first)
{
    if (!first)
        g_string_append_c(out, ',');
    json_string(out, key);
    g_string_append_c(out, ':');
    json_string(out, value);
}

/* "key":N, or "key":null for 0 (not set) */
static void json_count(GString *out, const char *key, guint v)
{
    g_string_append_c(out, ',');
    json_string(out, key);
    if (v)
        g_string_append_printf(out, ":%u", v);
    else
        g_string_append(out, ":null");
}

static void json_run(GString *out, const report_run *r)
{
    const store_run *ru = r->run;

    g_string_append_printf(out, "{\"id\":%" G_GINT64_FORMAT, ru ? ru->id : 0);
    json_kv(out, "name", ru ? ru->name : NULL, FALSE);
    json_kv(out, "status", ru ? ru->status : NULL, FALSE);
    json_kv(out, "started_at", ru ? ru->started_at : NULL, FALSE);
    json_kv(out, "finished_at", ru ? ru->finished_at : NULL, FALSE);
    json_kv(out, "vexp_version", ru ? ru->vexp_version : NULL, FALSE);
    json_kv(out, "host", ru ? ru->host : NULL, FALSE);
    json_kv(out, "libvirt_version", ru ? ru->libvirt_version : NULL, FALSE);
    json_kv(out, "qemu_version", ru ? ru->qemu_version : NULL, FALSE);
    json_kv(out, "accel", ru ? ru->accel : NULL, FALSE);
    g_string_append_printf(out, ",\"emulation\":%s,\"line_rate_mbps\":",
                           ru && !g_strcmp0(ru->accel, "tcg") ? "true" : "false");
    json_number(out, r->line_rate_mbps);
    g_string_append(out, ",\"cells\":[");
    for (guint i = 0; i < r->cells->len; i++) {
        const store_cell_row *c = g_ptr_array_index(r->cells, i);
        g_string_append_printf(out, "%s{\"cell\":%u,\"attempt\":%u", i ? "," : "", c->cell_index,
                               c->attempt);
        json_kv(out, "label", c->label, FALSE);
        json_kv(out, "nic", c->nic, FALSE);
        json_kv(out, "config_key", c->config_key, FALSE);
        json_kv(out, "status", c->status, FALSE);
        json_kv(out, "reason", c->reason, FALSE);
        json_kv(out, "guest_driver", c->guest_driver, FALSE);
        json_kv(out, "guest_kernel", c->guest_kernel, FALSE);
        json_kv(out, "hypervisor", c->hypervisor, FALSE);
        json_kv(out, "hypervisor_host", c->host, FALSE);
        json_kv(out, "accel", c->accel, FALSE);
        json_kv(out, "vhost", c->vhost, FALSE);
        json_count(out, "queues", c->queues);
        g_string_append_c(out, '}');
    }
    g_string_append(out, "],\"results\":[");
    for (guint i = 0; i < r->results->len; i++) {
        const store_result_row *row = g_ptr_array_index(r->results, i);
        g_string_append_printf(out, "%s{\"cell\":%u", i ? "," : "", row->cell_index);
        json_kv(out, "nic", row->nic, FALSE);
        json_kv(out, "config_key", row->config_key, FALSE);
        json_kv(out, "accel", row->accel, FALSE);
        json_kv(out, "vhost", row->vhost, FALSE);
        json_count(out, "queues", row->queues);
        json_kv(out, "hypervisor", row->hypervisor, FALSE);
        json_kv(out, "hypervisor_host", row->host, FALSE);
        json_kv(out, "test", row->test, FALSE);
        json_kv(out, "direction", row->direction, FALSE);
        g_string_append_printf(out, ",\"frame_size\":%u", row->frame_size);
        json_kv(out, "metric", row->metric, FALSE);
        json_kv(out, "unit", row->unit, FALSE);
        g_string_append_printf(out, ",\"n\":%u,\"mean\":", row->n);
        json_number(out, row->mean);
        g_string_append(out, ",\"stddev\":");
        json_number(out, row->stddev);
        g_string_append(out, ",\"ci95\":[");
        json_number(out, row->ci95_low);
        g_string_append_c(out, ',');
        json_number(out, row->ci95_high);
        g_string_append(out, "]}");
    }
    g_string_append(out, "],\"findings\":[");
    g_autoptr(GPtrArray) findings = report_findings(r);
    for (guint i = 0; i < findings->len; i++) {
        const report_finding *f = g_ptr_array_index(findings, i);
        g_string_append_printf(out, "%s{\"number\":%u", i ? "," : "", f->number);
        json_kv(out, "claim", f->claim, FALSE);
        json_kv(out, "criterion", f->criterion, FALSE);
        json_kv(out, "verdict", report_verdict_name(f->verdict), FALSE);
        json_kv(out, "evidence", f->evidence, FALSE);
        g_string_append_c(out, '}');
    }
    g_string_append(out, "]}");
}

char *report_json(report_run *const *runs, guint n_runs, GPtrArray *compare_rows)
{
    GString *out = g_string_new("{\"runs\":[");

    for (guint i = 0; i < n_runs; i++) {
        if (i)
            g_string_append_c(out, ',');
        json_run(out, runs[i]);
    }
    g_string_append_c(out, ']');
    if (compare_rows) {
        g_string_append(out, ",\"differences\":[");
        for (guint i = 0; i < compare_rows->len; i++) {
            const store_compare_row *c = g_ptr_array_index(compare_rows, i);
            g_string_append(out, i ? ",{" : "{");
            json_kv(out, "label", c->label, TRUE);
            json_kv(out, "config_key", c->config_key, FALSE);
            json_kv(out, "nic", c->nic, FALSE);
            json_kv(out, "accel_a", c->accel_a, FALSE);
            json_kv(out, "accel_b", c->accel_b, FALSE);
            json_kv(out, "vhost", c->vhost, FALSE);
            json_count(out, "queues", c->queues);
            json_kv(out, "test", c->test, FALSE);
            json_kv(out, "direction", c->direction, FALSE);
            g_string_append_printf(out, ",\"frame_size\":%u", c->frame_size);
            json_kv(out, "metric", c->metric, FALSE);
            g_string_append_printf(out, ",\"n_a\":%u,\"n_b\":%u,\"mean_a\":", c->n_a, c->n_b);
            json_number(out, c->mean_a);
            g_string_append(out, ",\"mean_b\":");
            json_number(out, c->mean_b);
            g_string_append(out, ",\"delta_pct\":");
            json_number(out, c->delta_pct);
            g_string_append(out, ",\"p\":");
            json_number(out, c->p);
            g_string_append_printf(out, ",\"threshold_only\":%s",
                                   c->threshold_only ? "true" : "false");
            json_kv(out, "verdict", store_verdict_name(c->verdict), FALSE);
            g_string_append_c(out, '}');
        }
        g_string_append_c(out, ']');
    }
    g_string_append(out, "}\n");
    return g_string_free(out, FALSE);
}

/* ---- HTML ---------------------------------------------------------- */

static const char page_css[] =
    "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;margin:24px auto;"
    "max-width:1180px;color:#1a1a1a;line-height:1.4}"
    "h1{font-size:1.6em;margin-bottom:4px}h2{margin-top:1.8em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;margin:8px 0;font-size:0.9em}"
    "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}"
    "th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "code{font-size:0.92em}.tcg{background:#fff0f0;border:2px solid #b00000;padding:8px 12px;"
    "color:#800000;font-weight:bold}.holds{background:#e6f4ea}"
    ".does-not-hold{background:#fde8e8}.not-measured{background:#f2f2f2;color:#555}"
    ".worse{background:#fde8e8}.better{background:#e6f4ea}"
    ".failed,.interrupted,.running{background:#fff4e0}"
    ".figure{margin:20px 0}.figure img{max-width:100%;border:1px solid #ddd}"
    ".caption{font-size:0.85em;color:#444;margin-top:2px}";

static xmlNodePtr h_el(xmlNodePtr parent, const char *name, const char *text)
{
    /* xmlNewTextChild escapes the text; content is never parsed as markup */
    return xmlNewTextChild(parent, NULL, BAD_CAST name, text ? BAD_CAST text : NULL);
}

static void h_class(xmlNodePtr n, const char *cls)
{
    xmlSetProp(n, BAD_CAST "class", BAD_CAST cls);
}

static xmlNodePtr h_row(xmlNodePtr table, const char *const *cells, guint n, gboolean header)
{
    xmlNodePtr tr = h_el(table, "tr", NULL);
    for (guint i = 0; i < n; i++)
        h_el(tr, header ? "th" : "td", cells[i] ? cells[i] : "");
    return tr;
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "\u2013";
}

static char *run_title(const report_run *r)
{
    return g_strdup_printf("run %" G_GINT64_FORMAT " '%s'", r->run->id, r->run->name);
}

static void html_provenance(xmlNodePtr body, const report_run *r)
{
    g_autofree char *title = run_title(r);
    g_autofree char *h = g_strdup_printf("Provenance: %s", title);
    char line[64];

    h_el(body, "h2", h);
    xmlNodePtr t = h_el(body, "table", NULL);
    if (isfinite(r->line_rate_mbps))
        g_snprintf(line, sizeof(line), "%g Mbit/s (wire)", r->line_rate_mbps);
    else
        g_snprintf(line, sizeof(line), "unknown");
    const char *accel = r->run->accel;
    g_autofree char *accel_text =
        !g_strcmp0(accel, "tcg")
            ? g_strdup("tcg \u2013 QEMU software emulation: these are emulation figures, "
                       "not comparable with KVM or with the study")
            : g_strdup(or_dash(accel));
    const char *rows[][2] = {
        {"run", title},
        {"status", r->run->status},
        {"started", r->run->started_at},
        {"finished", or_dash(r->run->finished_at)},
        {"accelerator", accel_text},
        {"host", or_dash(r->run->host)},
        {"libvirt", or_dash(r->run->libvirt_version)},
        {"QEMU", or_dash(r->run->qemu_version)},
        {"vexp", or_dash(r->run->vexp_version)},
        {"line rate", line},
        {"matrix SHA-256", or_dash(r->run->matrix_hash)},
    };
    for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
        xmlNodePtr tr = h_el(t, "tr", NULL);
        h_el(tr, "th", rows[i][0]);
        h_el(tr, "td", rows[i][1] ? rows[i][1] : "");
    }

    h_el(body, "h3", "Cells");
    xmlNodePtr ct = h_el(body, "table", NULL);
    const char *head[] = {"cell",   "label",        "NIC",          "config key", "status",
                          "reason", "guest driver", "guest kernel", "hypervisor"};
    h_row(ct, head, G_N_ELEMENTS(head), TRUE);
    guint failed = 0;
    for (guint i = 0; i < r->cells->len; i++) {
        const store_cell_row *c = g_ptr_array_index(r->cells, i);
        char idx[32];
        g_snprintf(idx, sizeof(idx), "%u", c->cell_index);
        const char *cells[] = {idx,
                               c->label,
                               c->nic,
                               c->config_key,
                               c->status,
                               or_dash(c->reason),
                               or_dash(c->guest_driver),
                               or_dash(c->guest_kernel),
                               or_dash(c->hypervisor)};
        xmlNodePtr tr = h_row(ct, cells, G_N_ELEMENTS(cells), FALSE);
        if (strcmp(c->status, "complete")) {
            h_class(tr, c->status);
            failed++;
        }
    }
    if (failed) {
        g_autofree char *msg = g_strdup_printf(
            "%u cell(s) did not complete; their reasons are in the table above, and their "
            "figures are missing from the charts.",
            failed);
        h_el(body, "p", msg);
    }
}

static void html_findings(xmlNodePtr body, const report_run *r)
{
    g_autofree char *title = run_title(r);
    g_autofree char *h = g_strdup_printf("Findings: the study's conclusions on %s", title);
    g_autoptr(GPtrArray) findings = report_findings(r);

    h_el(body, "h2", h);
    if (!g_strcmp0(r->run->accel, "tcg"))
        h_class(h_el(body, "p",
                     "TCG run: the figures below are QEMU emulation figures. The study measured "
                     "KVM guests, so a verdict here says little about the study."),
                "tcg");
    xmlNodePtr p = h_el(body, "p", NULL);
    xmlNodeAddContent(p, BAD_CAST "Criteria: \u201cclose\u201d = at least 90 % of the "
                                  "reference; \u201cfar below\u201d = under 50 %; "
                                  "\u201cabout twice\u201d = the largest ratio between 1.5 and "
                                  "2.5; \u201cnear 100 % of one vCPU\u201d = at least 90 % of one "
                                  "vCPU. Throughput is compared in frames/s at equal frame size "
                                  "(the same ratio as Mbit/s). A verdict is \u201cnot "
                                  "measured\u201d when a cell, direction or frame size it needs "
                                  "is missing.");
    xmlNodePtr t = h_el(body, "table", NULL);
    const char *head[] = {"#", "the study found", "criterion", "verdict", "measured"};
    h_row(t, head, G_N_ELEMENTS(head), TRUE);
    for (guint i = 0; i < findings->len; i++) {
        const report_finding *f = g_ptr_array_index(findings, i);
        char num[8];
        g_snprintf(num, sizeof(num), "%u", f->number);
        const char *cells[] = {num, f->claim, f->criterion, report_verdict_name(f->verdict),
                               f->evidence};
        xmlNodePtr tr = h_row(t, cells, G_N_ELEMENTS(cells), FALSE);
        h_class(tr, f->verdict == REPORT_HOLDS           ? "holds"
                    : f->verdict == REPORT_DOES_NOT_HOLD ? "does-not-hold"
                                                         : "not-measured");
    }
}

/* plain digits for large figures: "1413690 \u00b1 14137 (3)", not "1.4137e+06" */
static void fmt_value(char *buf, size_t len, double v)
{
    if (fabs(v) >= 1000)
        g_snprintf(buf, len, "%.0f", v);
    else
        g_snprintf(buf, len, "%.4g", v);
}

static void fmt_side(char *buf, size_t len, guint n, double mean, double sd)
{
    char m[48], d[48];

    fmt_value(m, sizeof(m), mean);
    fmt_value(d, sizeof(d), sd);
    if (n == 0)
        g_snprintf(buf, len, "\u2013");
    else if (n > 1 && isfinite(sd))
        g_snprintf(buf, len, "%s \u00b1 %s (%u)", m, d, n);
    else
        g_snprintf(buf, len, "%s (%u)", m, n);
}

static void html_differences(xmlNodePtr body, report_run *const *runs, GPtrArray *rows,
                             double threshold_pct, double alpha)
{
    guint counts[5] = {0};

    h_el(body, "h2", "Significant differences");
    for (guint i = 0; i < rows->len; i++) {
        const store_compare_row *c = g_ptr_array_index(rows, i);
        if ((guint)c->verdict < G_N_ELEMENTS(counts))
            counts[c->verdict]++;
    }
    g_autofree char *rule = g_strdup_printf(
        "Run %" G_GINT64_FORMAT " (baseline) against run %" G_GINT64_FORMAT
        ", matched by config key, test, direction, frame size and metric; the same test as "
        "'vexp regress': worse/better = a change beyond %g %% with Welch's t-test p < %g "
        "(the threshold alone where a side has one repetition). %u worse, %u better, "
        "%u same, %u only in run %" G_GINT64_FORMAT ", %u only in run %" G_GINT64_FORMAT ".",
        runs[0]->run->id, runs[1]->run->id, threshold_pct, alpha, counts[STORE_VERDICT_WORSE],
        counts[STORE_VERDICT_BETTER], counts[STORE_VERDICT_SAME], counts[STORE_VERDICT_ONLY_A],
        runs[0]->run->id, counts[STORE_VERDICT_ONLY_B], runs[1]->run->id);
    h_el(body, "p", rule);
    if (g_strcmp0(runs[0]->run->accel, runs[1]->run->accel))
        h_class(h_el(body, "p",
                     "The runs used different accelerators: TCG and KVM figures are not "
                     "comparable."),
                "tcg");
    if (counts[STORE_VERDICT_WORSE] + counts[STORE_VERDICT_BETTER] == 0) {
        h_el(body, "p", "No significant difference.");
        return;
    }
    xmlNodePtr t = h_el(body, "table", NULL);
    const char *head[] = {"cell",     "test",      "dir",    "frame", "metric",
                          "baseline", "candidate", "change", "p",     "verdict"};
    h_row(t, head, G_N_ELEMENTS(head), TRUE);
    for (guint i = 0; i < rows->len; i++) {
        const store_compare_row *c = g_ptr_array_index(rows, i);
        if (c->verdict != STORE_VERDICT_WORSE && c->verdict != STORE_VERDICT_BETTER)
            continue;
        char frame[16], sa[64], sb[64], delta[24], p[24];
        g_snprintf(frame, sizeof(frame), "%u", c->frame_size);
        fmt_side(sa, sizeof(sa), c->n_a, c->mean_a, c->stddev_a);
        fmt_side(sb, sizeof(sb), c->n_b, c->mean_b, c->stddev_b);
        if (isfinite(c->delta_pct))
            g_snprintf(delta, sizeof(delta), "%+.2f %%", c->delta_pct);
        else
            g_snprintf(delta, sizeof(delta), "\u2013");
        if (isfinite(c->p))
            g_snprintf(p, sizeof(p), "%.3g", c->p);
        else
            g_snprintf(p, sizeof(p), c->threshold_only ? "n = 1" : "\u2013");
        const char *cells[] = {
            c->label, c->test, c->direction, frame, c->metric,
            sa,       sb,      delta,        p,     store_verdict_name(c->verdict)};
        h_class(h_row(t, cells, G_N_ELEMENTS(cells), FALSE), store_verdict_name(c->verdict));
    }
}

char *report_html(report_run *const *runs, guint n_runs, GPtrArray *charts, GPtrArray *compare_rows,
                  double threshold_pct, double alpha)
{
    g_autoptr(xmlDoc) doc = htmlNewDocNoDtD(NULL, NULL);
    xmlNodePtr html = xmlNewNode(NULL, BAD_CAST "html");
    g_autofree char *title = NULL;
    gboolean tcg = FALSE;

    xmlCreateIntSubset(doc, BAD_CAST "html", NULL, NULL);
    xmlDocSetRootElement(doc, html);
    xmlSetProp(html, BAD_CAST "lang", BAD_CAST "en");
    if (n_runs == 2)
        title = g_strdup_printf("vexp report: run %" G_GINT64_FORMAT " vs run %" G_GINT64_FORMAT,
                                runs[0]->run->id, runs[1]->run->id);
    else
        title = g_strdup_printf("vexp report: run %" G_GINT64_FORMAT " '%s'", runs[0]->run->id,
                                runs[0]->run->name);
    xmlNodePtr head = h_el(html, "head", NULL);
    xmlNodePtr meta = h_el(head, "meta", NULL);
    xmlSetProp(meta, BAD_CAST "http-equiv", BAD_CAST "Content-Type");
    xmlSetProp(meta, BAD_CAST "content", BAD_CAST "text/html; charset=utf-8");
    h_el(head, "title", title);
    h_el(head, "style", page_css);
    xmlNodePtr body = h_el(html, "body", NULL);
    h_el(body, "h1", title);

    for (guint i = 0; i < n_runs; i++)
        if (!g_strcmp0(runs[i]->run->accel, "tcg"))
            tcg = TRUE;
    if (tcg)
        h_class(h_el(body, "p",
                     "Accelerator TCG: QEMU emulated the guest CPU in software. Every figure "
                     "on this page from a TCG run is an emulation figure, far below what the "
                     "same NIC model does under KVM, and not comparable with KVM runs."),
                "tcg");
    xmlNodePtr intro = h_el(body, "p", NULL);
    xmlNodeAddContent(intro, BAD_CAST "RFC 2544 figures per virtual NIC model. Exports: ");
    xmlNodePtr a = h_el(intro, "a", "results.csv");
    xmlSetProp(a, BAD_CAST "href", BAD_CAST "results.csv");
    xmlNodeAddContent(intro, BAD_CAST ", ");
    a = h_el(intro, "a", "results.json");
    xmlSetProp(a, BAD_CAST "href", BAD_CAST "results.json");
    xmlNodeAddContent(intro, BAD_CAST ". Each chart is also a standalone SVG file here.");

    for (guint i = 0; i < n_runs; i++)
        html_provenance(body, runs[i]);
    for (guint i = 0; i < n_runs; i++)
        html_findings(body, runs[i]);
    if (n_runs == 2 && compare_rows)
        html_differences(body, runs, compare_rows, threshold_pct, alpha);

    h_el(body, "h2", "Charts");
    if (!charts || charts->len == 0)
        h_el(body, "p", "No figures stored for this run.");
    for (guint i = 0; charts && i < charts->len; i++) {
        const report_chart *c = g_ptr_array_index(charts, i);
        g_autofree char *src = g_strdup_printf("%s.svg", c->id);
        /* div + p, not figure: libxml2's HTML parser (HTML 4) rejects figure */
        xmlNodePtr fig = h_el(body, "div", NULL);
        xmlSetProp(fig, BAD_CAST "id", BAD_CAST c->id);
        h_class(fig, "figure");
        xmlNodePtr img = h_el(fig, "img", NULL);
        xmlSetProp(img, BAD_CAST "src", BAD_CAST src);
        xmlSetProp(img, BAD_CAST "alt", BAD_CAST c->title);
        if (c->note)
            h_class(h_el(fig, "p", c->note), "caption");
    }

    xmlChar *mem = NULL;
    int len = 0;
    htmlDocDumpMemoryFormat(doc, &mem, &len, 1);
    char *out = g_strndup((const char *)mem, len);
    xmlFree(mem);
    return out;
}

/* ---- writing the directory ----------------------------------------- */

static gboolean write_file(const char *dir, const char *name, const char *text, gssize len,
                           GPtrArray *files, GError **error)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autoptr(GError) local = NULL;

    if (!g_file_set_contents(path, text, len, &local)) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN, "cannot write '%s': %s", path,
                    local->message);
        return FALSE;
    }
    g_ptr_array_add(files, g_steal_pointer(&path));
    return TRUE;
}

gboolean report_write(vexp_store *store, const gint64 *run_ids, guint n_runs, const char *dir,
                      double threshold_pct, double alpha, GPtrArray **ret_files, GError **error)
{
    g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func((GDestroyNotify)report_run_free);
    g_autoptr(GPtrArray) compare = NULL;
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);

    if (n_runs < 1 || n_runs > 2) {
        g_set_error(error, STORE_ERROR, STORE_ERROR_INVALID,
                    "a report shows one run or compares two, not %u", n_runs);
        return FALSE;
    }
    for (guint i = 0; i < n_runs; i++) {
        report_run *r = NULL;
        if (!report_run_load(store, run_ids[i], &r, error))
            return FALSE;
        g_ptr_array_add(runs, r);
    }
    report_run *const *rv = (report_run *const *)runs->pdata;
    if (n_runs == 2 && !store_compare(store, rv[0]->run->id, rv[1]->run->id, threshold_pct, alpha,
                                      &compare, error))
        return FALSE;
    if (g_mkdir_with_parents(dir, 0755) < 0) {
        int e = errno;
        g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN, "cannot create directory '%s': %s", dir,
                    g_strerror(e));
        return FALSE;
    }

    g_autoptr(GPtrArray) charts = report_charts(rv, n_runs);
    for (guint i = 0; i < charts->len; i++) {
        const report_chart *c = g_ptr_array_index(charts, i);
        gsize len = 0;
        g_autofree char *svg = report_chart_svg(c, &len);
        g_autofree char *name = g_strdup_printf("%s.svg", c->id);
        if (!write_file(dir, name, svg, (gssize)len, files, error))
            return FALSE;
    }
    g_autofree char *csv = report_csv(rv, n_runs);
    g_autofree char *json = report_json(rv, n_runs, compare);
    g_autofree char *html = report_html(rv, n_runs, charts, compare, threshold_pct, alpha);
    /* index.html last: its presence means the rest is there */
    if (!write_file(dir, "results.csv", csv, -1, files, error) ||
        !write_file(dir, "results.json", json, -1, files, error) ||
        !write_file(dir, "index.html", html, -1, files, error))
        return FALSE;
    if (ret_files)
        *ret_files = g_steal_pointer(&files);
    return TRUE;
}
