/* SPDX-License-Identifier: MIT */
/* vexp run: the options; the work (plan, worker pool, recording, progress) is in run/. */
#include "vexp-config.h"

#include <stdio.h>

#include "common.h"
#include "estimate.h"
#include "run.h"
#include "traffic.h"
#include "vexp.h"

static int cmd_run(int argc, char **argv)
{
    g_autofree char *store_opt = NULL, *image_dir = NULL, *summary = NULL;
    g_auto(GStrv) tags = NULL;
    gboolean resume = FALSE, retry_failed = FALSE, allow_insecure_uri = FALSE;
    double limit_tap_mbps = 0, budget_s = 0;
    g_autofree char *budget = NULL, *dataplane = NULL, *dataplane_help = NULL;
    traffic_params engine;

    /* the default named is the engine's own, whatever it is in this build */
    traffic_params_init(&engine);
    dataplane_help = g_strdup_printf(
        "The local tester's data plane: socket (UDP sockets), xdp (AF_XDP on the tester's "
        "veth, else the trial fails) or auto (AF_XDP where it can, else sockets); overrides "
        "[traffic] tester_dataplane (neither given: %s). Stored as run.tester_dataplane",
        traffic_dataplane_name(engine.dataplane));
    GOptionEntry entries[] = {
        {"resume", 0, 0, G_OPTION_ARG_NONE, &resume,
         "Continue the latest interrupted run of this matrix; run only the missing cells "
         "(a cut-short cell continues from its stored figures)",
         NULL},
        {"retry-failed", 0, 0, G_OPTION_ARG_NONE, &retry_failed,
         "Like --resume, on the latest run of this matrix even if it finished: its failed "
         "cells run again too, each from its stored figures (the failures stay recorded)",
         NULL},
        {"store", 0, 0, G_OPTION_ARG_FILENAME, &store_opt,
         "SQLite results file (default: the matrix's store, else results.db)", "FILE"},
        {"image", 0, 0, G_OPTION_ARG_FILENAME, &image_dir,
         "Guest image directory (default: the one 'vexp image build' writes)", "DIR"},
        {"limit-tap-mbps", 0, 0, G_OPTION_ARG_DOUBLE, &limit_tap_mbps,
         "Shape traffic towards each guest and the bare host peer with tc tbf at this rate (a "
         "deliberate slowdown, "
         "e.g. to check that 'vexp regress' catches it)",
         "MBPS"},
        {"tag", 0, 0, G_OPTION_ARG_STRING_ARRAY, &tags,
         "Store KEY=VALUE with the run (repeatable; e.g. commit=abc123, branch=main): "
         "'vexp regress --baseline tag:branch=main' finds runs by it",
         "KEY=VALUE"},
        {"summary", 0, 0, G_OPTION_ARG_FILENAME, &summary,
         "Write a JSON summary (run id, status, cells, store, tags) to FILE at the end", "FILE"},
        {"allow-insecure-uri", 0, 0, G_OPTION_ARG_NONE, &allow_insecure_uri,
         "Accept libvirt URIs that switch off TLS or SSH host key checks (no_verify=1, "
         "known_hosts_verify=ignore) or run a local command (qemu+ext, command=)",
         NULL},
        {"budget", 0, 0, G_OPTION_ARG_STRING, &budget,
         "Refuse a matrix whose estimated lower bound (vexp render) exceeds this, e.g. 30m, "
         "2h, 1d",
         "DURATION"},
        {"tester-dataplane", 0, 0, G_OPTION_ARG_STRING, &dataplane, dataplane_help,
         "socket|xdp|auto"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("MATRIX");
    g_autoptr(GError) error = NULL;
    run_options o = {0};
    int rc;

    g_option_context_set_summary(ctx,
                                 "Boot every cell of MATRIX, run the RFC 2544 suite and store "
                                 "every trial.\nThe run's id is the last line on stdout.\n"
                                 "Exit status: 0 all cells complete, 1 some "
                                 "failed, 2 bad input, 3 environment failure, 130 interrupted.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if ((rc = vexp_parse_options(ctx, &argc, &argv)) >= 0)
        return rc;
    if (argc != 2) {
        fprintf(stderr, "vexp run: expected one MATRIX file\n");
        return VEXP_EXIT_USAGE;
    }
    if (limit_tap_mbps < 0 || limit_tap_mbps > 400000) {
        fprintf(stderr, "vexp run: --limit-tap-mbps %g: expected 0..400000\n", limit_tap_mbps);
        return VEXP_EXIT_USAGE;
    }
    if (tags && !store_tags_check((const char *const *)tags, &error))
        return vexp_report_error(error);
    resume |= retry_failed;
    if (tags && resume) {
        fprintf(stderr, "vexp run: --tag with --resume: a run's tags are set when it begins\n");
        return VEXP_EXIT_USAGE;
    }

    if (budget) {
        if (!vexp_parse_duration(budget, &budget_s, &error)) {
            fprintf(stderr, "vexp run: --budget: %s\n", error->message);
            return VEXP_EXIT_USAGE;
        }
    }

    o.tester_dataplane = -1;
    if (dataplane && (o.tester_dataplane = traffic_dataplane_from_name(dataplane)) < 0) {
        fprintf(stderr, "vexp run: --tester-dataplane '%s': expected socket, xdp or auto\n",
                dataplane);
        return VEXP_EXIT_USAGE;
    }
    o.matrix_path = argv[1];
    o.budget_s = budget_s;
    o.store = store_opt;
    o.image_dir = image_dir;
    o.resume = resume;
    o.retry_failed = retry_failed;
    o.allow_insecure_uri = allow_insecure_uri;
    o.limit_tap_mbps = limit_tap_mbps;
    o.tags = (const char *const *)tags;
    o.summary = summary;
    return run_matrix(&o);
}

const vexp_cmd vexp_cmd_run = {"run", cmd_run,
                               "boot every cell of a matrix, run RFC 2544, store every trial"};
