/* SPDX-License-Identifier: MIT */
/* vexp report: chart data from runs: series per cell, panels per direction, loss curves. */
#include <math.h>
#include <string.h>

#include "report-internal.h"

/* ---- series naming, colours, markers ------------------------------ */

/* colour by NIC family (virtio-transitional is virtio, e1000e is e1000) */
static const struct {
    const char *prefix, *color;
} nic_colors[] = {
    /* Okabe-Ito: distinguishable with the common colour-vision deficiencies */
    {"host", "#000000"},    {"virtio", "#0072B2"}, {"e1000", "#D55E00"}, {"rtl8139", "#009E73"},
    {"vmxnet3", "#CC79A7"}, {"ne2k", "#E69F00"},   {"pcnet", "#56B4E9"},
};
static const char *const spare_colors[] = {"#882255", "#999933", "#44AA99", "#332288"};
#define THEORY_COLOR "#7f7f7f"
/* dash patterns of a family's cells; with 4 markers, 12 cells of one family stay apart */
static const char *const family_dashes[] = {NULL, "6,3", "2,2"};

static const char *nic_color(const char *nic, guint *ret_family)
{
    for (guint i = 0; i < G_N_ELEMENTS(nic_colors); i++)
        if (nic && g_str_has_prefix(nic, nic_colors[i].prefix)) {
            *ret_family = i;
            return nic_colors[i].color;
        }
    /* unknown models: a colour each, by name */
    guint h = nic ? g_str_hash(nic) : 0;
    *ret_family = G_N_ELEMENTS(nic_colors) + h % G_N_ELEMENTS(spare_colors);
    return spare_colors[h % G_N_ELEMENTS(spare_colors)];
}

typedef struct series_key {
    guint cell_index;
    const char *nic;
    char *name;        /* the cell label, without the run suffix */
    const char *color; /* the family's */
    report_marker marker;
    const char *dash;
} series_key;

static void series_key_clear(series_key *k)
{
    g_free(k->name);
}

/* The cells of a run that become series, in cell order: from the cells list,
 * or from the result rows when the list is empty (hand-built runs).  The
 * k-th cell of a NIC family gets marker k mod 4 and dash k mod 3. */
static GArray *run_series_keys(const report_run *r)
{
    GArray *keys = g_array_new(FALSE, TRUE, sizeof(series_key));
    g_array_set_clear_func(keys, (GDestroyNotify)series_key_clear);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_autoptr(GHashTable) family_count = g_hash_table_new(g_direct_hash, g_direct_equal);

    for (guint pass = 0; pass < 2; pass++) {
        GPtrArray *src = pass == 0 ? r->cells : r->results;
        for (guint i = 0; i < src->len; i++) {
            guint cell;
            const char *nic, *label;
            if (pass == 0) {
                const store_cell_row *c = g_ptr_array_index(src, i);
                cell = c->cell_index, nic = c->nic, label = c->label;
            } else {
                const store_result_row *row = g_ptr_array_index(src, i);
                cell = row->cell_index, nic = row->nic, label = row->label;
            }
            if (!g_hash_table_add(seen, GUINT_TO_POINTER(cell + 1)))
                continue;
            series_key k = {cell, nic, NULL, NULL, 0, NULL};
            guint family = 0;
            k.color = nic_color(nic, &family);
            guint nth =
                GPOINTER_TO_UINT(g_hash_table_lookup(family_count, GUINT_TO_POINTER(family)));
            g_hash_table_insert(family_count, GUINT_TO_POINTER(family), GUINT_TO_POINTER(nth + 1));
            k.marker = (report_marker)(nth % REPORT_N_MARKERS);
            k.dash = family_dashes[nth % G_N_ELEMENTS(family_dashes)];
            k.name = label && *label ? g_strdup(label)
                     : nic           ? g_strdup_printf("cell %u: %s", cell, nic)
                                     : g_strdup_printf("cell %u", cell);
            g_array_append_val(keys, k);
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
    s->marker = REPORT_MARKER_CIRCLE;
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

/* A cell's series: run B (ri 1) dotted with hollow markers */
static report_series *cell_series(const series_key *sk, const report_run *r, guint n_runs, guint ri)
{
    report_series *s = series_new(series_name(sk->name, r, n_runs), sk->color,
                                  ri == 0 ? REPORT_STYLE_SOLID : REPORT_STYLE_DOTTED);
    s->marker = sk->marker;
    s->dash = ri == 0 ? sk->dash : "2,3";
    return s;
}

/* The whisker cut at what is physically possible: never below 0, never above
 * limit (NAN: no upper limit). */
static void clamp_point(report_point *pt, double limit)
{
    if (isfinite(pt->lo) && pt->lo < 0) {
        pt->lo = 0;
        pt->lo_clamped = TRUE;
    }
    if (isfinite(pt->hi) && isfinite(limit) && pt->hi > limit) {
        pt->hi = MAX(limit, pt->y);
        pt->hi_clamped = TRUE;
    }
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
gint report_cmp_uint(gconstpointer a, gconstpointer b)
{
    guint x = *(const guint *)a, y = *(const guint *)b;
    return x < y ? -1 : x > y;
}

static int direction_rank(const char *d)
{
    return !strcmp(d, "in") ? 0 : !strcmp(d, "out") ? 1 : !strcmp(d, "both") ? 2 : 3;
}

gint report_cmp_direction(gconstpointer a, gconstpointer b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    int d = direction_rank(x) - direction_rank(y);
    return d ? d : strcmp(x, y);
}

char *report_row_key(guint cell, const char *test, const char *dir, guint frame, const char *metric)
{
    return g_strdup_printf("%u\t%s\t%s\t%u\t%s", cell, test, dir, frame, metric);
}

/* (cell, test, direction, frame, metric) -> row; rows are borrowed */
GHashTable *report_index_rows(const report_run *r)
{
    GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; i < r->results->len; i++) {
        store_result_row *row = g_ptr_array_index(r->results, i);
        g_hash_table_insert(h,
                            report_row_key(row->cell_index, row->test, row->direction,
                                           row->frame_size, row->metric),
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
    g_array_sort(frames, report_cmp_uint);
    g_ptr_array_sort(dirs, report_cmp_direction);

    report_chart *c = chart_new(spec->id, spec->title, "frame size, bytes (L2, FCS included)",
                                spec->y_label, runs, n_runs);
    c->x_categories = TRUE;
    for (guint i = 0; i < frames->len; i++)
        g_ptr_array_add(c->categories, g_strdup_printf("%u", g_array_index(frames, guint, i)));
    if (spec->whisker)
        c->note = g_strdup("marker: p50 (mean over the repetitions); whisker: up to p99");
    else
        c->note = g_strdup("marker: mean over the repetitions; whiskers: 95 % confidence "
                           "interval of the mean (none where n = 1)");
    if (!spec->whisker) {
        char *n = g_strconcat(c->note,
                              spec->clamp == REPORT_CLAMP_THEORY ? ", cut at 0 and at the line's "
                                                                   "maximum"
                              : spec->clamp == REPORT_CLAMP_PCT  ? ", cut at 0 and 100 %"
                              : spec->clamp == REPORT_CLAMP_PCT_VCPUS
                                  ? ", cut at 0 and 100 % per QEMU thread (vCPUs + 1)"
                                  : ", cut at 0",
                              "; an end without a cap is cut there or at the plot's edge", NULL);
        g_free(c->note);
        c->note = n;
    }
    c->log_y = spec->yscale == REPORT_Y_LOG;

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
            g_autoptr(GHashTable) idx = report_index_rows(r);
            g_autoptr(GArray) keys = run_series_keys(r);
            for (guint k = 0; k < keys->len; k++) {
                const series_key *sk = &g_array_index(keys, series_key, k);
                report_series *s = cell_series(sk, r, n_runs, ri);
                double vcpus = GPOINTER_TO_UINT(
                    g_hash_table_lookup(r->vcpus, GUINT_TO_POINTER(sk->cell_index)));
                for (guint fi = 0; fi < frames->len; fi++) {
                    guint f = g_array_index(frames, guint, fi);
                    g_autofree char *key =
                        report_row_key(sk->cell_index, spec->test, dir, f, spec->metric);
                    const store_result_row *row = g_hash_table_lookup(idx, key);
                    report_point pt = {fi, NAN, NAN, NAN, 0, FALSE, FALSE};
                    if (row && isfinite(row->mean)) {
                        pt.y = row->mean * factor;
                        pt.n = row->n;
                        if (spec->whisker) {
                            g_autofree char *wk =
                                report_row_key(sk->cell_index, spec->test, dir, f, spec->whisker);
                            const store_result_row *w = g_hash_table_lookup(idx, wk);
                            if (w && isfinite(w->mean))
                                pt.lo = pt.y, pt.hi = w->mean * factor;
                        } else if (isfinite(row->ci95_low) && isfinite(row->ci95_high)) {
                            pt.lo = row->ci95_low * factor;
                            pt.hi = row->ci95_high * factor;
                        }
                        double limit = NAN;
                        if (spec->clamp == REPORT_CLAMP_THEORY && isfinite(line))
                            limit = (spec->theory == REPORT_THEORY_MBPS_L2
                                         ? report_line_mbps_l2(line, f)
                                         : report_line_fps(line, f)) *
                                    factor;
                        else if (spec->clamp == REPORT_CLAMP_PCT)
                            limit = 100;
                        else if (spec->clamp == REPORT_CLAMP_PCT_VCPUS && vcpus > 0)
                            limit = 100 * (vcpus + 1);
                        clamp_point(&pt, limit);
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
                report_point pt = {fi, NAN, NAN, NAN, 0, FALSE, FALSE};
                pt.y = (spec->theory == REPORT_THEORY_FPS ? report_line_fps(line, f)
                                                          : report_line_mbps_l2(line, f)) *
                       factor;
                g_array_append_val(s->points, pt);
            }
            g_ptr_array_add(panel->series, s);
        }
    }
    if (spec->yscale == REPORT_Y_AUTO) {
        /* frames/s from 64 B on a host to 1518 B under TCG span decades */
        double lo = INFINITY, hi = 0;
        for (guint p = 0; p < c->panels->len; p++) {
            const report_panel *panel = g_ptr_array_index(c->panels, p);
            for (guint k = 0; k < panel->series->len; k++) {
                const report_series *se = g_ptr_array_index(panel->series, k);
                for (guint i = 0; se->style != REPORT_STYLE_DASHED && i < se->points->len; i++) {
                    double y = g_array_index(se->points, report_point, i).y;
                    if (isfinite(y) && y > 0)
                        lo = MIN(lo, y), hi = MAX(hi, y);
                }
            }
        }
        c->log_y = hi > 100 * lo;
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
    g_ptr_array_sort(dirs, report_cmp_direction);

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
                report_series *s = cell_series(sk, r, n_runs, ri);
                /* steps go down in load: append in reverse for x ascending */
                for (guint j = steps->len; j-- > 0;) {
                    loss_acc *a = g_ptr_array_index(steps, j);
                    if (a->pct->len == 0)
                        continue;
                    store_summary loss =
                        store_summarise((const double *)(void *)a->loss->data, a->loss->len);
                    store_summary pct =
                        store_summarise((const double *)(void *)a->pct->data, a->pct->len);
                    double half = loss.ci95_half;
                    report_point pt;
                    pt.x = pct.mean;
                    pt.y = loss.mean;
                    pt.lo = isfinite(half) ? pt.y - half : NAN;
                    pt.hi = isfinite(half) ? pt.y + half : NAN;
                    pt.n = a->loss->len;
                    pt.lo_clamped = pt.hi_clamped = FALSE;
                    clamp_point(&pt, 100);
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
    {"throughput-ndr-fps", "Throughput NDR (no loss, RFC 9971), frame rate", "throughput",
     "throughput_ndr_fps", NULL, "NDR, frames/s", 0, REPORT_THEORY_FPS, REPORT_CLAMP_THEORY,
     REPORT_Y_AUTO, FALSE},
    {"throughput-pdr-fps", "Throughput PDR (loss within the PDR goal, RFC 9971), frame rate",
     "throughput", "throughput_pdr_fps", NULL, "PDR, frames/s", 0, REPORT_THEORY_FPS,
     REPORT_CLAMP_THEORY, REPORT_Y_AUTO, FALSE},
    {"throughput-ndr-mbps", "Throughput NDR, L2 bit rate", "throughput", "throughput_ndr_mbps_l2",
     NULL, "NDR, Mbit/s (L2, frame bytes)", 0, REPORT_THEORY_MBPS_L2, REPORT_CLAMP_THEORY,
     REPORT_Y_LINEAR, FALSE},
    {"throughput-pdr-mbps", "Throughput PDR, L2 bit rate", "throughput", "throughput_pdr_mbps_l2",
     NULL, "PDR, Mbit/s (L2, frame bytes)", 0, REPORT_THEORY_MBPS_L2, REPORT_CLAMP_THEORY,
     REPORT_Y_LINEAR, FALSE},
    /* runs without goals (before schema v4, or a one-goal search) */
    {"throughput-mbps", "Throughput (RFC 2544), L2 bit rate", "throughput",
     STORE_METRIC_THROUGHPUT_MBPS_L2, NULL, "throughput, Mbit/s (L2, frame bytes)", 0,
     REPORT_THEORY_MBPS_L2, REPORT_CLAMP_THEORY, REPORT_Y_LINEAR, TRUE},
    {"throughput-fps", "Throughput (RFC 2544), frame rate", "throughput",
     STORE_METRIC_THROUGHPUT_FPS, NULL, "throughput, frames/s", 0, REPORT_THEORY_FPS,
     REPORT_CLAMP_THEORY, REPORT_Y_AUTO, TRUE},
    {"cpu-guest", "Guest (DUT) CPU at the throughput rate", "throughput", STORE_METRIC_DUT_CPU_PCT,
     NULL, "guest CPU busy, % of all vCPUs", 0, REPORT_THEORY_NONE, REPORT_CLAMP_PCT,
     REPORT_Y_LINEAR, FALSE},
    {"cpu-qemu", "QEMU process CPU on the host at the throughput rate", "throughput",
     STORE_METRIC_HOST_CPU_PCT, NULL, "QEMU CPU, % of one host CPU", 0, REPORT_THEORY_NONE,
     REPORT_CLAMP_PCT_VCPUS, REPORT_Y_LINEAR, FALSE},
    {"loss-at-max", "Frame loss at 100 % of the maximum rate", "loss", STORE_METRIC_LOSS_PCT_AT_MAX,
     NULL, "frames lost, %", 0, REPORT_THEORY_NONE, REPORT_CLAMP_PCT, REPORT_Y_LINEAR, FALSE},
    {"latency", "Latency at the throughput rate (round trip)", "latency", STORE_METRIC_RTT_P50_US,
     STORE_METRIC_RTT_P99_US, "round-trip time, \u00b5s (log scale)", 0, REPORT_THEORY_NONE,
     REPORT_CLAMP_NONE, REPORT_Y_LOG, FALSE},
    {"rtt-idle", "Idle round-trip time", "rtt", STORE_METRIC_RTT_P50_US, STORE_METRIC_RTT_P99_US,
     "round-trip time, \u00b5s (log scale)", 0, REPORT_THEORY_NONE, REPORT_CLAMP_NONE, REPORT_Y_LOG,
     FALSE},
    {"b2b-frames", "Back-to-back: longest loss-free burst", "b2b", STORE_METRIC_B2B_FRAMES, NULL,
     "burst, frames", 0, REPORT_THEORY_NONE, REPORT_CLAMP_NONE, REPORT_Y_LINEAR, FALSE},
    {"b2b-buffer", "Back-to-back: buffer time (RFC 9004, corrected)", "b2b",
     "b2b_corrected_buffer_s", NULL, "buffer time, ms", 1000, REPORT_THEORY_NONE, REPORT_CLAMP_NONE,
     REPORT_Y_LINEAR, FALSE},
};

GPtrArray *report_charts(report_run *const *runs, guint n_runs)
{
    GPtrArray *charts = g_ptr_array_new_with_free_func((GDestroyNotify)report_chart_free);
    g_autoptr(GArray) frames = g_array_new(FALSE, FALSE, sizeof(guint));
    g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);

    gboolean goals = FALSE;

    for (guint i = 0; i < G_N_ELEMENTS(chart_specs); i++) {
        /* the headline figure repeats the first goal's: drawn only without goals */
        if (chart_specs[i].headline && goals)
            continue;
        report_chart *c = report_chart_metric(runs, n_runs, &chart_specs[i]);
        if (c) {
            g_ptr_array_add(charts, c);
            goals |= g_str_has_prefix(c->id, "throughput-ndr") ||
                     g_str_has_prefix(c->id, "throughput-pdr");
        }
        if (!strcmp(chart_specs[i].id, "loss-at-max")) {
            /* the loss curves follow the loss at the maximum rate */
            for (guint ri = 0; ri < n_runs; ri++)
                for (guint j = 0; j < runs[ri]->loss_trials->len; j++) {
                    const report_loss_trial *t = g_ptr_array_index(runs[ri]->loss_trials, j);
                    if (g_hash_table_add(seen, GUINT_TO_POINTER(t->frame_size)))
                        g_array_append_val(frames, t->frame_size);
                }
            g_array_sort(frames, report_cmp_uint);
            for (guint j = 0; j < frames->len; j++)
                if ((c = report_chart_loss_curve(runs, n_runs, g_array_index(frames, guint, j))))
                    g_ptr_array_add(charts, c);
        }
    }
    return charts;
}
