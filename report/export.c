/* SPDX-License-Identifier: MIT */
/* vexp report: CSV and JSON export of runs, their findings and differences. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "numfmt.h"
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
    g_autofree char *raw = numfmt_raw(v);
    if (raw)
        g_string_append(out, raw);
}

/* One field of a result row as both exports write it. */
typedef enum {
    FIELD_TEXT,   /* char *: CSV quoted when needed, JSON string or null */
    FIELD_UINT,   /* guint */
    FIELD_COUNT,  /* guint, 0 = not set: empty in CSV, null in JSON */
    FIELD_NUMBER, /* double, non-finite = empty in CSV, null in JSON */
} field_kind;

typedef struct result_field {
    const char *name; /* CSV column and JSON key */
    field_kind kind;
    size_t offset; /* in store_result_row */
    guint json;    /* position in a JSON result object, 1-based; 0 = CSV only */
} result_field;

#define F(name, kind, member, json)                                                                \
    {                                                                                              \
        name, kind, offsetof(store_result_row, member), json                                       \
    }
/* In CSV column order after "run"; new columns go at the end so that
 * scripts that index columns keep working.  JSON writes ci95_low and
 * ci95_high as one "ci95": [low, high] pair. */
static const result_field result_fields[] = {
    F("cell", FIELD_UINT, cell_index, 1),
    F("label", FIELD_TEXT, label, 0),
    F("config_key", FIELD_TEXT, config_key, 3),
    F("nic", FIELD_TEXT, nic, 2),
    F("accel", FIELD_TEXT, accel, 4),
    F("test", FIELD_TEXT, test, 9),
    F("direction", FIELD_TEXT, direction, 10),
    F("frame_size", FIELD_UINT, frame_size, 11),
    F("metric", FIELD_TEXT, metric, 12),
    F("unit", FIELD_TEXT, unit, 13),
    F("n", FIELD_UINT, n, 14),
    F("mean", FIELD_NUMBER, mean, 15),
    F("stddev", FIELD_NUMBER, stddev, 16),
    F("ci95_low", FIELD_NUMBER, ci95_low, 17),
    F("ci95_high", FIELD_NUMBER, ci95_high, 18),
    F("vhost", FIELD_TEXT, vhost, 5),
    F("queues", FIELD_COUNT, queues, 6),
    F("hypervisor", FIELD_TEXT, hypervisor, 7),
    F("hypervisor_host", FIELD_TEXT, host, 8),
};
#undef F

static const char *field_text(const store_result_row *row, const result_field *f)
{
    return *(char *const *)(const void *)((const char *)row + f->offset);
}

static guint field_uint(const store_result_row *row, const result_field *f)
{
    return *(const guint *)(const void *)((const char *)row + f->offset);
}

static double field_number(const store_result_row *row, const result_field *f)
{
    return *(const double *)(const void *)((const char *)row + f->offset);
}

static void csv_value(GString *out, const store_result_row *row, const result_field *f)
{
    switch (f->kind) {
    case FIELD_TEXT:
        csv_field(out, field_text(row, f));
        break;
    case FIELD_UINT:
        g_string_append_printf(out, "%u", field_uint(row, f));
        break;
    case FIELD_COUNT:
        if (field_uint(row, f))
            g_string_append_printf(out, "%u", field_uint(row, f));
        break;
    case FIELD_NUMBER:
        csv_number(out, field_number(row, f));
        break;
    }
}

char *report_csv(report_run *const *runs, guint n_runs)
{
    GString *out = g_string_new("run");

    for (guint k = 0; k < G_N_ELEMENTS(result_fields); k++)
        g_string_append_printf(out, ",%s", result_fields[k].name);
    g_string_append_c(out, '\n');
    for (guint ri = 0; ri < n_runs; ri++) {
        const report_run *r = runs[ri];
        for (guint i = 0; i < r->results->len; i++) {
            const store_result_row *row = g_ptr_array_index(r->results, i);
            g_string_append_printf(out, "%" G_GINT64_FORMAT, r->run ? r->run->id : 0);
            for (guint k = 0; k < G_N_ELEMENTS(result_fields); k++) {
                g_string_append_c(out, ',');
                csv_value(out, row, &result_fields[k]);
            }
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
    g_autofree char *raw = numfmt_raw(v);
    g_string_append(out, raw ? raw : "null");
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

/* the fields of a result row in their JSON order, without the braces */
static void json_result(GString *out, const store_result_row *row)
{
    for (guint pos = 1; pos <= G_N_ELEMENTS(result_fields); pos++) {
        const result_field *f = NULL;
        for (guint k = 0; k < G_N_ELEMENTS(result_fields) && !f; k++)
            if (result_fields[k].json == pos)
                f = &result_fields[k];
        if (!f)
            break;
        if (pos > 1)
            g_string_append_c(out, ',');
        if (!strcmp(f->name, "ci95_low"))
            g_string_append(out, "\"ci95\":[");
        else if (strcmp(f->name, "ci95_high")) {
            json_string(out, f->name);
            g_string_append_c(out, ':');
        }
        switch (f->kind) {
        case FIELD_TEXT:
            json_string(out, field_text(row, f));
            break;
        case FIELD_UINT:
            g_string_append_printf(out, "%u", field_uint(row, f));
            break;
        case FIELD_COUNT:
            if (field_uint(row, f))
                g_string_append_printf(out, "%u", field_uint(row, f));
            else
                g_string_append(out, "null");
            break;
        case FIELD_NUMBER:
            json_number(out, field_number(row, f));
            break;
        }
        if (!strcmp(f->name, "ci95_high"))
            g_string_append_c(out, ']');
    }
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
        g_string_append(out, i ? ",{" : "{");
        json_result(out, g_ptr_array_index(r->results, i));
        g_string_append_c(out, '}');
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
