/* A small wasm2c runtime for the embedded engine, used instead of wabt's wasm-rt-impl.c.
 *
 * Why our own: the stock runtime is written for stand-alone programs. It does not check
 * calloc (a failed allocation leaves memory NULL with a non-zero size, and the first
 * access crashes the application), mallocs without checks when registering function
 * types, asserts, and prints with printf/perror. Inside a library preloaded into arbitrary
 * programs every failure must become a trap, which the host turns into pass-through.
 *
 * Provided: exactly what wasm2c 1.0.32 emits calls to for a module without exceptions
 * (memory, function types, funcref tables, traps). Memory comes from mmap/mremap, never
 * malloc: the first load may run in a signal handler that interrupted malloc
 * (docs/shim.md "Signals"); bounds checks are compiled into the generated code (see
 * wasm_rt_config.h). Nothing here is exported from src_vipa.so (hidden visibility and the
 * version script). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "wasm_rt.h"

#define PAGE_SIZE 65536u
/* docs/abi.md: the engine may grow to 4096 pages (256 MiB), whatever a module declares. */
#define MAX_PAGES 4096u
#define MAX_TYPES 64
#define MAX_ARITY 30

jmp_buf wasm_rt_jmp_buf;
uint32_t wasm_rt_call_stack_depth;
uint32_t wasm_rt_saved_call_stack_depth;
int sv_rt_broken;
int sv_rt_last_trap;
int sv_rt_out_of_memory;

void wasm_rt_trap(wasm_rt_trap_t code)
{
    wasm_rt_call_stack_depth = wasm_rt_saved_call_stack_depth;
    sv_rt_last_trap = code != WASM_RT_TRAP_NONE ? (int)code : WASM_RT_TRAP_UNREACHABLE;
    longjmp(wasm_rt_jmp_buf, 1);
}

bool wasm_rt_is_initialized(void)
{
    return true;
}

const char *sv_rt_trap_name(int trap)
{
    switch (trap) {
    case WASM_RT_TRAP_OOB: return "out-of-bounds memory access";
    case WASM_RT_TRAP_INT_OVERFLOW: return "integer overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO: return "integer division by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION: return "invalid conversion";
    case WASM_RT_TRAP_UNREACHABLE: return "unreachable executed (engine abort)";
    case WASM_RT_TRAP_CALL_INDIRECT: return "bad indirect call";
    case WASM_RT_TRAP_EXHAUSTION: return "call stack exhausted";
    default: return "trap";
    }
}

/* Function types: only compared for call_indirect checks, so a fixed table of signatures
 * suffices. Called once, from Z_engine_init_module, under the host's lock. */
struct func_type {
    uint8_t params, results;
    uint8_t types[MAX_ARITY];
};
static struct func_type types[MAX_TYPES];
static uint32_t type_count;

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...)
{
    struct func_type t;
    va_list ap;
    uint32_t i;

    if (params + results > MAX_ARITY) {
        sv_rt_broken = 1;
        return 0;
    }
    memset(&t, 0, sizeof t);
    t.params = (uint8_t)params;
    t.results = (uint8_t)results;
    va_start(ap, results);
    for (i = 0; i < params + results; i++)
        t.types[i] = (uint8_t)va_arg(ap, wasm_rt_type_t);
    va_end(ap);
    for (i = 0; i < type_count; i++)
        if (memcmp(&types[i], &t, sizeof t) == 0)
            return i + 1;
    if (type_count == MAX_TYPES) {
        sv_rt_broken = 1;
        return 0;
    }
    types[type_count++] = t;
    return type_count;
}

/* Anonymous private mappings: zero-filled, and pages never touched cost nothing. A memory
 * of 0 pages still maps one system page, so that data is never NULL for a live memory. */
static size_t mapped_len(uint64_t pages)
{
    return pages ? (size_t)pages * PAGE_SIZE : 4096u;
}

static void *map_zeroed(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    return p == MAP_FAILED ? NULL : p;
}

void wasm_rt_allocate_memory(wasm_rt_memory_t *mem, uint32_t initial_pages, uint32_t max_pages)
{
    mem->max_pages = max_pages < MAX_PAGES ? max_pages : MAX_PAGES;
    mem->data = NULL;
    mem->pages = 0;
    mem->size = 0;
    if (initial_pages > mem->max_pages) {
        sv_rt_out_of_memory = 1;
        return; /* zero-sized: the first access traps */
    }
    mem->data = map_zeroed(mapped_len(initial_pages));
    if (mem->data) {
        mem->pages = initial_pages;
        mem->size = initial_pages * PAGE_SIZE;
    } else {
        sv_rt_out_of_memory = 1;
    }
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *mem, uint32_t delta)
{
    uint32_t old_pages = mem->pages;
    uint64_t new_pages = (uint64_t)old_pages + delta;
    uint8_t *data;

    if (delta == 0)
        return old_pages;
    if (mem->data == NULL || new_pages > mem->max_pages) {
        sv_rt_out_of_memory = 1;
        return UINT32_MAX;
    }
    data = mremap(mem->data, mapped_len(old_pages), mapped_len(new_pages), MREMAP_MAYMOVE);
    if (data == MAP_FAILED) {
        sv_rt_out_of_memory = 1;
        return UINT32_MAX;
    }
#if WABT_BIG_ENDIAN
    /* wasm2c keeps big-endian memory reversed: the old bytes move to the new end */
    memmove(data + (size_t)delta * PAGE_SIZE, data, (size_t)old_pages * PAGE_SIZE);
    memset(data, 0, (size_t)delta * PAGE_SIZE);
#endif
    mem->data = data;
    mem->pages = (uint32_t)new_pages;
    mem->size = (uint32_t)new_pages * PAGE_SIZE;
    return old_pages;
}

void wasm_rt_free_memory(wasm_rt_memory_t *mem)
{
    if (mem->data != NULL)
        munmap(mem->data, mapped_len(mem->pages));
    mem->data = NULL;
    mem->pages = 0;
    mem->size = 0;
}

void sv_rt_discard(wasm_rt_memory_t *mem, uint64_t start, uint64_t end)
{
    uint64_t page = getauxval(AT_PAGESZ) ? getauxval(AT_PAGESZ) : 4096u;

    start = (start + page - 1) & ~(page - 1);
    end &= ~(page - 1);
    if (mem->data != NULL && start < end && end <= mem->size)
        madvise(mem->data + start, (size_t)(end - start), MADV_DONTNEED);
}

/* Tables (AssemblyScript emits one for function references, e.g. sort comparators). */
void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *table, uint32_t elements,
                                    uint32_t max_elements)
{
    table->max_size = max_elements;
    table->data = map_zeroed(((size_t)elements + 1) * sizeof(wasm_rt_funcref_t));
    table->size = table->data ? elements : 0; /* 0: every indirect call traps */
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *table)
{
    if (table->data != NULL)
        munmap(table->data, ((size_t)table->size + 1) * sizeof(wasm_rt_funcref_t));
    table->data = NULL;
    table->size = 0;
}

uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t *table, uint32_t delta,
                                    wasm_rt_funcref_t init)
{
    uint32_t old_elems = table->size;
    uint64_t new_elems = (uint64_t)old_elems + delta;
    wasm_rt_funcref_t *data;
    uint32_t i;

    if (delta == 0)
        return old_elems;
    if (table->data == NULL || new_elems > table->max_size)
        return UINT32_MAX;
    data = mremap(table->data, ((size_t)old_elems + 1) * sizeof(wasm_rt_funcref_t),
                  (size_t)(new_elems + 1) * sizeof(wasm_rt_funcref_t), MREMAP_MAYMOVE);
    if (data == MAP_FAILED)
        return UINT32_MAX;
    for (i = old_elems; i < new_elems; i++)
        data[i] = init;
    table->data = data;
    table->size = (uint32_t)new_elems;
    return old_elems;
}
