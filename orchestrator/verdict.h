/* SPDX-License-Identifier: MIT */
/* vexp regress's verdict for machines: JSON and JUnit XML. */
#pragma once

#include <glib.h>

#include "compare.h"

/* The gate's outcome beside the compared figures. */
typedef struct verdict_info {
    gboolean passed;
    const char *baseline_spec; /* as given: "3" or "tag:branch=main" */
    double min_matched_pct;    /* --min-matched */
    guint eligible;            /* baseline figures of cells both runs have */
    double matched_pct;        /* matched / eligible x 100 */
    gboolean too_few_matched;
} verdict_info;

/* Every figure with baseline, candidate, change, p, mdc and verdict; caller frees. */
char *verdict_json(const cmp_options *o, const cmp_result *r, const verdict_info *v);
/* One test case per figure: worse = failure with the numbers, unmatched =
 * skipped with the reason, plus one case for the matched share; caller frees. */
char *verdict_junit(const cmp_options *o, const cmp_result *r, const verdict_info *v);
