/*
 * powerfs: an in-memory FUSE file system that forgets everything not synced when the power goes.
 *
 * Model (strict POSIX durability, as ALICE and SQLite's crash-test VFS assume):
 *   - file data and size become durable only at fsync/fdatasync of that file;
 *   - a directory's entries (create, unlink, rename, mkdir, rmdir) become durable only at fsync
 *     of that directory (a file whose name was never made durable vanishes, synced or not);
 *   - a "power cut" (written to the control file) reverts every file and directory to its durable
 *     state. With a seed ("cut SEED") unsynced state is kept in part, as a disk that wrote back
 *     some pages and not others: per dirty 4 KiB page the old page, the new page or a per-512-byte
 *     sector mix; per file the old or the new size; per directory all pending changes or none
 *     (a directory is one metadata block, so a rename inside it stays atomic).
 *
 * Pages are reference counted and copied on write, so an fsync of a large file copies pointers,
 * not bytes. Regular files use direct I/O (no kernel page cache that could outlive a cut), except
 * SQLite's "-shm" files, which SQLite maps with mmap(MAP_SHARED); their content is rebuilt by
 * SQLite from the WAL after a crash, so a stale page cache cannot matter. POSIX locks are left to
 * the kernel (no lock handler: the kernel then locks locally). Run single-threaded (-s): requests
 * are handled one at a time, so a cut never races with a write.
 *
 * Control file "/.powerfs-control" (not listed): write "cut", "cut SEED" or "syncall"; read for
 * counters. Built by the test fixture with the machine's gcc against libfuse3.
 */
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE
#include <fuse.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define SECTOR 512
#define CONTROL "/.powerfs-control"

typedef struct page { int refs; unsigned char d[PAGE]; } page_t;

typedef struct content { page_t **pages; size_t npages; off_t size; } content_t;

struct node;
typedef struct entry { char *name; struct node *node; } entry_t;
typedef struct entries { entry_t *v; size_t n, cap; } entries_t;

typedef struct node {
    uint64_t ino;
    mode_t mode;
    content_t cur, dur;      /* regular files */
    entries_t ecur, edur;    /* directories */
    int links, dlinks;       /* entries naming it: current, durable */
    int nopen;
    struct timespec atime, mtime, ctime;
    struct node *next;       /* every node ever made */
} node_t;

static node_t *root, *all_nodes, control_node;
static uint64_t next_ino = 2;
static unsigned long long n_cuts, n_fsync, n_fsyncdir, n_pages_live;
static uint64_t rng_state;

static uint64_t rnd(void) { /* xorshift64*: reproducible per seed */
    rng_state ^= rng_state >> 12; rng_state ^= rng_state << 25; rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static void now(struct timespec *t) { clock_gettime(CLOCK_REALTIME, t); }

/* ---- pages and contents ------------------------------------------------------------------ */
static void page_unref(page_t *p) {
    if (p && --p->refs == 0) { free(p); n_pages_live--; }
}

static page_t *page_new(const page_t *from) {
    page_t *p = from ? malloc(sizeof *p) : calloc(1, sizeof *p);
    if (!p) return NULL;
    if (from) memcpy(p->d, from->d, PAGE);
    p->refs = 1;
    n_pages_live++;
    return p;
}

static void content_clear(content_t *c) {
    for (size_t i = 0; i < c->npages; i++) page_unref(c->pages[i]);
    free(c->pages);
    c->pages = NULL; c->npages = 0; c->size = 0;
}

static int content_copy(content_t *dst, const content_t *src) {
    page_t **pages = NULL;
    if (src->npages) {
        pages = malloc(src->npages * sizeof *pages);
        if (!pages) return -ENOMEM;
        for (size_t i = 0; i < src->npages; i++) {
            pages[i] = src->pages[i];
            if (pages[i]) pages[i]->refs++;
        }
    }
    content_clear(dst);
    dst->pages = pages; dst->npages = src->npages; dst->size = src->size;
    return 0;
}

/* A page that may be written: private to this content (copied if shared), allocated if a hole. */
static page_t *content_page_rw(content_t *c, size_t i) {
    page_t *p = c->pages[i];
    if (p && p->refs == 1) return p;
    page_t *q = page_new(p);
    if (!q) return NULL;
    page_unref(p);
    c->pages[i] = q;
    return q;
}

static int content_resize(content_t *c, off_t size) {
    size_t want = (size_t)((size + PAGE - 1) / PAGE);
    if (want < c->npages) {
        for (size_t i = want; i < c->npages; i++) page_unref(c->pages[i]);
    }
    if (want != c->npages) {
        page_t **pages = want ? realloc(c->pages, want * sizeof *pages) : (free(c->pages), NULL);
        if (want && !pages) return -ENOMEM;
        for (size_t i = c->npages; i < want; i++) pages[i] = NULL;
        c->pages = pages; c->npages = want;
    }
    if (size < c->size && size % PAGE && c->pages[want - 1]) { /* zero the cut tail of the last page */
        page_t *p = content_page_rw(c, want - 1);
        if (!p) return -ENOMEM;
        memset(p->d + size % PAGE, 0, PAGE - size % PAGE);
    }
    c->size = size;
    return 0;
}

static int content_write(content_t *c, const char *buf, size_t len, off_t off) {
    if (off + (off_t)len > c->size) {
        int rc = content_resize(c, off + (off_t)len);
        if (rc) return rc;
    }
    size_t done = 0;
    while (done < len) {
        off_t pos = off + (off_t)done;
        size_t i = (size_t)(pos / PAGE), in = (size_t)(pos % PAGE);
        size_t n = PAGE - in < len - done ? PAGE - in : len - done;
        page_t *p = content_page_rw(c, i);
        if (!p) return -ENOMEM;
        memcpy(p->d + in, buf + done, n);
        done += n;
    }
    return (int)len;
}

static int content_read(const content_t *c, char *buf, size_t len, off_t off) {
    if (off >= c->size) return 0;
    if (off + (off_t)len > c->size) len = (size_t)(c->size - off);
    size_t done = 0;
    while (done < len) {
        off_t pos = off + (off_t)done;
        size_t i = (size_t)(pos / PAGE), in = (size_t)(pos % PAGE);
        size_t n = PAGE - in < len - done ? PAGE - in : len - done;
        if (c->pages[i]) memcpy(buf + done, c->pages[i]->d + in, n);
        else memset(buf + done, 0, n);
        done += n;
    }
    return (int)len;
}

/* ---- directory entries ------------------------------------------------------------------- */
static entry_t *entries_find(entries_t *e, const char *name) {
    for (size_t i = 0; i < e->n; i++)
        if (strcmp(e->v[i].name, name) == 0) return &e->v[i];
    return NULL;
}

static int entries_add(entries_t *e, const char *name, node_t *n) {
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 8;
        entry_t *v = realloc(e->v, cap * sizeof *v);
        if (!v) return -ENOMEM;
        e->v = v; e->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy) return -ENOMEM;
    e->v[e->n].name = copy;
    e->v[e->n].node = n;
    e->n++;
    return 0;
}

static void entries_remove(entries_t *e, entry_t *at) {
    free(at->name);
    *at = e->v[--e->n];
}

static void entries_clear(entries_t *e) {
    for (size_t i = 0; i < e->n; i++) free(e->v[i].name);
    free(e->v);
    e->v = NULL; e->n = e->cap = 0;
}

static int entries_copy(entries_t *dst, const entries_t *src) {
    entries_t out = {0};
    for (size_t i = 0; i < src->n; i++) {
        if (entries_add(&out, src->v[i].name, src->v[i].node)) { entries_clear(&out); return -ENOMEM; }
    }
    entries_clear(dst);
    *dst = out;
    return 0;
}

/* ---- nodes ------------------------------------------------------------------------------- */
static node_t *node_new(mode_t mode) {
    node_t *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->ino = next_ino++;
    n->mode = mode;
    now(&n->atime); n->mtime = n->ctime = n->atime;
    n->next = all_nodes;
    all_nodes = n;
    return n;
}

/* Free the data of a file nothing can reach any more (no name now, none durable, not open). */
static void node_maybe_drop(node_t *n) {
    if (n->links == 0 && n->dlinks == 0 && n->nopen == 0 && S_ISREG(n->mode)) {
        content_clear(&n->cur);
        content_clear(&n->dur);
    }
}

static node_t *resolve_parent(const char *path, const char **leaf, char *buf, size_t bufsize) {
    /* Returns the directory holding the last component; *leaf points at that component in buf. */
    if (strlen(path) >= bufsize) return NULL;
    strcpy(buf, path);
    char *slash = strrchr(buf, '/');
    if (!slash) return NULL;
    *slash = '\0';
    *leaf = slash + 1;
    node_t *dir = root;
    char *save = NULL;
    for (char *part = strtok_r(buf, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
        if (!S_ISDIR(dir->mode)) return NULL;
        entry_t *e = entries_find(&dir->ecur, part);
        if (!e) return NULL;
        dir = e->node;
    }
    return S_ISDIR(dir->mode) ? dir : NULL;
}

static node_t *resolve(const char *path) {
    if (strcmp(path, "/") == 0) return root;
    if (strcmp(path, CONTROL) == 0) return &control_node;
    char buf[4096];
    const char *leaf;
    node_t *dir = resolve_parent(path, &leaf, buf, sizeof buf);
    if (!dir) return NULL;
    entry_t *e = entries_find(&dir->ecur, leaf);
    return e ? e->node : NULL;
}

static node_t *file_of(const char *path, struct fuse_file_info *fi) {
    if (fi && fi->fh) return (node_t *)(uintptr_t)fi->fh;
    return path ? resolve(path) : NULL;
}

/* ---- durability -------------------------------------------------------------------------- */
static void count_links(void) {
    for (node_t *n = all_nodes; n; n = n->next) n->links = n->dlinks = 0;
    /* Current names: every directory reachable from the root through current entries. */
    size_t cap = 64, top = 0;
    node_t **stack = malloc(cap * sizeof *stack);
    if (!stack) abort();
    stack[top++] = root;
    while (top) {
        node_t *d = stack[--top];
        for (size_t i = 0; i < d->ecur.n; i++) {
            node_t *c = d->ecur.v[i].node;
            if (c->links++ == 0 && S_ISDIR(c->mode)) {
                if (top == cap && !(stack = realloc(stack, (cap *= 2) * sizeof *stack))) abort();
                stack[top++] = c;
            }
        }
    }
    stack[top++] = root;
    while (top) {
        node_t *d = stack[--top];
        for (size_t i = 0; i < d->edur.n; i++) {
            node_t *c = d->edur.v[i].node;
            if (c->dlinks++ == 0 && S_ISDIR(c->mode)) {
                if (top == cap && !(stack = realloc(stack, (cap *= 2) * sizeof *stack))) abort();
                stack[top++] = c;
            }
        }
    }
    free(stack);
}

static int sync_file(node_t *n) { n_fsync++; return content_copy(&n->dur, &n->cur); }

static int sync_dir(node_t *d) {
    n_fsyncdir++;
    for (size_t i = 0; i < d->edur.n; i++) d->edur.v[i].node->dlinks--;
    int rc = entries_copy(&d->edur, &d->ecur);
    for (size_t i = 0; i < d->edur.n; i++) d->edur.v[i].node->dlinks++;
    return rc;
}

/* With a seed: decide what of the unsynced state the "disk" happened to write before the cut. */
static int keep_some(node_t *n) {
    if (S_ISDIR(n->mode)) return (rnd() & 1) ? entries_copy(&n->edur, &n->ecur) : 0;
    content_t out = {0};
    int rc = content_copy(&out, &n->dur);
    if (rc) return rc;
    off_t size = (rnd() & 1) ? n->cur.size : n->dur.size;
    if ((rc = content_resize(&out, size))) goto done;
    for (size_t i = 0; i < out.npages; i++) {
        page_t *now_p = i < n->cur.npages ? n->cur.pages[i] : NULL;
        page_t *old_p = i < n->dur.npages ? n->dur.pages[i] : NULL;
        if (now_p == old_p) continue;
        uint64_t pick = rnd() % 3;
        if (pick == 0) continue; /* the old page stays */
        if (pick == 1 || !now_p) {
            page_unref(out.pages[i]);
            out.pages[i] = now_p;
            if (now_p) now_p->refs++;
            continue;
        }
        page_t *p = content_page_rw(&out, i); /* torn: each sector old or new */
        if (!p) { rc = -ENOMEM; goto done; }
        for (int s = 0; s < PAGE / SECTOR; s++)
            if (rnd() & 1) memcpy(p->d + s * SECTOR, now_p->d + s * SECTOR, SECTOR);
    }
    if (out.size % PAGE && out.npages && out.pages[out.npages - 1]) { /* nothing past the end */
        page_t *p = content_page_rw(&out, out.npages - 1);
        if (!p) { rc = -ENOMEM; goto done; }
        memset(p->d + out.size % PAGE, 0, PAGE - out.size % PAGE);
    }
    rc = content_copy(&n->dur, &out);
done:
    content_clear(&out);
    return rc;
}

static int power_cut(int reorder) {
    n_cuts++;
    for (node_t *n = all_nodes; n; n = n->next) {
        if (reorder) { int rc = keep_some(n); if (rc) return rc; }
        if (S_ISDIR(n->mode)) { if (entries_copy(&n->ecur, &n->edur)) return -ENOMEM; }
        else if (content_copy(&n->cur, &n->dur)) return -ENOMEM;
        n->nopen = 0; /* every process died with the power */
    }
    count_links();
    for (node_t *n = all_nodes; n; n = n->next) node_maybe_drop(n);
    return 0;
}

static int sync_all(void) {
    for (node_t *n = all_nodes; n; n = n->next) {
        int rc = S_ISDIR(n->mode) ? sync_dir(n) : sync_file(n);
        if (rc) return rc;
    }
    count_links();
    return 0;
}

static int control_write(const char *buf, size_t size) {
    char cmd[128];
    size_t n = size < sizeof cmd - 1 ? size : sizeof cmd - 1;
    memcpy(cmd, buf, n);
    cmd[n] = '\0';
    unsigned long long seed;
    int rc;
    if (strncmp(cmd, "syncall", 7) == 0) rc = sync_all();
    else if (sscanf(cmd, "cut %llu", &seed) == 1) { rng_state = seed * 2 + 1; rc = power_cut(1); }
    else if (strncmp(cmd, "cut", 3) == 0) rc = power_cut(0);
    else rc = -EINVAL;
    return rc ? rc : (int)size;
}

static int control_read(char *buf, size_t size, off_t off) {
    char text[256];
    int len = snprintf(text, sizeof text, "cuts %llu\nfsync %llu\nfsyncdir %llu\npages %llu\n",
                       n_cuts, n_fsync, n_fsyncdir, n_pages_live);
    if (off >= len) return 0;
    size_t n = (size_t)(len - off) < size ? (size_t)(len - off) : size;
    memcpy(buf, text + off, n);
    return (int)n;
}

/* ---- FUSE operations --------------------------------------------------------------------- */
static void fill_stat(node_t *n, struct stat *st) {
    memset(st, 0, sizeof *st);
    st->st_ino = n->ino;
    st->st_mode = n->mode;
    st->st_nlink = S_ISDIR(n->mode) ? 2 : (nlink_t)n->links;
    st->st_uid = getuid();
    st->st_gid = getgid();
    st->st_size = S_ISREG(n->mode) ? n->cur.size : 4096;
    st->st_blksize = PAGE;
    st->st_blocks = (st->st_size + 511) / 512;
    st->st_atim = n->atime; st->st_mtim = n->mtime; st->st_ctim = n->ctime;
}

static int pf_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
    node_t *n = file_of(path, fi);
    if (!n) return -ENOENT;
    fill_stat(n, st);
    if (n == &control_node) st->st_mode = S_IFREG | 0600;
    return 0;
}

static int pf_access(const char *path, int mask) {
    (void)mask;
    return resolve(path) ? 0 : -ENOENT;
}

static int make_node(const char *path, mode_t mode, node_t **made) {
    char buf[4096];
    const char *leaf;
    node_t *dir = resolve_parent(path, &leaf, buf, sizeof buf);
    if (!dir) return -ENOENT;
    if (!*leaf || strlen(leaf) > 255) return -EINVAL;
    if (entries_find(&dir->ecur, leaf) || strcmp(path, CONTROL) == 0) return -EEXIST;
    node_t *n = node_new(mode);
    if (!n) return -ENOMEM;
    if (entries_add(&dir->ecur, leaf, n)) return -ENOMEM;
    n->links = 1;
    now(&dir->mtime); dir->ctime = dir->mtime;
    *made = n;
    return 0;
}

static int pf_mkdir(const char *path, mode_t mode) {
    node_t *n;
    return make_node(path, S_IFDIR | (mode & 07777), &n);
}

static int pf_mknod(const char *path, mode_t mode, dev_t dev) {
    (void)dev;
    if (!S_ISREG(mode)) return -EPERM;
    node_t *n;
    return make_node(path, mode, &n);
}

static int is_shm(const char *path) {
    size_t len = path ? strlen(path) : 0;
    return len > 4 && strcmp(path + len - 4, "-shm") == 0;
}

static void set_open(node_t *n, const char *path, struct fuse_file_info *fi) {
    fi->fh = (uint64_t)(uintptr_t)n;
    fi->direct_io = n == &control_node || !is_shm(path);
    fi->keep_cache = 0;
    n->nopen++;
}

static int pf_create(const char *path, mode_t mode, struct fuse_file_info *fi) {
    node_t *n = resolve(path);
    if (n) {
        if (fi->flags & O_EXCL) return -EEXIST;
        if (S_ISDIR(n->mode)) return -EISDIR;
        if ((fi->flags & O_TRUNC) && n != &control_node) {
            int rc = content_resize(&n->cur, 0);
            if (rc) return rc;
        }
    } else {
        int rc = make_node(path, S_IFREG | (mode & 07777), &n);
        if (rc) return rc;
    }
    set_open(n, path, fi);
    return 0;
}

static int pf_open(const char *path, struct fuse_file_info *fi) {
    node_t *n = resolve(path);
    if (!n) return -ENOENT;
    if (S_ISDIR(n->mode)) return -EISDIR;
    if ((fi->flags & O_TRUNC) && n != &control_node) {
        int rc = content_resize(&n->cur, 0);
        if (rc) return rc;
        now(&n->mtime);
    }
    set_open(n, path, fi);
    return 0;
}

static int pf_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
    node_t *n = file_of(path, fi);
    if (!n) return -ENOENT;
    if (n == &control_node) return control_read(buf, size, off);
    return content_read(&n->cur, buf, size, off);
}

static int pf_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
    node_t *n = file_of(path, fi);
    if (!n) return -ENOENT;
    if (n == &control_node) return control_write(buf, size);
    if (fi && (fi->flags & O_APPEND)) off = n->cur.size;
    int rc = content_write(&n->cur, buf, size, off);
    if (rc >= 0) { now(&n->mtime); n->ctime = n->mtime; }
    return rc;
}

static int pf_truncate(const char *path, off_t size, struct fuse_file_info *fi) {
    node_t *n = file_of(path, fi);
    if (!n) return -ENOENT;
    if (n == &control_node) return 0;
    if (!S_ISREG(n->mode)) return -EISDIR;
    int rc = content_resize(&n->cur, size);
    if (!rc) { now(&n->mtime); n->ctime = n->mtime; }
    return rc;
}

static int pf_fallocate(const char *path, int mode, off_t off, off_t len, struct fuse_file_info *fi) {
    node_t *n = file_of(path, fi);
    if (!n || n == &control_node) return -ENOENT;
    if (mode) return -EOPNOTSUPP;
    return off + len > n->cur.size ? content_resize(&n->cur, off + len) : 0;
}

static int pf_fsync(const char *path, int datasync, struct fuse_file_info *fi) {
    (void)datasync; /* size is part of what fdatasync must make durable to read the data back */
    node_t *n = file_of(path, fi);
    if (!n) return -ENOENT;
    if (n == &control_node) return 0;
    return sync_file(n);
}

static int pf_flush(const char *path, struct fuse_file_info *fi) { (void)path; (void)fi; return 0; }

static int pf_release(const char *path, struct fuse_file_info *fi) {
    (void)path;
    node_t *n = (node_t *)(uintptr_t)fi->fh;
    if (n && n->nopen > 0) n->nopen--;
    if (n && n != &control_node) node_maybe_drop(n);
    return 0;
}

static int pf_unlink(const char *path) {
    char buf[4096];
    const char *leaf;
    node_t *dir = resolve_parent(path, &leaf, buf, sizeof buf);
    if (!dir) return -ENOENT;
    entry_t *e = entries_find(&dir->ecur, leaf);
    if (!e) return -ENOENT;
    node_t *n = e->node;
    if (S_ISDIR(n->mode)) return -EISDIR;
    entries_remove(&dir->ecur, e);
    n->links--;
    now(&dir->mtime); dir->ctime = n->ctime = dir->mtime;
    node_maybe_drop(n);
    return 0;
}

static int pf_rmdir(const char *path) {
    char buf[4096];
    const char *leaf;
    node_t *dir = resolve_parent(path, &leaf, buf, sizeof buf);
    if (!dir) return -ENOENT;
    entry_t *e = entries_find(&dir->ecur, leaf);
    if (!e) return -ENOENT;
    if (!S_ISDIR(e->node->mode)) return -ENOTDIR;
    if (e->node->ecur.n) return -ENOTEMPTY;
    e->node->links--;
    entries_remove(&dir->ecur, e);
    now(&dir->mtime); dir->ctime = dir->mtime;
    return 0;
}

static int pf_rename(const char *from, const char *to, unsigned int flags) {
    if (flags & ~RENAME_NOREPLACE) return -EINVAL;
    char b1[4096], b2[4096];
    const char *l1, *l2;
    node_t *d1 = resolve_parent(from, &l1, b1, sizeof b1);
    node_t *d2 = resolve_parent(to, &l2, b2, sizeof b2);
    if (!d1 || !d2) return -ENOENT;
    if (!*l2 || strlen(l2) > 255) return -EINVAL;
    entry_t *src = entries_find(&d1->ecur, l1);
    if (!src) return -ENOENT;
    node_t *n = src->node;
    entry_t *dst = entries_find(&d2->ecur, l2);
    if (dst && dst->node == n) return 0;
    if (dst) {
        if (flags & RENAME_NOREPLACE) return -EEXIST;
        node_t *old = dst->node;
        if (S_ISDIR(old->mode) != S_ISDIR(n->mode)) return S_ISDIR(old->mode) ? -EISDIR : -ENOTDIR;
        if (S_ISDIR(old->mode) && old->ecur.n) return -ENOTEMPTY;
        dst->node = n;
        old->links--;
        node_maybe_drop(old);
    } else if (entries_add(&d2->ecur, l2, n)) {
        return -ENOMEM;
    }
    src = entries_find(&d1->ecur, l1); /* the add may have moved the array */
    entries_remove(&d1->ecur, src);
    now(&d1->mtime); d1->ctime = d2->mtime = d2->ctime = n->ctime = d1->mtime;
    return 0;
}

static int pf_chmod(const char *path, mode_t mode, struct fuse_file_info *fi) {
    node_t *n = file_of(path, fi);
    if (!n) return -ENOENT;
    n->mode = (n->mode & S_IFMT) | (mode & 07777);
    now(&n->ctime);
    return 0;
}

static int pf_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi) {
    (void)uid; (void)gid;
    return file_of(path, fi) ? 0 : -ENOENT;
}

static int pf_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi) {
    node_t *n = file_of(path, fi);
    if (!n) return -ENOENT;
    struct timespec t;
    now(&t);
    n->atime = tv[0].tv_nsec == UTIME_NOW ? t : tv[0].tv_nsec == UTIME_OMIT ? n->atime : tv[0];
    n->mtime = tv[1].tv_nsec == UTIME_NOW ? t : tv[1].tv_nsec == UTIME_OMIT ? n->mtime : tv[1];
    n->ctime = t;
    return 0;
}

static int pf_opendir(const char *path, struct fuse_file_info *fi) {
    node_t *n = resolve(path);
    if (!n) return -ENOENT;
    if (!S_ISDIR(n->mode)) return -ENOTDIR;
    fi->fh = (uint64_t)(uintptr_t)n;
    return 0;
}

static int pf_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
                      struct fuse_file_info *fi, enum fuse_readdir_flags flags) {
    (void)off; (void)flags;
    node_t *d = file_of(path, fi);
    if (!d || !S_ISDIR(d->mode)) return -ENOENT;
    fill(buf, ".", NULL, 0, 0);
    fill(buf, "..", NULL, 0, 0);
    for (size_t i = 0; i < d->ecur.n; i++) {
        struct stat st;
        fill_stat(d->ecur.v[i].node, &st);
        if (fill(buf, d->ecur.v[i].name, &st, 0, 0)) break;
    }
    return 0;
}

static int pf_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi) {
    (void)datasync;
    node_t *d = file_of(path, fi);
    if (!d || !S_ISDIR(d->mode)) return -ENOENT;
    return sync_dir(d);
}

static int pf_releasedir(const char *path, struct fuse_file_info *fi) { (void)path; (void)fi; return 0; }

static int pf_statfs(const char *path, struct statvfs *st) {
    (void)path;
    memset(st, 0, sizeof *st);
    st->f_bsize = st->f_frsize = PAGE;
    st->f_blocks = st->f_bfree = st->f_bavail = 1ULL << 24;
    st->f_files = st->f_ffree = 1ULL << 20;
    st->f_namemax = 255;
    return 0;
}

static void *pf_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
    (void)conn;
    cfg->use_ino = 1;
    cfg->hard_remove = 1;
    cfg->nullpath_ok = 1;
    cfg->entry_timeout = 0;
    cfg->attr_timeout = 0;
    cfg->negative_timeout = 0;
    cfg->kernel_cache = 0;
    return NULL;
}

static const struct fuse_operations ops = {
    .init = pf_init,
    .getattr = pf_getattr,
    .access = pf_access,
    .mkdir = pf_mkdir,
    .mknod = pf_mknod,
    .create = pf_create,
    .open = pf_open,
    .read = pf_read,
    .write = pf_write,
    .truncate = pf_truncate,
    .fallocate = pf_fallocate,
    .fsync = pf_fsync,
    .flush = pf_flush,
    .release = pf_release,
    .unlink = pf_unlink,
    .rmdir = pf_rmdir,
    .rename = pf_rename,
    .chmod = pf_chmod,
    .chown = pf_chown,
    .utimens = pf_utimens,
    .opendir = pf_opendir,
    .readdir = pf_readdir,
    .fsyncdir = pf_fsyncdir,
    .releasedir = pf_releasedir,
    .statfs = pf_statfs,
};

int main(int argc, char *argv[]) {
    root = node_new(S_IFDIR | 0755);
    if (!root) return 1;
    root->links = root->dlinks = 1;
    control_node.ino = 1ULL << 40;
    control_node.mode = S_IFREG | 0600;
    return fuse_main(argc, argv, &ops, NULL);
}
