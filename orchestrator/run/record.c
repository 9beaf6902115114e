/* SPDX-License-Identifier: MIT */
/* vexp run's recording: every trial to the store as it ends, each unit's figures when final,
 * the cell's results from them at its end. */
#include "vexp-config.h"

#include <math.h>
#include <string.h>

#include "run-priv.h"

/* one value of a figure of the unit in progress; metric and unit are static strings
 * (STORE_METRIC_* or the literals below, or interned) */
typedef struct {
    enum traffic_test test;
    const char *metric;
    const char *unit;
    double value;
} pending_sample;

/* one throughput search: the repetition of a direction and frame size */
typedef struct {
    enum traffic_direction direction;
    guint frame_size;
    guint repetition;
} best_key;

/* the fastest passing trial of a throughput search: the DUT's and QEMU's CPU
 * at the throughput rate */
typedef struct {
    best_key key;
    double fps, dut_cpu_pct, host_cpu_pct;
} best_trial;

struct run_record {
    GArray *pending;  /* pending_sample: the unit in progress, stored at its end */
    GHashTable *done; /* "test/direction/frame size/repetition" measures final in the store */
    GHashTable *best; /* best_key * -> best_trial * (owned) */
};

static guint best_key_hash(gconstpointer p)
{
    const best_key *k = p;

    return ((guint)k->direction * 31 + k->frame_size) * 31 + k->repetition;
}

static gboolean best_key_equal(gconstpointer pa, gconstpointer pb)
{
    const best_key *a = pa, *b = pb;

    return a->direction == b->direction && a->frame_size == b->frame_size &&
           a->repetition == b->repetition;
}

run_record *run_record_new(void)
{
    run_record *r = g_new0(run_record, 1);

    r->pending = g_array_new(FALSE, FALSE, sizeof(pending_sample));
    r->done = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    r->best = g_hash_table_new_full(best_key_hash, best_key_equal, NULL, g_free);
    return r;
}

void run_record_free(run_record *r)
{
    if (!r)
        return;
    g_array_unref(r->pending);
    g_hash_table_unref(r->done);
    g_hash_table_unref(r->best);
    g_free(r);
}

void run_record_reset(run_record *r)
{
    g_array_set_size(r->pending, 0);
    g_hash_table_remove_all(r->done);
    g_hash_table_remove_all(r->best);
}

static char *measure_key(const char *test, const char *direction, guint frame_size,
                         guint repetition)
{
    return g_strdup_printf("%s/%s/%u/%u", test, direction, frame_size, repetition);
}

/* TRUE when every test of the unit has its measure in the store */
static gboolean unit_done(const run_record *rec, const traffic_unit *u)
{
    for (unsigned bit = 1; bit <= TRAFFIC_TEST_MASK; bit <<= 1) {
        g_autofree char *key = NULL;

        if (!(u->tests & bit))
            continue;
        key = measure_key(traffic_test_name(bit), traffic_direction_name(u->direction),
                          u->frame_size, u->repetition);
        if (!g_hash_table_contains(rec->done, key))
            return FALSE;
    }
    return TRUE;
}

static void add_sample(run_record *rec, const traffic_result *r, const char *metric,
                       const char *unit, double v)
{
    pending_sample ps = {r->test, metric, unit, v};

    if (isfinite(v))
        g_array_append_val(rec->pending, ps);
}

static void best_update(run_record *rec, const traffic_trial *t, double dut_cpu_pct,
                        double host_cpu_pct)
{
    best_key key = {t->direction, t->frame_size, t->repetition};
    best_trial *b = g_hash_table_lookup(rec->best, &key);

    if (!b) {
        b = g_new0(best_trial, 1);
        b->key = key;
        b->fps = -1;
        g_hash_table_insert(rec->best, &b->key, b);
    }
    if (t->offered_fps > b->fps) {
        b->fps = t->offered_fps;
        b->dut_cpu_pct = dut_cpu_pct;
        b->host_cpu_pct = host_cpu_pct;
    }
}

/* "throughput_<goal>_<what>", interned: sample keys keep the pointer */
static const char *goal_metric(const char *goal, const char *what)
{
    g_autofree char *m = g_strdup_printf("throughput_%s_%s", goal, what);
    return g_intern_string(m);
}

/* "latency_<goal>_<what>" (goal: ndr, pdr, pdr_10, ...), interned */
static const char *latency_metric(const char *goal, const char *what)
{
    g_autofree char *m = g_strdup_printf("latency_%s_%s", goal, what);
    return g_intern_string(m);
}

static int obs_cancelled(void *ud)
{
    run_hv *st = ud;
    gint64 now;

    if (run_cancel_flag || st->store_error || st->guest_died)
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
    run_hv *st = ud;

    st->have_cpu0 = st->guest && domains_guest_cpu_time(st->guest, &st->cpu0_ns, NULL);
    st->t0_us = g_get_monotonic_time();
    run_progress(st, FALSE, "%s %s %u B, %s trial at %.0f fps", traffic_test_name(t->test),
                 traffic_direction_name(t->direction), t->frame_size, t->phase, t->offered_fps);
}

static void obs_trial_end(void *ud, const traffic_trial *t)
{
    run_hv *st = ud;
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
    row.sent_fps = t->sent_fps > 0 ? t->sent_fps : NAN;
    row.duration_s = t->elapsed_s > 0 ? t->elapsed_s : t->duration_s;
    row.tx = t->tx;
    row.rx = t->rx;
    row.lost = t->lost;
    row.reordered = t->reordered;
    row.duplicated = t->duplicated;
    row.loss_pct = t->loss_pct;
    row.dut_cpu_pct = t->dut_cpu_pct >= 0 ? t->dut_cpu_pct : NAN;
    row.host_cpu_pct = st->host_cpu_pct;
    /* passed: within the first goal's loss (the headline figure's) */
    row.passed = t->valid && t->loss_pct <= st->params.goals[0].loss_pct;
    row.valid = t->valid;
    row.reason = t->reason;
    row.reflect = t->reflect;
    row.burst_frames = t->burst_frames;
    row.tester_dataplane = t->tester_dataplane;
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
    if (t->test == TRAFFIC_TEST_THROUGHPUT && row.passed)
        best_update(st->record, t, row.dut_cpu_pct, row.host_cpu_pct);
    run_progress(st, FALSE, "%s %s %u B: %.0f fps offered, %.3f %% lost%s",
                 traffic_test_name(t->test), traffic_direction_name(t->direction), t->frame_size,
                 t->offered_fps, t->loss_pct, t->valid ? "" : " (invalid)");
}

static void obs_result(void *ud, const traffic_result *r)
{
    run_hv *st = ud;
    const char *test = traffic_test_name(r->test);
    const char *dir = traffic_direction_name(r->direction);
    unsigned fs = r->frame_size;

    st->units_done++;
    if (!r->valid) {
        run_progress(st, TRUE, "%s %s %u B: no figure (%s)", test, dir, fs,
                     r->reason ? r->reason : "invalid");
        return;
    }
    switch (r->test) {
    case TRAFFIC_TEST_THROUGHPUT: {
        best_key bk = {r->direction, r->frame_size, r->repetition};
        const best_trial *b = g_hash_table_lookup(st->record->best, &bk);
        /* the first goal is the headline figure (throughput_fps, ...); every
         * goal also under its own name (throughput_ndr_fps, ...) */
        const gboolean headline = !r->goal[0] || !strcmp(r->goal, st->params.goals[0].name);
        if (headline) {
            add_sample(st->record, r, STORE_METRIC_THROUGHPUT_FPS, "frames/s", r->fps);
            add_sample(st->record, r, STORE_METRIC_THROUGHPUT_MBPS_L2, "Mbit/s", r->mbps_l2);
            add_sample(st->record, r, STORE_METRIC_THROUGHPUT_MBPS_WIRE, "Mbit/s", r->mbps_wire);
            if (b) {
                add_sample(st->record, r, STORE_METRIC_DUT_CPU_PCT, "%", b->dut_cpu_pct);
                add_sample(st->record, r, STORE_METRIC_HOST_CPU_PCT, "%", b->host_cpu_pct);
            }
        }
        if (r->goal[0]) {
            add_sample(st->record, r, goal_metric(r->goal, "fps"), "frames/s", r->fps);
            add_sample(st->record, r, goal_metric(r->goal, "mbps_l2"), "Mbit/s", r->mbps_l2);
            add_sample(st->record, r, goal_metric(r->goal, "mbps_wire"), "Mbit/s", r->mbps_wire);
            /* repeat = trials: the spread is over the full-length trials at the goal's load */
            for (guint k = 0; k < r->n_load_trials; k++)
                add_sample(st->record, r, goal_metric(r->goal, "trial_fps"), "frames/s",
                           r->load_trial_fps[k]);
            /* what the figure cost and how precise it came out (precision_pct) */
            if (r->precision_pct >= 0 && isfinite(r->precision_pct))
                add_sample(st->record, r, goal_metric(r->goal, "precision_pct"), "%",
                           r->precision_pct);
            add_sample(st->record, r, goal_metric(r->goal, "search_trial_s"), "s",
                       r->trial_seconds);
        }
        if (r->precision_pct > 50 || (r->precision_pct >= 0 && !isfinite(r->precision_pct)))
            /* no load on one side of the figure is a bound with 95 % confidence yet: a
             * half width of hundreds of % would read as a figure; say what it means */
            run_progress(st, TRUE,
                         "throughput %s %s %u B rep %u: %.0f fps = %.1f Mbit/s L2, no 95 %% "
                         "interval within the trial-time cap (precision_pct %g not reached), "
                         "%.0f trial-s",
                         r->goal, dir, fs, r->repetition, r->fps, r->mbps_l2,
                         st->params.precision_pct, r->trial_seconds);
        else if (r->precision_pct >= 0)
            run_progress(st, TRUE,
                         "throughput %s %s %u B rep %u: %.0f fps = %.1f Mbit/s L2, +-%.2f %% at "
                         "95 %%, %.0f trial-s",
                         r->goal, dir, fs, r->repetition, r->fps, r->mbps_l2, r->precision_pct,
                         r->trial_seconds);
        else
            run_progress(st, TRUE, "throughput %s %s %u B rep %u: %.0f fps = %.1f Mbit/s L2",
                         r->goal[0] ? r->goal : "", dir, fs, r->repetition, r->fps, r->mbps_l2);
        if (r->at_tester_ceiling) {
            /* the figure is the tester's, not the DUT's: say so where it is read */
            add_sample(st->record, r, goal_metric(r->goal, "ceiling_fps"),
                       "frames/s", r->max_fps);
            run_progress(st, TRUE,
                         "throughput %s %s %u B rep %u: the tester, starved, sent at most %.0f "
                         "fps and the DUT forwarded it: a floor, not the DUT's limit",
                         r->goal, dir, fs, r->repetition, r->max_fps);
        }
        break;
    }
    case TRAFFIC_TEST_LATENCY:
        if (r->has_rtt && r->goal[0]) {
            /* at load: each goal's and level's own figures; the first goal's also under the
             * plain names (the standalone procedure measures at its rate) */
            add_sample(st->record, r, latency_metric(r->goal, "p50_us"), "us", r->rtt.p50_us);
            add_sample(st->record, r, latency_metric(r->goal, "p99_us"), "us", r->rtt.p99_us);
            add_sample(st->record, r, latency_metric(r->goal, "mean_us"), "us", r->rtt.mean_us);
            add_sample(st->record, r, latency_metric(r->goal, "fps"), "frames/s", r->fps);
            run_progress(st, TRUE,
                         "latency %s %s %u B rep %u at %.0f fps: p50 %.1f us, p99 %.1f us", r->goal,
                         dir, fs, r->repetition, r->fps, r->rtt.p50_us, r->rtt.p99_us);
            if (strcmp(r->goal, st->params.goals[0].name) != 0)
                break;
        }
        /* fall through */
    case TRAFFIC_TEST_RTT:
        if (r->has_rtt) {
            add_sample(st->record, r, STORE_METRIC_RTT_P50_US, "us", r->rtt.p50_us);
            add_sample(st->record, r, STORE_METRIC_RTT_P99_US, "us", r->rtt.p99_us);
            add_sample(st->record, r, "rtt_mean_us", "us", r->rtt.mean_us);
            add_sample(st->record, r, "rtt_jitter_us", "us", r->rtt.jitter_us);
            run_progress(st, TRUE, "%s %s %u B rep %u: p50 %.1f us, p99 %.1f us", test, dir, fs,
                         r->repetition, r->rtt.p50_us, r->rtt.p99_us);
        }
        break;
    case TRAFFIC_TEST_LOSS:
        if (r->n_curve > 0) {
            add_sample(st->record, r, STORE_METRIC_LOSS_PCT_AT_MAX, "%", r->curve[0].loss_pct);
            add_sample(st->record, r, "loss_max_fps", "frames/s", r->curve[0].offered_fps);
            run_progress(st, TRUE, "loss %s %u B rep %u: %.2f %% at %.0f fps", dir, fs,
                         r->repetition, r->curve[0].loss_pct, r->curve[0].offered_fps);
        }
        break;
    case TRAFFIC_TEST_B2B:
        add_sample(st->record, r, STORE_METRIC_B2B_FRAMES, "frames", r->burst_frames_mean);
        add_sample(st->record, r, "b2b_buffer_s", "s", r->buffer_time_s);
        add_sample(st->record, r, "b2b_corrected_buffer_s", "s", r->corrected_buffer_time_s);
        run_progress(st, TRUE, "b2b %s %u B rep %u: %.0f frames", dir, fs, r->repetition,
                     r->burst_frames_mean);
        break;
    case TRAFFIC_TEST_FIXED:
        add_sample(st->record, r, "offered_fps", "frames/s", r->offered_fps);
        add_sample(st->record, r, "rx_fps", "frames/s", r->rx_fps);
        add_sample(st->record, r, "loss_pct", "%", r->loss_pct);
        run_progress(st, TRUE, "fixed %s %u B rep %u: %.0f of %.0f fps received, %.3f %% lost", dir,
                     fs, r->repetition, r->rx_fps, r->offered_fps, r->loss_pct);
        break;
    }
}

/* a unit whose measures are in the store (a resumed cell's): not measured again */
static int obs_skip_unit(void *ud, const traffic_unit *u)
{
    run_hv *st = ud;

    if (!unit_done(st->record, u))
        return 0;
    st->units_done += (guint)__builtin_popcount(u->tests);
    return 1;
}

/* a unit's figures are final: its measures and their values in one transaction */
static void obs_unit_end(void *ud, const traffic_unit *u)
{
    run_hv *st = ud;
    run_record *rec = st->record;
    store_measure m[6];
    int index[6]; /* bit number of enum traffic_test -> m[] */
    guint n = 0;
    g_autofree store_sample *samples = g_new0(store_sample, MAX(1u, rec->pending->len));
    guint ns = 0;
    g_autoptr(GError) error = NULL;
    gboolean ok;

    for (unsigned b = 0; b < 6; b++) {
        index[b] = -1;
        if (!(u->tests & (1u << b)))
            continue;
        index[b] = (int)n;
        m[n++] = (store_measure){traffic_test_name(1u << b), traffic_direction_name(u->direction),
                                 u->frame_size, u->repetition};
    }
    for (guint i = 0; i < rec->pending->len; i++) {
        const pending_sample *ps = &g_array_index(rec->pending, pending_sample, i);
        const int b = __builtin_ctz((unsigned)ps->test);

        /* every figure of a unit is of one of its tests; a stray one is not stored */
        if (b < 6 && index[b] >= 0)
            samples[ns++] = (store_sample){(guint)index[b], ps->metric, ps->unit, ps->value};
    }
    g_array_set_size(rec->pending, 0);
    g_mutex_lock(&st->st->store_lock);
    ok = store_measures_add(st->st->store, st->cell_id, m, n, samples, ns, &error);
    g_mutex_unlock(&st->st->store_lock);
    if (!ok) {
        if (!st->store_error)
            st->store_error = g_steal_pointer(&error);
        return;
    }
    for (guint i = 0; i < n; i++)
        g_hash_table_add(rec->done,
                         measure_key(m[i].test, m[i].direction, m[i].frame_size, m[i].repetition));
}

void run_record_observer(run_hv *w, traffic_observer *ret_obs)
{
    *ret_obs = (traffic_observer){
        .userdata = w,
        .trial_begin = obs_trial_begin,
        .trial_end = obs_trial_end,
        .result = obs_result,
        .cancelled = obs_cancelled,
        .skip_unit = obs_skip_unit,
        .unit_end = obs_unit_end,
    };
}

gboolean run_record_resume(run_hv *w, guint *ret_kept, GError **error)
{
    g_autoptr(GPtrArray) rows = NULL;
    gboolean ok;

    g_mutex_lock(&w->st->store_lock);
    ok = store_measures_carry(w->st->store, w->cell_id, ret_kept, error) &&
         store_measures_rows(w->st->store, w->cell_id, &rows, error);
    g_mutex_unlock(&w->st->store_lock);
    if (!ok)
        return FALSE;
    for (guint i = 0; i < rows->len; i++) {
        const store_measure_row *r = g_ptr_array_index(rows, i);

        g_hash_table_add(w->record->done,
                         measure_key(r->test, r->direction, r->frame_size, r->repetition));
    }
    return TRUE;
}

guint run_record_missing(const run_hv *w)
{
    const int n = traffic_suite_units(&w->params, NULL, 0);
    g_autofree traffic_unit *units = NULL;
    guint missing = 0;

    if (n <= 0)
        return n < 0 ? 1 : 0;
    units = g_new(traffic_unit, n);
    traffic_suite_units(&w->params, units, (unsigned)n);
    for (int i = 0; i < n; i++)
        missing += !unit_done(w->record, &units[i]);
    return missing;
}

gboolean run_record_store(run_hv *w, GError **error)
{
    gboolean ok;

    g_mutex_lock(&w->st->store_lock);
    ok = store_results_derive(w->st->store, w->cell_id, error);
    g_mutex_unlock(&w->st->store_lock);
    return ok;
}
