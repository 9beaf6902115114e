/* SPDX-License-Identifier: MIT */
/* Which process runs a run: an flock on "<store's real path>-run<ID>.lock". */
#pragma once

#include <glib.h>

/* The kernel lets the lock go however its process ends, so a run whose status
 * is still 'running' with nobody holding the lock was left by a killed
 * process: free to resume.  The file holds the owner's pid. */
typedef struct {
    char *path;
    int fd;
    gboolean held; /* fd is ours and locked */
} vexp_run_lock;

/* Takes the lock of run_id in store_file.  FALSE with *error unset when another
 * process holds it (*ret_owner its pid, 0 if unknown: the one output set on
 * failure, so the caller can name the holder); FALSE with *error set when the
 * file cannot be used.  A probe by `vexp results` holds it for an instant: a
 * few short retries ride over that. */
gboolean vexp_run_lock_take(vexp_run_lock *l, const char *store_file, gint64 run_id,
                            long *ret_owner, GError **error);
/* Removes the file, then lets go (so a waiter never locks a removed file). */
void vexp_run_lock_clear(vexp_run_lock *l);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(vexp_run_lock, vexp_run_lock_clear)

typedef enum {
    VEXP_RUN_LOCK_FREE,    /* no file, or nobody holds it */
    VEXP_RUN_LOCK_HELD,    /* a live process holds it */
    VEXP_RUN_LOCK_UNKNOWN, /* the file cannot be read here (permissions) */
} vexp_run_lock_state;

/* Whether a live process holds the lock of run_id (*ret_owner its pid when
 * HELD and the file says, else 0).  Never blocks. */
vexp_run_lock_state vexp_run_lock_probe(const char *store_file, gint64 run_id, long *ret_owner);
