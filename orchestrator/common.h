/* SPDX-License-Identifier: MIT */
/* Helpers shared by subcommands. */
#pragma once

#include <glib.h>

#include "image.h"
#include "matrix.h"
#include "store.h"

/* Load a matrix, validating NIC models against what QEMU offers.  Errors are
 * MATRIX_ERROR with file:line. */
vexp_matrix *vexp_load_matrix(const char *path, GError **error);
/* --store, else $VEXP_STORE, else the matrix's store, else "results.db".  Borrowed. */
/* Refuse [experiment] uri values that switch off TLS or host key checks or run a
 * local command (domains_uri_insecure()), naming file:line, unless allow_insecure. */
gboolean vexp_check_uris(const vexp_matrix *m, gboolean allow_insecure, GError **error);
const char *vexp_store_path(const char *option, const vexp_matrix *m);
/* Open a store; must_exist for read-only commands (a typo must not create a file).
 * Errors: VEXP_ERROR_INPUT (no such file) or the store's. */
vexp_store *vexp_open_store(const char *path, gboolean must_exist, GError **error);
/* The read-only commands' open: never creates, never migrates, never writes. */
vexp_store *vexp_open_store_readonly(const char *path, GError **error);
gboolean vexp_parse_run_id(const char *text, gint64 *ret_id, GError **error);
/* accel = auto means kvm only where KVM really boots guests: check once (cached
 * until reboot) with the image's kernel; warns and falls back to tcg. */
void vexp_probe_accel(const vexp_image *img);
/* vexp_host_check() on this host: prints every finding as "vexp: <message>" and
 * returns the first one's exit status (VEXP_EXIT_OK when the matrix fits).  Call it
 * after vexp_probe_accel(), whose verdict it reports. */
int vexp_report_host_check(const vexp_matrix *m);
