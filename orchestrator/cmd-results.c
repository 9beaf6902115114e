/* SPDX-License-Identifier: MIT */
/* vexp results: the figures of a run as a table, CSV or JSON. */
#include "vexp-config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "vexp.h"

static void csv_field(GString *out, const char *s)
{
    if (!s)
        return;
    if (strpbrk(s, ",\"\n")) {
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
    if (isfinite(v))
        g_string_append_printf(out, "%.6g", v);
    else
        g_string_append(out, "null");
}

static void number(GString *out, double v)
{
    if (isfinite(v))
        g_string_append_printf(out, "%.6g", v);
}

static const char *emulation_note(const char *accel)
{
    if (!g_strcmp0(accel, "tcg"))
        return "tcg: QEMU software emulation figures, not comparable with KVM";
    return accel ? accel : "unknown";
}

static void print_table(const store_run *run, GPtrArray *rows, GPtrArray *cells)
{
    const char *last_cell = NULL;

    printf("run %" G_GINT64_FORMAT " '%s' (%s) started %s, %s; host %s; libvirt %s, QEMU %s\n",
           run->id, run->name, run->status, run->started_at,
           run->finished_at ? run->finished_at : "not finished", run->host ? run->host : "?",
           run->libvirt_version ? run->libvirt_version : "-",
           run->qemu_version ? run->qemu_version : "-");
    printf("accel: %s\n\n", emulation_note(run->accel));
    if (rows->len == 0)
        printf("(no figures stored)\n");
    else
        printf("%-4s %-24s %-10s %-4s %6s  %-20s %28s  %s\n", "cell", "label", "test", "dir",
               "frame", "metric", "mean ± stddev (n)", "unit");
    for (guint i = 0; i < rows->len; i++) {
        const store_result_row *r = g_ptr_array_index(rows, i);
        char val[64];
        if (last_cell && strcmp(last_cell, r->label))
            putchar('\n');
        last_cell = r->label;
        if (r->n > 1 && isfinite(r->stddev))
            g_snprintf(val, sizeof(val), "%.6g ± %.3g (%u)", r->mean, r->stddev, r->n);
        else
            g_snprintf(val, sizeof(val), "%.6g (%u)", r->mean, r->n);
        printf("%-4u %-24.24s %-10s %-4s %6u  %-20s %28s  %s%s\n", r->cell_index, r->label,
               r->test, r->direction, r->frame_size, r->metric, val, r->unit,
               !g_strcmp0(r->accel, "tcg") ? "  [tcg]" : "");
    }
    gboolean header = FALSE;
    for (guint i = 0; i < cells->len; i++) {
        const store_cell_row *c = g_ptr_array_index(cells, i);
        if (!strcmp(c->status, "complete"))
            continue;
        if (!header) {
            printf("\ncells not complete:\n");
            header = TRUE;
        }
        printf("  cell %u %s: %s%s%s\n", c->cell_index, c->label, c->status,
               c->reason ? ": " : "", c->reason ? c->reason : "");
    }
}

static void print_csv(const store_run *run, GPtrArray *rows)
{
    g_autoptr(GString) out = g_string_new(
        "run,cell,label,config_key,nic,accel,test,direction,frame_size,metric,unit,n,mean,"
        "stddev,ci95_low,ci95_high\n");

    for (guint i = 0; i < rows->len; i++) {
        const store_result_row *r = g_ptr_array_index(rows, i);
        g_string_append_printf(out, "%" G_GINT64_FORMAT ",%u,", run->id, r->cell_index);
        csv_field(out, r->label);
        g_string_append_c(out, ',');
        csv_field(out, r->config_key);
        g_string_append_c(out, ',');
        csv_field(out, r->nic);
        g_string_append_c(out, ',');
        csv_field(out, r->accel);
        g_string_append_c(out, ',');
        csv_field(out, r->test);
        g_string_append_c(out, ',');
        csv_field(out, r->direction);
        g_string_append_printf(out, ",%u,", r->frame_size);
        csv_field(out, r->metric);
        g_string_append_c(out, ',');
        csv_field(out, r->unit);
        g_string_append_printf(out, ",%u,", r->n);
        number(out, r->mean);
        g_string_append_c(out, ',');
        number(out, r->stddev);
        g_string_append_c(out, ',');
        number(out, r->ci95_low);
        g_string_append_c(out, ',');
        number(out, r->ci95_high);
        g_string_append_c(out, '\n');
    }
    fputs(out->str, stdout);
}

static void print_json(const store_run *run, GPtrArray *rows, GPtrArray *cells)
{
    g_autoptr(GString) out = g_string_new("{\"run\":{");

    g_string_append_printf(out, "\"id\":%" G_GINT64_FORMAT ",\"name\":", run->id);
    json_string(out, run->name);
    g_string_append(out, ",\"status\":");
    json_string(out, run->status);
    g_string_append(out, ",\"started_at\":");
    json_string(out, run->started_at);
    g_string_append(out, ",\"finished_at\":");
    json_string(out, run->finished_at);
    g_string_append(out, ",\"host\":");
    json_string(out, run->host);
    g_string_append(out, ",\"libvirt_version\":");
    json_string(out, run->libvirt_version);
    g_string_append(out, ",\"qemu_version\":");
    json_string(out, run->qemu_version);
    g_string_append(out, ",\"accel\":");
    json_string(out, run->accel);
    g_string_append_printf(out, ",\"emulation\":%s},\"cells\":[",
                           !g_strcmp0(run->accel, "tcg") ? "true" : "false");
    for (guint i = 0; i < cells->len; i++) {
        const store_cell_row *c = g_ptr_array_index(cells, i);
        g_string_append_printf(out, "%s{\"cell\":%u,\"label\":", i ? "," : "", c->cell_index);
        json_string(out, c->label);
        g_string_append(out, ",\"config_key\":");
        json_string(out, c->config_key);
        g_string_append(out, ",\"status\":");
        json_string(out, c->status);
        g_string_append(out, ",\"reason\":");
        json_string(out, c->reason);
        g_string_append(out, ",\"guest_driver\":");
        json_string(out, c->guest_driver);
        g_string_append(out, ",\"guest_kernel\":");
        json_string(out, c->guest_kernel);
        g_string_append(out, "}");
    }
    g_string_append(out, "],\"results\":[");
    for (guint i = 0; i < rows->len; i++) {
        const store_result_row *r = g_ptr_array_index(rows, i);
        g_string_append_printf(out, "%s{\"cell\":%u,\"label\":", i ? "," : "", r->cell_index);
        json_string(out, r->label);
        g_string_append(out, ",\"config_key\":");
        json_string(out, r->config_key);
        g_string_append(out, ",\"nic\":");
        json_string(out, r->nic);
        g_string_append(out, ",\"test\":");
        json_string(out, r->test);
        g_string_append(out, ",\"direction\":");
        json_string(out, r->direction);
        g_string_append_printf(out, ",\"frame_size\":%u,\"metric\":", r->frame_size);
        json_string(out, r->metric);
        g_string_append(out, ",\"unit\":");
        json_string(out, r->unit);
        g_string_append_printf(out, ",\"n\":%u,\"mean\":", r->n);
        json_number(out, r->mean);
        g_string_append(out, ",\"stddev\":");
        json_number(out, r->stddev);
        g_string_append(out, ",\"ci95\":[");
        json_number(out, r->ci95_low);
        g_string_append_c(out, ',');
        json_number(out, r->ci95_high);
        g_string_append(out, "]}");
    }
    g_string_append(out, "]}\n");
    fputs(out->str, stdout);
}

static int cmd_results(int argc, char **argv)
{
    g_autofree char *store_opt = NULL, *format = NULL;
    gint64 run_id = 0;
    gboolean list = FALSE;
    g_autofree char *run_text = NULL;
    GOptionEntry entries[] = {
        {"run", 0, 0, G_OPTION_ARG_STRING, &run_text, "Run id (default: the latest)", "N"},
        {"format", 0, 0, G_OPTION_ARG_STRING, &format, "table (default), csv or json", "FMT"},
        {"list", 0, 0, G_OPTION_ARG_NONE, &list, "List the runs in the store", NULL},
        {"store", 0, 0, G_OPTION_ARG_FILENAME, &store_opt, "SQLite results file", "FILE"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("");
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_store) store = NULL;
    g_autoptr(store_run) run = NULL;
    g_autoptr(GPtrArray) rows = NULL;
    g_autoptr(GPtrArray) cells = NULL;
    int rc;

    g_option_context_set_summary(ctx, "Show the figures of a run: one row per cell x test x "
                                      "direction x frame size x metric,\nmean ± stddev (n).");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if ((rc = vexp_parse_options(ctx, &argc, &argv)) >= 0)
        return rc;
    if (argc != 1) {
        fprintf(stderr, "vexp results: unexpected argument '%s'\n", argv[1]);
        return VEXP_EXIT_USAGE;
    }
    if (format && strcmp(format, "table") && strcmp(format, "csv") && strcmp(format, "json")) {
        fprintf(stderr, "vexp results: --format '%s': expected table, csv or json\n", format);
        return VEXP_EXIT_USAGE;
    }
    if (run_text && !vexp_parse_run_id(run_text, &run_id, &error))
        return vexp_report_error(error);
    if (!(store = vexp_open_store(vexp_store_path(store_opt, NULL), TRUE, &error)))
        return vexp_report_error(error);
    if (list) {
        g_autoptr(GPtrArray) runs = NULL;
        if (!store_run_list(store, &runs, &error))
            return vexp_report_error(error);
        printf("%-5s %-20s %-12s %-25s %s\n", "run", "name", "status", "started", "accel");
        for (guint i = 0; i < runs->len; i++) {
            const store_run *r = g_ptr_array_index(runs, i);
            printf("%-5" G_GINT64_FORMAT " %-20s %-12s %-25s %s\n", r->id, r->name, r->status,
                   r->started_at, r->accel ? r->accel : "-");
        }
        return VEXP_EXIT_OK;
    }
    if (!store_results_rows(store, run_id, &run, &rows, &error) ||
        !store_cells_rows(store, run->id, &cells, &error)) {
        if (error->domain == STORE_ERROR && error->code == STORE_ERROR_NOT_FOUND)
            error->code = VEXP_ERROR_INPUT, error->domain = VEXP_ERROR;
        return vexp_report_error(error);
    }
    if (!format || !strcmp(format, "table"))
        print_table(run, rows, cells);
    else if (!strcmp(format, "csv"))
        print_csv(run, rows);
    else
        print_json(run, rows, cells);
    return VEXP_EXIT_OK;
}

const vexp_cmd vexp_cmd_results = {"results", cmd_results,
                                   "table of a run's figures (table, csv or json)"};
