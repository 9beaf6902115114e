/* SPDX-License-Identifier: MIT */
/* Data plane: UDP sockets, the paced sendmmsg generator, the recvmmsg receiver/reflector. */
#include <errno.h>
#include <sched.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "cleanup.h"
#include "traffic-priv.h"

/* Socket buffers large enough that a rate shaper's queue, not the socket,
 * is what overflows (tbf drops are the DUT's loss; a full socket would
 * make the generator fall short instead). */
#define SOCK_BUF_BYTES (8 << 20)

int traffic_udp_socket(const char *addr, uint16_t port, int *ret_fd)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
        return -EINVAL;
    _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    int one = 1, sz = SOCK_BUF_BYTES;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    /* parallel senders bind the same address and port (one flow, several streams) */
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    /* FORCE needs CAP_NET_ADMIN; without it the kernel caps at [rw]mem_max. */
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return -errno;
    *ret_fd = TAKE_FD(fd);
    return 0;
}

/* ---- generator ---- */

#define POLL_EVERY_NS (50 * 1000 * 1000LL)
/* A sender that falls behind its schedule catches up by at most this much;
 * frames beyond it are counted as missed, never sent in a long burst. */
#define MAX_BACKLOG_NS (3 * 1000 * 1000LL)
/* Frames go out in small groups spaced by this: one syscall per frame would
 * cost more than the frame at high rates; 50 µs is far below any trial. */
#define QUANTUM_NS (50 * 1000LL)

static void sleep_until(int64_t t_ns)
{
    struct timespec ts = {.tv_sec = t_ns / TRAFFIC_NS, .tv_nsec = t_ns % TRAFFIC_NS};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* Wait until t_ns; with an echo receiver, keep draining it meanwhile. */
static void gen_wait(const traffic_gen_spec *g, int64_t t_ns)
{
    int64_t now = traffic_now_ns();
    if (t_ns <= now)
        return;
    if (g->echo_rx) {
        int ms = (int)((t_ns - now) / 1000000);
        struct pollfd pfd = {.fd = g->echo_rx->fd, .events = POLLIN};
        if (ms > 0 && poll(&pfd, 1, ms) > 0)
            (void)traffic_rx_drain(g->echo_rx);
        else
            (void)traffic_rx_drain(g->echo_rx);
        return;
    }
    /* Short waits spin on the vDSO clock: a sleep costs more than the gap. */
    if (t_ns - now > 100 * 1000)
        sleep_until(t_ns - 50 * 1000);
}

static int gen_run_one(const traffic_gen_spec *g, traffic_poll_fn poll_fn, void *ud,
                       traffic_gen_result *ret)
{
    if (g->payload < TRAFFIC_HDR_LEN || g->payload > TRAFFIC_FRAME_MAX - TRAFFIC_FRAME_OVERHEAD)
        return -EINVAL;
    _cleanup_free_ uint8_t *buf = calloc(TRAFFIC_BATCH, g->payload);
    if (!buf)
        return -ENOMEM;
    struct mmsghdr msgs[TRAFFIC_BATCH];
    struct iovec iov[TRAFFIC_BATCH];
    memset(msgs, 0, sizeof(msgs));
    /* A socket connected to the destination keeps its route: no lookup per frame. */
    struct sockaddr_in peer;
    socklen_t plen = sizeof(peer);
    bool connected = getpeername(g->fd, (struct sockaddr *)&peer, &plen) == 0 &&
                     peer.sin_addr.s_addr == g->dst.sin_addr.s_addr &&
                     peer.sin_port == g->dst.sin_port;
    for (unsigned i = 0; i < TRAFFIC_BATCH; i++) {
        iov[i].iov_base = buf + (size_t)i * g->payload;
        iov[i].iov_len = g->payload;
        msgs[i].msg_hdr.msg_name = connected ? NULL : (void *)&g->dst;
        msgs[i].msg_hdr.msg_namelen = connected ? 0 : sizeof(g->dst);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    traffic_pkt *pk = NULL;
    traffic_xsk *xs = g->xsk[0];
    if (!xs && traffic_pkt_open(g->fd, &g->dst, g->payload, &pk) < 0)
        pk = NULL;
    /* Timer slack of 1 µs so sleeps end when asked. */
    (void)prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);

    const double rate = g->rate_fps;
    const uint64_t max_backlog =
        rate > 0 ? (uint64_t)(rate * MAX_BACKLOG_NS / TRAFFIC_NS) + TRAFFIC_BATCH : 0;
    uint64_t quantum = (uint64_t)(rate * QUANTUM_NS / TRAFFIC_NS);
    if (quantum < 1)
        quantum = 1;
    if (quantum > TRAFFIC_BATCH)
        quantum = TRAFFIC_BATCH;
    uint64_t sent = 0, missed = 0;
    int r = 0;
    const int64_t t0 = traffic_now_ns();
    const int64_t end = t0 + g->duration_ns;
    int64_t next_poll = t0 + POLL_EVERY_NS, now = t0, last = t0;

    for (;;) {
        now = traffic_now_ns();
        if (now >= end)
            break;
        if (g->count && sent + missed >= g->count)
            break;
        if (now >= next_poll) {
            next_poll = now + POLL_EVERY_NS;
            if (poll_fn && poll_fn(ud)) {
                r = -ECANCELED;
                break;
            }
        }
        uint64_t want = TRAFFIC_BATCH;
        int n;
        if (rate > 0) {
            uint64_t due = (uint64_t)((double)(now - t0) * rate / 1e9) + 1;
            if (g->count && due > g->count)
                due = g->count;
            uint64_t scheduled = sent + missed;
            bool last_group = g->count && due >= g->count;
            if (due <= scheduled || (due < scheduled + quantum && !last_group)) {
                int64_t next = t0 + (int64_t)((double)(scheduled + quantum - 1) * 1e9 / rate);
                if (next > end)
                    next = end;
                if (next > next_poll)
                    next = next_poll;
                gen_wait(g, next);
                continue;
            }
            uint64_t backlog = due - scheduled;
            if (backlog > max_backlog) {
                missed += backlog - max_backlog;
                backlog = max_backlog;
            }
            want = backlog < TRAFFIC_BATCH ? backlog : TRAFFIC_BATCH;
        } else if (g->count && g->count - sent < want) {
            want = g->count - sent;
        }
        if (xs) {
            n = traffic_xsk_send(xs, g->first_seq, sent, (unsigned)want, (uint64_t)now, g->stream,
                                 g->tag_every);
            sent += (uint64_t)n;
            last = traffic_now_ns();
            if (g->echo_rx)
                (void)traffic_rx_drain(g->echo_rx);
            continue;
        }
        for (uint64_t i = 0; !pk && i < want; i++) {
            uint64_t k = sent + i;
            uint16_t tag = g->stream & TRAFFIC_TAG_STREAM;
            if (g->tag_every && k % g->tag_every == 0)
                tag |= TRAFFIC_TAG_ECHO;
            traffic_hdr_put(buf + i * g->payload, g->first_seq + k, (uint64_t)now, tag);
        }
        if (pk) {
            n = traffic_pkt_send(pk, g->first_seq, sent, (unsigned)want, (uint64_t)now, g->stream,
                                 g->tag_every);
            if (n < 0) {
                r = n;
                break;
            }
            sent += (uint64_t)n;
            last = traffic_now_ns();
            if (g->echo_rx)
                (void)traffic_rx_drain(g->echo_rx);
            continue;
        }
        n = sendmmsg(g->fd, msgs, (unsigned)want, 0);
        if (n < 0) {
            /* EINTR; ECONNREFUSED: an ICMP error from an earlier frame (a connected
             * socket reports it on the next send), not this frame's fate */
            if (errno == EINTR || errno == ECONNREFUSED)
                continue;
            if (errno == EAGAIN || errno == ENOBUFS) {
                struct pollfd pfd = {.fd = g->fd, .events = POLLOUT};
                (void)poll(&pfd, 1, 1);
                continue;
            }
            r = -errno;
            break;
        }
        sent += (uint64_t)n;
        last = traffic_now_ns();
        if (g->echo_rx)
            (void)traffic_rx_drain(g->echo_rx);
    }
    traffic_pkt_close(pk);
    if (xs) {
        /* a frame counts as sent once the kernel took it from the ring */
        uint64_t unsent = traffic_xsk_flush(xs, 100 * 1000 * 1000LL);
        sent -= unsent < sent ? unsent : sent;
    }
    ret->tx = sent;
    ret->missed = missed;
    /* Elapsed: until the schedule's end, or the last frame of a counted burst. */
    ret->elapsed_ns = (g->count && sent + missed >= g->count) ? last - t0 : now - t0;
    if (ret->elapsed_ns <= 0)
        ret->elapsed_ns = 1;
    return r;
}

/* ---- parallel senders: several cores feed one flow at the maximum rate ---- */

typedef struct gen_thread {
    traffic_gen_spec spec;
    traffic_gen_result res;
    int rc;
    atomic_bool *stop;
    pthread_t tid;
    bool started;
} gen_thread;

static int stop_flag(void *ud)
{
    return atomic_load((atomic_bool *)ud);
}

/* Run the calling thread on cpu; *ret_old (may be NULL) gets its set before. */
int traffic_pin_self(unsigned cpu, cpu_set_t *ret_old)
{
    if (cpu >= CPU_SETSIZE)
        return -EINVAL;
    if (ret_old && pthread_getaffinity_np(pthread_self(), sizeof(*ret_old), ret_old) != 0)
        CPU_ZERO(ret_old);
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *gen_thread_main(void *ud)
{
    gen_thread *t = ud;
    if (t->spec.n_cpus)
        (void)traffic_pin_self(t->spec.cpus[0], NULL);
    t->rc = gen_run_one(&t->spec, stop_flag, t->stop, &t->res);
    return NULL;
}

typedef struct main_poll {
    traffic_poll_fn fn;
    void *ud;
    atomic_bool *stop;
} main_poll;

static int main_poll_fn(void *ud)
{
    main_poll *m = ud;
    if (m->fn && m->fn(m->ud)) {
        atomic_store(m->stop, true);
        return 1;
    }
    return 0;
}

static int sibling_socket(int fd, const struct sockaddr_in *dst, int *ret_fd)
{
    struct sockaddr_in src;
    socklen_t slen = sizeof(src);
    char addr[INET_ADDRSTRLEN];
    if (getsockname(fd, (struct sockaddr *)&src, &slen) < 0)
        return -errno;
    inet_ntop(AF_INET, &src.sin_addr, addr, sizeof(addr));
    int r = traffic_udp_socket(addr, ntohs(src.sin_port), ret_fd);
    if (r < 0)
        return r;
    if (connect(*ret_fd, (const struct sockaddr *)dst, sizeof(*dst)) < 0) {
        r = -errno;
        close(*ret_fd);
        return r;
    }
    return 0;
}

int traffic_gen_run(const traffic_gen_spec *g, traffic_poll_fn poll_fn, void *ud,
                    traffic_gen_result *ret)
{
    unsigned n = g->threads;
    if (n > TRAFFIC_MAX_STREAMS)
        n = TRAFFIC_MAX_STREAMS;
    if (n <= 1 || g->tag_every || g->echo_rx || (g->xsk[0] && !g->xsk[n - 1])) {
        cpu_set_t old;
        bool pinned = g->n_cpus && traffic_pin_self(g->cpus[0], &old) == 0;
        int r = gen_run_one(g, poll_fn, ud, ret);
        if (pinned && CPU_COUNT(&old))
            (void)pthread_setaffinity_np(pthread_self(), sizeof(old), &old);
        return r;
    }

    atomic_bool stop;
    atomic_init(&stop, false);
    gen_thread th[TRAFFIC_MAX_STREAMS];
    int fds[TRAFFIC_MAX_STREAMS];
    memset(th, 0, sizeof(th));
    int r = 0;
    for (unsigned k = 0; k < n; k++) {
        fds[k] = -1;
        th[k].spec = *g;
        th[k].spec.threads = 1;
        th[k].spec.stream = (uint16_t)(g->stream + k);
        th[k].spec.rate_fps = g->rate_fps / n;
        th[k].spec.count = g->count ? g->count / n + (k < g->count % n) : 0;
        th[k].stop = &stop;
        memset(th[k].spec.xsk, 0, sizeof(th[k].spec.xsk));
        th[k].spec.xsk[0] = g->xsk[k];
        th[k].spec.cpus = g->n_cpus ? &g->cpus[k % g->n_cpus] : NULL;
        th[k].spec.n_cpus = g->n_cpus ? 1 : 0;
    }
    cpu_set_t old;
    bool pinned = g->n_cpus && traffic_pin_self(g->cpus[0], &old) == 0;
    for (unsigned k = 1; k < n && r == 0; k++) {
        if (!g->xsk[k] && (r = sibling_socket(g->fd, &g->dst, &fds[k])) < 0)
            break;
        th[k].spec.fd = g->xsk[k] ? g->fd : fds[k];
        r = -pthread_create(&th[k].tid, NULL, gen_thread_main, &th[k]);
        th[k].started = r == 0;
    }
    if (r == 0) {
        main_poll mp = {poll_fn, ud, &stop};
        th[0].rc = gen_run_one(&th[0].spec, main_poll_fn, &mp, &th[0].res);
    }
    atomic_store(&stop, true);
    if (pinned && CPU_COUNT(&old))
        (void)pthread_setaffinity_np(pthread_self(), sizeof(old), &old);
    memset(ret, 0, sizeof(*ret));
    for (unsigned k = 0; k < n; k++) {
        if (k > 0 && th[k].started)
            pthread_join(th[k].tid, NULL);
        if (k > 0 && fds[k] >= 0)
            close(fds[k]);
        if (r == 0 && th[k].rc < 0)
            r = th[k].rc;
        ret->tx += th[k].res.tx;
        ret->missed += th[k].res.missed;
        if (th[k].res.elapsed_ns > ret->elapsed_ns)
            ret->elapsed_ns = th[k].res.elapsed_ns;
    }
    if (ret->elapsed_ns <= 0)
        ret->elapsed_ns = 1;
    return r;
}

/* ---- receiver ---- */

void traffic_rx_counts(const traffic_rx *rx, uint64_t *unique, uint64_t *reordered,
                       uint64_t *duplicated)
{
    *unique = *reordered = *duplicated = 0;
    for (unsigned i = 0; i < rx->nstreams; i++) {
        *unique += rx->seq[i].unique;
        *reordered += rx->seq[i].reordered;
        *duplicated += rx->seq[i].duplicated;
    }
}

int traffic_rx_init(traffic_rx *rx, int fd, enum traffic_rx_mode mode, unsigned payload,
                    uint16_t stream, unsigned nstreams)
{
    memset(rx, 0, sizeof(*rx));
    rx->fd = fd;
    rx->mode = mode;
    rx->payload = payload;
    rx->stream = stream & TRAFFIC_TAG_STREAM;
    rx->nstreams = nstreams < 1                     ? 1
                   : nstreams > TRAFFIC_MAX_STREAMS ? TRAFFIC_MAX_STREAMS
                                                    : nstreams;
    for (unsigned i = 0; i < TRAFFIC_MAX_STREAMS; i++)
        traffic_seq_reset(&rx->seq[i]);
    traffic_hist_reset(&rx->hist);
    rx->buf = malloc((size_t)TRAFFIC_BATCH * (payload + 1));
    return rx->buf ? 0 : -ENOMEM;
}

void traffic_rx_done(traffic_rx *rx)
{
    if (!rx)
        return;
    free(rx->buf);
    rx->buf = NULL;
}

bool traffic_rx_account(traffic_rx *rx, const uint8_t *p, size_t len, int64_t now)
{
    if (len != rx->payload) {
        rx->foreign++;
        return false;
    }
    uint64_t seq, ts;
    uint16_t tag;
    traffic_hdr_get(p, &seq, &ts, &tag);
    unsigned si = (unsigned)((tag & TRAFFIC_TAG_STREAM) - rx->stream);
    if (si >= rx->nstreams) {
        rx->foreign++;
        return false;
    }
    if (!rx->xdp_counted)
        traffic_seq_add(&rx->seq[si], seq);
    bool echo = tag & TRAFFIC_TAG_ECHO;
    if (rx->mode == TRAFFIC_RX_RETURN) {
        if (echo && (int64_t)ts <= now)
            traffic_hist_add(&rx->hist, (uint64_t)(now - (int64_t)ts));
        return false;
    }
    return echo || rx->mode == TRAFFIC_RX_REFLECT;
}

void traffic_rx_merge(traffic_rx *dst, const traffic_rx *src)
{
    /* exact when each stream reaches one receiver (one flow lands on one queue) */
    for (unsigned i = 0; i < dst->nstreams && i < src->nstreams; i++) {
        dst->seq[i].unique += src->seq[i].unique;
        dst->seq[i].reordered += src->seq[i].reordered;
        dst->seq[i].duplicated += src->seq[i].duplicated;
        dst->seq[i].too_old += src->seq[i].too_old;
    }
    dst->foreign += src->foreign;
    dst->reflected += src->reflected;
    traffic_hist *h = &dst->hist;
    const traffic_hist *o = &src->hist;
    if (o->count) {
        if (!h->count || o->min < h->min)
            h->min = o->min;
        if (!h->count || o->max > h->max)
            h->max = o->max;
        h->count += o->count;
        h->sum += o->sum;
        h->jitter_sum += o->jitter_sum;
        for (unsigned b = 0; b < TRAFFIC_HIST_BUCKETS; b++)
            h->buckets[b] += o->buckets[b];
    }
}

int traffic_rx_drain(traffic_rx *rx)
{
    if (rx->xsk)
        return traffic_xsk_drain(rx->xsk, rx);
    struct mmsghdr msgs[TRAFFIC_BATCH], out[TRAFFIC_BATCH];
    struct iovec iov[TRAFFIC_BATCH], oiov[TRAFFIC_BATCH];
    struct sockaddr_in src[TRAFFIC_BATCH];
    const size_t slot = rx->payload + 1;
    int total = 0;

    if (!rx->buf)
        return -EINVAL;
    for (unsigned i = 0; i < TRAFFIC_BATCH; i++) {
        iov[i].iov_base = rx->buf + i * slot;
        iov[i].iov_len = slot;
    }
    for (unsigned rounds = 0; rounds < 64; rounds++) {
        for (unsigned i = 0; i < TRAFFIC_BATCH; i++) {
            memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
            msgs[i].msg_hdr.msg_name = &src[i];
            msgs[i].msg_hdr.msg_namelen = sizeof(src[i]);
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(rx->fd, msgs, TRAFFIC_BATCH, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return total;
            return -errno;
        }
        const int64_t now = traffic_now_ns();
        unsigned nout = 0;
        for (int i = 0; i < n; i++) {
            if (!traffic_rx_account(rx, iov[i].iov_base, msgs[i].msg_len, now))
                continue;
            oiov[nout].iov_base = iov[i].iov_base;
            oiov[nout].iov_len = rx->payload;
            memset(&out[nout].msg_hdr, 0, sizeof(out[nout].msg_hdr));
            out[nout].msg_hdr.msg_name = &src[i];
            out[nout].msg_hdr.msg_namelen = msgs[i].msg_hdr.msg_namelen;
            out[nout].msg_hdr.msg_iov = &oiov[nout];
            out[nout].msg_hdr.msg_iovlen = 1;
            nout++;
        }
        unsigned done = 0;
        while (done < nout) {
            int s = sendmmsg(rx->fd, out + done, nout - done, MSG_DONTWAIT);
            if (s <= 0)
                break;
            done += (unsigned)s;
        }
        rx->reflected += done;
        total += n;
        if (n < (int)TRAFFIC_BATCH)
            return total;
    }
    return total;
}
