/* SPDX-License-Identifier: MIT */
/* image: Debian packages: apt-cache, apt-get download, dpkg-deb, cached and extracted. */

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "image-priv.h"

/* ---- Debian packages --------------------------------------------------- */

void image_pkg_free(image_pkg *p)
{
    if (!p)
        return;
    g_free(p->name);
    g_free(p->version);
    g_free(p->deb);
    g_free(p->root);
    g_free(p);
}

/* Value of "Field:" in deb822 text (first paragraph), or NULL. */
char *image_deb822_field(const char *text, const char *field)
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
GPtrArray *image_depends_names(const char *depends)
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
    if (!image_mkdir_p(debdir, 0755, error))
        return NULL;

    const char *show_argv[] = {"apt-cache", "show", "--no-all-versions", name, NULL};
    if (shown)
        show = g_strdup(shown);
    if (show || (image_run_tool(show_argv, NULL, &show, &local) && *show)) {
        g_autofree char *version = image_deb822_field(show, "Version");
        g_autofree char *arch = image_deb822_field(show, "Architecture");
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
            if (!image_run_tool(dl_argv, debdir, NULL, error))
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
    if (!image_run_tool(f_argv, NULL, &fields, error))
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
        if (!image_run_tool(rm_argv, NULL, NULL, error) || !image_mkdir_p(tmp, 0755, error) ||
            !image_run_tool(x_argv, NULL, NULL, error))
            return NULL;
        g_autofree char *tmpstamp = g_build_filename(tmp, ".vexp-extracted", NULL);
        const char *rm2_argv[] = {"rm", "-rf", "--", pkg->root, NULL};
        if (!image_write_file(tmpstamp, "", 0, 0644, error) ||
            !image_run_tool(rm2_argv, NULL, NULL, error))
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
GPtrArray *image_pkg_depends(const image_pkg *pkg, GError **error)
{
    g_autofree char *out = NULL;
    const char *argv[] = {"dpkg-deb", "-f", pkg->deb, "Depends", NULL};

    if (!image_run_tool(argv, NULL, &out, error))
        return NULL;
    return image_depends_names(g_strstrip(out));
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
    if (!image_run_tool((const char *const *)argv->pdata, NULL, &out, NULL))
        return NULL;
    GHashTable *shown = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_auto(GStrv) paras = g_strsplit(out, "\n\n", -1);
    for (char **para = paras; *para; para++) {
        char *pkg = image_deb822_field(*para, "Package");
        if (pkg)
            g_hash_table_replace(shown, pkg, g_strdup(*para));
    }
    return shown;
}

gboolean image_add_pkgs(lib_walk *w, GPtrArray *names, GError **error)
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
