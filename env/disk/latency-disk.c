/* The latency disk: a read-only FUSE file system (raw /dev/fuse protocol) that exposes a real directory and answers
 * every READ only after the service time of a modelled disk, one read at a time in arrival order (one head, FIFO).
 *
 * usage: latency-disk --seek-ms MS --rotation-ms MS --mb-per-s MB [--scale K | --off] [--hold]
 *                     --control SOCKET REALDIR MOUNTPOINT      (run as root; the model's numbers and their reasons are
 *                     in the hosts file, env/hosts/emulated.json)
 *
 * A read that continues the previous one (same file, offset = where the previous read ended) costs size / bandwidth;
 * any other read costs seek + rotation + size / bandwidth; every cost is divided by the scale K (a testbed scaled by
 * K < 1 serves K times as many reads per second: a k-times slower workload meets a k-times slower disk). Metadata (LOOKUP, GETATTR, READDIR, …) is answered at once: the kernel caches
 * it for a long time, as a real file system keeps its inodes and directories in memory.
 * The control socket takes one command per connection — "stats", "scale K", "off" (no delay), "hold" (queue every
 * read until "release"), "release" — and answers with the counters as one JSON line.
 * stdout: "ready" once mounted. SIGTERM or SIGINT answers every queued read, unmounts (lazily) and exits. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum {
    MAX_PAGES = 32,                   /* 128 KiB per READ: the kernel's default request size */
    MAX_READ = MAX_PAGES * 4096,
    MAX_WRITE = 4096,                 /* writes are refused; this only sizes the request buffer */
    REQUEST_BUFFER = FUSE_MIN_READ_BUFFER + MAX_WRITE,
};
/* Entries and attributes stay valid for a year: nothing changes the directory behind the mount, and a real disk's
 * file system keeps what it has looked up until memory pressure evicts it. */
static const uint64_t CACHE_S = 365 * 86400;

static int dev = -1;          /* /dev/fuse */
static int root = -1;         /* the real directory */
static dev_t root_dev;

/* ---- nodes: the kernel's node ids (the real inode number + 1; the root is FUSE_ROOT_ID) and their paths ---- */

struct node {
    uint64_t id, nlookup;
    char *path;               /* relative to the real directory */
    struct node *next;
};
static struct node **buckets;
static size_t nbuckets = 1024, nnodes;

static struct node *node_find(uint64_t id)
{
    for (struct node *n = buckets[id & (nbuckets - 1)]; n; n = n->next)
        if (n->id == id)
            return n;
    return NULL;
}

static void node_rehash(void)
{
    size_t size = nbuckets * 2;
    struct node **b = calloc(size, sizeof *b);
    if (!b)
        return; /* keep the longer chains */
    for (size_t i = 0; i < nbuckets; i++) {
        for (struct node *n = buckets[i], *next; n; n = next) {
            next = n->next;
            n->next = b[n->id & (size - 1)];
            b[n->id & (size - 1)] = n;
        }
    }
    free(buckets);
    buckets = b;
    nbuckets = size;
}

/* Counts one more lookup of a node, creating it; returns -1 when out of memory. */
static int node_lookup(uint64_t id, const char *path)
{
    struct node *n = node_find(id);
    if (n) {
        n->nlookup++;
        return 0;
    }
    n = malloc(sizeof *n);
    if (!n || !(n->path = strdup(path))) {
        free(n);
        return -1;
    }
    n->id = id;
    n->nlookup = 1;
    n->next = buckets[id & (nbuckets - 1)];
    buckets[id & (nbuckets - 1)] = n;
    if (++nnodes > 2 * nbuckets)
        node_rehash();
    return 0;
}

static void node_forget(uint64_t id, uint64_t count)
{
    if (id == FUSE_ROOT_ID)
        return;
    for (struct node **p = &buckets[id & (nbuckets - 1)]; *p; p = &(*p)->next) {
        struct node *n = *p;
        if (n->id != id)
            continue;
        if (n->nlookup > count) {
            n->nlookup -= count;
        } else {
            *p = n->next;
            free(n->path);
            free(n);
            nnodes--;
        }
        return;
    }
}

/* ---- replies ---- */

static void reply(uint64_t unique, int error, const void *data, size_t len)
{
    struct fuse_out_header h = {.len = (uint32_t)(sizeof h + len), .error = -error, .unique = unique};
    struct iovec iov[2] = {{&h, sizeof h}, {(void *)data, len}};
    /* ENOENT: the reader is gone (killed, or the request was interrupted); nothing waits for this answer. */
    if (writev(dev, iov, len ? 2 : 1) < 0 && errno != ENOENT)
        fprintf(stderr, "latency-disk: write(/dev/fuse, unique %llu): %s\n", (unsigned long long)unique, strerror(errno));
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* ---- the disk: a FIFO of reads, one in service ---- */

struct disk_read {
    uint64_t unique, node, offset, arrived_ns;
    uint32_t size;
};

static struct {
    double seek_ns, rotation_ns, ns_per_byte, scale;
    int delay_on, held;
    int timer;                         /* timerfd that fires when the read in service is done */
    struct disk_read *queue;           /* ring buffer of waiting reads */
    size_t cap, head, len;
    int busy;
    struct disk_read current;
    uint64_t done_at;                  /* model time at which `current` completes */
    uint64_t last_node, last_end;      /* where the previous read left the head */
    /* counters (cumulative) */
    uint64_t reads, bytes, seeks, busy_ns, queue_delay_ns, max_queue;
    uint64_t requests;                 /* every message from the kernel, READ or not */
} disk = {.seek_ns = NAN, .rotation_ns = NAN, .ns_per_byte = NAN, .scale = 1, .delay_on = 1}; /* the model comes from flags */

static int queue_push(const struct disk_read *r)
{
    if (disk.len == disk.cap) {
        size_t cap = disk.cap ? disk.cap * 2 : 256;
        struct disk_read *q = malloc(cap * sizeof *q);
        if (!q)
            return -1;
        for (size_t i = 0; i < disk.len; i++)
            q[i] = disk.queue[(disk.head + i) % disk.cap];
        free(disk.queue);
        disk.queue = q;
        disk.cap = cap;
        disk.head = 0;
    }
    disk.queue[(disk.head + disk.len) % disk.cap] = *r;
    disk.len++;
    /* the queue's length counts the read in service too, as iostat's does */
    if (disk.len + (uint64_t)disk.busy > disk.max_queue)
        disk.max_queue = disk.len + (uint64_t)disk.busy;
    return 0;
}

static struct disk_read queue_pop(void)
{
    struct disk_read r = disk.queue[disk.head];
    disk.head = (disk.head + 1) % disk.cap;
    disk.len--;
    return r;
}

/* Service time of a read under the model, and moves the head to its end. */
static uint64_t disk_service_ns(const struct disk_read *r)
{
    int sequential = r->node == disk.last_node && r->offset == disk.last_end;
    disk.last_node = r->node;
    disk.last_end = r->offset + r->size;
    if (!sequential)
        disk.seeks++;
    if (!disk.delay_on)
        return 0;
    double t = (sequential ? 0 : disk.seek_ns + disk.rotation_ns) + r->size * disk.ns_per_byte;
    return (uint64_t)llround(t / disk.scale);
}

/* Reads the data from the real file (it is in the host's page cache, or on its disk) and answers the reader. */
static void disk_complete(const struct disk_read *r)
{
    static char data[MAX_READ];
    struct node *n = node_find(r->node);
    uint32_t size = r->size < MAX_READ ? r->size : MAX_READ;
    int fd = n ? openat(root, n->path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0) {
        reply(r->unique, n ? errno : ESTALE, NULL, 0);
        return;
    }
    ssize_t got = pread(fd, data, size, (off_t)r->offset);
    int err = errno;
    close(fd);
    if (got < 0) {
        reply(r->unique, err, NULL, 0);
        return;
    }
    disk.reads++;
    disk.bytes += (uint64_t)got;
    reply(r->unique, 0, data, (size_t)got);
}

/* Starts the next reads while the disk is free; `now` is the disk's clock (the previous read's completion time when
 * reads are chained, so that a late wake-up of this process does not stretch the model's timeline). */
static void disk_next(uint64_t now)
{
    while (!disk.busy && disk.len && !disk.held) {
        struct disk_read r = queue_pop();
        uint64_t start = now > r.arrived_ns ? now : r.arrived_ns;
        uint64_t t = disk_service_ns(&r);
        disk.queue_delay_ns += start - r.arrived_ns;
        disk.busy_ns += t;
        if (t == 0) {
            disk_complete(&r);
            continue;
        }
        disk.current = r;
        disk.busy = 1;
        disk.done_at = start + t;
        struct itimerspec when = {.it_value = {.tv_sec = (time_t)(disk.done_at / 1000000000u),
                                               .tv_nsec = (long)(disk.done_at % 1000000000u)}};
        timerfd_settime(disk.timer, TFD_TIMER_ABSTIME, &when, NULL);
    }
}

static void disk_timer_fired(void)
{
    uint64_t expirations;
    if (read(disk.timer, &expirations, sizeof expirations) < 0 || !disk.busy)
        return;
    disk.busy = 0;
    disk_complete(&disk.current);
    disk_next(disk.done_at);
}

static void disk_submit(uint64_t unique, uint64_t node, const struct fuse_read_in *in)
{
    struct disk_read r = {.unique = unique, .node = node, .offset = in->offset, .size = in->size, .arrived_ns = now_ns()};
    if (queue_push(&r) != 0) {
        reply(unique, ENOMEM, NULL, 0);
        return;
    }
    disk_next(r.arrived_ns);
}

/* ---- file system requests ---- */

static void fill_attr(uint64_t id, const struct stat *st, struct fuse_attr *a)
{
    memset(a, 0, sizeof *a);
    a->ino = id;
    a->size = (uint64_t)st->st_size;
    a->blocks = (uint64_t)st->st_blocks;
    a->atime = (uint64_t)st->st_atim.tv_sec;
    a->mtime = (uint64_t)st->st_mtim.tv_sec;
    a->ctime = (uint64_t)st->st_ctim.tv_sec;
    a->atimensec = (uint32_t)st->st_atim.tv_nsec;
    a->mtimensec = (uint32_t)st->st_mtim.tv_nsec;
    a->ctimensec = (uint32_t)st->st_ctim.tv_nsec;
    a->mode = st->st_mode & ~0222u; /* read-only */
    a->nlink = (uint32_t)st->st_nlink;
    a->uid = st->st_uid;
    a->gid = st->st_gid;
    a->rdev = (uint32_t)st->st_rdev;
    a->blksize = (uint32_t)st->st_blksize;
}

/* The node id of a real file: its inode number + 1, so that it never collides with the root's id (1). */
static uint64_t id_of(ino_t ino)
{
    return (uint64_t)ino + 1;
}

static void do_lookup(const struct fuse_in_header *in, const char *name)
{
    struct node *parent = node_find(in->nodeid);
    char path[PATH_MAX];
    struct stat st;
    if (!parent) {
        reply(in->unique, ESTALE, NULL, 0);
        return;
    }
    if (snprintf(path, sizeof path, "%s/%s", parent->path, name) >= (int)sizeof path) {
        reply(in->unique, ENAMETOOLONG, NULL, 0);
        return;
    }
    if (fstatat(root, path, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        reply(in->unique, errno, NULL, 0);
        return;
    }
    if (st.st_dev != root_dev) { /* another file system mounted inside: not on this disk */
        reply(in->unique, ENOENT, NULL, 0);
        return;
    }
    if (node_lookup(id_of(st.st_ino), path) != 0) {
        reply(in->unique, ENOMEM, NULL, 0);
        return;
    }
    struct fuse_entry_out e = {.nodeid = id_of(st.st_ino), .generation = 1, .entry_valid = CACHE_S, .attr_valid = CACHE_S};
    fill_attr(e.nodeid, &st, &e.attr);
    reply(in->unique, 0, &e, sizeof e);
}

static void do_getattr(const struct fuse_in_header *in)
{
    struct node *n = node_find(in->nodeid);
    struct stat st;
    if (!n || fstatat(root, n->path, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        reply(in->unique, n ? errno : ESTALE, NULL, 0);
        return;
    }
    struct fuse_attr_out a = {.attr_valid = CACHE_S};
    fill_attr(in->nodeid, &st, &a.attr);
    reply(in->unique, 0, &a, sizeof a);
}

static void do_opendir(const struct fuse_in_header *in)
{
    struct node *n = node_find(in->nodeid);
    int fd = n ? openat(root, n->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        int err = n ? errno : ESTALE;
        if (fd >= 0)
            close(fd);
        reply(in->unique, err, NULL, 0);
        return;
    }
    struct fuse_open_out out = {.fh = (uint64_t)(uintptr_t)d};
    reply(in->unique, 0, &out, sizeof out);
}

/* Directory entries from the offset the kernel asks for (telldir cookies, as the offsets we handed out). */
static void do_readdir(const struct fuse_in_header *in, const struct fuse_read_in *r)
{
    static char buf[MAX_READ];
    DIR *d = (DIR *)(uintptr_t)r->fh;
    size_t max = r->size < sizeof buf ? r->size : sizeof buf, used = 0;
    if (r->offset == 0)
        rewinddir(d);
    else
        seekdir(d, (long)r->offset);
    for (;;) {
        long before = telldir(d);
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e)
            break;
        size_t namelen = strlen(e->d_name), rec = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + namelen);
        if (used + rec > max) {
            seekdir(d, before); /* the next call starts with this entry */
            break;
        }
        struct fuse_dirent *fd = (struct fuse_dirent *)(buf + used);
        fd->ino = id_of(e->d_ino);
        fd->off = (uint64_t)telldir(d);
        fd->namelen = (uint32_t)namelen;
        fd->type = e->d_type;
        memcpy(fd->name, e->d_name, namelen);
        memset(fd->name + namelen, 0, rec - FUSE_NAME_OFFSET - namelen);
        used += rec;
    }
    reply(in->unique, errno, buf, errno ? 0 : used);
}

static void do_statfs(const struct fuse_in_header *in)
{
    struct statvfs s;
    if (fstatvfs(root, &s) != 0) {
        reply(in->unique, errno, NULL, 0);
        return;
    }
    struct fuse_statfs_out o = {.st = {.blocks = s.f_blocks, .bfree = s.f_bfree, .bavail = s.f_bavail, .files = s.f_files,
                                       .ffree = s.f_ffree, .bsize = (uint32_t)s.f_bsize, .namelen = (uint32_t)s.f_namemax,
                                       .frsize = (uint32_t)s.f_frsize}};
    reply(in->unique, 0, &o, sizeof o);
}

static void do_init(const struct fuse_in_header *in, const struct fuse_init_in *ii)
{
    /* Async reads let readahead run ahead of the reader, as on a block device; 128 KiB requests and readahead are
     * the kernel's defaults for a disk. */
    struct fuse_init_out o = {.major = FUSE_KERNEL_VERSION, .minor = FUSE_KERNEL_MINOR_VERSION,
                              .max_readahead = ii->max_readahead < MAX_READ ? ii->max_readahead : MAX_READ,
                              .flags = ii->flags & (FUSE_ASYNC_READ | FUSE_MAX_PAGES),
                              .max_background = 16, .congestion_threshold = 12, .max_write = MAX_WRITE,
                              .time_gran = 1, .max_pages = MAX_PAGES};
    reply(in->unique, 0, &o, sizeof o);
}

static void handle(const char *msg)
{
    const struct fuse_in_header *in = (const void *)msg;
    const void *arg = msg + sizeof *in;
    disk.requests++;
    switch (in->opcode) {
    case FUSE_INIT: do_init(in, arg); break;
    case FUSE_LOOKUP: do_lookup(in, arg); break;
    case FUSE_GETATTR: do_getattr(in); break;
    case FUSE_READ: disk_submit(in->unique, in->nodeid, arg); break;
    case FUSE_OPENDIR: do_opendir(in); break;
    case FUSE_READDIR: do_readdir(in, arg); break;
    case FUSE_RELEASEDIR:
        closedir((DIR *)(uintptr_t)((const struct fuse_release_in *)arg)->fh);
        reply(in->unique, 0, NULL, 0);
        break;
    case FUSE_STATFS: do_statfs(in); break;
    case FUSE_OPEN:
    case FUSE_FLUSH:
        /* ENOSYS once, and the kernel stops asking: opens then cost no round trip (a zero-message open keeps the page
         * cache, as FOPEN_KEEP_CACHE would; the mount is read-only, so no open for writing gets this far) and closes
         * send neither FLUSH nor RELEASE. A server opening files through a small descriptor cache would otherwise
         * wait for this daemon on every open, which a local file system never makes it do. */
        reply(in->unique, ENOSYS, NULL, 0);
        break;
    case FUSE_RELEASE:
        reply(in->unique, 0, NULL, 0);
        break;
    case FUSE_FORGET:
        node_forget(in->nodeid, ((const struct fuse_forget_in *)arg)->nlookup);
        break; /* FORGET, BATCH_FORGET and INTERRUPT get no reply */
    case FUSE_BATCH_FORGET: {
        const struct fuse_batch_forget_in *b = arg;
        const struct fuse_forget_one *one = (const void *)(b + 1);
        for (uint32_t i = 0; i < b->count; i++)
            node_forget(one[i].nodeid, one[i].nlookup);
        break;
    }
    case FUSE_INTERRUPT:
        break; /* a disk finishes a read it has started; the reply to a gone reader is dropped */
    case FUSE_SETATTR: case FUSE_MKNOD: case FUSE_MKDIR: case FUSE_UNLINK: case FUSE_RMDIR: case FUSE_RENAME:
    case FUSE_RENAME2: case FUSE_LINK: case FUSE_SYMLINK: case FUSE_WRITE: case FUSE_CREATE: case FUSE_SETXATTR:
    case FUSE_REMOVEXATTR: case FUSE_FALLOCATE: case FUSE_COPY_FILE_RANGE:
        reply(in->unique, EROFS, NULL, 0);
        break;
    default:
        reply(in->unique, ENOSYS, NULL, 0);
    }
}

/* ---- control socket ---- */

static void control_answer(int c, const char *cmd)
{
    char out[640];
    double k;
    char extra;
    if (strcmp(cmd, "off") == 0) {
        disk.delay_on = 0;
    } else if (sscanf(cmd, "scale %lf %c", &k, &extra) == 1 && k > 0 && isfinite(k)) {
        disk.scale = k;
        disk.delay_on = 1;
    } else if (strcmp(cmd, "hold") == 0) {
        disk.held = 1;
    } else if (strcmp(cmd, "release") == 0) {
        disk.held = 0;
        disk_next(now_ns());
    } else if (strcmp(cmd, "stats") != 0) {
        snprintf(out, sizeof out, "{\"error\":\"unknown command (stats, scale K>0, off, hold, release)\"}\n");
        send(c, out, strlen(out), MSG_NOSIGNAL);
        return;
    }
    int n = snprintf(out, sizeof out,
                     "{\"requests\":%llu,\"reads\":%llu,\"bytes\":%llu,\"seeks\":%llu,\"busy_ns\":%llu,\"queue_delay_ns\":%llu,"
                     "\"max_queue\":%llu,\"queued\":%llu,\"delay\":%s,\"scale\":%.6g,\"held\":%s,"
                     "\"seek_ms\":%.6g,\"rotation_ms\":%.6g,\"mb_per_s\":%.6g}\n",
                     (unsigned long long)disk.requests, (unsigned long long)disk.reads, (unsigned long long)disk.bytes,
                     (unsigned long long)disk.seeks,
                     (unsigned long long)disk.busy_ns, (unsigned long long)disk.queue_delay_ns,
                     (unsigned long long)disk.max_queue, (unsigned long long)(disk.len + (size_t)disk.busy),
                     disk.delay_on ? "true" : "false", disk.scale, disk.held ? "true" : "false",
                     disk.seek_ns / 1e6, disk.rotation_ns / 1e6, 1e3 / disk.ns_per_byte);
    send(c, out, (size_t)n, MSG_NOSIGNAL);
}

static void control_accept(int listener)
{
    int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0)
        return;
    /* a client that connects and says nothing must not stall the disk for long */
    struct timeval tv = {.tv_sec = 1};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char cmd[128];
    ssize_t n = recv(c, cmd, sizeof cmd - 1, 0);
    if (n > 0) {
        cmd[n] = 0;
        cmd[strcspn(cmd, "\r\n")] = 0;
        control_answer(c, cmd);
    }
    close(c);
}

static int control_listen(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(a.sun_path, path);
    unlink(path); /* a socket file left by an earlier daemon that was killed */
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 16) != 0)
        return -1;
    return s;
}

/* ---- main ---- */

static void usage(void)
{
    fprintf(stderr, "usage: latency-disk --seek-ms MS --rotation-ms MS --mb-per-s MB [--scale K | --off] [--hold]\n"
                    "                    --control SOCKET REALDIR MOUNTPOINT\n");
    exit(2);
}

static double positive(const char *flag, const char *value, int zero_ok)
{
    char *end;
    double x = value ? strtod(value, &end) : NAN;
    if (!value || *end || !isfinite(x) || x < 0 || (x == 0 && !zero_ok)) {
        fprintf(stderr, "latency-disk: %s needs a %s number, got %s\n", flag, zero_ok ? "non-negative" : "positive", value ? value : "nothing");
        exit(2);
    }
    return x;
}

/* Only interrupts ppoll (which then returns EINTR): the main loop stops there. */
static void on_stop(int sig)
{
    (void)sig;
}

static void die(const char *what, const char *arg)
{
    fprintf(stderr, "latency-disk: %s(%s): %s\n", what, arg, strerror(errno));
    exit(1);
}

int main(int argc, char **argv)
{
    const char *control = NULL;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(f, "--seek-ms") == 0) disk.seek_ns = positive(f, v, 1) * 1e6, i++;
        else if (strcmp(f, "--rotation-ms") == 0) disk.rotation_ns = positive(f, v, 1) * 1e6, i++;
        else if (strcmp(f, "--mb-per-s") == 0) disk.ns_per_byte = 1e3 / positive(f, v, 0), i++;
        else if (strcmp(f, "--scale") == 0) disk.scale = positive(f, v, 0), i++;
        else if (strcmp(f, "--control") == 0 && v) control = v, i++;
        else if (strcmp(f, "--off") == 0) disk.delay_on = 0;
        else if (strcmp(f, "--hold") == 0) disk.held = 1;
        else usage();
    }
    if (argc - i != 2 || !control || isnan(disk.seek_ns) || isnan(disk.rotation_ns) || isnan(disk.ns_per_byte))
        usage();
    const char *realdir = argv[i], *mountpoint = argv[i + 1];

    struct stat st;
    root = open(realdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0 || fstat(root, &st) != 0)
        die("open", realdir);
    root_dev = st.st_dev;
    buckets = calloc(nbuckets, sizeof *buckets);
    if (!buckets || node_lookup(FUSE_ROOT_ID, ".") != 0)
        die("calloc", "nodes");

    /* SIGTERM and SIGINT are taken only inside ppoll, so that none is lost between a check and the wait. */
    sigset_t stop, during;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigprocmask(SIG_BLOCK, &stop, &during);
    sigdelset(&during, SIGTERM);
    sigdelset(&during, SIGINT);
    struct sigaction sa = {.sa_handler = on_stop};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    disk.timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    int listener = control_listen(control);
    if (disk.timer < 0 || listener < 0)
        die(disk.timer < 0 ? "timerfd_create" : "listen", control);
    /* Non-blocking: a request ppoll saw can be withdrawn before the read (its reader killed while it was still
     * pending), and a blocking read would then sleep with answered-later reads in the delay queue, whose readers
     * (a killed server's threads) wait for them uninterruptibly: nothing would end until another request came. */
    dev = open("/dev/fuse", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (dev < 0)
        die("open", "/dev/fuse");
    char opts[160];
    snprintf(opts, sizeof opts, "fd=%d,rootmode=%o,user_id=0,group_id=0,allow_other,default_permissions", dev, S_IFDIR);
    if (mount(realdir, mountpoint, "fuse.latency-disk", MS_RDONLY | MS_NOSUID | MS_NODEV, opts) != 0)
        die("mount", mountpoint);
    printf("ready\n");
    fflush(stdout);

    static char msg[REQUEST_BUFFER];
    struct pollfd fds[3] = {{.fd = dev, .events = POLLIN}, {.fd = listener, .events = POLLIN}, {.fd = disk.timer, .events = POLLIN}};
    for (;;) {
        if (ppoll(fds, 3, NULL, &during) < 0) {
            if (errno == EINTR)
                break; /* SIGTERM or SIGINT */
            die("ppoll", "/dev/fuse");
        }
        if (fds[2].revents & POLLIN)
            disk_timer_fired();
        if (fds[1].revents & POLLIN)
            control_accept(listener);
        if (fds[0].revents) {
            ssize_t n = read(dev, msg, sizeof msg);
            if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == ENOENT))
                continue; /* EAGAIN, ENOENT: the request was withdrawn or interrupted before we read it */
            if (n < (ssize_t)sizeof(struct fuse_in_header))
                break; /* ENODEV: unmounted */
            handle(msg);
        }
    }
    /* Answer every read at once: no reader may be left asleep in the kernel. */
    disk.delay_on = 0;
    disk.held = 0;
    if (disk.busy) {
        disk.busy = 0;
        disk_complete(&disk.current);
    }
    disk_next(now_ns());
    if (umount2(mountpoint, MNT_DETACH) != 0 && errno != EINVAL)
        fprintf(stderr, "latency-disk: umount2(%s): %s\n", mountpoint, strerror(errno));
    unlink(control);
    return 0;
}
