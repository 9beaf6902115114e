/* SPDX-License-Identifier: MIT */
/* vexp report: the study's conclusions about virtio, e1000 and the host, checked against a run. */
#include <math.h>
#include <string.h>

#include "report-internal.h"

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
    g_autofree char *key = report_row_key(cell, test, dir, frame, metric);
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
    g_array_sort(a, report_cmp_uint);
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

/* virtio (a) against host (b) */
static void check_virtio_vs_host(const report_run *r, GHashTable *idx, guint v, guint h,
                                 report_finding *f)
{
    g_autoptr(GString) ev = g_string_new(NULL);
    double lo = INFINITY;
    gboolean all = TRUE;

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
}

/* e1000 (a) against virtio (b) */
static void check_e1000_out(const report_run *r, GHashTable *idx, guint e, guint v,
                            report_finding *f)
{
    g_autoptr(GString) ev = g_string_new(NULL);
    double mn, mx;

    g_autoptr(GString) ratios = g_string_new(NULL);
    gboolean ok = ratio_by_frame(r, idx, e, v, "out", ratios, &mn, &mx, NULL);
    g_string_append_printf(ev, "e1000 / virtio: %s", ratios->str);
    if (ok) {
        f->verdict = mx < REPORT_FAR_BELOW_RATIO ? REPORT_HOLDS : REPORT_DOES_NOT_HOLD;
        g_string_append_printf(ev, "; highest %.0f %%", mx * 100);
    }
    f->evidence = g_string_free(g_steal_pointer(&ev), FALSE);
}

/* e1000 (a) against virtio (b) */
static void check_e1000_in_large(const report_run *r, GHashTable *idx, guint e, guint v,
                                 report_finding *f)
{
    static const guint sizes[] = {1280, 1518};
    g_autoptr(GString) ev = g_string_new("e1000 / virtio, in:");
    gboolean all = TRUE, close = TRUE;

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
}

/* e1000 (a) against host (b) */
static void check_e1000_latency(const report_run *r, GHashTable *idx, guint e, guint h,
                                report_finding *f)
{
    g_autoptr(GString) ev = g_string_new(NULL);
    const char *tests[] = {"latency", "rtt"};
    const char *dirs[] = {"in", "out", "both"};
    double mx = -INFINITY;
    guint at_frame = 0, n = 0;
    const char *at_dir = NULL, *used = NULL;

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
        return;
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
}

/* e1000 (a) alone */
static void check_e1000_cpu(const report_run *r, GHashTable *idx, guint e, guint unused,
                            report_finding *f)
{
    g_autoptr(GString) ev = g_string_new(NULL);
    double mn = INFINITY;
    guint vcpus, n = 0;

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
        return;
    }
    g_string_append_printf(ev, "; lowest %.0f %%", mn);
    f->verdict = mn >= REPORT_SATURATED_PCT ? REPORT_HOLDS : REPORT_DOES_NOT_HOLD;
    f->evidence = g_string_free(g_steal_pointer(&ev), FALSE);
}

/* The study's five conclusions, in its order: what it found, how vexp
 * decides, the NIC models each needs (b NULL: one model) and the check
 * that gives the verdict from the first cell of each model. */
static const struct {
    const char *claim, *criterion;
    const char *nic_a, *nic_b;
    void (*check)(const report_run *r, GHashTable *idx, guint a, guint b, report_finding *f);
} study_findings[] = {
    {"virtio throughput is close to the bare host in both directions",
     "virtio reaches >= 90 % of the host's throughput (frames/s) at every frame size "
     "measured for both, in and out",
     "virtio", "host", check_virtio_vs_host},
    {"e1000 'out' throughput is far below virtio 'out'",
     "e1000 out reaches < 50 % of virtio out (frames/s) at every frame size measured for both",
     "e1000", "virtio", check_e1000_out},
    {"e1000 'in' throughput is close to virtio at 1280 and 1518 bytes",
     "e1000 in reaches >= 90 % of virtio in (frames/s) at both 1280 and 1518 bytes", "e1000",
     "virtio", check_e1000_in_large},
    {"e1000 latency is up to about twice the host's",
     "the largest ratio e1000 / host of the p50 latency (test 'latency' at the throughput "
     "rate; the idle 'rtt' test when no latency was measured) over frame sizes and "
     "directions lies in [1.5, 2.5]",
     "e1000", "host", check_e1000_latency},
    {"the guest's CPU is near 100 % on one vCPU for e1000 'out'",
     "guest CPU busy at the throughput rate, converted to one vCPU (% of all "
     "vCPUs x vCPUs), is >= 90 % at every frame size of e1000 out",
     "e1000", NULL, check_e1000_cpu},
};

GPtrArray *report_findings(const report_run *run)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)report_finding_free);
    g_autoptr(GHashTable) idx = report_index_rows(run);

    for (guint i = 0; i < G_N_ELEMENTS(study_findings); i++) {
        report_finding *f =
            finding_new(i + 1, study_findings[i].claim, study_findings[i].criterion);
        guint a = first_cell(run, study_findings[i].nic_a);
        guint b = study_findings[i].nic_b ? first_cell(run, study_findings[i].nic_b) : 0;
        if (a == G_MAXUINT || b == G_MAXUINT)
            f->evidence =
                g_strdup_printf("no %s cell in this run",
                                a == G_MAXUINT ? study_findings[i].nic_a : study_findings[i].nic_b);
        else
            study_findings[i].check(run, idx, a, b, f);
        g_ptr_array_add(out, f);
    }
    return out;
}
