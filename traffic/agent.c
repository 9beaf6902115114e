/* SPDX-License-Identifier: MIT */
/* The agent (DUT side, or a remote tester's): one command per line on stdin, one JSON reply per
 * line on stdout. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include "cleanup.h"
#include "traffic-priv.h"
#include "vexp-config.h"

#define IN_BUF 4096u
#define LEARN_FRAMES 16u

typedef struct agent {
    int in_fd, out_fd;
    char in[IN_BUF];
    size_t in_len;
    bool discarding; /* inside an over-long line */
    bool eof;
    int sock;
    struct sockaddr_in tester;
    traffic_rx *rx; /* listening when non-NULL: nrx receivers, one per socket of pl */
    unsigned nrx;
    traffic_plane pl; /* the listen's data plane (a tester's agent asked for one) */
    uint64_t cpu_busy, cpu_total;
    bool abort_seen;
    bool hello_refused; /* the last hello was refused: nothing but hello/ping/quit */
} agent;

static int agent_write(agent *a, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(a->out_fd, s, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                struct pollfd pfd = {.fd = a->out_fd, .events = POLLOUT};
                (void)poll(&pfd, 1, 1000);
                continue;
            }
            return -errno;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

__attribute__((format(printf, 2, 3))) static int reply(agent *a, const char *fmt, ...)
{
    char buf[TRAFFIC_LINE_MAX * 2];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(buf) - 1)
        return -ENOBUFS;
    buf[n++] = '\n';
    return agent_write(a, buf, (size_t)n);
}

static int reply_error(agent *a, const char *what, const char *detail)
{
    /* clipped to what the tester's parser keeps of a value: a longer one fails the line */
    char msg[TRAFFIC_KV_VAL], esc[2 * TRAFFIC_KV_VAL];
    int n = snprintf(msg, sizeof(msg), "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
    if (n >= (int)sizeof(msg))
        memcpy(msg + sizeof(msg) - 4, "...", 4);
    traffic_json_escape(esc, sizeof(esc), msg);
    return reply(a, "{\"type\":\"error\",\"ok\":false,\"error\":\"%s\"}", esc);
}

static void cpu_start(agent *a)
{
    if (traffic_cpu_sample(&a->cpu_busy, &a->cpu_total) < 0)
        a->cpu_total = 0;
}

static double cpu_pct(const agent *a)
{
    uint64_t busy, total;
    if (a->cpu_total == 0 || traffic_cpu_sample(&busy, &total) < 0 || total <= a->cpu_total)
        return -1;
    return 100.0 * (double)(busy - a->cpu_busy) / (double)(total - a->cpu_total);
}

static void stop_rx(agent *a)
{
    for (unsigned k = 0; k < a->nrx; k++)
        traffic_rx_done(&a->rx[k]);
    free(a->rx);
    a->rx = NULL;
    a->nrx = 0;
    traffic_plane_close(&a->pl);
}

_Static_assert(sizeof(((traffic_plane *)0)->why) <= TRAFFIC_KV_VAL,
               "a plane's line must fit a reply's value");

/* The data plane asked for on the agent's socket (bound to its address, connected to the
 * peer's); sending or receiving as traffic_plane_spec.  0, or -errno with pl->why saying why
 * (with want XDP and no AF_XDP possible).  Close with traffic_plane_close(). */
static int agent_plane(const agent *a, enum traffic_dataplane want, unsigned payload,
                       unsigned sockets, bool sending, uint16_t stream, unsigned nstreams,
                       traffic_plane *pl)
{
    traffic_plane_spec sp = {.want = want,
                             .dst = a->tester,
                             .payload = payload,
                             .sockets = sockets,
                             .sending = sending,
                             .stream = stream,
                             .nstreams = nstreams};
    socklen_t l = sizeof(sp.src);
    if (getsockname(a->sock, (struct sockaddr *)&sp.src, &l) < 0) {
        int r = -errno;
        memset(pl, 0, sizeof(*pl));
        snprintf(pl->why, sizeof(pl->why), "the agent's socket has no address (%s)", strerror(-r));
        return r;
    }
    return traffic_plane_open(&sp, pl);
}

/* The reply's keys saying which plane runs and why ("" when none was asked for). */
static void plane_keys(const traffic_plane *pl, bool asked, char *buf, size_t len)
{
    char esc[2 * sizeof(pl->why)];
    buf[0] = '\0';
    if (!asked)
        return;
    traffic_json_escape(esc, sizeof(esc), pl->why);
    snprintf(buf, len, ",\"dataplane\":\"%s\",\"plane\":\"%s\"", traffic_dataplane_name(pl->used),
             esc);
}

static void plane_closep(traffic_plane *pl)
{
    traffic_plane_close(pl);
}

static int cmd_hello(agent *a, const traffic_kv *kv)
{
    uint64_t proto;
    struct utsname u;
    if (uname(&u) < 0)
        memset(&u, 0, sizeof(u));
    char kernel[160], machine[160];
    traffic_json_escape(kernel, sizeof(kernel), u.release);
    traffic_json_escape(machine, sizeof(machine), u.machine);
    a->hello_refused = true;
    if (traffic_kv_u64(kv, "proto", 1000000, &proto) < 0)
        return reply_error(a, "hello", "proto=N missing");
    if (proto != TRAFFIC_PROTO_VERSION)
        return reply(a,
                     "{\"type\":\"error\",\"ok\":false,\"proto\":%d,\"error\":\"protocol version "
                     "mismatch: agent speaks %d, tester %llu\"}",
                     TRAFFIC_PROTO_VERSION, TRAFFIC_PROTO_VERSION, (unsigned long long)proto);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    a->hello_refused = false;
    return reply(a,
                 "{\"type\":\"hello\",\"ok\":true,\"proto\":%d,\"version\":\"%s\","
                 "\"kernel\":\"%s\",\"machine\":\"%s\",\"ncpu\":%ld}",
                 TRAFFIC_PROTO_VERSION, VEXP_VERSION, kernel, machine, ncpu > 0 ? ncpu : 1);
}

static int cmd_setup(agent *a, const traffic_kv *kv)
{
    const char *dut = traffic_kv_get(kv, "dut"), *tester = traffic_kv_get(kv, "tester");
    uint64_t port, tport;
    if (!dut || !tester || traffic_kv_u64(kv, "port", 65535, &port) < 0 || port == 0 ||
        traffic_kv_u64(kv, "tport", 65535, &tport) < 0 || tport == 0)
        return reply_error(a, "setup", "needs dut=ADDR port=N tester=ADDR tport=N");
    struct sockaddr_in t = {.sin_family = AF_INET, .sin_port = htons((uint16_t)tport)};
    if (inet_pton(AF_INET, tester, &t.sin_addr) != 1)
        return reply_error(a, "setup", "tester is not an IPv4 address");
    stop_rx(a);
    if (a->sock >= 0)
        close(a->sock);
    a->sock = -1;
    int r = traffic_udp_socket(dut, (uint16_t)port, &a->sock);
    if (r < 0)
        return reply_error(a, "setup: cannot bind the dut address", strerror(-r));
    /* connected to the tester: one route lookup, and nobody else's datagrams */
    if (connect(a->sock, (struct sockaddr *)&t, sizeof(t)) < 0) {
        int err = errno;
        /* no half set-up socket: listen and tx must keep saying "no setup yet" */
        close(a->sock);
        a->sock = -1;
        return reply_error(a, "setup: cannot connect to the tester address", strerror(err));
    }
    a->tester = t;
    return reply(a, "{\"type\":\"setup\",\"ok\":true}");
}

static int get_stream_size(agent *a, const traffic_kv *kv, uint64_t *stream, uint64_t *size,
                           const char *verb)
{
    if (a->sock < 0) {
        reply_error(a, verb, "no setup yet");
        return -EINVAL;
    }
    if (traffic_kv_u64(kv, "stream", TRAFFIC_TAG_STREAM, stream) < 0 ||
        traffic_kv_u64(kv, "size", TRAFFIC_FRAME_MAX - TRAFFIC_FRAME_OVERHEAD, size) < 0 ||
        *size < TRAFFIC_HDR_LEN) {
        reply_error(a, verb, "needs stream=0..16383 size=18..8972");
        return -EINVAL;
    }
    return 0;
}

static int cmd_listen(agent *a, const traffic_kv *kv)
{
    uint64_t stream, size;
    if (get_stream_size(a, kv, &stream, &size, "listen") < 0)
        return 0;
    const char *mode = traffic_kv_get(kv, "mode");
    enum traffic_rx_mode m;
    if (!mode || strcmp(mode, "sink") == 0)
        m = TRAFFIC_RX_SINK;
    else if (strcmp(mode, "reflect") == 0)
        m = TRAFFIC_RX_REFLECT;
    else
        return reply_error(a, "listen", "mode is sink or reflect");
    enum traffic_dataplane want;
    int asked = traffic_kv_dataplane(kv, &want);
    if (asked < 0)
        return reply_error(a, "listen", "dataplane is auto, xdp or socket");
    stop_rx(a);
    /* Frames of an earlier trial still queued are not this trial's. */
    traffic_rx *old = calloc(1, sizeof(*old));
    if (old && traffic_rx_init(old, a->sock, TRAFFIC_RX_SINK, (unsigned)size, 0x3fff, 1) == 0)
        (void)traffic_rx_drain(old);
    if (old) {
        traffic_rx_done(old);
        free(old);
    }
    uint64_t nstreams = 1;
    if (traffic_kv_get(kv, "streams") &&
        (traffic_kv_u64(kv, "streams", TRAFFIC_MAX_STREAMS, &nstreams) < 0 || nstreams == 0))
        return reply_error(a, "listen", "streams=1..4");
    if (stream + nstreams - 1 > TRAFFIC_TAG_STREAM)
        return reply_error(a, "listen", "stream ids out of range");
    /* one socket per queue; sinking, the XDP program counts (the receivers see the echo
     * requests only), reflecting, every frame goes to a receiver, which sends it back */
    if (asked && agent_plane(a, want, (unsigned)size, TRAFFIC_XSK_MAX, false, (uint16_t)stream,
                             m == TRAFFIC_RX_REFLECT ? 0 : (unsigned)nstreams, &a->pl) < 0) {
        char why[sizeof(a->pl.why)];
        snprintf(why, sizeof(why), "%s", a->pl.why);
        stop_rx(a);
        return reply_error(a, "listen: no AF_XDP", why);
    }
    unsigned n = a->pl.used == TRAFFIC_DATAPLANE_XDP ? a->pl.n : 1;
    a->rx = calloc(n, sizeof(*a->rx));
    for (unsigned k = 0; a->rx && k < n; k++) {
        if (traffic_rx_init(&a->rx[k], a->sock, m, (unsigned)size, (uint16_t)stream,
                            (unsigned)nstreams) < 0)
            break;
        a->nrx = k + 1;
        traffic_plane_rx(&a->pl, k, &a->rx[k]);
    }
    if (a->nrx < n) {
        stop_rx(a);
        return reply_error(a, "listen", "out of memory");
    }
    cpu_start(a);
    char keys[2 * sizeof(a->pl.why) + 64];
    plane_keys(&a->pl, asked, keys, sizeof(keys));
    return reply(a, "{\"type\":\"listen\",\"ok\":true%s}", keys);
}

static int cmd_stop(agent *a)
{
    if (!a->rx)
        return reply_error(a, "stop", "not listening");
    for (unsigned k = 0; k < a->nrx; k++)
        (void)traffic_rx_drain(&a->rx[k]);
    for (unsigned k = 1; k < a->nrx; k++)
        traffic_rx_merge(&a->rx[0], &a->rx[k]);
    /* what the XDP program counted, once, now that the receivers have stopped */
    int fr = traffic_plane_fold(&a->pl, &a->rx[0]);
    if (fr < 0) {
        stop_rx(a);
        return reply_error(a, "stop: cannot read the XDP program's counts", strerror(-fr));
    }
    const traffic_rx *rx = a->rx;
    uint64_t unique, reordered, duplicated;
    traffic_rx_counts(rx, &unique, &reordered, &duplicated);
    int r = reply(a,
                  "{\"type\":\"stop\",\"ok\":true,\"rx\":%llu,\"reordered\":%llu,"
                  "\"duplicated\":%llu,\"foreign\":%llu,\"reflected\":%llu,\"cpu_pct\":%.2f}",
                  (unsigned long long)unique, (unsigned long long)reordered,
                  (unsigned long long)duplicated, (unsigned long long)rx->foreign,
                  (unsigned long long)rx->reflected, cpu_pct(a));
    stop_rx(a);
    return r;
}

/* Read what stdin has without blocking; returns -1 on EOF/error. */
static int fill_input(agent *a)
{
    if (a->in_len >= sizeof(a->in)) {
        /* full of complete lines (queued during a tx): read nothing more until
         * they are served, never drop one */
        if (memchr(a->in, '\n', a->in_len))
            return 0;
        /* A line longer than the buffer: drop it, remember to skip its rest. */
        a->in_len = 0;
        a->discarding = true;
    }
    ssize_t n = read(a->in_fd, a->in + a->in_len, sizeof(a->in) - a->in_len);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    /* EOF; errors too (a tester that closes with replies unread resets a socket) */
    if (n <= 0) {
        a->eof = true;
        return -1;
    }
    a->in_len += (size_t)n;
    return 0;
}

/* Offset of the first complete line that is exactly "abort" (a trailing CR
 * allowed), or -1.  Other lines stay queued and are answered in order. */
static ssize_t find_abort(const agent *a)
{
    size_t off = 0;

    while (off < a->in_len) {
        const char *nl = memchr(a->in + off, '\n', a->in_len - off);
        if (!nl)
            return -1;
        size_t len = (size_t)(nl - (a->in + off));
        if (len > 0 && a->in[off + len - 1] == '\r')
            len--;
        if (len == 5 && memcmp(a->in + off, "abort", 5) == 0)
            return (ssize_t)off;
        off = (size_t)(nl - a->in) + 1;
    }
    return -1;
}

/* Generator poll: cancel on an "abort" line or EOF; other input waits in the buffer. */
static int tx_poll(void *ud)
{
    agent *a = ud;
    struct pollfd pfd = {.fd = a->in_fd, .events = POLLIN};
    if (poll(&pfd, 1, 0) > 0) {
        if (fill_input(a) < 0)
            return 1;
        if (find_abort(a) >= 0) {
            a->abort_seen = true;
            return 1;
        }
    }
    return 0;
}

static int cmd_tx(agent *a, const traffic_kv *kv)
{
    uint64_t stream, size, dur_ms = 0, count = 0, tag = 0, warm_ms = 0, linger_ms = 0, threads = 1;
    double rate = 0;
    if (get_stream_size(a, kv, &stream, &size, "tx") < 0)
        return 0;
    if (traffic_kv_double(kv, "rate", 0, 1e8, &rate) < 0 ||
        traffic_kv_u64(kv, "dur_ms", 3600 * 1000, &dur_ms) < 0 || dur_ms == 0)
        return reply_error(a, "tx", "needs rate=0..1e8 dur_ms=1..3600000");
    if ((traffic_kv_get(kv, "count") && traffic_kv_u64(kv, "count", 10000000000ull, &count) < 0) ||
        (traffic_kv_get(kv, "tag") && traffic_kv_u64(kv, "tag", 1000000000ull, &tag) < 0) ||
        (traffic_kv_get(kv, "warm_ms") && traffic_kv_u64(kv, "warm_ms", 10000, &warm_ms) < 0) ||
        (traffic_kv_get(kv, "linger_ms") &&
         traffic_kv_u64(kv, "linger_ms", 60000, &linger_ms) < 0) ||
        (traffic_kv_get(kv, "threads") &&
         traffic_kv_u64(kv, "threads", TRAFFIC_MAX_STREAMS, &threads) < 0))
        return reply_error(a, "tx",
                           "count<=1e10 tag<=1e9 warm_ms<=10000 linger_ms<=60000 threads<=4");
    enum traffic_dataplane want;
    int asked = traffic_kv_dataplane(kv, &want);
    if (asked < 0)
        return reply_error(a, "tx", "dataplane is auto, xdp or socket");
    if (stream + TRAFFIC_MAX_STREAMS - 1 > TRAFFIC_TAG_STREAM)
        return reply_error(a, "tx", "stream ids out of range");
    /* parallel senders only for timed max-rate trials, one per CPU of the DUT */
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (rate > 0 || tag || count || threads < 1)
        threads = 1;
    else if (ncpu > 0 && threads > (uint64_t)ncpu)
        threads = (uint64_t)ncpu;
    stop_rx(a);

    traffic_gen_spec g = {
        .fd = a->sock,
        .dst = a->tester,
        .payload = (unsigned)size,
        .stream = 0,
        .rate_fps = 0,
        .duration_ns = 1000 * 1000 * 1000LL,
        .count = LEARN_FRAMES,
    };
    traffic_gen_result gr;
    a->abort_seen = false;
    int r = 0;
    if (warm_ms > 0) {
        /* RFC 2544 §23 learning frames (stream 0, never counted), then a pause. */
        r = traffic_gen_run(&g, tx_poll, a, &gr);
        int64_t until = traffic_now_ns() + (int64_t)warm_ms * 1000000;
        while (r == 0 && traffic_now_ns() < until && !tx_poll(a))
            usleep(10000);
        if (a->abort_seen || a->eof)
            r = -ECANCELED;
    }

    /* after the learning frames (sent on the socket): the DUT's MAC is known by now */
    _cleanup_(plane_closep) traffic_plane pl = {0};
    if (r == 0 && asked &&
        agent_plane(a, want, (unsigned)size, (unsigned)threads, true, (uint16_t)stream, 1, &pl) <
            0)
        return reply_error(a, "tx: no AF_XDP", pl.why);
    if (pl.used == TRAFFIC_DATAPLANE_XDP && pl.n < threads)
        threads = pl.n;

    _cleanup_free_ traffic_rx *echo = NULL;
    if (tag > 0) {
        echo = calloc(1, sizeof(*echo));
        if (!echo || traffic_rx_init(echo, a->sock, TRAFFIC_RX_RETURN, (unsigned)size,
                                     (uint16_t)stream, 1) < 0) {
            if (echo)
                traffic_rx_done(echo);
            return reply_error(a, "tx", "out of memory");
        }
        /* the echoes come back to the first AF_XDP socket */
        traffic_plane_rx(&pl, 0, echo);
    }
    memset(&gr, 0, sizeof(gr));
    cpu_start(a);
    if (r == 0) {
        g.stream = (uint16_t)stream;
        g.rate_fps = rate;
        g.duration_ns = (int64_t)dur_ms * 1000000;
        g.count = count;
        g.tag_every = tag;
        g.echo_rx = echo;
        g.threads = (unsigned)threads;
        g.first_seq = ((uint64_t)stream << 48) ^ 0x5eed;
        for (unsigned k = 0; k < pl.n; k++)
            g.xsk[k] = pl.xsk[k];
        r = traffic_gen_run(&g, tx_poll, a, &gr);
    }
    double cpu = cpu_pct(a);
    if (echo && r == 0) {
        int64_t until = traffic_now_ns() + (int64_t)linger_ms * 1000000;
        while (traffic_now_ns() < until && !tx_poll(a)) {
            struct pollfd pfd = {.fd = echo->fd, .events = POLLIN};
            (void)poll(&pfd, 1, 20);
            (void)traffic_rx_drain(echo);
        }
    }
    if (r == -ECANCELED) {
        if (echo)
            traffic_rx_done(echo);
        ssize_t at = a->abort_seen ? find_abort(a) : -1;
        if (at >= 0) {
            /* consume exactly the abort line: the tx reply below answers it;
             * lines queued before and after it are answered next, in order */
            char *nl = memchr(a->in + at, '\n', a->in_len - (size_t)at);
            size_t used = (size_t)(nl - (a->in + at)) + 1;
            memmove(a->in + at, nl + 1, a->in_len - (size_t)at - used);
            a->in_len -= used;
        }
        return reply(a, "{\"type\":\"tx\",\"ok\":false,\"error\":\"aborted\"}");
    }
    if (r < 0) {
        if (echo)
            traffic_rx_done(echo);
        return reply_error(a, "tx: send failed", strerror(-r));
    }
    traffic_rtt_summary s = {0};
    if (echo) {
        traffic_hist_summary(&echo->hist, &s);
        traffic_rx_done(echo);
    }
    char keys[2 * sizeof(pl.why) + 64];
    plane_keys(&pl, asked, keys, sizeof(keys));
    return reply(a,
                 "{\"type\":\"tx\",\"ok\":true,\"tx\":%llu,\"missed\":%llu,\"elapsed_ns\":%lld,"
                 "\"cpu_pct\":%.2f,\"rtt_n\":%llu,\"rtt_min\":%.3f,\"rtt_mean\":%.3f,"
                 "\"rtt_p50\":%.3f,\"rtt_p90\":%.3f,\"rtt_p99\":%.3f,\"rtt_p999\":%.3f,"
                 "\"rtt_max\":%.3f,\"rtt_jitter\":%.3f%s}",
                 (unsigned long long)gr.tx, (unsigned long long)gr.missed, (long long)gr.elapsed_ns,
                 cpu, (unsigned long long)s.samples, s.min_us, s.mean_us, s.p50_us, s.p90_us,
                 s.p99_us, s.p999_us, s.max_us, s.jitter_us, keys);
}

/* Returns 1 on quit, 0 to go on, -errno when the reply cannot be written. */
static int agent_line(agent *a, const char *line)
{
    char verb[16];
    traffic_kv kv;
    if (traffic_cmd_parse(line, verb, sizeof(verb), &kv) < 0) {
        char shown[64];
        snprintf(shown, sizeof(shown), "%.40s", line);
        return reply_error(a, "malformed command", shown);
    }
    static const struct {
        const char *verb, *keys; /* the keys a command takes, space-separated */
    } known[] = {
        {"hello", " proto "},
        {"setup", " dut port tester tport "},
        {"listen", " stream size mode streams dataplane "},
        {"tx", " stream size rate dur_ms count tag warm_ms linger_ms threads dataplane "},
        {"stop", " "},
        {"abort", " "},
        {"ping", " "},
        {"quit", " "},
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (strcmp(verb, known[i].verb) != 0)
            continue;
        for (unsigned k = 0; k < kv.n; k++) {
            char word[sizeof(kv.e[k].key) + 2];
            snprintf(word, sizeof(word), " %s ", kv.e[k].key);
            if (!strstr(known[i].keys, word)) {
                char shown[64];
                snprintf(shown, sizeof(shown), "%s %.30s", verb, kv.e[k].key);
                return reply_error(a, "unknown key", shown);
            }
        }
    }
    if (a->hello_refused && strcmp(verb, "hello") != 0 && strcmp(verb, "ping") != 0 &&
        strcmp(verb, "quit") != 0)
        return reply_error(a, "hello refused: say hello first", verb);
    if (strcmp(verb, "hello") == 0)
        return cmd_hello(a, &kv);
    if (strcmp(verb, "setup") == 0)
        return cmd_setup(a, &kv);
    if (strcmp(verb, "listen") == 0)
        return cmd_listen(a, &kv);
    if (strcmp(verb, "stop") == 0)
        return cmd_stop(a);
    if (strcmp(verb, "tx") == 0)
        return cmd_tx(a, &kv);
    if (strcmp(verb, "abort") == 0)
        return reply(a, "{\"type\":\"abort\",\"ok\":true}");
    if (strcmp(verb, "ping") == 0)
        return reply(a, "{\"type\":\"ping\",\"ok\":true}");
    if (strcmp(verb, "quit") == 0) {
        int r = reply(a, "{\"type\":\"quit\",\"ok\":true}");
        return r < 0 ? r : 1;
    }
    return reply_error(a, "unknown command", verb);
}

/* Handle every complete line in the buffer. */
static int agent_lines(agent *a)
{
    for (;;) {
        char *nl = memchr(a->in, '\n', a->in_len);
        if (!nl)
            return 0;
        size_t len = (size_t)(nl - a->in);
        bool discarding = a->discarding, too_long = len > TRAFFIC_LINE_MAX;
        char line[TRAFFIC_LINE_MAX + 1];
        int r = 0;
        if (!discarding && !too_long) {
            memcpy(line, a->in, len);
            line[len] = '\0';
        }
        /* the line leaves the buffer before it runs: a command (tx) reads and
         * consumes what arrives meanwhile (abort) */
        memmove(a->in, nl + 1, a->in_len - len - 1);
        a->in_len -= len + 1;
        if (discarding) {
            a->discarding = false;
            r = reply_error(a, "line too long", NULL);
        } else if (too_long) {
            r = reply_error(a, "line too long", NULL);
        } else if (memchr(line, '\0', len)) {
            r = reply_error(a, "malformed command", "NUL byte");
        } else if (len > 0) {
            r = agent_line(a, line);
        }
        if (r != 0)
            return r;
    }
}

int traffic_agent_main(int in_fd, int out_fd)
{
    agent a = {.in_fd = in_fd, .out_fd = out_fd, .sock = -1};
    int r = 0;
    for (;;) {
        r = agent_lines(&a);
        if (r != 0)
            break;
        if (a.eof)
            break;
        struct pollfd pfd[1 + TRAFFIC_XSK_MAX] = {{.fd = in_fd, .events = POLLIN}};
        for (unsigned k = 0; k < a.nrx; k++)
            pfd[1 + k] = (struct pollfd){.fd = a.rx[k].fd, .events = POLLIN};
        int n = poll(pfd, 1 + a.nrx, 1000);
        if (n < 0 && errno != EINTR) {
            r = -errno;
            break;
        }
        for (unsigned k = 0; n > 0 && k < a.nrx; k++)
            if (pfd[1 + k].revents & POLLIN)
                (void)traffic_rx_drain(&a.rx[k]);
        if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (fill_input(&a) < 0 && a.eof) {
                /* the tester is gone: what it still sent is served, best effort */
                (void)agent_lines(&a);
                r = 0;
                break;
            }
        }
    }
    stop_rx(&a);
    if (a.sock >= 0)
        close(a.sock);
    return r < 0 ? r : 0;
}
