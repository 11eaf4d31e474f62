/* shmtool: what a hostile local user can do to src-vipa's rr segments, for
 * test/native/run.sh ("hostile shared memory").
 *   shmtool create KEY SIZE MODE        a segment under KEY (hex), e.g. squatting it
 *   shmtool poke SHMID OFFSET VALUE     writes a 32-bit VALUE at byte OFFSET
 *   shmtool peek SHMID OFFSET           prints the 32-bit value at byte OFFSET
 * Numbers are decimal or 0x hex (MODE octal with a leading 0). Exit 0, or 1 with a reason. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

static unsigned long num(const char *s)
{
    char *end;
    unsigned long v = strtoul(s, &end, 0);

    if (*s == '\0' || *end != '\0') {
        fprintf(stderr, "shmtool: %s is not a number\n", s);
        exit(1);
    }
    return v;
}

static uint8_t *attach(const char *id)
{
    void *p = shmat((int)num(id), NULL, 0);

    if (p == (void *)-1) {
        fprintf(stderr, "shmtool: shmat %s: %s\n", id, strerror(errno));
        exit(1);
    }
    return p;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "create") == 0) {
        int id = shmget((key_t)num(argv[2]), num(argv[3]), IPC_CREAT | IPC_EXCL | (int)num(argv[4]));

        if (id < 0) {
            fprintf(stderr, "shmtool: shmget: %s\n", strerror(errno));
            return 1;
        }
        printf("%d\n", id);
        return 0;
    }
    if (argc == 5 && strcmp(argv[1], "poke") == 0) {
        uint32_t v = (uint32_t)num(argv[4]);

        memcpy(attach(argv[2]) + num(argv[3]), &v, 4);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "peek") == 0) {
        uint32_t v;

        memcpy(&v, attach(argv[2]) + num(argv[3]), 4);
        printf("%u\n", v);
        return 0;
    }
    fprintf(stderr, "usage: shmtool create KEY SIZE MODE | poke SHMID OFFSET VALUE | peek SHMID OFFSET\n");
    return 1;
}
