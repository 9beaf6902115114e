/* SPDX-License-Identifier: MIT */
/* image: `vexp image build`: Debian kernel + a reproducible busybox/dropbear initramfs. */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "image-priv.h"

/* Roots of the module dependency walk.  virtio_pci is not a depends= of
 * virtio_net but is what binds the PCI device, so it is listed too. */
static const char *const image_nic_modules[] = {
    "virtio_pci", "virtio_net", "e1000", "8139cp", "8139too", "vmxnet3", "virtio_rng", NULL,
};

static const char image_init_script[] =
    "#!/bin/busybox sh\n"
    "# vexp default guest: NIC modules, vexp.ip=ADDR/PREFIX on eth0, dropbear.\n"
    "/bin/busybox --install -s\n"
    "export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root\n"
    "mount -t proc proc /proc\n"
    "mount -t sysfs sysfs /sys\n"
    "mount -t devtmpfs devtmpfs /dev\n"
    "mkdir -p /dev/pts /tmp /run /var/log\n"
    "mount -t devpts devpts /dev/pts\n"
    "mount -t tmpfs -o mode=1777 tmpfs /tmp\n"
    "exec </dev/console >/dev/console 2>&1\n"
    "echo \"vexp: init $(cut -d' ' -f1 /proc/uptime)s\"\n"
    "hostname vexp-guest\n"
    "while read -r m; do\n"
    "    insmod \"/lib/modules/$m.ko\" || echo \"vexp: insmod $m failed\"\n"
    "done </etc/vexp/modules\n"
    "addr=; gw=\n"
    "for a in $(cat /proc/cmdline); do\n"
    "    case \"$a\" in\n"
    "    vexp.ip=*) addr=${a#vexp.ip=} ;;\n"
    "    vexp.gw=*) gw=${a#vexp.gw=} ;;\n"
    "    esac\n"
    "done\n"
    "ip link set lo up\n"
    "i=0\n"
    "while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do usleep 50000; i=$((i + 1)); done\n"
    "[ -n \"$addr\" ] && ip addr add \"$addr\" dev eth0\n"
    "ip link set eth0 up || { echo \"vexp: no eth0:\"; ls /sys/class/net; }\n"
    "[ -n \"$gw\" ] && ip route add default via \"$gw\"\n"
    "echo \"vexp: ready ${addr:-without address} $(cut -d' ' -f1 /proc/uptime)s\"\n"
    "exec /bin/busybox init\n";

static const char image_inittab[] = "::respawn:/usr/sbin/dropbear -F -E -s -j -k -p 22"
                                    " -r /etc/dropbear/dropbear_ed25519_host_key\n"
                                    "::ctrlaltdel:/bin/poweroff -f\n";

static gboolean put_dropbear_and_busybox(image_tree *tree, lib_walk *lw, image_pkg *busybox,
                                         image_pkg *dropbear, GError **error)
{
    g_autofree char *bb = g_build_filename(busybox->root, "bin", "busybox", NULL);
    g_autofree char *db = g_build_filename(dropbear->root, "usr", "sbin", "dropbear", NULL);

    if (!image_tree_put_file(tree, "bin/busybox", 0755, bb, error) ||
        !image_tree_put_file(tree, "usr/sbin/dropbear", 0755, db, error))
        return FALSE;
    image_tree_put(tree, "bin/sh", S_IFLNK | 0777, g_bytes_new_static("busybox", 7));
    return image_add_libs(lw, db, dropbear, error);
}

/* The kernel package linux-image-amd64 points at; offline, the newest
 * kernel package cached by an earlier build.  g_free(). */
static char *find_kernel_pkg(const char *workdir, GError **error)
{
    const char *show_argv[] = {"apt-cache", "show", "--no-all-versions", "linux-image-amd64", NULL};
    g_autofree char *show = NULL;
    g_autofree char *kernel_pkg = NULL;
    g_autoptr(GError) local = NULL;

    if (image_run_tool(show_argv, NULL, &show, &local)) {
        g_autofree char *dep = image_deb822_field(show, "Depends");
        g_autoptr(GPtrArray) names = image_depends_names(dep);
        for (guint i = 0; i < names->len && !kernel_pkg; i++) {
            const char *n = g_ptr_array_index(names, i);
            if (g_str_has_prefix(n, "linux-image-"))
                kernel_pkg = g_strdup(n);
        }
    }
    if (!kernel_pkg && local) {
        g_autofree char *debdir = g_build_filename(workdir, "debs", NULL);
        g_autoptr(GDir) d = g_dir_open(debdir, 0, NULL);
        const char *ent;
        while (d && (ent = g_dir_read_name(d))) {
            if (g_str_has_prefix(ent, "linux-image-") && g_ascii_isdigit(ent[12]) &&
                g_str_has_suffix(ent, ".deb")) {
                g_autofree char *n = g_strndup(ent, strcspn(ent, "_"));
                if (!kernel_pkg || strcmp(n, kernel_pkg) > 0) {
                    g_free(kernel_pkg);
                    kernel_pkg = g_steal_pointer(&n);
                }
            }
        }
    }
    if (!kernel_pkg) {
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV,
                    "cannot find the kernel package of 'linux-image-amd64': %s",
                    local ? local->message : "no linux-image-* in its Depends");
        return NULL;
    }
    return g_steal_pointer(&kernel_pkg);
}

/* The kernel release: the one directory under moddir (lib/modules).  g_free(). */
static char *kernel_release(const image_pkg *kernel, const char *moddir, GError **error)
{
    g_autoptr(GDir) d = g_dir_open(moddir, 0, NULL);
    g_autofree char *release = NULL;
    const char *ent;

    while (d && (ent = g_dir_read_name(d))) {
        if (release) {
            g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_INPUT,
                        "package '%s' has more than one kernel release", kernel->deb);
            return NULL;
        }
        release = g_strdup(ent);
    }
    if (!release) {
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_INPUT,
                    "package '%s' has no lib/modules/<release>", kernel->deb);
        return NULL;
    }
    return g_steal_pointer(&release);
}

/* The NIC modules under kdir and what they depend on, in load order
 * (appended to mod_order), and etc/vexp/modules listing that order. */
static gboolean put_modules(image_tree *tree, const char *kdir, GPtrArray *mod_order,
                            GError **error)
{
    g_autoptr(GHashTable) mod_paths =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GHashTable) mod_state = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GString) modlist = g_string_new(NULL);

    image_index_modules(mod_paths, kdir);
    module_walk mw = {.paths = mod_paths, .state = mod_state, .order = mod_order};
    for (const char *const *m = image_nic_modules; *m; m++) {
        if (!image_module_visit(&mw, *m, error))
            return FALSE;
    }
    for (guint i = 0; i < mod_order->len; i++) {
        const char *name = g_ptr_array_index(mod_order, i);
        g_autofree char *dst = g_strdup_printf("lib/modules/%s.ko", name);
        if (!image_tree_put_file(tree, dst, 0644, g_hash_table_lookup(mod_paths, name), error))
            return FALSE;
        g_string_append_printf(modlist, "%s\n", name);
    }
    image_tree_put_text(tree, "etc/vexp/modules", 0644, modlist->str);
    return TRUE;
}

/* The keys (inputs, reused while present in outdir), /init, the files in
 * etc/ and the directories the guest mounts on. */
static gboolean put_keys_and_config(image_tree *tree, const char *outdir, const char *workdir,
                                    char **ret_host_pub, char **ret_client_pub, GError **error)
{
    g_autofree char *host_pub = NULL;
    g_autofree char *client_pub = NULL;

    if (!image_ensure_host_key(outdir, &host_pub, error) ||
        !image_ensure_client_key(outdir, workdir, &client_pub, error))
        return FALSE;
    g_autofree char *host_key = g_build_filename(outdir, "host_key", NULL);
    if (!image_tree_put_file(tree, "etc/dropbear/dropbear_ed25519_host_key", 0600, host_key, error))
        return FALSE;
    g_autofree char *auth = g_strdup_printf("%s vexp-client\n", client_pub);
    image_tree_put(tree, "root", S_IFDIR | 0700, NULL);
    image_tree_put(tree, "root/.ssh", S_IFDIR | 0700, NULL);
    image_tree_put_text(tree, "root/.ssh/authorized_keys", 0600, auth);

    image_tree_put_text(tree, "init", 0755, image_init_script);
    image_tree_put_text(tree, "etc/inittab", 0644, image_inittab);
    /* empty password field: key logins only (dropbear -s) */
    image_tree_put_text(tree, "etc/passwd", 0644, "root::0:0:root:/root:/bin/sh\n");
    image_tree_put_text(tree, "etc/group", 0644, "root:x:0:\n");
    image_tree_put_text(tree, "etc/shells", 0644, "/bin/sh\n");
    image_tree_put_text(tree, "etc/nsswitch.conf", 0644, "passwd: files\ngroup: files\n");
    image_tree_put_text(tree, "etc/hosts", 0644, "127.0.0.1 localhost vexp-guest\n");
    for (const char *const *d =
             (const char *const[]){"proc", "sys", "tmp", "run", "sbin", "usr/bin", NULL};
         *d; d++)
        image_tree_put(tree, *d, S_IFDIR | 0755, NULL);
    image_tree_put(tree, "dev", S_IFDIR | 0755, NULL);
    {
        /* the kernel opens /dev/console for init before devtmpfs is mounted */
        cpio_entry *console = g_new0(cpio_entry, 1);
        console->mode = S_IFCHR | 0600;
        console->rdev_major = 5;
        console->rdev_minor = 1;
        g_tree_replace(tree->entries, g_strdup("dev/console"), console);
    }
    *ret_host_pub = g_steal_pointer(&host_pub);
    *ret_client_pub = g_steal_pointer(&client_pub);
    return TRUE;
}

/* outdir/initramfs.img and outdir/vmlinuz, written under temporary names
 * and then renamed: nothing half-written. */
static gboolean write_boot_files(image_tree *tree, const char *outdir, const char *vmlinuz_src,
                                 GError **error)
{
    g_autoptr(GBytes) cpio = image_tree_to_cpio(tree);
    g_autofree char *cpio_tmp = g_build_filename(outdir, ".initramfs.cpio", NULL);
    g_autofree char *gz_tmp = g_strconcat(cpio_tmp, ".gz", NULL);
    g_autofree char *initrd = g_build_filename(outdir, "initramfs.img", NULL);
    g_autofree char *vmlinuz = g_build_filename(outdir, "vmlinuz", NULL);
    g_autofree char *vmlinuz_tmp = g_build_filename(outdir, ".vmlinuz.tmp", NULL);
    g_autofree char *kdata = NULL;
    gsize klen = 0;
    g_unlink(gz_tmp);
    if (!image_write_file(cpio_tmp, g_bytes_get_data(cpio, NULL), g_bytes_get_size(cpio), 0600,
                          error))
        return FALSE;
    const char *gz_argv[] = {"gzip", "-n", "-9", "-f", "--", cpio_tmp, NULL};
    if (!image_run_tool(gz_argv, NULL, NULL, error))
        return FALSE;
    if (!image_read_file(vmlinuz_src, &kdata, &klen, error) ||
        !image_write_file(vmlinuz_tmp, kdata, klen, 0644, error))
        return FALSE;
    if (g_rename(gz_tmp, initrd) < 0 || g_rename(vmlinuz_tmp, vmlinuz) < 0) {
        int e = errno;
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV, "failed to write the image in '%s': %s",
                    outdir, g_strerror(e));
        return FALSE;
    }
    /* it holds the guest's private host key: only root (QEMU runs as root) reads it */
    g_chmod(initrd, 0600);
    return TRUE;
}

/* outdir/manifest: packages, kernel release, hashes, fingerprints.
 * *ret_initrd_sum: the SHA-256 of initramfs.img; g_free(). */
static gboolean write_manifest(const char *outdir, const char *release, const char *fp,
                               const char *client_pub, GPtrArray *mod_order, GPtrArray *pkgs,
                               char **ret_initrd_sum, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *client_fp = image_key_fingerprint(client_pub);
    g_key_file_set_integer(kf, IMAGE_MANIFEST_GROUP, "format", IMAGE_FORMAT);
    g_key_file_set_string(kf, IMAGE_MANIFEST_GROUP, "kernel-release", release);
    g_key_file_set_string(kf, IMAGE_MANIFEST_GROUP, "kernel-cmdline",
                          "console=ttyS0 vexp.ip=ADDR/PREFIX [vexp.gw=ADDR]");
    g_key_file_set_string(kf, IMAGE_MANIFEST_GROUP, "interface", "eth0");
    g_key_file_set_string(kf, IMAGE_MANIFEST_GROUP, "user", "root");
    g_key_file_set_string(kf, IMAGE_MANIFEST_GROUP, "host-key-fingerprint", fp ? fp : "");
    g_key_file_set_string(kf, IMAGE_MANIFEST_GROUP, "client-key-fingerprint",
                          client_fp ? client_fp : "");
    g_key_file_set_string_list(kf, IMAGE_MANIFEST_GROUP, "modules",
                               (const char *const *)mod_order->pdata, mod_order->len);
    for (guint i = 0; i < pkgs->len; i++) {
        const image_pkg *p = g_ptr_array_index(pkgs, i);
        g_key_file_set_string(kf, "packages", p->name, p->version);
    }
    const char *outputs[] = {"vmlinuz", "initramfs.img", "host_key.pub", "client_key.pub"};
    g_autofree char *initrd_sum = NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(outputs); i++) {
        g_autofree char *p = g_build_filename(outdir, outputs[i], NULL);
        g_autofree char *sum = image_sha256_file(p, error);
        if (!sum)
            return FALSE;
        g_key_file_set_string(kf, "sha256", outputs[i], sum);
        if (i == 1)
            initrd_sum = g_strdup(sum);
    }
    gsize mlen = 0;
    g_autofree char *mtext = g_key_file_to_data(kf, &mlen, NULL);
    g_autofree char *manifest = g_build_filename(outdir, "manifest", NULL);
    g_autofree char *mheader =
        g_strconcat("# vexp default guest image (vexp image build)\n", mtext, NULL);
    if (!image_write_file(manifest, mheader, strlen(mheader), 0644, error))
        return FALSE;
    *ret_initrd_sum = g_steal_pointer(&initrd_sum);
    return TRUE;
}

gboolean image_build(const char *outdir, const char *workdir, char **ret_summary, GError **error)
{
    g_autoptr(GPtrArray) pkgs = g_ptr_array_new_with_free_func((GDestroyNotify)image_pkg_free);
    g_autoptr(GHashTable) fetched = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) libs_done = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) mod_order = g_ptr_array_new_with_free_func(g_free);
    image_tree tree = {
        .entries = g_tree_new_full(image_path_cmp, NULL, g_free, image_cpio_entry_free),
    };
    g_autoptr(GTree) tree_owner = tree.entries;
    g_autofree char *kernel_pkg = NULL;
    g_autofree char *host_pub = NULL;
    g_autofree char *client_pub = NULL;
    g_autofree char *release = NULL;
    g_autofree char *initrd_sum = NULL;
    gint64 t0 = g_get_monotonic_time();

    if (!outdir)
        outdir = image_default_dir();
    if (!workdir)
        workdir = image_default_workdir();
    if (!image_mkdir_p(outdir, 0755, error) || !image_mkdir_p(workdir, 0755, error))
        return FALSE;
    if (!(kernel_pkg = find_kernel_pkg(workdir, error)))
        return FALSE;

    lib_walk lw = {
        .workdir = workdir, .pkgs = pkgs, .fetched = fetched, .done = libs_done, .tree = &tree};
    {
        const char *want[] = {kernel_pkg, "busybox-static", "dropbear-bin"};
        g_autoptr(GPtrArray) names = g_ptr_array_new();
        for (gsize i = 0; i < G_N_ELEMENTS(want); i++)
            g_ptr_array_add(names, (gpointer)want[i]);
        if (!image_add_pkgs(&lw, names, error))
            return FALSE;
    }
    image_pkg *kernel = g_ptr_array_index(pkgs, 0);
    image_pkg *busybox = g_ptr_array_index(pkgs, 1);
    image_pkg *dropbear = g_ptr_array_index(pkgs, 2);

    g_autofree char *moddir = g_build_filename(kernel->root, "lib", "modules", NULL);
    if (!(release = kernel_release(kernel, moddir, error)))
        return FALSE;
    g_autofree char *vmlinuz_src = g_strdup_printf("%s/boot/vmlinuz-%s", kernel->root, release);
    g_autofree char *kdir = g_build_filename(moddir, release, "kernel", NULL);
    if (!put_modules(&tree, kdir, mod_order, error) ||
        !put_dropbear_and_busybox(&tree, &lw, busybox, dropbear, error) ||
        !put_keys_and_config(&tree, outdir, workdir, &host_pub, &client_pub, error) ||
        !write_boot_files(&tree, outdir, vmlinuz_src, error))
        return FALSE;

    g_autofree char *fp = image_key_fingerprint(host_pub);
    if (!write_manifest(outdir, release, fp, client_pub, mod_order, pkgs, &initrd_sum, error))
        return FALSE;

    if (ret_summary) {
        g_autofree char *initrd = g_build_filename(outdir, "initramfs.img", NULL);
        g_autofree char *vmlinuz = g_build_filename(outdir, "vmlinuz", NULL);
        GStatBuf sk, si;
        g_stat(vmlinuz, &sk);
        g_stat(initrd, &si);
        *ret_summary = g_strdup_printf(
            "guest image in '%s': kernel %s (%.1f MB), initramfs.img (%.1f MB, sha256 %s), "
            "%u modules, host key %s, built in %.1f s",
            outdir, release, sk.st_size / 1e6, si.st_size / 1e6, initrd_sum, mod_order->len,
            fp ? fp : "?", (g_get_monotonic_time() - t0) / 1e6);
    }
    return TRUE;
}
