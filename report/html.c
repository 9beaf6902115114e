/* SPDX-License-Identifier: MIT */
/* vexp report: the HTML page (libxml2 HTML tree). */
#include <libxml/HTMLtree.h>
#include <libxml/tree.h>
#include <math.h>
#include <string.h>

#include "numfmt.h"
#include "report-internal.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)

/* ---- HTML ---------------------------------------------------------- */

static const char page_css[] =
    "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;margin:24px auto;"
    "max-width:1180px;color:#1a1a1a;line-height:1.4}"
    "h1{font-size:1.6em;margin-bottom:4px}h2{margin-top:1.8em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;margin:8px 0;font-size:0.9em;max-width:100%}"
    "td.num{white-space:nowrap}td.key{word-break:break-all;font-family:monospace;font-size:0.85em}"
    ".numbers{overflow-x:auto}.numbers table{font-size:0.8em}.numbers "
    "td:first-child{min-width:13em}"
    "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}"
    "th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "code{font-size:0.92em}.tcg{background:#fff0f0;border:2px solid #b00000;padding:8px 12px;"
    "color:#800000;font-weight:bold}.holds{background:#e6f4ea}"
    ".does-not-hold{background:#fde8e8}.not-measured{background:#f2f2f2;color:#555}"
    ".worse{background:#fde8e8}.better{background:#e6f4ea}"
    ".failed,.interrupted,.running{background:#fff4e0}"
    ".figure{margin:20px 0}.figure img{max-width:100%;border:1px solid #ddd}"
    ".caption{font-size:0.85em;color:#444;margin-top:2px}"
    ".quick{background:#fff8d6;border:1px solid #c9a400;padding:6px 10px}"
    "pre.matrix{background:#f7f7f7;border:1px solid #ddd;padding:8px;font-size:0.85em;"
    "white-space:pre-wrap}td.bimodal{background:#fff0c0}.same-star{background:#fff8d6}"
    "details{margin:2px 0}summary{cursor:pointer}"
    /* a readable PDF: no width cap, charts whole on a page, table headers repeated */
    "@media print{body{max-width:none;margin:0;font-size:9pt}a{color:inherit;"
    "text-decoration:none}h2{break-after:avoid}.figure{break-inside:avoid}"
    ".figure img{max-width:100%;border:none}tr{break-inside:avoid}thead{display:table-header-group}"
    "details:not([open]){display:none}.tcg{border-width:1px}}";

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
        /* the 64-digit key breaks anywhere, the words do not */
        xmlNodePtr key_td = xmlFirstElementChild(tr);
        for (guint k = 0; key_td && k < 3; k++)
            key_td = xmlNextElementSibling(key_td);
        if (key_td)
            h_class(key_td, "key");
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

static char *num_or_dash(double v, const char *unit)
{
    if (!isfinite(v))
        return g_strdup("\u2013");
    g_autofree char *n = numfmt_number(v, NUMFMT_SIG, TRUE);
    /* "60.00 s" reads worse than "60 s": trim zeros after the point */
    if (strchr(n, '.')) {
        char *e = n + strlen(n) - 1;
        while (*e == '0')
            *e-- = '\0';
        if (*e == '.')
            *e = '\0';
    }
    return g_strdup_printf("%s%s%s", n, unit ? " " : "", unit ? unit : "");
}

/* The settings the figures were measured with, and the matrix as run. */
static void html_settings(xmlNodePtr body, const report_run *r)
{
    const store_run_traffic *t = &r->run->traffic;
    g_autofree char *title = run_title(r);
    g_autofree char *h = g_strdup_printf("Settings: %s", title);
    g_autofree char *trial = num_or_dash(t->trial_s, "s");
    g_autofree char *res = num_or_dash(t->resolution_pct, "%");
    g_autofree char *exceed = num_or_dash(t->exceed_pct, "%");
    g_autofree char *dsum = num_or_dash(t->duration_sum_s, "s");
    g_autofree char *line = num_or_dash(t->line_rate_mbps, "Mbit/s (wire)");
    g_autofree char *reps =
        t->repetitions ? g_strdup_printf("%u", t->repetitions) : g_strdup("\u2013");
    g_autofree char *versions =
        g_strdup_printf("vexp %s, libvirt %s, QEMU %s", or_dash(r->run->vexp_version),
                        or_dash(r->run->libvirt_version), or_dash(r->run->qemu_version));

    h_el(body, "h2", h);
    /* a quick look is not a study: say so where the figures are read */
    if ((isfinite(t->trial_s) && t->trial_s < 10) ||
        (isfinite(t->resolution_pct) && t->resolution_pct > 2)) {
        g_autofree char *msg = g_strdup_printf(
            "A quick look: final trials of %s and a search resolution of %s. The study used "
            "60 s trials; short trials and a coarse resolution give wider spreads and figures "
            "up to the resolution below the true throughput.",
            trial, res);
        h_class(h_el(body, "p", msg), "quick");
    }
    xmlNodePtr tb = h_el(body, "table", NULL);
    const char *rows[][2] = {
        {"search method", or_dash(t->method)},
        {"goals (name:loss %)", or_dash(t->goals)},
        {"goal exceed ratio", exceed},
        {"goal duration sum", dsum},
        {"final trial length", trial},
        {"resolution (goal width)", res},
        {"repetitions", reps},
        {"line rate", line},
        {"accelerator", or_dash(r->run->accel)},
        {"versions", versions},
        {"other settings (waits, frame sizes, directions)", "in the matrix below"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
        xmlNodePtr tr = h_el(tb, "tr", NULL);
        h_el(tr, "th", rows[i][0]);
        h_el(tr, "td", rows[i][1]);
    }
    if (r->matrix_text) {
        xmlNodePtr d = h_el(body, "details", NULL);
        h_el(d, "summary", "the matrix file as run");
        h_class(h_el(d, "pre", r->matrix_text), "matrix");
    }
}

/* CSIT-style table: per cell, frame size and direction, NDR and PDR side
 * by side with their spread, then latency at load, loss at max and CPU. */
static const struct {
    const char *test, *metric, *head;
} number_cols[] = {
    {"throughput", "throughput_ndr_fps", "NDR frames/s"},
    {"throughput", "throughput_ndr_mbps_l2", "NDR Mbit/s L2"},
    {"throughput", "throughput_pdr_fps", "PDR frames/s"},
    {"throughput", "throughput_pdr_mbps_l2", "PDR Mbit/s L2"},
    {"throughput", "throughput_fps", "frames/s (first goal)"},
    {"latency", "rtt_p50_us", "latency p50 \u00b5s"},
    {"latency", "rtt_p99_us", "latency p99 \u00b5s"},
    {"loss", "loss_pct_at_max", "loss at max %"},
    {"throughput", "dut_cpu_pct", "guest CPU %"},
};

static void html_numbers(xmlNodePtr body, const report_run *r)
{
    g_autoptr(GHashTable) idx = report_index_rows(r);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) keys = g_ptr_array_new(); /* store_result_row *: one per figure row */
    gboolean present[G_N_ELEMENTS(number_cols)] = {FALSE};
    gboolean goals = FALSE;

    for (guint i = 0; i < r->results->len; i++) {
        const store_result_row *row = g_ptr_array_index(r->results, i);
        for (guint k = 0; k < G_N_ELEMENTS(number_cols); k++)
            if (!strcmp(row->test, number_cols[k].test) &&
                !strcmp(row->metric, number_cols[k].metric))
                present[k] = TRUE;
        if (strcmp(row->test, "throughput") && strcmp(row->test, "latency") &&
            strcmp(row->test, "loss"))
            continue;
        g_autofree char *k =
            g_strdup_printf("%u\t%s\t%u", row->cell_index, row->direction, row->frame_size);
        if (g_hash_table_add(seen, g_steal_pointer(&k)))
            g_ptr_array_add(keys, (gpointer)row);
    }
    goals = present[0] || present[2];
    g_autofree char *title = run_title(r);
    g_autofree char *h = g_strdup_printf("Numbers: %s", title);
    h_el(body, "h2", h);
    if (keys->len == 0) {
        h_el(body, "p", "No figures stored for this run.");
        return;
    }
    h_el(body, "p",
         "Each figure: mean \u00b1 standard deviation (repetitions), cv = coefficient of "
         "variation; !2 (highlighted) = the repetitions fall into two bands further apart than "
         "their own spread, so the mean describes neither. NDR: no loss; PDR: loss within the "
         "PDR goal (Settings); both RFC 9971 conditional throughput.");
    xmlNodePtr wrap = h_el(body, "div", NULL);
    h_class(wrap, "numbers");
    xmlNodePtr t = h_el(wrap, "table", NULL);
    xmlNodePtr thead = h_el(t, "thead", NULL);
    xmlNodePtr hr = h_el(thead, "tr", NULL);
    h_el(hr, "th", "cell");
    h_el(hr, "th", "frame");
    h_el(hr, "th", "dir");
    for (guint k = 0; k < G_N_ELEMENTS(number_cols); k++)
        if (present[k] && !(k == 4 && goals)) /* the first goal repeats NDR or PDR */
            h_el(hr, "th", number_cols[k].head);
    xmlNodePtr tbody = h_el(t, "tbody", NULL);
    for (guint i = 0; i < keys->len; i++) {
        const store_result_row *key = g_ptr_array_index(keys, i);
        xmlNodePtr tr = h_el(tbody, "tr", NULL);
        char frame[16];
        g_snprintf(frame, sizeof(frame), "%u", key->frame_size);
        h_el(tr, "td", key->label);
        h_class(h_el(tr, "td", frame), "num");
        h_el(tr, "td", key->direction);
        for (guint k = 0; k < G_N_ELEMENTS(number_cols); k++) {
            if (!present[k] || (k == 4 && goals))
                continue;
            g_autofree char *rk =
                report_row_key(key->cell_index, number_cols[k].test, key->direction,
                               key->frame_size, number_cols[k].metric);
            const store_result_row *row = g_hash_table_lookup(idx, rk);
            g_autofree char *v = row ? numfmt_figure(row->mean, row->stddev, row->n, row->cov_pct,
                                                     row->bimodal, NUMFMT_HTML)
                                     : g_strdup("\u2013");
            xmlNodePtr td = h_el(tr, "td", v);
            h_class(td, row && row->bimodal ? "num bimodal" : "num");
        }
    }
}

/* Every trial of each throughput figure, folded: how the search got there. */
static void html_traces(xmlNodePtr body, const report_run *r)
{
    if (r->search_trials->len == 0)
        return;
    g_autofree char *title = run_title(r);
    g_autofree char *h = g_strdup_printf("Search traces: %s", title);
    h_el(body, "h2", h);
    h_el(body, "p",
         "The trials of each throughput search in order: intended load, how long it ran, "
         "frames sent and received, loss, and the step's verdict (also: vexp results --trials).");
    xmlNodePtr tb = NULL;
    char last[128] = "";
    guint n = 0;
    xmlNodePtr summary = NULL;
    g_autofree char *cell_label = NULL;
    const char *last_dir = NULL;
    guint last_frame = 0;
    for (guint i = 0; i <= r->search_trials->len; i++) {
        const store_trial_row *t =
            i < r->search_trials->len ? g_ptr_array_index(r->search_trials, i) : NULL;
        char group[128] = "";
        if (t)
            g_snprintf(group, sizeof(group), "%u\t%s\t%u", t->cell_index, t->direction,
                       t->frame_size);
        if (summary && (!t || strcmp(group, last))) {
            g_autofree char *text = g_strdup_printf("%s, %s, %u B: %u trial%s", cell_label,
                                                    last_dir, last_frame, n, n == 1 ? "" : "s");
            xmlNodeAddContent(summary, BAD_CAST text);
            summary = NULL;
        }
        if (!t)
            break;
        if (strcmp(group, last)) {
            g_strlcpy(last, group, sizeof(last));
            last_dir = t->direction;
            last_frame = t->frame_size;
            n = 0;
            g_free(cell_label);
            cell_label = NULL;
            for (guint c = 0; c < r->cells->len && !cell_label; c++) {
                const store_cell_row *cr = g_ptr_array_index(r->cells, c);
                if (cr->cell_index == t->cell_index)
                    cell_label = g_strdup(cr->label);
            }
            if (!cell_label)
                cell_label = g_strdup_printf("cell %u", t->cell_index);
            xmlNodePtr d = h_el(body, "details", NULL);
            summary = h_el(d, "summary", NULL);
            tb = h_el(d, "table", NULL);
            const char *head[] = {"rep",    "step",   "intended frames/s", "s", "tx", "rx",
                                  "loss %", "verdict"};
            h_row(tb, head, G_N_ELEMENTS(head), TRUE);
        }
        n++;
        char rep[16], step[16];
        g_snprintf(rep, sizeof(rep), "%u", t->repetition);
        g_snprintf(step, sizeof(step), "%u", t->step);
        g_autofree char *off = numfmt_number(t->offered_fps, NUMFMT_SIG, TRUE);
        g_autofree char *dur = num_or_dash(t->duration_s, NULL);
        g_autofree char *tx = numfmt_count(t->tx);
        g_autofree char *rx = numfmt_count(t->rx);
        g_autofree char *loss = numfmt_number(t->loss_pct, 3, FALSE);
        const char *cells[] = {
            rep, step, off,  dur,
            tx,  rx,   loss, !t->valid ? "not valid" : t->passed ? "pass" : "fail"};
        h_row(tb, cells, G_N_ELEMENTS(cells), FALSE);
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

static void fmt_side(char *buf, size_t len, guint n, double mean, double sd)
{
    g_autofree char *f = numfmt_figure(mean, sd, n, NAN, FALSE, NUMFMT_HTML);
    g_strlcpy(buf, f, len);
}

/* The CLI's same*: beyond the threshold but not significant (few repetitions) */
static gboolean same_star(const store_compare_row *c, double threshold_pct, double alpha)
{
    return c->verdict == STORE_VERDICT_SAME && isfinite(c->delta_pct) &&
           fabs(c->delta_pct) > threshold_pct && isfinite(c->p) && c->p >= alpha;
}

static void html_differences(xmlNodePtr body, report_run *const *runs, GPtrArray *rows,
                             double threshold_pct, double alpha)
{
    guint counts[5] = {0}, unsure = 0, unsure_min_n = G_MAXUINT;

    h_el(body, "h2", "Significant differences");
    for (guint i = 0; i < rows->len; i++) {
        const store_compare_row *c = g_ptr_array_index(rows, i);
        if ((guint)c->verdict < G_N_ELEMENTS(counts))
            counts[c->verdict]++;
        if (same_star(c, threshold_pct, alpha)) {
            unsure++;
            unsure_min_n = MIN(unsure_min_n, MIN(c->n_a, c->n_b));
        }
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
    if (unsure) {
        g_autofree char *note = g_strdup_printf(
            "same* (%u figure(s), in the table below): changed by more than %g %% but not "
            "significantly (p \u2265 %g); the fewest repetitions on a side is %u%s",
            unsure, threshold_pct, alpha, unsure_min_n,
            unsure_min_n <= 2 ? ": with 2, Welch's test has about one degree of freedom and "
                                "misses even large changes; gate on repetitions \u2265 3"
                              : ".");
        h_class(h_el(body, "p", note), "same-star");
    }
    if (counts[STORE_VERDICT_WORSE] + counts[STORE_VERDICT_BETTER] + unsure == 0) {
        h_el(body, "p", "No significant difference.");
        return;
    }
    xmlNodePtr t = h_el(body, "table", NULL);
    const char *head[] = {"cell",     "test",      "dir",    "frame", "metric",
                          "baseline", "candidate", "change", "p",     "verdict"};
    h_row(t, head, G_N_ELEMENTS(head), TRUE);
    for (guint i = 0; i < rows->len; i++) {
        const store_compare_row *c = g_ptr_array_index(rows, i);
        gboolean star = same_star(c, threshold_pct, alpha);
        if (c->verdict != STORE_VERDICT_WORSE && c->verdict != STORE_VERDICT_BETTER && !star)
            continue;
        char frame[16], sa[64], sb[64], delta[24], p[24];
        g_snprintf(frame, sizeof(frame), "%u", c->frame_size);
        fmt_side(sa, sizeof(sa), c->n_a, c->mean_a, c->stddev_a);
        fmt_side(sb, sizeof(sb), c->n_b, c->mean_b, c->stddev_b);
        {
            g_autofree char *dp = numfmt_delta_pct(c->delta_pct);
            g_strlcpy(delta, dp, sizeof(delta));
        }
        if (isfinite(c->p))
            g_snprintf(p, sizeof(p), "%.3g", c->p);
        else
            g_snprintf(p, sizeof(p), c->threshold_only ? "n = 1" : "\u2013");
        const char *cells[] = {c->label,
                               c->test,
                               c->direction,
                               frame,
                               c->metric,
                               sa,
                               sb,
                               delta,
                               p,
                               star ? "same*" : store_verdict_name(c->verdict)};
        h_class(h_row(t, cells, G_N_ELEMENTS(cells), FALSE),
                star ? "same-star" : store_verdict_name(c->verdict));
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

    for (guint i = 0; i < n_runs; i++) {
        html_provenance(body, runs[i]);
        html_settings(body, runs[i]);
    }
    for (guint i = 0; i < n_runs; i++)
        html_numbers(body, runs[i]);
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

    for (guint i = 0; i < n_runs; i++)
        html_traces(body, runs[i]);

    xmlChar *mem = NULL;
    int len = 0;
    htmlDocDumpMemoryFormat(doc, &mem, &len, 1);
    char *out = g_strndup((const char *)mem, len);
    xmlFree(mem);
    return out;
}
