/* SPDX-License-Identifier: MIT */
/* vexp run: every cell of a matrix booted, measured with RFC 2544 and stored. */
#include "vexp-config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cells.h"
#include "common.h"
#include "domains-lifecycle.h"
#include "domains-net.h"
#include "guest.h"
#include "runlock.h"
#include "vexp.h"

/* raised by SIGINT/SIGTERM; everything polls it */
static volatile sig_atomic_t cancel_flag;

static void on_signal(int sig)
{
    cancel_flag = sig;
}

typedef enum {
    CELL_COMPLETE,
    CELL_FAILED,
    CELL_INTERRUPTED,
    CELL_FATAL,
    CELL_HV_LOST, /* the hypervisor went away: the cell goes back to the queue */
    CELL_DEFERRED, /* not the NIC's fault and not now: left 'interrupted' for --resume */
} cell_outcome;

typedef struct run_state run_state;

/* a cell whose hypervisor dies under it runs again elsewhere this many times:
 * a cell that kills every hypervisor it meets must not take the run down */
#define VEXP_MAX_CELL_MOVES 1

/* One hypervisor ([experiment] uri) and the worker thread that runs its cells one at a time. */
typedef struct hv {
    run_state *st;
    guint index;     /* position in [experiment] uri */
    const char *uri; /* as written */
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
    GHashTable *samples;     /* "test\tdir\tframe\tmetric\tunit" -> GArray of double */
    GPtrArray *sample_order; /* the keys of samples, first seen first */
    GHashTable *best;        /* "dir\tframe\trep" -> double[3]: fps, dut cpu, host cpu of the
                              * fastest passing throughput trial */
    guint units_done;
    guint64 cpu0_ns;
    gint64 t0_us;
    gboolean have_cpu0;
    double host_cpu_pct;
    gint64 last_alive_us;
    gboolean guest_died;
    GError *store_error;
} hv;

struct run_state {
    const vexp_matrix *m;
    vexp_store *store;
    gint64 run_id;
    const char *console_dir; /* serial console files of local hypervisors' guests */
    domains_net *net;       /* namespace mode */
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

    hv **hvs;
    guint n_hvs;
    /* queue, in_flight, moves, cells_done, failed, interrupted, deferred, fatal */
    GMutex queue_lock;
    GCond queue_cond;  /* a cell ended: it may have been requeued */
    GQueue queue;      /* cell indexes still to run */
    guint in_flight;   /* cells running now: a lost hypervisor may requeue them */
    guint *moves;      /* per cell: times it lost its hypervisor and went back to the queue */
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
    char status[240];
    gint64 last_draw_us;
};

/* ---- progress ---------------------------------------------------------- */

static void format_duration(double s, char *buf, size_t len)
{
    if (s < 0 || !isfinite(s))
        g_snprintf(buf, len, "--");
    else if (s < 60)
        g_snprintf(buf, len, "%.0fs", s);
    else if (s < 3600)
        g_snprintf(buf, len, "%dm%02ds", (int)s / 60, (int)s % 60);
    else
        g_snprintf(buf, len, "%dh%02dm", (int)s / 3600, ((int)s % 3600) / 60);
}

/* "[hv 2] " when cells are spread over several hypervisors, else "" */
static void hv_prefix(const hv *w, char *buf, size_t len)
{
    if (w && w->st->n_hvs > 1)
        g_snprintf(buf, len, "[hv %u] ", w->index + 1);
    else if (len)
        buf[0] = '\0';
}

static void progress(hv *w, gboolean force, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* the status line: the latest news of any worker, with the run's ETA */
static void progress(hv *w, gboolean force, const char *fmt, ...)
{
    run_state *st = w->st;
    va_list ap;
    char eta[32], elapsed_s[32], pre[32], msg[200];
    gint64 now = g_get_monotonic_time();
    double elapsed, frac, done;
    guint cells_done;

    va_start(ap, fmt);
    g_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    hv_prefix(w, pre, sizeof(pre));
    g_mutex_lock(&st->queue_lock);
    cells_done = st->cells_done;
    g_mutex_unlock(&st->queue_lock);
    g_mutex_lock(&st->out_lock);
    g_snprintf(st->status, sizeof(st->status), "%s%s%s%s", pre, w->cell ? w->cell->label : "",
               w->cell ? ": " : "", msg);
    if (!force && st->tty && now - st->last_draw_us < 200000) {
        g_mutex_unlock(&st->out_lock);
        return;
    }
    st->last_draw_us = now;
    elapsed = (now - st->t_start_us) / 1e6;
    frac = st->units_per_cell ? MIN(0.99, (double)w->units_done / st->units_per_cell) : 0;
    done = cells_done + frac;
    format_duration(done > 0.05 ? elapsed / done * (st->cells_to_run - done) : -1, eta,
                    sizeof(eta));
    format_duration(elapsed, elapsed_s, sizeof(elapsed_s));
    if (st->tty)
        fprintf(stderr, "\r\033[K[cell %u/%u] %s | %s, ETA %s", MIN(cells_done + 1,
                st->cells_to_run), st->cells_to_run, st->status, elapsed_s, eta);
    else if (force)
        fprintf(stderr, "[cell %u/%u] %s | %s, ETA %s\n", MIN(cells_done + 1,
                st->cells_to_run), st->cells_to_run, st->status, elapsed_s, eta);
    g_mutex_unlock(&st->out_lock);
}

/* a line that stays (cell begin/end, warnings); clears the status line first */
static void say(run_state *st, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void say(run_state *st, const char *fmt, ...)
{
    va_list ap;

    g_mutex_lock(&st->out_lock);
    if (st->tty)
        fputs("\r\033[K", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    g_mutex_unlock(&st->out_lock);
}

/* ---- observer: every trial and figure goes to the store as it comes ---- */

static void add_sample(hv *st, const char *test, const char *dir, unsigned frame,
                       const char *metric, const char *unit, double v)
{
    g_autofree char *key = NULL;
    GArray *a;

    if (!isfinite(v))
        return;
    key = g_strdup_printf("%s\t%s\t%u\t%s\t%s", test, dir, frame, metric, unit);
    a = g_hash_table_lookup(st->samples, key);
    if (!a) {
        a = g_array_new(FALSE, FALSE, sizeof(double));
        g_ptr_array_add(st->sample_order, g_strdup(key));
        g_hash_table_insert(st->samples, g_steal_pointer(&key), a);
    }
    g_array_append_val(a, v);
}

static int obs_cancelled(void *ud)
{
    hv *st = ud;
    gint64 now;

    if (cancel_flag || st->store_error || st->guest_died)
        return 1;
    now = g_get_monotonic_time();
    if (st->guest && now - st->last_alive_us > 500000) {
        st->last_alive_us = now;
        if (!domains_guest_is_running(st->guest)) {
            st->guest_died = TRUE;
            return 1;
        }
    }
    return 0;
}

static void obs_trial_begin(void *ud, const traffic_trial *t)
{
    hv *st = ud;

    st->have_cpu0 = st->guest && domains_guest_cpu_time(st->guest, &st->cpu0_ns, NULL);
    st->t0_us = g_get_monotonic_time();
    progress(st, FALSE, "%s %s %u B, %s trial at %.0f fps", traffic_test_name(t->test),
             traffic_direction_name(t->direction), t->frame_size, t->phase, t->offered_fps);
}

static void obs_trial_end(void *ud, const traffic_trial *t)
{
    hv *st = ud;
    store_trial row;
    guint64 cpu1 = 0;
    g_autoptr(GError) error = NULL;

    st->host_cpu_pct = NAN;
    if (st->have_cpu0 && domains_guest_cpu_time(st->guest, &cpu1, NULL)) {
        gint64 dt = g_get_monotonic_time() - st->t0_us;
        if (dt > 0 && cpu1 >= st->cpu0_ns)
            st->host_cpu_pct = (double)(cpu1 - st->cpu0_ns) / 1e3 / (double)dt * 100.0;
    }

    store_trial_init(&row);
    row.test = traffic_test_name(t->test);
    row.direction = traffic_direction_name(t->direction);
    row.frame_size = t->frame_size;
    row.repetition = t->repetition;
    row.step = t->index ? t->index - 1 : 0;
    row.offered_fps = t->offered_fps;
    row.duration_s = t->elapsed_s > 0 ? t->elapsed_s : t->duration_s;
    row.tx = t->tx;
    row.rx = t->rx;
    row.lost = t->lost;
    row.reordered = t->reordered;
    row.duplicated = t->duplicated;
    row.loss_pct = t->loss_pct;
    row.dut_cpu_pct = t->dut_cpu_pct >= 0 ? t->dut_cpu_pct : NAN;
    row.host_cpu_pct = st->host_cpu_pct;
    row.passed = t->valid && t->loss_pct <= st->params.loss_tolerance_pct;
    row.valid = t->valid;
    row.reason = t->reason;
    row.reflect = t->reflect;
    row.burst_frames = t->burst_frames;
    if (t->has_rtt) {
        row.has_rtt = TRUE;
        row.rtt_n = t->rtt.samples;
        row.rtt_min_us = t->rtt.min_us;
        row.rtt_mean_us = t->rtt.mean_us;
        row.rtt_p50_us = t->rtt.p50_us;
        row.rtt_p90_us = t->rtt.p90_us;
        row.rtt_p99_us = t->rtt.p99_us;
        row.rtt_p999_us = t->rtt.p999_us;
        row.rtt_max_us = t->rtt.max_us;
        row.rtt_jitter_us = t->rtt.jitter_us;
    }
    g_mutex_lock(&st->st->store_lock);
    if (!store_trial_add(st->st->store, st->cell_id, &row, &error) && !st->store_error)
        st->store_error = g_steal_pointer(&error);
    g_mutex_unlock(&st->st->store_lock);

    /* the DUT's and QEMU's CPU at the throughput rate: the fastest passing trial */
    if (t->test == TRAFFIC_TEST_THROUGHPUT && row.passed) {
        g_autofree char *key = g_strdup_printf("%u\t%u\t%u", t->direction, t->frame_size,
                                               t->repetition);
        double *b = g_hash_table_lookup(st->best, key);
        if (!b) {
            b = g_new0(double, 3);
            b[0] = -1;
            g_hash_table_insert(st->best, g_steal_pointer(&key), b);
        }
        if (t->offered_fps > b[0]) {
            b[0] = t->offered_fps;
            b[1] = row.dut_cpu_pct;
            b[2] = row.host_cpu_pct;
        }
    }
    progress(st, FALSE, "%s %s %u B: %.0f fps offered, %.3f %% lost%s",
             traffic_test_name(t->test), traffic_direction_name(t->direction), t->frame_size,
             t->offered_fps, t->loss_pct, t->valid ? "" : " (invalid)");
}

static void obs_result(void *ud, const traffic_result *r)
{
    hv *st = ud;
    const char *test = traffic_test_name(r->test);
    const char *dir = traffic_direction_name(r->direction);
    unsigned fs = r->frame_size;

    st->units_done++;
    if (!r->valid) {
        progress(st, TRUE, "%s %s %u B: no figure (%s)", test, dir, fs,
                 r->reason ? r->reason : "invalid");
        return;
    }
    switch (r->test) {
    case TRAFFIC_TEST_THROUGHPUT: {
        g_autofree char *key = g_strdup_printf("%u\t%u\t%u", r->direction, fs, r->repetition);
        double *b = g_hash_table_lookup(st->best, key);
        add_sample(st, test, dir, fs, STORE_METRIC_THROUGHPUT_FPS, "frames/s", r->fps);
        add_sample(st, test, dir, fs, STORE_METRIC_THROUGHPUT_MBPS_L2, "Mbit/s", r->mbps_l2);
        add_sample(st, test, dir, fs, STORE_METRIC_THROUGHPUT_MBPS_WIRE, "Mbit/s", r->mbps_wire);
        if (b) {
            add_sample(st, test, dir, fs, STORE_METRIC_DUT_CPU_PCT, "%", b[1]);
            add_sample(st, test, dir, fs, STORE_METRIC_HOST_CPU_PCT, "%", b[2]);
        }
        progress(st, TRUE, "throughput %s %u B rep %u: %.0f fps = %.1f Mbit/s L2", dir, fs,
                 r->repetition, r->fps, r->mbps_l2);
        break;
    }
    case TRAFFIC_TEST_LATENCY:
    case TRAFFIC_TEST_RTT:
        if (r->has_rtt) {
            add_sample(st, test, dir, fs, STORE_METRIC_RTT_P50_US, "us", r->rtt.p50_us);
            add_sample(st, test, dir, fs, STORE_METRIC_RTT_P99_US, "us", r->rtt.p99_us);
            add_sample(st, test, dir, fs, "rtt_mean_us", "us", r->rtt.mean_us);
            add_sample(st, test, dir, fs, "rtt_jitter_us", "us", r->rtt.jitter_us);
            progress(st, TRUE, "%s %s %u B rep %u: p50 %.1f us, p99 %.1f us", test, dir, fs,
                     r->repetition, r->rtt.p50_us, r->rtt.p99_us);
        }
        break;
    case TRAFFIC_TEST_LOSS:
        if (r->n_curve > 0) {
            add_sample(st, test, dir, fs, STORE_METRIC_LOSS_PCT_AT_MAX, "%", r->curve[0].loss_pct);
            add_sample(st, test, dir, fs, "loss_max_fps", "frames/s", r->curve[0].offered_fps);
            progress(st, TRUE, "loss %s %u B rep %u: %.2f %% at %.0f fps", dir, fs,
                     r->repetition, r->curve[0].loss_pct, r->curve[0].offered_fps);
        }
        break;
    case TRAFFIC_TEST_B2B:
        add_sample(st, test, dir, fs, STORE_METRIC_B2B_FRAMES, "frames", r->burst_frames_mean);
        add_sample(st, test, dir, fs, "b2b_buffer_s", "s", r->buffer_time_s);
        add_sample(st, test, dir, fs, "b2b_corrected_buffer_s", "s", r->corrected_buffer_time_s);
        progress(st, TRUE, "b2b %s %u B rep %u: %.0f frames", dir, fs, r->repetition,
                 r->burst_frames_mean);
        break;
    case TRAFFIC_TEST_FIXED:
        add_sample(st, test, dir, fs, "offered_fps", "frames/s", r->offered_fps);
        add_sample(st, test, dir, fs, "rx_fps", "frames/s", r->rx_fps);
        add_sample(st, test, dir, fs, "loss_pct", "%", r->loss_pct);
        progress(st, TRUE, "fixed %s %u B rep %u: %.0f of %.0f fps received, %.3f %% lost", dir,
                 fs, r->repetition, r->rx_fps, r->offered_fps, r->loss_pct);
        break;
    }
}

/* one store row per (test, direction, frame size, metric) over the repetitions */
static gboolean store_samples(hv *st, GError **error)
{
    GPtrArray *keys = st->sample_order; /* the order the figures came in */

    for (guint i = 0; i < keys->len; i++) {
        const char *key = g_ptr_array_index(keys, i);
        GArray *a = g_hash_table_lookup(st->samples, key);
        g_auto(GStrv) f = g_strsplit(key, "\t", 5);
        guint64 frame = g_ascii_strtoull(f[2], NULL, 10);
        gboolean ok;

        g_mutex_lock(&st->st->store_lock);
        ok = store_result_add(st->st->store, st->cell_id, f[0], f[1], (guint)frame, f[3], f[4],
                              (const double *)(void *)a->data, a->len, error);
        g_mutex_unlock(&st->st->store_lock);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

/* ---- one cell --------------------------------------------------------- */

static char *agent_error_text(int rc, traffic_conn *conn)
{
    const char *agent = conn ? traffic_conn_last_error(conn) : "";

    return g_strdup_printf("traffic engine: %s%s%s", g_strerror(-rc), *agent ? ": " : "", agent);
}

/* Trials take turns on the one tester when several hypervisors run cells. */
static gboolean take_trial_turn(hv *w)
{
    run_state *st = w->st;
    gboolean waited = FALSE;

    if (!st->serial_trials)
        return TRUE;
    while (!g_mutex_trylock(&st->trial_lock)) {
        if (!waited)
            progress(w, TRUE, "waiting for the tester (another hypervisor's cell is measuring)");
        waited = TRUE;
        if (cancel_flag)
            return FALSE;
        g_usleep(100000);
    }
    return TRUE;
}

static cell_outcome run_suite(hv *w, traffic_conn *conn, const char *dut_addr, char **ret_reason)
{
    run_state *st = w->st;
    traffic_params p = w->params;
    traffic_observer obs = {
        .userdata = w,
        .trial_begin = obs_trial_begin,
        .trial_end = obs_trial_end,
        .result = obs_result,
        .cancelled = obs_cancelled,
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_guest_session) tester = NULL;
    traffic_conn *tconn = NULL;
    int rc;

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
                                          st->traffic_static, st->tester_engine, FALSE, &error);
        if (!tester || !(tconn = vexp_guest_session_agent(tester, &error))) {
            if (st->serial_trials)
                g_mutex_unlock(&st->trial_lock);
            *ret_reason = g_strdup(error->message);
            return CELL_FAILED;
        }
    }
    rc = tconn ? traffic_run_suite_remote(tconn, conn, &p, &obs)
               : traffic_run_suite(conn, &p, &obs);
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
    if (cancel_flag) {
        g_free(*ret_reason);
        *ret_reason = g_strdup("interrupted by a signal");
        return CELL_INTERRUPTED;
    }
    if (rc < 0) {
        if (!*ret_reason)
            *ret_reason = agent_error_text(rc, conn);
        return CELL_FAILED;
    }
    if (!store_samples(w, &error)) {
        *ret_reason = g_strdup(error->message);
        return CELL_FATAL;
    }
    return CELL_COMPLETE;
}

static cell_outcome run_host_cell(hv *w, char **ret_reason, char **ret_kernel)
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
    if (!st->host_netns)
        ok = domains_net_add_host_peer(st->net, &st->host_netns, &st->host_addr, &error);
    g_mutex_unlock(&st->store_lock);
    if (!ok) {
        *ret_reason = g_strdup(error->message);
        return CELL_FAILED;
    }
    q_ns = g_shell_quote(st->host_netns);
    q_exe = g_shell_quote(st->traffic_local);
    cmd = g_strdup_printf("exec ip netns exec %s %s agent", q_ns, q_exe);
    progress(w, TRUE, "starting the agent in namespace %s", st->host_netns);
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

static cell_outcome run_vm_cell(hv *w, vexp_cell_domain *d, char **ret_reason, char **ret_driver,
                                char **ret_kernel)
{
    run_state *st = w->st;
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_guest_session) sess = NULL;
    traffic_conn *conn = NULL;
    cell_outcome out;
    gint64 t0 = g_get_monotonic_time();
    char pre[32];

    hv_prefix(w, pre, sizeof(pre));
    /* on a shared bridge the address must be free: a guest left running on a
     * lost hypervisor, or another run, would answer in this one's place */
    if (!st->net && domains_addr_answers(d->guest_addr, 22, 500)) {
        *ret_reason = g_strdup_printf(
            "address %s already answers on the bridge before the guest boots (a guest left "
            "on a lost hypervisor, or another run's guest_address range?)",
            d->guest_addr);
        return CELL_DEFERRED;
    }
    progress(w, TRUE, "booting %s (%s)", d->name, w->cell->nic);
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
    progress(w, TRUE, "guest up after %.1f s; pushing the engine",
             (g_get_monotonic_time() - t0) / 1e6);
    sess = vexp_guest_session_open(d->guest_addr, st->img, st->traffic_static, &error);
    if (!sess)
        goto fail;
    *ret_driver = g_strdup(vexp_guest_session_driver(sess));
    if (!(conn = vexp_guest_session_agent(sess, &error)))
        goto fail;
    *ret_kernel = g_strdup(traffic_conn_agent(conn) ? traffic_conn_agent(conn)->kernel : "");
    say(st, "%scell %u %s: guest ready in %.1f s, driver %s, kernel %s", pre,
        w->cell_index, w->cell->label, (g_get_monotonic_time() - t0) / 1e6, *ret_driver,
        *ret_kernel);
    out = run_suite(w, conn, d->guest_addr, ret_reason);
    traffic_conn_free(conn);
    return out;

fail:
    if (cancel_flag) {
        *ret_reason = g_strdup("interrupted by a signal");
        return CELL_INTERRUPTED;
    }
    *ret_reason = g_strdup(error->message);
    return CELL_FAILED;
}

static void cell_state_reset(hv *w)
{
    g_hash_table_remove_all(w->samples);
    g_ptr_array_set_size(w->sample_order, 0);
    g_hash_table_remove_all(w->best);
    w->guest_died = FALSE;
    w->units_done = 0;
    w->last_alive_us = 0;
}

/* where this hypervisor's QEMU writes a guest's serial console */
static const char *hv_console_dir(const hv *w)
{
    return w->conn && domains_conn_is_remote(w->conn) ? VEXP_REMOTE_CONSOLE_DIR
                                                      : w->st->console_dir;
}

static cell_outcome run_cell(hv *w, guint i)
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
    char pre[32];

    hv_prefix(w, pre, sizeof(pre));
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
        d = vexp_cell_domain_new(st->m, i, st->tag, &w->plan, accel, st->img, hv_console_dir(w),
                                 &error);
        if (!d) {
            say(st, "vexp: %s", error->message);
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
    ok = store_config_upsert(st->store, &ci, &config_id, &error) &&
         store_cell_begin(st->store, st->run_id, config_id, i, cell->label, &w->cell_id,
                          &error) &&
         store_cell_set_hypervisor(st->store, w->cell_id,
                                   w->conn ? domains_conn_uri(w->conn) : NULL,
                                   w->host ? w->host : g_get_host_name(), &error);
    g_mutex_unlock(&st->store_lock);
    if (!ok) {
        say(st, "vexp: %s", error->message);
        return CELL_FATAL;
    }

    if (cell->is_host)
        out = run_host_cell(w, &reason, &kernel);
    else
        out = run_vm_cell(w, d, &reason, &driver, &kernel);
    if (w->guest) {
        progress(w, TRUE, "destroying %s", d->name);
        domains_guest_destroy(w->guest);
        w->guest = NULL;
    }
    if (out == CELL_FAILED && cancel_flag) {
        /* what failed was most likely cut short by the signal: run it again on --resume */
        g_autofree char *why = g_steal_pointer(&reason);

        out = CELL_INTERRUPTED;
        reason = g_strdup_printf("interrupted by a signal (%s)", why ? why : "");
    }
    if (out == CELL_FATAL) {
        say(st, "vexp: %s", reason);
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
                           out == CELL_COMPLETE ? "complete"
                           : out == CELL_FAILED ? "failed"
                                                : "interrupted",
                           reason, driver, kernel, &error);
    g_mutex_unlock(&st->store_lock);
    if (!ok) {
        say(st, "vexp: %s", error->message);
        return CELL_FATAL;
    }
    say(st, "%scell %u %s: %s in %.0f s%s%s", pre, i, cell->label,
        out == CELL_COMPLETE   ? "complete"
        : out == CELL_FAILED   ? "FAILED"
        : out == CELL_HV_LOST  ? "moved to another hypervisor"
        : out == CELL_DEFERRED ? "NOT RUN, left for --resume"
                               : "interrupted",
        (g_get_monotonic_time() - t0) / 1e6, reason ? ": " : "", reason ? reason : "");
    return out;
}

/* ---- workers: one per hypervisor, cells from a shared queue ----------- */

static gpointer worker_main(gpointer data)
{
    hv *w = data;
    run_state *st = w->st;

    w->samples = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify)g_array_unref);
    w->best = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    w->sample_order = g_ptr_array_new_with_free_func(g_free);
    for (;;) {
        cell_outcome out;
        guint i;

        g_mutex_lock(&st->queue_lock);
        /* an empty queue is the end only when no cell is running elsewhere: a
         * hypervisor lost mid-cell puts its cell back.  Timed waits, since
         * cancel_flag is set by a signal handler. */
        while (!cancel_flag && !st->fatal && g_queue_is_empty(&st->queue) && st->in_flight > 0)
            g_cond_wait_until(&st->queue_cond, &st->queue_lock,
                              g_get_monotonic_time() + G_TIME_SPAN_SECOND / 5);
        if (cancel_flag || st->fatal || g_queue_is_empty(&st->queue)) {
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
        if (out == CELL_HV_LOST) {
            st->moves[i]++;
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
            say(st, "vexp: warning: hypervisor %u '%s' lost (%s); its remaining cells go to the "
                    "others",
                w->index + 1, w->uri, w->lost_reason);
            break;
        }
        if (out == CELL_FATAL)
            break;
    }
    w->cell = NULL;
    g_clear_pointer(&w->samples, g_hash_table_unref);
    g_clear_pointer(&w->best, g_hash_table_unref);
    g_clear_pointer(&w->sample_order, g_ptr_array_unref);
    return NULL;
}

static void hv_free(hv *w)
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

/* ---- the command ------------------------------------------------------ */

static char *find_engine(const char *name)
{
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *dir = exe ? g_path_get_dirname(exe) : NULL;
    const char *env = g_getenv(!strcmp(name, "vexp-traffic") ? "VEXP_TRAFFIC"
                                                              : "VEXP_TRAFFIC_STATIC");
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

static void install_signals(void)
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
static guint open_hypervisors(run_state *st, GError **error)
{
    g_autoptr(GString) errors = g_string_new(NULL);
    g_autoptr(GError) first = NULL;
    const matrix_network *mn = matrix_get_network(st->m);
    /* bridge mode: a remote hypervisor without the bridge cannot run a cell */
    const char *bridge = mn->mode == MATRIX_NETWORK_BRIDGE ? mn->bridge : NULL;
    guint up = 0;

    for (guint k = 0; k < st->n_hvs; k++) {
        hv *w = st->hvs[k];
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
                fprintf(stderr, "vexp: hypervisor %u: %s (host %s, libvirt %s, QEMU %s, accel "
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
            fprintf(stderr, "vexp: warning: hypervisor %u '%s' cannot be used, its cells go to "
                            "the others: %s\n",
                    k + 1, w->uri, local->message);
        if (!first)
            first = g_steal_pointer(&local);
    }
    if (!up && st->n_hvs == 1)
        g_propagate_error(error, g_steal_pointer(&first));
    else if (!up)
        g_set_error(error, VEXP_ERROR, VEXP_ERROR_ENV, "no hypervisor can be used:%s",
                    errors->str);
    return up;
}

/* Render every VM cell for every accelerator a reachable hypervisor gives it,
 * so that a cell which cannot run anywhere is a bad input before anything boots. */
static gboolean check_cells(run_state *st, GError **error)
{
    for (guint i = 0; i < matrix_cell_count(st->m); i++) {
        const matrix_cell *cell = matrix_get_cell(st->m, i);

        if (cell->is_host)
            continue;
        for (guint k = 0; k < st->n_hvs; k++) {
            const hv *w = st->hvs[k];
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
                                     hv_console_dir(w), error);
            if (!d)
                return FALSE;
        }
    }
    return TRUE;
}

/* The run's accelerator: what every VM cell resolves to, "mixed", or "none". */
static const char *run_accel(run_state *st)
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
static gboolean prepare_tester(run_state *st, GError **error)
{
    const matrix_network *n = matrix_get_network(st->m);
    g_autoptr(vexp_guest_session) s = NULL;
    g_autofree char *remote = NULL;
    traffic_conn *conn;

    if (!strcmp(n->tester, "local"))
        return TRUE;
    remote = g_strdup_printf("/tmp/vexp-traffic-%s", st->tag);
    s = vexp_tester_session_open(n, st->img ? st->img->client_key : NULL, st->traffic_static,
                                 remote, TRUE, error);
    if (!s)
        return FALSE;
    /* one hello now: a tester that cannot run the engine fails the run, not every cell */
    if (!(conn = vexp_guest_session_agent(s, error))) {
        g_prefix_error(error, "tester %s: ", n->tester);
        return FALSE;
    }
    fprintf(stderr, "vexp: tester %s (%s, %s) at %s: engine pushed to %s\n", n->tester,
            traffic_conn_agent(conn)->kernel, traffic_conn_agent(conn)->machine,
            n->tester_address, remote);
    traffic_conn_free(conn);
    st->tester_engine = g_steal_pointer(&remote);
    return TRUE;
}

static void cleanup_tester(run_state *st)
{
    g_autoptr(vexp_guest_session) s = NULL;

    if (!st->tester_engine)
        return;
    s = vexp_tester_session_open(matrix_get_network(st->m), st->img ? st->img->client_key : NULL,
                                 st->traffic_static, st->tester_engine, FALSE, NULL);
    if (s)
        vexp_guest_session_remove_engine(s);
    g_clear_pointer(&st->tester_engine, g_free);
}

static int cmd_run(int argc, char **argv)
{
    g_autofree char *store_opt = NULL, *image_dir = NULL;
    gboolean resume = FALSE;
    double limit_tap_mbps = 0;
    GOptionEntry entries[] = {
        {"resume", 0, 0, G_OPTION_ARG_NONE, &resume,
         "Continue the latest interrupted run of this matrix; run only the missing cells", NULL},
        {"store", 0, 0, G_OPTION_ARG_FILENAME, &store_opt,
         "SQLite results file (default: the matrix's store, else results.db)", "FILE"},
        {"image", 0, 0, G_OPTION_ARG_FILENAME, &image_dir,
         "Guest image directory (default: the one 'vexp image build' writes)", "DIR"},
        {"limit-tap-mbps", 0, 0, G_OPTION_ARG_DOUBLE, &limit_tap_mbps,
         "Shape traffic towards each guest with tc tbf at this rate (a deliberate slowdown, "
         "e.g. to check that 'vexp regress' catches it)",
         "MBPS"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("MATRIX");
    g_autoptr(GError) error = NULL;
    g_autoptr(vexp_matrix) m = NULL;
    g_autoptr(vexp_store) store = NULL;
    g_autoptr(vexp_image) img = NULL;
    g_autoptr(domains_net) net = NULL;
    g_autofree char *tag = NULL;
    g_autofree char *traffic_static = NULL, *traffic_local = NULL, *console_dir = NULL;
    run_state st = {0};
    traffic_params params;
    const matrix_experiment *e;
    const matrix_network *mn;
    gboolean may_kvm = FALSE, any_vm = FALSE, bridge_mode;
    guint n, not_run = 0;
    gboolean interrupted = FALSE, run_open = FALSE;
    int rc, status = VEXP_EXIT_OK;
    g_auto(vexp_run_lock) lock = {0};

    g_option_context_set_summary(ctx,
                                 "Boot every cell of MATRIX, run the RFC 2544 suite and store "
                                 "every trial.\nExit status: 0 all cells complete, 1 some "
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

    /* everything the user wrote is checked before anything boots or is written */
    if (!(m = vexp_load_matrix(argv[1], &error)))
        return vexp_report_error(error);
    if (!vexp_traffic_params(m, &params, &error))
        return vexp_report_error(error);
    e = matrix_get_experiment(m);
    mn = matrix_get_network(m);
    bridge_mode = mn->mode == MATRIX_NETWORK_BRIDGE;
    if (bridge_mode && limit_tap_mbps > 0) {
        fprintf(stderr, "vexp run: --limit-tap-mbps needs [network] mode = namespace (vexp "
                        "shapes only taps in its own namespace)\n");
        return VEXP_EXIT_USAGE;
    }
    n = matrix_cell_count(m);
    for (guint i = 0; i < n; i++) {
        const matrix_cell *c = matrix_get_cell(m, i);

        any_vm |= !c->is_host;
        /* the KVM boot probe matters only where a cell may use KVM */
        may_kvm |= !c->is_host && g_strcmp0(c->accel, "tcg") != 0;
    }
    if (any_vm || strcmp(mn->tester, "local") != 0) {
        img = image_load(image_dir ? image_dir : image_default_dir(), &error);
        if (!img)
            return vexp_report_error(error);
        if (may_kvm)
            vexp_probe_accel(img);
    }
    traffic_local = find_engine("vexp-traffic");
    traffic_static = find_engine("vexp-traffic-static");
    if (!traffic_local || ((any_vm || bridge_mode) && !traffic_static)) {
        fprintf(stderr, "vexp: cannot find %s (set VEXP_TRAFFIC / VEXP_TRAFFIC_STATIC, or "
                        "build with ninja)\n",
                traffic_local ? "vexp-traffic-static" : "vexp-traffic");
        return VEXP_EXIT_ENV;
    }
    if (bridge_mode) {
        /* here only when a hypervisor is this machine; remote ones are asked
         * through libvirt once connected */
        gboolean local_hv = FALSE;

        for (guint k = 0; k < e->n_uris; k++)
            local_hv |= !domains_uri_is_remote(e->uris[k]);
        if (local_hv && !domains_bridge_check(mn->bridge, mn->isolated_ports, &error)) {
            g_prefix_error(&error, "%s:%u: ", matrix_path(m),
                           matrix_line_of(m, "network", "bridge"));
            return vexp_report_error(error);
        }
    }
    if (!(store = vexp_open_store(vexp_store_path(store_opt, m), FALSE, &error)))
        return vexp_report_error(error);

    st.m = m;
    st.store = store;
    st.img = img;
    st.traffic_static = traffic_static;
    st.traffic_local = traffic_local;
    st.limit_tap_mbps = limit_tap_mbps;
    st.tty = vexp_is_tty();
    st.units_per_cell = vexp_cell_units(m);
    g_mutex_init(&st.queue_lock);
    g_cond_init(&st.queue_cond);
    g_mutex_init(&st.store_lock);
    g_mutex_init(&st.out_lock);
    g_mutex_init(&st.trial_lock);
    g_queue_init(&st.queue);

    if (resume) {
        if (!store_run_find_resumable(store, matrix_hash(m), &st.run_id, &error))
            return vexp_report_error(error);
        if (!st.run_id) {
            fprintf(stderr, "vexp: no interrupted run of '%s' in '%s' to resume\n", argv[1],
                    store_path(store));
            return VEXP_EXIT_USAGE;
        }
        /* 'running' may mean killed or still running: the lock tells them apart */
        {
            long owner = 0;

            if (!vexp_run_lock_take(&lock, store_path(store), st.run_id, &owner, &error)) {
                if (error)
                    return vexp_report_error(error);
                if (owner > 0)
                    fprintf(stderr,
                            "vexp: run %" G_GINT64_FORMAT " of '%s' is still running in "
                            "another vexp (pid %ld); stop it (Ctrl-C or kill -INT) before "
                            "--resume\n",
                            st.run_id, argv[1], owner);
                else
                    fprintf(stderr,
                            "vexp: run %" G_GINT64_FORMAT " of '%s' is still running in "
                            "another vexp; stop it (Ctrl-C or kill -INT) before --resume\n",
                            st.run_id, argv[1]);
                return VEXP_EXIT_USAGE;
            }
            /* the owner may have finished it between the lookup and the lock */
            {
                gint64 again = 0;

                if (!store_run_find_resumable(store, matrix_hash(m), &again, &error))
                    return vexp_report_error(error);
                if (again != st.run_id) {
                    fprintf(stderr, "vexp: run %" G_GINT64_FORMAT " of '%s' ended while "
                                    "--resume waited for it; nothing to resume\n",
                            st.run_id, argv[1]);
                    return VEXP_EXIT_USAGE;
                }
            }
        }
    }

    install_signals();
    domains_set_cancel_flag(&cancel_flag);
    tag = g_strdup_printf("%d", (int)getpid());
    st.tag = tag;
    if (!bridge_mode) {
        /* namespaces of dead runs first, then ours; enter it before any thread starts */
        guint removed = 0;
        if (!domains_net_sweep(&removed, &error))
            return vexp_report_error(error);
        if (removed)
            fprintf(stderr, "vexp: removed %u namespace(s) left by dead runs\n", removed);
        if (!(net = domains_net_create(tag, &error)) || !domains_net_enter(net, &error))
            return vexp_report_error(error);
        st.net = net;
    }
    vexp_netplan_init(&st.plan, m, net, tag, st.plan_tap, sizeof(st.plan_tap));
    console_dir = g_build_filename(vexp_state_dir(), "console", NULL);
    g_mkdir_with_parents(console_dir, 0755);
    st.console_dir = console_dir;

    /* one worker per hypervisor; a run of host cells only has one without libvirt */
    st.n_hvs = any_vm ? e->n_uris : 1;
    st.hvs = g_new0(hv *, st.n_hvs);
    for (guint k = 0; k < st.n_hvs; k++) {
        hv *w = g_new0(hv, 1);

        w->st = &st;
        w->index = k;
        w->uri = e->uris[k];
        w->params = params;
        /* parallel cells share the tester address: each worker binds its own port */
        w->params.tester_port = (uint16_t)(params.tester_port + 2 * k);
        w->plan = st.plan;
        if (bridge_mode && st.n_hvs > 1) {
            /* hypervisors may share one bridge (two libvirtds on a host), and a cell
             * moved off a lost hypervisor must not meet its old tap there */
            g_snprintf(w->plan_tap, sizeof(w->plan_tap), "vx%.7sh%u-", tag, k);
            w->plan.tap_prefix = w->plan_tap;
        }
        st.hvs[k] = w;
    }
    st.serial_trials = st.n_hvs > 1 && !e->parallel_trials;
    if (any_vm && !open_hypervisors(&st, &error)) {
        status = vexp_report_error(error);
        goto teardown;
    }
    if (any_vm && !check_cells(&st, &error)) {
        status = vexp_report_error(error);
        goto teardown;
    }
    if (!prepare_tester(&st, &error)) {
        status = vexp_report_error(error);
        goto teardown;
    }

    if (st.run_id) {
        if (!store_run_resume(store, st.run_id, &error)) {
            status = vexp_report_error(error);
            goto teardown;
        }
        fprintf(stderr, "vexp: resuming run %" G_GINT64_FORMAT " in %s\n", st.run_id,
                store_path(store));
        run_open = TRUE;
    } else {
        hv *first = NULL;
        for (guint k = 0; k < st.n_hvs && !first; k++)
            if (st.hvs[k]->conn)
                first = st.hvs[k];
        store_run_info ri = {
            .name = e->name,
            .matrix_text = matrix_text(m),
            .matrix_hash = matrix_hash(m),
            .vexp_version = VEXP_VERSION,
            .host = g_get_host_name(),
            .libvirt_version = first ? first->libvirt_v : NULL,
            .qemu_version = first ? first->qemu_v : NULL,
            .accel = any_vm ? run_accel(&st) : "none",
        };
        if (!store_run_begin(store, &ri, &st.run_id, &error)) {
            status = vexp_report_error(error);
            goto teardown;
        }
        run_open = TRUE;
        {
            long owner = 0;

            if (!vexp_run_lock_take(&lock, store_path(store), st.run_id, &owner, &error)) {
                if (error) {
                    /* nothing ran: the run row is finished as failed */
                    status = vexp_report_error(error);
                    g_clear_error(&error);
                    st.fatal = TRUE;
                } else {
                    /* a --resume elsewhere took the new run in the instant
                     * before this lock: it is that process's run now */
                    fprintf(stderr, "vexp: run %" G_GINT64_FORMAT " was taken by another vexp "
                                    "(pid %ld) as soon as it began; leaving it to that one\n",
                            st.run_id, owner);
                    status = VEXP_EXIT_ENV;
                    run_open = FALSE;
                }
                goto teardown;
            }
        }
    }

    /* --resume: which cells are already done, asked once; cells that failed
     * before still count for the exit status */
    st.moves = g_new0(guint, n);
    for (guint i = 0; i < n; i++) {
        g_autofree char *cell_status = NULL;
        if (resume && !store_cell_status(store, st.run_id, i, &cell_status, &error)) {
            /* nothing ran: leave the run as it was (resumable) */
            status = vexp_report_error(error);
            run_open = FALSE;
            goto teardown;
        }
        if (cell_status && !strcmp(cell_status, "failed"))
            st.failed_before++;
        if (cell_status && (!strcmp(cell_status, "complete") || !strcmp(cell_status, "failed")))
            continue;
        g_queue_push_tail(&st.queue, GUINT_TO_POINTER(i));
        st.cells_to_run++;
    }
    {
        const char *accel = any_vm ? run_accel(&st) : "none";
        fprintf(stderr, "vexp: run %" G_GINT64_FORMAT ": %u cell(s) to run of %u, store %s%s\n",
                st.run_id, st.cells_to_run, n, store_path(store),
                !strcmp(accel, "tcg")     ? "; accel tcg: figures are QEMU software-emulation "
                                            "figures"
                : !strcmp(accel, "mixed") ? "; accel differs between hypervisors (kvm and tcg): "
                                            "compare cells of one accelerator only"
                                          : "");
    }
    st.t_start_us = g_get_monotonic_time();
    for (guint k = 0; k < st.n_hvs; k++) {
        hv *w = st.hvs[k];
        if (any_vm && !w->conn)
            continue;
        w->thread = g_thread_new("vexp-hv", worker_main, w);
    }
    for (guint k = 0; k < st.n_hvs; k++)
        if (st.hvs[k]->thread)
            g_thread_join(g_steal_pointer(&st.hvs[k]->thread));
    not_run = g_queue_get_length(&st.queue);
    /* a signal after the last cell ended interrupts nothing */
    interrupted = cancel_flag != 0 && (not_run > 0 || st.interrupted > 0 || st.deferred > 0);

teardown:
    /* domains first (they use the namespace's taps), then the tester, then the namespace */
    for (guint k = 0; k < st.n_hvs; k++)
        g_clear_pointer(&st.hvs[k], hv_free);
    g_clear_pointer(&st.hvs, g_free);
    cleanup_tester(&st);
    g_clear_pointer(&net, domains_net_destroy);
    g_free(st.host_netns);
    g_free(st.host_addr);
    g_queue_clear(&st.queue);
    g_clear_pointer(&st.moves, g_free);
    if (!run_open)
        return status;

    /* every hypervisor lost: the run can be resumed once one is back */
    if (!store_run_finish(store, st.run_id,
                          interrupted || ((not_run || st.deferred) && !st.fatal) ? "interrupted"
                          : st.fatal                            ? "failed"
                                                                : "complete",
                          &error))
        return vexp_report_error(error);
    if (interrupted) {
        fprintf(stderr,
                "vexp: run %" G_GINT64_FORMAT " interrupted; finished trials are kept. "
                "Continue with: vexp run %s --resume --store %s\n",
                st.run_id, argv[1], store_path(store));
        return 130;
    }
    if (st.fatal)
        return VEXP_EXIT_ENV;
    if (not_run) {
        fprintf(stderr, "vexp: run %" G_GINT64_FORMAT ": every hypervisor was lost; %u cell(s) "
                        "did not run. Continue with: vexp run %s --resume --store %s\n",
                st.run_id, not_run + st.deferred, argv[1], store_path(store));
        return VEXP_EXIT_ENV;
    }
    if (st.deferred) {
        fprintf(stderr, "vexp: run %" G_GINT64_FORMAT ": %u cell(s) complete, %u failed, %u not "
                        "run for a reason outside the cell (above). Continue with: vexp run %s "
                        "--resume --store %s\n",
                st.run_id, st.cells_done - st.failed - st.deferred, st.failed, st.deferred,
                argv[1], store_path(store));
        return VEXP_EXIT_ENV;
    }
    if (st.failed_before)
        fprintf(stderr, "vexp: run %" G_GINT64_FORMAT " finished: %u cell(s) complete, %u failed "
                        "now and %u before the resume\n",
                st.run_id, st.cells_done - st.failed, st.failed, st.failed_before);
    else
        fprintf(stderr, "vexp: run %" G_GINT64_FORMAT " finished: %u cell(s) complete, %u failed\n",
                st.run_id, st.cells_done - st.failed, st.failed);
    return st.failed || st.failed_before ? VEXP_EXIT_FINDING : VEXP_EXIT_OK;
}

const vexp_cmd vexp_cmd_run = {"run", cmd_run,
                               "boot every cell of a matrix, run RFC 2544, store every trial"};
