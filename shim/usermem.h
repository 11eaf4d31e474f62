/* Reading the application's memory the way the kernel does (docs/shim.md "Reliability"):
 * a pointer the kernel would answer with EFAULT must not crash the program inside the
 * library. Memory on the calling thread's stack, above the current frame, is read
 * directly; anything else is copied with process_vm_readv(2) on ourselves, which fails
 * with EFAULT instead of faulting. */
#ifndef SV_USERMEM_H
#define SV_USERMEM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum { SV_READ_OK = 0, SV_READ_FAULT = -1, SV_READ_UNKNOWN = -2 };

#define SV_STACK_SPAN (4u << 20) /* frames deeper than this take the system call */

extern void *__libc_stack_end;

/* [p, p + len) lies between the current frame and the top of this thread's stack, all of
 * which is mapped: glibc keeps a thread's descriptor (the thread pointer) at the top of
 * its stack mapping, above the stack and the static TLS; the main thread's stack ends at
 * __libc_stack_end. Inline: the common case (an address in the caller's frame) costs a
 * few compares. */
/* This thread's alternate signal stack, [lo, hi): a handler running there is not on the
 * thread's stack, and the gap up to the thread pointer may be unmapped. Learned once per
 * thread (sigaltstack(NULL)) and kept current by the sigaltstack() wrapper. */
struct sv_altstack {
    int known;
    uintptr_t lo, hi;
};
extern __thread struct sv_altstack sv_altstack __attribute__((tls_model("initial-exec")));
void sv_altstack_learn(void);

static inline __attribute__((always_inline)) int sv_on_stack(const void *ptr, size_t len)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0), p = (uintptr_t)ptr;
    uintptr_t top = (uintptr_t)__builtin_thread_pointer();

    if (__builtin_expect(!sv_altstack.known, 0))
        sv_altstack_learn();
    if (sp >= sv_altstack.lo && sp < sv_altstack.hi)
        return 0; /* in a handler on the alternate stack: take the system call */

    if (!(top > sp && top - sp < SV_STACK_SPAN)) {
        top = (uintptr_t)__libc_stack_end;
        if (!(top > sp && top - sp < SV_STACK_SPAN))
            return 0;
    }
    return p >= sp && p < top && len <= top - p;
}

/* The main program's writable segments (.data, .bss): mapped for the life of the process.
 * Found from the auxiliary vector on the first look (sv_user_static_init). */
extern uintptr_t sv_static_lo, sv_static_hi;
void sv_user_static_init(void);

static inline __attribute__((always_inline)) int sv_in_static(const void *ptr, size_t len)
{
    uintptr_t p = (uintptr_t)ptr;

    return p >= sv_static_lo && p < sv_static_hi && len <= sv_static_hi - p;
}

/* Memory the library may read directly. */
static inline __attribute__((always_inline)) int sv_readable(const void *ptr, size_t len)
{
    return sv_on_stack(ptr, len) || sv_in_static(ptr, len);
}

/* The system-call path: SV_READ_OK; SV_READ_FAULT where the kernel would say EFAULT;
 * SV_READ_UNKNOWN if it cannot be told (process_vm_readv refused, e.g. by a seccomp
 * filter: logged once), in which case the caller leaves the call alone. May change errno. */
int sv_user_read_remote(void *dst, const void *src, size_t len);

/* Copies len bytes at src to dst (the results above). */
static inline int sv_user_read(void *dst, const void *src, size_t len)
{
    if (sv_readable(src, len)) {
        memcpy(dst, src, len);
        return SV_READ_OK;
    }
    return sv_user_read_remote(dst, src, len);
}

#endif
