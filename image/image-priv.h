/* SPDX-License-Identifier: MIT */
/* image: internals shared by the image/ sources (not public). */
#pragma once

#include <glib.h>

#include "image.h"

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

/* ---- util.c: tools and files ------------------------------------------- */

/* Run argv (searched in PATH) in cwd; ret_out gets stdout.  The error quotes
 * the command and the tail of its stderr. */
gboolean image_run_tool(const char *const *argv, const char *cwd, char **ret_out, GError **error);
gboolean image_mkdir_p(const char *path, int mode, GError **error);
/* Whole file; inputs over IMAGE_MAX_FILE_SIZE are refused.  g_free(*ret_data). */
gboolean image_read_file(const char *path, char **ret_data, gsize *ret_len, GError **error);
gboolean image_write_file(const char *path, const void *data, gsize len, int mode, GError **error);
/* SHA-256 of a file in hex; g_free(). */
char *image_sha256_file(const char *path, GError **error);

/* ---- cpio.c: the archive ------------------------------------------------ */

typedef struct cpio_entry {
    guint32 mode; /* S_IFDIR/S_IFREG/S_IFLNK/S_IFCHR | permissions */
    guint32 rdev_major, rdev_minor;
    GBytes *data; /* file content or symlink target */
} cpio_entry;

void image_cpio_entry_free(gpointer p);

/* Archive contents keyed by path without leading '/'; a GTree keeps them
 * sorted, which makes the archive independent of insertion order. */
typedef struct image_tree {
    GTree *entries;
} image_tree;
gint image_path_cmp(gconstpointer a, gconstpointer b, gpointer unused);
/* Takes data; parent directories are added first. */
void image_tree_put(image_tree *t, const char *path, guint32 mode, GBytes *data);
void image_tree_put_text(image_tree *t, const char *path, guint32 mode, const char *text);
gboolean image_tree_put_file(image_tree *t, const char *path, guint32 mode, const char *src,
                             GError **error);
/* The newc cpio archive of the tree, with its trailer. */
GBytes *image_tree_to_cpio(image_tree *t);

/* ---- debs.c: Debian packages -------------------------------------------- */

typedef struct image_pkg {
    char *name;
    char *version;
    char *deb;  /* path of the cached .deb */
    char *root; /* where it is extracted */
} image_pkg;
void image_pkg_free(image_pkg *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(image_pkg, image_pkg_free)
/* Value of "Field:" in deb822 text (first paragraph), or NULL; g_free(). */
char *image_deb822_field(const char *text, const char *field);
/* First package name of a Depends: value ("a (>= 1) | b, c" -> a, c). */
GPtrArray *image_depends_names(const char *depends);
/* Depends: of an extracted package's .deb */
GPtrArray *image_pkg_depends(const image_pkg *pkg, GError **error);

typedef struct lib_walk {
    const char *workdir;
    GPtrArray *pkgs;     /* image_pkg *, searched in order; grows on demand */
    GHashTable *fetched; /* package names already in pkgs */
    GHashTable *done;    /* sonames placed in the archive */
    image_tree *tree;
} lib_walk;
/* Fetch and extract the packages of names not fetched yet, appending to w->pkgs. */
gboolean image_add_pkgs(lib_walk *w, GPtrArray *names, GError **error);

/* ---- elf.c: what modules and programs need ------------------------------ */

typedef struct module_walk {
    GHashTable *paths; /* normalised name → .ko path */
    GHashTable *state; /* name → 1 visiting, 2 done */
    GPtrArray *order;  /* load order, dependencies first */
} module_walk;
/* Index the .ko files under dir by normalised name (paths: name -> path). */
void image_index_modules(GHashTable *paths, const char *dir);
/* Add module raw and, first, its modinfo depends= to w->order. */
gboolean image_module_visit(module_walk *w, const char *raw, GError **error);
/* Place the libraries src needs (recursively) in w->tree. */
gboolean image_add_libs(lib_walk *w, const char *src, const image_pkg *owner, GError **error);

/* ---- keys.c: the guest's host key and root's client key ----------------- */

/* Generated once into outdir and reused; *ret_pub = "TYPE BASE64". */
gboolean image_ensure_host_key(const char *outdir, char **ret_pub, GError **error);
gboolean image_ensure_client_key(const char *outdir, const char *workdir, char **ret_pub,
                                 GError **error);
/* OpenSSH-style "SHA256:<base64 without padding>" of "TYPE BASE64"; g_free(). */
char *image_key_fingerprint(const char *pub);
