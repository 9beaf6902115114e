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

/* the pid the holder wrote, 0 when the file holds none */
static long read_owner(int fd)
{
    char buf[32];
    gint64 pid = 0;
    ssize_t len = pread(fd, buf, sizeof(buf) - 1, 0);

    if (len <= 0)
        return 0;
    buf[len] = '\0';
    g_strchomp(buf);
    if (!g_ascii_string_to_signed(buf, 10, 1, G_MAXINT32, &pid, NULL))
        return 0;
    return (long)pid;
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

        /* O_NOFOLLOW: a symlink planted beside a store in a shared directory
         * must not make root truncate the file it points to */
        if ((fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644)) <
            0) {
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                        "cannot open the run lock '%s': %s%s", l->path, g_strerror(errno),
                        errno == ELOOP ? " (it is a symlink; vexp never follows one there)" : "");
            return FALSE;
        }
        /* in a directory others can write to, only a regular file of our own */
        if (fstat(fd, &held) < 0 || !S_ISREG(held.st_mode) || held.st_uid != geteuid() ||
            held.st_nlink != 1) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM,
                        "refusing the run lock '%s': not a regular file of uid %ld with one link "
                        "(mode %o, uid %ld, %ld links; someone else made it?)",
                        l->path, (long)geteuid(), (unsigned)held.st_mode, (long)held.st_uid,
                        (long)held.st_nlink);
            close(fd);
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
                            "cannot lock '%s': %s", l->path, g_strerror(err));
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
    l->held = TRUE;
    /* readable by `vexp results` of any user, whatever the umask */
    if (fchmod(fd, 0644) < 0)
        g_debug("run lock %s: mode not set: %s", l->path, g_strerror(errno));
    g_snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, strlen(buf), 0) < 0)
        g_debug("run lock %s: pid not written (the lock holds without it)", l->path);
    return TRUE;
}

void vexp_run_lock_clear(vexp_run_lock *l)
{
    if (l->held) {
        unlink(l->path);
        close(l->fd);
    }
    l->held = FALSE;
    l->fd = -1;
    g_clear_pointer(&l->path, g_free);
}

vexp_run_lock_state vexp_run_lock_probe(const char *store_file, gint64 run_id, long *ret_owner)
{
    g_autofree char *path = lock_path(store_file, run_id);
    vexp_run_lock_state state = VEXP_RUN_LOCK_FREE;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

    *ret_owner = 0;
    if (fd < 0)
        return errno == ENOENT ? VEXP_RUN_LOCK_FREE : VEXP_RUN_LOCK_UNKNOWN;
    if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK) {
            state = VEXP_RUN_LOCK_HELD;
            *ret_owner = read_owner(fd);
        } else {
            state = VEXP_RUN_LOCK_UNKNOWN;
        }
    }
    close(fd); /* also lets go of our shared lock, if taken */
    return state;
}
