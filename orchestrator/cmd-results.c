/* SPDX-License-Identifier: MIT */
/* vexp results: the figures of a run as a table, CSV or JSON. */
#include "vexp-config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "numfmt.h"
#include "report.h"
#include "runlock.h"
#include "vexp.h"

static const char *emulation_note(const char *accel)
{
    if (!g_strcmp0(accel, "tcg"))
        return "tcg: QEMU software emulation figures, not comparable with KVM";
    return accel ? accel : "unknown";
}

/* one section per test: rows are cell x direction x frame size, columns metrics */
typedef struct {
    const char *test;
    const char *title;
    const char *metrics[6];
    const char *headers[6];
} table_layout;

static const table_layout layouts[] = {
    {"throughput",
     "throughput (RFC 9971 conditional throughput; NDR: no loss, PDR: loss <= 0.5 %;\n"
     "* = the first search goal, the run's headline figure)",
     {"throughput_ndr_fps", "throughput_pdr_fps", "throughput_fps", "throughput_mbps_l2",
      "dut_cpu_pct", "host_cpu_pct"},
     {"NDR frames/s", "PDR frames/s", "frames/s *", "Mbit/s L2 *", "guest CPU %", "QEMU CPU %"}},
    {"latency",
     "latency (RFC 2544 26.2): round trip at the throughput rate",
     {"rtt_p50_us", "rtt_p99_us", "rtt_mean_us", "rtt_jitter_us"},
     {"p50 us", "p99 us", "mean us", "jitter us"}},
    {"rtt",
     "idle round trip time",
     {"rtt_p50_us", "rtt_p99_us", "rtt_mean_us", "rtt_jitter_us"},
     {"p50 us", "p99 us", "mean us", "jitter us"}},
    {"loss",
     "frame loss rate (RFC 2544 26.3): at 100 % of the maximum rate",
     {"loss_pct_at_max", "loss_max_fps"},
     {"loss %", "max frames/s"}},
    {"b2b",
     "back-to-back (RFC 2544 26.4, RFC 9004)",
     {"b2b_frames", "b2b_buffer_s", "b2b_corrected_buffer_s"},
     {"burst frames", "buffer s", "corrected buffer s"}},
    {"fixed", "fixed rate", {"rx_fps", "loss_pct"}, {"rx frames/s", "loss %"}},
};

static int row_cmp(gconstpointer pa, gconstpointer pb)
{
    const store_result_row *a = *(store_result_row *const *)pa;
    const store_result_row *b = *(store_result_row *const *)pb;
    int d;

    if (a->cell_index != b->cell_index)
        return a->cell_index < b->cell_index ? -1 : 1;
    if ((d = g_strcmp0(a->direction, b->direction)))
        return d;
    if (a->frame_size != b->frame_size)
        return a->frame_size < b->frame_size ? -1 : 1;
    return 0;
}

static char *format_figure(const store_result_row *r)
{
    if (!r)
        return g_strdup("-");
    return numfmt_figure(r->mean, r->stddev, r->n, r->cov_pct, r->bimodal, NUMFMT_TEXT);
}

/* the widest label, so that none is cut */
static int label_width(GPtrArray *rows)
{
    int w = 5;
    for (guint i = 0; i < rows->len; i++) {
        const store_result_row *r = g_ptr_array_index(rows, i);
        w = MAX(w, (int)g_utf8_strlen(r->label ? r->label : "", -1));
    }
    return w;
}

static void print_section(const table_layout *L, GPtrArray *rows)
{
    g_autoptr(GPtrArray) sel = g_ptr_array_new();
    guint nm = 0;

    for (guint i = 0; i < rows->len; i++) {
        store_result_row *r = g_ptr_array_index(rows, i);
        if (!g_strcmp0(r->test, L->test))
            g_ptr_array_add(sel, r);
    }
    if (!sel->len)
        return;
    g_ptr_array_sort(sel, row_cmp);
    while (nm < G_N_ELEMENTS(L->metrics) && L->metrics[nm])
        nm++;
    int lw = label_width(sel);
    g_print("\n%s\n%-4s %-*s %-4s %6s", L->title, "cell", lw, "label", "dir", "frame");
    for (guint k = 0; k < nm; k++)
        g_print(" %30s", L->headers[k]);
    g_print("\n");
    for (guint i = 0; i < sel->len;) {
        const store_result_row *first = g_ptr_array_index(sel, i);
        const store_result_row *col[6] = {0};
        guint j = i;
        for (; j < sel->len && !row_cmp(&sel->pdata[i], &sel->pdata[j]); j++) {
            const store_result_row *r = g_ptr_array_index(sel, j);
            for (guint k = 0; k < nm; k++)
                if (!g_strcmp0(r->metric, L->metrics[k]))
                    col[k] = r;
        }
        g_print("%-4u %-*s %-4s %6u", first->cell_index, lw, first->label, first->direction,
                first->frame_size);
        for (guint k = 0; k < nm; k++) {
            g_autofree char *v = format_figure(col[k]);
            g_print(" %30s", v);
        }
        g_print("\n");
        i = j;
    }
}

/* 'running' in the store says what the process wrote last; the run lock says
 * whether that process is still there.  Returns static text or buf. */
static const char *live_status(const vexp_store *store, const store_run *run, char *buf, gsize size)
{
    long owner = 0;

    if (strcmp(run->status, "running") != 0)
        return run->status;
    switch (vexp_run_lock_probe(store_path(store), run->id, &owner)) {
    case VEXP_RUN_LOCK_FREE:
        return "orphaned";
    case VEXP_RUN_LOCK_UNKNOWN:
        return "running?"; /* the lock file is not readable here */
    case VEXP_RUN_LOCK_HELD:
        break;
    }
    if (owner <= 0)
        return "running";
    g_snprintf(buf, size, "running, pid %ld", owner);
    return buf;
}

#define ORPHANED_NOTE                                                                              \
    "orphaned: its process ended without finishing it (killed, or the machine went down); "        \
    "vexp run MATRIX --resume continues the latest unfinished run of that matrix"

static void print_table(const vexp_store *store, const store_run *run, GPtrArray *rows,
                        GPtrArray *cells)
{
    char status_buf[48];
    const char *status = live_status(store, run, status_buf, sizeof(status_buf));
    gboolean header = FALSE;
    /* one hypervisor: the run's header says it all; several: a line per cell */
    guint n_hv = store_cells_n_hypervisors(cells);

    g_print("run %" G_GINT64_FORMAT " '%s' (%s) started %s, %s; host %s; libvirt %s, QEMU %s\n",
            run->id, run->name, status, run->started_at,
            run->finished_at ? run->finished_at : "not finished", run->host ? run->host : "?",
            run->libvirt_version ? run->libvirt_version : "-",
            run->qemu_version ? run->qemu_version : "-");
    if (!strcmp(status, "orphaned"))
        g_print("%s\n", ORPHANED_NOTE);
    g_print("accel: %s\n", emulation_note(run->accel));
    if (n_hv > 1)
        g_print("hypervisors: %u (the cells below say which ran each cell)\n", n_hv);
    g_print("figures: mean ± stddev (n repetitions), cv = coefficient of variation, !2 = the "
            "repetitions fall into two bands;\nframe = Ethernet frame incl. FCS, bytes; "
            "wire = + 20 B preamble/IFG\n");
    if (rows->len == 0)
        g_print("\n(no figures stored)\n");
    for (guint i = 0; i < G_N_ELEMENTS(layouts); i++)
        print_section(&layouts[i], rows);
    for (guint i = 0; i < cells->len; i++) {
        const store_cell_row *c = g_ptr_array_index(cells, i);
        if (!header) {
            g_print("\ncells:\n");
            header = TRUE;
        }
        g_print("  %u %-24s %-11s driver %-10s guest kernel %s%s%s\n", c->cell_index, c->label,
                c->status, c->guest_driver ? c->guest_driver : "-",
                c->guest_kernel ? c->guest_kernel : "-", c->reason ? "; " : "",
                c->reason ? c->reason : "");
        if (n_hv > 1)
            g_print("    on host %s, %s, accel %s\n", c->host ? c->host : "?",
                    c->hypervisor ? c->hypervisor : "?",
                    !g_strcmp0(c->nic, "host") ? "- (no VM)"
                    : c->accel                 ? c->accel
                                               : "?");
    }
}

typedef struct trial_filter {
    gint cell;                    /* -1: every cell */
    gint frame_size;              /* 0: every size */
    const char *test, *direction; /* NULL: every one */
} trial_filter;

/* --trials: every trial behind the figures, grouped by figure, search steps in order */
static int print_trials(vexp_store *store, gint64 run_id, const trial_filter *f)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) trials = NULL;
    guint shown = 0;
    char last[160] = "";

    if (!store_trials_rows(store, run_id, f->test, &trials, &error))
        return vexp_report_error(error);
    for (guint i = 0; i < trials->len; i++) {
        const store_trial_row *t = g_ptr_array_index(trials, i);
        char group[160];
        if ((f->cell >= 0 && t->cell_index != (guint)f->cell) ||
            (f->frame_size > 0 && t->frame_size != (guint)f->frame_size) ||
            (f->direction && g_strcmp0(t->direction, f->direction)))
            continue;
        g_snprintf(group, sizeof(group), "cell %u, %s, %s, %u B", t->cell_index, t->test,
                   t->direction, t->frame_size);
        if (strcmp(group, last)) {
            g_print("\n%s\n%4s %4s %16s %8s %14s %14s %12s %9s %s\n", group, "rep", "step",
                    "offered fps", "s", "tx", "rx", "lost", "loss %", "verdict");
            g_strlcpy(last, group, sizeof(last));
        }
        g_autofree char *off = numfmt_number(t->offered_fps, NUMFMT_SIG, TRUE);
        g_autofree char *dur = numfmt_number(t->duration_s, 3, FALSE);
        g_autofree char *tx = numfmt_count(t->tx);
        g_autofree char *rx = numfmt_count(t->rx);
        g_autofree char *lost = numfmt_count(t->lost);
        g_autofree char *loss = numfmt_number(t->loss_pct, 3, FALSE);
        g_print("%4u %4u %16s %8s %14s %14s %12s %9s %s\n", t->repetition, t->step, off, dur, tx,
                rx, lost, loss,
                !t->valid   ? "not valid (kept, not used)"
                : t->passed ? "pass"
                            : "fail");
        shown++;
    }
    if (!shown)
        g_print("no trials match\n");
    return VEXP_EXIT_OK;
}

/* csv and json: the same exporters as 'vexp report' (results.csv, results.json) */
static int print_export(vexp_store *store, gint64 run_id, gboolean csv)
{
    g_autoptr(GError) error = NULL;
    report_run *run = NULL;
    g_autofree char *text = NULL;

    if (!report_run_load(store, run_id, &run, &error))
        return vexp_report_error(error);
    text = csv ? report_csv(&run, 1) : report_json(&run, 1, NULL);
    report_run_free(run);
    fputs(text, stdout);
    if (!csv)
        fputc('\n', stdout);
    return VEXP_EXIT_OK;
}

static int cmd_results(int argc, char **argv)
{
    g_autofree char *store_opt = NULL, *format = NULL;
    gint64 run_id = 0;
    gboolean list = FALSE, trials = FALSE, check = FALSE, migrate = FALSE;
    g_autofree char *run_text = NULL, *test = NULL, *dir = NULL;
    gint cell = -1, frame = 0;
    GOptionEntry entries[] = {
        {"run", 0, 0, G_OPTION_ARG_STRING, &run_text, "Run id (default: the latest)", "N"},
        {"format", 0, 0, G_OPTION_ARG_STRING, &format, "table (default), csv or json", "FMT"},
        {"list", 0, 0, G_OPTION_ARG_NONE, &list, "List the runs in the store", NULL},
        {"trials", 0, 0, G_OPTION_ARG_NONE, &trials,
         "Print every trial behind the figures (filters: --cell, --test, --dir, --frame)", NULL},
        {"cell", 0, 0, G_OPTION_ARG_INT, &cell, "With --trials: only this cell", "N"},
        {"test", 0, 0, G_OPTION_ARG_STRING, &test, "With --trials: only this test", "TEST"},
        {"dir", 0, 0, G_OPTION_ARG_STRING, &dir, "With --trials: only in, out or both", "DIR"},
        {"frame", 0, 0, G_OPTION_ARG_INT, &frame, "With --trials: only this frame size", "BYTES"},
        {"check", 0, 0, G_OPTION_ARG_NONE, &check,
         "Check the store's integrity (exit 1 when damaged)", NULL},
        {"migrate", 0, 0, G_OPTION_ARG_NONE, &migrate,
         "Upgrade an older store to this vexp's schema (the one read command that writes)", NULL},
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
    if (migrate) {
        const char *path = vexp_store_path(store_opt, NULL);

        if (!(store = vexp_open_store(path, TRUE, &error)))
            return vexp_report_error(error);
        fprintf(stderr, "vexp: store '%s' is at schema version %d\n", path,
                store_schema_version(store));
        if (!check && !list && !run_text && !format)
            return VEXP_EXIT_OK;
        g_clear_pointer(&store, store_close);
    }
    if (!(store = vexp_open_store_readonly(vexp_store_path(store_opt, NULL), &error))) {
        /* a damaged file that cannot even be opened is what --check looks for */
        if (check && g_error_matches(error, STORE_ERROR, STORE_ERROR_CORRUPT)) {
            fprintf(stderr, "vexp: %s\n", error->message);
            return VEXP_EXIT_FINDING;
        }
        return vexp_report_error(error);
    }
    if (check) {
        g_autofree char *report = NULL;

        if (!store_check_integrity(store, TRUE, &report, &error)) {
            if (!g_error_matches(error, STORE_ERROR, STORE_ERROR_CORRUPT))
                return vexp_report_error(error);
            fprintf(stderr, "vexp: %s\n", error->message);
            return VEXP_EXIT_FINDING;
        }
        if (report) {
            fprintf(stderr, "vexp: store '%s' is damaged: %s\n", store_path(store), report);
            return VEXP_EXIT_FINDING;
        }
        printf("store '%s': integrity ok (schema version %d)\n", store_path(store),
               store_schema_version(store));
        return VEXP_EXIT_OK;
    }
    if (list) {
        g_autoptr(GPtrArray) runs = NULL;
        if (!store_run_list(store, &runs, &error))
            return vexp_report_error(error);
        gboolean orphans = FALSE;

        g_print("%-5s %-20s %-20s %-25s %s\n", "run", "name", "status", "started", "accel");
        for (guint i = 0; i < runs->len; i++) {
            const store_run *r = g_ptr_array_index(runs, i);
            char status_buf[48];
            const char *status = live_status(store, r, status_buf, sizeof(status_buf));

            orphans |= !strcmp(status, "orphaned");
            g_print("%-5" G_GINT64_FORMAT " %-20s %-20s %-25s %s\n", r->id, r->name, status,
                    r->started_at, r->accel ? r->accel : "-");
        }
        if (orphans)
            g_print("\n%s\n", ORPHANED_NOTE);
        return VEXP_EXIT_OK;
    }
    if (trials) {
        trial_filter f = {cell, frame, test, dir};
        return print_trials(store, run_id, &f);
    }
    if (format && strcmp(format, "table"))
        return print_export(store, run_id, !strcmp(format, "csv"));
    if (!store_results_rows(store, run_id, &run, &rows, &error) ||
        !store_cells_rows(store, run->id, &cells, &error))
        return vexp_report_error(error);
    print_table(store, run, rows, cells);
    return VEXP_EXIT_OK;
}

const vexp_cmd vexp_cmd_results = {"results", cmd_results,
                                   "table of a run's figures (table, csv or json)"};
