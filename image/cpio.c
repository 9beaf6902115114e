/* SPDX-License-Identifier: MIT */
/* image: the initramfs tree and its newc cpio archive (sorted, owned by 0:0, mtime 0). */

#include <string.h>
#include <sys/stat.h>

#include "image-priv.h"

/* ---- the archive --------------------------------------------------------- */

void image_cpio_entry_free(gpointer p)
{
    cpio_entry *e = p;
    if (!e)
        return;
    g_bytes_unref(e->data);
    g_free(e);
}

/* Archive contents keyed by path without leading '/'; a GTree keeps them
 * sorted, which makes the archive independent of insertion order. */
gint image_path_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
    return strcmp(a, b);
}

void image_tree_put(image_tree *t, const char *path, guint32 mode, GBytes *data)
{
    cpio_entry *e = g_new0(cpio_entry, 1);
    e->mode = mode;
    e->data = data;
    /* parent directories first */
    g_autofree char *dir = g_path_get_dirname(path);
    if (strcmp(dir, ".") != 0 && !g_tree_lookup(t->entries, dir))
        image_tree_put(t, dir, S_IFDIR | 0755, NULL);
    g_tree_replace(t->entries, g_strdup(path), e);
}

void image_tree_put_text(image_tree *t, const char *path, guint32 mode, const char *text)
{
    image_tree_put(t, path, S_IFREG | mode, g_bytes_new(text, strlen(text)));
}

gboolean image_tree_put_file(image_tree *t, const char *path, guint32 mode, const char *src,
                             GError **error)
{
    char *data = NULL;
    gsize len = 0;

    if (!image_read_file(src, &data, &len, error))
        return FALSE;
    image_tree_put(t, path, S_IFREG | mode, g_bytes_new_take(data, len));
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

GBytes *image_tree_to_cpio(image_tree *t)
{
    cpio_writer w = {.out = g_byte_array_new(), .ino = 0};
    cpio_entry trailer = {.mode = 0};

    g_tree_foreach(t->entries, cpio_write_one, &w);
    cpio_write(&w, "TRAILER!!!", &trailer);
    return g_byte_array_free_to_bytes(w.out);
}
