/* SPDX-License-Identifier: MIT */
/* domains: the error domain shared by every domains/ header. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Errors: every function that can fail takes a GError ** and sets it in
 * DOMAINS_ERROR with one of these codes.  Nothing here prints.
 */
#define DOMAINS_ERROR (domains_error_quark())
GQuark domains_error_quark(void);
typedef enum {
    DOMAINS_ERROR_INPUT,     /* bad template or spec value: the user's fault (exit 2) */
    DOMAINS_ERROR_ENV,       /* libvirt, QEMU, namespaces, files: the host's fault (exit 3) */
    DOMAINS_ERROR_BUSY,      /* the embedded libvirt root is used by another process */
    DOMAINS_ERROR_GUEST,     /* the guest died, or reads back other than asked: cell fails */
    DOMAINS_ERROR_TIMEOUT,   /* the guest did not answer in time: cell fails */
    DOMAINS_ERROR_CANCELLED, /* the cancel flag was raised */
} domains_error_code;

G_END_DECLS
