/* The part of our wasm2c runtime (wasm_rt.c) that the host uses. */
#ifndef SV_WASM_RT_H
#define SV_WASM_RT_H

#include <setjmp.h>
#include <stdint.h>

#include <wasm-rt.h>

/* Where a trap jumps to, and the call-depth counter the generated code maintains. Both
 * are process-wide: every call into the engine is serialised by its host. */
extern jmp_buf wasm_rt_jmp_buf;
extern uint32_t wasm_rt_saved_call_stack_depth;

/* Set when this runtime could not give the module what it asked for (a function-type
 * table overflow); the host refuses such an instance. Memory allocation failures need no
 * flag: they leave a zero-sized memory and the module's first access traps. */
extern int sv_rt_broken;

/* Set when memory could not be allocated or grown (the module then traps): lets the host
 * say "out of memory" rather than the trap that followed. */
extern int sv_rt_out_of_memory;

/* The trap code (wasm_rt_trap_t) of the last trap; set before the jump. */
extern int sv_rt_last_trap;

/* Before each call into the engine, in the calling function itself:
 *     sv_rt_enter();
 *     if (setjmp(wasm_rt_jmp_buf) != 0) { ...trapped: sv_rt_last_trap... }
 *     ...call...
 * (setjmp in one of the forms the C standard allows; the frame stays alive). */
#define sv_rt_enter() (wasm_rt_saved_call_stack_depth = wasm_rt_call_stack_depth)

const char *sv_rt_trap_name(int trap);

/* Gives the whole system pages inside [start, end) of mem back (they read as zero after). */
void sv_rt_discard(wasm_rt_memory_t *mem, uint64_t start, uint64_t end);

#endif
