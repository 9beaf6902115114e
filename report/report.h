/* SPDX-License-Identifier: MIT */
/* vexp report: chart data, SVG charts, the HTML page and CSV/JSON export of stored runs. */
#pragma once

#include <glib.h>

#include "store.h"

/*
 * report/ reads the store through store.h and nothing reads report/ but the
 * orchestrator's `vexp report` and `vexp results --format csv|json`.
 *
 * The chart data (points, scales, theoretical maximum, findings) comes from
 * pure functions over a report_run, so that tests can check every number;
 * the SVG and HTML are written through libxml2's tree API and serialised,
 * never pasted together as text.  Nothing here prints.  Strings and arrays
 * returned are owned by the caller.
 */

#define REPORT_ERROR (report_error_quark())
GQuark report_error_quark(void);
typedef enum {
    REPORT_ERROR_INVALID, /* bad argument (number of runs) */
    REPORT_ERROR_WRITE,   /* cannot create the directory or write a file */
} report_error_code;

/* ---- axis scales ---- */

typedef struct report_scale {
    double min, max; /* axis ends, multiples of step (log: powers of ten) */
    double step;     /* tick spacing: 1, 2 or 5 x 10^k (log: the factor 10) */
    guint n_ticks;   /* ticks from min to max inclusive */
    gboolean log;    /* logarithmic: ticks at min * 10^i */
} report_scale;

/* Heckbert's "nice number": 1, 2, 5 or 10 x 10^k near x (round) or >= x. */
double report_nice_number(double x, gboolean round);
/* An axis covering [lo, hi] with at most max_ticks (>= 2) ticks.  include_zero
 * extends the range to 0; lo == hi or non-finite ends still give a usable
 * axis ([0, 1] when nothing is known). */
report_scale report_scale_nice(double lo, double hi, guint max_ticks, gboolean include_zero);
/* A logarithmic axis over [lo, hi] (lo > 0), whole decades: [40, 8000] ->
 * [10, 10000], 4 ticks.  Non-positive or non-finite ends give [1, 10]. */
report_scale report_scale_log(double lo, double hi);
/* Tick text for v on an axis with that step: "0.5", "250", "20k", "1.5M".
 * Caller frees. */
char *report_tick_label(double v, double step);

/* ---- theoretical maximum (RFC 2544 section 26.1) ---- */

/* frames/s at a wire line rate in Mbit/s (frame + 20 B preamble/IFG):
 * line * 1e6 / ((F + 20) * 8); NAN when the rate is not positive. */
double report_line_fps(double line_mbps, guint frame_size);
/* The same rate counted as L2 Mbit/s (frame bytes only): fps * F * 8 / 1e6. */
double report_line_mbps_l2(double line_mbps, guint frame_size);

/* ---- one run's data ---- */

/* A valid trial of the 'loss' test: one point of a loss curve. */
typedef struct report_loss_trial {
    guint cell_index;
    char *direction;
    guint frame_size, repetition, step; /* step 0 = 100 % of the maximum rate */
    double offered_fps, loss_pct;
} report_loss_trial;
void report_loss_trial_free(report_loss_trial *t);

/* A run as the report sees it.  search_trials are the throughput search's
 * trials (the trace behind each NDR/PDR figure), matrix_text the matrix as run.  Public so that
 * tests can build one by hand (report_run_new()); report_run_load() fills it from the store. */
typedef struct report_run {
    store_run *run;
    double line_rate_mbps;    /* wire Mbit/s; NAN = unknown (no theoretical line) */
    GPtrArray *results;       /* store_result_row *, as store_results_rows() */
    GPtrArray *cells;         /* store_cell_row *, as store_cells_rows() */
    GPtrArray *loss_trials;   /* report_loss_trial *, by cell, direction, size, rep, step */
    GHashTable *vcpus;        /* GUINT_TO_POINTER(cell_index) -> GUINT_TO_POINTER(vcpus) */
    GPtrArray *search_trials; /* store_trial_row *, test 'throughput', as store_trials_rows() */
    char *matrix_text;        /* may be NULL */
} report_run;

/* Everything the report shows about a run (0 = the latest), read through
 * the store's readers: results, cells with their vCPUs, the valid loss
 * trials and the line rate recorded for the run.  Caller frees. */
gboolean report_run_load(vexp_store *store, gint64 run_id, report_run **ret_run, GError **error);
/* An empty run for tests to fill by hand (arrays allocated, line rate NAN). */
report_run *report_run_new(void);
void report_run_free(report_run *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(report_run, report_run_free)

/* ---- chart data ---- */

typedef enum {
    REPORT_STYLE_SOLID,  /* a measured series (run A / the only run) */
    REPORT_STYLE_DOTTED, /* the same, run B of a comparison */
    REPORT_STYLE_DASHED, /* the theoretical maximum: no markers, no error bars */
} report_style;

typedef struct report_point {
    double x;      /* category index (x_categories) or the x value */
    double y;      /* NAN: no figure at this x */
    double lo, hi; /* error bar (95 % CI) or whisker ends; NAN: none */
    guint n;       /* repetitions behind y */
    /* the whisker end was cut at what is physically possible (>= 0, a CPU's
     * 100 % per vCPU, the line's maximum rate, 100 % loss) */
    gboolean lo_clamped, hi_clamped;
} report_point;

/* Markers, so that cells of one NIC family (one colour) stay apart. */
typedef enum {
    REPORT_MARKER_CIRCLE,
    REPORT_MARKER_SQUARE,
    REPORT_MARKER_TRIANGLE,
    REPORT_MARKER_DIAMOND,
    REPORT_N_MARKERS,
} report_marker;

typedef struct report_series {
    char *name;        /* legend text: the cell label, ", run N" when comparing */
    const char *color; /* static "#rrggbb": the NIC model's family */
    report_style style;
    report_marker marker; /* the cell's place in its family */
    const char *dash;     /* static stroke-dasharray of the line; NULL = solid */
    GArray *points;       /* report_point, x ascending */
} report_series;

typedef struct report_panel {
    char *title;       /* "DUT in (tester -> guest)" */
    char *direction;   /* in | out | both */
    GPtrArray *series; /* report_series * */
} report_panel;

typedef struct report_chart {
    char *id; /* file stem, "throughput-ndr-mbps" */
    char *title;
    char *subtitle;          /* "TCG: emulation figures", may be NULL */
    char *x_label, *y_label; /* with units */
    char *note;              /* what the error bars are (drawn in the SVG); may be NULL */
    gboolean log_y;          /* y on a logarithmic axis */
    gboolean x_categories;   /* TRUE: x is an index into categories */
    GPtrArray *categories;   /* char *: "64", "128", ... */
    double x_min, x_max;     /* linear x only */
    GPtrArray *panels;       /* report_panel *: one per direction */
} report_chart;
void report_chart_free(report_chart *chart);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(report_chart, report_chart_free)

/* Measured series over all panels (the dashed theoretical line not counted). */
guint report_chart_n_series(const report_chart *chart);
/* The y axis the chart is drawn with: from the measured points (means) and
 * the theoretical line unless it is more than 4x above them (then the line
 * is clipped at the top and the legend says so); error bars never widen it,
 * they are cut at the plot's edge.  Log when chart->log_y. */
report_scale report_chart_y_scale(const report_chart *chart);

typedef enum {
    REPORT_THEORY_NONE,
    REPORT_THEORY_FPS,     /* report_line_fps() */
    REPORT_THEORY_MBPS_L2, /* report_line_mbps_l2() */
} report_theory;

typedef enum {
    REPORT_CLAMP_NONE,      /* >= 0 only */
    REPORT_CLAMP_THEORY,    /* <= the line's maximum at that frame size (when known) */
    REPORT_CLAMP_PCT,       /* <= 100 (loss, guest CPU in % of all its vCPUs) */
    REPORT_CLAMP_PCT_VCPUS, /* <= 100 x (vCPUs + 1): QEMU's vCPU threads + its main loop */
} report_clamp;

typedef enum {
    REPORT_Y_LINEAR,
    REPORT_Y_LOG,  /* always (latency) */
    REPORT_Y_AUTO, /* log when the measured means span more than 100x */
} report_yscale;

typedef struct report_chart_spec {
    const char *id, *title;
    const char *test, *metric; /* the result rows plotted (mean, 95 % CI) */
    const char *whisker;       /* metric drawn as a whisker from the mean up (p99), or NULL */
    const char *y_label;
    double factor; /* y = mean * factor (s -> ms); 0 means 1 */
    report_theory theory;
    report_clamp clamp; /* whiskers cut at this limit (and at 0) */
    report_yscale yscale;
    gboolean headline; /* the first goal's figure: drawn only when no run has NDR/PDR figures */
} report_chart_spec;

/* A metric against frame size: frame sizes as categories, one panel per
 * direction (in, out, both, in that order), one series per cell of each run,
 * named by the cell label (", run N" when n_runs = 2; run B dotted with
 * hollow markers); colour by NIC family, marker and dash by the cell's place
 * in its family.  NULL when no run has the metric. */
report_chart *report_chart_metric(report_run *const *runs, guint n_runs,
                                  const report_chart_spec *spec);
/* Frame loss (% , mean over repetitions with 95 % CI) against offered load
 * in % of the maximum rate, for one frame size.  NULL without loss trials. */
report_chart *report_chart_loss_curve(report_run *const *runs, guint n_runs, guint frame_size);
/* Every chart of the report, in page order; empty ones left out.
 * Elements are report_chart *. */
GPtrArray *report_charts(report_run *const *runs, guint n_runs);

/* The chart as a standalone SVG document (UTF-8 text); caller frees. */
char *report_chart_svg(const report_chart *chart, gsize *ret_len);

/* ---- the study's conclusions ---- */

/* Criteria (README "What vexp finds on this machine" repeats them). */
#define REPORT_CLOSE_RATIO 0.90     /* "close": at least 90 % of the reference */
#define REPORT_FAR_BELOW_RATIO 0.50 /* "far below": under 50 % of the reference */
#define REPORT_TWICE_LOW 1.5        /* "about twice": the largest ratio in [1.5, 2.5] */
#define REPORT_TWICE_HIGH 2.5
#define REPORT_SATURATED_PCT 90.0 /* "near 100 % of one vCPU": >= 90 % of one vCPU */

typedef enum {
    REPORT_HOLDS,
    REPORT_DOES_NOT_HOLD,
    REPORT_NOT_MEASURED,
} report_verdict;

/* "holds" | "does not hold" | "not measured" */
const char *report_verdict_name(report_verdict v);

typedef struct report_finding {
    guint number;          /* 1..5, the study's order */
    const char *claim;     /* static */
    const char *criterion; /* static: how vexp decides */
    report_verdict verdict;
    char *evidence; /* the numbers behind the verdict, or what is missing */
} report_finding;
void report_finding_free(report_finding *f);

/* The five conclusions checked against one run.  Always 5 elements
 * (report_finding *).  Where a NIC model occurs in several cells the first
 * cell is used. */
GPtrArray *report_findings(const report_run *run);

/* ---- the page and the exports ---- */

/* CSV of the runs' results, one line per figure, with the run id first. */
char *report_csv(report_run *const *runs, guint n_runs);
/* JSON: runs (provenance, cells, results), findings per run and, for two
 * runs, the differences (compare_rows may be NULL). */
char *report_json(report_run *const *runs, guint n_runs, GPtrArray *compare_rows);
/* The HTML page (UTF-8): provenance, cells, findings, the charts as
 * <img src="ID.svg">, the significant differences when n_runs = 2
 * (compare_rows: store_compare_row *), links to results.csv/.json. */
char *report_html(report_run *const *runs, guint n_runs, GPtrArray *charts, GPtrArray *compare_rows,
                  double threshold_pct, double alpha);

/* Loads run_ids (1 or 2; the second is compared with the first through
 * store_compare()), writes DIR/index.html, DIR/<chart>.svg, DIR/results.csv
 * and DIR/results.json (DIR is created).  ret_files (optional) gets the
 * paths written (char *).  Errors: the store's (STORE_ERROR) or REPORT_ERROR. */
gboolean report_write(vexp_store *store, const gint64 *run_ids, guint n_runs, const char *dir,
                      double threshold_pct, double alpha, GPtrArray **ret_files, GError **error);
