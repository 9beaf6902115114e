/* SPDX-License-Identifier: MIT */
/* vexp regress's verdict for machines: JSON (every figure) and JUnit XML (CI test reports). */
#include "vexp-config.h"

#include <math.h>
#include <string.h>

#include "verdict.h"

static void json_str(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
        if (*c == '"' || *c == '\\')
            g_string_append_printf(out, "\\%c", *c);
        else if (*c < 0x20)
            g_string_append_printf(out, "\\u%04x", *c);
        else
            g_string_append_c(out, (char)*c);
    }
    g_string_append_c(out, '"');
}

/* non-finite -> null (JSON has no NaN or infinity) */
static void json_num(GString *out, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];

    if (isfinite(v))
        g_string_append(out, g_ascii_formatd(buf, sizeof(buf), "%.10g", v));
    else
        g_string_append(out, "null");
}

static void json_run(GString *out, const store_run *run)
{
    g_string_append_printf(out, "{\"id\": %" G_GINT64_FORMAT ", \"name\": ", run->id);
    json_str(out, run->name);
    g_string_append(out, ", \"started_at\": ");
    json_str(out, run->started_at);
    g_string_append(out, ", \"status\": ");
    json_str(out, run->status);
    g_string_append(out, "}");
}

static void json_side(GString *out, guint n, double mean, double sd, double cov, gboolean bimodal)
{
    if (n == 0) {
        g_string_append(out, "null");
        return;
    }
    g_string_append_printf(out, "{\"n\": %u, \"mean\": ", n);
    json_num(out, mean);
    g_string_append(out, ", \"stddev\": ");
    json_num(out, sd);
    g_string_append(out, ", \"cov_pct\": ");
    json_num(out, cov);
    g_string_append_printf(out, ", \"bimodal\": %s}", bimodal ? "true" : "false");
}

static void json_figure(GString *out, const store_compare_row *r)
{
    g_string_append(out, "    {\"cell\": ");
    json_str(out, r->label);
    g_string_append(out, ", \"config_key\": ");
    json_str(out, r->config_key);
    g_string_append(out, ", \"test\": ");
    json_str(out, r->test);
    g_string_append(out, ", \"direction\": ");
    json_str(out, r->direction);
    g_string_append_printf(out, ", \"frame_size\": %u, \"metric\": ", r->frame_size);
    json_str(out, r->metric);
    g_string_append(out, ", \"unit\": ");
    json_str(out, r->unit);
    g_string_append_printf(out, ", \"higher_is_better\": %s,\n     \"baseline\": ",
                           r->higher_is_better ? "true" : "false");
    json_side(out, r->n_a, r->mean_a, r->stddev_a, r->cov_a, r->bimodal_a);
    g_string_append(out, ",\n     \"candidate\": ");
    json_side(out, r->n_b, r->mean_b, r->stddev_b, r->cov_b, r->bimodal_b);
    g_string_append(out, ",\n     \"change_pct\": ");
    json_num(out, r->delta_pct);
    g_string_append(out, ", \"p\": ");
    json_num(out, r->p);
    g_string_append(out, ", \"mdc_pct\": ");
    json_num(out, r->mdc_pct);
    g_string_append_printf(
        out, ", \"threshold_only\": %s, \"verdict\": ", r->threshold_only ? "true" : "false");
    json_str(out, store_verdict_name(r->verdict));
    g_string_append(out, "}");
}

char *verdict_json(const cmp_options *o, const cmp_result *r, const verdict_info *v)
{
    GString *out = g_string_new("{\n  \"verdict\": ");

    json_str(out, v->passed ? "pass" : "fail");
    g_string_append(out, ",\n  \"baseline_spec\": ");
    json_str(out, v->baseline_spec);
    g_string_append(out, ",\n  \"baseline\": ");
    json_run(out, r->a);
    g_string_append(out, ",\n  \"candidate\": ");
    json_run(out, r->b);
    g_string_append(out, ",\n  \"threshold_pct\": ");
    json_num(out, o->threshold_pct);
    g_string_append(out, ", \"alpha\": ");
    json_num(out, o->alpha);
    g_string_append(out, ", \"min_matched_pct\": ");
    json_num(out, v->min_matched_pct);
    g_string_append(out, ",\n  \"matched_pct\": ");
    json_num(out, v->matched_pct);
    g_string_append_printf(out,
                           ", \"too_few_matched\": %s,\n  \"counts\": {\"worse\": %u, "
                           "\"better\": %u, \"same\": %u, \"only_baseline\": %u, "
                           "\"only_candidate\": %u},\n  \"figures\": [\n",
                           v->too_few_matched ? "true" : "false", r->worse, r->better, r->same,
                           r->only_a, r->only_b);
    for (guint i = 0; i < r->rows->len; i++) {
        json_figure(out, r->rows->pdata[i]);
        g_string_append(out, i + 1 < r->rows->len ? ",\n" : "\n");
    }
    g_string_append(out, "  ]\n}\n");
    return g_string_free(out, FALSE);
}

/* ---- JUnit ---- */

static void xml_attr(GString *out, const char *name, const char *value)
{
    g_autofree char *esc = g_markup_escape_text(value ? value : "", -1);

    g_string_append_printf(out, " %s=\"%s\"", name, esc);
}

static void junit_case(GString *out, const cmp_options *o, const cmp_result *r,
                       const store_compare_row *row)
{
    g_autofree char *classname = g_strdup_printf("vexp.%s", row->label);
    g_autofree char *name =
        g_strdup_printf("%s %s %u B %s", row->test, row->direction, row->frame_size, row->metric);
    g_autofree char *msg = NULL;

    g_string_append(out, "    <testcase");
    xml_attr(out, "classname", classname);
    xml_attr(out, "name", name);
    g_string_append(out, " time=\"0\"");
    switch (row->verdict) {
    case STORE_VERDICT_WORSE:
        msg = g_strdup_printf("%s %+.2f %%: %.6g -> %.6g %s (n %u -> %u), p = %.3g, mdc %.3g %%, "
                              "beyond %.3g %% at alpha %.3g",
                              row->metric, row->delta_pct, row->mean_a, row->mean_b, row->unit,
                              row->n_a, row->n_b, row->p, row->mdc_pct, o->threshold_pct, o->alpha);
        g_string_append(out, ">\n      <failure type=\"regression\"");
        xml_attr(out, "message", msg);
        g_string_append_printf(out,
                               ">baseline run %" G_GINT64_FORMAT ": mean %.6g, stddev %.6g, "
                               "n %u; candidate run %" G_GINT64_FORMAT ": mean %.6g, stddev "
                               "%.6g, n %u</failure>\n    </testcase>\n",
                               r->a->id, row->mean_a, row->stddev_a, row->n_a, r->b->id,
                               row->mean_b, row->stddev_b, row->n_b);
        return;
    case STORE_VERDICT_ONLY_A:
    case STORE_VERDICT_ONLY_B:
        msg = g_strdup_printf("only in the %s (run %" G_GINT64_FORMAT "): %s",
                              row->verdict == STORE_VERDICT_ONLY_A ? "baseline" : "candidate",
                              row->verdict == STORE_VERDICT_ONLY_A ? r->a->id : r->b->id,
                              row->cell_in_both
                                  ? "the other run has this cell, but not this figure with this "
                                    "config key"
                                  : "the other run has no cell with this label");
        g_string_append(out, ">\n      <skipped");
        xml_attr(out, "message", msg);
        g_string_append(out, "/>\n    </testcase>\n");
        return;
    default:
        g_string_append(out, "/>\n");
    }
}

char *verdict_junit(const cmp_options *o, const cmp_result *r, const verdict_info *v)
{
    GString *out = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    guint tests = r->rows->len + 1, failures = r->worse + (v->too_few_matched ? 1 : 0);
    guint skipped = r->only_a + r->only_b;
    g_autofree char *suite = g_strdup_printf("vexp regress: run %" G_GINT64_FORMAT
                                             " against baseline run %" G_GINT64_FORMAT,
                                             r->b->id, r->a->id);
    char share[64];

    g_string_append_printf(out,
                           "<testsuites name=\"vexp regress\" tests=\"%u\" failures=\"%u\" "
                           "errors=\"0\" skipped=\"%u\" time=\"0\">\n  <testsuite",
                           tests, failures, skipped);
    xml_attr(out, "name", suite);
    g_string_append_printf(out,
                           " tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\" "
                           "time=\"0\">\n    <properties>\n",
                           tests, failures, skipped);
    g_string_append_printf(out,
                           "      <property name=\"baseline\" value=\"%" G_GINT64_FORMAT "\"/>\n"
                           "      <property name=\"candidate\" value=\"%" G_GINT64_FORMAT "\"/>\n",
                           r->a->id, r->b->id);
    g_string_append(out, "      <property name=\"baseline_spec\"");
    xml_attr(out, "value", v->baseline_spec);
    g_string_append_printf(out,
                           "/>\n      <property name=\"threshold_pct\" value=\"%g\"/>\n"
                           "      <property name=\"alpha\" value=\"%g\"/>\n    </properties>\n",
                           o->threshold_pct, o->alpha);
    for (guint i = 0; i < r->rows->len; i++)
        junit_case(out, o, r, r->rows->pdata[i]);
    g_snprintf(share, sizeof(share), "%.1f", v->matched_pct);
    g_string_append(out, "    <testcase classname=\"vexp.gate\" name=\"matched share\" time=\"0\"");
    if (v->too_few_matched) {
        g_autofree char *msg = g_strdup_printf(
            "%s %% of the %u baseline figure(s) of the cells both runs have matched, below "
            "--min-matched %g %%",
            share, v->eligible, v->min_matched_pct);
        g_string_append(out, ">\n      <failure type=\"unmatched\"");
        xml_attr(out, "message", msg);
        g_string_append(out, "/>\n    </testcase>\n");
    } else {
        g_string_append(out, "/>\n");
    }
    g_string_append(out, "  </testsuite>\n</testsuites>\n");
    return g_string_free(out, FALSE);
}
