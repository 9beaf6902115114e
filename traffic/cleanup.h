/* SPDX-License-Identifier: MIT */
/* Scope-bound cleanup for traffic/ (systemd style, on __attribute__((cleanup))). */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void traffic_freep(void *p)
{
    free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(traffic_freep)

static inline void traffic_closep(int *fd)
{
    if (*fd >= 0) {
        int e = errno;
        close(*fd);
        errno = e;
    }
}
#define _cleanup_close_ _cleanup_(traffic_closep)

/* Hand a pointer or fd on: the variable forgets it. */
#define TAKE_PTR(p)                                                                                \
    ({                                                                                             \
        __typeof__(p) _p = (p);                                                                    \
        (p) = NULL;                                                                                \
        _p;                                                                                        \
    })
#define TAKE_FD(fd)                                                                                \
    ({                                                                                             \
        int _fd = (fd);                                                                            \
        (fd) = -1;                                                                                 \
        _fd;                                                                                       \
    })
