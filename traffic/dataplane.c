/* SPDX-License-Identifier: MIT */
/* Data plane: UDP sockets, the paced sendmmsg generator, the recvmmsg receiver/reflector. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
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

int traffic_gen_run(const traffic_gen_spec *g, traffic_poll_fn poll_fn, void *ud,
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
    for (unsigned i = 0; i < TRAFFIC_BATCH; i++) {
        iov[i].iov_base = buf + (size_t)i * g->payload;
        iov[i].iov_len = g->payload;
        msgs[i].msg_hdr.msg_name = (void *)&g->dst;
        msgs[i].msg_hdr.msg_namelen = sizeof(g->dst);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
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
        for (uint64_t i = 0; i < want; i++) {
            uint64_t k = sent + i;
            uint16_t tag = g->stream & TRAFFIC_TAG_STREAM;
            if (g->tag_every && k % g->tag_every == 0)
                tag |= TRAFFIC_TAG_ECHO;
            traffic_hdr_put(buf + i * g->payload, g->first_seq + k, (uint64_t)now, tag);
        }
        int n = sendmmsg(g->fd, msgs, (unsigned)want, 0);
        if (n < 0) {
            if (errno == EINTR)
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
    ret->tx = sent;
    ret->missed = missed;
    /* Elapsed: until the schedule's end, or the last frame of a counted burst. */
    ret->elapsed_ns = (g->count && sent + missed >= g->count) ? last - t0 : now - t0;
    if (ret->elapsed_ns <= 0)
        ret->elapsed_ns = 1;
    return r;
}

/* ---- receiver ---- */

int traffic_rx_init(traffic_rx *rx, int fd, enum traffic_rx_mode mode, unsigned payload,
                    uint16_t stream)
{
    memset(rx, 0, sizeof(*rx));
    rx->fd = fd;
    rx->mode = mode;
    rx->payload = payload;
    rx->stream = stream & TRAFFIC_TAG_STREAM;
    traffic_seq_reset(&rx->seq);
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

int traffic_rx_drain(traffic_rx *rx)
{
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
            const uint8_t *p = iov[i].iov_base;
            if (msgs[i].msg_len != rx->payload) {
                rx->foreign++;
                continue;
            }
            uint64_t seq, ts;
            uint16_t tag;
            traffic_hdr_get(p, &seq, &ts, &tag);
            if ((tag & TRAFFIC_TAG_STREAM) != rx->stream) {
                rx->foreign++;
                continue;
            }
            traffic_seq_add(&rx->seq, seq);
            bool echo = tag & TRAFFIC_TAG_ECHO;
            if (rx->mode == TRAFFIC_RX_RETURN) {
                if (echo && (int64_t)ts <= now)
                    traffic_hist_add(&rx->hist, (uint64_t)(now - (int64_t)ts));
            } else if (echo || rx->mode == TRAFFIC_RX_REFLECT) {
                oiov[nout].iov_base = iov[i].iov_base;
                oiov[nout].iov_len = rx->payload;
                memset(&out[nout].msg_hdr, 0, sizeof(out[nout].msg_hdr));
                out[nout].msg_hdr.msg_name = &src[i];
                out[nout].msg_hdr.msg_namelen = msgs[i].msg_hdr.msg_namelen;
                out[nout].msg_hdr.msg_iov = &oiov[nout];
                out[nout].msg_hdr.msg_iovlen = 1;
                nout++;
            }
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
