/* SPDX-License-Identifier: MIT */
/* vexp report: the HTML page (libxml2 HTML tree). */
#include <libxml/HTMLtree.h>
#include <libxml/tree.h>
#include <math.h>
#include <string.h>

#include "report-internal.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)

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
