/* Reading the configuration file and loading it into the engine in its two phases
 * (parse -> the host resolves the names -> finalize). Shared by src_vipa.so and sv_driver,
 * which differ only in their resolver and in what they do with diagnostics.
 * Loading is bounded (docs/shim.md "Loading"): only a regular file of at most
 * SV_CONFIG_MAX bytes is read, straight into the engine's memory (no copy kept), and
 * nothing here blocks on a FIFO or a device. */
#ifndef SV_CONFIG_LOAD_H
#define SV_CONFIG_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "engine_host.h"

#define SV_DEFAULT_CONFIG "/etc/src_vipa.conf"
#define SV_CONFIG_MAX (64u << 20) /* the engine refuses more (docs/abi.md sv_input) */

/* What a resolver found for one host name. Every address is passed on (the engine keeps
 * what it keeps and says so), so that all hosts give the engine the same answers. */
struct sv_name_addr {
    uint8_t family; /* 4 or 6 */
    uint8_t addr[16];
};
struct sv_name_answer {
    uint32_t reason; /* 0, or the ABI's failure reason (1 no such name, 2 temporary, 3 other) */
    uint32_t count;
    struct sv_name_addr *addrs; /* malloc'ed by the resolver, freed by the loader */
};

struct sv_loader {
    /* Resolves names[0..n-1] into answers[0..n-1], which the caller zeroed; a name left
     * without addresses and without a reason counts as "no such name". */
    void (*resolve)(void *ctx, const char *const *names, uint32_t n,
                    struct sv_name_answer *answers);
    void (*diag)(void *ctx, const struct sv_diag *d); /* each diagnostic, in engine order */
    void *ctx;
};

/* An opened configuration file. */
struct sv_config_file {
    int fd;
    size_t size;
    uint64_t dev, ino; /* the file's identity: part of the rr shared-memory keys */
};

/* Opens path if it is a regular file of at most SV_CONFIG_MAX bytes (O_CLOEXEC, never
 * blocking). 0, or an errno value with *why set to a reason in words: ENOENT, EISDIR,
 * EFBIG, EINVAL (a FIFO, device or socket), or open(2)'s error. */
int sv_config_open(const char *path, struct sv_config_file *f, const char **why);
void sv_config_close(struct sv_config_file *f);

/* Loads an opened file (read straight into the engine) or a text into a freshly opened
 * engine. Returns the number of rules, a negative ABI error, or SV_E_BROKEN (trap).
 * Diagnostics are delivered in every case they exist. After a successful load the pages
 * of the configuration text inside the engine are given back to the system. */
int32_t sv_config_load_file(struct sv_engine *e, struct sv_config_file *f,
                            const struct sv_loader *loader);
int32_t sv_config_load(struct sv_engine *e, const char *text, size_t len,
                       const struct sv_loader *loader);

#endif
