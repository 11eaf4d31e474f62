/* failalloc.so: anonymous mmap(2) and mremap(2) fail (ENOMEM) for 64 KiB and more, the size
 * of one WebAssembly page (the engine's memory is mapped, never malloc'ed). Preloaded after
 * src_vipa.so by test/native/run.sh, it makes the engine's memory allocation fail: the shim
 * must log that and pass calls through. Smaller or file mappings go to the kernel. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LIMIT 65536u

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if ((flags & MAP_ANONYMOUS) && len >= LIMIT) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
    va_list ap;
    void *new_addr;

    va_start(ap, flags);
    new_addr = va_arg(ap, void *);
    va_end(ap);
    if (new_len >= LIMIT) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    return (void *)syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
}
