/* SPDX-License-Identifier: MIT */
/* vexp-traffic: the engine's public interface (tester side, agent, RFC 2544 procedures). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Errors: functions return >= 0 on success or -errno.  Nothing here prints.
 *
 * The control connection to an agent is transport independent: a local
 * pipe pair (a command run with /bin/sh -c), or any byte stream that
 * provides these operations (sshlink/ wraps a libssh channel in them).
 */
typedef struct traffic_transport_ops {
    /* read up to len bytes; wait at most timeout_ms (-1 = forever);
     * returns bytes read, 0 on EOF, -ETIMEDOUT on timeout, or -errno */
    ssize_t (*read)(void *ctx, void *buf, size_t len, int timeout_ms);
    /* write all len bytes; returns len or -errno */
    ssize_t (*write)(void *ctx, const void *buf, size_t len);
    /* release the transport; called once by traffic_conn_free() */
    void (*close)(void *ctx);
} traffic_transport_ops;

typedef struct traffic_conn traffic_conn;

/* Run cmd with /bin/sh -c; its stdin/stdout become the control channel. */
int traffic_conn_open_cmd(const char *cmd, traffic_conn **ret_conn);
/* Wrap a transport; the conn owns ctx and calls ops->close(ctx) when freed. */
int traffic_conn_open_ops(const traffic_transport_ops *ops, void *ctx, traffic_conn **ret_conn);
/* Accepts NULL. */
void traffic_conn_free(traffic_conn *conn);

/* ------------------------------------------------------------------ */
/* Agent hello / version exchange                                      */

/*
 * A traffic_conn is used by one thread at a time, one procedure at a time.
 * The tester side binds tester_addr:tester_port and needs to be in the
 * network namespace that reaches the DUT before it is called.
 */

/* Version of the line protocol between tester and agent; a mismatch is -EPROTO. */
#define TRAFFIC_PROTO_VERSION 1

typedef struct traffic_agent_info {
    int proto;        /* the agent's TRAFFIC_PROTO_VERSION */
    char version[32]; /* the agent's vexp version */
    char kernel[65];  /* uname -r of the agent's machine (the guest kernel) */
    char machine[65]; /* uname -m */
    int ncpu;         /* online CPUs seen by the agent */
} traffic_agent_info;

/*
 * First exchange on a fresh connection (the procedures do it themselves
 * when it has not been done).  -EPROTO on a version mismatch or a reply
 * that is not a hello; -ETIMEDOUT when the agent does not answer within
 * timeout_ms.  ret_info may be NULL; it is copied, nothing to free.
 */
int traffic_conn_hello(traffic_conn *conn, int timeout_ms, traffic_agent_info *ret_info);
/* The hello's answer, or NULL before a successful hello; owned by conn. */
const traffic_agent_info *traffic_conn_agent(const traffic_conn *conn);
/* Last error text the agent sent (static or owned by conn, valid until the
 * next call on conn), or "" when none. */
const char *traffic_conn_last_error(const traffic_conn *conn);

/* ------------------------------------------------------------------ */
/* Names and arithmetic                                                */

enum traffic_test {
    TRAFFIC_TEST_THROUGHPUT = 1u << 0,
    TRAFFIC_TEST_LATENCY = 1u << 1,
    TRAFFIC_TEST_LOSS = 1u << 2,
    TRAFFIC_TEST_B2B = 1u << 3,
    TRAFFIC_TEST_RTT = 1u << 4,
    TRAFFIC_TEST_FIXED = 1u << 5,
};
#define TRAFFIC_TEST_RFC2544                                                                       \
    (TRAFFIC_TEST_THROUGHPUT | TRAFFIC_TEST_LATENCY | TRAFFIC_TEST_LOSS | TRAFFIC_TEST_B2B)
#define TRAFFIC_TEST_MASK 0x3fu

enum traffic_direction {
    TRAFFIC_DIR_IN = 1u << 0,  /* tester -> DUT */
    TRAFFIC_DIR_OUT = 1u << 1, /* DUT -> tester */
};
#define TRAFFIC_DIR_MASK 0x3u

/* "throughput", "latency", "loss", "b2b", "rtt", "fixed"; "?" otherwise. Static. */
const char *traffic_test_name(enum traffic_test test);
/* Returns the enum value (> 0) or -EINVAL. */
int traffic_test_from_name(const char *name);
/* "in", "out"; "?" otherwise. Static. */
const char *traffic_direction_name(enum traffic_direction dir);
int traffic_direction_from_name(const char *name);
/* Comma-separated lists ("throughput,latency", "in,out", "both" = in,out) to bitmasks. */
int traffic_tests_from_list(const char *list, unsigned *ret_mask);
int traffic_directions_from_list(const char *list, unsigned *ret_mask);

#define TRAFFIC_FRAME_MIN 64u
#define TRAFFIC_FRAME_MAX 9018u
/* Ethernet 14 + FCS 4 + IPv4 20 + UDP 8 */
#define TRAFFIC_FRAME_OVERHEAD 46u
/* preamble + SFD 8 + inter-frame gap 12 */
#define TRAFFIC_WIRE_OVERHEAD 20u

/* UDP payload bytes for frame size F (F - 46); 0 when F is out of range. */
unsigned traffic_frame_payload(unsigned frame_size);
/* L2 Mb/s = fps * F * 8 / 1e6 */
double traffic_fps_to_mbps_l2(double fps, unsigned frame_size);
/* wire Mb/s = fps * (F + 20) * 8 / 1e6 */
double traffic_fps_to_mbps_wire(double fps, unsigned frame_size);
double traffic_mbps_l2_to_fps(double mbps, unsigned frame_size);
/* Maximum frame rate of a link of line_mbps (wire rate): line * 1e6 / ((F + 20) * 8) */
double traffic_line_rate_fps(double line_mbps, unsigned frame_size);

/* ------------------------------------------------------------------ */
/* Parameters                                                          */

#define TRAFFIC_MAX_FRAME_SIZES 16
#define TRAFFIC_ADDR_LEN 46

/* Throughput search method. */
enum traffic_method {
    TRAFFIC_METHOD_MLR = 0,     /* RFC 9971 MLRsearch: every goal in one search (default) */
    TRAFFIC_METHOD_RFC2544 = 1, /* classic binary search per goal: one full-length trial per
                                 * load, no short trials */
};
/* "mlrsearch", "rfc2544"; "?" otherwise. Static. */
const char *traffic_method_name(enum traffic_method m);

/* The tester side's data plane (the guest's engine always uses UDP sockets). */
enum traffic_dataplane {
    TRAFFIC_DATAPLANE_AUTO = 0, /* AF_XDP where the tester's interface allows it, else sockets */
    TRAFFIC_DATAPLANE_XDP,      /* AF_XDP or fail */
    TRAFFIC_DATAPLANE_SOCKET,   /* UDP sockets */
};
const char *traffic_dataplane_name(enum traffic_dataplane d);
/* "auto", "xdp", "socket" -> enum; -EINVAL otherwise. */
int traffic_dataplane_from_name(const char *name);
/* Largest CPU number tester_cpus may name, and how many it may list. */
#define TRAFFIC_CPU_MAX 1023u
#define TRAFFIC_MAX_TESTER_CPUS 4u
/* "0,2-3" -> cpus (ascending, distinct), *ret_n; -EINVAL on bad syntax, a CPU above
 * TRAFFIC_CPU_MAX, a repeat, more than max.  "" gives none. */
int traffic_cpus_from_list(const char *list, unsigned *cpus, unsigned max, unsigned *ret_n);
/* Returns the enum value (>= 0) or -EINVAL. */
int traffic_method_from_name(const char *name);

/* Latency: at the loads of the throughput search (tagged frames inside its full-length
 * trials, plus one trial at each of 10/50/90 % of the PDR load), or RFC 2544 §26.2's own
 * latency_repetitions trials at the throughput rate. */
enum traffic_latency_mode {
    TRAFFIC_LATENCY_LOAD = 0,    /* default */
    TRAFFIC_LATENCY_RFC2544 = 1, /* the standalone procedure */
};
/* "load", "rfc2544"; "?" otherwise. Static. */
const char *traffic_latency_mode_name(enum traffic_latency_mode m);
int traffic_latency_mode_from_name(const char *name);

/* What a repetition repeats. */
enum traffic_repeat {
    TRAFFIC_REPEAT_SEARCHES = 0, /* default: every procedure runs `repetitions` times */
    TRAFFIC_REPEAT_TRIALS = 1,   /* the study's: one search whose goal duration sum is
                                  * repetitions x trial_s (that many full-length trials at the
                                  * load decided), spread over those trials; rtt and fixed
                                  * still run `repetitions` times */
};
/* "searches", "trials"; "?" otherwise. Static. */
const char *traffic_repeat_name(enum traffic_repeat r);
int traffic_repeat_from_name(const char *name);

/* Latency at these shares of the PDR load, % (CSIT's levels), one trial each. */
#define TRAFFIC_LATENCY_LEVELS 3
extern const unsigned traffic_latency_levels_pct[TRAFFIC_LATENCY_LEVELS];

#define TRAFFIC_MAX_GOALS 4
#define TRAFFIC_GOAL_NAME 16
#define TRAFFIC_PDR_LOSS_PCT 0.5 /* CSIT's partial drop rate goal */

/* One RFC 9971 search goal; its other attributes are common to the search:
 * final trial duration = trial_s, duration sum = duration_sum_s, initial trial
 * duration = search_trial_s, width = resolution_pct, exceed ratio = exceed_pct. */
typedef struct traffic_goal {
    char name[TRAFFIC_GOAL_NAME]; /* [a-z0-9_]+: "ndr", "pdr", ... */
    double loss_pct;              /* goal loss ratio, %: 0 (NDR) to 50 */
} traffic_goal;

/* "ndr, pdr:0.5, plr1:1" -> goals (ndr = 0 %, pdr = 0.5 % when no value given; other
 * names need one); 0 or -EINVAL on bad syntax, a duplicate, more than max. */
int traffic_goals_from_list(const char *list, traffic_goal *goals, unsigned max, unsigned *ret_n);

typedef struct traffic_params {
    unsigned tests; /* bitmask of enum traffic_test; default TRAFFIC_TEST_THROUGHPUT */
    unsigned frame_sizes[TRAFFIC_MAX_FRAME_SIZES]; /* bytes, 64..9018 */
    unsigned n_frame_sizes;                        /* default: 64 128 256 512 1024 1280 1518 */
    unsigned directions;          /* bitmask of enum traffic_direction; default in|out */
    double trial_s;               /* full trial duration, s; default 60, 0.1..3600 */
    double search_trial_s;        /* short trials of the throughput search, s; default 1 */
    unsigned repetitions;         /* times each procedure is repeated; default 1, 1..1000 */
    unsigned latency_repetitions; /* latency trials per procedure; default 20, 1..1000 */
    unsigned b2b_repetitions;     /* back-to-back searches per procedure; default 50, 1..1000 */
    double rate_fps;              /* fixed/latency rate in frames/s; 0 = not set; <= 1e8 */
    double rate_mbps;             /* same as L2 Mb/s; 0 = not set; <= 4e5 */
    bool rate_max;                /* --rate-fps max: as fast as the generator can */
    double line_rate_mbps;        /* 0 = unknown: the maximum rate is measured; <= 4e5 */
    double resolution_pct;        /* throughput search stops when (hi-lo)/hi <= this; default 1 */
    double loss_tolerance_pct;    /* shorthand for one goal (traffic_goals_set_tolerance());
                                   * not read by the search; default 0, 0..50 */
    unsigned method;              /* enum traffic_method; default TRAFFIC_METHOD_MLR */
    unsigned n_goals;             /* 1..4; default 2: ndr (0 %), pdr (0.5 %) */
    traffic_goal goals[TRAFFIC_MAX_GOALS]; /* the first is the headline figure */
    double exceed_pct;                     /* goal exceed ratio, %: default 50, 0..90 */
    double duration_sum_s;    /* goal duration sum, s: 0 = 3 x trial_s, else trial_s..36000 */
    double precision_pct;     /* 0 = off; else the search adds full-length trials at each goal's
                               * bounds until its figure's 95 % interval is this narrow (half
                               * width, % of the figure), at most 10 x the duration sum more;
                               * 0.1..50 */
    unsigned latency_mode;    /* enum traffic_latency_mode; default TRAFFIC_LATENCY_LOAD */
    unsigned repeat;          /* enum traffic_repeat; default TRAFFIC_REPEAT_SEARCHES */
    double b2b_budget_s;      /* back-to-back trial time per figure (bursts + drain), s; default
                               * 60, 1..36000: the searches stop when it is spent */
    double b2b_ci_pct;        /* ... or when the 95 % CI half-width of the burst length is at most
                               * this % of its mean (at least 3 searches); default 5, 0 = never */
    double loss_step_pct;     /* frame-loss curve step; default 10, 1..50 */
    double b2b_burst_s;       /* longest back-to-back burst tried, s; default 2, 0.01..30 */
    unsigned probes;          /* rtt probes per sequence; default 100, 1..100000 */
    unsigned rtt_sequences;   /* rtt sequences per procedure (the study: 10); 1..1000 */
    unsigned rtt_interval_ms; /* gap between rtt probes; default 10, 1..10000 */
    unsigned latency_tagged;  /* timestamped frames per latency trial; default 1000, 500..1e6 */
    double warmup_s;    /* RFC 2544 §23 learning phase before each trial; default 0.1, 0..10 */
    double straggler_s; /* wait for late frames before reading counters; default 2, 0..60 */
    bool reflect;       /* forwarding setup: the DUT sends frames back (direction in only) */
    unsigned senders;   /* parallel senders (own cores, own stream ids, one UDP flow) for
                         * trials as fast as possible; default 1, 1..4 */
    unsigned dataplane; /* enum traffic_dataplane: the tester's; default auto */
    unsigned tester_cpus[TRAFFIC_MAX_TESTER_CPUS]; /* the tester's senders and receivers run on
                                                    * these, thread k on tester_cpus[k % n] */
    unsigned n_tester_cpus;             /* 0 = not placed (the scheduler decides); up to 4 */
    char dut_addr[TRAFFIC_ADDR_LEN];    /* IPv4, dotted quad; default 198.18.0.2 */
    char tester_addr[TRAFFIC_ADDR_LEN]; /* IPv4; default 198.18.0.1 */
    uint16_t dut_port;                  /* UDP port the agent binds; default 17000 */
    uint16_t tester_port;               /* UDP port the tester binds; default 17001 */
} traffic_params;

void traffic_params_init(traffic_params *p);
/* One goal with loss_pct (named "ndr" at 0, else "pdr"); sets loss_tolerance_pct too. */
void traffic_goals_set_tolerance(traffic_params *p, double loss_pct);
/* The goal duration sum in effect, s. */
double traffic_params_duration_sum(const traffic_params *p);
/* 0, or -EINVAL with *ret_msg (may be NULL) a static message naming the field. */
int traffic_params_validate(const traffic_params *p, const char **ret_msg);

/* The field of traffic_params a check refused, for callers that map it to their own
 * words (the matrix: a key and its line).  TRAFFIC_PARAM_OTHER: a rule over several. */
enum traffic_param {
    TRAFFIC_PARAM_NONE = 0,
    TRAFFIC_PARAM_OTHER,
    TRAFFIC_PARAM_TESTS,
    TRAFFIC_PARAM_FRAME_SIZES,
    TRAFFIC_PARAM_DIRECTIONS,
    TRAFFIC_PARAM_TRIAL_S,
    TRAFFIC_PARAM_SEARCH_TRIAL_S,
    TRAFFIC_PARAM_REPETITIONS,
    TRAFFIC_PARAM_LATENCY_REPETITIONS,
    TRAFFIC_PARAM_B2B_REPETITIONS,
    TRAFFIC_PARAM_RATE_FPS,
    TRAFFIC_PARAM_RATE_MBPS,
    TRAFFIC_PARAM_LINE_RATE_MBPS,
    TRAFFIC_PARAM_RESOLUTION_PCT,
    TRAFFIC_PARAM_LOSS_TOLERANCE_PCT,
    TRAFFIC_PARAM_LOSS_STEP_PCT,
    TRAFFIC_PARAM_B2B_BURST_S,
    TRAFFIC_PARAM_PROBES,
    TRAFFIC_PARAM_RTT_SEQUENCES,
    TRAFFIC_PARAM_RTT_INTERVAL_MS,
    TRAFFIC_PARAM_LATENCY_TAGGED,
    TRAFFIC_PARAM_WARMUP_S,
    TRAFFIC_PARAM_STRAGGLER_S,
    TRAFFIC_PARAM_SENDERS,
    TRAFFIC_PARAM_REFLECT,
    TRAFFIC_PARAM_DUT_ADDR,
    TRAFFIC_PARAM_TESTER_ADDR,
    TRAFFIC_PARAM_PORTS,
    TRAFFIC_PARAM_METHOD,
    TRAFFIC_PARAM_GOALS,
    TRAFFIC_PARAM_EXCEED_PCT,
    TRAFFIC_PARAM_DURATION_SUM_S,
    TRAFFIC_PARAM_PRECISION_PCT,
    TRAFFIC_PARAM_LATENCY_MODE,
    TRAFFIC_PARAM_REPEAT,
    TRAFFIC_PARAM_B2B_BUDGET_S,
    TRAFFIC_PARAM_B2B_CI_PCT,
    TRAFFIC_PARAM_DATAPLANE,
    TRAFFIC_PARAM_TESTER_CPUS,
};
/* traffic_params_validate() that also says which field: *ret_field (may be NULL) is the
 * field refused, TRAFFIC_PARAM_NONE on success. */
int traffic_params_check(const traffic_params *p, enum traffic_param *ret_field,
                         const char **ret_msg);
/* The accepted range of a numeric field (units as in traffic_params): 0, or -EINVAL for a
 * field without a plain range.  ret_* untouched on failure. */
int traffic_param_range(enum traffic_param field, double *ret_min, double *ret_max);

/* ------------------------------------------------------------------ */
/* Trials, results, observer                                           */

typedef struct traffic_rtt_summary {
    uint64_t samples;
    double min_us, mean_us, p50_us, p90_us, p99_us, p999_us, max_us;
    double jitter_us; /* mean |RTT_i - RTT_i-1| (IPDV, RFC 3393 style) */
} traffic_rtt_summary;

typedef struct traffic_trial {
    enum traffic_test test;
    enum traffic_direction direction;
    unsigned frame_size;
    unsigned repetition;   /* procedure repetition, 1-based */
    unsigned index;        /* trial number inside this procedure repetition, 1-based */
    const char *phase;     /* static: "calibrate", "search", "confirm", "trial", "burst", "probe" */
    bool reflect;          /* forwarding setup (DUT reflects), else DUT as end host */
    double offered_fps;    /* target rate (RFC 9971's intended load); for max-rate trials the
                            * rate achieved */
    double sent_fps;       /* rate actually sent, tx / elapsed_s (the offered load) */
    double duration_s;     /* asked */
    double elapsed_s;      /* generator's actual sending time */
    uint64_t burst_frames; /* b2b trials: frames asked in the burst; else 0 */
    uint64_t tx, rx, lost, reordered, duplicated; /* lost = tx - unique rx */
    double loss_pct;                              /* 100 * lost / tx (frames actually sent) */
    double rx_fps;                                /* rx / elapsed_s */
    double dut_cpu_pct;     /* DUT CPU busy over the trial, all CPUs; < 0 = unknown */
    double tester_wait_pct; /* the local tester's sender waited for a CPU (runnable, not
                             * running) this share of the trial, %; < 0 = unknown */
    bool valid;
    const char *reason; /* static; NULL when valid ("generator-limited", "tester-starved",
                         * "nothing-sent") */
    bool has_rtt;
    traffic_rtt_summary rtt;
    /* the tester side: the data plane that ran (static "xdp" or "socket"), the CPUs its
     * threads were placed on ("" = not placed) */
    const char *tester_dataplane;
    char tester_cpus[48];
    char tester_plane[160]; /* one line: what ran and, when sockets under auto, why */
} traffic_trial;

#define TRAFFIC_MAX_CURVE 101
#define TRAFFIC_MAX_LOAD_TRIALS 64

typedef struct traffic_loss_point {
    double pct_of_max;
    double offered_fps;
    double loss_pct;
} traffic_loss_point;

typedef struct traffic_result {
    enum traffic_test test;
    enum traffic_direction direction;
    unsigned frame_size;
    unsigned repetition; /* 1-based */
    bool reflect;
    unsigned trials; /* trials this figure used */
    bool valid;
    const char *reason; /* static; NULL when valid */
    /* throughput (also the rate latency ran at, and fixed's offered rate) */
    double fps, mbps_l2, mbps_wire;
    /* throughput: the search goal this figure answers (RFC 9971); "" for other tests.
     * fps is the goal's conditional throughput, lower/upper_fps its relevant bounds
     * (0 = none found) */
    char goal[TRAFFIC_GOAL_NAME];
    double goal_loss_pct;
    double lower_fps, upper_fps;
    double trial_seconds; /* trial time the whole search spent (all goals), s */
    double precision_pct; /* half width of the figure's 95 % interval reached, % (traffic_mlr_
                           * precision); < 0 = not computed (method rfc2544) */
    bool at_tester_ceiling; /* the tester, starved at the search's top, could send no more
                             * (max_fps): the DUT forwarded all of it, the figure is a floor */
    /* throughput: the forwarding rates (load x (1 - loss)) of the full-length trials at the
     * goal's lower bound, frames/s: the spread of a search of repeat = trials.  loss: the
     * points of the curve taken from the search's trials (load_trial_fps unused).
     * latency at load: goal is "ndr", "pdr" (at that goal's load) or "pdr_10" etc. at
     * pct_of_pdr % of the PDR goal's throughput (0 = at a goal's load) */
    unsigned n_load_trials;
    double load_trial_fps[TRAFFIC_MAX_LOAD_TRIALS];
    double pct_of_pdr;
    /* latency and rtt: latency is the mean over its trials (min of mins, max of maxes) */
    bool has_rtt;
    traffic_rtt_summary rtt;
    /* loss */
    double max_fps; /* 100 % of the curve; b2b's burst rate */
    unsigned n_curve;
    traffic_loss_point curve[TRAFFIC_MAX_CURVE];
    /* b2b (RFC 9004): statistics over b2b_repetitions searches (or fewer: b2b_budget_s,
     * b2b_ci_pct) */
    double burst_frames_mean, burst_frames_min, burst_frames_max, burst_frames_stddev;
    double burst_s; /* mean burst length in s at max_fps */
    unsigned b2b_repetitions;
    double buffer_time_s;           /* implied: burst_frames_mean / max_fps */
    double corrected_buffer_time_s; /* implied * (1 - throughput / max_fps) */
    /* fixed */
    double offered_fps, rx_fps, loss_pct;
    uint64_t tx, rx, lost, reordered, duplicated;
} traffic_result;

/*
 * A unit of traffic_run_suite(): the procedures of one frame size, direction and repetition
 * that depend on each other (the throughput search feeds latency, loss and b2b their loads),
 * or one fixed or rtt procedure.  What is measured again or skipped as a whole on a resume.
 */
typedef struct traffic_unit {
    unsigned tests; /* bitmask of enum traffic_test: the tests whose figures the unit reports
                     * (throughput also when only latency or b2b asked for its rate) */
    enum traffic_direction direction; /* rtt: TRAFFIC_DIR_IN, as its figures say */
    unsigned frame_size;
    unsigned repetition; /* 1-based */
} traffic_unit;

/* The units of traffic_run_suite(p), in the order it runs them, into units[0..max); returns
 * how many there are (may exceed max: then only max were written), or -EINVAL. Pure. */
int traffic_suite_units(const traffic_params *p, traffic_unit *units, unsigned max);
/* Bound on traffic_suite_units() for any valid params. */
#define TRAFFIC_MAX_UNITS (TRAFFIC_MAX_FRAME_SIZES * 5u * 1000u)

/*
 * All callbacks may be NULL.  Pointers passed to them are valid during the
 * call only; copy what you keep.
 */
typedef struct traffic_observer {
    void *userdata;
    /* before the trial's traffic starts (test, dir, frame size, offered rate, repetition filled;
     * offered_fps 0 = as fast as the generator can, trial_end then has the rate reached) */
    void (*trial_begin)(void *ud, const traffic_trial *planned);
    /* every trial, with all counters, valid flag + reason, dut_cpu_pct, latency summary if any */
    void (*trial_end)(void *ud, const traffic_trial *trial);
    /* every figure, once per procedure repetition (res->repetition) */
    void (*result)(void *ud, const traffic_result *res);
    /* polled often (at least every 100 ms during a trial); non-zero = stop, -ECANCELED */
    int (*cancelled)(void *ud);
    /* traffic_run_suite(): asked before each unit; non-zero = its figures are known already
     * (a resumed run), the unit is not measured and reports nothing */
    int (*skip_unit)(void *ud, const traffic_unit *unit);
    /* traffic_run_suite(): after a unit's last figure (every result of the unit reported) */
    void (*unit_end)(void *ud, const traffic_unit *unit);
} traffic_observer;

/* ------------------------------------------------------------------ */
/* Procedures (RFC 2544 §26).  All validate params, do the hello when   */
/* needed, report through obs and return 0, -ECANCELED, -EINVAL or the  */
/* transport's -errno.  ret_res may be NULL; it is a plain copy.         */

/*
 * Every selected test for every frame size x direction, repeated
 * p->repetitions times; throughput before latency, loss and b2b (they use
 * its rate).  A failing trial stops the suite with its error.
 */
int traffic_run_suite(traffic_conn *conn, const traffic_params *p, const traffic_observer *obs);

/* Like traffic_run_suite(), with the tester side in another agent: tester is a connection to
 * `vexp-traffic agent` on the tester machine (it binds p->tester_addr:p->tester_port and sends to
 * p->dut_addr:p->dut_port); dut is the DUT's agent.  Both conns are used by this call only.
 *
 * The caller keeps ownership of both conns (they stay open; two distinct conns, else -EINVAL).
 * The hello and "setup" are done here when needed; the tester's agent gets the roles swapped
 * (it binds the tester's address, the DUT's agent the DUT's).  Direction in: the tester's agent
 * sends and times the echoes of tagged frames, the DUT's agent sinks and echoes; out: the
 * reverse.  Losses, generator shortfalls and rtt are accounted as in traffic_run_suite().
 * p->reflect (the forwarding setup) is -EOPNOTSUPP with traffic_conn_last_error() of both conns
 * saying so.  On an error, which conn failed shows in its traffic_conn_last_error(). */
int traffic_run_suite_remote(traffic_conn *tester, traffic_conn *dut, const traffic_params *p,
                             const traffic_observer *obs);

/* The search's goals (p->method): one result per goal through obs; ret_res, when given,
 * gets the first goal's. */
int traffic_throughput(traffic_conn *conn, const traffic_params *p, enum traffic_direction dir,
                       unsigned frame_size, unsigned repetition, const traffic_observer *obs,
                       traffic_result *ret_res);
/* RTT of tagged frames at rate_fps (the throughput), latency_repetitions trials. */
int traffic_latency(traffic_conn *conn, const traffic_params *p, enum traffic_direction dir,
                    unsigned frame_size, double rate_fps, unsigned repetition,
                    const traffic_observer *obs, traffic_result *ret_res);
/* Loss curve from max_fps (0 = line rate or measured maximum) down in loss_step_pct steps. */
int traffic_loss(traffic_conn *conn, const traffic_params *p, enum traffic_direction dir,
                 unsigned frame_size, double max_fps, unsigned repetition,
                 const traffic_observer *obs, traffic_result *ret_res);
/* Longest loss-free burst at max_fps (0 = line rate or measured); throughput_fps tells
 * whether the test applies (res->valid false, reason "not-applicable" when it does not). */
int traffic_b2b(traffic_conn *conn, const traffic_params *p, enum traffic_direction dir,
                unsigned frame_size, double throughput_fps, double max_fps, unsigned repetition,
                const traffic_observer *obs, traffic_result *ret_res);
/* Idle round trips, p->probes of them (one sequence). */
int traffic_rtt(traffic_conn *conn, const traffic_params *p, unsigned frame_size,
                unsigned repetition, const traffic_observer *obs, traffic_result *ret_res);
/* One trial at p->rate_fps / rate_mbps / rate_max. */
int traffic_fixed(traffic_conn *conn, const traffic_params *p, enum traffic_direction dir,
                  unsigned frame_size, unsigned repetition, const traffic_observer *obs,
                  traffic_result *ret_res);
/* A short trial at the generator's maximum; *ret_max_fps = the rate sent. */
int traffic_calibrate(traffic_conn *conn, const traffic_params *p, enum traffic_direction dir,
                      unsigned frame_size, enum traffic_test test, unsigned repetition,
                      const traffic_observer *obs, double *ret_max_fps);

/* ------------------------------------------------------------------ */
/* Cost: the trial time a suite needs, before it runs                   */

/* [0] the lower bound, [1] the upper bound. */
/* Bounds of an estimate: [0] the least, [1] the most, [2] typical (the median DUT). */
#define TRAFFIC_ESTIMATE_LO 0
#define TRAFFIC_ESTIMATE_HI 1
#define TRAFFIC_ESTIMATE_TYPICAL 2
typedef struct traffic_estimate {
    double trial_s[3]; /* time traffic is sent, s */
    double wall_s[3];  /* + each trial's learning phase (warmup_s), drain (straggler_s, b2b:
                        * >= 2 s) and the caller's per-trial overhead, s */
    double trials[3];
    /* the same per test: index = bit number of enum traffic_test (0 throughput ... 5 fixed) */
    double test_trial_s[6][3];
    double test_wall_s[6][3];
} traffic_estimate;

/*
 * traffic_run_suite()'s cost from its parameters alone, pure.  The searches are the engine's
 * own (the RFC 9971 search or the binary one) run against simulated DUTs that forward up to a
 * knee without noise, the knee swept from the line rate (or the generator's maximum) down to
 * 0.5 % of it; the loss curve (with the search's trials reused), latency and b2b follow the
 * same DUT.  Bounds are the least and the most any of those DUTs needs; the upper one also
 * allows each search its retries of full-length trials the tester could not offer, and is
 * never less than the typical.  Typical
 * is what the median of those DUTs needs, without retries, when its knee varies from trial
 * to trial by 5 % (the noise measured on TCG guests).  A DUT
 * whose loss varies from trial to trial can make a search repeat trials beyond it.
 * trial_overhead_s: control and setup per trial, measured by the caller (>= 0).
 * 0, or -EINVAL when p fails traffic_params_validate().
 */
int traffic_estimate_suite(const traffic_params *p, double trial_overhead_s, traffic_estimate *ret);

/* ------------------------------------------------------------------ */
/* Output helpers (the CLI's --json; handy for storing raw records)     */

/* One JSON object, no newline; returns the length snprintf would, or -EINVAL. */
int traffic_trial_to_json(const traffic_trial *t, char *buf, size_t len);
int traffic_result_to_json(const traffic_result *r, char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Agent (DUT side): serve the control protocol on in_fd/out_fd until    */
/* EOF or "quit".  Returns 0 or -errno.                                  */
int traffic_agent_main(int in_fd, int out_fd);
