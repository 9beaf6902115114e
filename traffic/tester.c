/* SPDX-License-Identifier: MIT */
/* The tester side's data plane for one trial: AF_XDP sockets when the interface allows, else UDP.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "traffic-priv.h"

void traffic_plane_close(traffic_plane *pl)
{
    for (unsigned k = 0; k < pl->n; k++)
        traffic_xsk_close(pl->xsk[k]);
    traffic_xdp_close(pl->xdp);
    memset(pl->xsk, 0, sizeof(pl->xsk));
    pl->xdp = NULL;
    pl->n = 0;
}

/* Root qdiscs that hold nothing back (AF_XDP frames skip the qdisc, so one that shapes,
 * delays or drops would silently stop doing so). */
static bool qdisc_transparent(const char *kind)
{
    static const char *const ok[] = {"none", "noqueue", "pfifo_fast", "mq", "pfifo", "bfifo"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (strcmp(kind, ok[i]) == 0)
            return true;
    return false;
}

static bool dev_loopback(const char *dev)
{
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bool lo = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_LOOPBACK);
    if (fd >= 0)
        close(fd);
    return lo;
}

static int try_xdp(const traffic_plane_spec *sp, traffic_plane *pl)
{
    char dev[IF_NAMESIZE];
    int r = traffic_dev_of_addr(sp->src.sin_addr, dev);
    if (r < 0) {
        snprintf(pl->why, sizeof(pl->why), "no interface holds the tester's address");
        return r;
    }
    /* auto leaves the loopback alone: there XDP is the generic hook, which every local
     * packet of the host would pass through (big ones copied) while a trial runs; sending
     * has no neighbour to address anyway */
    if (sp->want == TRAFFIC_DATAPLANE_AUTO && dev_loopback(dev)) {
        snprintf(pl->why, sizeof(pl->why), "%s is the loopback", dev);
        return -EOPNOTSUPP;
    }
    snprintf(pl->dev, sizeof(pl->dev), "%s", dev);
    traffic_xsk_flow f = {.src = sp->src, .dst = sp->dst, .payload = sp->payload};
    if ((r = traffic_dev_mac(dev, f.src_mac)) < 0) {
        snprintf(pl->why, sizeof(pl->why), "%s: no MAC address (%s)", dev, strerror(-r));
        return r;
    }
    if (sp->sending) {
        char kind[32];
        if ((r = traffic_dev_qdisc(if_nametoindex(dev), kind, sizeof(kind))) < 0) {
            snprintf(pl->why, sizeof(pl->why), "%s: cannot read its qdisc (%s)", dev, strerror(-r));
            return r;
        }
        if (!qdisc_transparent(kind)) {
            snprintf(pl->why, sizeof(pl->why),
                     "%s has qdisc '%s', which AF_XDP frames would bypass", dev, kind);
            return -EBUSY;
        }
        /* the frames go to the next hop's MAC: the DUT's, or a router's on the way */
        struct in_addr via;
        if ((r = traffic_next_hop(sp->dst.sin_addr, &via)) < 0) {
            snprintf(pl->why, sizeof(pl->why), "%s: no route to the DUT (%s)", dev, strerror(-r));
            return r;
        }
        if ((r = traffic_arp_lookup(via, dev, f.dst_mac)) < 0) {
            char a[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &via, a, sizeof(a));
            snprintf(pl->why, sizeof(pl->why), "%s: no neighbour entry for %s", dev, a);
            return r;
        }
    }
    traffic_xdp_spec xs = {.port = ntohs(sp->src.sin_port),
                           .mode = sp->nstreams ? TRAFFIC_XDP_COUNT : TRAFFIC_XDP_REDIRECT,
                           .payload = sp->payload,
                           .stream = sp->stream,
                           .nstreams = sp->nstreams};
    if ((r = traffic_xdp_open(dev, &xs, &pl->xdp)) < 0) {
        snprintf(pl->why, sizeof(pl->why), "%s: cannot attach the XDP program (%s)", dev,
                 strerror(-r));
        return r;
    }
    unsigned want = sp->sockets ? sp->sockets : 1, q = traffic_xdp_queues(pl->xdp);
    if (want > q)
        want = q;
    if (want > TRAFFIC_XSK_MAX)
        want = TRAFFIC_XSK_MAX;
    for (unsigned k = 0; k < want; k++) {
        if ((r = traffic_xsk_open(pl->xdp, k, &f, &pl->xsk[k])) < 0) {
            snprintf(pl->why, sizeof(pl->why), "%s queue %u: no AF_XDP socket (%s)", dev, k,
                     strerror(-r));
            traffic_plane_close(pl);
            return r;
        }
        pl->n = k + 1;
    }
    snprintf(pl->why, sizeof(pl->why), "AF_XDP on %s, %u socket%s%s", dev, pl->n,
             pl->n > 1 ? "s" : "", xs.mode == TRAFFIC_XDP_COUNT ? ", counted in XDP" : "");
    return 0;
}

int traffic_plane_open(const traffic_plane_spec *sp, traffic_plane *pl)
{
    memset(pl, 0, sizeof(*pl));
    pl->used = TRAFFIC_DATAPLANE_SOCKET;
    if (sp->want == TRAFFIC_DATAPLANE_SOCKET) {
        snprintf(pl->why, sizeof(pl->why), "sockets (asked)");
        return 0;
    }
    int r = try_xdp(sp, pl);
    if (r == 0) {
        pl->used = TRAFFIC_DATAPLANE_XDP;
        return 0;
    }
    if (sp->want == TRAFFIC_DATAPLANE_XDP)
        return r;
    char why[sizeof(pl->why)];
    snprintf(why, sizeof(why), "%s", pl->why);
    snprintf(pl->why, sizeof(pl->why), "sockets: %.150s", why);
    return 0;
}

void traffic_plane_rx(const traffic_plane *pl, unsigned k, traffic_rx *rx)
{
    if (pl->used != TRAFFIC_DATAPLANE_XDP || k >= pl->n)
        return;
    rx->xsk = pl->xsk[k];
    rx->fd = traffic_xsk_fd(pl->xsk[k]);
    rx->xdp_counted = traffic_xdp_counts(pl->xdp);
}

int traffic_plane_fold(const traffic_plane *pl, traffic_rx *rx)
{
    return pl->used == TRAFFIC_DATAPLANE_XDP ? traffic_xdp_fold(pl->xdp, rx) : 0;
}
