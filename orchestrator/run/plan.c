/* SPDX-License-Identifier: MIT */
/* vexp run's checks and preparations before the first boot: engines, hypervisors, cells, tester. */
#include "vexp-config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "run-priv.h"

volatile sig_atomic_t run_cancel_flag;

static void on_signal(int sig)
{
    run_cancel_flag = sig;
}

char *run_find_engine(const char *name)
{
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *dir = exe ? g_path_get_dirname(exe) : NULL;
    const char *env =
        g_getenv(!strcmp(name, "vexp-traffic") ? "VEXP_TRAFFIC" : "VEXP_TRAFFIC_STATIC");
    char *cand;

    if (env && *env)
        return g_strdup(env);
    if (dir) {
        /* the build tree: orchestrator/vexp and traffic/vexp-traffic* */
        cand = g_build_filename(dir, "..", "traffic", name, NULL);
        if (g_file_test(cand, G_FILE_TEST_IS_EXECUTABLE))
            return cand;
        g_free(cand);
        cand = g_build_filename(dir, name, NULL);
        if (g_file_test(cand, G_FILE_TEST_IS_EXECUTABLE))
            return cand;
        g_free(cand);
    }
    cand = g_build_filename(VEXP_LIBEXECDIR, name, NULL);
    if (g_file_test(cand, G_FILE_TEST_IS_EXECUTABLE))
        return cand;
    g_free(cand);
    return NULL;
}

void run_install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/*
 * Open every hypervisor of the matrix.  One that fails is a warning (its
 * cells go to the others); none left is an environment failure naming each
 * libvirt error.  Returns the number reachable.
 */
guint run_open_hypervisors(run_state *st, GError **error)
{
    g_autoptr(GString) errors = g_string_new(NULL);
    g_autoptr(GError) first = NULL;
    const matrix_network *mn = matrix_get_network(st->m);
    /* bridge mode: a remote hypervisor without the bridge cannot run a cell */
    const char *bridge = mn->mode == MATRIX_NETWORK_BRIDGE ? mn->bridge : NULL;
    guint up = 0;

    for (guint k = 0; k < st->n_hvs; k++) {
        run_hv *w = st->hvs[k];
        g_autoptr(GError) local = NULL;

        w->conn = domains_connect(w->uri, vexp_state_dir(), &local);
        if (w->conn)
            w->accel_auto = domains_conn_resolve_accel(w->conn, "auto", &local);
        gboolean usable =
            w->conn && w->accel_auto &&
            domains_conn_versions(w->conn, &w->libvirt_v, &w->qemu_v, &w->host, &local);

        if (usable && bridge && domains_conn_is_remote(w->conn) &&
            !domains_conn_check_bridge(w->conn, bridge, &local)) {
            /* the matrix's line: the value may be a typo rather than a host's fault */
            g_prefix_error(&local, "%s:%u: ", matrix_path(st->m),
                           matrix_line_of(st->m, "network", "bridge"));
            usable = FALSE;
        }
        if (usable) {
            up++;
            if (st->n_hvs > 1 || domains_conn_is_remote(w->conn))
                fprintf(stderr,
                        "vexp: hypervisor %u: %s (host %s, libvirt %s, QEMU %s, accel "
                        "auto = %s)\n",
                        k + 1, w->uri, w->host, w->libvirt_v, w->qemu_v, w->accel_auto);
            continue;
        }
        /* a busy embedded root is the user's second vexp: that is fatal, not a failover */
        if (local->domain == DOMAINS_ERROR && local->code == DOMAINS_ERROR_BUSY) {
            g_propagate_error(error, g_steal_pointer(&local));
            return 0;
        }
        g_clear_pointer(&w->conn, domains_conn_free);
        w->lost = TRUE;
        w->lost_reason = g_strdup(local->message);
        g_string_append_printf(errors, "\n  %s: %s", w->uri, local->message);
        if (st->n_hvs > 1)
            fprintf(stderr,
                    "vexp: warning: hypervisor %u '%s' cannot be used, its cells go to "
                    "the others: %s\n",
                    k + 1, w->uri, local->message);
        if (!first)
            first = g_steal_pointer(&local);
    }
    if (!up && st->n_hvs == 1)
        g_propagate_error(error, g_steal_pointer(&first));
    else if (!up)
        g_set_error(error, VEXP_ERROR, VEXP_ERROR_ENV, "no hypervisor can be used:%s", errors->str);
    return up;
}

/* Render every VM cell for every accelerator a reachable hypervisor gives it,
 * so that a cell which cannot run anywhere is a bad input before anything boots. */
gboolean run_check_cells(run_state *st, GError **error)
{
    for (guint i = 0; i < matrix_cell_count(st->m); i++) {
        const matrix_cell *cell = matrix_get_cell(st->m, i);

        if (cell->is_host)
            continue;
        for (guint k = 0; k < st->n_hvs; k++) {
            const run_hv *w = st->hvs[k];
            const char *accel = !g_strcmp0(cell->accel, "auto") ? w->accel_auto : cell->accel;
            g_autoptr(vexp_cell_domain) d = NULL;

            if (!w->conn)
                continue;
            if (!strcmp(accel, "kvm") && !g_strcmp0(w->accel_auto, "tcg")) {
                g_set_error(error, VEXP_ERROR, VEXP_ERROR_ENV,
                            "%s:%u: cell %u (%s) asks for accel = kvm, but hypervisor '%s' has "
                            "no usable KVM",
                            matrix_path(st->m), matrix_line_of(st->m, "experiment", "accel"), i,
                            cell->label, w->uri);
                return FALSE;
            }
            /* the worker's own plan: its tap names are the ones that must fit */
            d = vexp_cell_domain_new(st->m, i, "check", &w->plan, accel, st->img,
                                     run_hv_console_dir(w), error);
            if (!d)
                return FALSE;
        }
    }
    return TRUE;
}

/* The run's accelerator: what every VM cell resolves to, "mixed", or "none". */
const char *run_accel(run_state *st)
{
    const char *seen = NULL;

    for (guint i = 0; i < matrix_cell_count(st->m); i++) {
        const matrix_cell *cell = matrix_get_cell(st->m, i);

        if (cell->is_host)
            continue;
        for (guint k = 0; k < st->n_hvs; k++) {
            const char *a;

            if (!st->hvs[k]->conn)
                continue;
            a = !g_strcmp0(cell->accel, "auto") ? st->hvs[k]->accel_auto : cell->accel;
            if (seen && strcmp(seen, a))
                return "mixed";
            seen = a;
        }
    }
    return seen ? seen : "none";
}

/* [network] tester = ssh://...: reachable, host key pinned, engine pushed once */
gboolean run_prepare_tester(run_state *st, GError **error)
{
    const matrix_network *n = matrix_get_network(st->m);
    g_autoptr(vexp_guest_session) s = NULL;
    g_autofree char *remote = NULL;
    traffic_conn *conn;

    if (!strcmp(n->tester, "local"))
        return TRUE;
    s = vexp_tester_session_open(n, st->img ? st->img->client_key : NULL, st->traffic_static, NULL,
                                 error);
    if (!s)
        return FALSE;
    remote = g_strdup(vexp_guest_session_engine(s));
    /* one hello now: a tester that cannot run the engine fails the run, not every cell */
    if (!(conn = vexp_guest_session_agent(s, error))) {
        g_prefix_error(error, "tester %s: ", n->tester);
        return FALSE;
    }
    fprintf(stderr, "vexp: tester %s (%s, %s) at %s: engine pushed to %s\n", n->tester,
            traffic_conn_agent(conn)->kernel, traffic_conn_agent(conn)->machine, n->tester_address,
            remote);
    traffic_conn_free(conn);
    st->tester_engine = g_steal_pointer(&remote);
    return TRUE;
}

void run_cleanup_tester(run_state *st)
{
    g_autoptr(vexp_guest_session) s = NULL;

    if (!st->tester_engine)
        return;
    s = vexp_tester_session_open(matrix_get_network(st->m), st->img ? st->img->client_key : NULL,
                                 st->traffic_static, st->tester_engine, NULL);
    if (s)
        vexp_guest_session_remove_engine(s);
    g_clear_pointer(&st->tester_engine, g_free);
}
