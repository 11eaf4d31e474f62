/* Reading the configuration and the two-phase load (docs/abi.md "Life cycle"). No call
 * here goes through an intercepted function: descriptors are closed with the raw system
 * call, since inside src_vipa.so `close` is the library's own wrapper. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config_load.h"

#define NAME_MAX_LEN 1024 /* DNS names are at most 253 bytes; longer ones cannot resolve */

static void raw_close(int fd)
{
    int saved = errno;

    syscall(SYS_close, fd);
    errno = saved;
}

static const char *kind_of(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory, not a file";
    if (S_ISFIFO(mode))
        return "a FIFO, not a regular file";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device, not a regular file";
    if (S_ISSOCK(mode))
        return "a socket, not a regular file";
    return "not a regular file";
}

/* stat first, so that a device is never opened (opening one can have effects); the
 * O_NONBLOCK open and the fstat check catch a file swapped in between. */
int sv_config_open(const char *path, struct sv_config_file *f, const char **why)
{
    struct stat st;
    int fd, err;

    memset(f, 0, sizeof *f);
    f->fd = -1;
    *why = "";
    if (stat(path, &st) != 0) {
        err = errno;
        *why = strerror(err);
        return err;
    }
    if (!S_ISREG(st.st_mode)) {
        *why = kind_of(st.st_mode);
        return S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        err = errno;
        *why = strerror(err);
        return err;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        *why = kind_of(st.st_mode);
        raw_close(fd);
        return EINVAL;
    }
    if ((uint64_t)st.st_size > SV_CONFIG_MAX) {
        *why = "larger than the 64 MiB a configuration may have";
        raw_close(fd);
        return EFBIG;
    }
    f->fd = fd;
    f->size = (size_t)st.st_size;
    f->dev = (uint64_t)st.st_dev;
    f->ino = (uint64_t)st.st_ino;
    return 0;
}

void sv_config_close(struct sv_config_file *f)
{
    if (f->fd >= 0)
        raw_close(f->fd);
    f->fd = -1;
}

static void deliver_diags(struct sv_engine *e, const struct sv_loader *loader)
{
    struct sv_diag d;
    uint32_t i, n = sv_engine_diag_count(e);

    for (i = 0; i < n && e->live; i++)
        if (sv_engine_diag(e, i, &d) == 0 && loader->diag)
            loader->diag(loader->ctx, &d);
}

/* The names the engine asks for, resolved by the loader, answered back. */
static void resolve_names(struct sv_engine *e, uint32_t n, const struct sv_loader *loader)
{
    struct sv_name_answer *answers = calloc(n, sizeof *answers);
    char **names = calloc(n, sizeof *names);
    char name[NAME_MAX_LEN + 1];
    uint32_t i, k;

    for (i = 0; names != NULL && i < n; i++) {
        /* too long to be a DNS name: an empty name, which does not exist */
        if (sv_engine_name(e, i, name, sizeof name) < 0)
            name[0] = '\0';
        if ((names[i] = strdup(name)) == NULL)
            break;
    }
    if (answers == NULL || names == NULL || i < n) {
        for (i = 0; i < n; i++)
            sv_engine_answer_error(e, i, 3);
        goto out;
    }
    loader->resolve(loader->ctx, (const char *const *)names, n, answers);
    for (i = 0; i < n && e->live; i++) {
        if (answers[i].reason != 0) {
            sv_engine_answer_error(e, i, answers[i].reason);
            continue;
        }
        for (k = 0; k < answers[i].count && answers[i].addrs != NULL; k++)
            sv_engine_answer(e, i, answers[i].addrs[k].family, answers[i].addrs[k].addr);
    }
out:
    for (i = 0; i < n; i++) {
        if (names != NULL)
            free(names[i]);
        if (answers != NULL)
            free(answers[i].addrs);
    }
    free(answers);
    free(names);
}

/* After the text is in the engine: parse, resolve, finalize. */
static int32_t load_input(struct sv_engine *e, size_t len, const struct sv_loader *loader)
{
    int32_t names, rules;

    names = sv_engine_parse(e, (uint32_t)len);
    if (names < 0) {
        deliver_diags(e, loader);
        return names;
    }
    if (names > 0 && e->live)
        resolve_names(e, (uint32_t)names, loader);
    rules = sv_engine_finalize(e);
    deliver_diags(e, loader);
    if (!e->live)
        return SV_E_BROKEN;
    if (rules >= 0)
        sv_engine_discard_input(e);
    return rules;
}

int32_t sv_config_load_file(struct sv_engine *e, struct sv_config_file *f,
                            const struct sv_loader *loader)
{
    size_t len;

    if (f->size > SV_CONFIG_MAX)
        return SV_E_NOMEM;
    if (sv_engine_input_fd(e, f->fd, f->size, &len) != 0)
        return e->live ? SV_E_NOMEM : SV_E_BROKEN;
    return load_input(e, len, loader);
}

int32_t sv_config_load(struct sv_engine *e, const char *text, size_t len,
                       const struct sv_loader *loader)
{
    if (len > SV_CONFIG_MAX || sv_engine_input(e, text, len) != 0)
        return e->live ? SV_E_NOMEM : SV_E_BROKEN;
    return load_input(e, len, loader);
}
