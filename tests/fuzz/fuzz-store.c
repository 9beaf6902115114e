/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the store's read-only open and every reader, on arbitrary database bytes. */
#include "vexp-config.h"

#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *path;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_store) s = NULL;
    g_autoptr(GPtrArray) runs = NULL;

    if (!path) {
        int fd = g_file_open_tmp("vexp-fuzz-store-XXXXXX.db", &path, NULL);
        if (fd < 0)
            abort();
        close(fd);
    }
    /* size capped: SQLite pages beyond 1 MiB add time, not coverage */
    if (size > (1u << 20) || !g_file_set_contents(path, (const char *)data, (gssize)size, NULL))
        return 0;
    if (!(s = store_open_readonly(path, &error)))
        return 0;
    (void)store_check_integrity(s, FALSE, NULL, NULL);
    if (store_run_list(s, &runs, NULL)) {
        for (guint i = 0; i < runs->len && i < 4; i++) {
            const store_run *r = runs->pdata[i];
            g_autoptr(store_run) run = NULL;
            g_autoptr(GPtrArray) rows = NULL, cells = NULL, trials = NULL, cmp = NULL;
            g_autofree char *text = NULL;

            (void)store_results_rows(s, r->id, &run, &rows, NULL);
            (void)store_cells_rows(s, r->id, &cells, NULL);
            (void)store_trials_rows(s, r->id, "throughput", &trials, NULL);
            (void)store_run_matrix_text(s, r->id, &text, NULL);
            (void)store_compare(s, r->id, ((const store_run *)runs->pdata[0])->id, 5.0, 0.05, &cmp,
                                NULL);
        }
    }
    return 0;
}
