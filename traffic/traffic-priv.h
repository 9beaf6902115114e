/* SPDX-License-Identifier: MIT */
/* vexp-traffic internals shared by the engine's files and its unit tests. */
#pragma once

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <netinet/in.h>

#include "traffic.h"

#define TRAFFIC_NS 1000000000LL

static inline int64_t traffic_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * TRAFFIC_NS + ts.tv_nsec;
}

/* ---- checked number parsing ---- */
int traffic_parse_u64(const char *s, uint64_t max, uint64_t *ret);
int traffic_parse_double(const char *s, double min, double max, double *ret);
int traffic_frame_sizes_from_list(const char *list, unsigned *sizes, unsigned max, unsigned *ret_n);

/* ---- test payload: 18 bytes, the smallest frame's UDP payload ---- */
/*   0  u64 sequence number (little endian)
 *   8  u64 sender CLOCK_MONOTONIC ns (echoed back unchanged)
 *  16  u16 tag: bits 0-13 stream id, bit 14 echo request        */
#define TRAFFIC_HDR_LEN 18u
#define TRAFFIC_TAG_STREAM 0x3fffu
#define TRAFFIC_TAG_ECHO 0x4000u

void traffic_hdr_put(uint8_t *buf, uint64_t seq, uint64_t ts_ns, uint16_t tag);
void traffic_hdr_get(const uint8_t *buf, uint64_t *seq, uint64_t *ts_ns, uint16_t *tag);

/* ---- sequence accounting ---- */
/* Window of recently seen sequence numbers for duplicate detection. */
#define TRAFFIC_SEQ_WINDOW 65536u

typedef struct traffic_seq {
    bool started;
    uint64_t max_seq;    /* highest sequence seen (modular) */
    uint64_t unique;     /* distinct frames received */
    uint64_t reordered;  /* arrived after a higher sequence number */
    uint64_t duplicated; /* sequence number already seen */
    uint64_t too_old;    /* behind the window: counted unique + reordered, dup unknown */
    uint64_t bits[TRAFFIC_SEQ_WINDOW / 64];
} traffic_seq;

void traffic_seq_reset(traffic_seq *s);
void traffic_seq_add(traffic_seq *s, uint64_t seq);

/* ---- HDR-style histogram of RTT in ns: 2^7 linear sub-buckets per power of 2 ---- */
#define TRAFFIC_HIST_SUB_BITS 7
#define TRAFFIC_HIST_EXP 42 /* up to 2^42 ns, ~73 min */
#define TRAFFIC_HIST_BUCKETS (TRAFFIC_HIST_EXP << TRAFFIC_HIST_SUB_BITS)

typedef struct traffic_hist {
    uint64_t count;
    uint64_t min, max;
    long double sum;
    uint64_t last;
    bool has_last;
    long double jitter_sum; /* sum of |x_i - x_i-1| */
    uint32_t buckets[TRAFFIC_HIST_BUCKETS];
} traffic_hist;

void traffic_hist_reset(traffic_hist *h);
void traffic_hist_add(traffic_hist *h, uint64_t ns);
/* value at quantile q (0..1), ns; 0 when empty */
uint64_t traffic_hist_quantile(const traffic_hist *h, double q);
void traffic_hist_summary(const traffic_hist *h, traffic_rtt_summary *ret);
unsigned traffic_hist_index(uint64_t ns);
uint64_t traffic_hist_value(unsigned idx);

/* ---- control protocol ---- */
#define TRAFFIC_LINE_MAX 1024u
#define TRAFFIC_KV_MAX 40u
/* a value's bytes with its NUL: holds a data plane's line (traffic_plane.why) */
#define TRAFFIC_KV_VAL 160u

typedef struct traffic_kv {
    unsigned n;
    struct {
        char key[24];
        char val[TRAFFIC_KV_VAL];
        bool is_str;
    } e[TRAFFIC_KV_MAX];
} traffic_kv;

/* "verb key=value ..." -> verb + pairs; -EINVAL on anything else (bounded, no crash). */
int traffic_cmd_parse(const char *line, char *verb, size_t verb_len, traffic_kv *ret);
/* A flat JSON object {"k":"str","n":1.5,"b":true} -> pairs; -EINVAL on anything else. */
int traffic_json_parse(const char *line, traffic_kv *ret);
const char *traffic_kv_get(const traffic_kv *kv, const char *key);
int traffic_kv_u64(const traffic_kv *kv, const char *key, uint64_t max, uint64_t *ret);
int traffic_kv_double(const traffic_kv *kv, const char *key, double min, double max, double *ret);
/* A command's "dataplane=auto|xdp|socket" into *ret: 1 when given, 0 when absent (*ret
 * socket: agents that are not asked use sockets), -EINVAL for another value. */
int traffic_kv_dataplane(const traffic_kv *kv, enum traffic_dataplane *ret);
/* JSON string escaping into buf; returns bytes written (truncates safely). */
size_t traffic_json_escape(char *buf, size_t len, const char *s);

/* ---- data plane ---- */
#define TRAFFIC_BATCH 64u
#define TRAFFIC_MAX_STREAMS 4u

typedef struct traffic_gen_spec {
    int fd;
    struct sockaddr_in dst;
    unsigned payload;
    uint16_t stream;
    double rate_fps;     /* 0 = as fast as possible */
    int64_t duration_ns; /* stop sending after this */
    uint64_t count;      /* 0 = no limit, else stop after count frames */
    uint64_t tag_every;  /* 0 = none; every Nth frame asks for an echo */
    uint64_t first_seq;
    unsigned threads;           /* > 1: that many senders on their own sockets (source port + k)
                                 * and streams (stream + k), sharing the rate; no tags, no echo_rx */
    struct traffic_rx *echo_rx; /* when set, drained between batches (echoes, reflected frames) */
    struct traffic_xsk *xsk[TRAFFIC_MAX_STREAMS]; /* AF_XDP: sender k's socket (all set for
                                                   * threads senders), else UDP on fd */
    const unsigned *cpus; /* threads > 1 or xsk: sender k runs on cpus[k % n_cpus] */
    unsigned n_cpus;
} traffic_gen_spec;

typedef struct traffic_gen_result {
    uint64_t tx;
    uint64_t missed; /* frames the schedule wanted but the sender could not place */
    int64_t elapsed_ns;
} traffic_gen_result;

/* Poll callback used by the generator every ~50 ms; non-zero stops it. */
typedef int (*traffic_poll_fn)(void *ud);

int traffic_udp_socket(const char *addr, uint16_t port, int *ret_fd);
/* Pin the calling thread to cpu (< CPU_SETSIZE); *ret_old (may be NULL) gets its set before. */
int traffic_pin_self(unsigned cpu, cpu_set_t *ret_old);

/* AF_PACKET TX ring sending the frames udp_fd would send to dst (packet.c). */
typedef struct traffic_pkt traffic_pkt;
int traffic_pkt_open(int udp_fd, const struct sockaddr_in *dst, unsigned payload,
                     traffic_pkt **ret);
/* Queue up to n frames (sequence first_seq + k0 ...) and kick; returns frames queued. */
int traffic_pkt_send(traffic_pkt *pk, uint64_t first_seq, uint64_t k0, unsigned n, uint64_t ts_ns,
                     uint16_t stream, uint64_t tag_every);
void traffic_pkt_close(traffic_pkt *pk);
int traffic_gen_run(const traffic_gen_spec *g, traffic_poll_fn poll_fn, void *ud,
                    traffic_gen_result *ret);

enum traffic_rx_mode {
    TRAFFIC_RX_SINK,    /* count; reflect echo requests to the sender */
    TRAFFIC_RX_REFLECT, /* count and reflect everything */
    TRAFFIC_RX_RETURN,  /* frames coming back to their generator: count, RTT of echo requests */
};

typedef struct traffic_rx {
    int fd;
    enum traffic_rx_mode mode;
    unsigned payload;
    uint16_t stream; /* first stream id; nstreams consecutive ids count */
    unsigned nstreams;
    traffic_seq seq[TRAFFIC_MAX_STREAMS];
    traffic_hist hist;
    uint64_t foreign; /* datagrams of wrong length or stream */
    uint64_t reflected;
    uint8_t *buf;            /* TRAFFIC_BATCH slots of payload + 1 bytes */
    struct traffic_xsk *xsk; /* when set, frames come from this AF_XDP socket (fd is its fd) */
    bool xdp_counted; /* the XDP program counted the frames: the socket's are not counted again */
} traffic_rx;

/* Allocates the receive buffers; the caller frees them with traffic_rx_done(). */
int traffic_rx_init(traffic_rx *rx, int fd, enum traffic_rx_mode mode, unsigned payload,
                    uint16_t stream, unsigned nstreams);
/* Sums over the streams. */
void traffic_rx_counts(const traffic_rx *rx, uint64_t *unique, uint64_t *reordered,
                       uint64_t *duplicated);
void traffic_rx_done(traffic_rx *rx);
/* Drain the socket without blocking; returns frames processed or -errno. */
int traffic_rx_drain(traffic_rx *rx);
/* Count one datagram's payload (len bytes) received at now; true when it is to be sent back
 * (an echo request in SINK mode, every frame in REFLECT mode). */
bool traffic_rx_account(traffic_rx *rx, const uint8_t *p, size_t len, int64_t now);
/* Add src's counters and RTT histogram to dst (the same streams and payload). */
void traffic_rx_merge(traffic_rx *dst, const traffic_rx *src);

/* ---- AF_XDP, tester side only (xsk.c; xsk-none.c in the guest's static binary) ---- */
#define TRAFFIC_XSK_MAX TRAFFIC_MAX_STREAMS /* sockets (queues) per interface */

/* What the XDP program does with the frames to the test flow's UDP port (everything else
 * goes to the stack). */
enum traffic_xdp_mode {
    TRAFFIC_XDP_REDIRECT, /* every frame to the AF_XDP socket of its queue */
    TRAFFIC_XDP_DROP,     /* every frame dropped (a peer that costs nothing) */
    /* counted in the program (TRAFFIC_RX_SINK's sequence accounting per queue and stream,
     * traffic_xdp_fold()), then echo requests to the socket and the rest dropped */
    TRAFFIC_XDP_COUNT,
};

typedef struct traffic_xdp_spec {
    uint16_t port; /* host order */
    enum traffic_xdp_mode mode;
    /* TRAFFIC_XDP_COUNT: frames of this payload length from streams stream .. stream +
     * nstreams - 1 are counted, others are foreign */
    unsigned payload, nstreams;
    uint16_t stream;
} traffic_xdp_spec;

/* An XDP program on one interface with its maps (see traffic_xdp_spec).  Detached when closed
 * or when the process ends.  -EOPNOTSUPP without AF_XDP support. */
typedef struct traffic_xdp traffic_xdp;
int traffic_xdp_open(const char *ifname, const traffic_xdp_spec *spec, traffic_xdp **ret);
unsigned traffic_xdp_queues(const traffic_xdp *x);
bool traffic_xdp_counts(const traffic_xdp *x); /* the program counts (TRAFFIC_XDP_COUNT) */
/* Add what the program counted to rx (the same payload and streams): sequence counters per
 * stream summed over the queues (as traffic_rx_merge), foreign frames.  0 or -errno. */
int traffic_xdp_fold(const traffic_xdp *x, traffic_rx *rx);
void traffic_xdp_close(traffic_xdp *x);
/* For tests: the program and its maps for nqueues queues, attached nowhere; one frame run
 * through it on queue 0 (BPF_PROG_TEST_RUN), *ret_action its XDP_* verdict. */
int traffic_xdp_load(const traffic_xdp_spec *spec, unsigned nqueues, traffic_xdp **ret);
int traffic_xdp_test_run(const traffic_xdp *x, const uint8_t *frame, size_t len,
                         unsigned *ret_action);

/* The one flow a socket sends (addresses and ports in network order). */
typedef struct traffic_xsk_flow {
    struct sockaddr_in src, dst;
    uint8_t src_mac[6], dst_mac[6];
    unsigned payload;
} traffic_xsk_flow;

typedef struct traffic_xsk traffic_xsk;
int traffic_xsk_open(traffic_xdp *x, unsigned queue, const traffic_xsk_flow *f, traffic_xsk **ret);
void traffic_xsk_close(traffic_xsk *s);
int traffic_xsk_fd(const traffic_xsk *s);
/* Queue up to n prebuilt frames (sequence first_seq + k0 ...) and send them; returns the
 * frames queued (0: the ring is full, waited up to 1 ms). */
int traffic_xsk_send(traffic_xsk *s, uint64_t first_seq, uint64_t k0, unsigned n, uint64_t ts_ns,
                     uint16_t stream, uint64_t tag_every);
/* Push out what is queued, up to max_ns; returns frames still not sent. */
uint64_t traffic_xsk_flush(traffic_xsk *s, int64_t max_ns);
/* Receive what is there into rx (traffic_rx_account), echoing what it asks; frames or -errno. */
int traffic_xsk_drain(traffic_xsk *s, traffic_rx *rx);

/* ---- the tester's data plane for one trial (tester.c) ---- */
typedef struct traffic_plane_spec {
    enum traffic_dataplane want;
    struct sockaddr_in src, dst; /* the tester's and the DUT's address and port */
    unsigned payload;
    unsigned sockets; /* AF_XDP sockets wanted (one per queue, from queue 0); 0 = 1 */
    /* receiving: the XDP program counts frames of streams stream .. stream + nstreams - 1
     * itself (nstreams 0: every frame goes to the sockets, counted there) */
    uint16_t stream;
    unsigned nstreams;
    bool sending;     /* the tester sends: needs the DUT's MAC and a qdisc that holds nothing */
} traffic_plane_spec;

typedef struct traffic_plane {
    enum traffic_dataplane used; /* XDP or SOCKET */
    char why[160];               /* one line: what runs and, for sockets under auto, why */
    char dev[16];
    traffic_xdp *xdp;
    traffic_xsk *xsk[TRAFFIC_XSK_MAX];
    unsigned n; /* sockets open */
} traffic_plane;

/* 0 with *pl set up (sockets when AF_XDP is not possible and want is AUTO); with want XDP,
 * -errno and pl->why saying why not.  Close with traffic_plane_close() (also after failure). */
int traffic_plane_open(const traffic_plane_spec *sp, traffic_plane *pl);
void traffic_plane_close(traffic_plane *pl);
/* Receiver rx takes its frames from the plane's socket k (nothing on sockets). */
void traffic_plane_rx(const traffic_plane *pl, unsigned k, traffic_rx *rx);
/* Add what the plane's XDP program counted to rx, once, after the receivers stopped (see
 * traffic_xdp_fold); 0 or -errno. */
int traffic_plane_fold(const traffic_plane *pl, traffic_rx *rx);

/* The interface holding address ip; its MAC; its root qdisc's kind ("none" when none). */
int traffic_dev_of_addr(struct in_addr ip, char dev[16]);
int traffic_dev_mac(const char *dev, uint8_t mac[6]);
int traffic_dev_qdisc(unsigned ifindex, char *kind, size_t len);
int traffic_next_hop(struct in_addr dst, struct in_addr *via);
/* The neighbour table's MAC for ip on dev (a complete entry). */
int traffic_arp_lookup(struct in_addr ip, const char *dev, uint8_t mac[6]);

/* ---- RFC 9971 MLRsearch (pure; mlrsearch.c, driven by tests with a simulated DUT) ---- */
#define TRAFFIC_MLR_MAX_TRIALS 160u

/* One goal with all its RFC 9971 attributes; ratios as fractions, durations in s. */
typedef struct traffic_mlr_goal {
    double loss_ratio, exceed_ratio, final_s, sum_s, initial_s, width;
} traffic_mlr_goal;

/* A target: the goal, or a coarser one on the way to it (shorter trials, wider width). */
typedef struct traffic_mlr_target {
    double loss_ratio, exceed_ratio, trial_s, sum_s, width;
} traffic_mlr_target;

typedef struct traffic_mlr_goal_state {
    traffic_mlr_goal goal;
    traffic_mlr_target targets[3]; /* coarse to final */
    unsigned n_targets, stage;     /* stage: the target being searched for */
    unsigned down;                 /* external search steps down without a lower bound */
} traffic_mlr_goal_state;

typedef struct traffic_mlr_load {
    int k;      /* grid index: fps = max_fps * ratio^k */
    double fps; /* the load (intended), frames/s */
} traffic_mlr_load;

typedef struct traffic_mlr_trial {
    unsigned load; /* index into loads */
    double dur_s, loss_ratio;
} traffic_mlr_trial;

typedef struct traffic_mlr {
    unsigned n_goals;
    traffic_mlr_goal_state goals[TRAFFIC_MAX_GOALS];
    double max_fps, min_fps, ratio;
    int kmax;
    int kmin; /* the highest load the search may still ask for (traffic_mlr_cap); 0 = max_fps */
    unsigned n_loads, n_trials;
    traffic_mlr_load loads[TRAFFIC_MLR_MAX_TRIALS];
    traffic_mlr_trial trials[TRAFFIC_MLR_MAX_TRIALS];
    double trial_seconds;
} traffic_mlr;

enum traffic_mlr_class { TRAFFIC_MLR_UNDECIDED, TRAFFIC_MLR_LOWER, TRAFFIC_MLR_UPPER };

typedef struct traffic_mlr_result {
    bool found;                                   /* a lower bound exists */
    double conditional_fps, lower_fps, upper_fps; /* 0 = none */
} traffic_mlr_result;

void traffic_mlr_goals_from_params(const traffic_params *p, traffic_mlr_goal *ret, unsigned *ret_n);
void traffic_mlr_init(traffic_mlr *s, const traffic_mlr_goal *goals, unsigned n_goals,
                      double max_fps, double min_fps);
/* 1 with the next trial's load and duration, 0 when every goal is decided. */
int traffic_mlr_next(traffic_mlr *s, double *ret_fps, double *ret_dur_s);
/* A trial at load fps (snapped down to the grid); -ENOSPC when the search is full. */
int traffic_mlr_add(traffic_mlr *s, double fps, double dur_s, double loss_ratio);
double traffic_mlr_snap_down(const traffic_mlr *s, double fps);
/* Never ask for a load above fps again (the tester cannot offer it); trials already
 * there keep counting.  Returns the new highest load. */
double traffic_mlr_cap(traffic_mlr *s, double fps);
/* The highest load the search may ask for: the maximum, or the ceiling. */
double traffic_mlr_top(const traffic_mlr *s);
enum traffic_mlr_class traffic_mlr_classify(const traffic_mlr *s, unsigned load,
                                            const traffic_mlr_target *t);
void traffic_mlr_answer(const traffic_mlr *s, unsigned goal, traffic_mlr_result *ret);
/* Half the width of the interval goal's figure lies in with 95 % confidence, in % of the
 * figure: from the highest load that is a lower bound with 95 % confidence (Wilson interval
 * of the share of its full-length trials over the goal's loss, against the exceed ratio) to
 * the lowest such upper bound.  INFINITY when there is no figure.  *ret_next_fps: the
 * relevant bound whose trials cannot say yet (a full-length trial there narrows the
 * interval), 0 when both can (then only a smaller width narrows it). */
double traffic_mlr_precision(const traffic_mlr *s, unsigned goal, double *ret_next_fps);
/* precision_pct's next full-length trial: the load traffic_mlr_precision() names for the goal
 * furthest from target_pct; 0 when every goal is that precise or only a smaller width would
 * narrow it.  Used by the search and by the estimate's simulation of it. */
double traffic_mlr_precision_next(const traffic_mlr *s, double target_pct);
/* The goals of p; 0 or -EINVAL with a static message. */
int traffic_goals_validate(const traffic_params *p, const char **ret_msg);

/* ---- CPU from /proc/stat ---- */
int traffic_cpu_sample(uint64_t *ret_busy, uint64_t *ret_total);

/* ---- procedures over an abstract trial runner (real agent, or a simulated DUT in tests) ---- */
typedef struct traffic_runner traffic_runner;
struct traffic_runner {
    /* Run one trial.  On entry t holds test, direction, frame_size, repetition, index,
     * phase, reflect, offered_fps (0 = as fast as possible), duration_s and
     * burst_frames (0 = a timed trial); fill the counters, validity and rtt.
     * tagged: frames per trial that ask for an echo (0 = none). */
    int (*run)(traffic_runner *r, const traffic_params *p, traffic_trial *t, unsigned tagged);
    void *ctx;
    const traffic_observer *obs;
};

/* The runner over a real agent connection. */
void traffic_runner_conn(traffic_runner *r, traffic_conn *conn, const traffic_observer *obs);

/* ret_trial: the calibration trial itself (may be NULL). */
int traffic_proc_calibrate(traffic_runner *r, const traffic_params *p, enum traffic_direction dir,
                           unsigned frame_size, enum traffic_test test, unsigned repetition,
                           unsigned *index, double *ret_max_fps, traffic_trial *ret_trial);
/* The throughput search (search.c). */
int traffic_proc_throughput(traffic_runner *r, const traffic_params *p, enum traffic_direction dir,
                            unsigned frame_size, double max_fps, unsigned repetition,
                            traffic_result *ret);
int traffic_proc_latency(traffic_runner *r, const traffic_params *p, enum traffic_direction dir,
                         unsigned frame_size, double rate_fps, unsigned repetition,
                         traffic_result *ret);
int traffic_proc_loss(traffic_runner *r, const traffic_params *p, enum traffic_direction dir,
                      unsigned frame_size, double max_fps, unsigned repetition,
                      traffic_result *ret);
int traffic_proc_b2b(traffic_runner *r, const traffic_params *p, enum traffic_direction dir,
                     unsigned frame_size, double throughput_fps, double max_fps,
                     unsigned repetition, traffic_result *ret);
int traffic_proc_rtt(traffic_runner *r, const traffic_params *p, unsigned frame_size,
                     unsigned repetition, traffic_result *ret);
int traffic_proc_fixed(traffic_runner *r, const traffic_params *p, enum traffic_direction dir,
                       unsigned frame_size, unsigned repetition, traffic_result *ret);
int traffic_proc_suite(traffic_runner *r, const traffic_params *p);

/* A search retries a trial the tester could not offer (a starved generator) at most this many
 * times before it gives up; the cost model's upper bound allows for them. */
#define TRAFFIC_MAX_INVALID_RETRIES 12u
/* Full-length trials of one binary search (and of a back-to-back search) at most. */
#define TRAFFIC_MAX_SEARCH_TRIALS 64u

/* ---- what other procedures reuse of a throughput search (atload.c) ---- */

/* One full-length trial of a search, at its intended load. */
typedef struct traffic_seen_trial {
    double fps;      /* intended load, frames/s */
    double dur_s;    /* asked */
    double loss_pct; /* against what was sent */
    double rx_fps;
    bool valid;
    bool has_rtt;
    traffic_rtt_summary rtt;
} traffic_seen_trial;

/* The full-length trials of one search (both methods), in order. */
typedef struct traffic_seen {
    unsigned tagged; /* echo requests asked in each full-length trial; 0 = none */
    unsigned n;
    traffic_seen_trial t[TRAFFIC_MLR_MAX_TRIALS];
} traffic_seen;

/* tagged: echo requests per full-length trial of the searches that fill it (0 = none). */
void traffic_seen_init(traffic_seen *s, unsigned tagged);
/* A finished trial at intended load fps; ignored when s is NULL or full. */
void traffic_seen_add(traffic_seen *s, const traffic_trial *t, double fps);
/* res->n_load_trials, load_trial_fps: the valid trials at res->lower_fps. */
void traffic_seen_fill_result(const traffic_seen *s, traffic_result *res);
/* The valid trial nearest load fps within tol_fps; NULL when none. */
const traffic_seen_trial *traffic_seen_near(const traffic_seen *s, double fps, double tol_fps);

/* traffic_proc_throughput() that logs its full-length trials into seen (tagged as it says)
 * and copies each goal's result into goal_res[goal] (may be NULL). */
int traffic_proc_throughput_seen(traffic_runner *r, const traffic_params *p,
                                 enum traffic_direction dir, unsigned frame_size, double max_fps,
                                 unsigned repetition, traffic_seen *seen, traffic_result *goal_res,
                                 traffic_result *ret);
/* Latency at the goals' loads from the search's tagged trials (one new trial at a load that
 * has none), then one trial at each of traffic_latency_levels_pct of the PDR goal's
 * throughput.  goal_res: p->n_goals results of the search. */
int traffic_proc_latency_at_load(traffic_runner *r, const traffic_params *p,
                                 enum traffic_direction dir, unsigned frame_size,
                                 unsigned repetition, const traffic_seen *seen,
                                 const traffic_result *goal_res);
/* The loss curve with the search's full-length trials as points where they lie within a tenth
 * of a step of a point's load; seen may be NULL. */
int traffic_proc_loss_seen(traffic_runner *r, const traffic_params *p, enum traffic_direction dir,
                           unsigned frame_size, double max_fps, unsigned repetition,
                           const traffic_seen *seen, traffic_result *ret);
/* Two-sided 95 % Student t quantile for df degrees of freedom (df >= 1). */
double traffic_t95(unsigned df);
/* Shared by the latency procedures: RFC 2544 §26.2's mean of the trials' summaries. */
void traffic_rtt_accumulate(traffic_rtt_summary *sum, const traffic_rtt_summary *x, unsigned n);
void traffic_rtt_finish(traffic_result *res, traffic_rtt_summary *sum, unsigned n);
/* procedures.c's helpers for atload.c and search.c */
int traffic_proc_do_trial(traffic_runner *r, const traffic_params *p, traffic_trial *t,
                          unsigned tagged);
void traffic_proc_trial_init(traffic_trial *t, enum traffic_test test, enum traffic_direction dir,
                             unsigned frame_size, unsigned rep, unsigned *index, const char *phase,
                             bool reflect, double rate, double duration_s);
void traffic_proc_result_init(traffic_result *res, enum traffic_test test,
                              enum traffic_direction dir, unsigned frame_size, unsigned rep,
                              bool reflect, double fps);
void traffic_proc_emit(traffic_runner *r, const traffic_result *res);
void traffic_proc_result_rate(traffic_result *res, double fps);

/* Fill validity, loss and rates of a finished trial from tx/rx/elapsed (shared by runners). */
void traffic_trial_account(traffic_trial *t, uint64_t missed);
/* A finished trial's counters: tx and elapsed from the generator's gr, the receiver's
 * unique rx, reordered and duplicated, the DUT's CPU busy % (< 0 unknown); then
 * traffic_trial_account().  The one place the runners fill them. */
void traffic_trial_finish(traffic_trial *t, const traffic_gen_result *gr, uint64_t rx,
                          uint64_t reordered, uint64_t duplicated, double dut_cpu_pct);

/* ---- shared by the runners over agents (trial.c, remote.c) ---- */

/* The observer's cancel callback as a traffic_poll_fn (ud: const traffic_observer *, may be
 * NULL). */
int traffic_observer_cancelled(void *ud);
/* Sleep ms while draining rx (if any) and polling the observer; 0 or -ECANCELED. */
int traffic_wait_ms(const traffic_observer *obs, traffic_rx *rx, int64_t ms);
/* Hello when not done yet, then "setup" unless the agent is already set up so: it binds
 * bind_addr:bind_port and sends to peer_addr:peer_port (the DUT's agent binds the DUT's
 * address, a remote tester's agent the tester's). */
int traffic_agent_ensure(traffic_conn *conn, const char *bind_addr, uint16_t bind_port,
                         const char *peer_addr, uint16_t peer_port);
/* "stop" a listening agent; its reply (rx, reordered, duplicated, cpu_pct) in ret. */
int traffic_agent_stop(traffic_conn *conn, traffic_kv *ret);
/* The rtt_* keys of an agent's tx reply (µs). */
void traffic_kv_rtt(const traffic_kv *kv, traffic_rtt_summary *ret);

/* How a trial's frames are scheduled (pure): *ret_dur_s the schedule length in s (a burst's is
 * only a bound: 1.5 x its frames at the rate + 1 s), *ret_tag_every every Nth frame asks for an
 * echo so that about `tagged` do (0 = none). */
void traffic_trial_plan(const traffic_trial *t, unsigned tagged, double *ret_dur_s,
                        uint64_t *ret_tag_every);

/* One "tx" command of an agent. */
typedef struct traffic_agent_tx {
    uint16_t stream;    /* first of TRAFFIC_MAX_STREAMS ids reserved for the trial */
    unsigned payload;   /* UDP payload bytes */
    double rate_fps;    /* 0 = as fast as possible */
    double dur_s;       /* schedule length, s */
    uint64_t count;     /* burst frames; 0 = timed */
    uint64_t tag_every; /* 0 = no echo requests */
    double warmup_s;    /* learning frames + this pause before the traffic */
    uint64_t linger_ms; /* wait for echoes after the last frame */
    unsigned threads;   /* parallel senders asked (the agent decides when they apply) */
    /* the tester's agent only: dataplane= is sent (the DUT's agent is never asked) */
    bool ask_plane;
    enum traffic_dataplane dataplane;
} traffic_agent_tx;

/* Send tx and wait for its reply (a trial's length + 30 s; the observer can cancel: "abort"
 * is sent, -ECANCELED).  ret_gr: tx, missed, elapsed_ns; *ret_cpu: the sender's CPU busy %
 * (-1 unknown); ret_kv: the whole reply (rtt_* keys). */
int traffic_agent_send(traffic_conn *conn, const traffic_observer *obs, const traffic_agent_tx *tx,
                       traffic_gen_result *ret_gr, double *ret_cpu, traffic_kv *ret_kv);

/* The runner over two agents (remote.c): the tester's, set up with the roles swapped, and the
 * DUT's.  The caller keeps rc alive while r is used.  Reflect trials are -EOPNOTSUPP. */
typedef struct traffic_remote {
    traffic_conn *tester, *dut;
    uint16_t stream; /* last stream id used; each trial takes TRAFFIC_MAX_STREAMS new ones */
} traffic_remote;

void traffic_runner_remote(traffic_runner *r, traffic_remote *rc, const traffic_observer *obs);
/* The error text of a remote reflect trial. */
#define TRAFFIC_REMOTE_REFLECT_ERROR                                                               \
    "the forwarding setup (reflect) is not supported with a remote tester: the tester's agent "    \
    "cannot count frames coming back while it sends"
