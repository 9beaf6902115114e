/* SPDX-License-Identifier: MIT */
/* domains: the addresses and names of vexp's own per-run network (namespace mode). */
#pragma once

/* RFC 2544's benchmarking range 198.18.0.0/15 (errata 2544-1) */
#define DOMAINS_NET_PREFIX_LEN 15
#define DOMAINS_NET_BRIDGE "br0"             /* inside the run's namespace */
#define DOMAINS_NET_TESTER_ADDR "198.18.0.1" /* the tester side of the engine */
#define DOMAINS_NET_PEER_ADDR "198.18.0.2"   /* the bare reference's far end (nic = host) */
#define DOMAINS_NET_GUEST_ADDR "198.18.0.10" /* the first guest; cell i gets + i */
#define DOMAINS_NET_GUEST_BASE 0xc612000au   /* DOMAINS_NET_GUEST_ADDR, host byte order */
