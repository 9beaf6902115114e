/* SPDX-License-Identifier: MIT */
/* vexp run's worker pool: one thread per hypervisor, taking cells from one queue. */
#include "vexp-config.h"

#include "run-priv.h"

static gpointer run_worker_main(gpointer data)
{
    run_hv *w = data;
    run_state *st = w->st;

    w->record = run_record_new();
    for (;;) {
        cell_outcome out;
        guint i;

        g_mutex_lock(&st->queue_lock);
        /* an empty queue is the end only when no cell is running elsewhere: a
         * hypervisor lost mid-cell puts its cell back.  Timed waits, since
         * run_cancel_flag is set by a signal handler. */
        while (!run_cancel_flag && !st->fatal && g_queue_is_empty(&st->queue) && st->in_flight > 0)
            g_cond_wait_until(&st->queue_cond, &st->queue_lock,
                              g_get_monotonic_time() + G_TIME_SPAN_SECOND / 5);
        if (run_cancel_flag || st->fatal || g_queue_is_empty(&st->queue)) {
            g_mutex_unlock(&st->queue_lock);
            break;
        }
        i = GPOINTER_TO_UINT(g_queue_pop_head(&st->queue));
        st->in_flight++;
        g_mutex_unlock(&st->queue_lock);

        out = run_cell(w, i);

        g_mutex_lock(&st->queue_lock);
        st->in_flight--;
        g_cond_broadcast(&st->queue_cond);
        if (out == CELL_HV_LOST || out == CELL_RETRY) {
            (void)(out == CELL_HV_LOST ? st->moves[i]++ : st->retries[i]++);
            g_queue_push_head(&st->queue, GUINT_TO_POINTER(i));
        } else {
            st->cells_done++;
            w->cells_run++;
            if (out == CELL_FAILED)
                st->failed++;
            else if (out == CELL_INTERRUPTED)
                st->interrupted++;
            else if (out == CELL_DEFERRED)
                st->deferred++;
            else if (out == CELL_FATAL)
                st->fatal = TRUE;
        }
        g_mutex_unlock(&st->queue_lock);
        if (w->lost) {
            run_say(st,
                    "vexp: warning: hypervisor %u '%s' lost (%s); its remaining cells go to the "
                    "others",
                    w->index + 1, w->uri, w->lost_reason);
            break;
        }
        if (out == CELL_FATAL)
            break;
    }
    w->cell = NULL;
    g_clear_pointer(&w->record, run_record_free);
    return NULL;
}

void run_hv_free(run_hv *w)
{
    if (!w)
        return;
    g_clear_pointer(&w->conn, domains_conn_free);
    g_free(w->host);
    g_free(w->libvirt_v);
    g_free(w->qemu_v);
    g_free(w->lost_reason);
    g_clear_error(&w->store_error);
    g_free(w);
}

run_hv *run_hv_new(run_state *st, guint index, const traffic_params *params)
{
    const matrix_experiment *e = matrix_get_experiment(st->m);
    gboolean bridge_mode = matrix_get_network(st->m)->mode == MATRIX_NETWORK_BRIDGE;
    run_hv *w = g_new0(run_hv, 1);

    w->st = st;
    w->index = index;
    w->uri = e->uris[index];
    w->params = *params;
    /* parallel cells share the tester address: each worker binds its own port */
    w->params.tester_port = (uint16_t)(params->tester_port + 2 * index);
    w->plan = st->plan;
    if (bridge_mode && st->n_hvs > 1) {
        /* hypervisors may share one bridge (two libvirtds on a host), and a cell
         * moved off a lost hypervisor must not meet its old tap there */
        g_snprintf(w->plan_tap, sizeof(w->plan_tap), "vx%.7sh%u-", st->tag, index);
        w->plan.tap_prefix = w->plan_tap;
    }
    return w;
}

void run_pool_run(run_state *st, gboolean any_vm)
{
    for (guint k = 0; k < st->n_hvs; k++) {
        run_hv *w = st->hvs[k];
        if (any_vm && !w->conn)
            continue;
        w->thread = g_thread_new("vexp-hv", run_worker_main, w);
    }
    for (guint k = 0; k < st->n_hvs; k++)
        if (st->hvs[k]->thread)
            g_thread_join(g_steal_pointer(&st->hvs[k]->thread));
}
