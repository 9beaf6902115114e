/* SPDX-License-Identifier: MIT */
/* Which process runs a run: an flock on "<store's real path>-run<ID>.lock". */
#include "vexp-config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runlock.h"

/* one lock whatever spelling (relative, symlink) reached the store */
static char *lock_path(const char *store_file, gint64 run_id)
{
    g_autofree char *real = realpath(store_file, NULL);

    return g_strdup_printf("%s-run%" G_GINT64_FORMAT ".lock", real ? real : store_file, run_id);
}

static long read_owner(int fd)
{
    char buf[32];
    ssize_t len = pread(fd, buf, sizeof(buf) - 1, 0);

    if (len <= 0)
        return 0;
    buf[len] = '\0';
    return strtol(buf, NULL, 10);
}

gboolean vexp_run_lock_take(vexp_run_lock *l, const char *store_file, gint64 run_id,
                            long *ret_owner, GError **error)
{
    char buf[32];
    int fd, busy = 0;

    *ret_owner = 0;
    g_free(l->path);
    l->path = lock_path(store_file, run_id);
    for (;;) {
        struct stat held, named;

        if ((fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                        "cannot open the run lock %s: %s", l->path, g_strerror(errno));
            return FALSE;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
            int err = errno;

            if (err == EWOULDBLOCK && ++busy < 10) {
                close(fd);
                g_usleep(20 * 1000);
                continue;
            }
            *ret_owner = read_owner(fd);
            close(fd);
            if (err != EWOULDBLOCK)
                g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err),
                            "cannot lock %s: %s", l->path, g_strerror(err));
            return FALSE;
        }
        /* the owner removes the file before it lets go: a lock on a removed
         * file holds nothing, open the name again */
        if (fstat(fd, &held) == 0 && stat(l->path, &named) == 0 && held.st_ino == named.st_ino &&
            held.st_dev == named.st_dev)
            break;
        close(fd);
    }
    l->fd = fd;
    g_snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, strlen(buf), 0) < 0)
        g_debug("run lock %s: pid not written (the lock holds without it)", l->path);
    return TRUE;
}

void vexp_run_lock_clear(vexp_run_lock *l)
{
    if (l->fd > 0) {
        unlink(l->path);
        close(l->fd);
    }
    l->fd = 0;
    g_clear_pointer(&l->path, g_free);
}

gboolean vexp_run_lock_held(const char *store_file, gint64 run_id, long *ret_owner)
{
    g_autofree char *path = lock_path(store_file, run_id);
    gboolean held = FALSE;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    *ret_owner = 0;
    if (fd < 0)
        return FALSE;
    if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
        held = errno == EWOULDBLOCK;
        if (held)
            *ret_owner = read_owner(fd);
    }
    close(fd); /* also lets go of our shared lock, if taken */
    return held;
}
