/* SPDX-License-Identifier: MIT */
/* domains: render a cell's domain XML from a template (libxml2 tree edits) and its config key. */
#include "vexp-config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/xmlsave.h>
#include <libxml/xpath.h>

#include "domains-priv.h"
#include "spec.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathObject, xmlXPathFreeObject)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlParserCtxt, xmlFreeParserCtxt)

#define VEXP_XMLNS "urn:vexp:domains:1"
#define NAME_MAX_LEN 200
#define VCPUS_MAX DOMAINS_VCPUS_MAX
#define MEMORY_MIB_MAX DOMAINS_MEMORY_MIB_MAX
#define TAP_MAX_LEN 15                 /* IFNAMSIZ - 1 */

/* ---- spec checks -------------------------------------------------------- */

char *domains_mac_from_name(const char *name)
{
    guint8 digest[32];
    gsize len = sizeof(digest);
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);

    g_checksum_update(sum, (const guchar *)name, (gssize)strlen(name));
    g_checksum_get_digest(sum, digest, &len);
    /* 52:54:00 is QEMU's prefix; 0x52 has the locally administered bit set */
    return g_strdup_printf("52:54:00:%02x:%02x:%02x", digest[0], digest[1], digest[2]);
}

static gboolean mac_valid(const char *mac)
{
    unsigned first;

    if (strlen(mac) != 17)
        return FALSE;
    for (int i = 0; i < 17; i++) {
        if (i % 3 == 2 ? mac[i] != ':' : !g_ascii_isxdigit(mac[i]))
            return FALSE;
    }
    first = (unsigned)(g_ascii_xdigit_value(mac[0]) * 16 + g_ascii_xdigit_value(mac[1]));
    return (first & 1) == 0; /* not multicast */
}

static gboolean check_string(const char *what, const char *s, GError **error)
{
    if (s == NULL)
        return TRUE;
    if (*s == '\0' || !g_utf8_validate(s, -1, NULL)) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT, "%s '%s' is empty or not UTF-8",
                    what, *s == '\0' ? "" : "(binary)");
        return FALSE;
    }
    for (const char *p = s; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20) {
            g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                        "%s '%s' contains a control character", what, s);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean check_spec(const domains_spec *spec, GError **error)
{
    const char *const *models = spec->nic_models ? spec->nic_models : domains_default_nic_models();
    const struct {
        const char *what, *value;
    } strings[] = {
        {"name", spec->name},
        {"nic", spec->nic},
        {"mac", spec->mac},
        {"bridge", spec->bridge},
        {"tap", spec->tap},
        {"emulator_pin", spec->emulator_pin},
        {"accel", spec->accel},
        {"machine", spec->machine},
        {"vhost", spec->vhost},
        {"kernel", spec->kernel},
        {"initrd", spec->initrd},
        {"cmdline", spec->cmdline},
        {"disk", spec->disk},
        {"image_id", spec->image_id},
        {"console_log", spec->console_log},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(strings); i++) {
        if (!check_string(strings[i].what, strings[i].value, error))
            return FALSE;
    }
    for (size_t i = 0; spec->vcpu_pin != NULL && spec->vcpu_pin[i] != NULL; i++) {
        if (!check_string("vcpu_pin", spec->vcpu_pin[i], error))
            return FALSE;
    }
    if (spec->name == NULL || strlen(spec->name) > NAME_MAX_LEN ||
        strchr(spec->name, '/') != NULL) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "domain name '%s' is missing, longer than %d or contains '/'",
                    spec->name ? spec->name : "", NAME_MAX_LEN);
        return FALSE;
    }
    if (spec->nic == NULL || !g_strv_contains(models, spec->nic)) {
        g_autofree char *valid = g_strjoinv(", ", (char **)models);

        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT, "unknown NIC model '%s' (valid: %s)",
                    spec->nic ? spec->nic : "", valid);
        return FALSE;
    }
    if (spec->mac != NULL && !mac_valid(spec->mac)) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "MAC address '%s' is not a unicast address like '52:54:00:12:34:56'",
                    spec->mac);
        return FALSE;
    }
    if (spec->tap != NULL &&
        (strlen(spec->tap) > TAP_MAX_LEN || strpbrk(spec->tap, "/ :") != NULL ||
         strcmp(spec->tap, ".") == 0 || strcmp(spec->tap, "..") == 0)) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "tap name '%s' is not a device name (at most %d characters, no '/', ' ', ':')",
                    spec->tap, TAP_MAX_LEN);
        return FALSE;
    }
    if (spec->vcpus > VCPUS_MAX) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT, "vcpus '%u' above the limit %d",
                    spec->vcpus, VCPUS_MAX);
        return FALSE;
    }
    if (spec->memory_mib > MEMORY_MIB_MAX) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "memory '%u' MiB above the limit %u MiB", spec->memory_mib, MEMORY_MIB_MAX);
        return FALSE;
    }
    if (spec->emulator_pin != NULL && strcmp(spec->emulator_pin, "none") != 0) {
        unsigned char map[DOMAINS_CPUMAP_LEN];

        if (!domains_cpuset_parse(spec->emulator_pin, "emulator_pin", map, error))
            return FALSE;
    }
    /* the accelerator is resolved later: domains_render() asks again with it */
    return domains_spec_check_nic(spec->nic, spec->vhost, spec->queues, NULL, error) ==
           DOMAINS_SPEC_OK;
}

/* ---- tree helpers ------------------------------------------------------- */

static xmlNodePtr xp_first(xmlXPathContextPtr ctx, const char *expr)
{
    g_autoptr(xmlXPathObject) obj = xmlXPathEvalExpression((const xmlChar *)expr, ctx);

    if (obj == NULL || obj->type != XPATH_NODESET || obj->nodesetval == NULL ||
        obj->nodesetval->nodeNr == 0)
        return NULL;
    return obj->nodesetval->nodeTab[0];
}

static void xp_remove_all(xmlXPathContextPtr ctx, const char *expr)
{
    g_autoptr(xmlXPathObject) obj = xmlXPathEvalExpression((const xmlChar *)expr, ctx);

    if (obj == NULL || obj->type != XPATH_NODESET || obj->nodesetval == NULL)
        return;
    for (int i = 0; i < obj->nodesetval->nodeNr; i++) {
        xmlNodePtr n = obj->nodesetval->nodeTab[i];

        if (n->type == XML_ATTRIBUTE_NODE) {
            xmlRemoveProp((xmlAttrPtr)n);
        } else {
            xmlUnlinkNode(n);
            xmlFreeNode(n);
        }
        obj->nodesetval->nodeTab[i] = NULL;
    }
}

static xmlNodePtr child_element(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent->children; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && c->ns == NULL &&
            xmlStrEqual(c->name, (const xmlChar *)name))
            return c;
    }
    return NULL;
}

static xmlNodePtr child_ensure(xmlNodePtr parent, const char *name)
{
    xmlNodePtr c = child_element(parent, name);

    return c != NULL ? c : xmlNewChild(parent, NULL, (const xmlChar *)name, NULL);
}

/* Replace the node's children with one text node holding text literally. */
static void set_text(xmlNodePtr node, const char *text)
{
    xmlNodePtr c = node->children;

    while (c != NULL) {
        xmlNodePtr next = c->next;

        xmlUnlinkNode(c);
        xmlFreeNode(c);
        c = next;
    }
    xmlNodeAddContent(node, (const xmlChar *)text);
}

static void set_prop(xmlNodePtr node, const char *name, const char *value)
{
    xmlSetProp(node, (const xmlChar *)name, (const xmlChar *)value);
}

static void remove_children_named(xmlNodePtr parent, const char *name)
{
    xmlNodePtr c = parent->children;

    while (c != NULL) {
        xmlNodePtr next = c->next;

        if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, (const xmlChar *)name)) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        }
        c = next;
    }
}

static gboolean has_element_child(xmlNodePtr n)
{
    for (xmlNodePtr c = n->children; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            return TRUE;
    }
    return FALSE;
}

/* Drop whitespace-only text between elements, so the key ignores indentation. */
static void strip_blanks(xmlNodePtr n)
{
    gboolean elements = has_element_child(n);
    xmlNodePtr c = n->children;

    while (c != NULL) {
        xmlNodePtr next = c->next;

        if (c->type == XML_ELEMENT_NODE) {
            strip_blanks(c);
        } else if (elements && c->type == XML_TEXT_NODE && xmlIsBlankNode(c)) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        }
        c = next;
    }
}

static long node_line(xmlNodePtr n)
{
    return n != NULL ? xmlGetLineNo(n) : 0;
}

/* ---- edits -------------------------------------------------------------- */

/* vCPU count the domain will have: the spec's, else the template's <vcpu>. */
static gboolean effective_vcpus(const domains_spec *spec, xmlXPathContextPtr ctx,
                                const char *filename, unsigned *ret, GError **error)
{
    xmlNodePtr vcpu;
    g_autofree xmlChar *text = NULL;
    guint64 v;

    if (spec->vcpus > 0) {
        *ret = spec->vcpus;
        return TRUE;
    }
    vcpu = xp_first(ctx, "/domain/vcpu");
    if (vcpu == NULL) {
        *ret = 1; /* libvirt's default */
        return TRUE;
    }
    text = xmlNodeGetContent(vcpu);
    if (text == NULL ||
        !g_ascii_string_to_unsigned(g_strstrip((char *)text), 10, 1, VCPUS_MAX, &v, NULL)) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "%s:%ld: <vcpu> '%s' is not a count between 1 and %d", filename,
                    node_line(vcpu), text ? (char *)text : "", VCPUS_MAX);
        return FALSE;
    }
    *ret = (unsigned)v;
    return TRUE;
}

static void edit_vcpus(xmlNodePtr root, xmlXPathContextPtr ctx, const domains_spec *spec,
                       unsigned vcpus)
{
    char num[16];
    xmlNodePtr vcpu, topo;

    if (spec->vcpus == 0)
        return;
    snprintf(num, sizeof(num), "%u", vcpus);
    vcpu = child_ensure(root, "vcpu");
    set_text(vcpu, num);
    xmlUnsetProp(vcpu, (const xmlChar *)"current");
    xp_remove_all(ctx, "/domain/vcpus");
    /* a topology must multiply to the vCPU count: one socket per vCPU */
    topo = xp_first(ctx, "/domain/cpu/topology");
    if (topo != NULL) {
        set_prop(topo, "sockets", num);
        if (xmlHasProp(topo, (const xmlChar *)"dies"))
            set_prop(topo, "dies", "1");
        set_prop(topo, "cores", "1");
        set_prop(topo, "threads", "1");
    }
}

static void edit_cputune(xmlNodePtr root, xmlXPathContextPtr ctx, const domains_spec *spec,
                         const char *const *sets)
{
    gboolean emu = spec->emulator_pin != NULL && strcmp(spec->emulator_pin, "none") != 0;
    xmlNodePtr tune;

    xp_remove_all(ctx, "/domain/cputune/vcpupin");
    xp_remove_all(ctx, "/domain/cputune/emulatorpin");
    tune = xp_first(ctx, "/domain/cputune");
    if (sets == NULL && !emu) {
        if (tune != NULL && !has_element_child(tune)) {
            xmlUnlinkNode(tune);
            xmlFreeNode(tune);
        }
        return;
    }
    if (tune == NULL) {
        xmlNodePtr vcpu = xp_first(ctx, "/domain/vcpu");

        tune = xmlNewDocNode(root->doc, NULL, (const xmlChar *)"cputune", NULL);
        if (vcpu != NULL)
            xmlAddNextSibling(vcpu, tune);
        else
            xmlAddChild(root, tune);
    }
    for (guint i = 0; sets != NULL && sets[i] != NULL; i++) {
        char num[16];
        xmlNodePtr pin = xmlNewChild(tune, NULL, (const xmlChar *)"vcpupin", NULL);

        snprintf(num, sizeof(num), "%u", i);
        set_prop(pin, "vcpu", num);
        set_prop(pin, "cpuset", sets[i]);
    }
    if (emu) {
        xmlNodePtr pin = xmlNewChild(tune, NULL, (const xmlChar *)"emulatorpin", NULL);

        set_prop(pin, "cpuset", spec->emulator_pin);
    }
}

static void edit_memory(xmlNodePtr root, xmlXPathContextPtr ctx, const domains_spec *spec)
{
    char kib[32];
    xmlNodePtr mem;

    if (spec->memory_mib == 0)
        return;
    snprintf(kib, sizeof(kib), "%" G_GUINT64_FORMAT, (guint64)spec->memory_mib * 1024);
    mem = child_ensure(root, "memory");
    set_text(mem, kib);
    set_prop(mem, "unit", "KiB");
    mem = xp_first(ctx, "/domain/currentMemory");
    if (mem != NULL) {
        set_text(mem, kib);
        set_prop(mem, "unit", "KiB");
    }
}

static void edit_os(xmlNodePtr root, const domains_spec *spec)
{
    xmlNodePtr os = child_ensure(root, "os");

    if (spec->machine != NULL) {
        xmlNodePtr type = child_element(os, "type");

        if (type == NULL) {
            type = xmlNewDocNode(root->doc, NULL, (const xmlChar *)"type", (const xmlChar *)"hvm");
            if (os->children != NULL)
                xmlAddPrevSibling(os->children, type);
            else
                xmlAddChild(os, type);
        }
        set_prop(type, "machine", spec->machine);
    }
    if (spec->kernel != NULL)
        set_text(child_ensure(os, "kernel"), spec->kernel);
    if (spec->initrd != NULL)
        set_text(child_ensure(os, "initrd"), spec->initrd);
    if (spec->cmdline != NULL)
        set_text(child_ensure(os, "cmdline"), spec->cmdline);
}

static gboolean edit_disk(xmlNodePtr devices, xmlXPathContextPtr ctx, const char *filename,
                          const domains_spec *spec, GError **error)
{
    xmlNodePtr disk, src;

    if (spec->disk == NULL)
        return TRUE;
    disk = xp_first(ctx, "/domain/devices/disk[not(@device) or @device='disk'][1]");
    if (disk == NULL) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "%s:%ld: <devices> has no <disk device='disk'> to set the image '%s' in",
                    filename, node_line(devices), spec->disk);
        return FALSE;
    }
    set_prop(disk, "type", "file");
    remove_children_named(disk, "source");
    src = xmlNewDocNode(disk->doc, NULL, (const xmlChar *)"source", NULL);
    set_prop(src, "file", spec->disk);
    if (disk->children != NULL)
        xmlAddPrevSibling(disk->children, src);
    else
        xmlAddChild(disk, src);
    return TRUE;
}

/* Insert children at the front of iface in the order given (mac, source, target, model). */
static void prepend(xmlNodePtr parent, xmlNodePtr *cursor, xmlNodePtr node)
{
    if (*cursor != NULL)
        xmlAddPrevSibling(*cursor, node);
    else
        xmlAddChild(parent, node);
}

static void edit_interface(xmlNodePtr iface, const domains_spec *spec)
{
    g_autofree char *mac = spec->mac ? g_strdup(spec->mac) : domains_mac_from_name(spec->name);
    xmlNodePtr cursor, n;

    remove_children_named(iface, "mac");
    remove_children_named(iface, "model");
    if (spec->bridge != NULL) {
        set_prop(iface, "type", "bridge");
        remove_children_named(iface, "source");
    }
    if (spec->tap != NULL)
        remove_children_named(iface, "target");
    cursor = iface->children;

    n = xmlNewDocNode(iface->doc, NULL, (const xmlChar *)"mac", NULL);
    set_prop(n, "address", mac);
    prepend(iface, &cursor, n);
    if (spec->bridge != NULL) {
        n = xmlNewDocNode(iface->doc, NULL, (const xmlChar *)"source", NULL);
        set_prop(n, "bridge", spec->bridge);
        prepend(iface, &cursor, n);
    }
    if (spec->tap != NULL) {
        n = xmlNewDocNode(iface->doc, NULL, (const xmlChar *)"target", NULL);
        set_prop(n, "dev", spec->tap);
        prepend(iface, &cursor, n);
    }
    n = xmlNewDocNode(iface->doc, NULL, (const xmlChar *)"model", NULL);
    set_prop(n, "type", spec->nic);
    prepend(iface, &cursor, n);
}

/* vhost-net and multiqueue live on the interface's <driver>; other attributes of a
 * template's <driver> (txmode, ioeventfd, ...) stay. */
static void edit_nic_driver(xmlNodePtr iface, const domains_spec *spec)
{
    xmlNodePtr drv;
    char num[16];

    if (spec->vhost == NULL && spec->queues == 0)
        return;
    drv = child_element(iface, "driver");
    if (drv == NULL) {
        if (spec->vhost == NULL && spec->queues == 1)
            return; /* one queue pair is the default */
        drv = xmlNewChild(iface, NULL, (const xmlChar *)"driver", NULL);
    }
    if (spec->vhost != NULL)
        set_prop(drv, "name", strcmp(spec->vhost, "on") == 0 ? "vhost" : "qemu");
    if (spec->queues > 1) {
        snprintf(num, sizeof(num), "%u", spec->queues);
        set_prop(drv, "queues", num);
    } else if (spec->queues == 1) {
        xmlUnsetProp(drv, (const xmlChar *)"queues");
    }
    if (drv->properties == NULL && !has_element_child(drv)) {
        xmlUnlinkNode(drv);
        xmlFreeNode(drv);
    }
}

static void edit_serial(xmlNodePtr devices, xmlXPathContextPtr ctx, const domains_spec *spec)
{
    xmlNodePtr serial, src;

    if (spec->console_log == NULL)
        return;
    serial = xp_first(ctx, "/domain/devices/serial[1]");
    if (serial == NULL)
        serial = xmlNewChild(devices, NULL, (const xmlChar *)"serial", NULL);
    set_prop(serial, "type", "file");
    remove_children_named(serial, "source");
    src = xmlNewDocNode(serial->doc, NULL, (const xmlChar *)"source", NULL);
    set_prop(src, "path", spec->console_log);
    set_prop(src, "append", "off");
    if (serial->children != NULL)
        xmlAddPrevSibling(serial->children, src);
    else
        xmlAddChild(serial, src);
    if (child_element(serial, "target") == NULL) {
        xmlNodePtr t = xmlNewChild(serial, NULL, (const xmlChar *)"target", NULL);

        set_prop(t, "port", "0");
    }
    /* libvirt adds the console of serial port 0 itself; one of another type would clash */
    xp_remove_all(ctx, "/domain/devices/console[not(target/@type) or target/@type='serial']");
}

static void edit_metadata(xmlNodePtr root, xmlXPathContextPtr ctx, const domains_spec *spec)
{
    xmlNodePtr meta, img;
    xmlNsPtr ns;

    if (spec->image_id == NULL)
        return;
    xp_remove_all(ctx, "/domain/metadata/*[namespace-uri()='" VEXP_XMLNS "']");
    meta = child_ensure(root, "metadata");
    img = xmlNewChild(meta, NULL, (const xmlChar *)"image", NULL);
    ns = xmlNewNs(img, (const xmlChar *)VEXP_XMLNS, (const xmlChar *)"vexp");
    xmlSetNs(img, ns);
    set_prop(img, "id", spec->image_id);
}

/* ---- canonical form ----------------------------------------------------- */

static void keep_basename(xmlNodePtr n, const char *attr)
{
    g_autofree xmlChar *v = attr ? xmlGetProp(n, (const xmlChar *)attr) : xmlNodeGetContent(n);
    g_autofree char *base = NULL;

    if (v == NULL)
        return;
    base = g_path_get_basename(g_strstrip((char *)v));
    if (attr != NULL)
        set_prop(n, attr, base);
    else
        set_text(n, base);
}

static void canonical_cmdline(xmlNodePtr n)
{
    g_autofree xmlChar *v = xmlNodeGetContent(n);
    g_auto(GStrv) words = NULL;
    g_autoptr(GString) out = g_string_new(NULL);

    if (v == NULL)
        return;
    words = g_strsplit_set((char *)v, " \t\n", -1);
    for (guint i = 0; words[i] != NULL; i++) {
        if (words[i][0] == '\0' || g_str_has_prefix(words[i], DOMAINS_GUEST_IP_ARG "="))
            continue;
        if (out->len > 0)
            g_string_append_c(out, ' ');
        g_string_append(out, words[i]);
    }
    set_text(n, out->str);
}

static gboolean canonical_form(xmlDocPtr doc, char **ret_canonical, char **ret_key, GError **error)
{
    static const char *const drop[] = {
        "/domain/name",
        "/domain/uuid",
        "/domain/devices/emulator",
        "/domain/devices/interface/mac",
        "/domain/devices/interface/target",
        "/domain/devices/interface[@type='bridge']/source",
        "/domain/devices/serial/source/@path",
        "/domain/devices/console/source/@path",
        "/domain/devices/serial/log",
        "/domain/devices/console/log",
        "/domain/seclabel",
    };
    g_autoptr(xmlDoc) copy = xmlCopyDoc(doc, 1);
    g_autoptr(xmlXPathContext) ctx = NULL;
    g_autoptr(xmlXPathObject) obj = NULL;
    xmlChar *c14n = NULL;
    int len;
    xmlNodePtr n;

    if (copy == NULL || (ctx = xmlXPathNewContext(copy)) == NULL) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV, "out of memory copying the domain");
        return FALSE;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(drop); i++)
        xp_remove_all(ctx, drop[i]);
    if ((n = xp_first(ctx, "/domain/os/kernel")) != NULL)
        keep_basename(n, NULL);
    if ((n = xp_first(ctx, "/domain/os/initrd")) != NULL)
        keep_basename(n, NULL);
    if ((n = xp_first(ctx, "/domain/os/cmdline")) != NULL)
        canonical_cmdline(n);
    obj = xmlXPathEvalExpression((const xmlChar *)"/domain/devices/disk/source[@file]", ctx);
    for (int i = 0; obj && obj->nodesetval && i < obj->nodesetval->nodeNr; i++)
        keep_basename(obj->nodesetval->nodeTab[i], "file");
    strip_blanks(xmlDocGetRootElement(copy));

    len = xmlC14NDocDumpMemory(copy, NULL, XML_C14N_1_0, NULL, 0, &c14n);
    if (len < 0 || c14n == NULL) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                    "failed to canonicalise the domain XML (C14N)");
        return FALSE;
    }
    if (ret_key != NULL)
        *ret_key = g_compute_checksum_for_data(G_CHECKSUM_SHA256, c14n, (gsize)len);
    if (ret_canonical != NULL)
        *ret_canonical = g_strndup((const char *)c14n, (gsize)len);
    xmlFree(c14n);
    return TRUE;
}

/* ---- render ------------------------------------------------------------- */

typedef struct {
    int line;
    char *message;
} first_error;

/* libxml2 reports an error, then its consequences: keep the first. */
static void keep_first_error(void *data, xmlErrorPtr e)
{
    first_error *first = data;

    if (first->message == NULL && e != NULL && e->message != NULL) {
        first->line = e->line;
        first->message = g_strstrip(g_strdup(e->message));
    }
}

static char *dump_doc(xmlDocPtr doc)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlSaveCtxtPtr save;
    char *out = NULL;

    if (buf == NULL)
        return NULL;
    save = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_FORMAT | XML_SAVE_NO_DECL);
    if (save != NULL) {
        xmlSaveDoc(save, doc);
        xmlSaveClose(save);
        out = g_strdup((const char *)xmlBufferContent(buf));
    }
    xmlBufferFree(buf);
    return out;
}

gboolean domains_render_buffer(const char *buf, size_t len, const char *filename,
                               const domains_spec *spec, char **ret_xml, char **ret_key,
                               char **ret_canonical, GError **error)
{
    g_autoptr(xmlParserCtxt) pctx = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) ctx = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *key = NULL;
    g_autofree char *canonical = NULL;
    first_error first = {0};
    xmlNodePtr root, devices, iface;
    const char *accel;
    unsigned vcpus;

    if (!check_spec(spec, error))
        return FALSE;
    /* "kvm" may be a remote host's answer (domains_conn_resolve_accel): not this host's */
    if (g_strcmp0(spec->accel, "kvm") == 0)
        accel = "kvm";
    else if ((accel = domains_resolve_accel(spec->accel, error)) == NULL)
        return FALSE;
    if (domains_spec_check_nic(spec->nic, spec->vhost, spec->queues, accel, error) !=
        DOMAINS_SPEC_OK)
        return FALSE;
    if (len > DOMAINS_TEMPLATE_MAX) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT, "%s: template larger than %d bytes",
                    filename, DOMAINS_TEMPLATE_MAX);
        return FALSE;
    }

    pctx = xmlNewParserCtxt();
    if (pctx == NULL) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV, "out of memory parsing '%s'",
                    filename);
        return FALSE;
    }
    /* the handler is per thread in libxml2 */
    xmlSetStructuredErrorFunc(&first, keep_first_error);
    doc = xmlCtxtReadMemory(pctx, buf, (int)len, filename, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
                                XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES | XML_PARSE_NOCDATA);
    xmlSetStructuredErrorFunc(NULL, NULL);
    if (doc == NULL) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT, "%s:%d: not well-formed XML: %s",
                    filename, first.message ? first.line : 1,
                    first.message ? first.message : "unknown error");
        g_free(first.message);
        return FALSE;
    }
    g_free(first.message);
    root = xmlDocGetRootElement(doc);
    if (doc->intSubset != NULL) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "%s:%ld: a domain template must not have a DOCTYPE", filename, node_line(root));
        return FALSE;
    }
    if (root == NULL || !xmlStrEqual(root->name, (const xmlChar *)"domain") || root->ns != NULL) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "%s:%ld: root element is <%s>, expected <domain>", filename, node_line(root),
                    root ? (const char *)root->name : "");
        return FALSE;
    }
    ctx = xmlXPathNewContext(doc);
    if (ctx == NULL) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV, "out of memory parsing '%s'",
                    filename);
        return FALSE;
    }
    devices = xp_first(ctx, "/domain/devices");
    if (devices == NULL) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT, "%s:%ld: <domain> lacks <devices>",
                    filename, node_line(root));
        return FALSE;
    }
    iface = xp_first(ctx, "/domain/devices/interface[1]");
    if (iface == NULL) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT,
                    "%s:%ld: <devices> has no <interface> to set the NIC model in", filename,
                    node_line(devices));
        return FALSE;
    }
    if (!effective_vcpus(spec, ctx, filename, &vcpus, error))
        return FALSE;
    if (!domains_vcpu_pin_check(spec->vcpu_pin, vcpus, error))
        return FALSE;
    if (!edit_disk(devices, ctx, filename, spec, error))
        return FALSE;

    set_prop(root, "type", strcmp(accel, "kvm") == 0 ? "kvm" : "qemu");
    set_text(child_ensure(root, "name"), spec->name);
    xp_remove_all(ctx, "/domain/uuid");
    edit_memory(root, ctx, spec);
    edit_vcpus(root, ctx, spec, vcpus);
    edit_cputune(root, ctx, spec, spec->vcpu_pin);
    edit_os(root, spec);
    edit_interface(iface, spec);
    edit_nic_driver(iface, spec);
    edit_serial(devices, ctx, spec);
    edit_metadata(root, ctx, spec);

    if (ret_xml != NULL) {
        xml = dump_doc(doc);
        if (xml == NULL) {
            g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_ENV,
                        "out of memory writing the domain XML of '%s'", spec->name);
            return FALSE;
        }
    }
    if ((ret_key != NULL || ret_canonical != NULL) &&
        !canonical_form(doc, ret_canonical ? &canonical : NULL, ret_key ? &key : NULL, error))
        return FALSE;
    if (ret_xml != NULL)
        *ret_xml = g_steal_pointer(&xml);
    if (ret_key != NULL)
        *ret_key = g_steal_pointer(&key);
    if (ret_canonical != NULL)
        *ret_canonical = g_steal_pointer(&canonical);
    return TRUE;
}

gboolean domains_render(const domains_spec *spec, char **ret_xml, char **ret_key,
                        char **ret_canonical, GError **error)
{
    g_autofree char *buf = NULL;
    g_autoptr(GError) local = NULL;
    gsize len = 0;

    if (spec->template_path == NULL) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT, "no template given for domain '%s'",
                    spec->name ? spec->name : "");
        return FALSE;
    }
    if (!g_file_get_contents(spec->template_path, &buf, &len, &local)) {
        g_set_error(error, DOMAINS_ERROR, DOMAINS_ERROR_INPUT, "failed to read template '%s': %s",
                    spec->template_path, local->message);
        return FALSE;
    }
    return domains_render_buffer(buf, len, spec->template_path, spec, ret_xml, ret_key,
                                 ret_canonical, error);
}
