/* SPDX-License-Identifier: MIT */
/* Counting: payload header, sequence accounting, RTT histogram, rate search, CPU. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "traffic-priv.h"

static void put_le64(uint8_t *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *b)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

void traffic_hdr_put(uint8_t *buf, uint64_t seq, uint64_t ts_ns, uint16_t tag)
{
    put_le64(buf, seq);
    put_le64(buf + 8, ts_ns);
    buf[16] = (uint8_t)tag;
    buf[17] = (uint8_t)(tag >> 8);
}

void traffic_hdr_get(const uint8_t *buf, uint64_t *seq, uint64_t *ts_ns, uint16_t *tag)
{
    *seq = get_le64(buf);
    *ts_ns = get_le64(buf + 8);
    *tag = (uint16_t)(buf[16] | (buf[17] << 8));
}

/* ---- sequence accounting: modular, so a stream may start anywhere and wrap ---- */

static inline bool seq_test(const traffic_seq *s, uint64_t seq)
{
    uint64_t b = seq % TRAFFIC_SEQ_WINDOW;
    return s->bits[b / 64] & (1ull << (b % 64));
}

static inline void seq_set(traffic_seq *s, uint64_t seq)
{
    uint64_t b = seq % TRAFFIC_SEQ_WINDOW;
    s->bits[b / 64] |= 1ull << (b % 64);
}

static inline void seq_clear(traffic_seq *s, uint64_t seq)
{
    uint64_t b = seq % TRAFFIC_SEQ_WINDOW;
    s->bits[b / 64] &= ~(1ull << (b % 64));
}

void traffic_seq_reset(traffic_seq *s)
{
    memset(s, 0, sizeof(*s));
}

void traffic_seq_add(traffic_seq *s, uint64_t seq)
{
    if (!s->started) {
        s->started = true;
        s->max_seq = seq;
        seq_set(s, seq);
        s->unique = 1;
        return;
    }
    int64_t d = (int64_t)(seq - s->max_seq);
    if (d > 0) {
        /* Advancing: forget what the window slides over. */
        if ((uint64_t)d >= TRAFFIC_SEQ_WINDOW) {
            memset(s->bits, 0, sizeof(s->bits));
        } else {
            for (uint64_t i = 1; i <= (uint64_t)d; i++)
                seq_clear(s, s->max_seq + i);
        }
        s->max_seq = seq;
        seq_set(s, seq);
        s->unique++;
    } else if (d == 0) {
        s->duplicated++;
    } else if ((uint64_t)-d >= TRAFFIC_SEQ_WINDOW) {
        s->too_old++;
        s->reordered++;
        s->unique++;
    } else if (seq_test(s, seq)) {
        s->duplicated++;
    } else {
        seq_set(s, seq);
        s->reordered++;
        s->unique++;
    }
}

/* ---- histogram ---- */

void traffic_hist_reset(traffic_hist *h)
{
    memset(h, 0, sizeof(*h));
}

unsigned traffic_hist_index(uint64_t ns)
{
    const uint64_t top = (1ull << TRAFFIC_HIST_EXP) - 1;
    if (ns > top)
        ns = top;
    if (ns < (2u << TRAFFIC_HIST_SUB_BITS))
        return (unsigned)ns;
    unsigned e = 63u - (unsigned)__builtin_clzll(ns);
    unsigned sub =
        (unsigned)(ns >> (e - TRAFFIC_HIST_SUB_BITS)) & ((1u << TRAFFIC_HIST_SUB_BITS) - 1);
    return ((e - TRAFFIC_HIST_SUB_BITS + 1) << TRAFFIC_HIST_SUB_BITS) + sub;
}

uint64_t traffic_hist_value(unsigned idx)
{
    if (idx < (2u << TRAFFIC_HIST_SUB_BITS))
        return idx;
    unsigned e = (idx >> TRAFFIC_HIST_SUB_BITS) + TRAFFIC_HIST_SUB_BITS - 1;
    uint64_t sub = idx & ((1u << TRAFFIC_HIST_SUB_BITS) - 1);
    uint64_t width = 1ull << (e - TRAFFIC_HIST_SUB_BITS);
    uint64_t low = ((1ull << TRAFFIC_HIST_SUB_BITS) + sub) << (e - TRAFFIC_HIST_SUB_BITS);
    return low + width / 2;
}

void traffic_hist_add(traffic_hist *h, uint64_t ns)
{
    unsigned i = traffic_hist_index(ns);
    if (i < TRAFFIC_HIST_BUCKETS && h->buckets[i] < UINT32_MAX)
        h->buckets[i]++;
    if (h->count == 0 || ns < h->min)
        h->min = ns;
    if (ns > h->max)
        h->max = ns;
    h->count++;
    h->sum += ns;
    if (h->has_last)
        h->jitter_sum += ns > h->last ? ns - h->last : h->last - ns;
    h->last = ns;
    h->has_last = true;
}

uint64_t traffic_hist_quantile(const traffic_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    if (q <= 0)
        return h->min;
    if (q >= 1)
        return h->max;
    uint64_t rank = (uint64_t)ceil(q * (double)h->count);
    if (rank < 1)
        rank = 1;
    uint64_t cum = 0;
    for (unsigned i = 0; i < TRAFFIC_HIST_BUCKETS; i++) {
        cum += h->buckets[i];
        if (cum >= rank) {
            uint64_t v = traffic_hist_value(i);
            if (v < h->min)
                v = h->min;
            if (v > h->max)
                v = h->max;
            return v;
        }
    }
    return h->max;
}

void traffic_hist_summary(const traffic_hist *h, traffic_rtt_summary *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (h->count == 0)
        return;
    ret->samples = h->count;
    ret->min_us = h->min / 1e3;
    ret->max_us = h->max / 1e3;
    ret->mean_us = (double)(h->sum / h->count) / 1e3;
    ret->p50_us = traffic_hist_quantile(h, 0.50) / 1e3;
    ret->p90_us = traffic_hist_quantile(h, 0.90) / 1e3;
    ret->p99_us = traffic_hist_quantile(h, 0.99) / 1e3;
    ret->p999_us = traffic_hist_quantile(h, 0.999) / 1e3;
    ret->jitter_us = h->count > 1 ? (double)(h->jitter_sum / (h->count - 1)) / 1e3 : 0;
}

/* ---- CPU: "cpu  user nice system idle iowait irq softirq steal ..." ---- */

int traffic_cpu_sample(uint64_t *ret_busy, uint64_t *ret_total)
{
    _cleanup_close_ int fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char buf[512];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    if (n <= 0)
        return n < 0 ? -errno : -EIO;
    buf[n] = '\0';
    unsigned long long v[8] = {0};
    if (sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
               &v[4], &v[5], &v[6], &v[7]) < 4)
        return -EIO;
    uint64_t total = 0;
    for (int i = 0; i < 8; i++)
        total += v[i];
    *ret_busy = total - v[3] - v[4];
    *ret_total = total;
    return 0;
}
