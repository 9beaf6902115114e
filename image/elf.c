/* SPDX-License-Identifier: MIT */
/* image: ELF files: kernel module dependencies and the shared libraries programs need. */

#include <elf.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "image-priv.h"

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

/* ---- modules -------------------------------------------------------------- */

static char *module_norm(const char *name)
{
    char *n = g_strdup(name);
    g_strdelimit(n, "-", '_');
    return n;
}

void image_index_modules(GHashTable *paths, const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *ent;

    while (d && (ent = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, ent, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK)) {
            image_index_modules(paths, p);
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

gboolean image_module_visit(module_walk *w, const char *raw, GError **error)
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
    if (!image_read_file(path, &data, &len, error) || !elf_open(&v, data, len, path, error))
        return FALSE;
    depends = elf_modinfo_depends(&v);
    if (!depends) {
        g_set_error(error, IMAGE_ERROR, IMAGE_ERROR_INPUT,
                    "kernel module '%s' has no .modinfo section", path);
        return FALSE;
    }
    g_auto(GStrv) deps = g_strsplit(depends, ",", -1);
    for (char **d = deps; *d; d++) {
        if (**d && !image_module_visit(w, *d, error))
            return FALSE;
    }
    g_hash_table_replace(w->state, g_strdup(name), GINT_TO_POINTER(2));
    g_ptr_array_add(w->order, g_steal_pointer(&name));
    return TRUE;
}

/* ---- shared libraries ------------------------------------------------------ */

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

gboolean image_add_libs(lib_walk *w, const char *src, const image_pkg *owner, GError **error)
{
    g_autofree char *data = NULL;
    g_autofree char *interp = NULL;
    gsize len = 0;
    elf_view v;

    if (!image_read_file(src, &data, &len, error) || !elf_open(&v, data, len, src, error))
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
            g_autoptr(GPtrArray) deps = image_pkg_depends(owner, error);
            if (!deps || !image_add_pkgs(w, deps, error))
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
        if (!image_tree_put_file(w->tree, dst, 0755, path, error))
            return FALSE;
        if (!image_add_libs(w, path, p, error))
            return FALSE;
    }
    if (interp) {
        g_autofree char *base = g_path_get_basename(interp);
        g_autofree char *target = g_build_filename("/", IMAGE_LIB_DIR, base, NULL);
        image_tree_put(w->tree, interp + 1, S_IFLNK | 0777, g_bytes_new(target, strlen(target)));
    }
    return TRUE;
}
