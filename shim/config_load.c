/* Reading the configuration and the two-phase load (docs/abi.md "Life cycle"). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_load.h"

#define NAME_MAX_LEN 1024 /* DNS names are at most 253 bytes; longer ones cannot resolve */

int sv_config_read(const char *path, struct sv_config_text *out)
{
    struct stat st;
    size_t cap, len = 0;
    char *buf, *grown;
    ssize_t n;
    int fd, err;

    memset(out, 0, sizeof *out);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    if (fstat(fd, &st) != 0) {
        err = errno;
        close(fd);
        return err;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return EISDIR;
    }
    /* st_size is a hint only (pipes, /proc): read until EOF, growing as needed */
    cap = st.st_size > 0 && (uint64_t)st.st_size <= SV_CONFIG_MAX ? (size_t)st.st_size + 1 : 4096;
    buf = malloc(cap);
    if (buf == NULL) {
        close(fd);
        return ENOMEM;
    }
    for (;;) {
        if (len == cap) {
            if (cap > SV_CONFIG_MAX) {
                err = EFBIG;
                goto fail;
            }
            grown = realloc(buf, cap * 2);
            if (grown == NULL) {
                err = ENOMEM;
                goto fail;
            }
            buf = grown;
            cap *= 2;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = errno;
            goto fail;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (len > SV_CONFIG_MAX) {
        free(buf);
        return EFBIG;
    }
    out->data = buf;
    out->len = len;
    out->dev = (uint64_t)st.st_dev;
    out->ino = (uint64_t)st.st_ino;
    return 0;
fail:
    free(buf);
    close(fd);
    return err;
}

void sv_config_free(struct sv_config_text *cfg)
{
    free(cfg->data);
    cfg->data = NULL;
    cfg->len = 0;
}

struct answer_sink {
    struct sv_engine *engine;
    uint32_t name;
};

static void add_answer(void *sink, int family, const uint8_t addr[16])
{
    struct answer_sink *s = sink;

    sv_engine_answer(s->engine, s->name, family, addr);
}

static void deliver_diags(struct sv_engine *e, const struct sv_loader *loader)
{
    struct sv_diag d;
    uint32_t i, n = sv_engine_diag_count(e);

    for (i = 0; i < n && e->live; i++)
        if (sv_engine_diag(e, i, &d) == 0 && loader->diag)
            loader->diag(loader->ctx, &d);
}

int32_t sv_config_load(struct sv_engine *e, const char *text, size_t len,
                       const struct sv_loader *loader)
{
    char name[NAME_MAX_LEN + 1];
    int32_t names, rules;
    int32_t i;

    if (len > SV_CONFIG_MAX || sv_engine_input(e, text, len) != 0)
        return e->live ? SV_E_NOMEM : SV_E_BROKEN;
    names = sv_engine_parse(e, (uint32_t)len);
    if (names < 0) {
        deliver_diags(e, loader);
        return names;
    }
    for (i = 0; i < names && e->live; i++) {
        struct answer_sink sink = { e, (uint32_t)i };
        uint32_t reason;

        if (sv_engine_name(e, (uint32_t)i, name, sizeof name) < 0)
            reason = 1; /* too long to be a DNS name */
        else
            reason = loader->resolve(loader->ctx, name, add_answer, &sink);
        if (reason != 0)
            sv_engine_answer_error(e, (uint32_t)i, reason);
    }
    rules = sv_engine_finalize(e);
    deliver_diags(e, loader);
    return e->live ? rules : SV_E_BROKEN;
}

uint32_t sv_resolve_getaddrinfo(void *ctx, const char *name, sv_add_fn add, void *sink)
{
    struct addrinfo hints, *res, *ai;
    uint8_t addr[16];
    int rc;

    (void)ctx;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM; /* one entry per address, not one per socket type */
    rc = getaddrinfo(name, NULL, &hints, &res);
    if (rc != 0) {
        if (rc == EAI_NONAME
#ifdef EAI_NODATA
            || rc == EAI_NODATA
#endif
        )
            return 1;
        return rc == EAI_AGAIN ? 2 : 3;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        memset(addr, 0, sizeof addr);
        if (ai->ai_family == AF_INET && ai->ai_addrlen >= sizeof(struct sockaddr_in)) {
            memcpy(addr, &((const struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
            add(sink, 4, addr);
        } else if (ai->ai_family == AF_INET6 && ai->ai_addrlen >= sizeof(struct sockaddr_in6)) {
            memcpy(addr, &((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
            add(sink, 6, addr);
        }
    }
    freeaddrinfo(res);
    return 0;
}
