/* Reading the application's memory the way the kernel does (docs/shim.md "Bad pointers"):
 * a pointer the kernel would answer with EFAULT must not crash the program inside the
 * library. Memory on the calling thread's stack, above the current frame, is read
 * directly; anything else is copied with process_vm_readv(2) on ourselves, which fails
 * with EFAULT instead of faulting. */
#ifndef SV_USERMEM_H
#define SV_USERMEM_H

#include <stddef.h>

enum { SV_READ_OK = 0, SV_READ_FAULT = -1, SV_READ_UNKNOWN = -2 };

/* Copies len bytes at src to dst: SV_READ_OK; SV_READ_FAULT where the kernel would say
 * EFAULT; SV_READ_UNKNOWN if it cannot be told (process_vm_readv refused, e.g. by a
 * seccomp filter: logged once), in which case the caller leaves the call alone. May
 * change errno. */
int sv_user_read(void *dst, const void *src, size_t len);

#endif
