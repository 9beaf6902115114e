/* SPDX-License-Identifier: MIT */
/* domains: what this host has for a domain (online CPUs, memory) and whether its KVM
 * runs guests, as far as can be told without booting one. */
#include "vexp-config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "domains-priv.h"

struct domains_host {
    unsigned char cpus[DOMAINS_CPUMAP_LEN]; /* online CPUs, libvirt's cpumap layout */
    char *cpus_text;                        /* "0-1" */
    guint64 memory_mib;                     /* MemTotal; 0 = unknown */
    domains_kvm_kind kvm_kind;
    gboolean kvm_usable;
    char *kvm_why;
};

/* ---- KVM ---------------------------------------------------------------- */

static int kvm_override = -1;
static char *kvm_override_why;

void domains_set_kvm_override(int usable)
{
    kvm_override = usable;
    g_clear_pointer(&kvm_override_why, g_free);
}

void domains_kvm_set_broken(const char *why)
{
    kvm_override = 0;
    g_free(kvm_override_why);
    kvm_override_why = g_strdup(why);
}

/* a whole word of a "flags" line of /proc/cpuinfo */
static gboolean cpuinfo_has_flag(const char *cpuinfo, const char *flag)
{
    g_auto(GStrv) lines = g_strsplit(cpuinfo, "\n", -1);

    for (guint i = 0; lines[i]; i++) {
        const char *colon = strchr(lines[i], ':');
        g_auto(GStrv) words = NULL;

        if (!g_str_has_prefix(lines[i], "flags") || !colon)
            continue;
        words = g_strsplit_set(colon + 1, " \t", -1);
        if (g_strv_contains((const char *const *)words, flag))
            return TRUE;
    }
    return FALSE;
}

domains_kvm_kind domains_kvm_kind_of(const char *cpuinfo, const char *module_dir)
{
    g_autofree char *pvm = g_build_filename(module_dir, "kvm_pvm", NULL);

    if (cpuinfo && (cpuinfo_has_flag(cpuinfo, "vmx") || cpuinfo_has_flag(cpuinfo, "svm")))
        return DOMAINS_KVM_KIND_HARDWARE;
    if (g_file_test(pvm, G_FILE_TEST_IS_DIR))
        return DOMAINS_KVM_KIND_PVM;
    return DOMAINS_KVM_KIND_NONE;
}

/* the state of the node: NULL when it opens and answers KVM_API_VERSION; g_free() */
static char *dev_kvm_problem(const char *dev)
{
    int fd = open(dev, O_RDWR | O_CLOEXEC);
    int version;

    if (fd < 0)
        return g_strdup_printf("%s: %s", dev, g_strerror(errno));
    version = ioctl(fd, KVM_GET_API_VERSION, 0);
    close(fd);
    if (version != KVM_API_VERSION)
        return g_strdup_printf("%s answers KVM_GET_API_VERSION with %d, not %d", dev, version,
                               KVM_API_VERSION);
    return NULL;
}

static domains_kvm_kind kvm_kind_at(const char *root)
{
    g_autofree char *cpuinfo_path = g_strconcat(root, "/proc/cpuinfo", NULL);
    g_autofree char *module_dir = g_strconcat(root, "/sys/module", NULL);
    g_autofree char *cpuinfo = NULL;

    g_file_get_contents(cpuinfo_path, &cpuinfo, NULL, NULL);
    return domains_kvm_kind_of(cpuinfo, module_dir);
}

gboolean domains_kvm_check_at(const char *root, char **ret_why)
{
    g_autofree char *dev = g_strconcat(root, "/dev/kvm", NULL);
    g_autofree char *problem = dev_kvm_problem(dev);
    domains_kvm_kind kind = kvm_kind_at(root);
    char *why;
    gboolean ok = FALSE;

    if (kind == DOMAINS_KVM_KIND_PVM)
        why = g_strdup_printf(
            "KVM here is PVM, a software KVM (%s/sys/module/kvm_pvm is present, no vmx or svm "
            "in %s/proc/cpuinfo): it runs guest kernel code in KVM's instruction emulator, far "
            "slower than TCG, and QEMU aborts with -cpu host (MSR 0x10a); %s",
            root, root, problem ? problem : "/dev/kvm opens");
    else if (problem && kind == DOMAINS_KVM_KIND_HARDWARE)
        why = g_strdup_printf("%s, although the CPU has vmx or svm (modprobe kvm_intel or "
                              "kvm_amd)",
                              problem);
    else if (problem)
        why = g_strdup_printf("%s; the CPU has no vmx or svm in %s/proc/cpuinfo (no hardware "
                              "virtualisation)",
                              problem, root);
    else {
        /* a KVM that answers may still not run guests: domains_accel_probe() boots one */
        why = g_strdup_printf("%s answers KVM API %d", dev, KVM_API_VERSION);
        ok = TRUE;
    }
    if (ret_why)
        *ret_why = why;
    else
        g_free(why);
    return ok;
}

gboolean domains_kvm_check(char **ret_why)
{
    const char *no = g_getenv("VEXP_NO_KVM");

    if (kvm_override >= 0) {
        if (ret_why)
            *ret_why = g_strdup(kvm_override_why ? kvm_override_why
                                : kvm_override   ? "KVM pretended usable (test)"
                                                 : "KVM pretended absent (test)");
        return kvm_override == 1;
    }
    if (no != NULL && strcmp(no, "1") == 0) {
        if (ret_why)
            *ret_why = g_strdup("VEXP_NO_KVM=1 is set");
        return FALSE;
    }
    return domains_kvm_check_at("", ret_why);
}

gboolean domains_kvm_usable(void)
{
    return domains_kvm_check(NULL);
}

/* ---- CPUs and memory ---------------------------------------------------- */

domains_host *domains_host_probe_at(const char *root)
{
    g_autofree char *online_path = g_strconcat(root, "/sys/devices/system/cpu/online", NULL);
    g_autofree char *meminfo_path = g_strconcat(root, "/proc/meminfo", NULL);
    g_autofree char *online = NULL, *meminfo = NULL;
    domains_host *h = g_new0(domains_host, 1);

    if (!g_file_get_contents(online_path, &online, NULL, NULL) ||
        !domains_cpuset_parse(g_strstrip(online), "online CPUs", h->cpus, NULL)) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);

        memset(h->cpus, 0, sizeof(h->cpus));
        for (long c = 0; c < n && c < DOMAINS_CPU_MAX; c++)
            h->cpus[c / 8] |= (unsigned char)(1u << (c % 8));
    }
    h->cpus_text = domains_cpuset_format(h->cpus, sizeof(h->cpus));
    if (g_file_get_contents(meminfo_path, &meminfo, NULL, NULL)) {
        const char *p = strstr(meminfo, "MemTotal:");
        guint64 kib = p ? g_ascii_strtoull(p + strlen("MemTotal:"), NULL, 10) : 0;

        h->memory_mib = kib / 1024;
    }
    h->kvm_kind = kvm_kind_at(root);
    if (*root)
        h->kvm_usable = domains_kvm_check_at(root, &h->kvm_why);
    else
        h->kvm_usable = domains_kvm_check(&h->kvm_why);
    return h;
}

domains_host *domains_host_probe(void)
{
    return domains_host_probe_at("");
}

void domains_host_free(domains_host *h)
{
    if (!h)
        return;
    g_free(h->cpus_text);
    g_free(h->kvm_why);
    g_free(h);
}

const char *domains_host_cpus(const domains_host *h)
{
    return h->cpus_text;
}

guint64 domains_host_memory_mib(const domains_host *h)
{
    return h->memory_mib;
}

domains_kvm_kind domains_host_kvm_kind(const domains_host *h)
{
    return h->kvm_kind;
}

gboolean domains_host_kvm(const domains_host *h, const char **ret_why)
{
    if (ret_why)
        *ret_why = h->kvm_why;
    return h->kvm_usable;
}

gboolean domains_host_check_cpuset(const domains_host *h, const char *cpuset, GError **error)
{
    unsigned char want[DOMAINS_CPUMAP_LEN], missing[DOMAINS_CPUMAP_LEN];
    g_autofree char *text = NULL;
    guint n = 0;

    if (!domains_cpuset_parse(cpuset, "cpuset", want, error))
        return FALSE;
    for (guint i = 0; i < DOMAINS_CPUMAP_LEN; i++) {
        missing[i] = want[i] & (unsigned char)~h->cpus[i];
        n += (guint)__builtin_popcount(missing[i]);
    }
    if (n == 0)
        return TRUE;
    text = domains_cpuset_format(missing, sizeof(missing));
    if (n == 1)
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "CPU %s does not exist on this host (online: %s)", text, h->cpus_text);
    else
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "CPUs %s do not exist on this host (online: %s)", text, h->cpus_text);
    return FALSE;
}

gboolean domains_host_check_memory(const domains_host *h, guint64 memory_mib, GError **error)
{
    if (h->memory_mib == 0 || memory_mib <= h->memory_mib)
        return TRUE;
    g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                "%" G_GUINT64_FORMAT " MiB is more than this host's memory (%" G_GUINT64_FORMAT
                " MiB in /proc/meminfo)",
                memory_mib, h->memory_mib);
    return FALSE;
}

gboolean domains_host_check_kvm(const domains_host *h, GError **error)
{
    if (h->kvm_usable)
        return TRUE;
    g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                "KVM does not run guests on this host: %s (use accel = auto or tcg here, or a "
                "remote libvirt URI on a host with KVM)",
                h->kvm_why);
    return FALSE;
}
