/* Reading the configuration file and loading it into the engine in its two phases
 * (parse -> the host resolves the names -> finalize). Shared by src_vipa.so and sv_driver,
 * which differ only in their resolver and in what they do with diagnostics. */
#ifndef SV_CONFIG_LOAD_H
#define SV_CONFIG_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "engine_host.h"

#define SV_DEFAULT_CONFIG "/etc/src_vipa.conf"
#define SV_CONFIG_MAX (64u << 20) /* the engine refuses more (docs/abi.md sv_input) */

struct sv_config_text {
    char *data;
    size_t len;
    uint64_t dev, ino; /* the file's identity: part of the rr shared-memory keys */
};

/* Reads the whole file (O_CLOEXEC). 0, or an errno value (EFBIG: over SV_CONFIG_MAX). */
int sv_config_read(const char *path, struct sv_config_text *out);
void sv_config_free(struct sv_config_text *cfg);

/* A resolver adds each address of NAME through add() and returns 0, or the ABI's failure
 * reason (1 no such name, 2 temporary failure, 3 other). */
typedef void (*sv_add_fn)(void *sink, int family, const uint8_t addr[16]);
struct sv_loader {
    uint32_t (*resolve)(void *ctx, const char *name, sv_add_fn add, void *sink);
    void (*diag)(void *ctx, const struct sv_diag *d); /* each diagnostic, in engine order */
    void *ctx;
};

/* Loads text into a freshly opened engine. Returns the number of rules, a negative ABI
 * error, or SV_E_BROKEN (trap). Diagnostics are delivered in every case they exist. */
int32_t sv_config_load(struct sv_engine *e, const char *text, size_t len,
                       const struct sv_loader *loader);

/* The shim's resolver: getaddrinfo(3), every address of both families. */
uint32_t sv_resolve_getaddrinfo(void *ctx, const char *name, sv_add_fn add, void *sink);

#endif
