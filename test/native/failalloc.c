/* failalloc.so: calloc and realloc fail (ENOMEM) for blocks of 64 KiB and more, the size
 * of one WebAssembly page. Preloaded after src_vipa.so by test/native/run.sh, it makes the
 * engine's memory allocation fail: the shim must log that and pass calls through. */
#include <errno.h>
#include <stddef.h>

extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

#define LIMIT 65536u

void *calloc(size_t n, size_t size)
{
    if (size != 0 && n >= LIMIT / size) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    if (size >= LIMIT) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_realloc(p, size);
}
