/* SPDX-License-Identifier: MIT */
/* vexp-traffic: "agent" (DUT side) and "run" (tester side) of the RFC 2544 engine. */
#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "main-tools.h"
#include "traffic-priv.h"
#include "vexp-config.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

void vexp_traffic_usage(FILE *f)
{
    fputs("usage: vexp-traffic agent\n"
          "       vexp-traffic run --agent-cmd CMD --dut ADDR [--tester ADDR]\n"
          "            [--test throughput,latency,loss,b2b,rtt,fixed]\n"
          "            [--frame-size 64,128,256,512,1024,1280,1518] [--direction in,out]\n"
          "            [--trial-s S] [--repetitions N]\n"
          "            [--rate-fps N | --rate-mbps M | --rate-fps max] [--line-rate-mbps M]\n"
          "            [--resolution-pct P] [--loss-tolerance-pct T] [--probes N] [--json]\n"
          "            [--reflect] [--search-trial-s S] [--latency-repetitions N]\n"
          "            [--b2b-repetitions N] [--b2b-burst-s S] [--loss-step-pct P]\n"
          "            [--warmup-s S] [--straggler-s S] [--rtt-interval-ms MS]\n"
          "            [--dut-port P] [--tester-port P] [--senders N]\n"
          "            [--rtt-sequences N] [--tester-cmd CMD]\n"
          "            [--method mlrsearch|rfc2544] [--goals ndr,pdr:0.5]\n"
          "            [--exceed-pct P] [--duration-sum-s S] [--precision-pct P]\n"
          "            [--tester-dataplane auto|xdp|socket] [--tester-cpus LIST]\n"
          "       vexp-traffic send --src ADDR --dst ADDR [--src-port P] [--dst-port P]\n"
          "            [--frame-size F] [--seconds S] [--senders N]\n"
          "            [--tester-dataplane auto|xdp|socket] [--tester-cpus LIST]\n"
          "       vexp-traffic count --addr ADDR [--port P] [--frame-size F] [--seconds S]\n"
          "            [--receivers N] [--tester-dataplane auto|xdp|socket] [--tester-cpus LIST]\n"
          "            [--drop] [--count-in xdp|socket]\n"
          "       vexp-traffic --version\n"
          "--agent-cmd CMD: the DUT's agent, run with /bin/sh -c; its stdin/stdout are the\n"
          "  control channel.  --tester-cmd CMD: the tester side in a second agent started\n"
          "  the same way (e.g. on a tester machine over ssh; it binds --tester and sends to\n"
          "  --dut); without it the tester side runs in this process.\n"
          "send: the tester's generator alone, as fast as it goes, one JSON line.  count: the\n"
          "  tester's receiver alone (frames to ADDR:PORT, streams 1-4), one JSON line; with\n"
          "  --drop an XDP program drops them instead (a sink that costs nothing); on AF_XDP\n"
          "  the XDP program counts them (--count-in xdp, the default) or the socket does.\n",
          f);
}

static bool json_out;

/* Which data plane the tester used: a line whenever it changes in a direction (and the
 * first time), so that a tester that sends on sockets and counts on AF_XDP says so once. */
static void plane_line(const traffic_trial *t)
{
    static char last[2][sizeof(t->tester_plane)];
    const unsigned d = t->direction == TRAFFIC_DIR_OUT;
    if (!t->tester_dataplane || strcmp(last[d], t->tester_plane) == 0)
        return;
    snprintf(last[d], sizeof(last[d]), "%s", t->tester_plane);
    if (json_out) {
        char esc[2 * sizeof(last[d])];
        traffic_json_escape(esc, sizeof(esc), last[d]);
        printf("{\"type\":\"dataplane\",\"direction\":\"%s\",\"tester_dataplane\":\"%s\","
               "\"why\":\"%s\"}\n",
               traffic_direction_name(t->direction), t->tester_dataplane, esc);
    } else {
        printf("tester data plane, direction %s: %s\n", traffic_direction_name(t->direction),
               last[d]);
    }
}

static void on_trial(void *ud, const traffic_trial *t)
{
    (void)ud;
    plane_line(t);
    if (json_out) {
        char buf[2048];
        if (traffic_trial_to_json(t, buf, sizeof(buf)) > 0)
            printf("%s\n", buf);
    } else {
        printf("  trial %-10s %-3s %5u B rep %u #%-3u %-9s offered %12.0f fps  tx %10llu  "
               "rx %10llu  loss %8.4f %%  cpu %5.1f %%%s%s",
               traffic_test_name(t->test), traffic_direction_name(t->direction), t->frame_size,
               t->repetition, t->index, t->phase, t->offered_fps, (unsigned long long)t->tx,
               (unsigned long long)t->rx, t->loss_pct, t->dut_cpu_pct,
               t->valid ? "" : "  INVALID: ", t->valid ? "" : t->reason);
        if (t->has_rtt && t->rtt.samples)
            printf("  rtt p50 %.1f us", t->rtt.p50_us);
        printf("\n");
    }
    fflush(stdout);
}

/* The closing table of the readable output: one row per figure. */
#define TABLE_ROWS_MAX 2000
static char *table_rows[TABLE_ROWS_MAX];
static unsigned table_n, table_dropped;

static void table_add(const traffic_result *r)
{
    char row[256], fig[160];
    switch (r->test) {
    case TRAFFIC_TEST_THROUGHPUT:
    case TRAFFIC_TEST_FIXED:
        snprintf(fig, sizeof(fig), "%12.0f %10.2f %10.2f", r->fps, r->mbps_l2, r->mbps_wire);
        if (r->test == TRAFFIC_TEST_FIXED)
            snprintf(fig + strlen(fig), sizeof(fig) - strlen(fig), " %9.4f", r->loss_pct);
        else if (r->goal[0])
            snprintf(fig + strlen(fig), sizeof(fig) - strlen(fig), " %9s  %s (loss <= %g %%)", "",
                     r->goal, r->goal_loss_pct);
        break;
    case TRAFFIC_TEST_LATENCY:
    case TRAFFIC_TEST_RTT: {
        char rate[16] = "";
        if (r->test == TRAFFIC_TEST_LATENCY)
            snprintf(rate, sizeof(rate), "%.0f", r->fps);
        snprintf(fig, sizeof(fig), "%12s %10s %10s %9s %10.1f %10.1f %10.1f", rate, "", "", "",
                 r->rtt.p50_us, r->rtt.p99_us, r->rtt.max_us);
        break;
    }
    case TRAFFIC_TEST_LOSS:
        snprintf(fig, sizeof(fig), "%12.0f %10s %10s %9.4f  (at 100 %% of max; %u points)",
                 r->max_fps, "", "", r->n_curve ? r->curve[0].loss_pct : 0, r->n_curve);
        break;
    case TRAFFIC_TEST_B2B:
        snprintf(fig, sizeof(fig), "%12.0f %10s %10s %9s  burst %.0f frames, buffer %.6f s",
                 r->max_fps, "", "", "", r->burst_frames_mean, r->corrected_buffer_time_s);
        break;
    default:
        fig[0] = '\0';
    }
    snprintf(row, sizeof(row), "%-10s %-3s %5u %3u %-4s %s%s%s", traffic_test_name(r->test),
             traffic_direction_name(r->direction), r->frame_size, r->repetition,
             r->reflect ? "fwd" : "host", fig,
             r->valid ? "" : "  INVALID: ", r->valid ? "" : r->reason);
    if (table_n >= TABLE_ROWS_MAX || !(table_rows[table_n] = strdup(row))) {
        table_dropped++;
        return;
    }
    table_n++;
}

static void table_print(void)
{
    if (table_n == 0)
        return;
    printf("\n%-10s %-3s %5s %3s %-4s %12s %10s %10s %9s %10s %10s %10s\n", "test", "dir", "bytes",
           "rep", "set", "frames/s", "L2 Mb/s", "wire Mb/s", "loss %", "rtt p50", "p99", "max us");
    for (unsigned i = 0; i < table_n; i++) {
        printf("%s\n", table_rows[i]);
        free(table_rows[i]);
    }
    if (table_dropped)
        printf("(%u more figures not shown)\n", table_dropped);
    table_n = 0;
}

static void on_result(void *ud, const traffic_result *r)
{
    (void)ud;
    if (!json_out)
        table_add(r);
    if (json_out) {
        char buf[8192];
        if (traffic_result_to_json(r, buf, sizeof(buf)) > 0)
            printf("%s\n", buf);
        fflush(stdout);
        return;
    }
    printf("%-10s %-3s %5u B rep %u (%s, %u trials)%s%s: ", traffic_test_name(r->test),
           traffic_direction_name(r->direction), r->frame_size, r->repetition,
           r->reflect ? "forwarding" : "end host", r->trials, r->valid ? "" : " INVALID ",
           r->valid ? "" : r->reason);
    switch (r->test) {
    case TRAFFIC_TEST_THROUGHPUT:
        printf("%s %.0f fps  %.2f Mb/s L2  %.2f Mb/s wire  (bounds %.0f..%.0f fps, %.1f trial-s",
               r->goal, r->fps, r->mbps_l2, r->mbps_wire, r->lower_fps, r->upper_fps,
               r->trial_seconds);
        if (r->precision_pct >= 0 && isfinite(r->precision_pct))
            printf(", +-%.2f %% at 95 %%", r->precision_pct);
        printf(")\n");
        break;
    case TRAFFIC_TEST_LATENCY:
    case TRAFFIC_TEST_RTT:
        printf("rtt min %.1f mean %.1f p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f "
               "jitter %.1f us\n",
               r->rtt.min_us, r->rtt.mean_us, r->rtt.p50_us, r->rtt.p90_us, r->rtt.p99_us,
               r->rtt.p999_us, r->rtt.max_us, r->rtt.jitter_us);
        break;
    case TRAFFIC_TEST_LOSS:
        for (unsigned i = 0; i < r->n_curve; i++)
            printf("%s%.0f%%: %.3f%%", i ? ", " : "", r->curve[i].pct_of_max, r->curve[i].loss_pct);
        printf("\n");
        break;
    case TRAFFIC_TEST_B2B:
        printf("burst %.0f frames (min %.0f max %.0f sd %.1f) = %.6f s; buffer %.6f s, "
               "corrected %.6f s\n",
               r->burst_frames_mean, r->burst_frames_min, r->burst_frames_max,
               r->burst_frames_stddev, r->burst_s, r->buffer_time_s, r->corrected_buffer_time_s);
        break;
    case TRAFFIC_TEST_FIXED:
        printf("offered %.0f fps, received %.0f fps (%.2f Mb/s L2, %.2f wire), loss %.4f %%, "
               "tx %llu rx %llu lost %llu reordered %llu duplicated %llu\n",
               r->offered_fps, r->rx_fps, r->mbps_l2, r->mbps_wire, r->loss_pct,
               (unsigned long long)r->tx, (unsigned long long)r->rx, (unsigned long long)r->lost,
               (unsigned long long)r->reordered, (unsigned long long)r->duplicated);
        break;
    }
    fflush(stdout);
}

int vexp_traffic_stopped(void *ud)
{
    (void)ud;
    return stop_requested;
}

enum {
    OPT_AGENT_CMD = 256,
    OPT_DUT,
    OPT_TESTER,
    OPT_TEST,
    OPT_FRAME,
    OPT_DIR,
    OPT_TRIAL,
    OPT_REPS,
    OPT_RATE_FPS,
    OPT_RATE_MBPS,
    OPT_LINE,
    OPT_RES,
    OPT_TOL,
    OPT_PROBES,
    OPT_JSON,
    OPT_REFLECT,
    OPT_SEARCH_S,
    OPT_LAT_REPS,
    OPT_B2B_REPS,
    OPT_B2B_S,
    OPT_STEP,
    OPT_WARM,
    OPT_STRAG,
    OPT_RTT_INT,
    OPT_DUT_PORT,
    OPT_TESTER_PORT,
    OPT_SENDERS,
    OPT_RTT_SEQ,
    OPT_TESTER_CMD,
    OPT_METHOD,
    OPT_GOALS,
    OPT_EXCEED,
    OPT_DSUM,
    OPT_PREC,
    OPT_DATAPLANE,
    OPT_TESTER_CPUS,
    OPT_HELP,
};

static const struct option run_opts[] = {
    {"agent-cmd", required_argument, NULL, OPT_AGENT_CMD},
    {"dut", required_argument, NULL, OPT_DUT},
    {"tester", required_argument, NULL, OPT_TESTER},
    {"test", required_argument, NULL, OPT_TEST},
    {"frame-size", required_argument, NULL, OPT_FRAME},
    {"direction", required_argument, NULL, OPT_DIR},
    {"trial-s", required_argument, NULL, OPT_TRIAL},
    {"repetitions", required_argument, NULL, OPT_REPS},
    {"rate-fps", required_argument, NULL, OPT_RATE_FPS},
    {"rate-mbps", required_argument, NULL, OPT_RATE_MBPS},
    {"line-rate-mbps", required_argument, NULL, OPT_LINE},
    {"resolution-pct", required_argument, NULL, OPT_RES},
    {"loss-tolerance-pct", required_argument, NULL, OPT_TOL},
    {"probes", required_argument, NULL, OPT_PROBES},
    {"json", no_argument, NULL, OPT_JSON},
    {"reflect", no_argument, NULL, OPT_REFLECT},
    {"search-trial-s", required_argument, NULL, OPT_SEARCH_S},
    {"latency-repetitions", required_argument, NULL, OPT_LAT_REPS},
    {"b2b-repetitions", required_argument, NULL, OPT_B2B_REPS},
    {"b2b-burst-s", required_argument, NULL, OPT_B2B_S},
    {"loss-step-pct", required_argument, NULL, OPT_STEP},
    {"warmup-s", required_argument, NULL, OPT_WARM},
    {"straggler-s", required_argument, NULL, OPT_STRAG},
    {"rtt-interval-ms", required_argument, NULL, OPT_RTT_INT},
    {"dut-port", required_argument, NULL, OPT_DUT_PORT},
    {"tester-port", required_argument, NULL, OPT_TESTER_PORT},
    {"senders", required_argument, NULL, OPT_SENDERS},
    {"rtt-sequences", required_argument, NULL, OPT_RTT_SEQ},
    {"tester-cmd", required_argument, NULL, OPT_TESTER_CMD},
    {"method", required_argument, NULL, OPT_METHOD},
    {"goals", required_argument, NULL, OPT_GOALS},
    {"exceed-pct", required_argument, NULL, OPT_EXCEED},
    {"duration-sum-s", required_argument, NULL, OPT_DSUM},
    {"precision-pct", required_argument, NULL, OPT_PREC},
    {"tester-dataplane", required_argument, NULL, OPT_DATAPLANE},
    {"tester-cpus", required_argument, NULL, OPT_TESTER_CPUS},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int bad(const char *opt, const char *val)
{
    fprintf(stderr, "vexp-traffic run: invalid value for --%s: '%s'\n", opt, val);
    return 2;
}

static int parse_uint(const char *s, unsigned max, unsigned *ret)
{
    uint64_t v;
    if (traffic_parse_u64(s, max, &v) < 0)
        return -EINVAL;
    *ret = (unsigned)v;
    return 0;
}

/* Start cmd and say hello; on failure the reason is printed and *ret_conn stays NULL. */
static int open_agent(const char *cmd, traffic_conn **ret_conn, traffic_agent_info *ret_info)
{
    traffic_conn *conn;
    int r = traffic_conn_open_cmd(cmd, &conn);
    if (r < 0) {
        fprintf(stderr, "vexp-traffic run: cannot start agent command '%s': %s\n", cmd,
                strerror(-r));
        return r;
    }
    r = traffic_conn_hello(conn, 10000, ret_info);
    if (r < 0) {
        fprintf(stderr, "vexp-traffic run: no hello from agent '%s': %s%s%s\n", cmd, strerror(-r),
                *traffic_conn_last_error(conn) ? ": " : "", traffic_conn_last_error(conn));
        traffic_conn_free(conn);
        return r;
    }
    *ret_conn = conn;
    return 0;
}

/* run's options that set one number of traffic_params, and its limits */
typedef struct run_num {
    int opt;
    size_t off; /* of the field in traffic_params */
    bool is_double;
    double min, max; /* a double's limits; max alone for an unsigned */
    bool nonzero;    /* an unsigned that may not be 0 */
} run_num;

#define OFF(f) offsetof(traffic_params, f)

static const run_num run_nums[] = {
    {OPT_TRIAL, OFF(trial_s), true, 0.1, 3600, false},
    {OPT_SEARCH_S, OFF(search_trial_s), true, 0.1, 3600, false},
    {OPT_REPS, OFF(repetitions), false, 0, 1000, false},
    {OPT_LAT_REPS, OFF(latency_repetitions), false, 0, 1000, false},
    {OPT_B2B_REPS, OFF(b2b_repetitions), false, 0, 1000, false},
    {OPT_RATE_MBPS, OFF(rate_mbps), true, 0.001, 4e5, false},
    {OPT_LINE, OFF(line_rate_mbps), true, 0.001, 4e5, false},
    {OPT_RES, OFF(resolution_pct), true, 0.01, 50, false},
    {OPT_EXCEED, OFF(exceed_pct), true, 0, 90, false},
    {OPT_PREC, OFF(precision_pct), true, 0.1, 50, false},
    {OPT_DSUM, OFF(duration_sum_s), true, 0.1, 36000, false},
    {OPT_STEP, OFF(loss_step_pct), true, 1, 50, false},
    {OPT_B2B_S, OFF(b2b_burst_s), true, 0.01, 30, false},
    {OPT_WARM, OFF(warmup_s), true, 0, 10, false},
    {OPT_STRAG, OFF(straggler_s), true, 0, 60, false},
    {OPT_PROBES, OFF(probes), false, 0, 100000, false},
    {OPT_RTT_SEQ, OFF(rtt_sequences), false, 0, 1000, true},
    {OPT_SENDERS, OFF(senders), false, 0, 4, true},
    {OPT_RTT_INT, OFF(rtt_interval_ms), false, 0, 10000, false},
};
#undef OFF

static const run_num *run_num_of(int opt)
{
    for (size_t i = 0; i < sizeof(run_nums) / sizeof(run_nums[0]); i++)
        if (run_nums[i].opt == opt)
            return &run_nums[i];
    return NULL;
}

static int run_num_set(const run_num *n, traffic_params *p, const char *val)
{
    void *f = (char *)p + n->off;
    if (n->is_double)
        return traffic_parse_double(val, n->min, n->max, f);
    unsigned *u = f;
    if (parse_uint(val, (unsigned)n->max, u) < 0 || (n->nonzero && *u == 0))
        return -EINVAL;
    return 0;
}

typedef struct run_args {
    traffic_params p;
    const char *agent_cmd, *tester_cmd;
    bool have_dut;
    bool goals_set; /* --goals and --loss-tolerance-pct: one or the other, once */
} run_args;

/* One option of run that is not in run_nums: -1 to go on, else the exit status. */
static int run_option(run_args *a, int c, const char *name)
{
    uint64_t v;
    switch (c) {
    case OPT_AGENT_CMD:
        a->agent_cmd = optarg;
        break;
    case OPT_TESTER_CMD:
        a->tester_cmd = optarg;
        break;
    case OPT_DUT:
    case OPT_TESTER: {
        char *dst = c == OPT_DUT ? a->p.dut_addr : a->p.tester_addr;
        if (strlen(optarg) >= TRAFFIC_ADDR_LEN)
            return bad(name, optarg);
        strcpy(dst, optarg);
        a->have_dut |= c == OPT_DUT;
        break;
    }
    case OPT_TEST:
        if (traffic_tests_from_list(optarg, &a->p.tests) < 0)
            return bad(name, optarg);
        break;
    case OPT_FRAME:
        if (traffic_frame_sizes_from_list(optarg, a->p.frame_sizes, TRAFFIC_MAX_FRAME_SIZES,
                                          &a->p.n_frame_sizes) < 0)
            return bad(name, optarg);
        break;
    case OPT_DIR:
        if (traffic_directions_from_list(optarg, &a->p.directions) < 0)
            return bad(name, optarg);
        break;
    case OPT_RATE_FPS:
        if (strcmp(optarg, "max") == 0)
            a->p.rate_max = true;
        else if (traffic_parse_double(optarg, 1, 1e8, &a->p.rate_fps) < 0)
            return bad(name, optarg);
        break;
    case OPT_TOL: {
        double tol;
        if (a->goals_set || traffic_parse_double(optarg, 0, 50, &tol) < 0)
            return bad(name, optarg);
        traffic_goals_set_tolerance(&a->p, tol);
        a->goals_set = true;
        break;
    }
    case OPT_GOALS:
        if (a->goals_set ||
            traffic_goals_from_list(optarg, a->p.goals, TRAFFIC_MAX_GOALS, &a->p.n_goals) < 0)
            return bad(name, optarg);
        a->goals_set = true;
        break;
    case OPT_METHOD: {
        int m = traffic_method_from_name(optarg);
        if (m < 0)
            return bad(name, optarg);
        a->p.method = (unsigned)m;
        break;
    }
    case OPT_DUT_PORT:
    case OPT_TESTER_PORT:
        if (traffic_parse_u64(optarg, 65535, &v) < 0 || v == 0)
            return bad(name, optarg);
        if (c == OPT_DUT_PORT)
            a->p.dut_port = (uint16_t)v;
        else
            a->p.tester_port = (uint16_t)v;
        break;
    case OPT_DATAPLANE: {
        int d = traffic_dataplane_from_name(optarg);
        if (d < 0)
            return bad(name, optarg);
        a->p.dataplane = (unsigned)d;
        break;
    }
    case OPT_TESTER_CPUS:
        if (traffic_cpus_from_list(optarg, a->p.tester_cpus, TRAFFIC_MAX_TESTER_CPUS,
                                   &a->p.n_tester_cpus) < 0)
            return bad(name, optarg);
        break;
    case OPT_JSON:
        json_out = true;
        break;
    case OPT_REFLECT:
        a->p.reflect = true;
        break;
    case OPT_HELP:
        vexp_traffic_usage(stdout);
        return 0;
    default:
        vexp_traffic_usage(stderr);
        return 2;
    }
    return -1;
}

/* run's command line into *a, checked: -1 to go on, else the exit status. */
static int run_parse(int argc, char **argv, run_args *a)
{
    *a = (run_args){0};
    traffic_params_init(&a->p);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", run_opts, NULL)) != -1) {
        const char *name = NULL;
        for (const struct option *o = run_opts; o->name; o++)
            if (o->val == c)
                name = o->name;
        const run_num *n = run_num_of(c);
        int st = !n                                  ? run_option(a, c, name)
                 : run_num_set(n, &a->p, optarg) < 0 ? bad(name, optarg)
                                                     : -1;
        if (st >= 0)
            return st;
    }
    if (optind < argc) {
        fprintf(stderr, "vexp-traffic run: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!a->agent_cmd || !a->have_dut) {
        fprintf(stderr, "vexp-traffic run: --agent-cmd and --dut are required\n");
        vexp_traffic_usage(stderr);
        return 2;
    }
    if (a->p.reflect && a->p.directions == (TRAFFIC_DIR_IN | TRAFFIC_DIR_OUT))
        a->p.directions = TRAFFIC_DIR_IN;
    const char *msg;
    if (traffic_params_validate(&a->p, &msg) < 0) {
        fprintf(stderr, "vexp-traffic run: %s\n", msg);
        return 2;
    }
    if (a->tester_cmd && a->p.reflect) {
        fprintf(stderr, "vexp-traffic run: --reflect with --tester-cmd: %s\n",
                TRAFFIC_REMOTE_REFLECT_ERROR);
        return 2;
    }
    return -1;
}

static int cmd_run(int argc, char **argv)
{
    run_args a;
    int st = run_parse(argc, argv, &a);
    if (st >= 0)
        return st;
    const traffic_params *p = &a.p;

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    traffic_conn *conn = NULL, *tester = NULL;
    traffic_agent_info info, tinfo;
    int r = open_agent(a.agent_cmd, &conn, &info);
    if (r == 0 && a.tester_cmd)
        r = open_agent(a.tester_cmd, &tester, &tinfo);
    if (r < 0) {
        traffic_conn_free(conn);
        return 3;
    }
    if (json_out)
        printf("{\"type\":\"hello\",\"proto\":%d,\"agent_version\":\"%s\",\"kernel\":\"%s\","
               "\"machine\":\"%s\",\"ncpu\":%d}\n",
               info.proto, info.version, info.kernel, info.machine, info.ncpu);
    else
        printf("agent: vexp %s, kernel %s (%s, %d CPUs); dut %s:%u tester %s:%u\n", info.version,
               info.kernel, info.machine, info.ncpu, p->dut_addr, p->dut_port, p->tester_addr,
               p->tester_port);
    if (tester && json_out)
        printf("{\"type\":\"tester_hello\",\"proto\":%d,\"agent_version\":\"%s\","
               "\"kernel\":\"%s\",\"machine\":\"%s\",\"ncpu\":%d}\n",
               tinfo.proto, tinfo.version, tinfo.kernel, tinfo.machine, tinfo.ncpu);
    else if (tester)
        printf("tester agent: vexp %s, kernel %s (%s, %d CPUs)\n", tinfo.version, tinfo.kernel,
               tinfo.machine, tinfo.ncpu);
    fflush(stdout);

    traffic_observer obs = {
        .trial_end = on_trial,
        .result = on_result,
        .cancelled = vexp_traffic_stopped,
    };
    r = tester ? traffic_run_suite_remote(tester, conn, p, &obs) : traffic_run_suite(conn, p, &obs);
    int status = 0;
    if (r == -ECANCELED) {
        fprintf(stderr, "vexp-traffic run: interrupted\n");
        status = 130;
    } else if (r < 0 && tester) {
        const char *te = traffic_conn_last_error(tester), *de = traffic_conn_last_error(conn);
        fprintf(stderr, "vexp-traffic run: %s%s%s%s%s\n", strerror(-r),
                *te ? "; tester agent: " : "", te, *de ? "; dut agent: " : "", de);
        status = 3;
    } else if (r < 0) {
        const char *e = traffic_conn_last_error(conn);
        fprintf(stderr, "vexp-traffic run: %s%s%s\n", strerror(-r), *e ? ": " : "", e);
        status = 3;
    }
    traffic_conn_free(tester);
    traffic_conn_free(conn);
    table_print();
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        vexp_traffic_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "agent") == 0) {
        if (argc != 2) {
            vexp_traffic_usage(stderr);
            return 2;
        }
        signal(SIGPIPE, SIG_DFL);
        int r = traffic_agent_main(STDIN_FILENO, STDOUT_FILENO);
        if (r < 0) {
            fprintf(stderr, "vexp-traffic agent: %s\n", strerror(-r));
            return 3;
        }
        return 0;
    }
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "send") == 0 || strcmp(argv[1], "count") == 0) {
        struct sigaction sa = {.sa_handler = on_signal};
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        return argv[1][0] == 's' ? traffic_cmd_send(argc - 1, argv + 1)
                                 : traffic_cmd_count(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("vexp-traffic %s (control protocol %d)\n", VEXP_VERSION, TRAFFIC_PROTO_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        vexp_traffic_usage(stdout);
        return 0;
    }
    fprintf(stderr, "vexp-traffic: unknown command '%s'\n", argv[1]);
    vexp_traffic_usage(stderr);
    return 2;
}
