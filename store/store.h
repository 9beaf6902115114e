/* SPDX-License-Identifier: MIT */
/* vexp store: runs, configs, cells, every trial and the derived results in SQLite. */
#pragma once

#include <glib.h>

/*
 * The schema is documented in store/SCHEMA.md and versioned with
 * PRAGMA user_version; store_open() migrates older files and refuses newer
 * ones.  Every write is its own transaction, so an interrupted run keeps
 * everything it finished.  Nothing here prints.
 *
 * Strings passed in are copied; strings and arrays returned are owned by
 * the caller (free functions below, GPtrArrays come with their free func).
 */

typedef struct vexp_store vexp_store;

#define STORE_ERROR (store_error_quark())
GQuark store_error_quark(void);
typedef enum {
    STORE_ERROR_OPEN,      /* cannot open/create the file, or not a vexp store */
    STORE_ERROR_VERSION,   /* the file's schema is newer than this vexp */
    STORE_ERROR_SQL,       /* SQLite failed (I/O, busy, constraint, ...) */
    STORE_ERROR_NOT_FOUND, /* no such run/cell */
    STORE_ERROR_INVALID,   /* bad argument value (status, empty samples, ...) */
    STORE_ERROR_CORRUPT,   /* damaged pages or indexes (SQLITE_CORRUPT, quick_check) */
} store_error_code;

/* schema version written by this build (PRAGMA user_version) */
#define STORE_SCHEMA_VERSION 7

/* ":memory:" works too (no WAL then). */
vexp_store *store_open(const char *path, GError **error);
/*
 * For the commands that only read: opens read-only (never creates, never
 * switches journal modes, never migrates).  An empty or foreign file, a
 * negative user_version: STORE_ERROR_OPEN; an older schema: STORE_ERROR_VERSION
 * naming the command that migrates it; a newer one: STORE_ERROR_VERSION.
 * store_open() (for writing) also refuses a store that fails PRAGMA quick_check
 * (STORE_ERROR_CORRUPT) before it changes anything.
 */
vexp_store *store_open_readonly(const char *path, GError **error);
gboolean store_is_readonly(const vexp_store *store);
/* PRAGMA user_version; -1 when it cannot be read. */
int store_schema_version(vexp_store *store);
/*
 * PRAGMA quick_check (full: integrity_check).  With ret_report: TRUE and
 * *ret_report the problems found (NULL when none; caller frees).  Without it:
 * FALSE with STORE_ERROR_CORRUPT when there are problems.
 */
gboolean store_check_integrity(vexp_store *store, gboolean full, char **ret_report, GError **error);
/* Accepts NULL. */
void store_close(vexp_store *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vexp_store, store_close)

const char *store_path(const vexp_store *store);

/* ---- runs ---- */

/* The [traffic] settings a run was started with, after the matrix's defaults
 * (the matrix owns them; the store only records them).  Unknown: NAN, 0. */
typedef struct store_run_traffic {
    double line_rate_mbps; /* wire Mbit/s (frame + 20 B preamble/IFG) */
    double trial_s;        /* length of a final trial, s */
    double resolution_pct; /* the throughput search stops at this width, % */
    guint repetitions;     /* repetitions of each procedure */
    /* the throughput search (since schema v4): "mlrsearch" | "rfc2544", the goals as
     * "ndr:0,pdr:0.5" (name:loss %), the exceed ratio %, the duration sum s; NULL/NAN unknown.
     * Owned by the caller when recording; by store_run when read back. */
    const char *method;
    const char *goals;
    double exceed_pct, duration_sum_s;
    /* since v5: the CPUs the local tester's threads ran on ("0", "2-3"); NULL = not pinned
     * (or a remote tester); same ownership as method */
    const char *tester_cpus;
    /* since v7: the tester's data plane the run asked for ("auto", "xdp", "socket", as
     * traffic_dataplane_name() names them); NULL = unknown (or a remote tester); same
     * ownership as method */
    const char *tester_dataplane;
} store_run_traffic;

/* Every field unknown (NAN, 0). */
void store_run_traffic_init(store_run_traffic *t);

typedef struct store_run_info {
    const char *name;        /* [experiment] name */
    const char *matrix_text; /* the matrix file as read */
    const char *matrix_hash; /* SHA-256 hex of matrix_text */
    const char *vexp_version;
    const char *host;            /* g_get_host_name() of the orchestrator; may be NULL */
    const char *libvirt_version; /* may be NULL */
    const char *qemu_version;    /* may be NULL */
    const char *accel;           /* resolved: kvm | tcg | mixed; may be NULL */
    /* last, so that positional initialisers of the fields above still work */
    const store_run_traffic *traffic; /* NULL = not known */
    /* "KEY=VALUE" each (store_tag_parse()), NULL-terminated; NULL = none.
     * Stored in the same transaction as the run row (since schema v5). */
    const char *const *tags;
} store_run_info;

/* Inserts a run with status 'running' and its tags; nothing when a tag is refused. */
gboolean store_run_begin(vexp_store *store, const store_run_info *info, gint64 *ret_run_id,
                         GError **error);
/* The latest run of that matrix whose status is 'running' or 'interrupted';
 * *ret_run_id = 0 when there is none (that is not an error). */
gboolean store_run_find_resumable(vexp_store *store, const char *matrix_hash, gint64 *ret_run_id,
                                  GError **error);
/* The latest run of the matrix whatever its status (--retry-failed); 0 when none. */
gboolean store_run_find_latest(vexp_store *store, const char *matrix_hash, gint64 *ret_run_id,
                               GError **error);
/* --resume: status back to 'running', finished_at cleared (no second run row). */
gboolean store_run_resume(vexp_store *store, gint64 run_id, GError **error);
/* status: complete | interrupted | failed; sets finished_at. */
gboolean store_run_finish(vexp_store *store, gint64 run_id, const char *status, GError **error);

typedef struct store_run {
    gint64 id;
    char *name;
    char *started_at;  /* ISO 8601 UTC, "2025-01-31T12:00:00.000Z" */
    char *finished_at; /* NULL while running */
    char *status;
    char *matrix_hash;
    char *vexp_version;
    char *host, *libvirt_version, *qemu_version, *accel; /* may be NULL */
    /* as recorded at `vexp run`; runs before schema v3 know their line rate
     * only (the migration reads it from their matrix text) */
    store_run_traffic traffic;
} store_run;
void store_run_free(store_run *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(store_run, store_run_free)

/* run_id 0 = the latest run (highest id).  STORE_ERROR_NOT_FOUND if none. */
gboolean store_run_get(vexp_store *store, gint64 run_id, store_run **ret_run, GError **error);
/* The matrix text of a run (for 'vexp results' provenance); caller frees. */
gboolean store_run_matrix_text(vexp_store *store, gint64 run_id, char **ret_text, GError **error);
/* All runs, newest first; elements are store_run *. */
gboolean store_run_list(vexp_store *store, GPtrArray **ret_runs, GError **error);

/* ---- tags, gate verdicts, baselines (since schema v5) ---- */

/* A tag's limits: at most STORE_TAGS_MAX per run; the key 1..64 bytes of
 * [A-Za-z0-9_.-], the value 0..256 bytes without control characters. */
#define STORE_TAGS_MAX 32
#define STORE_TAG_KEY_MAX 64
#define STORE_TAG_VALUE_MAX 256

/* Splits "KEY=VALUE" at the first '='; STORE_ERROR_INVALID naming the text
 * and the rule it breaks.  ret_key, ret_value (caller frees) untouched on failure. */
gboolean store_tag_parse(const char *text, char **ret_key, char **ret_value, GError **error);
/* Checks a list of "KEY=VALUE" (count, each tag, no key twice). */
gboolean store_tags_check(const char *const *tags, GError **error);
/* The tags of a run as "KEY=VALUE", sorted by key; elements are char *. */
gboolean store_run_tags(vexp_store *store, gint64 run_id, GPtrArray **ret_tags, GError **error);

/* One verdict of `vexp regress`: run_id judged against baseline_id. */
typedef struct store_gate {
    gint64 run_id, baseline_id;
    gboolean passed;
    double threshold_pct, alpha;
    guint matched, worse, unmatched; /* figures */
    const char *reason;              /* why it failed beyond worse figures; NULL */
} store_gate;
gboolean store_gate_record(vexp_store *store, const store_gate *gate, GError **error);
/* The latest verdict on run_id: *ret_verdict "pass" | "fail", or NULL when
 * never judged (caller frees). */
gboolean store_gate_latest(vexp_store *store, gint64 run_id, char **ret_verdict, GError **error);

/* Marks a run as a baseline by hand (`vexp baseline set`): it must be
 * complete (STORE_ERROR_INVALID otherwise, STORE_ERROR_NOT_FOUND when absent). */
gboolean store_baseline_set(vexp_store *store, gint64 run_id, GError **error);
/* Removes the mark; STORE_ERROR_NOT_FOUND when the run was not marked. */
gboolean store_baseline_unset(vexp_store *store, gint64 run_id, GError **error);
/* The latest complete run tagged key=value with an id below before_id (0:
 * any) that was marked with store_baseline_set() or whose latest gate
 * passed: a run that failed its gate, or was never judged, is not one by
 * itself.  *ret_run_id = 0 when there is none (not an error). */
gboolean store_baseline_find(vexp_store *store, const char *key, const char *value,
                             gint64 before_id, gint64 *ret_run_id, GError **error);

/* ---- configs ---- */

typedef struct store_config_info {
    const char *key;          /* config key (SHA-256 of the canonical domain XML); required */
    const char *nic;          /* required; "host" for the bare reference */
    guint vcpus;              /* 0 = not applicable (nic = host) -> NULL */
    const char *vcpu_pin;     /* "1", "0 1", "none"; NULL = n/a */
    const char *emulator_pin; /* NULL = n/a */
    guint memory_mib;         /* 0 = n/a -> NULL */
    const char *accel;        /* kvm | tcg (resolved); NULL = n/a */
    const char *machine;      /* NULL = default */
    const char *domain_xml;   /* canonical form; NULL for nic = host */
    /* last, so that positional initialisers of the fields above still work */
    const char *vhost; /* "on" | "off" (vhost-net); NULL = n/a or the template's */
    guint queues;      /* virtio multiqueue; 0 = not set -> NULL */
} store_config_info;

/* Inserts the config unless its key exists; returns its id either way.
 * An existing row is never changed (the key identifies the content). */
gboolean store_config_upsert(vexp_store *store, const store_config_info *info,
                             gint64 *ret_config_id, GError **error);

/* ---- cells ---- */

/* Starts attempt k+1 of (run, cell_index): a 'running' earlier attempt (a
 * crash) is marked 'interrupted' first; earlier attempts and their trials
 * stay as history, queries use the latest attempt.  label: "nic=virtio vcpu_pin=1". */
gboolean store_cell_begin(vexp_store *store, gint64 run_id, gint64 config_id, guint cell_index,
                          const char *label, gint64 *ret_cell_id, GError **error);
/* Where the cell ran: libvirt URI and hypervisor host name (either may be NULL). */
gboolean store_cell_set_hypervisor(vexp_store *store, gint64 cell_id, const char *uri,
                                   const char *host, GError **error);
/* For --resume: TRUE when the latest attempt of (run, cell_index) is
 * 'complete' or 'failed' (a failed cell was recorded with its reason; re-run
 * it only on purpose).  FALSE when never begun, running or interrupted. */
gboolean store_cell_done(vexp_store *store, gint64 run_id, guint cell_index, gboolean *ret_done,
                         GError **error);
/* The latest attempt's status, or NULL when never begun; caller frees. */
gboolean store_cell_status(vexp_store *store, gint64 run_id, guint cell_index, char **ret_status,
                           GError **error);
/* status: complete | failed | interrupted; reason, guest_driver (e.g. "virtio_net"),
 * guest_kernel (uname -r) may be NULL. */
gboolean store_cell_finish(vexp_store *store, gint64 cell_id, const char *status,
                           const char *reason, const char *guest_driver, const char *guest_kernel,
                           GError **error);

/* ---- trials ---- */

/* One trial as measured.  Doubles set to NAN and strings set to NULL are
 * stored as NULL.  Plain struct so that the store does not depend on traffic.h. */
typedef struct store_trial {
    const char *test;      /* throughput | latency | loss | b2b | rtt */
    const char *direction; /* in | out | both */
    guint frame_size;      /* bytes on L2 incl. FCS, preamble/IFG excluded */
    guint repetition;      /* 1-based repetition of the procedure */
    guint step;            /* 0-based trial number inside one repetition (search step) */
    double offered_fps;    /* offered rate asked for (RFC 9971's intended load), frames/s */
    double sent_fps;       /* rate actually sent, tx / duration (the offered load); NAN unknown */
    double duration_s;     /* actual sending time, s */
    guint64 tx, rx, lost, reordered, duplicated; /* frames */
    double loss_pct;                             /* lost / tx * 100 */
    double dut_cpu_pct;                          /* guest CPU busy %, NAN = unknown */
    double host_cpu_pct;  /* QEMU process CPU % (libvirt stats), NAN = unknown */
    gboolean passed;      /* loss within the tolerance (search outcome of this step) */
    gboolean valid;       /* FALSE: the trial is kept but not used; reason says why */
    const char *reason;   /* NULL when valid */
    gboolean reflect;     /* the DUT reflected the frames back (round trip path) */
    guint64 burst_frames; /* b2b: frames in the burst; 0 = n/a -> NULL */
    gboolean has_rtt;     /* FALSE: every rtt_* column NULL */
    guint64 rtt_n;        /* probes with a round trip time */
    double rtt_min_us, rtt_mean_us, rtt_p50_us, rtt_p90_us, rtt_p99_us, rtt_p999_us, rtt_max_us,
        rtt_jitter_us; /* microseconds */
    const char *tester_dataplane; /* the tester side's plane that ran ("xdp", "socket"); NULL =
                                   * unknown (the tester did not say) */
} store_trial;

/* Zeroed trial with every nullable double set to NAN and valid = TRUE. */
void store_trial_init(store_trial *t);

gboolean store_trial_add(vexp_store *store, gint64 cell_id, const store_trial *t, GError **error);

/* One stored trial, as read back. */
typedef struct store_trial_row {
    guint cell_index;
    char *test, *direction;
    guint frame_size, repetition, step;
    double offered_fps, duration_s, loss_pct; /* NAN where NULL */
    guint64 tx, rx, lost;
    gboolean passed, valid;
    char *tester_dataplane; /* NULL = unknown (trials before schema v7, or not said) */
} store_trial_row;
void store_trial_row_free(store_trial_row *row);

/* The trials of the latest attempt of every cell of a run (0 = latest);
 * test NULL = every test.  Ordered by cell index, test, direction, frame
 * size, repetition, step.  Elements are store_trial_row *. */
gboolean store_trials_rows(vexp_store *store, gint64 run_id, const char *test, GPtrArray **ret_rows,
                           GError **error);

/* ---- results ---- */

/* Metric names used by vexp; SCHEMA.md lists units.  Any name may be stored:
 * compare treats names starting with "throughput_" or "b2b_", ending in
 * "_fps" or containing "_mbps" as higher-is-better, all others (times, loss,
 * CPU) as lower-is-better. */
#define STORE_METRIC_THROUGHPUT_FPS "throughput_fps"             /* frames/s */
#define STORE_METRIC_THROUGHPUT_MBPS_L2 "throughput_mbps_l2"     /* Mbit/s, frame bytes */
#define STORE_METRIC_THROUGHPUT_MBPS_WIRE "throughput_mbps_wire" /* + 20 B preamble/IFG */
#define STORE_METRIC_RTT_P50_US "rtt_p50_us"
#define STORE_METRIC_RTT_P99_US "rtt_p99_us"
#define STORE_METRIC_LOSS_PCT_AT_MAX "loss_pct_at_max"
#define STORE_METRIC_B2B_FRAMES "b2b_frames"
#define STORE_METRIC_DUT_CPU_PCT "dut_cpu_pct"
#define STORE_METRIC_HOST_CPU_PCT "host_cpu_pct"

/* TRUE when a larger value is better (see above). */
gboolean store_metric_higher_is_better(const char *metric);
/* The search's own figures (throughput_<goal>_precision_pct, _search_trial_s, _ceiling_fps):
 * what a figure cost and how sure it is, not the DUT's performance.  compare and regress
 * leave them out unless --metrics names them. */
gboolean store_metric_is_diagnostic(const char *metric);

/* One derived figure from the per-repetition values (non-finite samples are
 * skipped; none left -> STORE_ERROR_INVALID).  The store computes n, mean,
 * sample stddev and the Student-t 95 % interval (NULL stddev/ci when n = 1).
 * Adding the same (cell, test, direction, frame_size, metric) again replaces it. */
gboolean store_result_add(vexp_store *store, gint64 cell_id, const char *test,
                          const char *direction, guint frame_size, const char *metric,
                          const char *unit, const double *samples, guint n, GError **error);

/* The statistics store_result_add() stores, of n samples as given (no
 * sample skipped): mean, sample stddev and the half width of the Student-t
 * 95 % interval; NAN where n is too small. */
typedef struct store_summary {
    double mean, stddev, ci95_half;
} store_summary;
store_summary store_summarise(const double *samples, guint n);

typedef struct store_result_row {
    guint cell_index;
    char *label; /* cell label */
    char *cell_status;
    char *config_key;
    char *nic;
    char *accel;             /* config's accel (kvm|tcg), else the run's; may be NULL */
    char *vhost;             /* config's vhost: "on" | "off"; NULL = n/a or the template's */
    guint queues;            /* config's virtio queues; 0 = not set */
    char *hypervisor, *host; /* the cell's libvirt URI and hypervisor host; may be NULL */
    char *test, *direction;
    guint frame_size;
    char *metric, *unit;
    guint n;
    double mean;
    double stddev;              /* NAN when n = 1 */
    double ci95_low, ci95_high; /* NAN when n = 1 */
    double cov_pct;             /* coefficient of variation, %; NAN when n = 1 or unknown */
    gboolean bimodal;           /* the repetitions fall into two bands (stats_bimodal) */
} store_result_row;
void store_result_row_free(store_result_row *row);

/* ---- measures: the figures of one repetition (since schema v6) ---- */

/* One test x direction x frame size x repetition of a cell, final.  Strings are static or
 * the caller's. */
typedef struct store_measure {
    const char *test, *direction;
    guint frame_size, repetition;
} store_measure;

/* One value of a figure of a measure (one repetition's throughput_fps, ...). */
typedef struct store_sample {
    guint measure; /* index into the measures passed with it */
    const char *metric, *unit;
    double value; /* finite */
} store_sample;

/* The measures of one unit of the suite, final, and their samples: one transaction, so that
 * a kill keeps a unit whole or not at all.  measured_by is the cell itself.  A measure the
 * cell has already: STORE_ERROR_INVALID, nothing written. */
gboolean store_measures_add(vexp_store *store, gint64 cell_id, const store_measure *measures,
                            guint n_measures, const store_sample *samples, guint n_samples,
                            GError **error);
/* A new attempt takes the measures (and samples) of the cell's previous attempt in the run,
 * keeping which attempt measured them; *ret_n (may be NULL) = how many.  One transaction;
 * nothing to carry (a first attempt) is not an error. */
gboolean store_measures_carry(vexp_store *store, gint64 cell_id, guint *ret_n, GError **error);

typedef struct store_measure_row {
    char *test, *direction;
    guint frame_size, repetition;
    gint64 measured_by; /* the cell attempt whose trials these are */
} store_measure_row;
void store_measure_row_free(store_measure_row *row);
/* The measures of a cell attempt (carried ones too), in the order they were final.
 * Elements are store_measure_row *. */
gboolean store_measures_rows(vexp_store *store, gint64 cell_id, GPtrArray **ret_rows,
                             GError **error);
/* The cell's result rows from its samples, replacing any it had: one row per (test,
 * direction, frame size, metric) over the repetitions (store_result_add()), in the order
 * their first samples came.  One transaction. */
gboolean store_results_derive(vexp_store *store, gint64 cell_id, GError **error);

/* Results of a run (0 = latest), latest attempt of each cell, ordered by
 * cell index then insertion.  ret_run (optional) gets the run's info. */
gboolean store_results_rows(vexp_store *store, gint64 run_id, store_run **ret_run,
                            GPtrArray **ret_rows, GError **error);

typedef struct store_cell_row {
    gint64 id;
    guint cell_index;
    guint attempt;
    char *label, *config_key, *nic, *status;
    char *reason, *guest_driver, *guest_kernel, *hypervisor, *host; /* may be NULL */
    char *started_at, *finished_at;                                 /* finished_at may be NULL */
    char *accel;  /* config's accel, else the run's; may be NULL */
    char *vhost;  /* config's vhost: "on" | "off"; NULL = n/a or the template's */
    guint queues; /* config's virtio queues; 0 = not set */
    guint vcpus;  /* config's vCPUs; 0 = n/a (nic = host) */
} store_cell_row;
void store_cell_row_free(store_cell_row *row);
/* Latest attempt of every cell of a run (0 = latest), by cell index. */
gboolean store_cells_rows(vexp_store *store, gint64 run_id, GPtrArray **ret_rows, GError **error);
/* Distinct (hypervisor, host) pairs among those cells (cells that have
 * neither are not counted): 1 for a run on one hypervisor. */
guint store_cells_n_hypervisors(GPtrArray *cells);

/* ---- compare / regress ---- */

typedef enum {
    STORE_VERDICT_SAME,
    STORE_VERDICT_BETTER,
    STORE_VERDICT_WORSE,
    STORE_VERDICT_ONLY_A, /* unmatched: only in run A (baseline) */
    STORE_VERDICT_ONLY_B, /* unmatched: only in run B (candidate) */
} store_verdict;

/* "same" | "better" | "worse" | "only-a" | "only-b" */
const char *store_verdict_name(store_verdict v);

typedef struct store_compare_row {
    char *config_key;
    char *label; /* cell label in run A, else in run B */
    char *nic, *test, *direction;
    guint frame_size;
    char *metric, *unit;
    gboolean higher_is_better;
    guint n_a, n_b;                            /* 0 on the missing side of an unmatched row */
    double mean_a, stddev_a, mean_b, stddev_b; /* NAN where missing / n = 1 */
    double delta_pct; /* (mean_b - mean_a) / |mean_a| * 100; +-INFINITY when mean_a = 0 != mean_b */
    double t, df, p;  /* Welch; NAN when threshold_only */
    gboolean threshold_only; /* n = 1 on a side: the threshold alone decided */
    store_verdict verdict;
    /* Accelerator of each side's figure: the config's, else its run's; NULL
     * for nic = host (no VM) or when unknown, and on the missing side. */
    char *accel_a, *accel_b;
    char *vhost;  /* the config's ("on" | "off"), the same on both sides; may be NULL */
    guint queues; /* the config's virtio queues; 0 = not set */
    /* each side's repeatability as stored (result.cov_pct, result.bimodal) */
    double cov_a, cov_b; /* %; NAN where n = 1, unknown or missing */
    gboolean bimodal_a, bimodal_b;
    /* the smallest change Welch's test could call significant at alpha with
     * these spreads and n: t(1 - alpha/2, df) x sqrt(s_a^2/n_a + s_b^2/n_b)
     * / |mean_a| x 100, in %; NAN when a side has n < 2 or mean_a = 0 */
    double mdc_pct;
    /* only-a / only-b rows: the other run has a cell with this label (its
     * figures did not match: the config key or the figure changed) */
    gboolean cell_in_both;
} store_compare_row;
void store_compare_row_free(store_compare_row *row);

/* TRUE for a matched row whose two figures were measured under different
 * accelerators (both known, e.g. kvm against tcg): not comparable.  Since the
 * accelerator is part of the domain XML, this happens only where the config
 * does not record it and the runs' accelerators differ. */
gboolean store_compare_row_mixed_accel(const store_compare_row *row);

/* Matches the results of run_a (baseline) and run_b (candidate; 0 = latest)
 * by config key, test, direction, frame size and metric.  A row is "worse"
 * when it changed for the worse by more than threshold_pct percent AND
 * Welch's two-sided p < alpha (or threshold_only); "better" likewise.
 * Matched rows first (run A's order), then only-a, then only-b rows. */
gboolean store_compare(vexp_store *store, gint64 run_a, gint64 run_b, double threshold_pct,
                       double alpha, GPtrArray **ret_rows, GError **error);

/* A traffic setting that differs between two runs, as text for messages. */
typedef struct store_setting_diff {
    char *name;              /* trial_s, method, goals, exceed_pct, duration_sum_s,
                                resolution_pct, line_rate_mbps, frame_sizes */
    char *value_a, *value_b; /* e.g. "10", "64,1518" */
} store_setting_diff;
void store_setting_diff_free(store_setting_diff *d);
/* The settings of run_a and run_b that differ where both are known (NULL
 * columns of runs from older schemas are not differences); frame sizes are
 * those of the runs' results.  The accelerator is not a run setting here:
 * it is judged per figure (store_compare_row_mixed_accel()), since the bare
 * host reference has none.  Elements are store_setting_diff *. */
gboolean store_compare_settings(vexp_store *store, gint64 run_a, gint64 run_b,
                                GPtrArray **ret_diffs, GError **error);
