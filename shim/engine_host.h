/* The engine (build/engine.wasm through wasm2c) as the C hosts see it: the ABI of
 * docs/abi.md behind functions that never let a trap escape, plus the engine's imports.
 * Shared by src_vipa.so and test/native/sv_driver. Not thread-safe: callers serialise. */
#ifndef SV_ENGINE_HOST_H
#define SV_ENGINE_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h" /* generated: build/engine.h */

#define SV_ABI_MAJOR 1u

enum { SV_KIND_CONNECT = 1, SV_KIND_BIND = 2 };
enum { SV_F_DUALSTACK = 1 };
enum { SV_R_MAPPED = 1, SV_R_COUNTED = 2, SV_R_STABLE = 4 /* ABI 1.1 */ };
enum {
    SV_PASS = 0,
    SV_BIND = 1,
    SV_KEEP = 2,
    SV_E_STATE = -1,
    SV_E_ARGS = -2,
    SV_E_NOMEM = -3,
    SV_E_BROKEN = -100, /* host side: no usable engine (never loaded, trapped, refused) */
};
enum { SV_SEV_ERROR = 1, SV_SEV_WARNING = 2, SV_SEV_NOTE = 3 };
/* the last diagnostic of a load when the engine kept only the first ones; its column
 * holds how many it left out (docs/abi.md) */
enum { SV_D_DIAGNOSTICS_OMITTED = 41 };

/* What the engine's imports reach. Each embedding fills in its own hooks: the shim a
 * System V shared-memory counter and syslog, the driver a per-process counter and stderr.
 * (wasm2c passes this struct to every import; its name is fixed by wasm2c.) */
struct sv_engine;
struct Z_src_vipa_instance_t {
    struct sv_engine *engine; /* set by sv_engine_open: imports read the engine's memory */
    /* docs/abi.md rr_next: the value before the increment, or 0xFFFFFFFF */
    uint32_t (*rr_next)(struct Z_src_vipa_instance_t *host, uint32_t line, uint32_t perm);
    /* level: syslog levels (3, 4, 6, 7); msg is not NUL-terminated */
    void (*log)(struct Z_src_vipa_instance_t *host, int level, const char *msg, size_t len);
};
typedef struct Z_src_vipa_instance_t sv_host;

/* The result record (docs/abi.md), copied out of the engine's memory. */
struct sv_result {
    int32_t code;
    uint32_t rule, index, family;
    uint8_t addr[16];
    uint32_t line, policy, flags;
};

/* A stable answer (SV_R_STABLE) to a connect query, kept so that the same destination is
 * answered again without entering the engine. The engine decides what is stable; the
 * host only remembers it. */
#define SV_ANSWER_SLOTS 64
struct sv_answer {
    uint32_t family; /* 4 or 6; 0 = empty */
    uint8_t addr[16];
    struct sv_result result;
};

struct sv_engine {
    Z_engine_instance_t inst;
    sv_host *host;
    int live;            /* instantiated, ABI accepted, no trap since */
    uint32_t result_off; /* sv_result_ptr(), fixed for the life of the instance */
    uint32_t input_off, input_len; /* the configuration text (sv_input), until discarded */
    struct sv_answer answers[SV_ANSWER_SLOTS]; /* direct-mapped by destination */
};

struct sv_diag {
    uint32_t line, column, severity, code;
    size_t len;
    char msg[1024]; /* NUL-terminated, cut at 1023 bytes */
};

/* 0 on success; -1 if the engine could not be instantiated (out of memory, a trap in its
 * start function, an ABI major other than 1): the reason went to host->log. */
int sv_engine_open(struct sv_engine *e, sv_host *host);
void sv_engine_close(struct sv_engine *e);

/* Loading, in the order of docs/abi.md "Life cycle" (config_load.c drives it). */
int sv_engine_input(struct sv_engine *e, const char *text, size_t len);
/* The same, reading at most `size` bytes of fd straight into the engine; *len is what was
 * read (a file that shrank meanwhile gives less). 0, or -1 (engine or read failure). */
int sv_engine_input_fd(struct sv_engine *e, int fd, size_t size, size_t *len);
/* After sv_finalize: gives the pages of the input text back to the system (the engine
 * never reads it again, docs/abi.md "Memory"), so memory follows rules, not bytes. */
void sv_engine_discard_input(struct sv_engine *e);
int32_t sv_engine_parse(struct sv_engine *e, uint32_t len);
/* the UTF-8 host name i, NUL-terminated into buf; its length, or -1 (too long, trap) */
int sv_engine_name(struct sv_engine *e, uint32_t i, char *buf, size_t cap);
int32_t sv_engine_answer(struct sv_engine *e, uint32_t i, int family, const uint8_t addr[16]);
void sv_engine_answer_error(struct sv_engine *e, uint32_t i, uint32_t reason);
int32_t sv_engine_finalize(struct sv_engine *e);
uint32_t sv_engine_diag_count(struct sv_engine *e);
int sv_engine_diag(struct sv_engine *e, uint32_t i, struct sv_diag *d);

/* Deciding. addr: 16 bytes, network order (an IPv4 address in the first 4). Returns the
 * result code (also in out->code), or SV_E_BROKEN. A connect query whose answer the
 * engine marked stable is answered from e->answers the next time. */
int32_t sv_engine_select(struct sv_engine *e, uint32_t kind, int family, const uint8_t addr[16],
                         uint32_t port, uint32_t proto, uint32_t flags, struct sv_result *out);
void sv_engine_release(struct sv_engine *e, uint32_t rule, uint32_t index);
void sv_engine_seed(struct sv_engine *e, uint32_t lo, uint32_t hi);
void sv_engine_fork_prepare(struct sv_engine *e);
void sv_engine_fork_child(struct sv_engine *e);
/* the engine's text form of addr (sv_addr_format) into buf; its length, or -1 */
int sv_engine_format(struct sv_engine *e, int family, const uint8_t addr[16], char *buf, size_t cap);

/* 32 random bits from getrandom(2) (the random_u32 import; also used by the shim). */
uint32_t sv_random_u32(void);

#endif
