/* SPDX-License-Identifier: MIT */
/* vexp run's cell: boot a guest (or the host peer), run the suite, record, destroy. */
#include "vexp-config.h"

#include <string.h>

#include "run-priv.h"

static char *agent_error_text(int rc, traffic_conn *conn)
{
    const char *agent = conn ? traffic_conn_last_error(conn) : "";

    return g_strdup_printf("traffic engine (DUT agent): %s%s%s", g_strerror(-rc),
                           *agent ? ": " : "", agent);
}

/* Trials take turns on the one tester when several hypervisors run cells. */
static gboolean take_trial_turn(run_hv *w)
{
    run_state *st = w->st;
    gboolean waited = FALSE;

    if (!st->serial_trials)
        return TRUE;
    while (!g_mutex_trylock(&st->trial_lock)) {
        if (!waited)
            run_progress(w, TRUE,
                         "waiting for the tester (another hypervisor's cell is measuring)");
        waited = TRUE;
        if (run_cancel_flag)
            return FALSE;
        g_usleep(100000);
    }
    return TRUE;
}

/* The record's observer, plus a line whenever the tester's data plane or CPUs change in a
 * direction (the first trial of each, and a fall back to sockets under auto). */
typedef struct plane_watch {
    traffic_observer inner;
    run_hv *w;
    char last[2][sizeof(((traffic_trial *)0)->tester_plane) + 64];
} plane_watch;

static void watch_trial_begin(void *ud, const traffic_trial *t)
{
    plane_watch *pw = ud;

    if (pw->inner.trial_begin)
        pw->inner.trial_begin(pw->inner.userdata, t);
}

static void watch_trial_end(void *ud, const traffic_trial *t)
{
    plane_watch *pw = ud;
    g_autofree char *now = NULL;

    if (t->tester_dataplane) {
        now = g_strdup_printf("%s, CPUs %s", t->tester_plane,
                              *t->tester_cpus ? t->tester_cpus : "not placed");
        char *last = pw->last[t->direction == TRAFFIC_DIR_OUT];
        if (strcmp(now, last) != 0) {
            g_strlcpy(last, now, sizeof(pw->last[0]));
            run_say(pw->w->st, "cell %u %s: tester data plane, direction %s: %s: %s",
                    pw->w->cell_index, pw->w->cell->label,
                    traffic_direction_name(t->direction), t->tester_dataplane, now);
        }
    }
    if (pw->inner.trial_end)
        pw->inner.trial_end(pw->inner.userdata, t);
}

static void watch_result(void *ud, const traffic_result *res)
{
    plane_watch *pw = ud;

    if (pw->inner.result)
        pw->inner.result(pw->inner.userdata, res);
}

static int watch_cancelled(void *ud)
{
    plane_watch *pw = ud;

    return pw->inner.cancelled ? pw->inner.cancelled(pw->inner.userdata) : 0;
}

static int watch_skip_unit(void *ud, const traffic_unit *u)
{
    plane_watch *pw = ud;

    return pw->inner.skip_unit ? pw->inner.skip_unit(pw->inner.userdata, u) : 0;
}

static void watch_unit_end(void *ud, const traffic_unit *u)
{
    plane_watch *pw = ud;

    if (pw->inner.unit_end)
        pw->inner.unit_end(pw->inner.userdata, u);
}

static cell_outcome run_suite(run_hv *w, traffic_conn *conn, const char *dut_addr,
                              char **ret_reason)
{
    run_state *st = w->st;
    traffic_params p = w->params;
    traffic_observer obs;
    plane_watch pw = {.w = w};
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_guest_session) tester = NULL;
    traffic_conn *tconn = NULL;
    int rc;

    run_record_observer(w, &pw.inner);
    /* every callback of the record's observer forwarded: unit_end is where a unit's
     * figures are stored, skip_unit what --resume leaves out */
    obs = (traffic_observer){.userdata = &pw,
                             .trial_begin = watch_trial_begin,
                             .trial_end = watch_trial_end,
                             .result = watch_result,
                             .cancelled = watch_cancelled,
                             .skip_unit = watch_skip_unit,
                             .unit_end = watch_unit_end};
    g_strlcpy(p.dut_addr, dut_addr, sizeof(p.dut_addr));
    g_strlcpy(p.tester_addr, st->plan.tester_addr, sizeof(p.tester_addr));
    if (!take_trial_turn(w)) {
        *ret_reason = g_strdup("interrupted by a signal");
        return CELL_INTERRUPTED;
    }
    if (st->tester_engine) {
        /* the tester machine: a session per cell, its agent drives the tester
         * side; opened once it is this cell's turn, so it does not sit idle
         * (and meet the tester sshd's idle limits) while another cell runs */
        tester = vexp_tester_session_open(matrix_get_network(st->m), st->img->client_key,
                                          st->traffic_static, st->tester_engine, &error);
        if (!tester || !(tconn = vexp_guest_session_agent(tester, &error))) {
            if (st->serial_trials)
                g_mutex_unlock(&st->trial_lock);
            *ret_reason = g_strdup(error->message);
            return CELL_FAILED;
        }
    }
    cpu_set_t saved;
    const gboolean pinned = !tconn && run_tester_pin_enter(st, &saved);
    if (pinned) {
        /* the engine places its senders and receivers one per CPU of these, thread k on
         * the k-th (mod n); the mask above holds the threads that are not placed */
        memcpy(p.tester_cpus, st->tester_cpu_list, sizeof(p.tester_cpus));
        p.n_tester_cpus = st->n_tester_cpus;
    }
    rc =
        tconn ? traffic_run_suite_remote(tconn, conn, &p, &obs) : traffic_run_suite(conn, &p, &obs);
    if (pinned)
        run_tester_pin_leave(&saved);
    if (st->serial_trials)
        g_mutex_unlock(&st->trial_lock);
    if (rc < 0 && tconn && *traffic_conn_last_error(tconn))
        *ret_reason = g_strdup_printf("tester: %s", traffic_conn_last_error(tconn));
    traffic_conn_free(tconn);
    if (w->store_error) {
        g_free(*ret_reason);
        *ret_reason = g_strdup(w->store_error->message);
        return CELL_FATAL;
    }
    if (!w->guest_died && rc < 0 && w->guest && !domains_guest_is_running(w->guest))
        w->guest_died = TRUE;
    if (w->guest_died) {
        g_free(*ret_reason);
        *ret_reason = g_strdup("the guest stopped during the trials (destroyed or crashed)");
        return CELL_FAILED;
    }
    if (run_cancel_flag) {
        g_free(*ret_reason);
        *ret_reason = g_strdup("interrupted by a signal");
        return CELL_INTERRUPTED;
    }
    if (rc < 0) {
        if (!*ret_reason)
            *ret_reason = agent_error_text(rc, conn);
        return CELL_FAILED;
    }
    if (!run_record_store(w, &error)) {
        *ret_reason = g_strdup(error->message);
        return CELL_FATAL;
    }
    return CELL_COMPLETE;
}

static cell_outcome run_host_cell(run_hv *w, char **ret_reason, char **ret_kernel)
{
    run_state *st = w->st;
    g_autoptr(GError) error = NULL;
    g_autofree char *cmd = NULL;
    g_autofree char *q_ns = NULL, *q_exe = NULL;
    traffic_conn *conn = NULL;
    traffic_agent_info info;
    cell_outcome out;
    gboolean ok = TRUE;
    int rc;

    g_mutex_lock(&st->store_lock);
    if (!st->host_netns) {
        ok = domains_net_add_host_peer(st->net, &st->host_netns, &st->host_addr, &error);
        /* --limit-tap-mbps shapes the bare reference too: a slowdown without a VM */
        if (ok && st->limit_tap_mbps > 0)
            ok = domains_net_limit(st->net, DOMAINS_NET_HOST_PEER_BR_DEV,
                                   (guint64)(st->limit_tap_mbps * 1e6), &error);
    }
    g_mutex_unlock(&st->store_lock);
    if (!ok) {
        *ret_reason = g_strdup(error->message);
        return CELL_FAILED;
    }
    q_ns = g_shell_quote(st->host_netns);
    q_exe = g_shell_quote(st->traffic_local);
    cmd = g_strdup_printf("exec ip netns exec %s %s agent", q_ns, q_exe);
    run_progress(w, TRUE, "starting the agent in namespace %s", st->host_netns);
    if ((rc = traffic_conn_open_cmd(cmd, &conn)) < 0 ||
        (rc = traffic_conn_hello(conn, 10000, &info)) < 0) {
        *ret_reason = agent_error_text(rc, conn);
        traffic_conn_free(conn);
        return CELL_FAILED;
    }
    *ret_kernel = g_strdup(info.kernel);
    out = run_suite(w, conn, st->host_addr, ret_reason);
    traffic_conn_free(conn);
    return out;
}

/* The guest kernel's word that its NIC stopped sending, from its serial console; NULL = none. */
static char *guest_tx_stall(const char *console_log)
{
    g_autofree char *text = NULL;

    if (!console_log || !g_file_get_contents(console_log, &text, NULL, NULL))
        return NULL;
    return domains_console_tx_stall(text);
}

static cell_outcome run_vm_cell(run_hv *w, vexp_cell_domain *d, char **ret_reason,
                                char **ret_driver, char **ret_kernel)
{
    run_state *st = w->st;
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_guest_session) sess = NULL;
    g_autofree char *stall = NULL;
    traffic_conn *conn = NULL;
    cell_outcome out;
    gint64 t0 = g_get_monotonic_time();
    char pre[32];

    run_hv_prefix(w, pre, sizeof(pre));
    /* on a shared bridge the address must be free: a guest left running on a
     * lost hypervisor, or another run, would answer in this one's place.  A
     * cell that moved here from a lost hypervisor gives that guest a few
     * seconds to go down with its host first. */
    guint moved;
    g_mutex_lock(&st->queue_lock);
    moved = st->moves[w->cell_index];
    g_mutex_unlock(&st->queue_lock);
    for (guint k = 0; !st->net && moved > 0 && k < 15 && !run_cancel_flag &&
                      domains_addr_answers(d->guest_addr, 22, 500);
         k++)
        g_usleep(G_USEC_PER_SEC);
    if (!st->net && domains_addr_answers(d->guest_addr, 22, 500)) {
        *ret_reason = g_strdup_printf(
            "address %s already answers on the bridge before the guest boots (a guest left "
            "on a lost hypervisor, or another run's guest_address range?)",
            d->guest_addr);
        return CELL_DEFERRED;
    }
    run_progress(w, TRUE, "booting %s (%s)", d->name, w->cell->nic);
    w->guest = domains_guest_start(w->conn, d->xml, &error);
    if (!w->guest)
        goto fail;
    if (st->limit_tap_mbps > 0 &&
        !domains_net_limit(st->net, d->tap, (guint64)(st->limit_tap_mbps * 1e6), &error))
        goto fail;
    if (!domains_guest_wait_ssh(w->guest, d->guest_addr, 22, 120,
                                domains_conn_is_remote(w->conn) ? NULL : d->console_log, &error))
        goto fail;
    if (!domains_guest_check_pinning(w->guest, &d->spec, &error))
        goto fail;
    run_progress(w, TRUE, "guest up after %.1f s; pushing the engine",
                 (g_get_monotonic_time() - t0) / 1e6);
    sess = vexp_guest_session_open(d->guest_addr, st->img, st->traffic_static, &error);
    if (!sess)
        goto fail;
    *ret_driver = g_strdup(vexp_guest_session_driver(sess));
    if (!(conn = vexp_guest_session_agent(sess, &error)))
        goto fail;
    *ret_kernel = g_strdup(traffic_conn_agent(conn) ? traffic_conn_agent(conn)->kernel : "");
    run_say(st, "%scell %u %s: guest ready in %.1f s, driver %s, kernel %s", pre, w->cell_index,
            w->cell->label, (g_get_monotonic_time() - t0) / 1e6, *ret_driver, *ret_kernel);
    out = run_suite(w, conn, d->guest_addr, ret_reason);
    traffic_conn_free(conn);
    if (out == CELL_FAILED && !domains_conn_is_remote(w->conn))
        stall = guest_tx_stall(d->console_log);
    if (stall) {
        /* a finding about the virtual NIC, not a broken run: say it, and let a new
         * guest measure what is missing (the stored figures are kept) */
        guint retries;
        g_mutex_lock(&st->queue_lock);
        retries = st->retries[w->cell_index];
        g_mutex_unlock(&st->queue_lock);
        g_autofree char *was = *ret_reason;
        *ret_reason = g_strdup_printf("the guest's NIC stopped sending (guest kernel: \"%s\"); "
                                      "%s",
                                      stall, was ? was : "");
        if (retries < VEXP_MAX_CELL_RETRIES)
            out = CELL_RETRY;
    }
    return out;

fail:
    if (run_cancel_flag) {
        *ret_reason = g_strdup("interrupted by a signal");
        return CELL_INTERRUPTED;
    }
    *ret_reason = g_strdup(error->message);
    return CELL_FAILED;
}

/* the earlier attempts measured every figure: only the summary is missing */
static cell_outcome cell_summary_only(run_hv *w, char **ret_reason)
{
    g_autoptr(GError) error = NULL;

    if (!run_record_store(w, &error)) {
        *ret_reason = g_strdup(error->message);
        return CELL_FATAL;
    }
    return CELL_COMPLETE;
}

static void cell_state_reset(run_hv *w)
{
    run_record_reset(w->record);
    w->guest_died = FALSE;
    w->units_done = 0;
    w->last_alive_us = 0;
}

/* where this hypervisor's QEMU writes a guest's serial console */
const char *run_hv_console_dir(const run_hv *w)
{
    return w->conn && domains_conn_is_remote(w->conn) ? VEXP_REMOTE_CONSOLE_DIR
                                                      : w->st->console_dir;
}

cell_outcome run_cell(run_hv *w, guint i)
{
    run_state *st = w->st;
    const matrix_cell *cell = matrix_get_cell(st->m, i);
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_cell_domain) d = NULL;
    g_autofree char *key = NULL, *reason = NULL, *driver = NULL, *kernel = NULL;
    store_config_info ci = {0};
    gint64 config_id = 0;
    const char *accel = NULL;
    cell_outcome out;
    gint64 t0 = g_get_monotonic_time();
    gboolean ok;
    guint kept = 0;
    char pre[32];

    run_hv_prefix(w, pre, sizeof(pre));
    w->cell_index = i;
    w->cell = cell;
    cell_state_reset(w);
    ci.nic = cell->nic;
    if (cell->is_host) {
        key = vexp_host_config_key();
        ci.key = key;
        ci.domain_xml = VEXP_HOST_CONFIG_XML;
    } else {
        accel = !g_strcmp0(cell->accel, "auto") ? w->accel_auto : cell->accel;
        d = vexp_cell_domain_new(st->m, i, st->tag, &w->plan, accel, st->img, run_hv_console_dir(w),
                                 &error);
        if (!d) {
            run_say(st, "vexp: %s", error->message);
            return CELL_FATAL;
        }
        ci.key = d->key;
        ci.vcpus = cell->vcpus;
        ci.vcpu_pin = cell->vcpu_pin;
        ci.emulator_pin = cell->emulator_pin;
        ci.memory_mib = cell->memory_mib;
        ci.accel = accel;
        ci.machine = cell->machine;
        ci.vhost = cell->vhost;
        ci.queues = cell->queues;
        ci.domain_xml = d->canonical;
    }
    g_mutex_lock(&st->store_lock);
    ok =
        store_config_upsert(st->store, &ci, &config_id, &error) &&
        store_cell_begin(st->store, st->run_id, config_id, i, cell->label, &w->cell_id, &error) &&
        store_cell_set_hypervisor(st->store, w->cell_id, w->conn ? domains_conn_uri(w->conn) : NULL,
                                  w->host ? w->host : g_get_host_name(), &error);
    g_mutex_unlock(&st->store_lock);
    if (!ok || !run_record_resume(w, &kept, &error)) {
        run_say(st, "vexp: %s", error->message);
        return CELL_FATAL;
    }
    if (kept > 0)
        run_say(st,
                "%scell %u %s: %u figure(s) kept from the earlier attempt, %u unit(s) to measure",
                pre, i, cell->label, kept, run_record_missing(w));

    if (run_record_missing(w) == 0)
        /* every figure is in the store (a kill before the summary): no boot */
        out = cell_summary_only(w, &reason);
    else if (cell->is_host)
        out = run_host_cell(w, &reason, &kernel);
    else
        out = run_vm_cell(w, d, &reason, &driver, &kernel);
    if (w->guest) {
        run_progress(w, TRUE, "destroying %s", d->name);
        domains_guest_destroy(w->guest);
        w->guest = NULL;
    }
    if (out == CELL_FAILED && run_cancel_flag) {
        /* what failed was most likely cut short by the signal: run it again on --resume */
        g_autofree char *why = g_steal_pointer(&reason);

        out = CELL_INTERRUPTED;
        reason = g_strdup_printf("interrupted by a signal (%s)", why ? why : "");
    }
    if (out == CELL_FATAL) {
        run_say(st, "vexp: %s", reason);
        /* the row does not stay 'running' */
        g_mutex_lock(&st->store_lock);
        store_cell_finish(st->store, w->cell_id, "failed", reason, driver, kernel, NULL);
        g_mutex_unlock(&st->store_lock);
        return out;
    }
    if (out == CELL_FAILED && w->conn && !domains_conn_is_alive(w->conn)) {
        guint moves;

        g_mutex_lock(&st->queue_lock);
        moves = st->moves[i];
        g_mutex_unlock(&st->queue_lock);
        w->lost = TRUE;
        w->lost_reason = g_strdup(reason);
        g_free(reason);
        if (moves < VEXP_MAX_CELL_MOVES) {
            /* not the cell's fault: another hypervisor runs it again */
            out = CELL_HV_LOST;
            reason = g_strdup_printf("hypervisor '%s' lost: %s", w->uri, w->lost_reason);
        } else {
            /* it may be the cell that kills hypervisors: not moved again in
             * this run; a --resume (a person's decision) tries it once more */
            out = CELL_DEFERRED;
            reason = g_strdup_printf("hypervisor '%s' lost: %s; this cell has lost %u "
                                     "hypervisor(s) in this run and is not moved again",
                                     w->uri, w->lost_reason, moves + 1);
        }
    }
    g_mutex_lock(&st->store_lock);
    ok = store_cell_finish(st->store, w->cell_id,
                           out == CELL_COMPLETE                        ? "complete"
                           : out == CELL_FAILED || out == CELL_RETRY ? "failed"
                                                                       : "interrupted",
                           reason, driver, kernel, &error);
    g_mutex_unlock(&st->store_lock);
    if (!ok) {
        run_say(st, "vexp: %s", error->message);
        return CELL_FATAL;
    }
    run_say(st, "%scell %u %s: %s in %.0f s%s%s", pre, i, cell->label,
            out == CELL_COMPLETE   ? "complete"
            : out == CELL_FAILED   ? "FAILED"
            : out == CELL_HV_LOST  ? "moved to another hypervisor"
            : out == CELL_DEFERRED ? "NOT RUN, left for --resume"
            : out == CELL_RETRY    ? "FAILED, a new guest continues it"
                                   : "interrupted",
            (g_get_monotonic_time() - t0) / 1e6, reason ? ": " : "", reason ? reason : "");
    return out;
}
