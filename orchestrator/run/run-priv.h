/* SPDX-License-Identifier: MIT */
/* vexp run's internals shared by the files of orchestrator/run/; not for cmd-run.c. */
#pragma once

#include <sched.h>
#include <signal.h>

#include <glib.h>

#include "cells.h"
#include "common.h"
#include "domains-host.h"
#include "domains-lifecycle.h"
#include "domains-net.h"
#include "guest.h"
#include "vexp.h"

/* raised by SIGINT/SIGTERM (run_install_signals); everything polls it */
extern volatile sig_atomic_t run_cancel_flag;

typedef enum {
    CELL_COMPLETE,
    CELL_FAILED,
    CELL_INTERRUPTED,
    CELL_FATAL,
    CELL_HV_LOST,  /* the hypervisor went away: the cell goes back to the queue */
    CELL_DEFERRED, /* not the NIC's fault and not now: left 'interrupted' for --resume */
    CELL_RETRY,    /* the guest's NIC stopped sending: recorded as failed (a finding), and a
                    * new guest continues the cell from its stored figures */
} cell_outcome;

typedef struct run_state run_state;
typedef struct run_record run_record; /* one cell's figures (record.c) */

/* a cell whose hypervisor dies under it runs again elsewhere this many times:
 * a cell that kills every hypervisor it meets must not take the run down */
#define VEXP_MAX_CELL_MOVES 1
/* a cell whose guest NIC stalls is continued in a new guest this many times */
#define VEXP_MAX_CELL_RETRIES 1

/* One hypervisor ([experiment] uri) and the worker thread that runs its cells one at a time. */
typedef struct run_hv {
    run_state *st;
    guint index;        /* position in [experiment] uri */
    const char *uri;    /* as written */
    domains_conn *conn; /* NULL: unreachable, or a run of host cells only */
    char *host, *libvirt_v, *qemu_v;
    const char *accel_auto; /* what accel = auto resolves to on this hypervisor */
    gboolean lost;
    char *lost_reason;
    GThread *thread;
    traffic_params params; /* the run's, with this worker's tester port */
    vexp_netplan plan;     /* the run's, with this worker's tap names */
    char plan_tap[16];
    guint cells_run;

    /* current cell */
    guint cell_index;
    const matrix_cell *cell;
    gint64 cell_id;
    domains_guest *guest;
    run_record *record; /* this cell's figures: the unit in progress, the units stored */
    guint units_done;
    guint64 cpu0_ns;
    gint64 t0_us;
    gboolean have_cpu0;
    double host_cpu_pct;
    gint64 last_alive_us;
    gboolean guest_died;
    GError *store_error;
} run_hv;

struct run_state {
    const vexp_matrix *m;
    vexp_store *store;
    gint64 run_id;
    const char *console_dir; /* serial console files of local hypervisors' guests */
    domains_net *net;        /* namespace mode */
    vexp_netplan plan;
    char plan_tap[16];
    vexp_image *img;
    const char *tag;
    const char *traffic_static; /* the static engine pushed into guests and the tester */
    const char *traffic_local;  /* the engine run for host cells */
    char *tester_engine;        /* the engine's path on a remote tester */
    double limit_tap_mbps;      /* > 0: tc tbf on each guest's tap (an injected slowdown) */
    char *host_netns, *host_addr;
    gboolean tty;
    /* the local tester's CPUs ([traffic] tester_cpus); tester_pinned FALSE = not pinned */
    gboolean tester_pinned;
    cpu_set_t tester_cpus;
    unsigned tester_cpu_list[TRAFFIC_MAX_TESTER_CPUS]; /* the same, in order: the engine's
                                                        * senders/receivers, k on [k % n] */
    unsigned n_tester_cpus;
    char *tester_cpus_text; /* "0", "2-3"; NULL when not pinned */

    run_hv **hvs;
    guint n_hvs;
    /* queue, in_flight, moves, cells_done, failed, interrupted, deferred, fatal */
    GMutex queue_lock;
    GCond queue_cond;  /* a cell ended: it may have been requeued */
    GQueue queue;      /* cell indexes still to run */
    guint in_flight;   /* cells running now: a lost hypervisor may requeue them */
    guint *moves;      /* per cell: times it lost its hypervisor and went back to the queue */
    guint *retries;    /* per cell: times a new guest continued it (CELL_RETRY) */
    GMutex store_lock; /* the store and the host peer */
    GMutex out_lock;   /* stderr */
    GMutex trial_lock; /* trials take turns on the one tester unless parallel_trials */
    gboolean serial_trials;

    /* progress */
    guint cells_to_run, cells_done, failed, interrupted, deferred;
    guint failed_before; /* --resume: cells that had failed in the earlier session */
    gboolean fatal;
    gint64 t_start_us;
    guint units_per_cell;
    double est_cell_s; /* the model's wall time of an average cell (estimate.c), s */
    char status[240];
    gint64 last_draw_us;
};

/* progress.c: the status line (redrawn at most every 200 ms on a terminal) and
 * lines that stay */
void run_hv_prefix(const run_hv *w, char *buf, size_t len);
void run_progress(run_hv *w, gboolean force, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
void run_say(run_state *st, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* record.c: traffic results -> store rows.  The observer's userdata is the
 * worker; trials go to the store as they end, each unit's figures (its measures and
 * their samples) when the unit is final; units already in the store are skipped. */
run_record *run_record_new(void);
void run_record_free(run_record *r); /* accepts NULL */
void run_record_reset(run_record *r);
void run_record_observer(run_hv *w, traffic_observer *ret_obs);
/* The cell's new attempt takes the earlier attempt's measures (*ret_kept: how many); the
 * suite then skips the units they complete. */
gboolean run_record_resume(run_hv *w, guint *ret_kept, GError **error);
/* units of the suite (w->params) not yet in the store: 0 = nothing to measure */
guint run_record_missing(const run_hv *w);
/* the cell's result rows, one per (test, direction, frame size, metric) over the
 * repetitions, derived from the stored samples */
gboolean run_record_store(run_hv *w, GError **error);

/* cell.c: boot, measure, record and tear down cell i on worker w */
cell_outcome run_cell(run_hv *w, guint i);
/* where this hypervisor's QEMU writes a guest's serial console */
const char *run_hv_console_dir(const run_hv *w);

/* pool.c: one worker per hypervisor, cells from the shared queue */
run_hv *run_hv_new(run_state *st, guint index, const traffic_params *params);
void run_hv_free(run_hv *w); /* accepts NULL */
/* Starts a worker per usable hypervisor and waits for them all. */
void run_pool_run(run_state *st, gboolean any_vm);

/* pin.c: [traffic] tester_cpus resolved (auto: the CPUs no vcpu_pin uses), checked */
gboolean run_tester_pin_plan(run_state *st, GError **error);
/* The calling thread (and the threads it starts) onto the tester's CPUs; FALSE when not
 * pinned (then nothing to leave) */
gboolean run_tester_pin_enter(const run_state *st, cpu_set_t *ret_saved);
void run_tester_pin_leave(const cpu_set_t *saved);

/* plan.c: what is checked and prepared before the first boot */
char *run_find_engine(const char *name); /* caller frees; NULL: not found */
void run_install_signals(void);
guint run_open_hypervisors(run_state *st, GError **error);
gboolean run_check_cells(run_state *st, GError **error);
const char *run_accel(run_state *st); /* static string */
gboolean run_prepare_tester(run_state *st, GError **error);
void run_cleanup_tester(run_state *st);
