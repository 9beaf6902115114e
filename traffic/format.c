/* SPDX-License-Identifier: MIT */
/* JSON records of trials and results (the CLI's --json lines). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "traffic-priv.h"

/* Append to buf at *off; keeps counting past the end like snprintf. */
__attribute__((format(printf, 4, 5))) static void app(char *buf, size_t len, size_t *off,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(*off < len ? buf + *off : NULL, *off < len ? len - *off : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        *off += (size_t)n;
}

static void app_rtt(char *buf, size_t len, size_t *off, const traffic_rtt_summary *s)
{
    app(buf, len, off,
        ",\"rtt_us\":{\"min\":%.3f,\"mean\":%.3f,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,"
        "\"p999\":%.3f,\"max\":%.3f},\"jitter_us\":%.3f,\"rtt_samples\":%llu",
        s->min_us, s->mean_us, s->p50_us, s->p90_us, s->p99_us, s->p999_us, s->max_us, s->jitter_us,
        (unsigned long long)s->samples);
}

static const char *setup_name(bool reflect)
{
    return reflect ? "forwarding" : "end-host";
}

int traffic_trial_to_json(const traffic_trial *t, char *buf, size_t len)
{
    if (!t || (!buf && len))
        return -EINVAL;
    size_t off = 0;
    app(buf, len, &off,
        "{\"type\":\"trial\",\"test\":\"%s\",\"direction\":\"%s\",\"setup\":\"%s\","
        "\"frame_size\":%u,\"repetition\":%u,\"index\":%u,\"phase\":\"%s\","
        "\"offered_fps\":%.3f,\"sent_fps\":%.3f,\"duration_s\":%.3f,\"elapsed_s\":%.6f,\"tx\":%llu,"
        "\"rx\":%llu,"
        "\"lost\":%llu,\"reordered\":%llu,\"duplicated\":%llu,\"loss_pct\":%.6f,"
        "\"rx_fps\":%.3f,\"dut_cpu_pct\":%.2f,\"valid\":%s,\"reason\":%s%s%s,\"reflect\":%s",
        traffic_test_name(t->test), traffic_direction_name(t->direction), setup_name(t->reflect),
        t->frame_size, t->repetition, t->index, t->phase ? t->phase : "", t->offered_fps,
        t->sent_fps, t->duration_s, t->elapsed_s, (unsigned long long)t->tx,
        (unsigned long long)t->rx, (unsigned long long)t->lost, (unsigned long long)t->reordered,
        (unsigned long long)t->duplicated, t->loss_pct, t->rx_fps, t->dut_cpu_pct,
        t->valid ? "true" : "false", t->reason ? "\"" : "", t->reason ? t->reason : "null",
        t->reason ? "\"" : "", t->reflect ? "true" : "false");
    if (t->burst_frames)
        app(buf, len, &off, ",\"burst_frames\":%llu", (unsigned long long)t->burst_frames);
    if (t->tester_wait_pct >= 0)
        app(buf, len, &off, ",\"tester_wait_pct\":%.2f", t->tester_wait_pct);
    if (t->has_rtt)
        app_rtt(buf, len, &off, &t->rtt);
    if (t->tester_dataplane) {
        char cpus[2 * sizeof(t->tester_cpus)];
        traffic_json_escape(cpus, sizeof(cpus), t->tester_cpus);
        app(buf, len, &off, ",\"tester_dataplane\":\"%s\",\"tester_cpus\":\"%s\"",
            t->tester_dataplane, cpus);
    }
    app(buf, len, &off, "}");
    return (int)off;
}

int traffic_result_to_json(const traffic_result *r, char *buf, size_t len)
{
    if (!r || (!buf && len))
        return -EINVAL;
    size_t off = 0;
    app(buf, len, &off,
        "{\"type\":\"result\",\"test\":\"%s\",\"direction\":\"%s\",\"setup\":\"%s\","
        "\"frame_size\":%u,\"repetition\":%u,\"trials\":%u,\"valid\":%s,\"reason\":%s%s%s,"
        "\"reflect\":%s",
        traffic_test_name(r->test), traffic_direction_name(r->direction), setup_name(r->reflect),
        r->frame_size, r->repetition, r->trials, r->valid ? "true" : "false", r->reason ? "\"" : "",
        r->reason ? r->reason : "null", r->reason ? "\"" : "", r->reflect ? "true" : "false");
    switch (r->test) {
    case TRAFFIC_TEST_THROUGHPUT:
        app(buf, len, &off, ",\"fps\":%.3f,\"mbps_l2\":%.3f,\"mbps_wire\":%.3f,\"max_fps\":%.3f",
            r->fps, r->mbps_l2, r->mbps_wire, r->max_fps);
        if (r->goal[0]) {
            char name[2 * TRAFFIC_GOAL_NAME];
            traffic_json_escape(name, sizeof(name), r->goal);
            app(buf, len, &off,
                ",\"goal\":\"%s\",\"goal_loss_pct\":%g,\"lower_fps\":%.3f,\"upper_fps\":%.3f,"
                "\"trial_seconds\":%.3f",
                name, r->goal_loss_pct, r->lower_fps, r->upper_fps, r->trial_seconds);
            app(buf, len, &off, ",\"load_trial_fps\":[");
            for (unsigned i = 0; i < r->n_load_trials && i < TRAFFIC_MAX_LOAD_TRIALS; i++)
                app(buf, len, &off, "%s%.3f", i ? "," : "", r->load_trial_fps[i]);
            app(buf, len, &off, "]");
            if (r->precision_pct >= 0 && isfinite(r->precision_pct))
                app(buf, len, &off, ",\"precision_pct\":%.3f", r->precision_pct);
        }
        break;
    case TRAFFIC_TEST_LATENCY:
        app(buf, len, &off, ",\"fps\":%.3f,\"mbps_l2\":%.3f,\"mbps_wire\":%.3f", r->fps, r->mbps_l2,
            r->mbps_wire);
        if (r->goal[0]) {
            char name[2 * TRAFFIC_GOAL_NAME];
            traffic_json_escape(name, sizeof(name), r->goal);
            app(buf, len, &off, ",\"at\":\"%s\",\"pct_of_pdr\":%g", name, r->pct_of_pdr);
        }
        if (r->has_rtt)
            app_rtt(buf, len, &off, &r->rtt);
        break;
    case TRAFFIC_TEST_RTT:
        if (r->has_rtt)
            app_rtt(buf, len, &off, &r->rtt);
        app(buf, len, &off, ",\"tx\":%llu,\"rx\":%llu", (unsigned long long)r->tx,
            (unsigned long long)r->rx);
        break;
    case TRAFFIC_TEST_LOSS:
        app(buf, len, &off, ",\"max_fps\":%.3f,\"curve\":[", r->max_fps);
        for (unsigned i = 0; i < r->n_curve && i < TRAFFIC_MAX_CURVE; i++)
            app(buf, len, &off, "%s{\"pct_of_max\":%.2f,\"offered_fps\":%.3f,\"loss_pct\":%.6f}",
                i ? "," : "", r->curve[i].pct_of_max, r->curve[i].offered_fps,
                r->curve[i].loss_pct);
        app(buf, len, &off, "]");
        break;
    case TRAFFIC_TEST_B2B:
        app(buf, len, &off,
            ",\"max_fps\":%.3f,\"throughput_fps\":%.3f,\"burst_frames\":{\"mean\":%.1f,"
            "\"min\":%.0f,\"max\":%.0f,\"stddev\":%.2f},\"burst_s\":%.6f,\"repetitions\":%u,"
            "\"buffer_time_s\":%.6f,\"corrected_buffer_time_s\":%.6f",
            r->max_fps, r->fps, r->burst_frames_mean, r->burst_frames_min, r->burst_frames_max,
            r->burst_frames_stddev, r->burst_s, r->b2b_repetitions, r->buffer_time_s,
            r->corrected_buffer_time_s);
        break;
    case TRAFFIC_TEST_FIXED:
        app(buf, len, &off,
            ",\"offered_fps\":%.3f,\"rx_fps\":%.3f,\"loss_pct\":%.6f,\"mbps_l2\":%.3f,"
            "\"mbps_wire\":%.3f,\"tx\":%llu,\"rx\":%llu,\"lost\":%llu,\"reordered\":%llu,"
            "\"duplicated\":%llu",
            r->offered_fps, r->rx_fps, r->loss_pct, r->mbps_l2, r->mbps_wire,
            (unsigned long long)r->tx, (unsigned long long)r->rx, (unsigned long long)r->lost,
            (unsigned long long)r->reordered, (unsigned long long)r->duplicated);
        break;
    }
    app(buf, len, &off, "}");
    return (int)off;
}
