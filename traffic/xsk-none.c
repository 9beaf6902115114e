/* SPDX-License-Identifier: MIT */
/* AF_XDP left out (the static engine pushed into guests, or no AF_XDP headers): every entry
 * says -EOPNOTSUPP and the callers use UDP sockets. */
#include <errno.h>

#include "traffic-priv.h"

int traffic_xdp_open(const char *ifname, const traffic_xdp_spec *spec, traffic_xdp **ret)
{
    (void)ifname, (void)spec, (void)ret;
    return -EOPNOTSUPP;
}

int traffic_xdp_load(const traffic_xdp_spec *spec, unsigned nqueues, traffic_xdp **ret)
{
    (void)spec, (void)nqueues, (void)ret;
    return -EOPNOTSUPP;
}

int traffic_xdp_test_run(const traffic_xdp *x, const uint8_t *frame, size_t len,
                         unsigned *ret_action)
{
    (void)x, (void)frame, (void)len, (void)ret_action;
    return -EOPNOTSUPP;
}

bool traffic_xdp_counts(const traffic_xdp *x)
{
    (void)x;
    return false;
}

int traffic_xdp_fold(const traffic_xdp *x, traffic_rx *rx)
{
    (void)x, (void)rx;
    return 0;
}

unsigned traffic_xdp_queues(const traffic_xdp *x)
{
    (void)x;
    return 0;
}

void traffic_xdp_close(traffic_xdp *x)
{
    (void)x;
}

int traffic_xsk_open(traffic_xdp *x, unsigned queue, const traffic_xsk_flow *f, traffic_xsk **ret)
{
    (void)x, (void)queue, (void)f, (void)ret;
    return -EOPNOTSUPP;
}

void traffic_xsk_close(traffic_xsk *s)
{
    (void)s;
}

int traffic_xsk_fd(const traffic_xsk *s)
{
    (void)s;
    return -1;
}

int traffic_xsk_send(traffic_xsk *s, uint64_t first_seq, uint64_t k0, unsigned n, uint64_t ts_ns,
                     uint16_t stream, uint64_t tag_every)
{
    (void)s, (void)first_seq, (void)k0, (void)n, (void)ts_ns, (void)stream, (void)tag_every;
    return -EOPNOTSUPP;
}

uint64_t traffic_xsk_flush(traffic_xsk *s, int64_t max_ns)
{
    (void)s, (void)max_ns;
    return 0;
}

int traffic_xsk_drain(traffic_xsk *s, traffic_rx *rx)
{
    (void)s, (void)rx;
    return -EOPNOTSUPP;
}

int traffic_dev_mac(const char *dev, uint8_t mac[6])
{
    (void)dev, (void)mac;
    return -EOPNOTSUPP;
}

int traffic_next_hop(struct in_addr dst, struct in_addr *via)
{
    (void)dst, (void)via;
    return -EOPNOTSUPP;
}

int traffic_dev_qdisc(unsigned ifindex, char *kind, size_t len)
{
    (void)ifindex, (void)kind, (void)len;
    return -EOPNOTSUPP;
}
