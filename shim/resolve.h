/* Resolving the configuration's host names under one overall deadline (docs/shim.md
 * "Loading"): getaddrinfo(3) has no timeout of its own, and a silent nameserver makes each
 * name take resolv.conf's timeout times its attempts. */
#ifndef SV_RESOLVE_H
#define SV_RESOLVE_H

#include "config_load.h"

#define SV_RESOLVE_DEFAULT_MS 2000u
#define SV_RESOLVE_MAX_MS 60000u

/* Milliseconds from SRC_VIPA_RESOLVE_TIMEOUT ("2", "0.5": seconds), or the default. Not
 * read in secure-execution processes. */
unsigned sv_resolve_timeout_ms(void);

/* The sv_loader resolver of src_vipa.so: getaddrinfo in up to 8 threads of its own; names
 * not answered when the deadline passes get reason 2 (temporary failure), and the threads
 * finish on their own. ctx: a pointer to the deadline in milliseconds (unsigned). The
 * threads pass every intercepted call straight through. */
void sv_resolve_getaddrinfo(void *ctx, const char *const *names, uint32_t n,
                            struct sv_name_answer *answers);

#endif
