/* SPDX-License-Identifier: MIT */
/* vexp-traffic send and count: the tester's generator and receiver alone. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "main-tools.h"
#include "traffic-priv.h"

/* ---- send / count: the tester's data plane alone (bench/engine.sh) ---- */

enum { T_SRC = 256, T_DST, T_SPORT, T_DPORT, T_FRAME, T_SECS, T_N, T_DP, T_CPUS, T_DROP, T_ADDR, T_COUNT_IN };

static const struct option tool_opts[] = {
    {"src", required_argument, NULL, T_SRC},
    {"dst", required_argument, NULL, T_DST},
    {"addr", required_argument, NULL, T_ADDR},
    {"src-port", required_argument, NULL, T_SPORT},
    {"dst-port", required_argument, NULL, T_DPORT},
    {"port", required_argument, NULL, T_SPORT},
    {"frame-size", required_argument, NULL, T_FRAME},
    {"seconds", required_argument, NULL, T_SECS},
    {"senders", required_argument, NULL, T_N},
    {"receivers", required_argument, NULL, T_N},
    {"tester-dataplane", required_argument, NULL, T_DP},
    {"tester-cpus", required_argument, NULL, T_CPUS},
    {"drop", no_argument, NULL, T_DROP},
    {"count-in", required_argument, NULL, T_COUNT_IN},
    {NULL, 0, NULL, 0},
};

typedef struct tool_args {
    const char *src, *dst;
    uint16_t sport, dport;
    unsigned frame, n, dataplane, cpus[TRAFFIC_MAX_TESTER_CPUS], n_cpus;
    double secs;
    bool drop, in_socket;
} tool_args;

static int tool_parse(const char *cmd, int argc, char **argv, tool_args *a)
{
    *a = (tool_args){.sport = 17001, .dport = 17000, .frame = 64, .n = 1, .secs = 10};
    uint64_t v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", tool_opts, NULL)) != -1) {
        switch (c) {
        case T_SRC:
        case T_ADDR:
            a->src = optarg;
            break;
        case T_DST:
            a->dst = optarg;
            break;
        case T_SPORT:
        case T_DPORT:
            if (traffic_parse_u64(optarg, 65535, &v) < 0 || v == 0)
                goto bad;
            *(c == T_SPORT ? &a->sport : &a->dport) = (uint16_t)v;
            break;
        case T_FRAME:
            if (traffic_parse_u64(optarg, 9018, &v) < 0 || !traffic_frame_payload((unsigned)v))
                goto bad;
            a->frame = (unsigned)v;
            break;
        case T_SECS:
            if (traffic_parse_double(optarg, 0.1, 3600, &a->secs) < 0)
                goto bad;
            break;
        case T_N:
            if (traffic_parse_u64(optarg, TRAFFIC_MAX_STREAMS, &v) < 0 || v == 0)
                goto bad;
            a->n = (unsigned)v;
            break;
        case T_DP: {
            int d = traffic_dataplane_from_name(optarg);
            if (d < 0)
                goto bad;
            a->dataplane = (unsigned)d;
            break;
        }
        case T_CPUS:
            if (traffic_cpus_from_list(optarg, a->cpus, TRAFFIC_MAX_TESTER_CPUS, &a->n_cpus) < 0)
                goto bad;
            break;
        case T_DROP:
            a->drop = true;
            break;
        case T_COUNT_IN:
            if (strcmp(optarg, "xdp") != 0 && strcmp(optarg, "socket") != 0)
                goto bad;
            a->in_socket = strcmp(optarg, "socket") == 0;
            break;
        default:
            vexp_traffic_usage(stderr);
            return 2;
        }
    }
    if (optind < argc || !a->src || (strcmp(cmd, "send") == 0 && !a->dst)) {
        vexp_traffic_usage(stderr);
        return 2;
    }
    return 0;
bad:
    fprintf(stderr, "vexp-traffic %s: invalid value '%s'\n", cmd, optarg);
    return 2;
}

static int sockaddr_of(const char *addr, uint16_t port, struct sockaddr_in *ret)
{
    *ret = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(port)};
    return inet_pton(AF_INET, addr, &ret->sin_addr) == 1 ? 0 : -EINVAL;
}

int traffic_cmd_send(int argc, char **argv)
{
    tool_args a;
    int r = tool_parse("send", argc, argv, &a);
    if (r)
        return r;
    struct sockaddr_in src, dst;
    if (sockaddr_of(a.src, a.sport, &src) < 0 || sockaddr_of(a.dst, a.dport, &dst) < 0) {
        fprintf(stderr, "vexp-traffic send: --src and --dst must be IPv4 addresses\n");
        return 2;
    }
    int fd;
    if ((r = traffic_udp_socket(a.src, a.sport, &fd)) < 0 ||
        (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 && (r = -errno))) {
        fprintf(stderr, "vexp-traffic send: socket %s:%u: %s\n", a.src, a.sport, strerror(-r));
        return 3;
    }
    const unsigned payload = traffic_frame_payload(a.frame);
    /* the neighbour entry the prebuilt frames need: one datagram resolves it */
    struct pollfd pfd = {.fd = fd};
    uint8_t hello[TRAFFIC_HDR_LEN] = {0};
    (void)send(fd, hello, sizeof(hello), 0);
    (void)poll(&pfd, 0, 100);
    traffic_plane pl;
    traffic_plane_spec sp = {.want = a.dataplane,
                             .src = src,
                             .dst = dst,
                             .payload = payload,
                             .sockets = a.n,
                             .sending = true};
    if ((r = traffic_plane_open(&sp, &pl)) < 0) {
        fprintf(stderr, "vexp-traffic send: AF_XDP: %s\n", pl.why);
        traffic_plane_close(&pl);
        close(fd);
        return 3;
    }
    fprintf(stderr, "vexp-traffic send: tester data plane: %s\n", pl.why);
    traffic_gen_spec g = {.fd = fd,
                          .dst = dst,
                          .payload = payload,
                          .stream = 1,
                          .duration_ns = (int64_t)(a.secs * 1e9),
                          .threads = a.n,
                          .cpus = a.cpus,
                          .n_cpus = a.n_cpus,
                          .first_seq = 1};
    if (pl.used == TRAFFIC_DATAPLANE_XDP) {
        g.threads = pl.n;
        for (unsigned k = 0; k < pl.n; k++)
            g.xsk[k] = pl.xsk[k];
    }
    traffic_gen_result gr = {0};
    r = traffic_gen_run(&g, vexp_traffic_stopped, NULL, &gr);
    traffic_plane_close(&pl);
    close(fd);
    if (r < 0 && r != -ECANCELED) {
        fprintf(stderr, "vexp-traffic send: %s\n", strerror(-r));
        return 3;
    }
    double el = (double)gr.elapsed_ns / 1e9;
    printf("{\"type\":\"send\",\"dataplane\":\"%s\",\"senders\":%u,\"frame_size\":%u,\"tx\":%llu,"
           "\"elapsed_s\":%.6f,\"fps\":%.0f}\n",
           traffic_dataplane_name(pl.used), g.threads, a.frame, (unsigned long long)gr.tx, el,
           (double)gr.tx / el);
    return 0;
}

typedef struct count_thread {
    traffic_rx rx;
    unsigned cpu;
    bool pin;
    int64_t end_ns, first_ns, last_ns;
    pthread_t tid;
} count_thread;

static void *count_main(void *ud)
{
    count_thread *t = ud;
    if (t->pin)
        (void)traffic_pin_self(t->cpu, NULL);
    while (!vexp_traffic_stopped(NULL)) {
        int64_t now = traffic_now_ns();
        if (now >= t->end_ns)
            break;
        struct pollfd pfd = {.fd = t->rx.fd, .events = POLLIN};
        if (poll(&pfd, 1, 20) <= 0)
            continue;
        int n = traffic_rx_drain(&t->rx);
        if (n > 0) {
            now = traffic_now_ns();
            if (!t->first_ns)
                t->first_ns = now;
            t->last_ns = now;
        }
    }
    return NULL;
}

int traffic_cmd_count(int argc, char **argv)
{
    tool_args a;
    int r = tool_parse("count", argc, argv, &a);
    if (r)
        return r;
    struct sockaddr_in src;
    if (sockaddr_of(a.src, a.sport, &src) < 0) {
        fprintf(stderr, "vexp-traffic count: --addr must be an IPv4 address\n");
        return 2;
    }
    if (a.drop) {
        char dev[IF_NAMESIZE];
        traffic_xdp *x = NULL;
        if ((r = traffic_dev_of_addr(src.sin_addr, dev)) < 0 ||
            (r = traffic_xdp_open(dev, &(traffic_xdp_spec){.port = a.sport, .mode = TRAFFIC_XDP_DROP},
                                  &x)) < 0) {
            fprintf(stderr, "vexp-traffic count --drop: %s\n", strerror(-r));
            return 3;
        }
        printf("{\"type\":\"drop\",\"dev\":\"%s\",\"port\":%u}\n", dev, a.sport);
        fflush(stdout);
        int64_t end = traffic_now_ns() + (int64_t)(a.secs * 1e9);
        while (!vexp_traffic_stopped(NULL) && traffic_now_ns() < end)
            (void)poll(NULL, 0, 20);
        traffic_xdp_close(x);
        return 0;
    }
    int fd;
    if ((r = traffic_udp_socket(a.src, a.sport, &fd)) < 0) {
        fprintf(stderr, "vexp-traffic count: socket %s:%u: %s\n", a.src, a.sport, strerror(-r));
        return 3;
    }
    const unsigned payload = traffic_frame_payload(a.frame);
    traffic_plane pl;
    traffic_plane_spec sp = {
        .want = a.dataplane,
        .src = src,
        .dst = src,
        .payload = payload,
        .sockets = a.n,
        .stream = 1,
        .nstreams = a.in_socket ? 0 : TRAFFIC_MAX_STREAMS};
    if ((r = traffic_plane_open(&sp, &pl)) < 0) {
        fprintf(stderr, "vexp-traffic count: AF_XDP: %s\n", pl.why);
        traffic_plane_close(&pl);
        close(fd);
        return 3;
    }
    fprintf(stderr, "vexp-traffic count: tester data plane: %s\n", pl.why);
    unsigned n = pl.used == TRAFFIC_DATAPLANE_XDP ? pl.n : 1;
    static count_thread th[TRAFFIC_MAX_STREAMS];
    const int64_t end = traffic_now_ns() + (int64_t)(a.secs * 1e9);
    unsigned started = 0;
    for (unsigned k = 0; k < n && r == 0; k++) {
        if ((r = traffic_rx_init(&th[k].rx, fd, TRAFFIC_RX_SINK, payload, 1, TRAFFIC_MAX_STREAMS)) <
            0)
            break;
        traffic_plane_rx(&pl, k, &th[k].rx);
        th[k].end_ns = end;
        th[k].pin = a.n_cpus > 0;
        th[k].cpu = a.n_cpus ? a.cpus[k % a.n_cpus] : 0;
        if ((r = -pthread_create(&th[k].tid, NULL, count_main, &th[k])) == 0)
            started++;
    }
    /* counted in XDP: the sockets see echo requests only; the first and the last moment the
     * program's count moved, sampled every 10 ms, bound the elapsed time */
    int64_t xfirst = 0, xlast = 0;
    uint64_t xprev = 0, xbase = 0;
    while (started && traffic_xdp_counts(pl.xdp) && !vexp_traffic_stopped(NULL) &&
           traffic_now_ns() < end) {
        (void)poll(NULL, 0, 10);
        traffic_rx probe = {.nstreams = TRAFFIC_MAX_STREAMS};
        uint64_t u = 0, ro, du;
        if (traffic_plane_fold(&pl, &probe) == 0)
            traffic_rx_counts(&probe, &u, &ro, &du);
        if (u != xprev) {
            int64_t now = traffic_now_ns();
            if (!xfirst) {
                xfirst = now;
                xbase = u;
            }
            xlast = now;
            xprev = u;
        }
    }
    for (unsigned k = 0; k < started; k++)
        pthread_join(th[k].tid, NULL);
    int64_t first = xfirst, last = xlast;
    for (unsigned k = 0; k < started; k++) {
        if (th[k].first_ns && (!first || th[k].first_ns < first))
            first = th[k].first_ns;
        if (th[k].last_ns > last)
            last = th[k].last_ns;
        if (k > 0)
            traffic_rx_merge(&th[0].rx, &th[k].rx);
    }
    if (started && (r = traffic_plane_fold(&pl, &th[0].rx)) < 0)
        fprintf(stderr, "vexp-traffic count: reading the XDP program's counts: %s\n", strerror(-r));
    uint64_t uniq = 0, reord = 0, dup = 0;
    if (started)
        traffic_rx_counts(&th[0].rx, &uniq, &reord, &dup);
    double el = last > first ? (double)(last - first) / 1e9 : 0;
    printf("{\"type\":\"count\",\"dataplane\":\"%s\",\"receivers\":%u,\"rx\":%llu,"
           "\"reordered\":%llu,\"duplicated\":%llu,\"foreign\":%llu,\"elapsed_s\":%.6f,"
           "\"fps\":%.0f}\n",
           traffic_dataplane_name(pl.used), started, (unsigned long long)uniq,
           (unsigned long long)reord, (unsigned long long)dup,
           (unsigned long long)(started ? th[0].rx.foreign : 0), el,
           el > 0 ? (double)(uniq - xbase) / el : 0);
    for (unsigned k = 0; k < n; k++)
        traffic_rx_done(&th[k].rx);
    traffic_plane_close(&pl);
    close(fd);
    return r < 0 ? 3 : 0;
}
