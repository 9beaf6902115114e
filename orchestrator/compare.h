/* SPDX-License-Identifier: MIT */
/* What vexp compare and vexp regress share: two runs' figures loaded, checked, filtered, tabled. */
#pragma once

#include <glib.h>

#include "store.h"

/* The options both commands take, as parsed. */
typedef struct cmp_options {
    const char *verb; /* "compare" | "regress", for messages */
    const char *store_path;
    double threshold_pct, alpha;
    const char *metrics, *tests, *directions, *frame_sizes; /* comma lists; NULL = all */
    gboolean allow_mixed_accel, allow_different_settings;
} cmp_options;

/* Two runs compared and filtered. */
typedef struct cmp_result {
    vexp_store *store;
    store_run *a, *b; /* baseline, candidate */
    GPtrArray *rows;  /* store_compare_row *, the selected ones only */
    guint n_filtered; /* rows the filters left out */
    guint n_diagnostic; /* rows of the search's diagnostics left out (no --metrics) */
    GPtrArray
        *diffs; /* store_setting_diff *: differences let through by --allow-different-settings */
    const store_compare_row *mixed; /* first pair across accelerators (--allow-mixed-accel) */
    guint n_mixed;
    guint worse, better, same, only_a, only_b, thr_only;
} cmp_result;
void cmp_result_free(cmp_result *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(cmp_result, cmp_result_free)

/* Options in range (prints and returns FALSE otherwise). */
gboolean cmp_options_check(const cmp_options *o);

/* Opens the store (read-write: regress records its verdict), compares run a
 * with run b (0 = the latest), refuses pairs across accelerators, runs whose
 * settings differ, filter values the runs do not have and an empty
 * comparison.  Prints what it refuses to stderr; returns -1 to go on with
 * *ret set, else the exit status. */
int cmp_load(const cmp_options *o, vexp_store *store, gint64 a, gint64 b, cmp_result **ret);

/* matched = worse + better + same */
static inline guint cmp_matched(const cmp_result *r)
{
    return r->worse + r->better + r->same;
}

/* The text table with its header (stdout).  only_changes: rows that are
 * not 'same' (and same* rows). */
void cmp_print_text(const cmp_options *o, const cmp_result *r, gboolean only_changes);
