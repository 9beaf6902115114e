/* SPDX-License-Identifier: MIT */
/* Control protocol parsing: tester commands ("verb k=v ...") and agent replies (flat JSON). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "traffic-priv.h"

static bool is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static bool is_val_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-' || c == '+';
}

static size_t line_len(const char *line)
{
    size_t n = strnlen(line, TRAFFIC_LINE_MAX + 1);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    return n;
}

int traffic_cmd_parse(const char *line, char *verb, size_t verb_len, traffic_kv *ret)
{
    if (!line || !verb || verb_len < 2 || !ret)
        return -EINVAL;
    if (strnlen(line, TRAFFIC_LINE_MAX + 1) > TRAFFIC_LINE_MAX)
        return -EINVAL;
    size_t n = line_len(line);
    size_t i = 0;
    ret->n = 0;

    while (i < n && line[i] == ' ')
        i++;
    size_t v = 0;
    while (i < n && line[i] >= 'a' && line[i] <= 'z') {
        if (v + 1 >= verb_len)
            return -EINVAL;
        verb[v++] = line[i++];
    }
    if (v == 0)
        return -EINVAL;
    verb[v] = '\0';

    for (;;) {
        if (i < n && line[i] != ' ')
            return -EINVAL;
        while (i < n && line[i] == ' ')
            i++;
        if (i >= n)
            return 0;
        if (ret->n >= TRAFFIC_KV_MAX)
            return -EINVAL;
        typeof(ret->e[0]) *e = &ret->e[ret->n];
        size_t k = 0;
        while (i < n && is_key_char(line[i])) {
            if (k + 1 >= sizeof(e->key))
                return -EINVAL;
            e->key[k++] = line[i++];
        }
        if (k == 0 || i >= n || line[i] != '=')
            return -EINVAL;
        e->key[k] = '\0';
        i++;
        size_t l = 0;
        while (i < n && is_val_char(line[i])) {
            if (l + 1 >= sizeof(e->val))
                return -EINVAL;
            e->val[l++] = line[i++];
        }
        e->val[l] = '\0';
        e->is_str = true;
        ret->n++;
    }
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parse a JSON string at *pp (at the opening quote) into out[cap]. */
static int json_string(const char **pp, const char *end, char *out, size_t cap)
{
    const char *p = *pp;
    size_t o = 0;
    if (p >= end || *p != '"')
        return -EINVAL;
    p++;
    while (p < end && *p != '"') {
        char c = *p++;
        if ((unsigned char)c < 0x20)
            return -EINVAL;
        if (c == '\\') {
            if (p >= end)
                return -EINVAL;
            char e = *p++;
            switch (e) {
            case '"':
            case '\\':
            case '/':
                c = e;
                break;
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'r':
                c = '\r';
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case 'u': {
                if (end - p < 4)
                    return -EINVAL;
                int cp = 0;
                for (int k = 0; k < 4; k++) {
                    int h = hexval(p[k]);
                    if (h < 0)
                        return -EINVAL;
                    cp = cp * 16 + h;
                }
                p += 4;
                c = (cp > 0 && cp < 0x80) ? (char)cp : '?';
                break;
            }
            default:
                return -EINVAL;
            }
        }
        if (o + 1 >= cap)
            return -EINVAL;
        out[o++] = c;
    }
    if (p >= end)
        return -EINVAL;
    out[o] = '\0';
    *pp = p + 1;
    return 0;
}

int traffic_json_parse(const char *line, traffic_kv *ret)
{
    if (!line || !ret)
        return -EINVAL;
    size_t n = strnlen(line, TRAFFIC_LINE_MAX * 4 + 1);
    if (n > TRAFFIC_LINE_MAX * 4)
        return -EINVAL;
    const char *p = line, *end = line + n;
    ret->n = 0;
    p = skip_ws(p, end);
    if (p >= end || *p != '{')
        return -EINVAL;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') {
        p = skip_ws(p + 1, end);
        return p == end ? 0 : -EINVAL;
    }
    for (;;) {
        if (ret->n >= TRAFFIC_KV_MAX)
            return -EINVAL;
        typeof(ret->e[0]) *e = &ret->e[ret->n];
        if (json_string(&p, end, e->key, sizeof(e->key)) < 0)
            return -EINVAL;
        p = skip_ws(p, end);
        if (p >= end || *p != ':')
            return -EINVAL;
        p = skip_ws(p + 1, end);
        if (p >= end)
            return -EINVAL;
        if (*p == '"') {
            if (json_string(&p, end, e->val, sizeof(e->val)) < 0)
                return -EINVAL;
            e->is_str = true;
        } else {
            size_t l = 0;
            while (p < end && ((*p >= '0' && *p <= '9') || *p == '-' || *p == '+' || *p == '.' ||
                               *p == 'e' || *p == 'E' || (*p >= 'a' && *p <= 'z'))) {
                if (l + 1 >= sizeof(e->val))
                    return -EINVAL;
                e->val[l++] = *p++;
            }
            e->val[l] = '\0';
            if (l == 0)
                return -EINVAL;
            bool word = e->val[0] >= 'a' && e->val[0] <= 'z';
            if (word && strcmp(e->val, "true") && strcmp(e->val, "false") && strcmp(e->val, "null"))
                return -EINVAL;
            e->is_str = false;
        }
        ret->n++;
        p = skip_ws(p, end);
        if (p >= end)
            return -EINVAL;
        if (*p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (*p != '}')
            return -EINVAL;
        p = skip_ws(p + 1, end);
        return p == end ? 0 : -EINVAL;
    }
}

const char *traffic_kv_get(const traffic_kv *kv, const char *key)
{
    for (unsigned i = 0; i < kv->n; i++)
        if (strcmp(kv->e[i].key, key) == 0)
            return kv->e[i].val;
    return NULL;
}

int traffic_kv_u64(const traffic_kv *kv, const char *key, uint64_t max, uint64_t *ret)
{
    const char *v = traffic_kv_get(kv, key);
    if (!v)
        return -ENOENT;
    return traffic_parse_u64(v, max, ret);
}

int traffic_kv_double(const traffic_kv *kv, const char *key, double min, double max, double *ret)
{
    const char *v = traffic_kv_get(kv, key);
    if (!v)
        return -ENOENT;
    return traffic_parse_double(v, min, max, ret);
}

int traffic_kv_dataplane(const traffic_kv *kv, enum traffic_dataplane *ret)
{
    const char *v = traffic_kv_get(kv, "dataplane");
    if (!v) {
        *ret = TRAFFIC_DATAPLANE_SOCKET;
        return 0;
    }
    int d = traffic_dataplane_from_name(v);
    if (d < 0)
        return -EINVAL;
    *ret = (enum traffic_dataplane)d;
    return 1;
}

size_t traffic_json_escape(char *buf, size_t len, const char *s)
{
    size_t o = 0;
    if (len == 0)
        return 0;
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        char tmp[8];
        size_t tl;
        if (c == '"' || c == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)c;
            tl = 2;
        } else if (c < 0x20) {
            tl = (size_t)snprintf(tmp, sizeof(tmp), "\\u%04x", c);
        } else {
            tmp[0] = (char)c;
            tl = 1;
        }
        if (o + tl >= len)
            break;
        memcpy(buf + o, tmp, tl);
        o += tl;
    }
    buf[o] = '\0';
    return o;
}
