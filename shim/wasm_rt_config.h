/* Compile-time settings for the wasm2c output and our runtime; passed to every unit of
 * src_vipa.so and sv_driver with `-include shim/wasm_rt_config.h`, so that the generated
 * build/engine.c, shim/wasm_rt.c and the host agree.
 *
 * - No signal handler: memory is calloc'ed and every access is bounds-checked by the
 *   generated code, so no 8 GiB reservation and no SIGSEGV handler in the application.
 *   This also turns on wasm2c's call-depth counter (WASM_RT_USE_STACK_DEPTH_COUNT).
 * - WABT_BIG_ENDIAN: wasm2c's generated code stores linear memory reversed on big-endian
 *   hosts (s390x); the host reads memory through engine_host.c's byte accessor, which
 *   follows the same convention. */
#ifndef SV_WASM_RT_CONFIG_H
#define SV_WASM_RT_CONFIG_H

#define WASM_RT_MEMCHECK_SIGNAL_HANDLER 0

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define WABT_BIG_ENDIAN 1
#else
#define WABT_BIG_ENDIAN 0
#endif

#endif
