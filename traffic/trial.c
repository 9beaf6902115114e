/* SPDX-License-Identifier: MIT */
/* One trial against a real agent: set up, learning frames, traffic, stragglers, counters. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "cleanup.h"
#include "traffic-conn.h"

#define LEARN_FRAMES 16u

void traffic_trial_account(traffic_trial *t, uint64_t missed)
{
    (void)missed;
    t->lost = t->tx > t->rx ? t->tx - t->rx : 0;
    t->loss_pct = t->tx ? 100.0 * (double)t->lost / (double)t->tx : 0;
    t->rx_fps = t->elapsed_s > 0 ? (double)t->rx / t->elapsed_s : 0;
    t->sent_fps = t->elapsed_s > 0 ? (double)t->tx / t->elapsed_s : 0;
    t->valid = true;
    t->reason = NULL;
    if (t->offered_fps <= 0) {
        /* as fast as possible: the offered rate is what was sent */
        t->offered_fps = t->elapsed_s > 0 ? (double)t->tx / t->elapsed_s : 0;
        if (t->burst_frames && t->tx < t->burst_frames) {
            t->valid = false;
            t->reason = "generator-limited";
        }
        return;
    }
    double target = t->burst_frames ? (double)t->burst_frames : t->offered_fps * t->duration_s;
    if ((double)t->tx < 0.995 * target) {
        t->valid = false;
        t->reason = "generator-limited";
    } else if (!t->burst_frames && t->elapsed_s > 1.01 * t->duration_s) {
        t->valid = false;
        t->reason = "generator-limited"; /* ran > 1 % longer than asked */
    }
    if (t->tx == 0) {
        t->valid = false;
        t->reason = "nothing-sent";
    }
}

void traffic_trial_finish(traffic_trial *t, const traffic_gen_result *gr, uint64_t rx,
                          uint64_t reordered, uint64_t duplicated, double dut_cpu_pct)
{
    t->tx = gr->tx;
    t->rx = rx;
    t->reordered = reordered;
    t->duplicated = duplicated;
    t->elapsed_s = (double)gr->elapsed_ns / 1e9;
    t->dut_cpu_pct = dut_cpu_pct;
    traffic_trial_account(t, gr->missed);
}

typedef struct run_ctx {
    traffic_conn *conn;
    const traffic_observer *obs;
} run_ctx;

int traffic_observer_cancelled(void *ud)
{
    const traffic_observer *obs = ud;
    return obs && obs->cancelled && obs->cancelled(obs->userdata);
}

int traffic_agent_ensure(traffic_conn *conn, const char *bind_addr, uint16_t bind_port,
                         const char *peer_addr, uint16_t peer_port)
{
    int r;
    traffic_kv kv;
    if (!conn->hello_done && (r = traffic_conn_hello(conn, TRAFFIC_CTRL_TIMEOUT_MS, NULL)) < 0)
        return r;
    char key[sizeof(conn->setup_key)];
    snprintf(key, sizeof(key), "dut=%s port=%u tester=%s tport=%u", bind_addr, bind_port, peer_addr,
             peer_port);
    if (strcmp(key, conn->setup_key) == 0)
        return 0;
    if ((r = traffic_conn_send(conn, "setup %s", key)) < 0)
        return r;
    if ((r = traffic_conn_reply(conn, TRAFFIC_CTRL_TIMEOUT_MS, NULL, NULL, "setup", &kv)) < 0)
        return r;
    snprintf(conn->setup_key, sizeof(conn->setup_key), "%s", key);
    return 0;
}

int traffic_wait_ms(const traffic_observer *obs, traffic_rx *rx, int64_t ms)
{
    int64_t until = traffic_now_ns() + ms * 1000000;
    for (;;) {
        int64_t left = (until - traffic_now_ns()) / 1000000;
        if (left <= 0)
            return 0;
        if (traffic_observer_cancelled((void *)obs))
            return -ECANCELED;
        int slice = left > 50 ? 50 : (int)left;
        if (rx) {
            struct pollfd pfd = {.fd = rx->fd, .events = POLLIN};
            (void)poll(&pfd, 1, slice);
            (void)traffic_rx_drain(rx);
        } else {
            usleep((useconds_t)slice * 1000);
        }
    }
}

typedef struct rx_thread {
    traffic_rx *rx;
    atomic_bool stop;
    pthread_t tid;
    int cpu; /* < 0: not pinned */
} rx_thread;

static void *rx_thread_main(void *ud)
{
    rx_thread *t = ud;
    if (t->cpu >= 0)
        (void)traffic_pin_self((unsigned)t->cpu, NULL);
    while (!atomic_load(&t->stop)) {
        struct pollfd pfd = {.fd = t->rx->fd, .events = POLLIN};
        if (poll(&pfd, 1, 20) > 0)
            (void)traffic_rx_drain(t->rx);
    }
    (void)traffic_rx_drain(t->rx);
    return NULL;
}

static int learn(int fd, const struct sockaddr_in *dst, unsigned payload, const traffic_params *p,
                 const traffic_observer *obs)
{
    if (p->warmup_s <= 0)
        return 0;
    traffic_gen_spec g = {.fd = fd,
                          .dst = *dst,
                          .payload = payload,
                          .stream = 0,
                          .duration_ns = TRAFFIC_NS,
                          .count = LEARN_FRAMES};
    traffic_gen_result gr;
    int r = traffic_gen_run(&g, traffic_observer_cancelled, (void *)obs, &gr);
    if (r < 0)
        return r;
    return traffic_wait_ms(obs, NULL, (int64_t)(p->warmup_s * 1000));
}

int traffic_agent_stop(traffic_conn *conn, traffic_kv *kv)
{
    int r = traffic_conn_send(conn, "stop");
    if (r < 0)
        return r;
    return traffic_conn_reply(conn, TRAFFIC_CTRL_TIMEOUT_MS, NULL, NULL, "stop", kv);
}

void traffic_kv_rtt(const traffic_kv *kv, traffic_rtt_summary *s)
{
    uint64_t n = 0;
    (void)traffic_kv_u64(kv, "rtt_n", UINT64_MAX, &n);
    s->samples = n;
    (void)traffic_kv_double(kv, "rtt_min", 0, 1e12, &s->min_us);
    (void)traffic_kv_double(kv, "rtt_mean", 0, 1e12, &s->mean_us);
    (void)traffic_kv_double(kv, "rtt_p50", 0, 1e12, &s->p50_us);
    (void)traffic_kv_double(kv, "rtt_p90", 0, 1e12, &s->p90_us);
    (void)traffic_kv_double(kv, "rtt_p99", 0, 1e12, &s->p99_us);
    (void)traffic_kv_double(kv, "rtt_p999", 0, 1e12, &s->p999_us);
    (void)traffic_kv_double(kv, "rtt_max", 0, 1e12, &s->max_us);
    (void)traffic_kv_double(kv, "rtt_jitter", 0, 1e12, &s->jitter_us);
}

void traffic_trial_plan(const traffic_trial *t, unsigned tagged, double *ret_dur_s,
                        uint64_t *ret_tag_every)
{
    const double rate = t->offered_fps;
    double dur_s = t->duration_s;
    if (t->burst_frames) {
        /* a burst ends when its frames are out; the schedule only bounds it */
        dur_s = (rate > 0 ? (double)t->burst_frames / rate : 0) * 1.5 + 1.0;
    }
    uint64_t tag_every = 0;
    if (tagged) {
        double expect =
            t->burst_frames ? (double)t->burst_frames : (rate > 0 ? rate * dur_s : 1e6 * dur_s);
        tag_every = (uint64_t)(expect / tagged);
        if (tag_every < 1)
            tag_every = 1;
    }
    *ret_dur_s = dur_s;
    *ret_tag_every = tag_every;
}

int traffic_agent_send(traffic_conn *conn, const traffic_observer *obs, const traffic_agent_tx *tx,
                       traffic_gen_result *ret_gr, double *ret_cpu, traffic_kv *ret_kv)
{
    const int64_t dur_ns = (int64_t)(tx->dur_s * 1e9);
    char dp[32] = "";
    if (tx->ask_plane)
        snprintf(dp, sizeof(dp), " dataplane=%s", traffic_dataplane_name(tx->dataplane));
    int r = traffic_conn_send(
        conn,
        "tx stream=%u size=%u rate=%.3f dur_ms=%llu count=%llu tag=%llu "
        "warm_ms=%llu linger_ms=%llu threads=%u%s",
        tx->stream, tx->payload, tx->rate_fps, (unsigned long long)(dur_ns / 1000000 + 1),
        (unsigned long long)tx->count, (unsigned long long)tx->tag_every,
        (unsigned long long)(tx->warmup_s * 1000), (unsigned long long)tx->linger_ms, tx->threads,
        dp);
    if (r < 0)
        return r;
    int timeout = (int)(tx->dur_s * 1000 + tx->warmup_s * 1000 + (double)tx->linger_ms) +
                  TRAFFIC_CTRL_TIMEOUT_MS;
    r = traffic_conn_reply(conn, timeout, traffic_observer_cancelled, (void *)obs, "tx", ret_kv);
    if (r == -ECANCELED) {
        traffic_kv kv;
        (void)traffic_conn_send(conn, "abort");
        (void)traffic_conn_recv(conn, TRAFFIC_CTRL_TIMEOUT_MS, NULL, NULL, &kv);
    }
    if (r < 0)
        return r;
    traffic_gen_result gr = {0};
    int64_t ens = 0;
    (void)traffic_kv_u64(ret_kv, "tx", UINT64_MAX, &gr.tx);
    (void)traffic_kv_u64(ret_kv, "missed", UINT64_MAX, &gr.missed);
    const char *e = traffic_kv_get(ret_kv, "elapsed_ns");
    if (e)
        ens = strtoll(e, NULL, 10);
    gr.elapsed_ns = ens > 0 ? ens : 1;
    double cpu = -1;
    (void)traffic_kv_double(ret_kv, "cpu_pct", -1, 1e4, &cpu);
    *ret_gr = gr;
    *ret_cpu = cpu;
    return 0;
}

/* A sender that waited for a CPU this share of its trial (runnable, not running) was
 * starved (a tenth: a sender blocked by a shaper sleeps, it does not wait). */
#define TESTER_STARVED_PCT 10.0

/* The calling thread's run delay (time runnable but waiting for a CPU) so far, ns, from
 * /proc/thread-self/schedstat ("run_ns wait_ns slices"); -1 when the kernel has none. */
static int64_t thread_wait_ns(void)
{
    _cleanup_close_ int fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[128];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    unsigned long long run, wait;
    if (sscanf(buf, "%llu %llu", &run, &wait) != 2)
        return -1;
    return (int64_t)wait;
}

static void cpus_text(const traffic_params *p, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < p->n_tester_cpus && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%u", i ? "," : "", p->tester_cpus[i]);
}

/* The tester's data plane for this trial; its line goes to the trial. */
static int plane_open(const traffic_params *p, traffic_trial *t, int fd, unsigned payload,
                      unsigned sockets, bool sending, uint16_t stream, unsigned nstreams,
                      traffic_plane *pl)
{
    traffic_plane_spec sp = {.want = p->dataplane,
                             .payload = payload,
                             .sockets = sockets,
                             .sending = sending,
                             .stream = stream,
                             .nstreams = nstreams};
    socklen_t l = sizeof(sp.src);
    if (getsockname(fd, (struct sockaddr *)&sp.src, &l) < 0)
        return -errno;
    l = sizeof(sp.dst);
    if (getpeername(fd, (struct sockaddr *)&sp.dst, &l) < 0)
        return -errno;
    int r = traffic_plane_open(&sp, pl);
    snprintf(t->tester_plane, sizeof(t->tester_plane), "%s", pl->why);
    t->tester_dataplane = traffic_dataplane_name(pl->used);
    return r;
}

/* One trial's state, shared by its steps. */
typedef struct trial_run {
    traffic_conn *conn;
    const traffic_observer *obs;
    const traffic_params *p;
    traffic_trial *t;
    unsigned tagged, payload, threads;
    uint16_t stream;
    double rate, dur_s;
    uint64_t tag_every;
    int64_t dur_ns, straggle_ms;
    int fd; /* connected to the DUT */
    struct sockaddr_in dut;
    traffic_rx *rx;     /* TRAFFIC_XSK_MAX of them */
    unsigned n_rx_init; /* traffic_rx_done() accepts one never initialised (zeroed) */
    traffic_plane pl;
    traffic_kv kv;
    /* what the trial counted */
    traffic_gen_result gr;
    uint64_t rx_unique, reord, dup;
    double cpu, wait_pct;
} trial_run;

/* The tester sends (direction in, or reflected): the tester's generator, the agent sinks or
 * reflects.  0 or -errno; s->rx, s->pl are the caller's to release. */
static int trial_tester_sends(trial_run *s)
{
    const traffic_params *p = s->p;
    traffic_trial *t = s->t;
    traffic_rx *rx = s->rx;
    const unsigned tagged = s->tagged, payload = s->payload;
    const uint16_t stream = s->stream;
    int r;
    /* echoes of tagged frames are drained between batches (prompt RTT); a
     * reflected flow has its own receiving thread so the sender keeps pace */
    bool inline_rx = tagged && !t->reflect;
    rx_thread th = {.rx = rx, .cpu = -1};
    atomic_init(&th.stop, false);
    bool thread_started = false;
    if ((r = traffic_rx_init(rx, s->fd, TRAFFIC_RX_RETURN, payload, stream, 1)) < 0)
        return r;
    if ((r = traffic_conn_send(s->conn, "listen stream=%u size=%u mode=%s streams=%u", stream,
                               payload, t->reflect ? "reflect" : "sink", s->threads)) < 0 ||
        (r = traffic_conn_reply(s->conn, TRAFFIC_CTRL_TIMEOUT_MS, NULL, NULL, "listen", &s->kv)) < 0)
        return r;
    r = learn(s->fd, &s->dut, payload, p, s->obs);
    if (r == 0 && (r = plane_open(p, t, s->fd, payload, s->threads, true, stream, 1, &s->pl)) == 0 &&
        s->pl.used == TRAFFIC_DATAPLANE_XDP) {
        /* the DUT's frames (echoes, reflected frames) now arrive at the first socket */
        traffic_plane_rx(&s->pl, 0, rx);
        s->threads = s->pl.n < s->threads ? s->pl.n : s->threads;
    }
    if (r == 0 && t->reflect) {
        r = -pthread_create(&th.tid, NULL, rx_thread_main, &th);
        thread_started = r == 0;
    }
    if (r == 0) {
        traffic_gen_spec g = {.fd = s->fd,
                              .dst = s->dut,
                              .payload = payload,
                              .stream = stream,
                              .rate_fps = s->rate,
                              .duration_ns = s->dur_ns,
                              .count = t->burst_frames,
                              .tag_every = s->tag_every,
                              .echo_rx = inline_rx ? rx : NULL,
                              .threads = s->threads,
                              .cpus = p->tester_cpus,
                              .n_cpus = p->n_tester_cpus,
                              .first_seq = ((uint64_t)stream << 48) ^ 0xa11ce};
        for (unsigned k = 0; k < s->pl.n; k++)
            g.xsk[k] = s->pl.xsk[k];
        int64_t wait0 = thread_wait_ns();
        r = traffic_gen_run(&g, traffic_observer_cancelled, (void *)s->obs, &s->gr);
        int64_t wait1 = thread_wait_ns();
        if (wait0 >= 0 && wait1 >= wait0 && s->gr.elapsed_ns > 0)
            s->wait_pct = 100.0 * (double)(wait1 - wait0) / (double)s->gr.elapsed_ns;
    }
    if (r == 0)
        r = traffic_wait_ms(s->obs, inline_rx ? rx : NULL, s->straggle_ms);
    if (thread_started) {
        atomic_store(&th.stop, true);
        pthread_join(th.tid, NULL);
    }
    int rs = traffic_agent_stop(s->conn, &s->kv);
    if (r == 0)
        r = rs;
    if (r < 0)
        return r;
    (void)traffic_kv_double(&s->kv, "cpu_pct", -1, 1e4, &s->cpu);
    if (t->reflect) {
        if ((r = traffic_plane_fold(&s->pl, rx)) < 0)
            return r;
        traffic_rx_counts(rx, &s->rx_unique, &s->reord, &s->dup);
    } else {
        (void)traffic_kv_u64(&s->kv, "rx", UINT64_MAX, &s->rx_unique);
        (void)traffic_kv_u64(&s->kv, "reordered", UINT64_MAX, &s->reord);
        (void)traffic_kv_u64(&s->kv, "duplicated", UINT64_MAX, &s->dup);
    }
    if (tagged) {
        t->has_rtt = true;
        traffic_hist_summary(&rx->hist, &t->rtt);
    }
    return 0;
}

/* The DUT sends (direction out): receivers on the tester, the agent's generator.  0 or
 * -errno; s->rx, s->pl are the caller's to release. */
static int trial_dut_sends(trial_run *s)
{
    const traffic_params *p = s->p;
    traffic_trial *t = s->t;
    traffic_rx *rx = s->rx;
    const unsigned tagged = s->tagged, payload = s->payload;
    const uint16_t stream = s->stream;
    int r;
    /* receivers: one per tester CPU, each on its own AF_XDP socket (queue); the
     * counts are merged after the trial */
    unsigned nrx = p->n_tester_cpus ? p->n_tester_cpus : 1;
    if ((r = plane_open(p, t, s->fd, payload, nrx, false, stream, TRAFFIC_MAX_STREAMS, &s->pl)) <
        0)
        return r;
    nrx = s->pl.used == TRAFFIC_DATAPLANE_XDP ? s->pl.n : 1;
    rx_thread th[TRAFFIC_XSK_MAX];
    unsigned started = 0;
    for (unsigned k = 0; k < nrx && r == 0; k++) {
        if ((r = traffic_rx_init(&rx[k], s->fd, TRAFFIC_RX_SINK, payload, stream,
                                 TRAFFIC_MAX_STREAMS)) < 0)
            break;
        s->n_rx_init = k + 1;
        traffic_plane_rx(&s->pl, k, &rx[k]);
        th[k] = (rx_thread){.rx = &rx[k], .cpu = p->n_tester_cpus ? (int)p->tester_cpus[k] : -1};
        atomic_init(&th[k].stop, false);
        if ((r = -pthread_create(&th[k].tid, NULL, rx_thread_main, &th[k])) == 0)
            started++;
    }
    if (r < 0) {
        for (unsigned k = 0; k < started; k++) {
            atomic_store(&th[k].stop, true);
            pthread_join(th[k].tid, NULL);
        }
        return r;
    }
    const traffic_agent_tx tx = {.stream = stream,
                                 .payload = payload,
                                 .rate_fps = s->rate,
                                 .dur_s = s->dur_s,
                                 .count = t->burst_frames,
                                 .tag_every = s->tag_every,
                                 .warmup_s = p->warmup_s,
                                 .linger_ms = tagged ? (uint64_t)s->straggle_ms : 0,
                                 .threads = p->senders};
    r = traffic_agent_send(s->conn, s->obs, &tx, &s->gr, &s->cpu, &s->kv);
    if (r == 0 && !tagged)
        r = traffic_wait_ms(s->obs, NULL, s->straggle_ms);
    for (unsigned k = 0; k < started; k++) {
        atomic_store(&th[k].stop, true);
        pthread_join(th[k].tid, NULL);
    }
    if (r < 0)
        return r;
    for (unsigned k = 1; k < nrx; k++)
        traffic_rx_merge(rx, &rx[k]);
    if ((r = traffic_plane_fold(&s->pl, rx)) < 0)
        return r;
    traffic_rx_counts(rx, &s->rx_unique, &s->reord, &s->dup);
    if (tagged) {
        t->has_rtt = true;
        traffic_kv_rtt(&s->kv, &t->rtt);
    }
    return 0;
}

static int run_trial(traffic_runner *rn, const traffic_params *p, traffic_trial *t, unsigned tagged)
{
    traffic_conn *conn = rn->ctx;
    int r = traffic_agent_ensure(conn, p->dut_addr, p->dut_port, p->tester_addr, p->tester_port);
    if (r < 0)
        return r;

    const unsigned payload = traffic_frame_payload(t->frame_size);
    if (!payload)
        return -EINVAL;
    /* each trial takes TRAFFIC_MAX_STREAMS consecutive ids (parallel senders) */
    conn->stream = (uint16_t)(conn->stream + TRAFFIC_MAX_STREAMS);
    if (conn->stream == 0 || conn->stream + TRAFFIC_MAX_STREAMS - 1 > TRAFFIC_TAG_STREAM)
        conn->stream = 1;
    trial_run s = {.conn = conn,
                   .obs = rn->obs,
                   .p = p,
                   .t = t,
                   .tagged = tagged,
                   .payload = payload,
                   .stream = conn->stream,
                   .rate = t->offered_fps,
                   .n_rx_init = 1,
                   .cpu = -1,
                   .wait_pct = -1,
                   .straggle_ms = (int64_t)(p->straggler_s * 1000)};
    traffic_trial_plan(t, tagged, &s.dur_s, &s.tag_every);
    s.dur_ns = (int64_t)(s.dur_s * 1e9);
    /* As fast as possible: one sender per core (the frames stay one flow). */
    s.threads = 1;
    if (s.rate <= 0 && !tagged && !t->reflect && !t->burst_frames && p->senders > 1) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        s.threads = p->senders < TRAFFIC_MAX_STREAMS ? p->senders : TRAFFIC_MAX_STREAMS;
        if (n > 0 && s.threads > (unsigned)n)
            s.threads = (unsigned)n;
    }

    _cleanup_close_ int fd = -1;
    if ((r = traffic_udp_socket(p->tester_addr, p->tester_port, &fd)) < 0)
        return r;
    s.fd = fd;
    s.dut = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(p->dut_port)};
    if (inet_pton(AF_INET, p->dut_addr, &s.dut.sin_addr) != 1)
        return -EINVAL;
    /* connected: the route is looked up once, and only the DUT's frames arrive */
    if (connect(fd, (struct sockaddr *)&s.dut, sizeof(s.dut)) < 0)
        return -errno;
    _cleanup_free_ traffic_rx *rx = calloc(TRAFFIC_XSK_MAX, sizeof(*rx));
    if (!rx)
        return -ENOMEM;
    s.rx = rx;
    cpus_text(p, t->tester_cpus, sizeof(t->tester_cpus));

    r = t->direction == TRAFFIC_DIR_IN || t->reflect ? trial_tester_sends(&s) : trial_dut_sends(&s);
    if (r < 0)
        goto out_rx;
    traffic_trial_finish(t, &s.gr, s.rx_unique, s.reord, s.dup, s.cpu);
    t->tester_wait_pct = s.wait_pct;
    /* the tester's own sender kept off its CPU: a tester fault, not the path
     * holding it back (the search retries these, never takes them as findings) */
    if (!t->valid && t->reason && !strcmp(t->reason, "generator-limited") &&
        s.wait_pct > TESTER_STARVED_PCT)
        t->reason = "tester-starved";
out_rx:
    for (unsigned k = 0; k < s.n_rx_init; k++)
        traffic_rx_done(&rx[k]);
    traffic_plane_close(&s.pl);
    return r;
}

void traffic_runner_conn(traffic_runner *r, traffic_conn *conn, const traffic_observer *obs)
{
    r->run = run_trial;
    r->ctx = conn;
    r->obs = obs;
}
