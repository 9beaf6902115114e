/* SPDX-License-Identifier: MIT */
/* vexp report: CSV and JSON export of runs, their findings and differences. */
#include <math.h>
#include <string.h>

#include "report-internal.h"

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
