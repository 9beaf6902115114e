/* SPDX-License-Identifier: MIT */
/* report/ internals shared by its files: orderings and the index of a run's result rows. */
#pragma once

#include "report.h"

/* frame sizes ordered numerically (guint elements of a GArray) */
gint report_cmp_uint(gconstpointer a, gconstpointer b);
/* directions in, out, both, then others by name (char * elements of a GPtrArray) */
gint report_cmp_direction(gconstpointer a, gconstpointer b);

/* The key of one result row in report_index_rows(); caller frees. */
char *report_row_key(guint cell, const char *test, const char *dir, guint frame,
                     const char *metric);
/* (cell, test, direction, frame, metric) -> store_result_row *, borrowed from run. */
GHashTable *report_index_rows(const report_run *run);
