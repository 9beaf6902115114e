/* SPDX-License-Identifier: MIT */
/* Fast send path: an AF_PACKET TX ring carrying ready-made Ethernet/IPv4/UDP frames. */
#include <errno.h>
#include <ifaddrs.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "traffic-priv.h"

/* The UDP socket path costs a route lookup and the IP/UDP output path per
 * frame; here the kernel only copies a finished frame to the device (through
 * its qdisc: a tbf on the sender still applies).  Used when the agent or
 * tester may open raw sockets and the destination is on the link. */

#define PKT_FRAME_SIZE 2048u
#define PKT_BLOCK_SIZE (PKT_FRAME_SIZE * 32u)
#define PKT_BLOCK_NR 16u
#define PKT_HDRS 42u /* Ethernet 14 + IPv4 20 + UDP 8 */
#define PKT_DATA_OFF TPACKET_ALIGN(sizeof(struct tpacket2_hdr))

struct traffic_pkt {
    int fd;
    uint8_t *ring;
    size_t ring_len;
    unsigned frame_nr, head;
    unsigned payload;
    uint8_t hdr[PKT_HDRS];
};

/* Destination MAC from the neighbour table (the learning frames resolved it). */
int traffic_arp_lookup(struct in_addr ip, const char *dev, uint8_t mac[6])
{
    FILE *f = fopen("/proc/net/arp", "re");
    if (!f)
        return -errno;
    char line[256], ipbuf[64], hw[64], ifname[IF_NAMESIZE + 8];
    unsigned type, flags;
    int r = -ENOENT;
    char want[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &ip, want, sizeof(want));
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%63s 0x%x 0x%x %63s %*s %23s", ipbuf, &type, &flags, hw, ifname) != 5)
            continue;
        if (strcmp(ipbuf, want) || strcmp(ifname, dev) || !(flags & 0x2))
            continue;
        unsigned m[6];
        if (sscanf(hw, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6) {
            for (int i = 0; i < 6; i++)
                mac[i] = (uint8_t)m[i];
            r = 0;
        }
        break;
    }
    fclose(f);
    return r;
}

int traffic_dev_of_addr(struct in_addr ip, char dev[IF_NAMESIZE])
{
    struct ifaddrs *ifs, *i;
    if (getifaddrs(&ifs) < 0)
        return -errno;
    int r = -ENODEV;
    for (i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
            continue;
        if (((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == ip.s_addr) {
            snprintf(dev, IF_NAMESIZE, "%s", i->ifa_name);
            r = 0;
            break;
        }
    }
    freeifaddrs(ifs);
    return r;
}

static uint16_t ip_csum(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return htons((uint16_t)~sum);
}

void traffic_pkt_close(traffic_pkt *pk)
{
    if (!pk)
        return;
    if (pk->ring && pk->ring != MAP_FAILED)
        munmap(pk->ring, pk->ring_len);
    if (pk->fd >= 0)
        close(pk->fd);
    free(pk);
}

int traffic_pkt_open(int udp_fd, const struct sockaddr_in *dst, unsigned payload, traffic_pkt **ret)
{
    /* Opt-in: ~6 % more frames/s than sendmmsg on a veth pair here, but a
     * qdisc that holds frames (tbf) keeps their ring slots busy and throttles
     * the generator to the shaper's rate instead of letting it drop the excess,
     * which is the loss a throughput search must see. */
    const char *want = getenv("VEXP_TRAFFIC_PACKET");
    if (!want || strcmp(want, "1") != 0)
        return -ENOTSUP;
    if (payload + PKT_HDRS + PKT_DATA_OFF > PKT_FRAME_SIZE)
        return -EMSGSIZE;
    struct sockaddr_in src;
    socklen_t slen = sizeof(src);
    if (getsockname(udp_fd, (struct sockaddr *)&src, &slen) < 0)
        return -errno;
    if (src.sin_addr.s_addr == htonl(INADDR_LOOPBACK) || src.sin_addr.s_addr == 0)
        return -ENOTSUP;
    char dev[IF_NAMESIZE];
    int r = traffic_dev_of_addr(src.sin_addr, dev);
    if (r < 0)
        return r;
    uint8_t dmac[6];
    if ((r = traffic_arp_lookup(dst->sin_addr, dev, dmac)) < 0)
        return r;
    unsigned ifindex = if_nametoindex(dev);
    if (!ifindex)
        return -errno;

    traffic_pkt *pk = calloc(1, sizeof(*pk));
    if (!pk)
        return -ENOMEM;
    pk->payload = payload;
    pk->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (pk->fd < 0) {
        r = -errno;
        free(pk);
        return r;
    }
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
    int ver = TPACKET_V2;
    struct tpacket_req req = {
        .tp_block_size = PKT_BLOCK_SIZE,
        .tp_block_nr = PKT_BLOCK_NR,
        .tp_frame_size = PKT_FRAME_SIZE,
        .tp_frame_nr = PKT_BLOCK_SIZE / PKT_FRAME_SIZE * PKT_BLOCK_NR,
    };
    /* a send buffer larger than any shaper's queue: a tbf on the path drops the
     * excess (the DUT's loss) instead of throttling the generator */
    int sz = 8 << 20;
    if (setsockopt(pk->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
        (void)setsockopt(pk->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    struct sockaddr_ll ll = {
        .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = (int)ifindex};
    if (ioctl(pk->fd, SIOCGIFHWADDR, &ifr) < 0 ||
        setsockopt(pk->fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)) < 0 ||
        setsockopt(pk->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) < 0 ||
        bind(pk->fd, (struct sockaddr *)&ll, sizeof(ll)) < 0) {
        r = -errno;
        traffic_pkt_close(pk);
        return r;
    }
    pk->frame_nr = req.tp_frame_nr;
    pk->ring_len = (size_t)req.tp_block_size * req.tp_block_nr;
    pk->ring = mmap(NULL, pk->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, pk->fd, 0);
    if (pk->ring == MAP_FAILED) {
        r = -errno;
        traffic_pkt_close(pk);
        return r;
    }

    uint8_t *h = pk->hdr;
    memcpy(h, dmac, 6);
    memcpy(h + 6, ifr.ifr_hwaddr.sa_data, 6);
    h[12] = 0x08;
    h[13] = 0x00;
    struct iphdr ip = {
        .version = 4,
        .ihl = 5,
        .ttl = 64,
        .protocol = IPPROTO_UDP,
        .tot_len = htons((uint16_t)(20 + 8 + payload)),
        .frag_off = htons(0x4000),
        .saddr = src.sin_addr.s_addr,
        .daddr = dst->sin_addr.s_addr,
    };
    ip.check = ip_csum(&ip, sizeof(ip));
    memcpy(h + 14, &ip, 20);
    /* UDP checksum 0: "not computed", legal over IPv4; the payload changes per frame */
    struct udphdr udp = {.source = src.sin_port,
                         .dest = dst->sin_port,
                         .len = htons((uint16_t)(8 + payload)),
                         .check = 0};
    memcpy(h + 34, &udp, 8);
    *ret = pk;
    return 0;
}

int traffic_pkt_send(traffic_pkt *pk, uint64_t first_seq, uint64_t k0, unsigned n, uint64_t ts_ns,
                     uint16_t stream, uint64_t tag_every)
{
    unsigned queued = 0;
    for (; queued < n; queued++) {
        struct tpacket2_hdr *t = (void *)(pk->ring + (size_t)pk->head * PKT_FRAME_SIZE);
        if (__atomic_load_n(&t->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE)
            break;
        uint8_t *d = (uint8_t *)t + PKT_DATA_OFF;
        uint64_t k = k0 + queued;
        uint16_t tag = stream & TRAFFIC_TAG_STREAM;
        if (tag_every && k % tag_every == 0)
            tag |= TRAFFIC_TAG_ECHO;
        memcpy(d, pk->hdr, PKT_HDRS);
        traffic_hdr_put(d + PKT_HDRS, first_seq + k, ts_ns, tag);
        t->tp_len = PKT_HDRS + pk->payload;
        __atomic_store_n(&t->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
        pk->head = (pk->head + 1) % pk->frame_nr;
    }
    if (send(pk->fd, NULL, 0, MSG_DONTWAIT) < 0 && errno != EAGAIN && errno != ENOBUFS &&
        errno != EINTR)
        return -errno;
    if (queued == 0) {
        struct pollfd pfd = {.fd = pk->fd, .events = POLLOUT};
        (void)poll(&pfd, 1, 1);
    }
    return (int)queued;
}
