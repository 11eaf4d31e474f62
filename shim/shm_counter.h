/* The host-wide counters behind `rr:ABC` rules: System V shared memory, one small segment
 * per configuration file and line (key derivation and removal: shm_counter.c, docs/shim.md).
 * Called under the engine lock. */
#ifndef SV_SHM_COUNTER_H
#define SV_SHM_COUNTER_H

#include <stdint.h>

/* The counter's value before an atomic increment; 0xFFFFFFFF if no shared counter can be
 * had (the engine then counts per process). perm: the rule's permission bits. */
uint32_t sv_rr_next(uint64_t dev, uint64_t ino, uint32_t line, uint32_t perm);

/* At process exit: detach every segment, removing each one this process is the last to
 * use. Afterwards sv_rr_next fails (threads still running during exit). */
void sv_rr_detach_all(void);

#endif
