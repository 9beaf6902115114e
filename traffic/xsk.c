/* SPDX-License-Identifier: MIT */
/* Tester-side AF_XDP data plane: an XDP program for the test flow's port, sockets per queue. */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "cleanup.h"
#include "traffic-priv.h"

/*
 * Why hand-assembled BPF and raw AF_XDP instead of libxdp/libbpf: the program
 * is 17 instructions (port match, redirect or pass), and the socket is four
 * rings over one mmap.  libbpf would load it from an ELF object that needs a
 * clang BPF toolchain in the build; libxdp's default program redirects every
 * frame (ARP and the control channel too).  Here: linux/ headers, the bpf
 * syscall, no extra library in any binary.  The program and the map live in
 * fds: when the process dies the link closes and the program is detached.
 */

#define XSK_FRAME 2048u
#define XSK_NFRAMES 4096u /* half TX (prebuilt frames), half RX */
#define XSK_RING 2048u
#define XSK_HDRS 42u /* Ethernet 14 + IPv4 20 + UDP 8 */

typedef struct xring {
    uint32_t *producer, *consumer, *flags;
    void *desc;
    uint32_t mask;
    void *map;
    size_t map_len;
} xring;

struct traffic_xsk {
    int fd;
    unsigned queue;
    uint8_t *umem;
    size_t umem_len;
    xring fill, comp, rx, tx;
    uint64_t tx_free[XSK_NFRAMES / 2];
    unsigned n_free;
    uint64_t outstanding; /* in the TX ring or not yet completed */
    unsigned payload;
    uint8_t hdr[XSK_HDRS];
    uint16_t port_be; /* the port the program redirects */
};

static long sys_bpf(int cmd, union bpf_attr *attr)
{
    return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* ---- the XDP program ---- */

#define INSN(c, d, s, o, i)                                                                        \
    ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define XDP_MIN_LEN (XSK_HDRS + TRAFFIC_HDR_LEN) /* the smallest test frame, without FCS */

/* The count map's value for one (queue, stream): traffic_seq's counters, and its state. */
enum { C_UNIQUE, C_REORDERED, C_DUPLICATED, C_TOO_OLD, C_MAX_SEQ, C_STARTED, C_N };
/* The slot map: per (queue, stream), TRAFFIC_SEQ_WINDOW u64 slots; slot seq % window holds
 * ~seq once seq was seen (0, the map's initial value, is ~UINT64_MAX: never a sequence the
 * window can hold).  Inside the window [max - W + 1, max] no two sequences share a slot, so
 * "slot == ~seq" is exactly traffic_seq's bitmap test, without clearing slots on advance. */

typedef struct bpf_asm {
    struct bpf_insn *p;
    unsigned n;
    struct { unsigned at, label; } fix[24];
    unsigned nfix, label_at[16];
} bpf_asm;

enum { L_PASS, L_FOREIGN, L_DROP, L_STARTED, L_ADV, L_DUP, L_OLD, L_REORD, L_UNIQ, L_OUT };

static void emit(bpf_asm *g, struct bpf_insn i)
{
    g->p[g->n++] = i;
}

/* a jump to a label placed later (the offset is fixed by finish()) */
static void jump(bpf_asm *g, uint8_t code, uint8_t dst, uint8_t src, int32_t imm, unsigned label)
{
    g->fix[g->nfix].at = g->n;
    g->fix[g->nfix++].label = label;
    emit(g, INSN(code, dst, src, 0, imm));
}

static void label(bpf_asm *g, unsigned l)
{
    g->label_at[l] = g->n;
}

static void add_imm(bpf_asm *g, uint8_t base, int16_t off) /* *(u64 *)(base + off) += 1 */
{
    emit(g, INSN(BPF_LDX | BPF_MEM | BPF_DW, 1, base, off, 0));
    emit(g, INSN(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, 1));
    emit(g, INSN(BPF_STX | BPF_MEM | BPF_DW, base, 1, off, 0));
}

static void ld_map(bpf_asm *g, uint8_t dst, int fd)
{
    emit(g, INSN(BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, fd));
    emit(g, INSN(0, 0, 0, 0, 0));
}

/* r0 = bpf_map_lookup_elem(map fd, the key at r10 + key_off); to label when there is none */
static void lookup(bpf_asm *g, int fd, int32_t key_off, unsigned if_none)
{
    ld_map(g, 1, fd);
    emit(g, INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0));
    emit(g, INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, key_off));
    emit(g, INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem));
    jump(g, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0, if_none);
}

/* Frames to UDP port port_be (network order), IPv4 without options, not fragmented: with
 * REDIRECT to the XSKMAP entry of their queue (XDP_PASS when no socket is there), with DROP
 * XDP_DROP, with COUNT see traffic_xdp_spec.  Everything else (ARP, ICMP, other ports, IP
 * options, fragments, frames shorter than a test frame): XDP_PASS, to the stack.
 * Registers in COUNT: r6 ctx then slot pointer, r7 tag, r8 sequence, r9 count pointer;
 * stack: fp-4 count key, fp-8 slot key, fp-16 queue. */
static unsigned xdp_program(struct bpf_insn *p, const traffic_xdp_spec *sp, int xsk_fd,
                            int count_fd, int slot_fd, unsigned nqueues)
{
    bpf_asm g = {.p = p};
    const uint16_t port_be = htons(sp->port);
    emit(&g, INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0));
    emit(&g, INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 6, offsetof(struct xdp_md, data), 0));
    emit(&g, INSN(BPF_LDX | BPF_MEM | BPF_W, 3, 6, offsetof(struct xdp_md, data_end), 0));
    emit(&g, INSN(BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0));
    emit(&g, INSN(BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, XDP_MIN_LEN));
    jump(&g, BPF_JMP | BPF_JGT | BPF_X, 4, 3, 0, L_PASS);
    /* loads are in host order, like the htons() values compared */
    emit(&g, INSN(BPF_LDX | BPF_MEM | BPF_H, 5, 2, 12, 0));
    jump(&g, BPF_JMP | BPF_JNE | BPF_K, 5, 0, htons(0x0800), L_PASS); /* IPv4 */
    emit(&g, INSN(BPF_LDX | BPF_MEM | BPF_B, 5, 2, 14, 0));
    jump(&g, BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0x45, L_PASS); /* version 4, no options */
    emit(&g, INSN(BPF_LDX | BPF_MEM | BPF_H, 5, 2, 20, 0));
    emit(&g, INSN(BPF_ALU64 | BPF_AND | BPF_K, 5, 0, 0, htons(0x3fff))); /* MF + offset */
    jump(&g, BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, L_PASS);
    emit(&g, INSN(BPF_LDX | BPF_MEM | BPF_B, 5, 2, 23, 0));
    jump(&g, BPF_JMP | BPF_JNE | BPF_K, 5, 0, IPPROTO_UDP, L_PASS);
    emit(&g, INSN(BPF_LDX | BPF_MEM | BPF_H, 5, 2, 36, 0));
    jump(&g, BPF_JMP | BPF_JNE | BPF_K, 5, 0, port_be, L_PASS);
    if (sp->mode == TRAFFIC_XDP_DROP) {
        emit(&g, INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_DROP));
        emit(&g, INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    }
    if (sp->mode == TRAFFIC_XDP_COUNT) {
        /* UDP length: payload + 8 (the socket path's "wrong length": foreign) */
        emit(&g, INSN(BPF_LDX | BPF_MEM | BPF_H, 5, 2, 38, 0));
        jump(&g, BPF_JMP | BPF_JNE | BPF_K, 5, 0, htons((uint16_t)(sp->payload + 8)), L_FOREIGN);
        /* the payload's header (traffic_hdr_put): sequence le64 at 0, tag le16 at 16 */
        emit(&g, INSN(BPF_LDX | BPF_MEM | BPF_DW, 8, 2, XSK_HDRS, 0));
        emit(&g, INSN(BPF_ALU | BPF_END | BPF_TO_LE, 8, 0, 0, 64));
        emit(&g, INSN(BPF_LDX | BPF_MEM | BPF_H, 7, 2, XSK_HDRS + 16, 0));
        emit(&g, INSN(BPF_ALU | BPF_END | BPF_TO_LE, 7, 0, 0, 16));
        emit(&g, INSN(BPF_ALU64 | BPF_MOV | BPF_X, 5, 7, 0, 0));
        emit(&g, INSN(BPF_ALU64 | BPF_AND | BPF_K, 5, 0, 0, TRAFFIC_TAG_STREAM));
        emit(&g, INSN(BPF_ALU64 | BPF_SUB | BPF_K, 5, 0, 0, sp->stream));
        jump(&g, BPF_JMP | BPF_JGE | BPF_K, 5, 0, (int32_t)sp->nstreams, L_FOREIGN);
        /* a queue without counters (beyond the sockets): to the stack, counted lost */
        emit(&g, INSN(BPF_LDX | BPF_MEM | BPF_W, 4, 6, offsetof(struct xdp_md, rx_queue_index), 0));
        emit(&g, INSN(BPF_STX | BPF_MEM | BPF_W, 10, 4, -16, 0));
        jump(&g, BPF_JMP | BPF_JGE | BPF_K, 4, 0, (int32_t)nqueues, L_PASS);
        emit(&g, INSN(BPF_ALU64 | BPF_MUL | BPF_K, 4, 0, 0, (int32_t)sp->nstreams));
        emit(&g, INSN(BPF_ALU64 | BPF_ADD | BPF_X, 4, 5, 0, 0));
        emit(&g, INSN(BPF_STX | BPF_MEM | BPF_W, 10, 4, -4, 0));
        emit(&g, INSN(BPF_ALU64 | BPF_LSH | BPF_K, 4, 0, 0, 16)); /* TRAFFIC_SEQ_WINDOW */
        emit(&g, INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 8, 0, 0));
        emit(&g, INSN(BPF_ALU64 | BPF_AND | BPF_K, 1, 0, 0, TRAFFIC_SEQ_WINDOW - 1));
        emit(&g, INSN(BPF_ALU64 | BPF_ADD | BPF_X, 4, 1, 0, 0));
        emit(&g, INSN(BPF_STX | BPF_MEM | BPF_W, 10, 4, -8, 0));
        lookup(&g, slot_fd, -8, L_PASS);
        emit(&g, INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 0, 0, 0));
        lookup(&g, count_fd, -4, L_PASS);
        emit(&g, INSN(BPF_ALU64 | BPF_MOV | BPF_X, 9, 0, 0, 0));
        /* traffic_seq_add(), step by step */
        emit(&g, INSN(BPF_LDX | BPF_MEM | BPF_DW, 1, 9, C_STARTED * 8, 0));
        jump(&g, BPF_JMP | BPF_JNE | BPF_K, 1, 0, 0, L_STARTED);
        emit(&g, INSN(BPF_ST | BPF_MEM | BPF_DW, 9, 0, C_STARTED * 8, 1));
        jump(&g, BPF_JMP | BPF_JA, 0, 0, 0, L_ADV);
        label(&g, L_STARTED);
        emit(&g, INSN(BPF_LDX | BPF_MEM | BPF_DW, 1, 9, C_MAX_SEQ * 8, 0));
        emit(&g, INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 8, 0, 0));
        emit(&g, INSN(BPF_ALU64 | BPF_SUB | BPF_X, 2, 1, 0, 0)); /* d = seq - max */
        jump(&g, BPF_JMP | BPF_JSGT | BPF_K, 2, 0, 0, L_ADV);
        jump(&g, BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 0, L_DUP);
        emit(&g, INSN(BPF_ALU64 | BPF_NEG, 2, 0, 0, 0));
        jump(&g, BPF_JMP | BPF_JGE | BPF_K, 2, 0, TRAFFIC_SEQ_WINDOW, L_OLD);
        emit(&g, INSN(BPF_LDX | BPF_MEM | BPF_DW, 1, 6, 0, 0));
        emit(&g, INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 8, 0, 0));
        emit(&g, INSN(BPF_ALU64 | BPF_XOR | BPF_K, 2, 0, 0, -1));
        jump(&g, BPF_JMP | BPF_JEQ | BPF_X, 1, 2, 0, L_DUP);
        emit(&g, INSN(BPF_STX | BPF_MEM | BPF_DW, 6, 2, 0, 0));
        jump(&g, BPF_JMP | BPF_JA, 0, 0, 0, L_REORD);
        label(&g, L_OLD);
        add_imm(&g, 9, C_TOO_OLD * 8);
        label(&g, L_REORD);
        add_imm(&g, 9, C_REORDERED * 8);
        jump(&g, BPF_JMP | BPF_JA, 0, 0, 0, L_UNIQ);
        label(&g, L_DUP);
        add_imm(&g, 9, C_DUPLICATED * 8);
        jump(&g, BPF_JMP | BPF_JA, 0, 0, 0, L_OUT);
        label(&g, L_ADV);
        emit(&g, INSN(BPF_STX | BPF_MEM | BPF_DW, 9, 8, C_MAX_SEQ * 8, 0));
        emit(&g, INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 8, 0, 0));
        emit(&g, INSN(BPF_ALU64 | BPF_XOR | BPF_K, 2, 0, 0, -1));
        emit(&g, INSN(BPF_STX | BPF_MEM | BPF_DW, 6, 2, 0, 0));
        label(&g, L_UNIQ);
        add_imm(&g, 9, C_UNIQUE * 8);
        label(&g, L_OUT);
        /* echo requests go on to the socket (echoed or timed there), the rest ends here */
        emit(&g, INSN(BPF_ALU64 | BPF_AND | BPF_K, 7, 0, 0, TRAFFIC_TAG_ECHO));
        jump(&g, BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 0, L_DROP);
        emit(&g, INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 10, -16, 0));
    } else if (sp->mode == TRAFFIC_XDP_REDIRECT) {
        emit(&g, INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 6, offsetof(struct xdp_md, rx_queue_index), 0));
    }
    if (sp->mode != TRAFFIC_XDP_DROP) {
        ld_map(&g, 1, xsk_fd);
        emit(&g, INSN(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, XDP_PASS)); /* no socket: pass */
        emit(&g, INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_redirect_map));
        emit(&g, INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    }
    if (sp->mode == TRAFFIC_XDP_COUNT) {
        /* foreign: one more count entry after the (queue, stream) ones, shared: atomic */
        label(&g, L_FOREIGN);
        emit(&g, INSN(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, (int32_t)(nqueues * sp->nstreams)));
        lookup(&g, count_fd, -4, L_DROP);
        emit(&g, INSN(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 1));
        emit(&g, INSN(BPF_STX | BPF_ATOMIC | BPF_DW, 0, 1, 0, BPF_ADD));
        label(&g, L_DROP);
        emit(&g, INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_DROP));
        emit(&g, INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    }
    label(&g, L_PASS);
    emit(&g, INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_PASS));
    emit(&g, INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    for (unsigned j = 0; j < g.nfix; j++)
        p[g.fix[j].at].off = (int16_t)(g.label_at[g.fix[j].label] - g.fix[j].at - 1);
    return g.n;
}

/* ---- program and maps, on one interface or none ---- */

struct traffic_xdp {
    int prog_fd, map_fd, count_fd, slot_fd, link_fd;
    unsigned ifindex, nqueues, nstreams;
};

void traffic_xdp_close(traffic_xdp *x)
{
    if (!x)
        return;
    /* closing the link detaches the program */
    int *fds[] = {&x->link_fd, &x->prog_fd, &x->map_fd, &x->count_fd, &x->slot_fd};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
        if (*fds[i] >= 0)
            close(*fds[i]);
    free(x);
}

/* Queues of ifname: the rx queues sysfs would list, read by ethtool's ioctl
 * instead (sysfs may show another namespace's devices). */
static unsigned dev_queues(const char *ifname)
{
    struct ethtool_channels ch = {.cmd = ETHTOOL_GCHANNELS};
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    ifr.ifr_data = (void *)&ch;
    _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || ioctl(fd, SIOCETHTOOL, &ifr) < 0)
        return 1;
    unsigned n = ch.rx_count > ch.combined_count ? ch.rx_count : ch.combined_count;
    return n ? n : 1;
}

static int map_create(uint32_t type, uint32_t value_size, uint32_t entries, const char *name)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_type = type;
    a.key_size = 4;
    a.value_size = value_size;
    a.max_entries = entries;
    snprintf(a.map_name, sizeof(a.map_name), "%s", name);
    return (int)sys_bpf(BPF_MAP_CREATE, &a);
}

int traffic_xdp_load(const traffic_xdp_spec *sp, unsigned nqueues, traffic_xdp **ret)
{
    if (sp->mode == TRAFFIC_XDP_COUNT &&
        (sp->nstreams == 0 || sp->nstreams > TRAFFIC_MAX_STREAMS ||
         sp->payload < TRAFFIC_HDR_LEN || sp->payload + XSK_HDRS > XSK_FRAME))
        return -EINVAL;
    traffic_xdp *x = calloc(1, sizeof(*x));
    if (!x)
        return -ENOMEM;
    x->prog_fd = x->map_fd = x->count_fd = x->slot_fd = x->link_fd = -1;
    x->nqueues = nqueues < 1 ? 1 : nqueues > TRAFFIC_XSK_MAX ? TRAFFIC_XSK_MAX : nqueues;
    int r;
    if (sp->mode != TRAFFIC_XDP_DROP &&
        (x->map_fd = map_create(BPF_MAP_TYPE_XSKMAP, 4, TRAFFIC_XSK_MAX, "vexp_xsks")) < 0)
        goto fail;
    if (sp->mode == TRAFFIC_XDP_COUNT) {
        x->nstreams = sp->nstreams;
        const unsigned keys = x->nqueues * x->nstreams;
        if ((x->count_fd = map_create(BPF_MAP_TYPE_ARRAY, C_N * 8, keys + 1, "vexp_counts")) <
                0 ||
            (x->slot_fd = map_create(BPF_MAP_TYPE_ARRAY, 8, keys * TRAFFIC_SEQ_WINDOW,
                                     "vexp_seqslots")) < 0)
            goto fail;
    }
    struct bpf_insn prog[160];
    unsigned n = xdp_program(prog, sp, x->map_fd, x->count_fd, x->slot_fd, x->nqueues);
    static const char license[] = "GPL";
    char log[8192] = "";
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.prog_type = BPF_PROG_TYPE_XDP;
    a.insns = (uint64_t)(uintptr_t)prog;
    a.insn_cnt = n;
    a.license = (uint64_t)(uintptr_t)license;
    a.log_buf = (uint64_t)(uintptr_t)log;
    a.log_size = sizeof(log);
    a.log_level = 1;
    static const char *const names[] = {"vexp_redirect", "vexp_drop", "vexp_count"};
    snprintf(a.prog_name, sizeof(a.prog_name), "%s", names[sp->mode]);
    if ((x->prog_fd = (int)sys_bpf(BPF_PROG_LOAD, &a)) < 0) {
        /* a verifier refusal would be our bug: keep its words for a debugger */
        if (getenv("VEXP_XDP_DEBUG"))
            fprintf(stderr, "%s\n", log);
        goto fail;
    }
    *ret = x;
    return 0;
fail:
    r = -errno;
    traffic_xdp_close(x);
    return r;
}

int traffic_xdp_open(const char *ifname, const traffic_xdp_spec *sp, traffic_xdp **ret)
{
    unsigned ifindex = if_nametoindex(ifname);
    if (!ifindex)
        return -errno;
    traffic_xdp *x;
    int r = traffic_xdp_load(sp, dev_queues(ifname), &x);
    if (r < 0)
        return r;
    x->ifindex = ifindex;
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.link_create.prog_fd = (uint32_t)x->prog_fd;
    a.link_create.target_ifindex = ifindex;
    a.link_create.attach_type = BPF_XDP;
    /* EBUSY: the previous trial's program is still being released; wait, boundedly */
    for (unsigned i = 0; (x->link_fd = (int)sys_bpf(BPF_LINK_CREATE, &a)) < 0 && errno == EBUSY &&
                         i < 100;
         i++)
        usleep(5000);
    if (x->link_fd < 0) {
        r = -errno;
        traffic_xdp_close(x);
        return r;
    }
    *ret = x;
    return 0;
}

bool traffic_xdp_counts(const traffic_xdp *x)
{
    return x && x->count_fd >= 0;
}

static int map_lookup(int fd, uint32_t key, void *value)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_fd = (uint32_t)fd;
    a.key = (uint64_t)(uintptr_t)&key;
    a.value = (uint64_t)(uintptr_t)value;
    return sys_bpf(BPF_MAP_LOOKUP_ELEM, &a) < 0 ? -errno : 0;
}

int traffic_xdp_fold(const traffic_xdp *x, traffic_rx *rx)
{
    if (!traffic_xdp_counts(x))
        return 0;
    uint64_t c[C_N];
    for (unsigned q = 0; q < x->nqueues; q++)
        for (unsigned i = 0; i < x->nstreams && i < rx->nstreams; i++) {
            int r = map_lookup(x->count_fd, q * x->nstreams + i, c);
            if (r < 0)
                return r;
            rx->seq[i].unique += c[C_UNIQUE];
            rx->seq[i].reordered += c[C_REORDERED];
            rx->seq[i].duplicated += c[C_DUPLICATED];
            rx->seq[i].too_old += c[C_TOO_OLD];
        }
    int r = map_lookup(x->count_fd, x->nqueues * x->nstreams, c);
    if (r < 0)
        return r;
    rx->foreign += c[0];
    return 0;
}

int traffic_xdp_test_run(const traffic_xdp *x, const uint8_t *frame, size_t len,
                         unsigned *ret_action)
{
    union bpf_attr a;
    /* the frame as the program left it: unused, but a buffer valgrind can see (it checks
     * data_out even when the caller wants nothing back) */
    uint8_t *out = malloc(len ? len : 1);
    if (!out)
        return -ENOMEM;
    memset(&a, 0, sizeof(a));
    a.test.prog_fd = (uint32_t)x->prog_fd;
    a.test.data_in = (uint64_t)(uintptr_t)frame;
    a.test.data_size_in = (uint32_t)len;
    a.test.data_out = (uint64_t)(uintptr_t)out;
    a.test.data_size_out = (uint32_t)(len ? len : 1);
    a.test.repeat = 1;
    int r = sys_bpf(BPF_PROG_TEST_RUN, &a) < 0 ? -errno : 0;
    free(out);
    if (r < 0)
        return r;
    *ret_action = a.test.retval;
    return 0;
}

unsigned traffic_xdp_queues(const traffic_xdp *x)
{
    return x->nqueues;
}

/* ---- sockets ---- */

static int ring_map(int fd, xring *r, size_t entry, uint32_t n, const struct xdp_ring_offset *o,
                    off_t pgoff)
{
    r->map_len = o->desc + n * entry;
    r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, pgoff);
    if (r->map == MAP_FAILED) {
        r->map = NULL;
        return -errno;
    }
    r->producer = (uint32_t *)((uint8_t *)r->map + o->producer);
    r->consumer = (uint32_t *)((uint8_t *)r->map + o->consumer);
    r->flags = (uint32_t *)((uint8_t *)r->map + o->flags);
    r->desc = (uint8_t *)r->map + o->desc;
    r->mask = n - 1;
    return 0;
}

void traffic_xsk_close(traffic_xsk *s)
{
    if (!s)
        return;
    xring *rings[] = {&s->fill, &s->comp, &s->rx, &s->tx};
    for (unsigned i = 0; i < 4; i++)
        if (rings[i]->map)
            munmap(rings[i]->map, rings[i]->map_len);
    if (s->fd >= 0)
        close(s->fd);
    if (s->umem)
        munmap(s->umem, s->umem_len);
    free(s);
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

int traffic_xsk_open(traffic_xdp *x, unsigned queue, const traffic_xsk_flow *f, traffic_xsk **ret)
{
    if (queue >= x->nqueues)
        return -EINVAL;
    if (f->payload < TRAFFIC_HDR_LEN || f->payload + XSK_HDRS > XSK_FRAME)
        return -EMSGSIZE;
    traffic_xsk *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    int r;
    s->queue = queue;
    s->payload = f->payload;
    s->port_be = f->src.sin_port;
    s->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (s->fd < 0)
        goto fail_errno;
    s->umem_len = (size_t)XSK_NFRAMES * XSK_FRAME;
    s->umem = mmap(NULL, s->umem_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s->umem == MAP_FAILED) {
        s->umem = NULL;
        goto fail_errno;
    }
    struct xdp_umem_reg ur = {.addr = (uint64_t)(uintptr_t)s->umem,
                              .len = s->umem_len,
                              .chunk_size = XSK_FRAME,
                              .headroom = 0};
    int ring = XSK_RING;
    if (setsockopt(s->fd, SOL_XDP, XDP_UMEM_REG, &ur, sizeof(ur)) < 0 ||
        setsockopt(s->fd, SOL_XDP, XDP_UMEM_FILL_RING, &ring, sizeof(ring)) < 0 ||
        setsockopt(s->fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &ring, sizeof(ring)) < 0 ||
        setsockopt(s->fd, SOL_XDP, XDP_RX_RING, &ring, sizeof(ring)) < 0 ||
        setsockopt(s->fd, SOL_XDP, XDP_TX_RING, &ring, sizeof(ring)) < 0)
        goto fail_errno;
    struct xdp_mmap_offsets off;
    socklen_t olen = sizeof(off);
    if (getsockopt(s->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &olen) < 0)
        goto fail_errno;
    if ((r = ring_map(s->fd, &s->fill, sizeof(uint64_t), XSK_RING, &off.fr,
                      XDP_UMEM_PGOFF_FILL_RING)) < 0 ||
        (r = ring_map(s->fd, &s->comp, sizeof(uint64_t), XSK_RING, &off.cr,
                      XDP_UMEM_PGOFF_COMPLETION_RING)) < 0 ||
        (r = ring_map(s->fd, &s->rx, sizeof(struct xdp_desc), XSK_RING, &off.rx,
                      XDP_PGOFF_RX_RING)) < 0 ||
        (r = ring_map(s->fd, &s->tx, sizeof(struct xdp_desc), XSK_RING, &off.tx,
                      XDP_PGOFF_TX_RING)) < 0)
        goto fail;

    /* TX half: every frame prebuilt, only the payload's first 18 bytes change */
    uint8_t *h = s->hdr;
    memcpy(h, f->dst_mac, 6);
    memcpy(h + 6, f->src_mac, 6);
    h[12] = 0x08;
    h[13] = 0x00;
    struct iphdr ip = {
        .version = 4,
        .ihl = 5,
        .ttl = 64,
        .protocol = IPPROTO_UDP,
        .tot_len = htons((uint16_t)(20 + 8 + f->payload)),
        .frag_off = htons(0x4000),
        .saddr = f->src.sin_addr.s_addr,
        .daddr = f->dst.sin_addr.s_addr,
    };
    ip.check = ip_csum(&ip, sizeof(ip));
    memcpy(h + 14, &ip, 20);
    /* UDP checksum 0: "not computed", legal over IPv4; the payload changes per frame */
    struct udphdr udp = {.source = f->src.sin_port,
                         .dest = f->dst.sin_port,
                         .len = htons((uint16_t)(8 + f->payload)),
                         .check = 0};
    memcpy(h + 34, &udp, 8);
    for (unsigned i = 0; i < XSK_NFRAMES / 2; i++) {
        uint64_t addr = (uint64_t)i * XSK_FRAME;
        memcpy(s->umem + addr, h, XSK_HDRS);
        s->tx_free[s->n_free++] = addr;
    }
    /* RX half: all of it in the fill ring */
    uint64_t *fd = s->fill.desc;
    for (unsigned i = 0; i < XSK_NFRAMES / 2; i++)
        fd[i & s->fill.mask] = (uint64_t)(XSK_NFRAMES / 2 + i) * XSK_FRAME;
    __atomic_store_n(s->fill.producer, XSK_NFRAMES / 2, __ATOMIC_RELEASE);

    struct sockaddr_xdp sx = {.sxdp_family = AF_XDP,
                              .sxdp_ifindex = x->ifindex,
                              .sxdp_queue_id = queue,
                              .sxdp_flags = XDP_USE_NEED_WAKEUP};
    /* EBUSY: a socket closed a moment ago still holds the queue (released after an RCU
     * grace period); wait for it, boundedly */
    for (unsigned i = 0; (r = bind(s->fd, (struct sockaddr *)&sx, sizeof(sx))) < 0 &&
                         errno == EBUSY && i < 100;
         i++)
        usleep(5000);
    if (r < 0)
        goto fail_errno;
    if (x->map_fd >= 0) {
        union bpf_attr a;
        memset(&a, 0, sizeof(a));
        uint32_t key = queue, val = (uint32_t)s->fd;
        a.map_fd = (uint32_t)x->map_fd;
        a.key = (uint64_t)(uintptr_t)&key;
        a.value = (uint64_t)(uintptr_t)&val;
        if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a) < 0)
            goto fail_errno;
    }
    *ret = s;
    return 0;
fail_errno:
    r = -errno;
fail:
    traffic_xsk_close(s);
    return r;
}

int traffic_xsk_fd(const traffic_xsk *s)
{
    return s->fd;
}

static void kick_tx(traffic_xsk *s)
{
    /* copy mode sends in this call, at most 32 frames a time (the kernel's
     * TX_BATCH_SIZE): EAGAIN means "more left", so call again, boundedly */
    for (unsigned i = 0; i < XSK_RING / 32 + 1; i++) {
        uint32_t prod = __atomic_load_n(s->tx.producer, __ATOMIC_RELAXED);
        uint32_t cons = __atomic_load_n(s->tx.consumer, __ATOMIC_ACQUIRE);
        if (prod == cons)
            break;
        if (sendto(s->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN &&
            errno != EBUSY && errno != ENOBUFS && errno != EINTR)
            break;
    }
}

static void reap(traffic_xsk *s)
{
    uint32_t cons = *s->comp.consumer;
    uint32_t prod = __atomic_load_n(s->comp.producer, __ATOMIC_ACQUIRE);
    const uint64_t *d = s->comp.desc;
    for (; cons != prod; cons++) {
        s->tx_free[s->n_free++] = d[cons & s->comp.mask] & ~(uint64_t)(XSK_FRAME - 1);
        s->outstanding--;
    }
    __atomic_store_n(s->comp.consumer, cons, __ATOMIC_RELEASE);
}

int traffic_xsk_send(traffic_xsk *s, uint64_t first_seq, uint64_t k0, unsigned n, uint64_t ts_ns,
                     uint16_t stream, uint64_t tag_every)
{
    reap(s);
    uint32_t prod = *s->tx.producer;
    uint32_t cons = __atomic_load_n(s->tx.consumer, __ATOMIC_ACQUIRE);
    unsigned room = XSK_RING - (prod - cons);
    if (n > room)
        n = room;
    if (n > s->n_free)
        n = s->n_free;
    struct xdp_desc *d = s->tx.desc;
    for (unsigned i = 0; i < n; i++) {
        uint64_t addr = s->tx_free[--s->n_free];
        uint64_t k = k0 + i;
        uint16_t tag = stream & TRAFFIC_TAG_STREAM;
        if (tag_every && k % tag_every == 0)
            tag |= TRAFFIC_TAG_ECHO;
        traffic_hdr_put(s->umem + addr + XSK_HDRS, first_seq + k, ts_ns, tag);
        d[(prod + i) & s->tx.mask] = (struct xdp_desc){.addr = addr, .len = XSK_HDRS + s->payload};
    }
    __atomic_store_n(s->tx.producer, prod + n, __ATOMIC_RELEASE);
    s->outstanding += n;
    kick_tx(s);
    if (n == 0) {
        struct pollfd pfd = {.fd = s->fd, .events = POLLOUT};
        (void)poll(&pfd, 1, 1);
    }
    return (int)n;
}

uint64_t traffic_xsk_flush(traffic_xsk *s, int64_t max_ns)
{
    const int64_t until = traffic_now_ns() + max_ns;
    for (;;) {
        kick_tx(s);
        reap(s);
        if (s->outstanding == 0 || traffic_now_ns() >= until)
            return s->outstanding;
        struct pollfd pfd = {.fd = s->fd, .events = POLLOUT};
        (void)poll(&pfd, 1, 1);
    }
}

/* Echo a received frame back where it came from: swap MACs, addresses and
 * ports (the IP checksum stays valid: its sum does not depend on the order).
 * The UDP checksum goes to 0 ("not computed", legal over IPv4): a frame from a
 * local socket over veth carries only the pseudo-header's partial sum (checksum
 * offload), which the receiving stack, trusting nothing from AF_XDP, rejects. */
static bool echo_frame(traffic_xsk *s, const uint8_t *frame, uint32_t len)
{
    reap(s);
    uint32_t prod = *s->tx.producer;
    uint32_t cons = __atomic_load_n(s->tx.consumer, __ATOMIC_ACQUIRE);
    if (prod - cons >= XSK_RING || s->n_free == 0 || len > XSK_FRAME)
        return false;
    uint64_t addr = s->tx_free[--s->n_free];
    uint8_t *o = s->umem + addr;
    memcpy(o, frame + 6, 6);
    memcpy(o + 6, frame, 6);
    memcpy(o + 12, frame + 12, len - 12);
    memcpy(o + 26, frame + 30, 4);
    memcpy(o + 30, frame + 26, 4);
    memcpy(o + 34, frame + 36, 2);
    memcpy(o + 36, frame + 34, 2);
    o[40] = o[41] = 0;
    struct xdp_desc *d = s->tx.desc;
    d[prod & s->tx.mask] = (struct xdp_desc){.addr = addr, .len = len};
    __atomic_store_n(s->tx.producer, prod + 1, __ATOMIC_RELEASE);
    s->outstanding++;
    return true;
}

int traffic_xsk_drain(traffic_xsk *s, traffic_rx *rx)
{
    int total = 0;
    struct xdp_desc *d = s->rx.desc;
    uint64_t *fq = s->fill.desc;
    for (unsigned rounds = 0; rounds < 64; rounds++) {
        uint32_t cons = *s->rx.consumer;
        uint32_t prod = __atomic_load_n(s->rx.producer, __ATOMIC_ACQUIRE);
        uint32_t n = prod - cons;
        if (n == 0) {
            if (__atomic_load_n(s->fill.flags, __ATOMIC_RELAXED) & XDP_RING_NEED_WAKEUP)
                (void)recvfrom(s->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
            break;
        }
        if (n > TRAFFIC_BATCH)
            n = TRAFFIC_BATCH;
        const int64_t now = traffic_now_ns();
        uint32_t fprod = *s->fill.producer;
        unsigned echoed = 0;
        for (uint32_t i = 0; i < n; i++) {
            const struct xdp_desc *e = &d[(cons + i) & s->rx.mask];
            const uint8_t *fr = s->umem + e->addr;
            /* the program passed only IPv4/UDP without options to our port */
            uint32_t plen = e->len >= XSK_HDRS ? (uint32_t)(fr[38] << 8 | fr[39]) - 8 : 0;
            if (e->len < XSK_HDRS || plen + XSK_HDRS > e->len) {
                rx->foreign++;
            } else if (traffic_rx_account(rx, fr + XSK_HDRS, plen, now) &&
                       echo_frame(s, fr, XSK_HDRS + plen)) {
                echoed++;
            }
            fq[(fprod + i) & s->fill.mask] = e->addr & ~(uint64_t)(XSK_FRAME - 1);
        }
        __atomic_store_n(s->rx.consumer, cons + n, __ATOMIC_RELEASE);
        __atomic_store_n(s->fill.producer, fprod + n, __ATOMIC_RELEASE);
        if (echoed) {
            kick_tx(s);
            rx->reflected += echoed;
        }
        total += (int)n;
        if (n < TRAFFIC_BATCH)
            break;
    }
    return total;
}

/* ---- where the tester's frames leave ---- */

int traffic_dev_mac(const char *dev, uint8_t mac[6])
{
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
    _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
        return -errno;
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    return 0;
}

/* The next hop towards dst, by rtnetlink (RTM_GETROUTE): the route's gateway, or dst
 * itself on a link route.  An AF_XDP frame is addressed to the next hop's MAC: a DUT
 * behind a router is reached through the router's. */
int traffic_next_hop(struct in_addr dst, struct in_addr *via)
{
    _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -errno;
    struct {
        struct nlmsghdr nh;
        struct rtmsg rt;
        struct rtattr a;
        struct in_addr dst;
    } req = {.nh = {.nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETROUTE,
                    .nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = 1},
             .rt = {.rtm_family = AF_INET, .rtm_dst_len = 32},
             .a = {.rta_len = RTA_LENGTH(sizeof(struct in_addr)), .rta_type = RTA_DST},
             .dst = dst};
    if (send(fd, &req, sizeof(req), 0) < 0)
        return -errno;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0)
        return -errno;
    *via = dst;
    for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
         nh = NLMSG_NEXT(nh, n)) {
        if (nh->nlmsg_type == NLMSG_ERROR) {
            const struct nlmsgerr *e = NLMSG_DATA(nh);
            return e->error ? e->error : -EIO;
        }
        if (nh->nlmsg_type != RTM_NEWROUTE)
            continue;
        struct rtmsg *rt = NLMSG_DATA(nh);
        int alen = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*rt)));
        for (struct rtattr *a = RTM_RTA(rt); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
            if (a->rta_type == RTA_GATEWAY && RTA_PAYLOAD(a) == sizeof(*via))
                memcpy(via, RTA_DATA(a), sizeof(*via));
        return 0;
    }
    return -EIO;
}

/* The root qdisc of ifindex, by rtnetlink ("noqueue", "tbf", ...).  AF_XDP
 * frames skip it, so a shaper there would silently stop shaping. */
int traffic_dev_qdisc(unsigned ifindex, char *kind, size_t len)
{
    _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -errno;
    struct {
        struct nlmsghdr nh;
        struct tcmsg tc;
    } req = {.nh = {.nlmsg_len = sizeof(req),
                    .nlmsg_type = RTM_GETQDISC,
                    .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
                    .nlmsg_seq = 1},
             .tc = {.tcm_family = AF_UNSPEC}};
    if (send(fd, &req, sizeof(req), 0) < 0)
        return -errno;
    snprintf(kind, len, "none");
    char buf[16384];
    for (unsigned rounds = 0; rounds < 64; rounds++) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0)
            return -errno;
        for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
             nh = NLMSG_NEXT(nh, n)) {
            if (nh->nlmsg_type == NLMSG_DONE)
                return 0;
            if (nh->nlmsg_type == NLMSG_ERROR)
                return -EIO;
            if (nh->nlmsg_type != RTM_NEWQDISC)
                continue;
            struct tcmsg *tc = NLMSG_DATA(nh);
            if ((unsigned)tc->tcm_ifindex != ifindex || tc->tcm_parent != TC_H_ROOT)
                continue;
            int alen = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*tc)));
            for (struct rtattr *a = (struct rtattr *)((uint8_t *)tc + NLMSG_ALIGN(sizeof(*tc)));
                 RTA_OK(a, alen); a = RTA_NEXT(a, alen))
                if (a->rta_type == TCA_KIND)
                    snprintf(kind, len, "%s", (const char *)RTA_DATA(a));
        }
    }
    return 0;
}
