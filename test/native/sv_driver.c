/* sv_driver: the engine as embedded in src_vipa.so (the same wasm2c object, runtime,
 * engine_host.c and config_load.c), driven by a line protocol, so that the shared cases
 * (test/cases/ JSON files) run natively with results identical to the Node host's.
 *
 * usage: sv_driver CONFIG_FILE [RESOLVE_FILE]
 *
 * RESOLVE_FILE replaces getaddrinfo: lines "NAME ADDR [ADDR...]" (IPv4/IPv6 literals) or
 * "NAME !" (resolution fails: no such name); a name not listed does not exist either;
 * blank lines and lines starting with '#' are ignored. Without the file nothing resolves.
 *
 * Output first: one line per diagnostic, "diag LINE COL SEVERITY CODE MESSAGE"
 * (numbers as in docs/abi.md), then "ready RULES" (sv_finalize's value).
 * Then one command per input line:
 *   seed LO HI                         sv_seed (decimal or 0x hex); as the first line it
 *                                      applies before the configuration is loaded (the
 *                                      load draws lrr starting points), so "ready" follows
 *   connect FAMILY ADDR PORT PROTO     sv_select kind 1; FAMILY 4 or 6 (the socket's)
 *   bind FAMILY PORT FLAGS             sv_select kind 2
 *   release RULE INDEX                 sv_release
 *   fork_prepare | fork_child          sv_fork_prepare / sv_fork_child
 * connect and bind print exactly one line:
 *   code=N rule=R index=I family=F source=TEXT line=L flags=X
 * (all decimal, from the result record; TEXT is sv_addr_format of the source for codes 1
 * and 2, "-" otherwise). A malformed command prints "error MESSAGE".
 * The rr_next import is a per-process counter per line starting at 0 (deterministic);
 * the engine's log messages go to stderr as "log LEVEL MESSAGE". */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_load.h"
#include "engine_host.h"

#define MAX_ADDRS 512 /* more than the engine keeps per name (256): the fuzzer gives more */

struct name_entry {
    char *name;
    int fail;
    int count;
    int family[MAX_ADDRS];
    uint8_t addr[MAX_ADDRS][16];
};

static struct name_entry *names;
static size_t name_count;

struct counter {
    uint32_t line, value;
};

static struct counter *counters;
static size_t counter_count;

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (p == NULL) {
        perror("sv_driver");
        exit(2);
    }
    return p;
}

/* "4"/"6" and 16 bytes, or 0 if text is not an address literal */
static int parse_literal(const char *text, uint8_t out[16])
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, text, out) == 1)
        return 4;
    if (inet_pton(AF_INET6, text, out) == 1)
        return 6;
    return 0;
}

static void read_resolve_file(const char *path)
{
    static char line[MAX_ADDRS * 48];
    FILE *f = fopen(path, "re");
    unsigned lineno = 0;

    if (f == NULL) {
        fprintf(stderr, "sv_driver: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    while (fgets(line, sizeof line, f) != NULL) {
        char *save = NULL, *tok = strtok_r(line, " \t\r\n", &save);
        struct name_entry *e;

        lineno++;
        if (tok == NULL || tok[0] == '#')
            continue;
        names = xrealloc(names, (name_count + 1) * sizeof *names);
        e = &names[name_count++];
        memset(e, 0, sizeof *e);
        e->name = strdup(tok);
        while ((tok = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
            if (strcmp(tok, "!") == 0) {
                e->fail = 1;
                continue;
            }
            if (e->count == MAX_ADDRS || !(e->family[e->count] = parse_literal(tok, e->addr[e->count]))) {
                fprintf(stderr, "sv_driver: %s:%u: bad address %s\n", path, lineno, tok);
                exit(2);
            }
            e->count++;
        }
    }
    fclose(f);
}

/* one name from the resolve file; a name not listed does not exist */
static void file_resolve_one(const char *name, struct sv_name_answer *a)
{
    for (size_t i = 0; i < name_count; i++) {
        if (strcasecmp(names[i].name, name) != 0)
            continue;
        a->addrs = names[i].fail ? NULL : xrealloc(NULL, (names[i].count + 1) * sizeof *a->addrs);
        for (int k = 0; !names[i].fail && k < names[i].count; k++) {
            a->addrs[a->count].family = (uint8_t)names[i].family[k];
            memcpy(a->addrs[a->count++].addr, names[i].addr[k], 16);
        }
        break;
    }
    if (a->count == 0)
        a->reason = 1;
}

static void file_resolve(void *ctx, const char *const *list, uint32_t n,
                         struct sv_name_answer *answers)
{
    (void)ctx;
    for (uint32_t i = 0; i < n; i++)
        file_resolve_one(list[i], &answers[i]);
}

static void print_diag(void *ctx, const struct sv_diag *d)
{
    (void)ctx;
    printf("diag %u %u %u %u %s\n", d->line, d->column, d->severity, d->code, d->msg);
}

static uint32_t local_rr_next(sv_host *h, uint32_t line, uint32_t perm)
{
    (void)h, (void)perm;
    for (size_t i = 0; i < counter_count; i++)
        if (counters[i].line == line)
            return counters[i].value++;
    counters = xrealloc(counters, (counter_count + 1) * sizeof *counters);
    counters[counter_count].line = line;
    counters[counter_count].value = 1;
    counter_count++;
    return 0;
}

static void stderr_log(sv_host *h, int level, const char *msg, size_t len)
{
    (void)h;
    fprintf(stderr, "log %d %.*s\n", level, (int)len, msg);
}

static int parse_u32(const char *s, uint32_t *out)
{
    char *end;
    unsigned long v;

    if (s == NULL || *s == '\0' || *s == '-')
        return -1;
    errno = 0;
    v = strtoul(s, &end, 0);
    if (errno != 0 || *end != '\0' || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static void print_result(struct sv_engine *e, const struct sv_result *r)
{
    char text[256] = "-";

    if (r->code == 1 || r->code == 2) {
        if (sv_engine_format(e, (int)r->family, r->addr, text, sizeof text) < 0)
            strcpy(text, "?");
    }
    printf("code=%d rule=%u index=%u family=%u source=%s line=%u flags=%u\n", r->code, r->rule,
           r->index, r->family, text, r->line, r->flags);
}

static void run_command(struct sv_engine *e, char *line)
{
    char *save = NULL, *argv[8];
    int argc = 0;
    uint32_t a, b, c;
    uint8_t addr[16];
    struct sv_result r;

    for (char *t = strtok_r(line, " \t\r\n", &save); t != NULL && argc < 8;
         t = strtok_r(NULL, " \t\r\n", &save))
        argv[argc++] = t;
    if (argc == 0)
        return;
    if (strcmp(argv[0], "seed") == 0 && argc == 3 && parse_u32(argv[1], &a) == 0 &&
        parse_u32(argv[2], &b) == 0) {
        sv_engine_seed(e, a, b);
    } else if (strcmp(argv[0], "connect") == 0 && argc == 5 && parse_u32(argv[1], &a) == 0 &&
               (a == 4 || a == 6) && parse_u32(argv[3], &b) == 0 && parse_u32(argv[4], &c) == 0) {
        memset(addr, 0, sizeof addr);
        if (inet_pton(a == 4 ? AF_INET : AF_INET6, argv[2], addr) != 1) {
            printf("error connect: %s is not an IPv%u address\n", argv[2], a);
            return;
        }
        sv_engine_select(e, 1, (int)a, addr, b, c, 0, &r);
        print_result(e, &r);
    } else if (strcmp(argv[0], "bind") == 0 && argc == 4 && parse_u32(argv[1], &a) == 0 &&
               parse_u32(argv[2], &b) == 0 && parse_u32(argv[3], &c) == 0) {
        memset(addr, 0, sizeof addr);
        sv_engine_select(e, 2, (int)a, addr, b, 0, c, &r);
        print_result(e, &r);
    } else if (strcmp(argv[0], "release") == 0 && argc == 3 && parse_u32(argv[1], &a) == 0 &&
               parse_u32(argv[2], &b) == 0) {
        sv_engine_release(e, a, b);
    } else if (strcmp(argv[0], "fork_prepare") == 0 && argc == 1) {
        sv_engine_fork_prepare(e);
    } else if (strcmp(argv[0], "fork_child") == 0 && argc == 1) {
        sv_engine_fork_child(e);
    } else {
        printf("error unknown or malformed command: %s\n", argv[0]);
    }
}

int main(int argc, char **argv)
{
    static struct sv_engine engine;
    sv_host host = { .rr_next = local_rr_next, .log = stderr_log };
    struct sv_loader loader = { file_resolve, print_diag, NULL };
    struct sv_config_file cfg;
    const char *why;
    char line[4096];
    int err, have_line;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: sv_driver CONFIG_FILE [RESOLVE_FILE] < COMMANDS\n");
        return 2;
    }
    if (argc == 3)
        read_resolve_file(argv[2]);
    err = sv_config_open(argv[1], &cfg, &why);
    if (err != 0) {
        fprintf(stderr, "sv_driver: %s: %s\n", argv[1], why);
        return 2;
    }
    if (sv_engine_open(&engine, &host) != 0) {
        fprintf(stderr, "sv_driver: the engine could not be instantiated\n");
        return 2;
    }
    /* a first "seed" command applies before loading, as the Node host's load({seed})
     * does: loading already draws random numbers (lrr starting points) */
    have_line = fgets(line, sizeof line, stdin) != NULL;
    if (have_line && strncmp(line, "seed ", 5) == 0) {
        run_command(&engine, line);
        have_line = 0;
    }
    printf("ready %d\n", (int)sv_config_load_file(&engine, &cfg, &loader));
    fflush(stdout);
    sv_config_close(&cfg);
    while (have_line || fgets(line, sizeof line, stdin) != NULL) {
        have_line = 0;
        run_command(&engine, line);
        fflush(stdout);
    }
    sv_engine_close(&engine);
    return 0;
}
