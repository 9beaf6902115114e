/* SPDX-License-Identifier: MIT */
/* domains: error domain, libvirt error handling, cancel flag, cpusets, spawning. */
#include "vexp-config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "domains-priv.h"

/* domains_error_quark(): spec.c */

static volatile sig_atomic_t *cancel_flag;

void domains_set_cancel_flag(volatile sig_atomic_t *flag)
{
    cancel_flag = flag;
}

gboolean domains_cancelled(void)
{
    return cancel_flag != NULL && *cancel_flag != 0;
}

static void virt_error_ignore(void *opaque, virErrorPtr err)
{
    /* libvirt prints errors to stderr by default; libraries do not print */
}

void domains_virt_init(void)
{
    static gsize done;

    if (g_once_init_enter(&done)) {
        virInitialize();
        virSetErrorFunc(NULL, virt_error_ignore);
        g_once_init_leave(&done, 1);
    }
}

char *domains_virt_last_error(void)
{
    virErrorPtr err = virGetLastError();
    char *msg =
        g_strdup(err != NULL && err->message != NULL ? err->message : "unknown libvirt error");

    virResetLastError();
    return msg;
}

gboolean domains_vhost_available_at(const char *root, char **ret_detail)
{
    g_autofree char *dev = g_strconcat(root, "/dev/vhost-net", NULL);
    g_autofree char *mod = g_strconcat(root, "/sys/module/vhost_net", NULL);
    /* built in, it still has /sys/module/vhost_net (it has parameters) */
    gboolean loaded = g_file_test(mod, G_FILE_TEST_IS_DIR);
    char *detail;
    int fd;

    if (!g_file_test(dev, G_FILE_TEST_EXISTS)) {
        detail = loaded ? g_strdup_printf("no %s although vhost_net is loaded "
                                          "(mknod %s c 10 238)",
                                          dev, dev)
                        : g_strdup_printf("no %s: the vhost_net module is not loaded "
                                          "(modprobe vhost_net)",
                                          dev);
        goto fail;
    }
    fd = open(dev, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        detail = g_strdup_printf("%s does not open read-write: %s", dev, g_strerror(errno));
        goto fail;
    }
    close(fd);
    if (!loaded) {
        detail = g_strdup_printf("%s opens but the vhost_net module is neither loaded nor "
                                 "built in (modprobe vhost_net)",
                                 dev);
        goto fail;
    }
    if (ret_detail != NULL)
        *ret_detail = g_strdup_printf("%s opens read-write (vhost_net loaded)", dev);
    return TRUE;

fail:
    if (ret_detail != NULL)
        *ret_detail = detail;
    else
        g_free(detail);
    return FALSE;
}

gboolean domains_vhost_available(char **ret_detail)
{
    return domains_vhost_available_at("", ret_detail);
}

static gboolean parse_cpu(const char **p, const char *s, const char *what, unsigned *ret,
                          GError **error)
{
    guint64 v = 0;
    const char *q = *p;

    if (!g_ascii_isdigit(*q)) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "%s '%s': expected a CPU number at '%s'", what, s, q);
        return FALSE;
    }
    while (g_ascii_isdigit(*q)) {
        v = v * 10 + (guint64)(*q - '0');
        if (v >= DOMAINS_CPU_MAX) {
            g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                        "%s '%s': CPU number out of range (max %d)", what, s, DOMAINS_CPU_MAX - 1);
            return FALSE;
        }
        q++;
    }
    *p = q;
    *ret = (unsigned)v;
    return TRUE;
}

gboolean domains_cpuset_parse(const char *s, const char *what, unsigned char *map, GError **error)
{
    const char *p = s;
    gboolean any = FALSE;

    memset(map, 0, DOMAINS_CPUMAP_LEN);
    for (;;) {
        gboolean neg = FALSE;
        unsigned a, b;

        if (*p == '^') {
            neg = TRUE;
            p++;
        }
        if (!parse_cpu(&p, s, what, &a, error))
            return FALSE;
        b = a;
        if (*p == '-' && !neg) {
            p++;
            if (!parse_cpu(&p, s, what, &b, error))
                return FALSE;
            if (b < a) {
                g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                            "%s '%s': range %u-%u goes backwards", what, s, a, b);
                return FALSE;
            }
        }
        for (unsigned c = a; c <= b; c++) {
            if (neg)
                map[c / 8] &= (unsigned char)~(1u << (c % 8));
            else
                map[c / 8] |= (unsigned char)(1u << (c % 8));
        }
        any = any || !neg;
        if (*p == '\0')
            break;
        if (*p != ',') {
            g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                        "%s '%s': unexpected '%c' (a cpuset is like '0', '0-3' or '1,3')", what, s,
                        *p);
            return FALSE;
        }
        p++;
    }
    if (!any) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT, "%s '%s' selects no CPU", what, s);
        return FALSE;
    }
    return TRUE;
}

char *domains_cpuset_format(const unsigned char *map, size_t maplen)
{
    GString *s = g_string_new(NULL);
    size_t n = maplen * 8;

    for (size_t c = 0; c < n; c++) {
        size_t e = c;

        if (!(map[c / 8] & (1u << (c % 8))))
            continue;
        while (e + 1 < n && (map[(e + 1) / 8] & (1u << ((e + 1) % 8))))
            e++;
        if (s->len > 0)
            g_string_append_c(s, ',');
        if (e == c)
            g_string_append_printf(s, "%zu", c);
        else
            g_string_append_printf(s, "%zu-%zu", c, e);
        c = e;
    }
    return g_string_free(s, FALSE);
}

gboolean domains_vcpu_pin_split(const char *vcpu_pin, unsigned vcpus, GStrv *ret_sets,
                                GError **error)
{
    g_auto(GStrv) sets = NULL;
    g_autofree char *copy = NULL;
    guint n;

    if (vcpu_pin == NULL || strcmp(vcpu_pin, "none") == 0) {
        *ret_sets = NULL;
        return TRUE;
    }
    copy = g_strdup(vcpu_pin);
    sets = g_strsplit_set(g_strstrip(copy), " \t", -1);
    /* drop empty fields from repeated blanks */
    n = 0;
    for (guint i = 0; sets[i] != NULL; i++) {
        if (sets[i][0] == '\0') {
            g_free(sets[i]);
            continue;
        }
        sets[n++] = sets[i];
    }
    sets[n] = NULL;
    if (!domains_vcpu_pin_check((const char *const *)sets, vcpus, error))
        return FALSE;
    *ret_sets = g_steal_pointer(&sets);
    return TRUE;
}

gboolean domains_vcpu_pin_check(const char *const *sets, unsigned vcpus, GError **error)
{
    unsigned char map[DOMAINS_CPUMAP_LEN];
    guint n = sets ? g_strv_length((char **)sets) : 0;

    if (sets == NULL)
        return TRUE;
    if (vcpus != 0 && n != vcpus) {
        /* the text only for the message */
        g_autofree char *text = g_strjoinv(" ", (char **)sets);

        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "vcpu_pin '%s' names %u cpusets for %u vCPUs (one per vCPU)", text, n, vcpus);
        return FALSE;
    }
    for (guint i = 0; i < n; i++) {
        if (!domains_cpuset_parse(sets[i], "vcpu_pin", map, error))
            return FALSE;
    }
    return TRUE;
}

gboolean domains_run(const char *const *argv, char **ret_stdout, GError **error)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *cmd = g_strjoinv(" ", (char **)argv);
    g_autoptr(GError) local = NULL;
    int status = 0;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                      &status, &local)) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV, "failed to run '%s': %s", cmd,
                    local->message);
        return FALSE;
    }
    if (!g_spawn_check_wait_status(status, &local)) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV, "'%s' failed (%s): %s", cmd,
                    local->message, g_strstrip(err));
        return FALSE;
    }
    if (ret_stdout != NULL)
        *ret_stdout = g_steal_pointer(&out);
    return TRUE;
}
