/* The engine behind trap-proof calls, and the engine's imports (docs/abi.md).
 *
 * Every call into the generated code runs under a setjmp: a trap (out-of-bounds
 * access, `unreachable`, which is also where the engine's own aborts and out-of-memory
 * end) jumps back here, the instance is marked dead and freed, and the caller gets a
 * failure value, so the application's call passes through. The hosts serialise all calls:
 * the jump buffer and the call-depth counter of the runtime are process-wide. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "engine_host.h"
#include "wasm_rt.h"

#define RESULT_SIZE 48u
#define DIAG_SIZE 24u
#define ENGINE_LOG_MAX 1024u

/* ---- the engine's linear memory, bounds-checked; wasm is little-endian ---------------- */

static wasm_rt_memory_t *memory(struct sv_engine *e)
{
    return Z_engineZ_memory(&e->inst);
}

static int in_bounds(const wasm_rt_memory_t *m, uint32_t off, uint64_t len)
{
    return m->data != NULL && (uint64_t)off + len <= m->size;
}

#if WABT_BIG_ENDIAN
#define BYTE(m, a) ((m)->data[(m)->size - 1u - (a)]) /* wasm2c's reversed layout */
#else
#define BYTE(m, a) ((m)->data[(a)])
#endif

static void copy_out(const wasm_rt_memory_t *m, uint32_t off, void *dst, size_t len)
{
#if WABT_BIG_ENDIAN
    for (size_t i = 0; i < len; i++)
        ((uint8_t *)dst)[i] = BYTE(m, off + i);
#else
    memcpy(dst, m->data + off, len);
#endif
}

static void copy_in(wasm_rt_memory_t *m, uint32_t off, const void *src, size_t len)
{
#if WABT_BIG_ENDIAN
    for (size_t i = 0; i < len; i++)
        BYTE(m, off + i) = ((const uint8_t *)src)[i];
#else
    memcpy(m->data + off, src, len);
#endif
}

static uint32_t get_u32(const wasm_rt_memory_t *m, uint32_t off)
{
    return (uint32_t)BYTE(m, off) | (uint32_t)BYTE(m, off + 1) << 8 |
           (uint32_t)BYTE(m, off + 2) << 16 | (uint32_t)BYTE(m, off + 3) << 24;
}

/* An address as the ABI's four big-endian words. */
static void addr_words(const uint8_t a[16], uint32_t w[4])
{
    memcpy(w, a, 16);
    w[0] = ntohl(w[0]);
    w[1] = ntohl(w[1]);
    w[2] = ntohl(w[2]);
    w[3] = ntohl(w[3]);
}

/* ---- logging through the host's hook --------------------------------------------------- */

static void host_logf(sv_host *h, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void host_logf(sv_host *h, int level, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;

    if (h == NULL || h->log == NULL)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    h->log(h, level, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* After a trap the instance may be inconsistent: it is never called again. */
static const char *trap_reason(int trap)
{
    return sv_rt_out_of_memory ? "out of memory" : sv_rt_trap_name(trap);
}

static void trapped(struct sv_engine *e, int trap, const char *call)
{
    e->live = 0;
    host_logf(e->host, 3, "engine trapped in %s (%s): passing every call through from now on",
              call, trap_reason(trap));
    Z_engine_free(&e->inst);
}

/* Runs EXPR (a call into the engine) unless the engine is dead; on a trap returns FAIL.
 * The setjmp frame is the calling function's own, as the C standard requires. */
#define GUARDED(e, what, fail, expr)                   \
    do {                                               \
        if (!(e)->live)                                \
            return (fail);                             \
        sv_rt_enter();                                 \
        if (setjmp(wasm_rt_jmp_buf) != 0) {            \
            trapped((e), sv_rt_last_trap, (what));     \
            return (fail);                             \
        }                                              \
        return (expr);                                 \
    } while (0)

#define GUARDED_VOID(e, what, stmt)                    \
    do {                                               \
        if (!(e)->live)                                \
            return;                                    \
        sv_rt_enter();                                 \
        if (setjmp(wasm_rt_jmp_buf) != 0) {            \
            trapped((e), sv_rt_last_trap, (what));     \
            return;                                    \
        }                                              \
        stmt;                                          \
    } while (0)

/* ---- life cycle ------------------------------------------------------------------------ */

static int module_ready;

int sv_engine_open(struct sv_engine *e, sv_host *host)
{
    uint32_t version;

    memset(e, 0, sizeof *e);
    e->host = host;
    host->engine = e;
    if (!module_ready) {
        Z_engine_init_module(); /* registers function types; cannot trap */
        module_ready = 1;
    }
    if (sv_rt_broken) {
        host_logf(host, 3, "engine needs more than the embedded wasm runtime provides");
        return -1;
    }
    sv_rt_enter();
    if (setjmp(wasm_rt_jmp_buf) != 0) {
        host_logf(host, 3, "engine failed to start (%s)", trap_reason(sv_rt_last_trap));
        Z_engine_free(&e->inst);
        return -1;
    }
    Z_engine_instantiate(&e->inst, host);
    version = Z_engineZ_sv_abi_version(&e->inst);
    if (version >> 16 != SV_ABI_MAJOR) {
        host_logf(host, 3, "engine ABI %u.%u is not supported (this host speaks %u.x)",
                  version >> 16, version & 0xFFFF, SV_ABI_MAJOR);
        Z_engine_free(&e->inst);
        return -1;
    }
    e->result_off = Z_engineZ_sv_result_ptr(&e->inst);
    if (!in_bounds(memory(e), e->result_off, RESULT_SIZE)) {
        host_logf(host, 3, "engine result record out of bounds");
        Z_engine_free(&e->inst);
        return -1;
    }
    e->live = 1;
    return 0;
}

void sv_engine_close(struct sv_engine *e)
{
    if (e->live)
        Z_engine_free(&e->inst);
    e->live = 0;
}

/* ---- loading --------------------------------------------------------------------------- */

static int input_call(struct sv_engine *e, uint32_t len)
{
    GUARDED(e, "sv_input", 0u, Z_engineZ_sv_input(&e->inst, len));
}

/* Reserves the input area; its offset, or 0. */
static uint32_t input_area(struct sv_engine *e, size_t len)
{
    uint32_t off;

    if (len > UINT32_MAX)
        return 0;
    off = (uint32_t)input_call(e, (uint32_t)len);
    if (off == 0 || !e->live || !in_bounds(memory(e), off, len))
        return 0;
    e->input_off = off;
    e->input_len = (uint32_t)len;
    return off;
}

int sv_engine_input(struct sv_engine *e, const char *text, size_t len)
{
    uint32_t off = input_area(e, len);

    if (off == 0)
        return -1;
    copy_in(memory(e), off, text, len);
    return 0;
}

int sv_engine_input_fd(struct sv_engine *e, int fd, size_t size, size_t *len)
{
    uint32_t off = input_area(e, size);
    size_t done = 0;

    *len = 0;
    if (off == 0)
        return -1;
    while (done < size) {
#if WABT_BIG_ENDIAN
        char chunk[4096];
        size_t want = size - done < sizeof chunk ? size - done : sizeof chunk;
        ssize_t n = read(fd, chunk, want);

        if (n > 0)
            copy_in(memory(e), off + (uint32_t)done, chunk, (size_t)n);
#else
        ssize_t n = read(fd, memory(e)->data + off + done, size - done);
#endif
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        done += (size_t)n;
    }
    *len = done;
    return 0;
}

void sv_engine_discard_input(struct sv_engine *e)
{
    wasm_rt_memory_t *m = memory(e);
    uint64_t start, end;

    if (!e->live || e->input_len == 0 || !in_bounds(m, e->input_off, e->input_len))
        return;
#if WABT_BIG_ENDIAN
    start = (uint64_t)m->size - e->input_off - e->input_len; /* reversed layout */
#else
    start = e->input_off;
#endif
    end = start + e->input_len;
    sv_rt_discard(m, start, end);
    e->input_len = 0;
}

int32_t sv_engine_parse(struct sv_engine *e, uint32_t len)
{
    GUARDED(e, "sv_parse", SV_E_BROKEN, (int32_t)Z_engineZ_sv_parse(&e->inst, len));
}

static uint32_t name_ptr(struct sv_engine *e, uint32_t i)
{
    GUARDED(e, "sv_name_ptr", 0u, Z_engineZ_sv_name_ptr(&e->inst, i));
}

static uint32_t name_len(struct sv_engine *e, uint32_t i)
{
    GUARDED(e, "sv_name_len", 0u, Z_engineZ_sv_name_len(&e->inst, i));
}

int sv_engine_name(struct sv_engine *e, uint32_t i, char *buf, size_t cap)
{
    uint32_t ptr = name_ptr(e, i), len = name_len(e, i);

    if (!e->live || len >= cap || !in_bounds(memory(e), ptr, len))
        return -1;
    copy_out(memory(e), ptr, buf, len);
    buf[len] = '\0';
    return (int)len;
}

int32_t sv_engine_answer(struct sv_engine *e, uint32_t i, int family, const uint8_t addr[16])
{
    uint32_t w[4];

    addr_words(addr, w);
    GUARDED(e, "sv_answer", SV_E_BROKEN,
            (int32_t)Z_engineZ_sv_answer(&e->inst, i, (uint32_t)family, w[0], w[1], w[2], w[3]));
}

void sv_engine_answer_error(struct sv_engine *e, uint32_t i, uint32_t reason)
{
    GUARDED_VOID(e, "sv_answer_error", Z_engineZ_sv_answer_error(&e->inst, i, reason));
}

int32_t sv_engine_finalize(struct sv_engine *e)
{
    GUARDED(e, "sv_finalize", SV_E_BROKEN, (int32_t)Z_engineZ_sv_finalize(&e->inst));
}

uint32_t sv_engine_diag_count(struct sv_engine *e)
{
    GUARDED(e, "sv_diag_count", 0u, Z_engineZ_sv_diag_count(&e->inst));
}

static uint32_t diag_ptr(struct sv_engine *e, uint32_t i)
{
    GUARDED(e, "sv_diag_ptr", 0u, Z_engineZ_sv_diag_ptr(&e->inst, i));
}

int sv_engine_diag(struct sv_engine *e, uint32_t i, struct sv_diag *d)
{
    uint32_t off = diag_ptr(e, i), msg, len;
    wasm_rt_memory_t *m;

    if (!e->live || off == 0)
        return -1;
    m = memory(e);
    if (!in_bounds(m, off, DIAG_SIZE))
        return -1;
    d->line = get_u32(m, off);
    d->column = get_u32(m, off + 4);
    d->severity = get_u32(m, off + 8);
    d->code = get_u32(m, off + 12);
    msg = get_u32(m, off + 16);
    len = get_u32(m, off + 20);
    if (!in_bounds(m, msg, len))
        return -1;
    d->len = len < sizeof d->msg ? len : sizeof d->msg - 1;
    copy_out(m, msg, d->msg, d->len);
    d->msg[d->len] = '\0';
    return 0;
}

/* ---- deciding -------------------------------------------------------------------------- */

/* struct sv_result mirrors the record's first 44 bytes, so that a little-endian host
 * reads it with one copy (result_off was bounds-checked at open; memory never shrinks) */
_Static_assert(offsetof(struct sv_result, rule) == 4 && offsetof(struct sv_result, addr) == 16 &&
                   offsetof(struct sv_result, line) == 32 &&
                   offsetof(struct sv_result, flags) == 40 && sizeof(struct sv_result) == 44,
               "struct sv_result must mirror the result record (docs/abi.md)");

static void read_result(struct sv_engine *e, struct sv_result *out)
{
    const wasm_rt_memory_t *m = memory(e);
    uint32_t r = e->result_off;

#if !WABT_BIG_ENDIAN
    memcpy(out, m->data + r, sizeof *out);
#else
    out->rule = get_u32(m, r + 4);
    out->index = get_u32(m, r + 8);
    out->family = get_u32(m, r + 12);
    copy_out(m, r + 16, out->addr, 16);
    out->line = get_u32(m, r + 32);
    out->policy = get_u32(m, r + 36);
    out->flags = get_u32(m, r + 40);
#endif
}

/* Where a destination's stable answer is kept: a multiplicative hash of its words. */
static struct sv_answer *answer_slot(struct sv_engine *e, const uint8_t addr[16])
{
    uint32_t w[4];

    memcpy(w, addr, 16);
    return &e->answers[((w[0] ^ w[1] ^ w[2] ^ (w[3] * 0x85EBCA6Bu)) * 0x9E3779B1u) >>
                       (32 - 6)];
}
_Static_assert(SV_ANSWER_SLOTS == 1 << 6, "answer_slot shifts for 64 slots");

/* The answer when there is no usable engine: every field zero, code SV_E_BROKEN. */
static int32_t broken(struct sv_result *out)
{
    memset(out, 0, sizeof *out);
    out->code = SV_E_BROKEN;
    return SV_E_BROKEN;
}

/* The engine's decision, GUARDED written out so that the setjmp frame is this function's
 * own. Kept out of line: a function holding a setjmp saves every register, which the
 * answers from `kept` should not pay. */
static __attribute__((noinline)) int32_t select_call(struct sv_engine *e, uint32_t kind,
                                                     int family, const uint8_t addr[16],
                                                     uint32_t port, uint32_t proto,
                                                     uint32_t flags, struct sv_result *out,
                                                     struct sv_answer *kept)
{
    uint32_t w[4];
    int32_t code;

    addr_words(addr, w);
    sv_rt_enter();
    if (setjmp(wasm_rt_jmp_buf) != 0) {
        trapped(e, sv_rt_last_trap, "sv_select");
        return broken(out);
    }
    code = (int32_t)Z_engineZ_sv_select(&e->inst, kind, (uint32_t)family, w[0], w[1], w[2], w[3],
                                        port, proto, flags);
    read_result(e, out); /* every field, whatever the code */
    out->code = code;
    if (kept != NULL && code >= 0 && (out->flags & SV_R_STABLE)) {
        kept->family = (uint32_t)family;
        memcpy(kept->addr, addr, 16);
        kept->result = *out;
    }
    return code;
}

int32_t sv_engine_select(struct sv_engine *e, uint32_t kind, int family, const uint8_t addr[16],
                         uint32_t port, uint32_t proto, uint32_t flags, struct sv_result *out)
{
    struct sv_answer *kept = NULL;

    if (!e->live)
        return broken(out);
    if (kind == SV_KIND_CONNECT && flags == 0) {
        /* a stable answer is the same for any port and protocol (docs/abi.md) */
        kept = answer_slot(e, addr);
        if (kept->family == (uint32_t)family && memcmp(kept->addr, addr, 16) == 0) {
            *out = kept->result;
            return out->code;
        }
    }
    return select_call(e, kind, family, addr, port, proto, flags, out, kept);
}

void sv_engine_release(struct sv_engine *e, uint32_t rule, uint32_t index)
{
    GUARDED_VOID(e, "sv_release", Z_engineZ_sv_release(&e->inst, rule, index));
}

void sv_engine_seed(struct sv_engine *e, uint32_t lo, uint32_t hi)
{
    GUARDED_VOID(e, "sv_seed", Z_engineZ_sv_seed(&e->inst, lo, hi));
}

void sv_engine_fork_prepare(struct sv_engine *e)
{
    GUARDED_VOID(e, "sv_fork_prepare", Z_engineZ_sv_fork_prepare(&e->inst));
}

void sv_engine_fork_child(struct sv_engine *e)
{
    GUARDED_VOID(e, "sv_fork_child", Z_engineZ_sv_fork_child(&e->inst));
}

static uint32_t scratch_ptr(struct sv_engine *e)
{
    GUARDED(e, "sv_scratch_ptr", 0u, Z_engineZ_sv_scratch_ptr(&e->inst));
}

static uint32_t format_call(struct sv_engine *e, int family)
{
    GUARDED(e, "sv_addr_format", 0u, Z_engineZ_sv_addr_format(&e->inst, (uint32_t)family));
}

int sv_engine_format(struct sv_engine *e, int family, const uint8_t addr[16], char *buf, size_t cap)
{
    uint32_t scratch, len;

    if (!e->live)
        return -1;
    copy_in(memory(e), e->result_off + 16, addr, 16);
    len = format_call(e, family);
    scratch = scratch_ptr(e);
    if (!e->live || len == 0 || len >= cap || !in_bounds(memory(e), scratch, len))
        return -1;
    copy_out(memory(e), scratch, buf, len);
    buf[len] = '\0';
    return (int)len;
}

/* ---- the imports (module "src_vipa") --------------------------------------------------- */

/* getrandom(2) without blocking; should the kernel have no entropy yet (early boot), a
 * mix of time, pid and addresses: good enough to spread `random` across processes. */
uint32_t sv_random_u32(void)
{
    uint32_t v;
    int tries;

    for (tries = 0; tries < 3; tries++) {
        if (getrandom(&v, sizeof v, GRND_NONBLOCK) == (ssize_t)sizeof v)
            return v;
        if (errno != EINTR)
            break;
    }
    {
        struct timespec ts;
        uint64_t x;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        x = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 32 ^ (uint64_t)getpid() << 16 ^
            (uint64_t)(uintptr_t)&ts;
        /* splitmix64 finaliser */
        x += 0x9E3779B97F4A7C15ull;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
        return (uint32_t)(x ^ (x >> 31));
    }
}

u32 Z_src_vipaZ_random_u32(struct Z_src_vipa_instance_t *host)
{
    (void)host;
    return sv_random_u32();
}

u32 Z_src_vipaZ_rr_next(struct Z_src_vipa_instance_t *host, u32 line, u32 perm)
{
    if (host == NULL || host->rr_next == NULL)
        return 0xFFFFFFFFu;
    return host->rr_next(host, line, perm);
}

void Z_src_vipaZ_log(struct Z_src_vipa_instance_t *host, u32 level, u32 ptr, u32 len)
{
    char buf[ENGINE_LOG_MAX];
    const wasm_rt_memory_t *m;

    if (host == NULL || host->log == NULL || host->engine == NULL)
        return;
    m = memory(host->engine);
    if (!in_bounds(m, ptr, len))
        return;
    if (len > sizeof buf)
        len = sizeof buf;
    copy_out(m, ptr, buf, len);
    host->log(host, (int)level, buf, len);
}
