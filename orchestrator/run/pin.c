/* SPDX-License-Identifier: MIT */
/* vexp run: the CPUs the local tester's threads run on ([traffic] tester_cpus). */
#include "vexp-config.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "domains-render.h"
#include "run-priv.h"

static void map_or(unsigned char *dst, const unsigned char *src)
{
    for (guint i = 0; i < DOMAINS_CPUMAP_LEN; i++)
        dst[i] |= src[i];
}

static gboolean map_empty(const unsigned char *map)
{
    for (guint i = 0; i < DOMAINS_CPUMAP_LEN; i++)
        if (map[i])
            return FALSE;
    return TRUE;
}

/* The CPUs the cells pin their guests to: vCPUs into vcpus, emulators into emu. */
static gboolean cells_pinned(const vexp_matrix *m, unsigned char *vcpus, unsigned char *emu,
                             GError **error)
{
    unsigned char one[DOMAINS_CPUMAP_LEN];

    for (guint i = 0; i < matrix_cell_count(m); i++) {
        const matrix_cell *c = matrix_get_cell(m, i);

        for (guint k = 0; c->vcpu_pin_cpusets && c->vcpu_pin_cpusets[k]; k++) {
            if (!domains_cpuset_parse(c->vcpu_pin_cpusets[k], "vcpu_pin", one, error))
                return FALSE;
            map_or(vcpus, one);
        }
        if (c->emulator_cpuset) {
            if (!domains_cpuset_parse(c->emulator_cpuset, "emulator_pin", one, error))
                return FALSE;
            map_or(emu, one);
        }
    }
    return TRUE;
}

gboolean run_tester_pin_plan(run_state *st, GError **error)
{
    const matrix_traffic *t = matrix_get_traffic(st->m);
    const char *want = t->tester_cpus ? t->tester_cpus : "auto";
    const char *key = t->tester_cpus_key ? t->tester_cpus_key : "tester_cpus";
    unsigned char map[DOMAINS_CPUMAP_LEN] = {0}, vcpus[DOMAINS_CPUMAP_LEN] = {0},
                                          emu[DOMAINS_CPUMAP_LEN] = {0};
    const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    const char *why;

    st->tester_pinned = FALSE;
    st->n_tester_cpus = 0;
    if (!strcmp(want, "none"))
        return TRUE;
    if (strcmp(matrix_get_network(st->m)->tester, "local") != 0) {
        /* the tester side runs on the tester machine: its own placement */
        return TRUE;
    }
    if (strcmp(want, "auto") != 0) {
        if (!domains_cpuset_parse(want, key, map, error)) {
            g_prefix_error(error, "%s:%u: [traffic] ", matrix_path(st->m),
                           matrix_line_of(st->m, "traffic", key));
            return FALSE;
        }
        why = key;
    } else {
        if (!cells_pinned(st->m, vcpus, emu, error))
            return FALSE;
        if (map_empty(vcpus))
            return TRUE; /* nothing pinned: nothing to keep apart */
        /* auto: the online CPUs no vCPU is pinned to; else the emulator's */
        for (long c = 0; c < ncpu && c < DOMAINS_CPU_MAX; c++)
            if (!(vcpus[c / 8] & (1u << (c % 8))))
                map[c / 8] |= (unsigned char)(1u << (c % 8));
        why = "auto: the CPUs no vcpu_pin uses";
        if (map_empty(map)) {
            memcpy(map, emu, sizeof(map));
            why = "auto: every CPU has a vCPU pinned, the emulator's";
        }
        if (map_empty(map))
            return TRUE;
    }
    CPU_ZERO(&st->tester_cpus);
    for (long c = 0; c < DOMAINS_CPU_MAX && c < CPU_SETSIZE; c++) {
        if (!(map[c / 8] & (1u << (c % 8))))
            continue;
        if (c >= ncpu) {
            g_set_error(error, VEXP_ERROR, VEXP_ERROR_INPUT,
                        "%s:%u: [traffic] %s = '%s': CPU %ld does not exist here "
                        "(%ld online)",
                        matrix_path(st->m), matrix_line_of(st->m, "traffic", key), key, want, c,
                        ncpu);
            return FALSE;
        }
        if (st->n_tester_cpus == TRAFFIC_MAX_TESTER_CPUS) {
            /* auto on a large host: the engine places at most this many threads, and
             * what is recorded is where the tester ran (the matrix refuses more) */
            map[c / 8] &= (unsigned char)~(1u << (c % 8));
            continue;
        }
        st->tester_cpu_list[st->n_tester_cpus++] = (unsigned)c;
        CPU_SET(c, &st->tester_cpus);
    }
    g_free(st->tester_cpus_text);
    st->tester_cpus_text = domains_cpuset_format(map, sizeof(map));
    st->tester_pinned = TRUE;
    fprintf(stderr, "vexp: tester pinned to CPU %s (%s)\n", st->tester_cpus_text, why);
    return TRUE;
}

gboolean run_tester_pin_enter(const run_state *st, cpu_set_t *ret_saved)
{
    if (!st->tester_pinned)
        return FALSE;
    if (pthread_getaffinity_np(pthread_self(), sizeof(*ret_saved), ret_saved) != 0)
        return FALSE;
    /* threads the tester starts from here inherit the mask; its senders and receivers
     * are then placed one per CPU (traffic_params.tester_cpus, set by the cell) */
    return pthread_setaffinity_np(pthread_self(), sizeof(st->tester_cpus), &st->tester_cpus) == 0;
}

void run_tester_pin_leave(const cpu_set_t *saved)
{
    (void)pthread_setaffinity_np(pthread_self(), sizeof(*saved), saved);
}
