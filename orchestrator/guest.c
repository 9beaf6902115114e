/* SPDX-License-Identifier: MIT */
/* TEMPORARY: replaced once traffic/ssh lands. */
#include "vexp-config.h"
#include "guest.h"
#include "vexp.h"

struct vexp_guest_session {
    int unused;
};

vexp_guest_session *vexp_guest_session_open(const char *addr, const domains_image *img,
                                            const char *engine_path, GError **error)
{
    g_set_error(error, VEXP_ERROR, VEXP_ERROR_ENV, "SSH push not available yet");
    return NULL;
}

const char *vexp_guest_session_driver(vexp_guest_session *s)
{
    return "";
}

traffic_conn *vexp_guest_session_agent(vexp_guest_session *s, GError **error)
{
    return NULL;
}

void vexp_guest_session_free(vexp_guest_session *s)
{
    g_free(s);
}
