// SPDX-License-Identifier: GPL-2.0-only
/*
 * Machine arenas (include/memfail/arena.h). A region is reserved once
 * (MAP_NORESERVE: the host backs only what is touched) and cut by a bump
 * pointer into chunks of power-of-two sizes; a freed chunk goes to the tail
 * of its size's list and is reused from the head (first in, first out: a
 * freed object stays unused as long as possible). All of that bookkeeping
 * lives at the start of the region, so copying the used bytes back restores
 * the allocator along with the objects.
 *
 * Under AddressSanitizer the arena poisons what a program must not touch
 * (chunk headers, the slack after each object, free chunks) with ASan's
 * manual poisoning interface, so a use after free, a double free or an
 * overflow of a machine's object is still reported, and re-poisons the
 * region from its chunk headers after copying it out or back.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memfail/arena.h"
#include "memfail/array.h"
#include "x_alloc.h"

/* this file calls the C library's allocators: no redirection (-include put it in) */
#include "libc_alloc.h"

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define ARENA_RESERVE (64ULL << 30)	/* address space only */
#define MIN_SHIFT 4
#define NR_CLASSES 48
#define CHUNK_FREE SIZE_MAX		/* chunk_hdr.size of a chunk on a free list */

/* before every object; 16 bytes keep every object 16-byte aligned */
struct chunk_hdr {
	uint64_t cls;			/* the chunk holds 1 << cls bytes */
	uint64_t size;			/* bytes asked for, or CHUNK_FREE */
};

struct arena_head {
	size_t top;			/* bytes used from the region's start */
	void *head[NR_CLASSES];		/* free lists, linked through the chunks' first bytes */
	void *tail[NR_CLASSES];
};

#define FIRST_CHUNK ((sizeof(struct arena_head) + 15) & ~(size_t)15)

struct mf_arena {
	char *base;
	struct mf_arena *next;
};

static struct mf_arena *arenas;
static _Thread_local struct mf_arena *current;

/*
 * The last arena destroyed, kept for the next machine: a process running
 * scenario after scenario would otherwise give the host back every page a
 * machine touched and take a fault (and a page clearing) for each again.
 * What the spare keeps backed is bounded; new objects are zeroed or written
 * by whoever allocates them, as in a fresh arena.
 */
#define SPARE_KEEP (64ULL << 20)
static struct mf_arena *spare;
static size_t spare_used;

static struct arena_head *head_of(const struct mf_arena *a) { return (struct arena_head *)a->base; }
static struct chunk_hdr *hdr_of(void *p) { return (struct chunk_hdr *)p - 1; }

static struct chunk_hdr hdr_get(void *p)
{
	struct chunk_hdr h;

	UNPOISON(hdr_of(p), sizeof(h));
	h = *hdr_of(p);
	POISON(hdr_of(p), sizeof(h));
	return h;
}

/* Record p's state; under ASan only [p, p + size) of an allocated chunk stays addressable. */
static void hdr_set(void *p, uint64_t cls, uint64_t size)
{
	size_t chunk = (size_t)1 << cls;

	UNPOISON(hdr_of(p), sizeof(struct chunk_hdr));
	*hdr_of(p) = (struct chunk_hdr){ cls, size };
	POISON(hdr_of(p), sizeof(struct chunk_hdr));
	/*
	 * The object and its slack apart: poisoning a chunk whole would write the
	 * shadow of gigabytes (an 8T swap device's arrays). A free chunk is poisoned
	 * in its first MiB: a use after free of a huge array further in goes unseen.
	 */
	if (size == CHUNK_FREE) {
		POISON(p, chunk < (1UL << 20) ? chunk : (1UL << 20));
	} else {
		UNPOISON(p, size);
		POISON((char *)p + size, chunk - size);
	}
}

/* The spare as a fresh arena: empty, every byte it used addressable again (as fresh memory is). */
static struct mf_arena *spare_take(void)
{
	struct mf_arena *a = spare;

	spare = NULL;
	UNPOISON(a->base, spare_used);
	memset(head_of(a), 0, sizeof(struct arena_head));
	return a;
}

struct mf_arena *mf_arena_create(void)
{
	struct mf_arena *a = spare ? spare_take() : calloc(1, sizeof(*a));

	if (!a)
		mf_oom("making a machine's arena");
	if (!a->base)
		a->base = mmap(NULL, ARENA_RESERVE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (a->base == MAP_FAILED) {
		free(a);	/* mf_oom may unwind (the API's handler): nothing may leak */
		mf_oom("reserving a machine's arena");
	}
	head_of(a)->top = FIRST_CHUNK;
	a->next = arenas;
	arenas = a;
	return a;
}

void mf_arena_destroy(struct mf_arena *a)
{
	struct mf_arena **pp;

	if (!a)
		return;
	for (pp = &arenas; *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	if (current == a)
		current = NULL;
	if (!spare) {
		size_t used = head_of(a)->top;

		if (used > SPARE_KEEP)	/* the host may take the rest back */
			madvise(a->base + SPARE_KEEP, used - SPARE_KEEP, MADV_DONTNEED);
		POISON(a->base, used);	/* a pointer kept past the machine is reported */
		spare = a;
		spare_used = used;
		return;
	}
	UNPOISON(a->base, head_of(a)->top);	/* the addresses may be mapped again for anything */
	munmap(a->base, ARENA_RESERVE);
	free(a);
}

struct mf_arena *mf_arena_enter(struct mf_arena *a)
{
	struct mf_arena *old = current;

	current = a;
	return old;
}

size_t mf_arena_used(const struct mf_arena *a)
{
	return head_of(a)->top;
}

#ifdef ARENA_ASAN
/* Every chunk's poisoning from its header (the region up to top is unpoisoned on entry). */
static void repoison(struct mf_arena *a)
{
	size_t off, top = head_of(a)->top;

	for (off = FIRST_CHUNK; off < top;) {
		char *p = a->base + off + sizeof(struct chunk_hdr);
		struct chunk_hdr h = *hdr_of(p);

		hdr_set(p, h.cls, h.size);
		off += sizeof(h) + ((size_t)1 << h.cls);
	}
}
#else
static void repoison(struct mf_arena *a) { (void)a; }
#endif

static void *arena_zero(void *p, size_t n);

#define PM_HAS_PAGE (3ULL << 62)	/* pagemap: present or swapped */

size_t mf_host_page_size(void)
{
	static size_t bytes;

	if (!bytes) {
		long psz = sysconf(_SC_PAGESIZE);
		bytes = psz > 0 ? (size_t)psz : 4096;
	}
	return bytes;
}

/* An image is the caller's, in the C library's heap (this file's x* are the arenas'). */
static void *img_realloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		mf_oom("making a checkpoint");
	return p;
}

/* Append [off, off + len) to the image's runs, merging with the last one. */
static void run_add(struct mf_arena_image *img, size_t *cap, size_t off, size_t len)
{
	struct mf_arena_run *last = img->nr_runs ? &img->runs[img->nr_runs - 1] : NULL;

	if (last && last->off + last->len == off) {
		last->len += len;
		return;
	}
	if (img->nr_runs == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		img->runs = img_realloc(img->runs, *cap * sizeof(*img->runs));
	}
	img->runs[img->nr_runs++] = (struct mf_arena_run){ off, len };
}

/* The runs of [0, top) whose host pages hold something; all of it if pagemap cannot say. */
static void find_runs(const struct mf_arena *a, size_t top, struct mf_arena_image *img)
{
	size_t cap = 0, pg = mf_host_page_size(), pages = (top + pg - 1) / pg, i = 0, j, n;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	uint64_t ent[512];
	ssize_t got;

	for (; fd >= 0 && i < pages; i += n) {
		n = pages - i < 512 ? pages - i : 512;
		got = pread(fd, ent, n * sizeof(ent[0]),
			    (off_t)(((uintptr_t)a->base / pg + i) * sizeof(ent[0])));
		if (got != (ssize_t)(n * sizeof(ent[0])))
			break;
		for (j = 0; j < n; j++)
			if (ent[j] & PM_HAS_PAGE)
				run_add(img, &cap, (i + j) * pg, pg);
	}
	if (fd >= 0)
		close(fd);
	if (i < pages) {	/* no pagemap (or a short read): the rest, whole */
		run_add(img, &cap, i * pg, (pages - i) * pg);
	}
	if (img->nr_runs) {	/* the last page is cut at top */
		struct mf_arena_run *last = &img->runs[img->nr_runs - 1];

		if (last->off + last->len > top)
			last->len = top - last->off;
	}
}

void mf_arena_save(struct mf_arena *a, struct mf_arena_image *img)
{
	size_t i, total = 0, top = mf_arena_used(a);
	char *p;

	*img = (struct mf_arena_image){ .len = top };
	find_runs(a, top, img);
	for (i = 0; i < img->nr_runs; i++)
		total += img->runs[i].len;
	p = img->data = img_realloc(NULL, total);
	UNPOISON(a->base, top);
	for (i = 0; i < img->nr_runs; i++) {
		memcpy(p, a->base + img->runs[i].off, img->runs[i].len);
		p += img->runs[i].len;
	}
	repoison(a);
}

/* Back to the image: its runs copied, the gaps between them zero again. */
void mf_arena_load(struct mf_arena *a, const struct mf_arena_image *img)
{
	size_t i, pos = 0, old = mf_arena_used(a);
	const char *p = img->data;

	UNPOISON(a->base, old > img->len ? old : img->len);
	for (i = 0; i < img->nr_runs; p += img->runs[i++].len) {
		const struct mf_arena_run *r = &img->runs[i];

		if (r->off > pos)
			arena_zero(a->base + pos, r->off - pos);
		memcpy(a->base + r->off, p, r->len);
		pos = r->off + r->len;
	}
	if (img->len > pos)
		arena_zero(a->base + pos, img->len - pos);
	if (old > img->len)
		POISON(a->base + img->len, old - img->len);
	repoison(a);
}

void mf_arena_image_free(struct mf_arena_image *img)
{
	free(img->runs);
	free(img->data);
	*img = (struct mf_arena_image){ 0 };
}

static struct mf_arena *arena_of(const void *p)
{
	struct mf_arena *a;

	if (current && (const char *)p >= current->base && (const char *)p < current->base + ARENA_RESERVE)
		return current;
	for (a = arenas; a; a = a->next)
		if ((const char *)p >= a->base && (const char *)p < a->base + ARENA_RESERVE)
			return a;
	return NULL;
}

static unsigned int size_class(size_t size)
{
	unsigned int c;

	if (size <= (size_t)1 << MIN_SHIFT)
		return MIN_SHIFT;
	c = 64 - (unsigned int)__builtin_clzll((unsigned long long)size - 1);
	return c < NR_CLASSES ? c : NR_CLASSES;
}

static void *arena_alloc(struct mf_arena *a, size_t size)
{
	struct arena_head *h = head_of(a);
	unsigned int c = size_class(size);
	void *p;

	if (c >= NR_CLASSES)
		return NULL;
	p = h->head[c];
	if (p) {
		UNPOISON(p, sizeof(void *));
		h->head[c] = *(void **)p;
		if (!h->head[c])
			h->tail[c] = NULL;
	} else {
		if (ARENA_RESERVE - h->top < sizeof(struct chunk_hdr) + ((size_t)1 << c))
			return NULL;
		p = a->base + h->top + sizeof(struct chunk_hdr);
		h->top += sizeof(struct chunk_hdr) + ((size_t)1 << c);
	}
	hdr_set(p, c, size);
	return p;
}

static void arena_free(struct mf_arena *a, void *p)
{
	struct arena_head *h = head_of(a);
	struct chunk_hdr ch = hdr_get(p);

	if (ch.size == CHUNK_FREE) {
		fprintf(stderr, "memfail: %p freed twice in a machine's arena\n", p);
		abort();
	}
	UNPOISON(p, sizeof(void *));
	*(void **)p = NULL;
	hdr_set(p, ch.cls, CHUNK_FREE);
	if (h->tail[ch.cls]) {
		UNPOISON(h->tail[ch.cls], sizeof(void *));
		*(void **)h->tail[ch.cls] = p;
		POISON(h->tail[ch.cls], sizeof(void *));
	} else {
		h->head[ch.cls] = p;
	}
	h->tail[ch.cls] = p;
}

X_ALLOCATORS(mf_x, mf_malloc, mf_calloc, mf_realloc)

void *mf_malloc(size_t size)
{
	return current ? arena_alloc(current, size) : malloc(size);
}

/*
 * A chunk may hold old bytes (a free list's, or a restore's above top). A big
 * one's whole host pages are dropped instead of written, so an array of
 * gigabytes that stays mostly zero (a swap device's slots) costs what is used.
 */
#define ZERO_BY_DROP (1UL << 20)
static void *arena_zero(void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p, e = a + n, pg = mf_host_page_size();
	uintptr_t a_up = (a + pg - 1) & ~(pg - 1), e_down = e & ~(pg - 1);

	if (n < ZERO_BY_DROP || madvise((void *)a_up, e_down - a_up, MADV_DONTNEED))
		return memset(p, 0, n);
	memset(p, 0, a_up - a);
	memset((void *)e_down, 0, e - e_down);
	return p;
}

void *mf_calloc(size_t nmemb, size_t size)
{
	void *p;

	if (!current)
		return calloc(nmemb, size);
	if (size && nmemb > SIZE_MAX / size)
		return NULL;
	p = arena_alloc(current, nmemb * size);
	return p ? arena_zero(p, nmemb * size) : NULL;
}

void *mf_realloc(void *p, size_t size)
{
	struct mf_arena *a = p ? arena_of(p) : current;
	struct chunk_hdr ch;
	void *n;

	if (!a)
		return realloc(p, size);
	if (!p)
		return arena_alloc(a, size);
	ch = hdr_get(p);
	if (size <= (size_t)1 << ch.cls) {
		hdr_set(p, ch.cls, size);
		return p;
	}
	n = arena_alloc(a, size);
	if (n) {
		memcpy(n, p, ch.size);
		arena_free(a, p);
	}
	return n;
}

void mf_free(void *p)
{
	struct mf_arena *a;

	if (!p)
		return;
	a = arena_of(p);
	if (a)
		arena_free(a, p);
	else
		free(p);
}

char *mf_strdup(const char *s)
{
	size_t len = strlen(s) + 1;
	char *p = mf_malloc(len);

	return p ? memcpy(p, s, len) : NULL;
}
