/* SPDX-License-Identifier: MIT */
/* vexp run's progress: one status line with the run's ETA, and lines that stay. */
#include "vexp-config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "run-priv.h"

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

/* The model's wall time for the cells to run (estimate.c, as render prints it) less the time
 * spent, the model scaled by how the finished cells compared with it; once past the model, the
 * finished part's pace (done: cells, the running one's share of its figures included). */
static double run_eta(const run_state *st, double elapsed, double done)
{
    const double left = st->cells_to_run - done;

    if (st->est_cell_s > 0) {
        const double scale = st->cells_done >= 1 ? elapsed / (done * st->est_cell_s) : 1;
        const double model = st->cells_to_run * st->est_cell_s * scale - elapsed;
        if (model > 0)
            return model;
    }
    return done > 0.05 ? elapsed / done * left : -1;
}

/* "[hv 2] " when cells are spread over several hypervisors, else "" */
void run_hv_prefix(const run_hv *w, char *buf, size_t len)
{
    if (w && w->st->n_hvs > 1)
        g_snprintf(buf, len, "[hv %u] ", w->index + 1);
    else if (len)
        buf[0] = '\0';
}

/* the status line: the latest news of any worker, with the run's ETA */
void run_progress(run_hv *w, gboolean force, const char *fmt, ...)
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
    run_hv_prefix(w, pre, sizeof(pre));
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
    format_duration(run_eta(st, elapsed, done), eta, sizeof(eta));
    format_duration(elapsed, elapsed_s, sizeof(elapsed_s));
    if (st->tty)
        fprintf(stderr, "\r\033[K[cell %u/%u] %s | %s, ETA %s",
                MIN(cells_done + 1, st->cells_to_run), st->cells_to_run, st->status, elapsed_s,
                eta);
    else if (force)
        fprintf(stderr, "[cell %u/%u] %s | %s, ETA %s\n", MIN(cells_done + 1, st->cells_to_run),
                st->cells_to_run, st->status, elapsed_s, eta);
    g_mutex_unlock(&st->out_lock);
}

/* a line that stays (cell begin/end, warnings); clears the status line first */
void run_say(run_state *st, const char *fmt, ...)
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
