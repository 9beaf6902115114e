/* SPDX-License-Identifier: MIT */
/* The default guest: Debian kernel + a reproducible busybox/dropbear initramfs. */

#include "image.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

/*
 * The image directory holds:
 *   vmlinuz          the kernel from Debian's linux-image-<release> package
 *   initramfs.img    gzip'd newc cpio: busybox, dropbear + its libraries,
 *                    the NIC modules, /init (vexp.ip=ADDR/PREFIX on eth0)
 *   host_key         the guest's dropbear host key (0600; an input, reused)
 *   host_key.pub     its public half, pinned by vexp ("TYPE BASE64 COMMENT")
 *   client_key(.pub) root's key for the guest, OpenSSH format (0600; reused)
 *   manifest         GKeyFile: packages, kernel release, hashes, fingerprint
 *
 * Reproducibility: the initramfs depends only on the package versions, the
 * two keys and this file.  Entries are sorted, owned by 0:0 with mtime 0,
 * and gzip runs with -n.  The keys are generated once and reused while they
 * are present in the output directory; delete them to rotate.
 */

#define IMAGE_MANIFEST_GROUP "image"
#define IMAGE_FORMAT 1
#define IMAGE_MAX_FILE_SIZE (256u << 20) /* bytes; any input bigger is refused */
#define IMAGE_LIB_DIR "lib/x86_64-linux-gnu"

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

GQuark image_error_quark(void)
{
    return g_quark_from_static_string("vexp-image-error");
}

/* ---- spawning tools ---------------------------------------------------- */

/* Run argv (searched in PATH) in cwd; ret_out gets stdout.  The error quotes
 * the command and the tail of its stderr. */
static gboolean run_tool(const char *const *argv, const char *cwd, char **ret_out, GError **error)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *cmd = g_strjoinv(" ", (char **)argv);
    g_auto(GStrv) env = g_get_environ();
    int status = 0;
    g_autoptr(GError) local = NULL;

    env = g_environ_setenv(env, "LC_ALL", "C", TRUE);
    if (!g_spawn_sync(cwd, (char **)argv, env, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
                      &local)) {
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV, "failed to run '%s': %s", cmd,
                    local->message);
        return FALSE;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        g_strstrip(err);
        gsize len = strlen(err);
        const char *tail = len > 400 ? err + len - 400 : err;
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV, "'%s' failed (status %d): %s", cmd,
                    WIFEXITED(status) ? WEXITSTATUS(status) : -1, tail);
        return FALSE;
    }
    if (ret_out)
        *ret_out = g_steal_pointer(&out);
    return TRUE;
}

static gboolean mkdir_p(const char *path, int mode, GError **error)
{
    if (g_mkdir_with_parents(path, mode) < 0) {
        int e = errno;
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV, "failed to create directory '%s': %s",
                    path, g_strerror(e));
        return FALSE;
    }
    return TRUE;
}

static gboolean read_file(const char *path, char **ret_data, gsize *ret_len, GError **error)
{
    GStatBuf st;
    g_autoptr(GError) local = NULL;

    if (g_stat(path, &st) == 0 && (guint64)st.st_size > IMAGE_MAX_FILE_SIZE) {
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_INPUT,
                    "file '%s' is too large (%" G_GUINT64_FORMAT " bytes)", path,
                    (guint64)st.st_size);
        return FALSE;
    }
    if (!g_file_get_contents(path, ret_data, ret_len, &local)) {
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV, "%s", local->message);
        return FALSE;
    }
    return TRUE;
}

static gboolean write_file(const char *path, const void *data, gsize len, int mode, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (!g_file_set_contents_full(path, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, mode,
                                  &local)) {
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV, "%s", local->message);
        return FALSE;
    }
    return TRUE;
}

static char *sha256_file(const char *path, GError **error)
{
    g_autofree char *data = NULL;
    gsize len = 0;

    if (!read_file(path, &data, &len, error))
        return NULL;
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, len);
}

/* ---- Debian packages --------------------------------------------------- */

typedef struct image_pkg {
    char *name;
    char *version;
    char *deb;  /* path of the cached .deb */
    char *root; /* where it is extracted */
} image_pkg;

static void image_pkg_free(image_pkg *p)
{
    if (!p)
        return;
    g_free(p->name);
    g_free(p->version);
    g_free(p->deb);
    g_free(p->root);
    g_free(p);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(image_pkg, image_pkg_free)

/* Value of "Field:" in deb822 text (first paragraph), or NULL. */
static char *deb822_field(const char *text, const char *field)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    gsize flen = strlen(field);

    for (char **l = lines; *l && **l; l++) {
        if (strncmp(*l, field, flen) == 0 && (*l)[flen] == ':')
            return g_strstrip(g_strdup(*l + flen + 1));
    }
    return NULL;
}

/* First package name of a Depends: value ("a (>= 1) | b, c" → a, c). */
static GPtrArray *depends_names(const char *depends)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) items = g_strsplit(depends ? depends : "", ",", -1);

    for (char **it = items; *it; it++) {
        char *s = g_strstrip(*it);
        gsize n = strcspn(s, " (|:");
        if (n > 0)
            g_ptr_array_add(names, g_strndup(s, n));
    }
    return names;
}

/* The cached .deb for name (candidate version from apt-cache, downloaded
 * with apt-get download when missing), extracted under workdir/x/.
 * shown: its `apt-cache show` paragraph when already known, else NULL. */
static image_pkg *fetch_pkg(const char *name, const char *shown, const char *workdir,
                            GError **error)
{
    g_autoptr(image_pkg) pkg = g_new0(image_pkg, 1);
    g_autofree char *debdir = g_build_filename(workdir, "debs", NULL);
    g_autofree char *show = NULL;
    g_autofree char *fields = NULL;
    g_autoptr(GError) local = NULL;

    pkg->name = g_strdup(name);
    if (!mkdir_p(debdir, 0755, error))
        return NULL;

    const char *show_argv[] = {"apt-cache", "show", "--no-all-versions", name, NULL};
    if (shown)
        show = g_strdup(shown);
    if (show || (run_tool(show_argv, NULL, &show, &local) && *show)) {
        g_autofree char *version = deb822_field(show, "Version");
        g_autofree char *arch = deb822_field(show, "Architecture");
        if (!version || !arch) {
            g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV,
                        "apt-cache has no version of package '%s'", name);
            return NULL;
        }
        g_autoptr(GString) fname = g_string_new(name);
        g_string_append_c(fname, '_');
        for (const char *c = version; *c; c++) {
            if (*c == ':')
                g_string_append(fname, "%3a");
            else
                g_string_append_c(fname, *c);
        }
        g_string_append_printf(fname, "_%s.deb", arch);
        pkg->deb = g_build_filename(debdir, fname->str, NULL);
        if (!g_file_test(pkg->deb, G_FILE_TEST_EXISTS)) {
            g_autofree char *spec = g_strdup_printf("%s=%s", name, version);
            const char *dl_argv[] = {"apt-get", "download", "-q", spec, NULL};
            if (!run_tool(dl_argv, debdir, NULL, error))
                return NULL;
            if (!g_file_test(pkg->deb, G_FILE_TEST_EXISTS)) {
                g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV,
                            "apt-get download '%s' did not write '%s'", spec, pkg->deb);
                return NULL;
            }
        }
    } else {
        /* No package lists (offline): use the newest cached .deb, if any. */
        g_autoptr(GDir) dir = g_dir_open(debdir, 0, NULL);
        g_autofree char *prefix = g_strdup_printf("%s_", name);
        g_autofree char *best = NULL;
        const char *ent;
        while (dir && (ent = g_dir_read_name(dir))) {
            if (g_str_has_prefix(ent, prefix) && g_str_has_suffix(ent, ".deb") &&
                (!best || strcmp(ent, best) > 0)) {
                g_free(best);
                best = g_strdup(ent);
            }
        }
        if (!best) {
            g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV,
                        "cannot find package '%s': %s (run apt-get update?)", name,
                        local ? local->message : "apt-cache printed nothing");
            return NULL;
        }
        pkg->deb = g_build_filename(debdir, best, NULL);
    }

    const char *f_argv[] = {"dpkg-deb", "-f", pkg->deb, "Version", NULL};
    if (!run_tool(f_argv, NULL, &fields, error))
        return NULL;
    pkg->version = g_strstrip(g_steal_pointer(&fields));
    if (!*pkg->version) {
        /* dpkg-deb -f with one field prints the bare value */
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV, "package '%s' has no Version field",
                    pkg->deb);
        return NULL;
    }

    g_autofree char *base = g_path_get_basename(pkg->deb);
    base[strlen(base) - strlen(".deb")] = '\0';
    pkg->root = g_build_filename(workdir, "x", base, NULL);
    g_autofree char *stamp = g_build_filename(pkg->root, ".vexp-extracted", NULL);
    if (!g_file_test(stamp, G_FILE_TEST_EXISTS)) {
        g_autofree char *tmp = g_strconcat(pkg->root, ".tmp", NULL);
        const char *rm_argv[] = {"rm", "-rf", "--", tmp, NULL};
        const char *x_argv[] = {"dpkg-deb", "-x", pkg->deb, tmp, NULL};
        if (!run_tool(rm_argv, NULL, NULL, error) || !mkdir_p(tmp, 0755, error) ||
            !run_tool(x_argv, NULL, NULL, error))
            return NULL;
        g_autofree char *tmpstamp = g_build_filename(tmp, ".vexp-extracted", NULL);
        const char *rm2_argv[] = {"rm", "-rf", "--", pkg->root, NULL};
        if (!write_file(tmpstamp, "", 0, 0644, error) || !run_tool(rm2_argv, NULL, NULL, error))
            return NULL;
        if (g_rename(tmp, pkg->root) < 0) {
            int e = errno;
            g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV, "failed to rename '%s' to '%s': %s",
                        tmp, pkg->root, g_strerror(e));
            return NULL;
        }
    }
    return g_steal_pointer(&pkg);
}

/* Depends: of an extracted package's .deb */
static GPtrArray *pkg_depends(const image_pkg *pkg, GError **error)
{
    g_autofree char *out = NULL;
    const char *argv[] = {"dpkg-deb", "-f", pkg->deb, "Depends", NULL};

    if (!run_tool(argv, NULL, &out, error))
        return NULL;
    return depends_names(g_strstrip(out));
}

/* ---- ELF ------------------------------------------------------------------ */

/* Bounds-checked view of a little-endian ELF64 x86-64 file in memory. */
typedef struct elf_view {
    const guchar *data;
    gsize len;
    const Elf64_Ehdr *eh;
} elf_view;

static gboolean elf_open(elf_view *v, const char *data, gsize len, const char *path, GError **error)
{
    v->data = (const guchar *)data;
    v->len = len;
    v->eh = (const Elf64_Ehdr *)data;
    if (len < sizeof(Elf64_Ehdr) || memcmp(data, ELFMAG, SELFMAG) != 0 ||
        v->eh->e_ident[EI_CLASS] != ELFCLASS64 || v->eh->e_ident[EI_DATA] != ELFDATA2LSB ||
        v->eh->e_shentsize != sizeof(Elf64_Shdr) ||
        (v->eh->e_phnum && v->eh->e_phentsize != sizeof(Elf64_Phdr)) || v->eh->e_shoff > len ||
        v->eh->e_shnum > (len - v->eh->e_shoff) / sizeof(Elf64_Shdr) || v->eh->e_phoff > len ||
        v->eh->e_phnum > (len - v->eh->e_phoff) / sizeof(Elf64_Phdr)) {
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_INPUT,
                    "'%s' is not a well-formed 64-bit little-endian ELF file", path);
        return FALSE;
    }
    return TRUE;
}

static const Elf64_Shdr *elf_shdr(const elf_view *v, gsize i)
{
    if (i >= v->eh->e_shnum)
        return NULL;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(v->data + v->eh->e_shoff) + i;
    if (sh->sh_type != SHT_NOBITS &&
        (sh->sh_offset > v->len || sh->sh_size > v->len - sh->sh_offset))
        return NULL;
    return sh;
}

/* NUL-terminated string at off inside section sh, or NULL */
static const char *elf_str(const elf_view *v, const Elf64_Shdr *sh, guint64 off)
{
    if (!sh || off >= sh->sh_size)
        return NULL;
    const char *s = (const char *)v->data + sh->sh_offset + off;
    if (!memchr(s, '\0', sh->sh_size - off))
        return NULL;
    return s;
}

static const Elf64_Shdr *elf_section(const elf_view *v, const char *name)
{
    const Elf64_Shdr *names = elf_shdr(v, v->eh->e_shstrndx);

    for (gsize i = 0; names && i < v->eh->e_shnum; i++) {
        const Elf64_Shdr *sh = elf_shdr(v, i);
        const char *n = sh ? elf_str(v, names, sh->sh_name) : NULL;
        if (n && strcmp(n, name) == 0)
            return sh;
    }
    return NULL;
}

/* modinfo "depends=" of a kernel module: comma-separated names, "" if none. */
static char *elf_modinfo_depends(const elf_view *v)
{
    const Elf64_Shdr *sh = elf_section(v, ".modinfo");

    if (!sh || sh->sh_type == SHT_NOBITS)
        return NULL;
    for (guint64 off = 0; off < sh->sh_size;) {
        const char *s = elf_str(v, sh, off);
        if (!s)
            break;
        if (g_str_has_prefix(s, "depends="))
            return g_strdup(s + strlen("depends="));
        off += strlen(s) + 1;
    }
    return g_strdup("");
}

/* DT_NEEDED names (and PT_INTERP as *ret_interp) of an executable or library. */
static GPtrArray *elf_needed(const elf_view *v, char **ret_interp)
{
    GPtrArray *needed = g_ptr_array_new_with_free_func(g_free);

    for (gsize i = 0; i < v->eh->e_phnum; i++) {
        const Elf64_Phdr *ph = (const Elf64_Phdr *)(v->data + v->eh->e_phoff) + i;
        if (ph->p_type == PT_INTERP && ph->p_offset < v->len &&
            ph->p_filesz <= v->len - ph->p_offset && ph->p_filesz > 1 &&
            v->data[ph->p_offset + ph->p_filesz - 1] == '\0' && ret_interp)
            *ret_interp = g_strdup((const char *)v->data + ph->p_offset);
    }
    for (gsize i = 0; i < v->eh->e_shnum; i++) {
        const Elf64_Shdr *sh = elf_shdr(v, i);
        if (!sh || sh->sh_type != SHT_DYNAMIC)
            continue;
        const Elf64_Shdr *strtab = elf_shdr(v, sh->sh_link);
        gsize n = sh->sh_size / sizeof(Elf64_Dyn);
        const Elf64_Dyn *dyn = (const Elf64_Dyn *)(v->data + sh->sh_offset);
        for (gsize k = 0; k < n && dyn[k].d_tag != DT_NULL; k++) {
            const char *s =
                dyn[k].d_tag == DT_NEEDED ? elf_str(v, strtab, dyn[k].d_un.d_val) : NULL;
            if (s)
                g_ptr_array_add(needed, g_strdup(s));
        }
    }
    return needed;
}

/* ---- the archive --------------------------------------------------------- */

typedef struct cpio_entry {
    guint32 mode; /* S_IFDIR/S_IFREG/S_IFLNK/S_IFCHR | permissions */
    guint32 rdev_major, rdev_minor;
    GBytes *data; /* file content or symlink target */
} cpio_entry;

static void cpio_entry_free(gpointer p)
{
    cpio_entry *e = p;
    if (!e)
        return;
    g_bytes_unref(e->data);
    g_free(e);
}

/* Archive contents keyed by path without leading '/'; a GTree keeps them
 * sorted, which makes the archive independent of insertion order. */
static gint path_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
    return strcmp(a, b);
}

typedef struct image_tree {
    GTree *entries;
} image_tree;

static void tree_put(image_tree *t, const char *path, guint32 mode, GBytes *data)
{
    cpio_entry *e = g_new0(cpio_entry, 1);
    e->mode = mode;
    e->data = data;
    /* parent directories first */
    g_autofree char *dir = g_path_get_dirname(path);
    if (strcmp(dir, ".") != 0 && !g_tree_lookup(t->entries, dir))
        tree_put(t, dir, S_IFDIR | 0755, NULL);
    g_tree_replace(t->entries, g_strdup(path), e);
}

static void tree_put_text(image_tree *t, const char *path, guint32 mode, const char *text)
{
    tree_put(t, path, S_IFREG | mode, g_bytes_new(text, strlen(text)));
}

static gboolean tree_put_file(image_tree *t, const char *path, guint32 mode, const char *src,
                              GError **error)
{
    char *data = NULL;
    gsize len = 0;

    if (!read_file(src, &data, &len, error))
        return FALSE;
    tree_put(t, path, S_IFREG | mode, g_bytes_new_take(data, len));
    return TRUE;
}

typedef struct cpio_writer {
    GByteArray *out;
    guint32 ino;
} cpio_writer;

static void cpio_pad(GByteArray *out)
{
    static const guint8 zeros[4];
    g_byte_array_append(out, zeros, (4 - out->len % 4) % 4);
}

static void cpio_write(cpio_writer *w, const char *name, const cpio_entry *e)
{
    gsize size = e->data ? g_bytes_get_size(e->data) : 0;
    gboolean dir = (e->mode & S_IFMT) == S_IFDIR;
    /* newc: magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor,
     * devminor, rdevmajor, rdevminor, namesize (with NUL), check */
    g_autofree char *hdr =
        g_strdup_printf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ++w->ino,
                        e->mode, 0, 0, dir ? 2 : 1, 0, (guint32)size, 0, 0, e->rdev_major,
                        e->rdev_minor, (guint32)strlen(name) + 1, 0);
    g_byte_array_append(w->out, (const guint8 *)hdr, strlen(hdr));
    g_byte_array_append(w->out, (const guint8 *)name, strlen(name) + 1);
    cpio_pad(w->out);
    if (size) {
        g_byte_array_append(w->out, g_bytes_get_data(e->data, NULL), size);
        cpio_pad(w->out);
    }
}

static gboolean cpio_write_one(gpointer key, gpointer value, gpointer data)
{
    cpio_write(data, key, value);
    return FALSE;
}

static GBytes *tree_to_cpio(image_tree *t)
{
    cpio_writer w = {.out = g_byte_array_new(), .ino = 0};
    cpio_entry trailer = {.mode = 0};

    g_tree_foreach(t->entries, cpio_write_one, &w);
    cpio_write(&w, "TRAILER!!!", &trailer);
    return g_byte_array_free_to_bytes(w.out);
}

/* ---- modules -------------------------------------------------------------- */

typedef struct module_walk {
    GHashTable *paths; /* normalised name → .ko path */
    GHashTable *state; /* name → 1 visiting, 2 done */
    GPtrArray *order;  /* load order, dependencies first */
} module_walk;

static char *module_norm(const char *name)
{
    char *n = g_strdup(name);
    g_strdelimit(n, "-", '_');
    return n;
}

static void index_modules(GHashTable *paths, const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *ent;

    while (d && (ent = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, ent, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK)) {
            index_modules(paths, p);
        } else if (g_str_has_suffix(ent, ".ko")) {
            char *name = g_strndup(ent, strlen(ent) - 3);
            g_strdelimit(name, "-", '_');
            g_hash_table_replace(paths, name, g_steal_pointer(&p));
        } else if (g_str_has_suffix(ent, ".ko.xz") || g_str_has_suffix(ent, ".ko.zst")) {
            char *name = g_strndup(ent, strcspn(ent, "."));
            g_strdelimit(name, "-", '_');
            g_hash_table_replace(paths, name, g_steal_pointer(&p));
        }
    }
}

static gboolean module_visit(module_walk *w, const char *raw, GError **error)
{
    g_autofree char *name = module_norm(raw);
    gpointer st = g_hash_table_lookup(w->state, name);
    const char *path = g_hash_table_lookup(w->paths, name);
    g_autofree char *data = NULL;
    g_autofree char *depends = NULL;
    gsize len = 0;
    elf_view v;

    if (GPOINTER_TO_INT(st) == 2)
        return TRUE;
    if (GPOINTER_TO_INT(st) == 1) {
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_INPUT, "kernel module '%s' depends on itself",
                    name);
        return FALSE;
    }
    if (!path) {
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_INPUT,
                    "kernel module '%s' is not in the kernel package (built in? renamed?)", name);
        return FALSE;
    }
    if (!g_str_has_suffix(path, ".ko")) {
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_INPUT,
                    "kernel module '%s' is compressed; busybox insmod needs a plain .ko", path);
        return FALSE;
    }
    g_hash_table_replace(w->state, g_strdup(name), GINT_TO_POINTER(1));
    if (!read_file(path, &data, &len, error) || !elf_open(&v, data, len, path, error))
        return FALSE;
    depends = elf_modinfo_depends(&v);
    if (!depends) {
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_INPUT,
                    "kernel module '%s' has no .modinfo section", path);
        return FALSE;
    }
    g_auto(GStrv) deps = g_strsplit(depends, ",", -1);
    for (char **d = deps; *d; d++) {
        if (**d && !module_visit(w, *d, error))
            return FALSE;
    }
    g_hash_table_replace(w->state, g_strdup(name), GINT_TO_POINTER(2));
    g_ptr_array_add(w->order, g_steal_pointer(&name));
    return TRUE;
}

/* ---- shared libraries ------------------------------------------------------ */

typedef struct lib_walk {
    const char *workdir;
    GPtrArray *pkgs;     /* image_pkg *, searched in order; grows on demand */
    GHashTable *fetched; /* package names already in pkgs */
    GHashTable *done;    /* sonames placed in the archive */
    image_tree *tree;
} lib_walk;

/* Follow symlinks inside an extracted package root (absolute targets are
 * relative to that root, not to the host). */
static char *resolve_in_root(const char *root, const char *rel)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);

    for (int hop = 0; hop < 16; hop++) {
        GStatBuf st;
        if (g_lstat(path, &st) < 0)
            return NULL;
        if (!S_ISLNK(st.st_mode))
            return S_ISREG(st.st_mode) ? g_steal_pointer(&path) : NULL;
        g_autofree char *target = g_file_read_link(path, NULL);
        if (!target)
            return NULL;
        g_autofree char *dir = g_path_get_dirname(path);
        g_autofree char *next = g_path_is_absolute(target) ? g_build_filename(root, target, NULL)
                                                           : g_build_filename(dir, target, NULL);
        g_free(path);
        path = g_steal_pointer(&next);
    }
    return NULL;
}

static char *find_lib(lib_walk *w, const char *soname, const image_pkg **ret_pkg)
{
    static const char *const dirs[] = {
        "lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "lib", "usr/lib", NULL};

    for (guint i = 0; i < w->pkgs->len; i++) {
        const image_pkg *p = g_ptr_array_index(w->pkgs, i);
        for (const char *const *d = dirs; *d; d++) {
            g_autofree char *rel = g_build_filename(*d, soname, NULL);
            char *found = resolve_in_root(p->root, rel);
            if (found) {
                *ret_pkg = p;
                return found;
            }
        }
    }
    return NULL;
}

/* `apt-cache show` paragraphs of several packages at once (each call reads
 * the whole cache: ~0.6 s), keyed by package name; NULL when it fails. */
static GHashTable *apt_show(GPtrArray *names)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autofree char *out = NULL;

    g_ptr_array_add(argv, (gpointer) "apt-cache");
    g_ptr_array_add(argv, (gpointer) "show");
    g_ptr_array_add(argv, (gpointer) "--no-all-versions");
    for (guint i = 0; i < names->len; i++)
        g_ptr_array_add(argv, g_ptr_array_index(names, i));
    g_ptr_array_add(argv, NULL);
    if (!run_tool((const char *const *)argv->pdata, NULL, &out, NULL))
        return NULL;
    GHashTable *shown = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_auto(GStrv) paras = g_strsplit(out, "\n\n", -1);
    for (char **para = paras; *para; para++) {
        char *pkg = deb822_field(*para, "Package");
        if (pkg)
            g_hash_table_replace(shown, pkg, g_strdup(*para));
    }
    return shown;
}

static gboolean add_pkgs(lib_walk *w, GPtrArray *names, GError **error)
{
    g_autoptr(GPtrArray) missing = g_ptr_array_new();

    for (guint i = 0; i < names->len; i++) {
        if (!g_hash_table_contains(w->fetched, g_ptr_array_index(names, i)))
            g_ptr_array_add(missing, g_ptr_array_index(names, i));
    }
    if (missing->len == 0)
        return TRUE;
    g_autoptr(GHashTable) shown = apt_show(missing);
    for (guint i = 0; i < missing->len; i++) {
        const char *n = g_ptr_array_index(missing, i);
        if (g_hash_table_contains(w->fetched, n))
            continue;
        image_pkg *p =
            fetch_pkg(n, shown ? g_hash_table_lookup(shown, n) : NULL, w->workdir, error);
        if (!p)
            return FALSE;
        g_hash_table_add(w->fetched, g_strdup(n));
        g_ptr_array_add(w->pkgs, p);
    }
    return TRUE;
}

/* Place the libraries src needs (recursively).  A soname missing from the
 * packages fetched so far is looked for in the Depends: of the package that
 * needs it, which is how Debian declares it. */
static gboolean add_libs(lib_walk *w, const char *src, const image_pkg *owner, GError **error)
{
    g_autofree char *data = NULL;
    g_autofree char *interp = NULL;
    gsize len = 0;
    elf_view v;

    if (!read_file(src, &data, &len, error) || !elf_open(&v, data, len, src, error))
        return FALSE;
    g_autoptr(GPtrArray) needed = elf_needed(&v, &interp);
    if (interp) {
        g_autofree char *base = g_path_get_basename(interp);
        g_ptr_array_add(needed, g_steal_pointer(&base));
    }
    for (guint i = 0; i < needed->len; i++) {
        const char *soname = g_ptr_array_index(needed, i);
        const image_pkg *p = NULL;
        if (g_hash_table_contains(w->done, soname))
            continue;
        g_autofree char *path = find_lib(w, soname, &p);
        if (!path && owner) {
            g_autoptr(GPtrArray) deps = pkg_depends(owner, error);
            if (!deps || !add_pkgs(w, deps, error))
                return FALSE;
            path = find_lib(w, soname, &p);
        }
        if (!path) {
            g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_INPUT,
                        "library '%s' needed by '%s' is in none of the fetched packages", soname,
                        src);
            return FALSE;
        }
        g_hash_table_add(w->done, g_strdup(soname));
        g_autofree char *dst = g_build_filename(IMAGE_LIB_DIR, soname, NULL);
        if (!tree_put_file(w->tree, dst, 0755, path, error))
            return FALSE;
        if (!add_libs(w, path, p, error))
            return FALSE;
    }
    if (interp) {
        g_autofree char *base = g_path_get_basename(interp);
        g_autofree char *target = g_build_filename("/", IMAGE_LIB_DIR, base, NULL);
        tree_put(w->tree, interp + 1, S_IFLNK | 0777, g_bytes_new(target, strlen(target)));
    }
    return TRUE;
}

/* ---- keys ------------------------------------------------------------------- */

/* "TYPE BASE64" from `dropbearkey -y -f KEY` */
static char *dropbear_public(const char *key, GError **error)
{
    g_autofree char *out = NULL;
    const char *argv[] = {"dropbearkey", "-y", "-f", key, NULL};

    if (!run_tool(argv, NULL, &out, error))
        return NULL;
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    for (char **l = lines; *l; l++) {
        g_auto(GStrv) f = g_strsplit(*l, " ", 3);
        if (g_str_has_prefix(*l, "ssh-") && f[0] && f[1])
            return g_strdup_printf("%s %s", f[0], f[1]);
    }
    g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV, "dropbearkey printed no public key for '%s'",
                key);
    return NULL;
}

static const char *dropbearconvert_path(void)
{
    /* Debian keeps it out of PATH */
    return g_file_test("/usr/lib/dropbear/dropbearconvert", G_FILE_TEST_IS_EXECUTABLE)
               ? "/usr/lib/dropbear/dropbearconvert"
               : "dropbearconvert";
}

static gboolean ensure_host_key(const char *outdir, char **ret_pub, GError **error)
{
    g_autofree char *key = g_build_filename(outdir, "host_key", NULL);
    g_autofree char *pubpath = g_build_filename(outdir, "host_key.pub", NULL);

    if (!g_file_test(key, G_FILE_TEST_EXISTS)) {
        g_autofree char *tmp = g_strconcat(key, ".tmp", NULL);
        const char *argv[] = {"dropbearkey", "-t", "ed25519", "-f", tmp, NULL};
        g_unlink(tmp);
        if (!run_tool(argv, NULL, NULL, error))
            return FALSE;
        if (g_chmod(tmp, 0600) < 0 || g_rename(tmp, key) < 0) {
            int e = errno;
            g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV, "failed to store host key '%s': %s",
                        key, g_strerror(e));
            return FALSE;
        }
    }
    g_autofree char *pub = dropbear_public(key, error);
    if (!pub)
        return FALSE;
    g_autofree char *line = g_strdup_printf("%s vexp-guest\n", pub);
    if (!write_file(pubpath, line, strlen(line), 0644, error))
        return FALSE;
    *ret_pub = g_steal_pointer(&pub);
    return TRUE;
}

static gboolean ensure_client_key(const char *outdir, const char *workdir, char **ret_pub,
                                  GError **error)
{
    g_autofree char *key = g_build_filename(outdir, "client_key", NULL);
    g_autofree char *pubpath = g_build_filename(outdir, "client_key.pub", NULL);
    g_autofree char *dbkey = g_build_filename(workdir, "client_key.dropbear", NULL);
    const char *conv = dropbearconvert_path();

    g_unlink(dbkey);
    if (!g_file_test(key, G_FILE_TEST_EXISTS)) {
        g_autofree char *tmp = g_strconcat(key, ".tmp", NULL);
        const char *gen_argv[] = {"dropbearkey", "-t", "ed25519", "-f", dbkey, NULL};
        const char *conv_argv[] = {conv, "dropbear", "openssh", dbkey, tmp, NULL};
        g_unlink(tmp);
        if (!run_tool(gen_argv, NULL, NULL, error) || !run_tool(conv_argv, NULL, NULL, error))
            return FALSE;
        if (g_chmod(tmp, 0600) < 0 || g_rename(tmp, key) < 0) {
            int e = errno;
            g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV, "failed to store client key '%s': %s",
                        key, g_strerror(e));
            return FALSE;
        }
    } else {
        const char *conv_argv[] = {conv, "openssh", "dropbear", key, dbkey, NULL};
        if (!run_tool(conv_argv, NULL, NULL, error))
            return FALSE;
    }
    g_autofree char *pub = dropbear_public(dbkey, error);
    g_unlink(dbkey);
    if (!pub)
        return FALSE;
    g_autofree char *line = g_strdup_printf("%s vexp-client\n", pub);
    if (!write_file(pubpath, line, strlen(line), 0644, error))
        return FALSE;
    *ret_pub = g_steal_pointer(&pub);
    return TRUE;
}

/* OpenSSH-style "SHA256:<base64 without padding>" of "TYPE BASE64" */
static char *fingerprint(const char *pub)
{
    g_auto(GStrv) f = g_strsplit(pub, " ", 3);
    gsize len = 0;

    if (!f[0] || !f[1])
        return NULL;
    g_autofree guchar *blob = g_base64_decode(f[1], &len);
    guint8 digest[32];
    gsize dlen = sizeof(digest);
    g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(ck, blob, len);
    g_checksum_get_digest(ck, digest, &dlen);
    g_autofree char *b64 = g_base64_encode(digest, dlen);
    char *eq = strchr(b64, '=');
    if (eq)
        *eq = '\0';
    return g_strconcat("SHA256:", b64, NULL);
}

/* ---- build ---------------------------------------------------------------- */

const char *image_default_dir(void)
{
    static gsize once;
    static char *dir;

    if (g_once_init_enter(&once)) {
        if (geteuid() == 0)
            dir = g_strdup("/var/lib/vexp/image");
        else
            dir = g_build_filename(g_get_user_data_dir(), "vexp", "image", NULL);
        g_once_init_leave(&once, 1);
    }
    return dir;
}

const char *image_default_workdir(void)
{
    static gsize once;
    static char *dir;

    if (g_once_init_enter(&once)) {
        if (geteuid() == 0)
            dir = g_strdup("/var/cache/vexp/image-build");
        else
            dir = g_build_filename(g_get_user_cache_dir(), "vexp", "image-build", NULL);
        g_once_init_leave(&once, 1);
    }
    return dir;
}

static gboolean put_dropbear_and_busybox(image_tree *tree, lib_walk *lw, image_pkg *busybox,
                                         image_pkg *dropbear, GError **error)
{
    g_autofree char *bb = g_build_filename(busybox->root, "bin", "busybox", NULL);
    g_autofree char *db = g_build_filename(dropbear->root, "usr", "sbin", "dropbear", NULL);

    if (!tree_put_file(tree, "bin/busybox", 0755, bb, error) ||
        !tree_put_file(tree, "usr/sbin/dropbear", 0755, db, error))
        return FALSE;
    tree_put(tree, "bin/sh", S_IFLNK | 0777, g_bytes_new_static("busybox", 7));
    return add_libs(lw, db, dropbear, error);
}

gboolean image_build(const char *outdir, const char *workdir, char **ret_summary, GError **error)
{
    g_autoptr(GPtrArray) pkgs = g_ptr_array_new_with_free_func((GDestroyNotify)image_pkg_free);
    g_autoptr(GHashTable) fetched = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) libs_done = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) mod_paths =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GHashTable) mod_state = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) mod_order = g_ptr_array_new_with_free_func(g_free);
    image_tree tree = {
        .entries = g_tree_new_full(path_cmp, NULL, g_free, cpio_entry_free),
    };
    g_autoptr(GTree) tree_owner = tree.entries;
    g_autofree char *show = NULL;
    g_autofree char *kernel_pkg = NULL;
    g_autofree char *host_pub = NULL;
    g_autofree char *client_pub = NULL;
    g_autofree char *release = NULL;
    gint64 t0 = g_get_monotonic_time();

    if (!outdir)
        outdir = image_default_dir();
    if (!workdir)
        workdir = image_default_workdir();
    if (!mkdir_p(outdir, 0755, error) || !mkdir_p(workdir, 0755, error))
        return FALSE;

    /* the kernel package linux-image-amd64 points at */
    const char *show_argv[] = {"apt-cache", "show", "--no-all-versions", "linux-image-amd64", NULL};
    g_autoptr(GError) local = NULL;
    if (run_tool(show_argv, NULL, &show, &local)) {
        g_autofree char *dep = deb822_field(show, "Depends");
        g_autoptr(GPtrArray) names = depends_names(dep);
        for (guint i = 0; i < names->len && !kernel_pkg; i++) {
            const char *n = g_ptr_array_index(names, i);
            if (g_str_has_prefix(n, "linux-image-"))
                kernel_pkg = g_strdup(n);
        }
    }
    if (!kernel_pkg && local) {
        /* offline: the newest kernel package cached by an earlier build */
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
        return FALSE;
    }

    lib_walk lw = {
        .workdir = workdir, .pkgs = pkgs, .fetched = fetched, .done = libs_done, .tree = &tree};
    {
        const char *want[] = {kernel_pkg, "busybox-static", "dropbear-bin"};
        g_autoptr(GPtrArray) names = g_ptr_array_new();
        for (gsize i = 0; i < G_N_ELEMENTS(want); i++)
            g_ptr_array_add(names, (gpointer)want[i]);
        if (!add_pkgs(&lw, names, error))
            return FALSE;
    }
    image_pkg *kernel = g_ptr_array_index(pkgs, 0);
    image_pkg *busybox = g_ptr_array_index(pkgs, 1);
    image_pkg *dropbear = g_ptr_array_index(pkgs, 2);

    /* kernel release: the one directory under lib/modules */
    g_autofree char *moddir = g_build_filename(kernel->root, "lib", "modules", NULL);
    {
        g_autoptr(GDir) d = g_dir_open(moddir, 0, NULL);
        const char *ent;
        while (d && (ent = g_dir_read_name(d))) {
            if (release) {
                g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_INPUT,
                            "package '%s' has more than one kernel release", kernel->deb);
                return FALSE;
            }
            release = g_strdup(ent);
        }
    }
    if (!release) {
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_INPUT,
                    "package '%s' has no lib/modules/<release>", kernel->deb);
        return FALSE;
    }
    g_autofree char *vmlinuz_src = g_strdup_printf("%s/boot/vmlinuz-%s", kernel->root, release);

    /* modules in dependency order */
    g_autofree char *kdir = g_build_filename(moddir, release, "kernel", NULL);
    index_modules(mod_paths, kdir);
    module_walk mw = {.paths = mod_paths, .state = mod_state, .order = mod_order};
    for (const char *const *m = image_nic_modules; *m; m++) {
        if (!module_visit(&mw, *m, error))
            return FALSE;
    }
    g_autoptr(GString) modlist = g_string_new(NULL);
    for (guint i = 0; i < mod_order->len; i++) {
        const char *name = g_ptr_array_index(mod_order, i);
        g_autofree char *dst = g_strdup_printf("lib/modules/%s.ko", name);
        if (!tree_put_file(&tree, dst, 0644, g_hash_table_lookup(mod_paths, name), error))
            return FALSE;
        g_string_append_printf(modlist, "%s\n", name);
    }
    tree_put_text(&tree, "etc/vexp/modules", 0644, modlist->str);

    if (!put_dropbear_and_busybox(&tree, &lw, busybox, dropbear, error))
        return FALSE;

    /* keys: inputs, reused while present */
    if (!ensure_host_key(outdir, &host_pub, error) ||
        !ensure_client_key(outdir, workdir, &client_pub, error))
        return FALSE;
    g_autofree char *host_key = g_build_filename(outdir, "host_key", NULL);
    if (!tree_put_file(&tree, "etc/dropbear/dropbear_ed25519_host_key", 0600, host_key, error))
        return FALSE;
    g_autofree char *auth = g_strdup_printf("%s vexp-client\n", client_pub);
    tree_put(&tree, "root", S_IFDIR | 0700, NULL);
    tree_put(&tree, "root/.ssh", S_IFDIR | 0700, NULL);
    tree_put_text(&tree, "root/.ssh/authorized_keys", 0600, auth);

    tree_put_text(&tree, "init", 0755, image_init_script);
    tree_put_text(&tree, "etc/inittab", 0644, image_inittab);
    /* empty password field: key logins only (dropbear -s) */
    tree_put_text(&tree, "etc/passwd", 0644, "root::0:0:root:/root:/bin/sh\n");
    tree_put_text(&tree, "etc/group", 0644, "root:x:0:\n");
    tree_put_text(&tree, "etc/shells", 0644, "/bin/sh\n");
    tree_put_text(&tree, "etc/nsswitch.conf", 0644, "passwd: files\ngroup: files\n");
    tree_put_text(&tree, "etc/hosts", 0644, "127.0.0.1 localhost vexp-guest\n");
    for (const char *const *d =
             (const char *const[]){"proc", "sys", "tmp", "run", "sbin", "usr/bin", NULL};
         *d; d++)
        tree_put(&tree, *d, S_IFDIR | 0755, NULL);
    tree_put(&tree, "dev", S_IFDIR | 0755, NULL);
    {
        /* the kernel opens /dev/console for init before devtmpfs is mounted */
        cpio_entry *console = g_new0(cpio_entry, 1);
        console->mode = S_IFCHR | 0600;
        console->rdev_major = 5;
        console->rdev_minor = 1;
        g_tree_replace(tree.entries, g_strdup("dev/console"), console);
    }

    /* write everything under temporary names, then rename: nothing half-written */
    g_autoptr(GBytes) cpio = tree_to_cpio(&tree);
    g_autofree char *cpio_tmp = g_build_filename(outdir, ".initramfs.cpio", NULL);
    g_autofree char *gz_tmp = g_strconcat(cpio_tmp, ".gz", NULL);
    g_autofree char *initrd = g_build_filename(outdir, "initramfs.img", NULL);
    g_autofree char *vmlinuz = g_build_filename(outdir, "vmlinuz", NULL);
    g_autofree char *vmlinuz_tmp = g_build_filename(outdir, ".vmlinuz.tmp", NULL);
    g_autofree char *kdata = NULL;
    gsize klen = 0;
    g_unlink(gz_tmp);
    if (!write_file(cpio_tmp, g_bytes_get_data(cpio, NULL), g_bytes_get_size(cpio), 0600, error))
        return FALSE;
    const char *gz_argv[] = {"gzip", "-n", "-9", "-f", "--", cpio_tmp, NULL};
    if (!run_tool(gz_argv, NULL, NULL, error))
        return FALSE;
    if (!read_file(vmlinuz_src, &kdata, &klen, error) ||
        !write_file(vmlinuz_tmp, kdata, klen, 0644, error))
        return FALSE;
    if (g_rename(gz_tmp, initrd) < 0 || g_rename(vmlinuz_tmp, vmlinuz) < 0) {
        int e = errno;
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_ENV, "failed to write the image in '%s': %s",
                    outdir, g_strerror(e));
        return FALSE;
    }
    /* it holds the guest's private host key: only root (QEMU runs as root) reads it */
    g_chmod(initrd, 0600);

    /* manifest */
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *fp = fingerprint(host_pub);
    g_autofree char *client_fp = fingerprint(client_pub);
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
        g_autofree char *sum = sha256_file(p, error);
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
    if (!write_file(manifest, mheader, strlen(mheader), 0644, error))
        return FALSE;

    if (ret_summary) {
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

/* ---- load ----------------------------------------------------------------- */

void image_free(vexp_image *img)
{
    if (!img)
        return;
    g_free(img->dir);
    g_free(img->kernel);
    g_free(img->initrd);
    g_free(img->client_key);
    g_free(img->host_key_pub);
    g_free(img->manifest);
    g_free(img->kernel_release);
    g_free(img->host_key_fingerprint);
    g_free(img);
}

vexp_image *image_load(const char *dir, GError **error)
{
    g_autoptr(vexp_image) img = g_new0(vexp_image, 1);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) local = NULL;

    if (!dir)
        dir = image_default_dir();
    img->dir = g_strdup(dir);
    img->kernel = g_build_filename(dir, "vmlinuz", NULL);
    img->initrd = g_build_filename(dir, "initramfs.img", NULL);
    img->client_key = g_build_filename(dir, "client_key", NULL);
    img->host_key_pub = g_build_filename(dir, "host_key.pub", NULL);
    img->manifest = g_build_filename(dir, "manifest", NULL);
    const char *need[] = {img->manifest, img->kernel, img->initrd, img->client_key,
                          img->host_key_pub};
    for (gsize i = 0; i < G_N_ELEMENTS(need); i++) {
        if (!g_file_test(need[i], G_FILE_TEST_IS_REGULAR)) {
            g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_MISSING,
                        "guest image file '%s' is missing; run 'vexp image build -o %s'", need[i],
                        dir);
            return NULL;
        }
    }
    if (!g_key_file_load_from_file(kf, img->manifest, G_KEY_FILE_NONE, &local)) {
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_INPUT,
                    "cannot read image manifest '%s': %s; run 'vexp image build -o %s'",
                    img->manifest, local->message, dir);
        return NULL;
    }
    gint format = g_key_file_get_integer(kf, IMAGE_MANIFEST_GROUP, "format", NULL);
    img->kernel_release = g_key_file_get_string(kf, IMAGE_MANIFEST_GROUP, "kernel-release", NULL);
    img->host_key_fingerprint =
        g_key_file_get_string(kf, IMAGE_MANIFEST_GROUP, "host-key-fingerprint", NULL);
    if (format != IMAGE_FORMAT || !img->kernel_release || !img->host_key_fingerprint) {
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_INPUT,
                    "image manifest '%s' is not format %d with kernel-release and "
                    "host-key-fingerprint; run 'vexp image build -o %s'",
                    img->manifest, IMAGE_FORMAT, dir);
        return NULL;
    }
    return g_steal_pointer(&img);
}
