/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the control protocol parsers (agent commands and agent replies). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "traffic-priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size + 1);
    if (!line)
        return 0;
    memcpy(line, data, size);
    line[size] = '\0';
    char verb[16];
    traffic_kv kv;
    if (traffic_cmd_parse(line, verb, sizeof(verb), &kv) == 0) {
        uint64_t u;
        double d;
        (void)traffic_kv_u64(&kv, "stream", UINT64_MAX, &u);
        (void)traffic_kv_double(&kv, "rate", 0, 1e8, &d);
    }
    if (traffic_json_parse(line, &kv) == 0) {
        for (unsigned i = 0; i < kv.n; i++)
            (void)strlen(kv.e[i].val);
        (void)traffic_kv_get(&kv, "type");
    }
    char esc[256];
    traffic_json_escape(esc, sizeof(esc), line);
    free(line);
    return 0;
}
