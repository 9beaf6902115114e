/* SPDX-License-Identifier: MIT */
/* A matrix's length before it runs: trial time and wall time per cell and in total. */
#pragma once

#include <glib.h>

#include "matrix.h"

/* Boot to SSH-ready of the default guest under TCG, measured from domain start
 * (ENVIRONMENT.md: 8.4-12.1 s), plus the engine's push (0.13-0.28 s) and the domain's
 * destroy: the model's default when no boot has been measured. */
#define VEXP_ESTIMATE_BOOT_LO_S 8.5
#define VEXP_ESTIMATE_BOOT_HI_S 12.5
/* Control round trips and setup per trial beyond warmup_s and wait_s (listen, stop, counters
 * over the control channel).  Measured on a host-only cell of a 2-core machine: 56 trials,
 * 108.6 s of traffic, 144 s of wall time with warmup 0.1 s and wait_s 0.5 s per trial, i.e.
 * 0.0-0.01 s each; a remote tester or an SSH channel to a guest costs more. */
#define VEXP_ESTIMATE_TRIAL_OVERHEAD_S 0.01
/* A day: above it, render warns. */
#define VEXP_ESTIMATE_DAY_S 86400.0

/* One earlier cell on this host: its measured wall time (start to finish, boot included) over
 * the model's typical wall time for that cell in that run's own matrix. */
typedef struct vexp_calib_sample {
    const char *label; /* cell label, e.g. "nic=virtio" */
    gboolean is_host;
    double ratio;
    gint64 run_id;
} vexp_calib_sample;

/* The earlier cells, newest run first (calibrate.h loads them from a store). */
typedef struct vexp_calibration {
    const vexp_calib_sample *samples;
    guint n;
} vexp_calibration;

/* A cell's factor uses at most this many of the newest samples (their median). */
#define VEXP_CALIB_SAMPLES 5

/* [0] lower bound, [1] upper bound, [2] typical (TRAFFIC_ESTIMATE_*), s. */
typedef struct vexp_estimate {
    traffic_estimate suite; /* one cell's traffic (the same for every cell) */
    guint n_cells, n_vm_cells, n_hvs;
    gboolean parallel_trials;
    double boot_s[3];         /* per VM cell */
    double vm_cell_wall_s[3]; /* boot + suite */
    double host_cell_wall_s[3];
    double trial_s[3]; /* the matrix: traffic sent */
    double wall_s[3];  /* the matrix: wall time with boots, drains, overheads */
    /* the model's typical wall time (vexp_estimate_matrix(); vexp_estimate_calibrate() scales
     * it into wall_s[2]), the cells whose factor came from earlier cells with their label or
     * (else) of their kind, and the factors' range */
    double model_wall_typ_s;
    double typ_spread_s[2]; /* the typical with each cell's least and most sample ratio */
    guint n_calib_label, n_calib_kind;
    double factor_lo, factor_hi;
} vexp_estimate;

/* The matrix's estimate.  boot_s: measured boot times [lo, hi] s, or NULL for the defaults
 * above.  Returns FALSE with an error only when the engine refuses the parameters (which
 * matrix_load() already checked). */
gboolean vexp_estimate_matrix(const vexp_matrix *m, const double *boot_s, vexp_estimate *ret,
                              GError **error);
/* The factor for a cell: the median ratio of the newest VEXP_CALIB_SAMPLES samples with its
 * label, else of its kind (host cell or domain cell), else 1.  *ret_n: samples used (0 =
 * none); *ret_by_label: TRUE when they had its label; *ret_lo, *ret_hi: the least and the
 * most of those samples (1 without).  Any ret_ may be NULL.  Pure. */
double vexp_calibration_factor(const vexp_calibration *c, const char *label, gboolean is_host,
                               guint *ret_n, gboolean *ret_by_label, double *ret_lo,
                               double *ret_hi);
/* The typical wall time from the model scaled cell by cell by its factor (a cell without
 * samples keeps the model's); typ_spread_s the same with each cell's least and most sample;
 * the bounds widen to hold the typical.  c NULL or empty: nothing. */
void vexp_estimate_calibrate(vexp_estimate *e, const vexp_matrix *m, const vexp_calibration *c);
/* The estimate for people: per cell kind, per test, the total, and a warning above a day.
 * Caller frees. */
char *vexp_estimate_format(const vexp_matrix *m, const vexp_estimate *e);
/* The settings that cost most (tests by share of the lower bound, with the keys behind
 * them, and the factors that multiply every test).  Caller frees. */
char *vexp_estimate_costliest(const vexp_matrix *m, const vexp_estimate *e);
/* "90", "90s", "45m", "2h", "1d", "1h30m" -> seconds (> 0, at most 10 years).  FALSE with
 * an error quoting the text otherwise. */
gboolean vexp_parse_duration(const char *text, double *ret_s, GError **error);
/* "3d04h", "2h05m", "4m07s", "12s" */
void vexp_format_duration(double s, char *buf, gsize len);
