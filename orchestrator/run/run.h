/* SPDX-License-Identifier: MIT */
/* vexp run's work, as cmd-run.c calls it once its options are parsed. */
#pragma once

#include <glib.h>

/* The options of `vexp run`, checked for their own ranges by cmd-run.c. */
typedef struct run_options {
    const char *matrix_path; /* as the user wrote it (it is quoted back in messages) */
    const char *store;       /* --store, or NULL */
    const char *image_dir;   /* --image, or NULL: the default image directory */
    gboolean resume;         /* --resume (also set by --retry-failed) */
    gboolean retry_failed;   /* --retry-failed: the latest run, failed cells run again */
    double limit_tap_mbps;   /* --limit-tap-mbps, 0..400000; 0 = no shaping */
    const char *const *tags; /* --tag KEY=VALUE (checked with store_tags_check); may be NULL */
    const char *summary;     /* --summary FILE: JSON written at the end; NULL = none */
    gboolean allow_insecure_uri; /* --allow-insecure-uri */
    double budget_s;         /* --budget, s; 0 = none */
    int tester_dataplane;    /* --tester-dataplane: enum traffic_dataplane, over the matrix's
                              * [traffic] tester_dataplane; -1 = the matrix's, else the
                              * engine's default */
} run_options;

/* Check everything before the first boot, run every cell of the matrix (or
 * the ones a resumed run lacks) and store every trial.  Reports to stderr.
 * Once a run row exists, its id is the last line on stdout and --summary
 * gets the run id, status, cells and store.
 * Returns the exit status: 0 all cells complete, 1 some failed, 2 bad input,
 * 3 environment failure, 130 interrupted. */
int run_matrix(const run_options *o);
