/* SPDX-License-Identifier: MIT */
/* domains: a running guest's CPUs, its pinning read back and its CPU time. */
#include "vexp-config.h"

#include <string.h>

#include "domains-priv.h"

gboolean domains_guest_check_pinning(domains_guest *g, const domains_spec *spec, GError **error)
{
    virConnectPtr conn = virDomainGetConnect(g->dom);
    const char *const *sets = spec->vcpu_pin;
    g_autofree unsigned char *maps = NULL;
    gboolean emu = spec->emulator_pin != NULL && strcmp(spec->emulator_pin, "none") != 0;
    unsigned char want[DOMAINS_CPUMAP_LEN];
    int ncpus, maplen, nvcpus, n;

    if (!domains_vcpu_pin_check(sets, spec->vcpus, error))
        return FALSE;
    if (sets == NULL && !emu)
        return TRUE;
    ncpus = virNodeGetCPUMap(conn, NULL, NULL, 0);
    nvcpus = virDomainGetMaxVcpus(g->dom);
    if (ncpus <= 0 || nvcpus <= 0) {
        g_autofree char *why = domains_virt_last_error();

        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                    "failed to read the CPU counts of domain '%s': %s", g->name, why);
        return FALSE;
    }
    ncpus = MIN(ncpus, DOMAINS_CPU_MAX);
    maplen = VIR_CPU_MAPLEN(ncpus);
    maps = g_malloc0((gsize)maplen * (gsize)nvcpus);

    if (sets != NULL) {
        if (g_strv_length((char **)sets) != (guint)nvcpus) {
            g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_GUEST,
                        "domain '%s' has %d vCPUs, pinning asked for %u", g->name, nvcpus,
                        g_strv_length((char **)sets));
            return FALSE;
        }
        n = virDomainGetVcpuPinInfo(g->dom, nvcpus, maps, maplen, 0);
        if (n < 0) {
            g_autofree char *why = domains_virt_last_error();

            g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                        "failed to read the vCPU pinning of domain '%s': %s", g->name, why);
            return FALSE;
        }
        for (int v = 0; v < n; v++) {
            unsigned char *got = VIR_GET_CPUMAP(maps, maplen, v);

            domains_cpuset_parse(sets[v], "vcpu_pin", want, NULL);
            if (memcmp(got, want, (size_t)maplen) != 0) {
                g_autofree char *have = domains_cpuset_format(got, (size_t)maplen);

                g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_GUEST,
                            "vCPU %d of domain '%s' runs on host CPUs '%s', asked '%s'", v, g->name,
                            have, sets[v]);
                return FALSE;
            }
        }
    }
    if (emu) {
        memset(maps, 0, (size_t)maplen);
        if (virDomainGetEmulatorPinInfo(g->dom, maps, maplen, 0) < 0) {
            g_autofree char *why = domains_virt_last_error();

            g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                        "failed to read the emulator pinning of domain '%s': %s", g->name, why);
            return FALSE;
        }
        domains_cpuset_parse(spec->emulator_pin, "emulator_pin", want, NULL);
        if (memcmp(maps, want, (size_t)maplen) != 0) {
            g_autofree char *have = domains_cpuset_format(maps, (size_t)maplen);

            g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_GUEST,
                        "the emulator threads of domain '%s' run on host CPUs '%s', asked '%s'",
                        g->name, have, spec->emulator_pin);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean domains_guest_cpu_time(domains_guest *g, guint64 *ret_ns, GError **error)
{
    virTypedParameter params[8];
    virDomainInfo info;
    int n;

    /* total of the whole QEMU process (cgroup), when the driver offers it */
    n = virDomainGetCPUStats(g->dom, params, G_N_ELEMENTS(params), -1, 1, 0);
    if (n > 0) {
        for (int i = 0; i < n; i++) {
            if (strcmp(params[i].field, VIR_DOMAIN_CPU_STATS_CPUTIME) == 0 &&
                params[i].type == VIR_TYPED_PARAM_ULLONG) {
                *ret_ns = params[i].value.ul;
                virTypedParamsClear(params, n);
                return TRUE;
            }
        }
        virTypedParamsClear(params, n);
    }
    virResetLastError();
    /* else the process's utime + stime (no cgroups, e.g. the embedded driver) */
    if (virDomainGetInfo(g->dom, &info) < 0) {
        g_autofree char *why = domains_virt_last_error();

        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                    "failed to read the CPU time of domain '%s': %s", g->name, why);
        return FALSE;
    }
    *ret_ns = info.cpuTime;
    return TRUE;
}
