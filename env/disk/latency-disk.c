/* The latency disk: a read-only FUSE file system (raw /dev/fuse protocol) that exposes a real directory and answers
 * every READ only after the service time of a modelled disk: one head, one read at a time, the queued reads served in
 * elevator order (C-LOOK) with a deadline.
 *
 * usage: latency-disk --seek-ms MS --track-ms MS --full-stroke-ms MS --cylinders N --rotation-ms MS --mb-per-s MB
 *                     --capacity-gb GB --spread F --deadline-ms MS [--scale K | --off] [--hold]
 *                     --control SOCKET REALDIR MOUNTPOINT      (run as root; the model's numbers and their reasons are
 *                     in the hosts file, env/hosts/emulated.json; the model is described in README.md)
 *
 * Every file has a modelled place on the disk (the layout below). A read that starts where the head is (the previous
 * read's end) costs size / bandwidth; any other costs seek(distance) + rotation + size / bandwidth; every cost, and the
 * deadline, is divided by the scale K (a testbed scaled by K < 1 serves K times as many reads per second: a k-times
 * slower workload meets a k-times slower disk). Metadata (LOOKUP, GETATTR, READDIR, …) is answered at once: the
 * kernel caches it for a long time, as a real file system keeps its inodes and directories in memory.
 * The control socket takes one command per connection — "stats", "scale K", "off" (no delay), "hold" (queue every
 * read until "release"), "release" — and answers with the counters as one JSON line.
 * stdout: "ready" once mounted. SIGTERM or SIGINT answers every queued read, unmounts (lazily) and exits. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/fuse.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "seek.h"

enum {
    /* The kernel keeps at most this many reads outstanding (FUSE's max_background): the 2.6 block layer's request
     * queue length (nr_requests), so that a server's many blocked readers reach the elevator as they reached a disk's. */
    MAX_OUTSTANDING = 128,
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
    uint64_t start;           /* the file's first byte on the modelled disk (layout_start) */
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

static uint64_t layout_start(const char *path);

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
    n->start = layout_start(path);
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

/* ---- layout: where each file lies on the modelled disk, as ext3 places a freshly written file set ---- */

/* ext3 (Orlov allocator) spreads the top-level directories over the block groups and puts a directory's files in its
 * group, contiguously on a fresh file system. The model: the root's own files (unit 0) and its top-level directories
 * in name order (units 1..n) start at block groups spread evenly over the first `spread` of the disk; within its
 * directory a file follows its siblings of smaller name, each rounded up to whole blocks. Deterministic: the same
 * directory tree has the same layout on every run. */
static struct {
    char **units;             /* top-level directories of the real directory, in name order */
    size_t nunits;
    double capacity;          /* bytes */
    uint64_t groups;          /* block groups the units are spread over */
} layout;

static const uint64_t BLOCK_BYTES = 4096, GROUP_BYTES = 128ull << 20; /* ext3: 32768 blocks of 4 KiB a group */

static int layout_compare(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Lists the top-level directories once: the file set is fixed while it is served. Returns -1 on failure. */
static int layout_init(double capacity_gb, double spread)
{
    int fd = dup(root);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d)
        return -1;
    size_t cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        struct stat st;
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        if (fstatat(root, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
            continue;
        if (layout.nunits == cap) {
            cap = cap ? 2 * cap : 1024;
            char **u = realloc(layout.units, cap * sizeof *u);
            if (!u)
                return closedir(d), -1;
            layout.units = u;
        }
        if (!(layout.units[layout.nunits++] = strdup(e->d_name)))
            return closedir(d), -1;
    }
    closedir(d);
    qsort(layout.units, layout.nunits, sizeof *layout.units, layout_compare);
    layout.capacity = capacity_gb * 1e9;
    layout.groups = (uint64_t)(spread * layout.capacity / (double)GROUP_BYTES);
    if (layout.groups < 1)
        layout.groups = 1;
    return 0;
}

/* The modelled disk address of a path's first byte (paths are "./a/b", relative to the real directory). */
static uint64_t layout_start(const char *path)
{
    if (strncmp(path, "./", 2) != 0)
        return 0; /* the root */
    const char *top = path + 2, *slash = strchr(top, '/');
    size_t unit = 0;
    if (slash) {
        char name[NAME_MAX + 1];
        size_t len = (size_t)(slash - top) < NAME_MAX ? (size_t)(slash - top) : NAME_MAX;
        memcpy(name, top, len);
        name[len] = 0;
        char *key = name, **hit = bsearch(&key, layout.units, layout.nunits, sizeof *layout.units, layout_compare);
        unit = hit ? (size_t)(hit - layout.units) + 1 : 0;
    }
    uint64_t start = unit * layout.groups / (layout.nunits + 1) * GROUP_BYTES;
    /* the siblings of smaller name come first */
    const char *base = strrchr(path, '/') + 1;
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%.*s", (int)(base - 1 - path), path);
    int fd = openat(root, parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return start;
    }
    for (struct dirent *e; (e = readdir(d));) {
        struct stat st;
        if (strcmp(e->d_name, base) < 0 && fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
            start += ((uint64_t)st.st_size + BLOCK_BYTES - 1) / BLOCK_BYTES * BLOCK_BYTES;
    }
    closedir(d);
    return start;
}

/* ---- the disk: one head, the waiting reads served in C-LOOK order, a deadline against starvation ---- */

/* Service times (with the delay on) are also counted in a histogram, for their percentiles: 0.1 ms bins to 100 ms. */
enum { SERVICE_BINS = 1000 };
static const uint64_t SERVICE_BIN_NS = 100000;

struct disk_read {
    uint64_t unique, node, offset, arrived_ns;
    uint64_t at;                       /* modelled disk address of its first byte */
    uint32_t size;
};

static struct {
    struct seek_curve seek;
    double cylinders, rotation_ns, ns_per_byte, scale, deadline_ns;
    double average_ms, track_ms, full_ms, capacity_gb, spread; /* as given, for the stats */
    int delay_on, held;
    int timer;                         /* timerfd that fires when the read in service is done */
    struct disk_read *queue;           /* the waiting reads in arrival order */
    size_t cap, len;
    int busy;
    struct disk_read current;
    uint64_t done_at;                  /* model time at which `current` completes */
    uint64_t head;                     /* disk address where the previous read left the head */
    /* counters (cumulative) */
    uint64_t reads, bytes, seeks, busy_ns, queue_delay_ns, max_queue;
    uint64_t positioning_ns;           /* the part of busy_ns spent seeking and waiting for the sector */
    uint64_t seek_cylinders;           /* cylinders moved over all reads: / seeks = mean seek distance */
    uint64_t expired;                  /* reads served out of elevator order because their deadline had passed */
    uint64_t service_hist[SERVICE_BINS]; /* service times in bins of SERVICE_BIN_NS, the last open-ended */
    uint64_t requests;                 /* every message from the kernel, READ or not */
    uint64_t pinned_files, pinned_bytes; /* the real files held in memory (pin_real_files) */
} disk = {.scale = 1, .delay_on = 1, .average_ms = NAN, .track_ms = NAN, .full_ms = NAN, .cylinders = NAN, .rotation_ns = NAN,
          .ns_per_byte = NAN, .capacity_gb = NAN, .spread = NAN, .deadline_ns = NAN}; /* the model comes from flags */

static int queue_push(const struct disk_read *r)
{
    if (disk.len == disk.cap) {
        size_t cap = disk.cap ? disk.cap * 2 : 256;
        struct disk_read *q = realloc(disk.queue, cap * sizeof *q);
        if (!q)
            return -1;
        disk.queue = q;
        disk.cap = cap;
    }
    disk.queue[disk.len++] = *r;
    /* the queue's length counts the read in service too, as iostat's does */
    if (disk.len + (uint64_t)disk.busy > disk.max_queue)
        disk.max_queue = disk.len + (uint64_t)disk.busy;
    return 0;
}

/* The next read to serve at model time `now`: the oldest if it has waited past the deadline (so no read waits much
 * longer than the deadline plus one sweep, whatever keeps arriving ahead of the head), else C-LOOK: the nearest at or
 * beyond the head, or, when none is, the lowest (the head sweeps one way, as the 2.6 deadline scheduler dispatches
 * and a tagged-queueing drive reorders). Ties go to the earlier arrival. */
static struct disk_read queue_pop(uint64_t now)
{
    size_t pick = 0;
    if (disk.queue[0].arrived_ns + disk.deadline_ns / disk.scale > (double)now) {
        size_t ahead = disk.len, lowest = 0;
        for (size_t i = 0; i < disk.len; i++) {
            uint64_t at = disk.queue[i].at;
            if (at >= disk.head && (ahead == disk.len || at < disk.queue[ahead].at))
                ahead = i;
            if (at < disk.queue[lowest].at)
                lowest = i;
        }
        pick = ahead < disk.len ? ahead : lowest;
    } else if (disk.len > 1) {
        disk.expired++;
    }
    struct disk_read r = disk.queue[pick];
    memmove(&disk.queue[pick], &disk.queue[pick + 1], (disk.len - pick - 1) * sizeof *disk.queue);
    disk.len--;
    return r;
}

/* Service time of a read under the model, and moves the head to its end. */
static uint64_t disk_service_ns(const struct disk_read *r)
{
    /* cylinders hold equal shares of the bytes (zoned recording, which puts more on the outer ones, is not modelled) */
    double d = fabs(floor((double)r->at / layout.capacity * disk.cylinders) - floor((double)disk.head / layout.capacity * disk.cylinders));
    int sequential = r->at == disk.head;
    disk.head = r->at + r->size;
    if (!sequential) {
        disk.seeks++;
        disk.seek_cylinders += (uint64_t)d;
    }
    if (!disk.delay_on)
        return 0;
    double positioning = sequential ? 0 : seek_ms(&disk.seek, d) * 1e6 + disk.rotation_ns;
    disk.positioning_ns += (uint64_t)llround(positioning / disk.scale);
    return (uint64_t)llround((positioning + r->size * disk.ns_per_byte) / disk.scale);
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
        struct disk_read r = queue_pop(now);
        uint64_t start = now > r.arrived_ns ? now : r.arrived_ns;
        uint64_t t = disk_service_ns(&r);
        disk.queue_delay_ns += start - r.arrived_ns;
        disk.busy_ns += t;
        if (disk.delay_on)
            disk.service_hist[t / SERVICE_BIN_NS < SERVICE_BINS ? t / SERVICE_BIN_NS : SERVICE_BINS - 1]++;
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
    struct node *n = node_find(node);
    struct disk_read r = {.unique = unique, .node = node, .offset = in->offset, .size = in->size, .arrived_ns = now_ns(),
                          .at = (n ? n->start : 0) + in->offset};
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
                              .max_background = MAX_OUTSTANDING,
                              .congestion_threshold = MAX_OUTSTANDING * 7 / 8, /* where the block layer marks a queue congested */ .max_write = MAX_WRITE,
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

/* The upper edge of the histogram bin that holds the q-quantile of the service times (0 before any read). */
static uint64_t disk_quantile_ns(double q)
{
    uint64_t n = 0, seen = 0;
    for (int i = 0; i < SERVICE_BINS; i++)
        n += disk.service_hist[i];
    for (int i = 0; i < SERVICE_BINS && n; i++)
        if ((seen += disk.service_hist[i]) >= q * (double)n)
            return (uint64_t)(i + 1) * SERVICE_BIN_NS;
    return 0;
}

static void control_answer(int c, const char *cmd)
{
    char out[1024];
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
                     "\"max_queue\":%llu,\"queued\":%llu,\"positioning_ns\":%llu,\"seek_cylinders\":%llu,\"expired\":%llu,"
                     "\"service_p50_ns\":%llu,\"service_p95_ns\":%llu,"
                     "\"delay\":%s,\"scale\":%.6g,\"held\":%s,"
                     "\"seek_ms\":%.6g,\"track_ms\":%.6g,\"full_stroke_ms\":%.6g,\"cylinders\":%.6g,\"rotation_ms\":%.6g,"
                     "\"mb_per_s\":%.6g,\"capacity_gb\":%.6g,\"spread\":%.6g,\"deadline_ms\":%.6g,\"units\":%llu,"
                     "\"pinned_files\":%llu,\"pinned_bytes\":%llu}\n",
                     (unsigned long long)disk.requests, (unsigned long long)disk.reads, (unsigned long long)disk.bytes,
                     (unsigned long long)disk.seeks,
                     (unsigned long long)disk.busy_ns, (unsigned long long)disk.queue_delay_ns,
                     (unsigned long long)disk.max_queue, (unsigned long long)(disk.len + (size_t)disk.busy),
                     (unsigned long long)disk.positioning_ns, (unsigned long long)disk.seek_cylinders,
                     (unsigned long long)disk.expired, (unsigned long long)disk_quantile_ns(0.5),
                     (unsigned long long)disk_quantile_ns(0.95),
                     disk.delay_on ? "true" : "false", disk.scale, disk.held ? "true" : "false",
                     disk.average_ms, disk.track_ms, disk.full_ms, disk.cylinders, disk.rotation_ns / 1e6,
                     1e3 / disk.ns_per_byte, disk.capacity_gb, disk.spread, disk.deadline_ns / 1e6,
                     (unsigned long long)layout.nunits, (unsigned long long)disk.pinned_files,
                     (unsigned long long)disk.pinned_bytes);
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
    fprintf(stderr, "usage: latency-disk --seek-ms MS --track-ms MS --full-stroke-ms MS --cylinders N --rotation-ms MS\n"
                    "                    --mb-per-s MB --capacity-gb GB --spread F --deadline-ms MS [--scale K | --off] [--hold]\n"
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

/* ---- the real files, held in memory ---- */

/* Every real file is mapped and locked into the machine's page cache while the daemon runs. Otherwise the machine's
 * own reclaim decides where a modelled miss is read from: this VM's DAMON pages out file pages unused for a minute
 * (half of a freshly written 3.3 GB file set within minutes), and a read of such a page goes to the VM's own
 * disk, in this single-threaded daemon, adding a delay that depends on what ran in the last minute. Locked pages are
 * never reclaimed, so every read that the model delays costs the model's time and nothing else. */
static int pin_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)ftw;
    if (type != FTW_F || !S_ISREG(st->st_mode) || st->st_size == 0)
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("open", path);
    void *p = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (p == MAP_FAILED)
        die("mmap", path);
    close(fd); /* the mapping keeps the file */
    if (mlock(p, (size_t)st->st_size) != 0) {
        fprintf(stderr, "latency-disk: mlock(%s): %s, after %llu bytes of the real files were locked: the machine must "
                        "hold the whole file set in memory (and the daemon may lock that much)\n",
                path, strerror(errno), (unsigned long long)disk.pinned_bytes);
        exit(1);
    }
    disk.pinned_files++;
    disk.pinned_bytes += (uint64_t)st->st_size;
    return 0;
}

static void pin_real_files(const char *realdir)
{
    if (nftw(realdir, pin_file, 16, FTW_PHYS) != 0)
        die("nftw", realdir);
}

int main(int argc, char **argv)
{
    const char *control = NULL;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(f, "--seek-ms") == 0) disk.average_ms = positive(f, v, 0), i++;
        else if (strcmp(f, "--track-ms") == 0) disk.track_ms = positive(f, v, 1), i++;
        else if (strcmp(f, "--full-stroke-ms") == 0) disk.full_ms = positive(f, v, 0), i++;
        else if (strcmp(f, "--cylinders") == 0) disk.cylinders = positive(f, v, 0), i++;
        else if (strcmp(f, "--rotation-ms") == 0) disk.rotation_ns = positive(f, v, 1) * 1e6, i++;
        else if (strcmp(f, "--capacity-gb") == 0) disk.capacity_gb = positive(f, v, 0), i++;
        else if (strcmp(f, "--spread") == 0) disk.spread = positive(f, v, 0), i++;
        else if (strcmp(f, "--deadline-ms") == 0) disk.deadline_ns = positive(f, v, 0) * 1e6, i++;
        else if (strcmp(f, "--mb-per-s") == 0) disk.ns_per_byte = 1e3 / positive(f, v, 0), i++;
        else if (strcmp(f, "--scale") == 0) disk.scale = positive(f, v, 0), i++;
        else if (strcmp(f, "--control") == 0 && v) control = v, i++;
        else if (strcmp(f, "--off") == 0) disk.delay_on = 0;
        else if (strcmp(f, "--hold") == 0) disk.held = 1;
        else usage();
    }
    double required[] = {disk.average_ms, disk.track_ms, disk.full_ms, disk.cylinders, disk.rotation_ns, disk.ns_per_byte,
                         disk.capacity_gb, disk.spread, disk.deadline_ns};
    for (size_t r = 0; r < sizeof required / sizeof *required; r++)
        if (isnan(required[r]))
            usage(); /* every setting of the model is required */
    if (argc - i != 2 || !control)
        usage();
    if (disk.spread > 1) {
        fprintf(stderr, "latency-disk: --spread is the fraction of the disk the directories are spread over, in (0, 1]; got %g\n", disk.spread);
        exit(2);
    }
    if (seek_fit(&disk.seek, disk.track_ms, disk.average_ms, disk.full_ms, disk.cylinders) != 0) {
        fprintf(stderr, "latency-disk: no seek curve has track-to-track %g ms, average %g ms and full stroke %g ms over %g cylinders"
                        " (the average must lie about a third to a half of the way from track-to-track to full stroke)\n",
                disk.track_ms, disk.average_ms, disk.full_ms, disk.cylinders);
        exit(2);
    }
    const char *realdir = argv[i], *mountpoint = argv[i + 1];

    struct stat st;
    root = open(realdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0 || fstat(root, &st) != 0)
        die("open", realdir);
    root_dev = st.st_dev;
    if (layout_init(disk.capacity_gb, disk.spread) != 0)
        die("readdir", realdir);
    buckets = calloc(nbuckets, sizeof *buckets);
    if (!buckets || node_lookup(FUSE_ROOT_ID, ".") != 0)
        die("calloc", "nodes");
    pin_real_files(realdir);

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
