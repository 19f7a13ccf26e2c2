/* Test fixture: a tiny FUSE file system (raw /dev/fuse protocol) whose file "slow" cannot be read until released.
 *
 * usage: slowfs MOUNTPOINT SIZE   (run as root; mounts at MOUNTPOINT, unmounts on exit)
 * Files: "slow" and "fast", SIZE bytes each, byte i = (i * 7 + 3) mod 251. A read of "fast" is answered at once;
 * a read of "slow" is held (the reader sleeps in the kernel, as on a slow disk) until a line arrives on stdin,
 * after which every held and later read is answered. stdout: "ready" once mounted, "held" at the first held
 * read, "released" after the release. EOF on stdin or SIGTERM unmounts and exits. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

enum { ROOT = FUSE_ROOT_ID, SLOW = 2, FAST = 3, MAX_HELD = 256 };

static int dev = -1;
static const char *mountpoint;
static off_t file_size;
static volatile sig_atomic_t stopping;

struct held_read {
    uint64_t unique, offset;
    uint32_t size;
};
static struct held_read held[MAX_HELD];
static int nheld;
static int released;

static void say(const char *what)
{
    printf("%s\n", what);
    fflush(stdout);
}

static void reply(uint64_t unique, int error, const void *data, size_t len)
{
    struct fuse_out_header h = {.len = (uint32_t)(sizeof h + len), .error = -error, .unique = unique};
    char buf[sizeof h + 65536 * 2];
    if (len > sizeof buf - sizeof h)
        len = sizeof buf - sizeof h;
    memcpy(buf, &h, sizeof h);
    if (len)
        memcpy(buf + sizeof h, data, len);
    /* ENOENT: the request was interrupted meanwhile; nothing to do. */
    if (write(dev, buf, sizeof h + len) < 0 && errno != ENOENT)
        fprintf(stderr, "slowfs: write(/dev/fuse): %s\n", strerror(errno));
}

static void fill_attr(uint64_t node, struct fuse_attr *a)
{
    memset(a, 0, sizeof *a);
    a->ino = node;
    a->nlink = 1;
    a->blksize = 4096;
    if (node == ROOT) {
        a->mode = S_IFDIR | 0755;
        a->nlink = 2;
    } else {
        a->mode = S_IFREG | 0444;
        a->size = (uint64_t)file_size;
        a->blocks = ((uint64_t)file_size + 511) / 512;
    }
}

static void answer_read(uint64_t unique, uint64_t offset, uint32_t size)
{
    static char data[131072];
    if (offset >= (uint64_t)file_size)
        size = 0;
    else if (offset + size > (uint64_t)file_size)
        size = (uint32_t)((uint64_t)file_size - offset);
    if (size > sizeof data)
        size = sizeof data;
    for (uint32_t i = 0; i < size; i++)
        data[i] = (char)(((offset + i) * 7 + 3) % 251);
    reply(unique, 0, data, size);
}

static void handle(const char *msg)
{
    const struct fuse_in_header *in = (const void *)msg;
    const char *arg = msg + sizeof *in;
    switch (in->opcode) {
    case FUSE_INIT: {
        const struct fuse_init_in *ii = (const void *)arg;
        struct fuse_init_out o = {.major = FUSE_KERNEL_VERSION, .minor = FUSE_KERNEL_MINOR_VERSION,
                                  .max_readahead = ii->max_readahead, .max_background = 16,
                                  .congestion_threshold = 12, .max_write = 65536, .time_gran = 1};
        reply(in->unique, 0, &o, sizeof o);
        break;
    }
    case FUSE_LOOKUP: {
        uint64_t node = strcmp(arg, "slow") == 0 ? SLOW : strcmp(arg, "fast") == 0 ? FAST : 0;
        if (in->nodeid != ROOT || node == 0) {
            reply(in->unique, ENOENT, NULL, 0);
            break;
        }
        struct fuse_entry_out e = {.nodeid = node, .generation = 1, .entry_valid = 60, .attr_valid = 60};
        fill_attr(node, &e.attr);
        reply(in->unique, 0, &e, sizeof e);
        break;
    }
    case FUSE_GETATTR: {
        struct fuse_attr_out a = {.attr_valid = 60};
        fill_attr(in->nodeid, &a.attr);
        reply(in->unique, 0, &a, sizeof a);
        break;
    }
    case FUSE_OPEN:
    case FUSE_OPENDIR: {
        struct fuse_open_out o = {.fh = in->nodeid};
        reply(in->unique, 0, &o, sizeof o);
        break;
    }
    case FUSE_READ: {
        const struct fuse_read_in *r = (const void *)arg;
        if (in->nodeid == SLOW && !released && nheld < MAX_HELD) {
            held[nheld++] = (struct held_read){in->unique, r->offset, r->size};
            if (nheld == 1)
                say("held");
        } else {
            answer_read(in->unique, r->offset, r->size);
        }
        break;
    }
    case FUSE_RELEASE:
    case FUSE_RELEASEDIR:
    case FUSE_FLUSH:
        reply(in->unique, 0, NULL, 0);
        break;
    case FUSE_FORGET:
    case FUSE_BATCH_FORGET:
    case FUSE_INTERRUPT:
        break; /* no reply expected */
    default:
        reply(in->unique, ENOSYS, NULL, 0);
    }
}

static void on_term(int sig)
{
    (void)sig;
    stopping = 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: slowfs MOUNTPOINT SIZE\n");
        return 2;
    }
    mountpoint = argv[1];
    file_size = atoll(argv[2]);
    struct sigaction sa = {.sa_handler = on_term};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    dev = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (dev < 0) {
        fprintf(stderr, "slowfs: open(/dev/fuse): %s\n", strerror(errno));
        return 1;
    }
    char opts[128];
    snprintf(opts, sizeof opts, "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", dev);
    if (mount("slowfs", mountpoint, "fuse.slowfs", MS_NOSUID | MS_NODEV, opts) != 0) {
        fprintf(stderr, "slowfs: mount(%s): %s\n", mountpoint, strerror(errno));
        return 1;
    }
    say("ready");

    static char msg[FUSE_MIN_READ_BUFFER + 131072];
    struct pollfd fds[2] = {{.fd = dev, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
    while (!stopping) {
        if (poll(fds, 2, -1) < 0)
            continue; /* EINTR: look at `stopping` */
        if (fds[1].revents) {
            char line[64];
            ssize_t n = read(0, line, sizeof line);
            if (n <= 0)
                break;
            released = 1;
            for (int i = 0; i < nheld; i++)
                answer_read(held[i].unique, held[i].offset, held[i].size);
            nheld = 0;
            say("released");
        }
        if (fds[0].revents) {
            ssize_t n = read(dev, msg, sizeof msg);
            if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == ENOENT))
                continue;
            if (n < (ssize_t)sizeof(struct fuse_in_header))
                break; /* ENODEV: unmounted */
            handle(msg);
        }
    }
    for (int i = 0; i < nheld; i++) /* do not leave readers stuck in the kernel */
        answer_read(held[i].unique, held[i].offset, held[i].size);
    if (umount2(mountpoint, MNT_DETACH) != 0)
        fprintf(stderr, "slowfs: umount2(%s): %s\n", mountpoint, strerror(errno));
    return 0;
}
