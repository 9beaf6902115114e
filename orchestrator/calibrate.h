/* SPDX-License-Identifier: MIT */
/* The estimate's calibration: how long this host's earlier cells took against the model. */
#pragma once

#include <glib.h>

#include "estimate.h"

/* Runs of the store looked at, newest first. */
#define VEXP_CALIB_RUNS 20

typedef struct vexp_calib_set vexp_calib_set;

/*
 * The complete first attempts of cells in the newest VEXP_CALIB_RUNS runs of the store at
 * store_path that ran on this host (run.host = this host name) and, when m names its
 * accelerator (kvm or tcg), with that accelerator.  Each cell's ratio is its measured wall
 * time over the model's typical for that cell in its own run's matrix (re-read from the store,
 * matrix_load_stored(); a run whose matrix this build no longer reads is left out).
 * A missing store gives an empty set; a store that cannot be read gives an empty set and
 * *ret_note says why.  Never fails the caller.
 */
vexp_calib_set *vexp_calib_load(const char *store_path, const vexp_matrix *m, char **ret_note);
/* The samples, valid while the set lives. */
vexp_calibration vexp_calib_get(const vexp_calib_set *set);
void vexp_calib_free(vexp_calib_set *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vexp_calib_set, vexp_calib_free)
