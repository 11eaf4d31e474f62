/* The engine alone, natively: build/engine.wasm through `wasm2c -n engine` and wabt's
 * stock runtime (bench only: the shim has its own runtime). Measures what the shim cannot
 * show in isolation: the load of a configuration (sv_input + sv_parse + sv_finalize) and
 * the cost of one sv_select.
 *
 *   engine_bench load CONFIG REPS          -> one JSON line: load times, rules, memory
 *   engine_bench select CONFIG DEST N REPS -> one JSON line: ns per select (median of REPS
 *                                             timed loops of N calls)
 *   engine_bench ir CONFIG N1 N2 DEST...   -> under `valgrind --tool=callgrind
 *                                             --instr-atstart=no`: per DEST, N1 then N2
 *                                             selects, each between CALLGRIND_ZERO_STATS and
 *                                             CALLGRIND_DUMP_STATS_AT("DEST N"); subtract.
 *                                             DEST "null" runs the same loop calling an empty
 *                                             function of sv_select's signature: the
 *                                             harness's own share, to subtract
 *   engine_bench pagefault - -              -> what touching a fresh page costs here (a
 *                                             64 MiB anonymous mapping, memset twice)
 * DEST: hit4 (127.0.0.1, the /8 rule), hit6 (::1, the /128 rule), mapped (::ffff:127.0.0.1),
 *       miss4 (0.0.0.1, no rule), rand4 (1,024 pseudo-random IPv4 destinations in turn).
 * Every config gets a fresh instance; host names in it are answered "no such name". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <valgrind/callgrind.h>

#include "engine.h"
#include "wasm-rt-impl.h"

struct Z_src_vipa_instance_t {
    uint32_t rr;
};

/* The imports: trivial, bench only. */
u32 Z_src_vipaZ_random_u32(struct Z_src_vipa_instance_t *h)
{
    (void)h;
    return 0x12345678u;
}

u32 Z_src_vipaZ_rr_next(struct Z_src_vipa_instance_t *h, u32 line, u32 perm)
{
    (void)line;
    (void)perm;
    return h->rr++;
}

void Z_src_vipaZ_log(struct Z_src_vipa_instance_t *h, u32 level, u32 ptr, u32 len)
{
    (void)h;
    (void)level;
    (void)ptr;
    (void)len;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL) {
        perror(path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "%s: read failed\n", path);
        exit(2);
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

struct loaded {
    Z_engine_instance_t inst;
    struct Z_src_vipa_instance_t host;
    int32_t rules;
    double t_instantiate, t_parse, t_finalize; /* ns */
};

static void load(struct loaded *L, const char *text, size_t len)
{
    double t0, t1, t2, t3;
    uint32_t off;
    int32_t names;

    memset(L, 0, sizeof *L);
    if (wasm_rt_impl_try() != 0) {
        fprintf(stderr, "engine trapped while loading\n");
        exit(3);
    }
    t0 = now_ns();
    Z_engine_instantiate(&L->inst, &L->host);
    t1 = now_ns();
    off = Z_engineZ_sv_input(&L->inst, (u32)len);
    memcpy(Z_engineZ_memory(&L->inst)->data + off, text, len);
    names = (int32_t)Z_engineZ_sv_parse(&L->inst, (u32)len);
    for (int32_t i = 0; i < names; i++)
        Z_engineZ_sv_answer_error(&L->inst, (u32)i, 1);
    t2 = now_ns();
    L->rules = (int32_t)Z_engineZ_sv_finalize(&L->inst);
    t3 = now_ns();
    L->t_instantiate = t1 - t0;
    L->t_parse = t2 - t1;
    L->t_finalize = t3 - t2;
    if (names < 0 || L->rules < 0) {
        fprintf(stderr, "load failed: parse %d finalize %d\n", names, L->rules);
        exit(3);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define NDEST 1024
struct dest {
    u32 family, a0, a1, a2, a3;
};
static struct dest dests[NDEST];
static int ndests;

static void make_dests(const char *kind)
{
    if (strcmp(kind, "hit4") == 0) {
        dests[0] = (struct dest){4, 0x7F000001u, 0, 0, 0};
        ndests = 1;
    } else if (strcmp(kind, "hit6") == 0) {
        dests[0] = (struct dest){6, 0, 0, 0, 1};
        ndests = 1;
    } else if (strcmp(kind, "mapped") == 0) {
        dests[0] = (struct dest){6, 0, 0, 0xFFFFu, 0x7F000001u};
        ndests = 1;
    } else if (strcmp(kind, "miss4") == 0) {
        dests[0] = (struct dest){4, 0x00000001u, 0, 0, 0};
        ndests = 1;
    } else if (strcmp(kind, "rand4") == 0) {
        uint32_t x = 2463534242u;
        for (int i = 0; i < NDEST; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            dests[i] = (struct dest){4, x, 0, 0, 0};
        }
        ndests = NDEST;
    } else {
        fprintf(stderr, "unknown destination %s\n", kind);
        exit(2);
    }
}

static volatile u32 sink;
typedef u32 (*select_fn)(Z_engine_instance_t *, u32, u32, u32, u32, u32, u32, u32, u32, u32);

static u32 __attribute__((noinline)) null_select(Z_engine_instance_t *i, u32 kind, u32 family,
                                                 u32 a0, u32 a1, u32 a2, u32 a3, u32 port,
                                                 u32 proto, u32 flags)
{
    (void)i; (void)kind; (void)family; (void)a0; (void)a1; (void)a2; (void)a3;
    (void)port; (void)proto; (void)flags;
    __asm__ volatile("");
    return 0;
}

static void __attribute__((noinline)) run_with(select_fn fn, struct loaded *L, long n)
{
    u32 acc = 0;
    int j = 0;
    for (long i = 0; i < n; i++) {
        const struct dest *d = &dests[j];
        acc += fn(&L->inst, 1, d->family, d->a0, d->a1, d->a2, d->a3, 80, 17, 0);
        if (++j == ndests)
            j = 0;
    }
    sink = acc;
}

static void run_selects(struct loaded *L, long n)
{
    run_with(Z_engineZ_sv_select, L, n);
}

int main(int argc, char **argv)
{
    struct loaded *L = malloc(sizeof *L);
    size_t len;
    char *text;

    if (argc < 4) {
        fprintf(stderr, "usage: engine_bench load CONFIG REPS | select CONFIG DEST N REPS | "
                        "ir CONFIG N1 N2 DEST...\n");
        return 2;
    }
    if (strcmp(argv[1], "pagefault") == 0) {
        size_t n = (size_t)64 << 20;
        char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        double t0, fresh, again;
        if (p == MAP_FAILED)
            return 1;
        t0 = now_ns();
        memset(p, 1, n);
        fresh = now_ns() - t0;
        t0 = now_ns();
        memset(p, 2, n);
        again = now_ns() - t0;
        printf("{\"fresh_page_us\": %.2f, \"touched_page_us\": %.3f}\n",
               fresh / 1e3 / (double)(n / 4096), again / 1e3 / (double)(n / 4096));
        return 0;
    }
    wasm_rt_init();
    Z_engine_init_module();
    text = read_file(argv[2], &len);

    if (strcmp(argv[1], "load") == 0) {
        int reps = atoi(argv[3]);
        double *tot = calloc((size_t)reps, sizeof *tot), *par = calloc((size_t)reps, sizeof *par);
        double *fin = calloc((size_t)reps, sizeof *fin);
        uint64_t mem = 0;
        int32_t rules = 0;
        for (int r = 0; r < reps; r++) {
            load(L, text, len);
            tot[r] = L->t_instantiate + L->t_parse + L->t_finalize;
            par[r] = L->t_parse;
            fin[r] = L->t_finalize;
            mem = Z_engineZ_memory(&L->inst)->size;
            rules = L->rules;
            Z_engine_free(&L->inst);
        }
        double cold = tot[0];           /* the first load of the process: fresh pages */
        double med = median(tot, reps); /* sorts tot: tot[0] is then the minimum */
        printf("{\"bytes\": %zu, \"rules\": %d, \"memory_bytes\": %llu, \"load_ms\": %.4f, "
               "\"load_min_ms\": %.4f, \"load_cold_ms\": %.4f, \"parse_ms\": %.4f, "
               "\"finalize_ms\": %.4f, \"reps\": %d}\n",
               len, rules, (unsigned long long)mem, med / 1e6, tot[0] / 1e6, cold / 1e6,
               median(par, reps) / 1e6, median(fin, reps) / 1e6, reps);
        return 0;
    }
    if (argc < 5) {
        fprintf(stderr, "missing arguments\n");
        return 2;
    }
    if (strcmp(argv[1], "ir") == 0 && argc >= 6) {
        long n1 = atol(argv[3]), n2 = atol(argv[4]);
        load(L, text, len);
        if (wasm_rt_impl_try() != 0) {
            fprintf(stderr, "engine trapped in sv_select\n");
            return 3;
        }
        CALLGRIND_START_INSTRUMENTATION;
        for (int a = 5; a < argc; a++) {
            int null = strcmp(argv[a], "null") == 0;
            char label[64];
            make_dests(null ? "hit4" : argv[a]);
            for (int k = 0; k < 2; k++) {
                long n = k ? n2 : n1;
                snprintf(label, sizeof label, "%s %ld", argv[a], n);
                CALLGRIND_ZERO_STATS;
                run_with(null ? null_select : Z_engineZ_sv_select, L, n);
                CALLGRIND_DUMP_STATS_AT(label);
            }
        }
        return 0;
    }
    make_dests(argv[3]);
    load(L, text, len);
    if (wasm_rt_impl_try() != 0) {
        fprintf(stderr, "engine trapped in sv_select\n");
        return 3;
    }
    {
        long n = atol(argv[4]);
        if (strcmp(argv[1], "select") == 0 && argc >= 6) {
            int reps = atoi(argv[5]);
            double *v = calloc((size_t)reps, sizeof *v);
            int32_t code;
            run_selects(L, n / 10 + 1); /* warm caches */
            for (int r = 0; r < reps; r++) {
                double t0 = now_ns();
                run_selects(L, n);
                v[r] = (now_ns() - t0) / (double)n;
            }
            double med = median(v, reps); /* sorts v: v[0] is then the minimum */
            code = (int32_t)Z_engineZ_sv_select(&L->inst, 1, dests[0].family, dests[0].a0,
                                                dests[0].a1, dests[0].a2, dests[0].a3, 80, 17, 0);
            printf("{\"ns_per_select\": %.2f, \"min_ns\": %.2f, \"code\": %d, \"n\": %ld, "
                   "\"reps\": %d}\n",
                   med, v[0], code, n, reps);
            return 0;
        }
    }
    fprintf(stderr, "bad mode %s\n", argv[1]);
    return 2;
}
