/* SPDX-License-Identifier: MIT */
/* Names, frame/rate arithmetic, checked parsing and the parameter set. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "traffic-priv.h"

static const struct {
    enum traffic_test test;
    const char *name;
} test_names[] = {
    {TRAFFIC_TEST_THROUGHPUT, "throughput"},
    {TRAFFIC_TEST_LATENCY, "latency"},
    {TRAFFIC_TEST_LOSS, "loss"},
    {TRAFFIC_TEST_B2B, "b2b"},
    {TRAFFIC_TEST_RTT, "rtt"},
    {TRAFFIC_TEST_FIXED, "fixed"},
};

const char *traffic_test_name(enum traffic_test test)
{
    for (size_t i = 0; i < sizeof(test_names) / sizeof(test_names[0]); i++)
        if (test_names[i].test == test)
            return test_names[i].name;
    return "?";
}

int traffic_test_from_name(const char *name)
{
    if (!name)
        return -EINVAL;
    for (size_t i = 0; i < sizeof(test_names) / sizeof(test_names[0]); i++)
        if (strcmp(test_names[i].name, name) == 0)
            return (int)test_names[i].test;
    return -EINVAL;
}

const char *traffic_direction_name(enum traffic_direction dir)
{
    switch (dir) {
    case TRAFFIC_DIR_IN:
        return "in";
    case TRAFFIC_DIR_OUT:
        return "out";
    }
    return "?";
}

int traffic_direction_from_name(const char *name)
{
    if (!name)
        return -EINVAL;
    if (strcmp(name, "in") == 0)
        return TRAFFIC_DIR_IN;
    if (strcmp(name, "out") == 0)
        return TRAFFIC_DIR_OUT;
    return -EINVAL;
}

/* Split list on commas into tokens of at most 31 bytes; calls fn for each. */
static int for_each_token(const char *list, int (*fn)(const char *tok, void *ud), void *ud)
{
    if (!list || !*list)
        return -EINVAL;
    const char *p = list;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char tok[32];
        if (n == 0 || n >= sizeof(tok))
            return -EINVAL;
        memcpy(tok, p, n);
        tok[n] = '\0';
        int r = fn(tok, ud);
        if (r < 0)
            return r;
        if (!end)
            return 0;
        p = end + 1;
    }
}

static int add_test(const char *tok, void *ud)
{
    int t = traffic_test_from_name(tok);
    if (t < 0)
        return t;
    *(unsigned *)ud |= (unsigned)t;
    return 0;
}

int traffic_tests_from_list(const char *list, unsigned *ret_mask)
{
    unsigned mask = 0;
    int r = for_each_token(list, add_test, &mask);
    if (r < 0)
        return r;
    *ret_mask = mask;
    return 0;
}

static int add_dir(const char *tok, void *ud)
{
    if (strcmp(tok, "both") == 0) {
        *(unsigned *)ud |= TRAFFIC_DIR_MASK;
        return 0;
    }
    int d = traffic_direction_from_name(tok);
    if (d < 0)
        return d;
    *(unsigned *)ud |= (unsigned)d;
    return 0;
}

int traffic_directions_from_list(const char *list, unsigned *ret_mask)
{
    unsigned mask = 0;
    int r = for_each_token(list, add_dir, &mask);
    if (r < 0)
        return r;
    *ret_mask = mask;
    return 0;
}

struct sizes_ctx {
    unsigned *sizes;
    unsigned max, n;
};

static int add_size(const char *tok, void *ud)
{
    struct sizes_ctx *c = ud;
    uint64_t v;
    int r = traffic_parse_u64(tok, TRAFFIC_FRAME_MAX, &v);
    if (r < 0)
        return r;
    if (v < TRAFFIC_FRAME_MIN || c->n >= c->max)
        return -EINVAL;
    c->sizes[c->n++] = (unsigned)v;
    return 0;
}

int traffic_frame_sizes_from_list(const char *list, unsigned *sizes, unsigned max, unsigned *ret_n)
{
    unsigned tmp[TRAFFIC_MAX_FRAME_SIZES];
    struct sizes_ctx c = {tmp, max < TRAFFIC_MAX_FRAME_SIZES ? max : TRAFFIC_MAX_FRAME_SIZES, 0};
    int r = for_each_token(list, add_size, &c);
    if (r < 0)
        return r;
    memcpy(sizes, tmp, c.n * sizeof(*tmp));
    *ret_n = c.n;
    return 0;
}

int traffic_parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
    if (!s || *s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -EINVAL;
    *ret = v;
    return 0;
}

int traffic_parse_double(const char *s, double min, double max, double *ret)
{
    if (!s || !*s)
        return -EINVAL;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < min || v > max)
        return -EINVAL;
    *ret = v;
    return 0;
}

unsigned traffic_frame_payload(unsigned frame_size)
{
    if (frame_size < TRAFFIC_FRAME_MIN || frame_size > TRAFFIC_FRAME_MAX)
        return 0;
    return frame_size - TRAFFIC_FRAME_OVERHEAD;
}

double traffic_fps_to_mbps_l2(double fps, unsigned frame_size)
{
    return fps * frame_size * 8.0 / 1e6;
}

double traffic_fps_to_mbps_wire(double fps, unsigned frame_size)
{
    return fps * (frame_size + TRAFFIC_WIRE_OVERHEAD) * 8.0 / 1e6;
}

double traffic_mbps_l2_to_fps(double mbps, unsigned frame_size)
{
    if (frame_size == 0)
        return 0;
    return mbps * 1e6 / (frame_size * 8.0);
}

double traffic_line_rate_fps(double line_mbps, unsigned frame_size)
{
    return line_mbps * 1e6 / ((frame_size + TRAFFIC_WIRE_OVERHEAD) * 8.0);
}

static const unsigned default_sizes[] = {64, 128, 256, 512, 1024, 1280, 1518};

void traffic_params_init(traffic_params *p)
{
    memset(p, 0, sizeof(*p));
    p->tests = TRAFFIC_TEST_THROUGHPUT;
    p->n_frame_sizes = sizeof(default_sizes) / sizeof(default_sizes[0]);
    memcpy(p->frame_sizes, default_sizes, sizeof(default_sizes));
    p->directions = TRAFFIC_DIR_IN | TRAFFIC_DIR_OUT;
    p->trial_s = 60;
    p->search_trial_s = 1;
    p->repetitions = 1;
    p->latency_repetitions = 20;
    p->b2b_repetitions = 50;
    p->resolution_pct = 1;
    p->loss_tolerance_pct = 0;
    p->method = TRAFFIC_METHOD_MLR;
    p->n_goals = 2;
    snprintf(p->goals[0].name, sizeof(p->goals[0].name), "ndr");
    p->goals[0].loss_pct = 0;
    snprintf(p->goals[1].name, sizeof(p->goals[1].name), "pdr");
    p->goals[1].loss_pct = TRAFFIC_PDR_LOSS_PCT;
    p->exceed_pct = 50;
    /* Sockets until AF_XDP leaves the DUT's figures alone: in vexp run under TCG, a virtio
     * guest sent about half as fast to an AF_XDP receiver (docs/traffic.md) */
    p->dataplane = TRAFFIC_DATAPLANE_SOCKET;
    p->latency_mode = TRAFFIC_LATENCY_LOAD;
    p->repeat = TRAFFIC_REPEAT_SEARCHES;
    p->b2b_budget_s = 60;
    p->b2b_ci_pct = 5;
    p->loss_step_pct = 10;
    p->b2b_burst_s = 2;
    p->probes = 100;
    p->rtt_sequences = 10;
    p->rtt_interval_ms = 10;
    p->latency_tagged = 1000;
    p->warmup_s = 0.1;
    p->straggler_s = 2;
    p->senders = 1;
    snprintf(p->dut_addr, sizeof(p->dut_addr), "198.18.0.2");
    snprintf(p->tester_addr, sizeof(p->tester_addr), "198.18.0.1");
    p->dut_port = 17000;
    p->tester_port = 17001;
}

/* The numeric fields' limits: the one place they are written (the matrix asks here). */
static const struct {
    enum traffic_param field;
    double min, max;
} param_ranges[] = {
    {TRAFFIC_PARAM_TRIAL_S, 0.1, 3600},
    {TRAFFIC_PARAM_SEARCH_TRIAL_S, 0.1, 3600},
    {TRAFFIC_PARAM_REPETITIONS, 1, 1000},
    {TRAFFIC_PARAM_LATENCY_REPETITIONS, 1, 1000},
    {TRAFFIC_PARAM_B2B_REPETITIONS, 1, 1000},
    {TRAFFIC_PARAM_RATE_FPS, 0, 1e8},
    {TRAFFIC_PARAM_RATE_MBPS, 0, 4e5},
    {TRAFFIC_PARAM_LINE_RATE_MBPS, 0, 4e5},
    {TRAFFIC_PARAM_RESOLUTION_PCT, 0.01, 50},
    {TRAFFIC_PARAM_LOSS_TOLERANCE_PCT, 0, 50},
    {TRAFFIC_PARAM_LOSS_STEP_PCT, 1, 50},
    {TRAFFIC_PARAM_B2B_BURST_S, 0.01, 30},
    {TRAFFIC_PARAM_PROBES, 1, 100000},
    {TRAFFIC_PARAM_RTT_SEQUENCES, 1, 1000},
    {TRAFFIC_PARAM_RTT_INTERVAL_MS, 1, 10000},
    {TRAFFIC_PARAM_LATENCY_TAGGED, 500, 1000000},
    {TRAFFIC_PARAM_WARMUP_S, 0, 10},
    {TRAFFIC_PARAM_STRAGGLER_S, 0, 60},
    {TRAFFIC_PARAM_SENDERS, 1, 4},
    {TRAFFIC_PARAM_EXCEED_PCT, 0, 90},
    {TRAFFIC_PARAM_DURATION_SUM_S, 0, 36000},
    {TRAFFIC_PARAM_PRECISION_PCT, 0, 50},
    {TRAFFIC_PARAM_B2B_BUDGET_S, 1, 36000},
    {TRAFFIC_PARAM_B2B_CI_PCT, 0, 100},
};

int traffic_param_range(enum traffic_param field, double *ret_min, double *ret_max)
{
    for (size_t i = 0; i < sizeof(param_ranges) / sizeof(param_ranges[0]); i++) {
        if (param_ranges[i].field == field) {
            *ret_min = param_ranges[i].min;
            *ret_max = param_ranges[i].max;
            return 0;
        }
    }
    return -EINVAL;
}

static bool in_range(double v, double lo, double hi)
{
    return isfinite(v) && v >= lo && v <= hi;
}

static bool param_ok(enum traffic_param field, double v)
{
    double lo = 0, hi = 0;

    return traffic_param_range(field, &lo, &hi) == 0 && in_range(v, lo, hi);
}

#define CHECK_FIELD(field, cond, msg)                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            if (ret_field)                                                                         \
                *ret_field = (field);                                                              \
            if (ret_msg)                                                                           \
                *ret_msg = (msg);                                                                  \
            return -EINVAL;                                                                        \
        }                                                                                          \
    } while (0)
/* a rule over several fields */
#define CHECK(cond, msg) CHECK_FIELD(TRAFFIC_PARAM_OTHER, cond, msg)
/* a numeric field against param_ranges; msg states the same range in words */
#define RANGE(field, value, msg) CHECK_FIELD(field, param_ok(field, value), msg)

static bool ipv4_ok(const char *s)
{
    struct in_addr a;
    return memchr(s, '\0', TRAFFIC_ADDR_LEN) && inet_pton(AF_INET, s, &a) == 1;
}

_Static_assert(TRAFFIC_FRAME_MIN == 64 && TRAFFIC_FRAME_MAX == 9018,
               "the frame_sizes message below states the limits");

static bool cpus_ok(const traffic_params *p)
{
    if (p->n_tester_cpus > TRAFFIC_MAX_TESTER_CPUS)
        return false;
    for (unsigned i = 0; i < p->n_tester_cpus; i++) {
        if (p->tester_cpus[i] > TRAFFIC_CPU_MAX)
            return false;
        for (unsigned j = 0; j < i; j++)
            if (p->tester_cpus[j] == p->tester_cpus[i])
                return false;
    }
    return true;
}

int traffic_params_check(const traffic_params *p, enum traffic_param *ret_field,
                         const char **ret_msg)
{
    CHECK(p, "params: NULL");
    CHECK_FIELD(TRAFFIC_PARAM_TESTS, p->tests && !(p->tests & ~TRAFFIC_TEST_MASK),
                "tests: empty or unknown test");
    CHECK_FIELD(TRAFFIC_PARAM_FRAME_SIZES,
                p->n_frame_sizes >= 1 && p->n_frame_sizes <= TRAFFIC_MAX_FRAME_SIZES,
                "frame_sizes: 1 to 16 sizes");
    for (unsigned i = 0; i < p->n_frame_sizes; i++)
        CHECK_FIELD(TRAFFIC_PARAM_FRAME_SIZES, traffic_frame_payload(p->frame_sizes[i]) > 0,
                    "frame_sizes: each 64 to 9018 bytes");
    CHECK_FIELD(TRAFFIC_PARAM_DIRECTIONS, p->directions && !(p->directions & ~TRAFFIC_DIR_MASK),
                "directions: in and/or out");
    RANGE(TRAFFIC_PARAM_TRIAL_S, p->trial_s, "trial_s: 0.1 to 3600 s");
    RANGE(TRAFFIC_PARAM_SEARCH_TRIAL_S, p->search_trial_s, "search_trial_s: 0.1 to 3600 s");
    RANGE(TRAFFIC_PARAM_REPETITIONS, p->repetitions, "repetitions: 1 to 1000");
    RANGE(TRAFFIC_PARAM_LATENCY_REPETITIONS, p->latency_repetitions,
          "latency_repetitions: 1 to 1000");
    RANGE(TRAFFIC_PARAM_B2B_REPETITIONS, p->b2b_repetitions, "b2b_repetitions: 1 to 1000");
    RANGE(TRAFFIC_PARAM_RATE_FPS, p->rate_fps, "rate_fps: 0 to 1e8 frames/s");
    RANGE(TRAFFIC_PARAM_RATE_MBPS, p->rate_mbps, "rate_mbps: 0 to 400000 Mb/s");
    CHECK(!(p->rate_fps > 0 && p->rate_mbps > 0), "rate: give frames/s or Mb/s, not both");
    CHECK(!(p->tests & TRAFFIC_TEST_FIXED) || p->rate_max || p->rate_fps > 0 || p->rate_mbps > 0,
          "rate: the fixed test needs rate_fps, rate_mbps or rate_max");
    RANGE(TRAFFIC_PARAM_LINE_RATE_MBPS, p->line_rate_mbps, "line_rate_mbps: 0 to 400000 Mb/s");
    RANGE(TRAFFIC_PARAM_RESOLUTION_PCT, p->resolution_pct, "resolution_pct: 0.01 to 50");
    RANGE(TRAFFIC_PARAM_LOSS_TOLERANCE_PCT, p->loss_tolerance_pct, "loss_tolerance_pct: 0 to 50");
    RANGE(TRAFFIC_PARAM_LOSS_STEP_PCT, p->loss_step_pct, "loss_step_pct: 1 to 50");
    CHECK_FIELD(TRAFFIC_PARAM_METHOD,
                p->method == TRAFFIC_METHOD_MLR || p->method == TRAFFIC_METHOD_RFC2544,
                "method: mlrsearch or rfc2544");
    const char *goal_msg = NULL;
    CHECK_FIELD(TRAFFIC_PARAM_GOALS, traffic_goals_validate(p, &goal_msg) == 0, goal_msg);
    RANGE(TRAFFIC_PARAM_EXCEED_PCT, p->exceed_pct, "exceed_pct: 0 to 90");
    RANGE(TRAFFIC_PARAM_DURATION_SUM_S, p->duration_sum_s,
          "duration_sum_s: 0 (3 x trial_s) or trial_s to 36000 s");
    CHECK_FIELD(TRAFFIC_PARAM_DURATION_SUM_S,
                p->duration_sum_s == 0 || p->duration_sum_s >= p->trial_s,
                "duration_sum_s: 0 (3 x trial_s) or at least trial_s");
    RANGE(TRAFFIC_PARAM_PRECISION_PCT, p->precision_pct, "precision_pct: 0 (off) or 0.1 to 50");
    CHECK_FIELD(TRAFFIC_PARAM_PRECISION_PCT, p->precision_pct == 0 || p->precision_pct >= 0.1,
                "precision_pct: 0 (off) or 0.1 to 50");
    RANGE(TRAFFIC_PARAM_B2B_BURST_S, p->b2b_burst_s, "b2b_burst_s: 0.01 to 30 s");
    RANGE(TRAFFIC_PARAM_B2B_BUDGET_S, p->b2b_budget_s, "b2b_budget_s: 1 to 36000 s");
    RANGE(TRAFFIC_PARAM_B2B_CI_PCT, p->b2b_ci_pct, "b2b_ci_pct: 0 to 100");
    CHECK_FIELD(TRAFFIC_PARAM_LATENCY_MODE,
                p->latency_mode == TRAFFIC_LATENCY_LOAD ||
                    p->latency_mode == TRAFFIC_LATENCY_RFC2544,
                "latency: load or rfc2544");
    CHECK_FIELD(TRAFFIC_PARAM_REPEAT,
                p->repeat == TRAFFIC_REPEAT_SEARCHES || p->repeat == TRAFFIC_REPEAT_TRIALS,
                "repeat: searches or trials");
    CHECK_FIELD(TRAFFIC_PARAM_REPEAT,
                p->repeat != TRAFFIC_REPEAT_TRIALS || p->repetitions * p->trial_s <= 36000 + 1e-9,
                "repeat = trials: repetitions x trial_s is the goal duration sum, at most 36000 s");
    RANGE(TRAFFIC_PARAM_PROBES, p->probes, "probes: 1 to 100000");
    RANGE(TRAFFIC_PARAM_RTT_SEQUENCES, p->rtt_sequences, "rtt_sequences: 1 to 1000");
    RANGE(TRAFFIC_PARAM_RTT_INTERVAL_MS, p->rtt_interval_ms, "rtt_interval_ms: 1 to 10000");
    RANGE(TRAFFIC_PARAM_LATENCY_TAGGED, p->latency_tagged, "latency_tagged: 500 to 1000000");
    RANGE(TRAFFIC_PARAM_WARMUP_S, p->warmup_s, "warmup_s: 0 to 10 s");
    RANGE(TRAFFIC_PARAM_STRAGGLER_S, p->straggler_s, "straggler_s: 0 to 60 s");
    RANGE(TRAFFIC_PARAM_SENDERS, p->senders, "senders: 1 to 4");
    CHECK_FIELD(TRAFFIC_PARAM_DATAPLANE, p->dataplane <= TRAFFIC_DATAPLANE_SOCKET,
                "tester_dataplane: auto, xdp or socket");
    CHECK_FIELD(TRAFFIC_PARAM_TESTER_CPUS, cpus_ok(p),
                "tester_cpus: up to 4 distinct CPUs, 0 to 1023");
    CHECK_FIELD(TRAFFIC_PARAM_REFLECT, !(p->reflect && (p->directions & TRAFFIC_DIR_OUT)),
                "reflect: the forwarding setup has direction in only");
    CHECK_FIELD(TRAFFIC_PARAM_DUT_ADDR, ipv4_ok(p->dut_addr), "dut_addr: not an IPv4 address");
    CHECK_FIELD(TRAFFIC_PARAM_TESTER_ADDR, ipv4_ok(p->tester_addr),
                "tester_addr: not an IPv4 address");
    CHECK_FIELD(TRAFFIC_PARAM_PORTS, p->dut_port && p->tester_port, "ports: 1 to 65535");
    if (strcmp(p->dut_addr, p->tester_addr) == 0)
        CHECK_FIELD(TRAFFIC_PARAM_PORTS, p->dut_port != p->tester_port,
                    "ports: same address needs different ports");
    if (ret_field)
        *ret_field = TRAFFIC_PARAM_NONE;
    if (ret_msg)
        *ret_msg = NULL;
    return 0;
}

static const char *const dataplane_names[] = {"auto", "xdp", "socket"};

const char *traffic_dataplane_name(enum traffic_dataplane d)
{
    return (unsigned)d <= TRAFFIC_DATAPLANE_SOCKET ? dataplane_names[d] : "?";
}

int traffic_dataplane_from_name(const char *name)
{
    for (unsigned i = 0; i <= TRAFFIC_DATAPLANE_SOCKET; i++)
        if (name && strcmp(name, dataplane_names[i]) == 0)
            return (int)i;
    return -EINVAL;
}

int traffic_cpus_from_list(const char *list, unsigned *cpus, unsigned max, unsigned *ret_n)
{
    uint64_t seen[(TRAFFIC_CPU_MAX + 64) / 64] = {0};
    unsigned n = 0;
    const char *s = list;
    if (!s)
        return -EINVAL;
    while (*s == ' ')
        s++;
    while (*s) {
        char *end;
        errno = 0;
        if (*s < '0' || *s > '9')
            return -EINVAL;
        unsigned long lo = strtoul(s, &end, 10), hi = lo;
        if (errno || lo > TRAFFIC_CPU_MAX)
            return -EINVAL;
        s = end;
        if (*s == '-') {
            s++;
            if (*s < '0' || *s > '9')
                return -EINVAL;
            hi = strtoul(s, &end, 10);
            if (errno || hi > TRAFFIC_CPU_MAX || hi < lo)
                return -EINVAL;
            s = end;
        }
        for (unsigned long c = lo; c <= hi; c++) {
            if (n >= max || (seen[c / 64] >> (c % 64) & 1))
                return -EINVAL;
            seen[c / 64] |= 1ull << (c % 64);
            cpus[n++] = (unsigned)c;
        }
        while (*s == ' ')
            s++;
        if (*s == ',') {
            s++;
            while (*s == ' ')
                s++;
            if (!*s)
                return -EINVAL;
        } else if (*s) {
            return -EINVAL;
        }
    }
    *ret_n = n;
    return 0;
}

int traffic_params_validate(const traffic_params *p, const char **ret_msg)
{
    return traffic_params_check(p, NULL, ret_msg);
}
