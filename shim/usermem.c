/* See usermem.h. Why the stack test is sound: between the current stack pointer and the
 * top of the thread's stack everything is mapped: the main thread's stack up to
 * __libc_stack_end (where the process started), and for other threads glibc's thread
 * descriptor (pthread_self()), which sits at the top of the thread's own stack mapping,
 * above the stack and the static TLS. A thread on an alternate signal stack fails the
 * span test unless the two lie within SPAN of each other (docs/shim.md says what is left). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "usermem.h"

#define SPAN (4u << 20) /* frames deeper than this take the system call */

extern void *__libc_stack_end;

static int on_stack(uintptr_t p, size_t len)
{
    volatile char here = 0; /* below every frame of our callers */
    uintptr_t sp = (uintptr_t)&here, top = (uintptr_t)pthread_self();

    if (!(top > sp && top - sp < SPAN)) {
        top = (uintptr_t)__libc_stack_end;
        if (!(top > sp && top - sp < SPAN))
            return 0;
    }
    return p >= sp && p < top && len <= top - p;
}

static __attribute__((noinline)) int read_remote(void *dst, const void *src, size_t len)
{
    struct iovec local = { dst, len }, remote = { (void *)src, len };
    ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);

    if (n == (ssize_t)len)
        return SV_READ_OK;
    if (n >= 0 || errno == EFAULT)
        return SV_READ_FAULT;
    SV_ONCE(LOG_WARNING, "process_vm_readv: %s: calls whose addresses are not on the stack "
                         "are passed through", strerror(errno));
    return SV_READ_UNKNOWN;
}

int sv_user_read(void *dst, const void *src, size_t len)
{
    if (on_stack((uintptr_t)src, len)) {
        memcpy(dst, src, len);
        return SV_READ_OK;
    }
    return read_remote(dst, src, len);
}
