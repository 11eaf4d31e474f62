/* The slow paths of usermem.h. */
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/auxv.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "usermem.h"

__thread struct sv_altstack sv_altstack __attribute__((tls_model("initial-exec")));

static void altstack_set(const stack_t *ss)
{
    if (ss->ss_flags & SS_DISABLE) {
        sv_altstack.lo = sv_altstack.hi = 0;
    } else {
        sv_altstack.lo = (uintptr_t)ss->ss_sp;
        sv_altstack.hi = (uintptr_t)ss->ss_sp + ss->ss_size;
    }
    sv_altstack.known = 1;
}

/* Raw system call: async-signal-safe, and never our own wrapper. */
void sv_altstack_learn(void)
{
    stack_t ss;
    int saved = errno;

    if (syscall(SYS_sigaltstack, NULL, &ss) == 0)
        altstack_set(&ss);
    else
        sv_altstack.known = 1; /* cannot be told: [0, 0) */
    errno = saved;
}

/* sigaltstack(2): passed on, and the thread's new alternate stack remembered. */
__attribute__((visibility("default"))) int sigaltstack(const stack_t *ss, stack_t *old)
{
    int rc = (int)syscall(SYS_sigaltstack, ss, old);

    if (rc == 0 && ss != NULL) {
        int saved = errno;

        sv_altstack_learn(); /* read back what the kernel took */
        errno = saved;
    }
    return rc;
}

uintptr_t sv_static_lo = 1, sv_static_hi = 0; /* empty until known */
static int static_known;

/* From the program headers the kernel mapped (AT_PHDR): the load bias from PT_PHDR, then
 * the span of the writable PT_LOAD segments. Async-signal-safe: auxv reads only. */
void sv_user_static_init(void)
{
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
    unsigned long n = getauxval(AT_PHNUM), i;
    uintptr_t bias = 0, lo = UINTPTR_MAX, hi = 0;

    if (__atomic_exchange_n(&static_known, 1, __ATOMIC_RELAXED) || ph == NULL)
        return;
    for (i = 0; i < n; i++)
        if (ph[i].p_type == PT_PHDR)
            bias = (uintptr_t)ph - ph[i].p_vaddr;
    for (i = 0; i < n; i++) {
        if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_W))
            continue;
        if (bias + ph[i].p_vaddr < lo)
            lo = bias + ph[i].p_vaddr;
        if (bias + ph[i].p_vaddr + ph[i].p_memsz > hi)
            hi = bias + ph[i].p_vaddr + ph[i].p_memsz;
    }
    if (lo < hi) {
        __atomic_store_n(&sv_static_hi, hi, __ATOMIC_RELAXED);
        __atomic_store_n(&sv_static_lo, lo, __ATOMIC_RELAXED);
    }
}

int sv_user_read_remote(void *dst, const void *src, size_t len)
{
    if (!__atomic_load_n(&static_known, __ATOMIC_RELAXED)) {
        sv_user_static_init();
        if (sv_in_static(src, len)) {
            memcpy(dst, src, len);
            return SV_READ_OK;
        }
    }
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
