/* SPDX-License-Identifier: MIT */
/* vexp run from the parsed options to the exit status: preflight, the run row, the pool, the end.
 */
#include "vexp-config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "estimate.h"
#include "calibrate.h"
#include "run-priv.h"
#include "run.h"
#include "runlock.h"

/* what one vexp run owns, freed by ctx_clear in the order the run needs */
typedef struct run_ctx {
    const run_options *o;
    vexp_matrix *m;
    vexp_store *store;
    vexp_image *img;
    domains_net *net;
    char *tag, *traffic_static, *traffic_local, *console_dir;
    traffic_params params;
    gboolean any_vm, bridge_mode;
    guint n; /* cells in the matrix */
    vexp_run_lock lock;
    run_state st;
    gboolean run_open; /* the run row is ours to finish */
    gboolean interrupted;
    guint not_run; /* cells left in the queue */
} run_ctx;

static void ctx_clear(run_ctx *c)
{
    /* the lock goes before the store closes; the run row is finished by then */
    vexp_run_lock_clear(&c->lock);
    g_free(c->console_dir);
    g_free(c->traffic_local);
    g_free(c->traffic_static);
    g_free(c->tag);
    g_clear_pointer(&c->net, domains_net_destroy);
    g_clear_pointer(&c->img, image_free);
    g_clear_pointer(&c->store, store_close);
    g_clear_pointer(&c->m, matrix_free);
}

/* Everything the user wrote is checked before anything boots or is written.
 * Returns -1 to go on, else the exit status. */
/* The run's length from the model render prints; --budget refuses a matrix whose lower
 * bound exceeds it, naming what costs most.  FALSE: refused (reported). */
static gboolean estimate(run_ctx *c)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *note = NULL;
    g_autoptr(vexp_calib_set) calib =
        vexp_calib_load(vexp_store_path(c->o->store, c->m), c->m, &note);
    const vexp_calibration cal = vexp_calib_get(calib);
    vexp_estimate e;
    char lo[32], hi[32], typ[32], budget[32];

    if (note)
        fprintf(stderr, "vexp run: warning: %s\n", note);
    if (!vexp_estimate_matrix(c->m, NULL, &e, &error)) {
        vexp_report_error(error);
        return FALSE;
    }
    vexp_estimate_calibrate(&e, c->m, &cal);
    vexp_format_duration(e.wall_s[0], lo, sizeof(lo));
    vexp_format_duration(e.wall_s[1], hi, sizeof(hi));
    vexp_format_duration(e.wall_s[TRAFFIC_ESTIMATE_TYPICAL], typ, sizeof(typ));
    if (c->o->budget_s > 0 && e.wall_s[0] > c->o->budget_s) {
        g_autofree char *why = vexp_estimate_costliest(c->m, &e);

        vexp_format_duration(c->o->budget_s, budget, sizeof(budget));
        fprintf(stderr,
                "vexp run: %s: needs at least %s (up to %s), more than --budget %s; costliest: "
                "%s\n",
                c->o->matrix_path, lo, hi, budget, why);
        return FALSE;
    }
    if (e.n_calib_label + e.n_calib_kind > 0) {
        char slo[32], shi[32];

        vexp_format_duration(e.typ_spread_s[0], slo, sizeof(slo));
        vexp_format_duration(e.typ_spread_s[1], shi, sizeof(shi));
        fprintf(stderr,
                "vexp: %s: estimated %s .. %s, typically %s (calibrated by this host's earlier "
                "cells, which give %s .. %s; vexp render shows the detail)\n",
                c->o->matrix_path, lo, hi, typ, slo, shi);
    } else {
        fprintf(stderr,
                "vexp: %s: estimated %s .. %s, typically %s (not calibrated: no earlier cell "
                "here; vexp render shows the detail)\n",
                c->o->matrix_path, lo, hi, typ);
    }
    c->st.est_cell_s = e.wall_s[TRAFFIC_ESTIMATE_TYPICAL] / MAX(1u, e.n_cells);
    return TRUE;
}

/* The tester's data plane: --tester-dataplane over the matrix's [traffic] tester_dataplane
 * (already in the params) over the engine's default.  A remote tester runs the static
 * engine vexp pushes there, which has no AF_XDP (xsk-none.c): it is asked for sockets, and
 * asking for AF_XDP gets a warning. */
static void choose_dataplane(run_ctx *c)
{
    const matrix_network *mn = matrix_get_network(c->m);
    const gboolean given =
        c->o->tester_dataplane >= 0 || matrix_get_traffic(c->m)->tester_dataplane >= 0;

    if (c->o->tester_dataplane >= 0)
        c->params.dataplane = (unsigned)c->o->tester_dataplane;
    if (strcmp(mn->tester, "local") == 0)
        return;
    if (given && c->params.dataplane != TRAFFIC_DATAPLANE_SOCKET)
        fprintf(stderr,
                "vexp: tester data plane '%s' applies to a local tester only: the tester at "
                "'%s' runs the static engine, on sockets\n",
                traffic_dataplane_name(c->params.dataplane), mn->tester);
    c->params.dataplane = TRAFFIC_DATAPLANE_SOCKET;
}

static int preflight(run_ctx *c)
{
    g_autoptr(GError) error = NULL;
    const matrix_experiment *e;
    const matrix_network *mn;
    gboolean may_kvm = FALSE;
    int rc;

    if (!(c->m = vexp_load_matrix(c->o->matrix_path, &error)) ||
        !vexp_check_uris(c->m, c->o->allow_insecure_uri, &error))
        return vexp_report_error(error);
    if (!vexp_traffic_params(c->m, &c->params, &error))
        return vexp_report_error(error);
    choose_dataplane(c);
    e = matrix_get_experiment(c->m);
    mn = matrix_get_network(c->m);
    c->bridge_mode = mn->mode == MATRIX_NETWORK_BRIDGE;
    if (c->bridge_mode && c->o->limit_tap_mbps > 0) {
        fprintf(stderr, "vexp run: --limit-tap-mbps needs [network] mode = namespace (vexp "
                        "shapes only taps in its own namespace)\n");
        return VEXP_EXIT_USAGE;
    }
    if (!estimate(c))
        return VEXP_EXIT_USAGE;
    c->n = matrix_cell_count(c->m);
    for (guint i = 0; i < c->n; i++) {
        const matrix_cell *cell = matrix_get_cell(c->m, i);

        c->any_vm |= !cell->is_host;
        /* the KVM boot probe matters only where a cell may use KVM */
        may_kvm |= !cell->is_host && g_strcmp0(cell->accel, "tcg") != 0;
    }
    if (c->any_vm || strcmp(mn->tester, "local") != 0) {
        c->img = image_load(c->o->image_dir ? c->o->image_dir : image_default_dir(), &error);
        if (!c->img)
            return vexp_report_env_error(error);
        if (may_kvm)
            vexp_probe_accel(c->img);
    }
    /* pinned CPUs, memory and KVM of what runs here, before anything is set up */
    if ((rc = vexp_report_host_check(c->m)) != VEXP_EXIT_OK)
        return rc;
    c->traffic_local = run_find_engine("vexp-traffic");
    c->traffic_static = run_find_engine("vexp-traffic-static");
    if (!c->traffic_local || ((c->any_vm || c->bridge_mode) && !c->traffic_static)) {
        fprintf(stderr,
                "vexp: cannot find %s (set VEXP_TRAFFIC / VEXP_TRAFFIC_STATIC, or "
                "build with ninja)\n",
                c->traffic_local ? "vexp-traffic-static" : "vexp-traffic");
        return VEXP_EXIT_ENV;
    }
    if (c->bridge_mode) {
        /* here only when a hypervisor is this machine; remote ones are asked
         * through libvirt once connected */
        gboolean local_hv = FALSE;

        for (guint k = 0; k < e->n_uris; k++)
            local_hv |= !domains_uri_is_remote(e->uris[k]);
        if (local_hv && !domains_bridge_check(mn->bridge, mn->isolated_ports, &error)) {
            g_prefix_error(&error, "%s:%u: ", matrix_path(c->m),
                           matrix_line_of(c->m, "network", "bridge"));
            return vexp_report_env_error(error);
        }
    }
    if (!(c->store = vexp_open_store(vexp_store_path(c->o->store, c->m), FALSE, &error)))
        return vexp_report_error(error);
    return -1;
}

/* --resume: the latest interrupted run of this matrix, locked for this process.
 * Returns -1 to go on, else the exit status. */
static int resume_take(run_ctx *c)
{
    g_autoptr(GError) error = NULL;
    run_state *st = &c->st;
    const char *path = c->o->matrix_path;
    long owner = 0;
    gint64 again = 0;

    gboolean (*find)(vexp_store *, const char *, gint64 *, GError **) =
        c->o->retry_failed ? store_run_find_latest : store_run_find_resumable;

    if (!find(c->store, matrix_hash(c->m), &st->run_id, &error))
        return vexp_report_env_error(error);
    if (!st->run_id) {
        fprintf(stderr, "vexp: no %s run of '%s' in '%s' to %s\n",
                c->o->retry_failed ? "earlier" : "interrupted", path, store_path(c->store),
                c->o->retry_failed ? "retry" : "resume");
        return VEXP_EXIT_USAGE;
    }
    /* 'running' may mean killed or still running: the lock tells them apart */
    if (!vexp_run_lock_take(&c->lock, store_path(c->store), st->run_id, &owner, &error)) {
        if (error)
            return vexp_report_env_error(error);
        if (owner > 0)
            fprintf(stderr,
                    "vexp: run %" G_GINT64_FORMAT " of '%s' is still running in "
                    "another vexp (pid %ld); stop it (Ctrl-C or kill -INT) before "
                    "--resume\n",
                    st->run_id, path, owner);
        else
            fprintf(stderr,
                    "vexp: run %" G_GINT64_FORMAT " of '%s' is still running in "
                    "another vexp; stop it (Ctrl-C or kill -INT) before --resume\n",
                    st->run_id, path);
        return VEXP_EXIT_USAGE;
    }
    /* the owner may have finished it between the lookup and the lock */
    if (!find(c->store, matrix_hash(c->m), &again, &error))
        return vexp_report_env_error(error);
    if (again != st->run_id) {
        fprintf(stderr,
                "vexp: run %" G_GINT64_FORMAT " of '%s' ended while "
                "--resume waited for it; nothing to resume\n",
                st->run_id, path);
        return VEXP_EXIT_USAGE;
    }
    return -1;
}

/* The state the workers share, the namespace, one worker per hypervisor.
 * Returns -1 to go on, else the exit status (nothing to tear down yet). */
static int setup(run_ctx *c)
{
    g_autoptr(GError) error = NULL;
    run_state *st = &c->st;
    const matrix_experiment *e = matrix_get_experiment(c->m);

    st->m = c->m;
    st->store = c->store;
    st->img = c->img;
    st->traffic_static = c->traffic_static;
    st->traffic_local = c->traffic_local;
    st->limit_tap_mbps = c->o->limit_tap_mbps;
    st->tty = vexp_is_tty();
    st->units_per_cell = vexp_cell_units(c->m);
    g_mutex_init(&st->queue_lock);
    g_cond_init(&st->queue_cond);
    g_mutex_init(&st->store_lock);
    g_mutex_init(&st->out_lock);
    g_mutex_init(&st->trial_lock);
    g_queue_init(&st->queue);

    if (c->o->resume) {
        int rc = resume_take(c);
        if (rc >= 0)
            return rc;
    }

    run_install_signals();
    domains_set_cancel_flag(&run_cancel_flag);
    c->tag = g_strdup_printf("%d", (int)getpid());
    st->tag = c->tag;
    if (!c->bridge_mode) {
        /* namespaces of dead runs first, then ours; enter it before any thread starts */
        guint removed = 0;
        if (!domains_net_sweep(&removed, &error))
            return vexp_report_env_error(error);
        if (removed)
            fprintf(stderr, "vexp: removed %u namespace(s) left by dead runs\n", removed);
        if (!(c->net = domains_net_create(c->tag, &error)) || !domains_net_enter(c->net, &error))
            return vexp_report_env_error(error);
        st->net = c->net;
    }
    vexp_netplan_init(&st->plan, c->m, c->net, c->tag, st->plan_tap, sizeof(st->plan_tap));
    c->console_dir = g_build_filename(vexp_state_dir(), "console", NULL);
    g_mkdir_with_parents(c->console_dir, 0755);
    st->console_dir = c->console_dir;

    /* one worker per hypervisor; a run of host cells only has one without libvirt */
    st->n_hvs = c->any_vm ? e->n_uris : 1;
    st->hvs = g_new0(run_hv *, st->n_hvs);
    for (guint k = 0; k < st->n_hvs; k++)
        st->hvs[k] = run_hv_new(st, k, &c->params);
    st->serial_trials = st->n_hvs > 1 && !e->parallel_trials;
    return -1;
}

/* Hypervisors, cells and the tester: what can only be checked once connected.
 * Returns -1 to go on, else the exit status (the run must be torn down).  A
 * cell that renders on no hypervisor is the user's input; the rest is the
 * environment's, whatever the module said (a bridge a remote hypervisor lacks). */
static int connect_all(run_ctx *c)
{
    g_autoptr(GError) error = NULL;

    if (c->any_vm && !run_open_hypervisors(&c->st, &error))
        return vexp_report_env_error(error);
    if (c->any_vm && !run_check_cells(&c->st, &error))
        return vexp_report_error(error);
    if (!run_tester_pin_plan(&c->st, &error))
        return vexp_report_error(error);
    if (!run_prepare_tester(&c->st, &error))
        return vexp_report_env_error(error);
    return -1;
}

/* A new run row, locked for this process.  Returns -1 to go on, else the exit
 * status (c->run_open says whether the row is still this process's to finish). */
static int begin_new(run_ctx *c)
{
    g_autoptr(GError) error = NULL;
    run_state *st = &c->st;
    const matrix_experiment *e = matrix_get_experiment(c->m);
    run_hv *first = NULL;
    long owner = 0;
    int status;

    for (guint k = 0; k < st->n_hvs && !first; k++)
        if (st->hvs[k]->conn)
            first = st->hvs[k];
    const matrix_traffic *mt = matrix_get_traffic(c->m);
    const traffic_params *tp = matrix_get_traffic_params(c->m);
    g_autoptr(GString) goals = g_string_new(NULL);
    for (unsigned i = 0; i < tp->n_goals; i++)
        g_string_append_printf(goals, "%s%s:%g", i ? "," : "", tp->goals[i].name,
                               tp->goals[i].loss_pct);
    store_run_traffic traffic = {
        .line_rate_mbps = mt->line_rate_mbps,
        .trial_s = mt->trial_s,
        .resolution_pct = mt->resolution_pct,
        .repetitions = e->repetitions,
        .method = traffic_method_name(tp->method),
        .goals = goals->str,
        .exceed_pct = tp->exceed_pct,
        .duration_sum_s = traffic_params_duration_sum(tp),
        .tester_cpus = c->st.tester_pinned ? c->st.tester_cpus_text : NULL,
        /* asked (the option over the matrix over the engine's default); the plane each
         * trial ran on is the trial's (auto may fall back to sockets).  NULL for a remote
         * tester, like tester_cpus: nothing is asked of it (choose_dataplane()) */
        .tester_dataplane = strcmp(matrix_get_network(c->m)->tester, "local") == 0
                                ? traffic_dataplane_name(c->params.dataplane)
                                : NULL,
    };
    store_run_info ri = {
        .name = e->name,
        .matrix_text = matrix_text(c->m),
        .matrix_hash = matrix_hash(c->m),
        .vexp_version = VEXP_VERSION,
        .host = g_get_host_name(),
        .libvirt_version = first ? first->libvirt_v : NULL,
        .qemu_version = first ? first->qemu_v : NULL,
        .accel = c->any_vm ? run_accel(st) : "none",
        .traffic = &traffic,
        .tags = c->o->tags,
    };
    if (!store_run_begin(c->store, &ri, &st->run_id, &error))
        return vexp_report_env_error(error);
    c->run_open = TRUE;
    if (vexp_run_lock_take(&c->lock, store_path(c->store), st->run_id, &owner, &error))
        return -1;
    if (error) {
        /* nothing ran: the run row is finished as failed */
        status = vexp_report_env_error(error);
        st->fatal = TRUE;
        return status;
    }
    /* a --resume elsewhere took the new run in the instant
     * before this lock: it is that process's run now */
    fprintf(stderr,
            "vexp: run %" G_GINT64_FORMAT " was taken by another vexp "
            "(pid %ld) as soon as it began; leaving it to that one\n",
            st->run_id, owner);
    c->run_open = FALSE;
    return VEXP_EXIT_ENV;
}

/* The run row: the resumed one, or a new one.  Returns -1 to go on, else the
 * exit status. */
static int open_run(run_ctx *c)
{
    g_autoptr(GError) error = NULL;
    run_state *st = &c->st;

    if (!st->run_id)
        return begin_new(c);
    if (!store_run_resume(c->store, st->run_id, &error))
        return vexp_report_env_error(error);
    fprintf(stderr, "vexp: resuming run %" G_GINT64_FORMAT " in %s\n", st->run_id,
            store_path(c->store));
    c->run_open = TRUE;
    return -1;
}

/* The queue: every cell, or on --resume those not complete or failed (asked
 * once; cells that failed before still count for the exit status).  Returns
 * -1 to go on, else the exit status. */
static int fill_queue(run_ctx *c)
{
    g_autoptr(GError) error = NULL;
    run_state *st = &c->st;
    const char *accel;

    st->moves = g_new0(guint, c->n);
    st->retries = g_new0(guint, c->n);
    for (guint i = 0; i < c->n; i++) {
        g_autofree char *cell_status = NULL;
        if (c->o->resume && !store_cell_status(c->store, st->run_id, i, &cell_status, &error)) {
            /* nothing ran: leave the run as it was (resumable) */
            c->run_open = FALSE;
            return vexp_report_env_error(error);
        }
        /* --retry-failed: a failed cell runs again, continuing from its stored figures */
        const gboolean again = cell_status && !strcmp(cell_status, "failed") && c->o->retry_failed;
        if (cell_status && !strcmp(cell_status, "failed") && !again)
            st->failed_before++;
        if (cell_status && (!strcmp(cell_status, "complete") || !strcmp(cell_status, "failed")) &&
            !again)
            continue;
        g_queue_push_tail(&st->queue, GUINT_TO_POINTER(i));
        st->cells_to_run++;
    }
    accel = c->any_vm ? run_accel(st) : "none";
    fprintf(stderr, "vexp: run %" G_GINT64_FORMAT ": %u cell(s) to run of %u, store %s%s\n",
            st->run_id, st->cells_to_run, c->n, store_path(c->store),
            !strcmp(accel, "tcg")     ? "; accel tcg: figures are QEMU software-emulation "
                                        "figures"
            : !strcmp(accel, "mixed") ? "; accel differs between hypervisors (kvm and tcg): "
                                        "compare cells of one accelerator only"
                                      : "");
    return -1;
}

/* domains first (they use the namespace's taps), then the tester, then the namespace */
static void teardown(run_ctx *c)
{
    run_state *st = &c->st;

    for (guint k = 0; k < st->n_hvs; k++)
        g_clear_pointer(&st->hvs[k], run_hv_free);
    g_clear_pointer(&st->hvs, g_free);
    run_cleanup_tester(st);
    g_clear_pointer(&c->net, domains_net_destroy);
    g_free(st->host_netns);
    g_free(st->host_addr);
    g_free(st->tester_cpus_text);
    g_queue_clear(&st->queue);
    g_clear_pointer(&st->moves, g_free);
    g_clear_pointer(&st->retries, g_free);
}

/* s as a JSON string's content (UTF-8 kept; quotes, backslashes and control characters escaped) */
static char *json_escape(const char *s)
{
    GString *out = g_string_new(NULL);

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_printf(out, "\\%c", *p);
        else if (*p < 0x20)
            g_string_append_printf(out, "\\u%04x", *p);
        else
            g_string_append_c(out, (char)*p);
    }
    return g_string_free(out, FALSE);
}

/* --summary FILE: what a pipeline needs to find the run again. */
static void write_summary(run_ctx *c, const char *status, int exit_status)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) j = g_string_new(NULL);
    g_autofree char *store = g_canonicalize_filename(store_path(c->store), NULL);
    g_autofree char *store_esc = json_escape(store);
    g_autofree char *matrix_esc = json_escape(c->o->matrix_path);
    run_state *st = &c->st;

    g_string_append_printf(j,
                           "{\n  \"run_id\": %" G_GINT64_FORMAT ",\n  \"status\": \"%s\",\n"
                           "  \"exit_status\": %d,\n  \"store\": \"%s\",\n"
                           "  \"matrix\": \"%s\",\n  \"cells\": {\"total\": %u, "
                           "\"run\": %u, \"complete\": %u, \"failed\": %u, "
                           "\"failed_before\": %u},\n  \"tags\": {",
                           st->run_id, status, exit_status, store_esc, matrix_esc, c->n,
                           st->cells_done, st->cells_done - st->failed - st->deferred, st->failed,
                           st->failed_before);
    for (guint i = 0; c->o->tags && c->o->tags[i]; i++) {
        const char *eq = strchr(c->o->tags[i], '=');
        /* checked by store_tags_check: the key is [A-Za-z0-9_.-] */
        g_autofree char *k = g_strndup(c->o->tags[i], eq - c->o->tags[i]);
        g_autofree char *v = json_escape(eq + 1);
        g_string_append_printf(j, "%s\"%s\": \"%s\"", i ? ", " : "", k, v);
    }
    g_string_append(j, "}\n}\n");
    if (!g_file_set_contents(c->o->summary, j->str, -1, &error))
        fprintf(stderr, "vexp: warning: --summary: %s\n", error->message);
}

/* The run row's final status and the closing line; returns the exit status. */
static int finish_status(run_ctx *c, const char **ret_status);

static int finish(run_ctx *c)
{
    const char *status = NULL;
    int rc = finish_status(c, &status);

    if (!status)
        return rc;
    if (c->o->summary)
        write_summary(c, status, rc);
    /* the run's id alone on the last line of stdout: RUN=$(vexp run ... | tail -n 1) */
    printf("%" G_GINT64_FORMAT "\n", c->st.run_id);
    fflush(stdout);
    return rc;
}

static int finish_status(run_ctx *c, const char **ret_status)
{
    g_autoptr(GError) error = NULL;
    run_state *st = &c->st;
    const char *path = c->o->matrix_path, *store = store_path(c->store);

    /* every hypervisor lost: the run can be resumed once one is back */
    const char *status = c->interrupted || ((c->not_run || st->deferred) && !st->fatal)
                             ? "interrupted"
                         : st->fatal ? "failed"
                                     : "complete";

    if (!store_run_finish(c->store, st->run_id, status, &error))
        return vexp_report_env_error(error);
    *ret_status = status;
    if (c->interrupted) {
        fprintf(stderr,
                "vexp: run %" G_GINT64_FORMAT " interrupted; finished trials are kept. "
                "Continue with: vexp run %s --resume --store %s\n",
                st->run_id, path, store);
        return 130;
    }
    if (st->fatal)
        return VEXP_EXIT_ENV;
    if (c->not_run) {
        fprintf(stderr,
                "vexp: run %" G_GINT64_FORMAT ": every hypervisor was lost; %u cell(s) "
                "did not run. Continue with: vexp run %s --resume --store %s\n",
                st->run_id, c->not_run + st->deferred, path, store);
        return VEXP_EXIT_ENV;
    }
    if (st->deferred) {
        fprintf(stderr,
                "vexp: run %" G_GINT64_FORMAT ": %u cell(s) complete, %u failed, %u not "
                "run for a reason outside the cell (above). Continue with: vexp run %s "
                "--resume --store %s\n",
                st->run_id, st->cells_done - st->failed - st->deferred, st->failed, st->deferred,
                path, store);
        return VEXP_EXIT_ENV;
    }
    char took[32], est[32];
    vexp_format_duration((g_get_monotonic_time() - st->t_start_us) / 1e6, took, sizeof(took));
    vexp_format_duration(st->cells_done * st->est_cell_s, est, sizeof(est));
    if (st->failed_before)
        fprintf(stderr,
                "vexp: run %" G_GINT64_FORMAT " finished: %u cell(s) complete, %u failed "
                "now and %u before the resume; %s (estimated typically %s)\n",
                st->run_id, st->cells_done - st->failed, st->failed, st->failed_before, took,
                est);
    else
        fprintf(stderr,
                "vexp: run %" G_GINT64_FORMAT " finished: %u cell(s) complete, %u failed; %s "
                "(estimated typically %s)\n",
                st->run_id, st->cells_done - st->failed, st->failed, took, est);
    return st->failed || st->failed_before ? VEXP_EXIT_FINDING : VEXP_EXIT_OK;
}

static int run_steps(run_ctx *c)
{
    run_state *st = &c->st;
    int status;

    if ((status = preflight(c)) >= 0 || (status = setup(c)) >= 0)
        return status;
    if ((status = connect_all(c)) < 0 && (status = open_run(c)) < 0 &&
        (status = fill_queue(c)) < 0) {
        st->t_start_us = g_get_monotonic_time();
        run_pool_run(st, c->any_vm);
        c->not_run = g_queue_get_length(&st->queue);
        /* a signal after the last cell ended interrupts nothing */
        c->interrupted =
            run_cancel_flag != 0 && (c->not_run > 0 || st->interrupted > 0 || st->deferred > 0);
        status = VEXP_EXIT_OK;
    }
    teardown(c);
    if (!c->run_open)
        return status;
    return finish(c);
}

int run_matrix(const run_options *o)
{
    run_ctx c = {.o = o};
    int status = run_steps(&c);

    ctx_clear(&c);
    return status;
}
