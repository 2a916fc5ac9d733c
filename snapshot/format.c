// SPDX-License-Identifier: GPL-2.0-only
/*
 * The snapshot file format (docs/snapshot-format.md): a 16-byte file header,
 * then sections, each a 32-byte header (tag, encoding, raw and stored length,
 * CRC-32 of the stored bytes, CRC-32 of the header itself) and its payload,
 * zstd-compressed. The last section is END. Every length and checksum is
 * checked before it is used, so a damaged file is an error naming the section.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "memfail/array.h"
#include "memfail/snapshot.h"
#include "format.h"

const struct sect_desc snap_sects[] = {
	{ "INFO", "machine info", SK_TEXT, offsetof(struct snapshot, info) },
	{ "MISS", "what could not be read", SK_TEXT, offsetof(struct snapshot, missing) },
	{ "MINF", "/proc/meminfo", SK_TEXT, offsetof(struct snapshot, meminfo) },
	{ "BUDY", "/proc/buddyinfo", SK_TEXT, offsetof(struct snapshot, buddyinfo) },
	{ "ZONE", "/proc/zoneinfo", SK_TEXT, offsetof(struct snapshot, zoneinfo) },
	{ "SWAP", "/proc/swaps", SK_TEXT, offsetof(struct snapshot, swaps) },
	{ "MNTS", "/proc/mounts", SK_TEXT, offsetof(struct snapshot, mounts) },
	{ "HUGE", "hugepage pools", SK_TEXT, offsetof(struct snapshot, hugepages) },
	{ "RNGE", "physical memory ranges", SK_RANGES, 0 },
	{ "KPFL", "/proc/kpageflags", SK_U64, offsetof(struct snapshot, kpageflags) },
	{ "KPCN", "/proc/kpagecount", SK_U64, offsetof(struct snapshot, kpagecount) },
	{ "KPCG", "/proc/kpagecgroup", SK_U64, offsetof(struct snapshot, kpagecgroup) },
	{ "PROC", "processes and maps", SK_PROC, 0 },
	{ "PMAP", "process pagemaps", SK_PMAP, 0 },
	{ "END ", "end of file", SK_END, 0 },
};

const size_t snap_nr_sects = ARRAY_SIZE(snap_sects);

int snap_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static uint32_t table[8][256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & -(c & 1));
		table[0][i] = c;
	}
	for (int t = 1; t < 8; t++)
		for (int i = 0; i < 256; i++)
			table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
}

/* CRC-32 (IEEE, as zlib's crc32) */
uint32_t snap_crc32(uint32_t crc, const void *data, size_t len)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const uint8_t *p = data;

	pthread_once(&once, crc_init);
	crc = ~crc;
	/* slicing by 8: the payloads are megabytes */
	for (; len >= 8; len -= 8, p += 8) {
		uint32_t lo = crc ^ (p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);

		crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^
		      table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^ table[3][p[4]] ^
		      table[2][p[5]] ^ table[1][p[6]] ^ table[0][p[7]];
	}
	while (len--)
		crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void buf_room(struct buf *b, size_t n)
{
	while (b->len + n > b->cap) {
		b->cap = b->cap ? 2 * b->cap : 1 << 16;
		b->p = xrealloc_array(b->p, b->cap, 1, "snapshot buffer");
	}
}

static void buf_add(struct buf *b, const void *p, size_t n)
{
	buf_room(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_room(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void add_section(struct buf *out, const char *tag, const void *raw, size_t len)
{
	size_t bound = ZSTD_compressBound(len), stored;
	uint8_t *h;

	buf_room(out, SECT_HDR + bound);
	h = out->p + out->len;
	stored = ZSTD_compress(h + SECT_HDR, bound, raw, len, ZSTD_LEVEL);
	if (ZSTD_isError(stored))
		mf_oom("compressing a snapshot section");
	memcpy(h, tag, 4);
	put32(h + 4, ENC_ZSTD);
	put64(h + 8, len);
	put64(h + 16, stored);
	put32(h + 24, snap_crc32(0, h + SECT_HDR, stored));
	put32(h + 28, snap_crc32(0, h, 28));
	out->len += SECT_HDR + stored;
}

static void esc(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			buf_add(b, "\\n", 2);
		else if (*s == '\\')
			buf_add(b, "\\\\", 2);
		else
			buf_add(b, s, 1);
	}
}

static void encode_procs(const struct snapshot *s, struct buf *t, struct buf *pm)
{
	for (size_t i = 0; i < s->nr_procs; i++) {
		const struct snap_proc *p = &s->procs[i];
		uint8_t h[8];

		buf_printf(t, "P %d %d %llx %llx %llx ", p->pid, p->threads,
			   (unsigned long long)p->sigcgt, (unsigned long long)p->sigblk,
			   (unsigned long long)p->sigign);
		esc(t, p->comm);
		buf_add(t, "\n", 1);
		for (size_t j = 0; j < p->nr_maps; j++) {
			const struct snap_map *m = &p->maps[j];

			buf_printf(t, "M %llx %llx %s %llx %s %llu ", (unsigned long long)m->start,
				   (unsigned long long)m->end, m->perms,
				   (unsigned long long)m->pgoff, m->dev,
				   (unsigned long long)m->inode);
			esc(t, m->path);
			buf_add(t, "\n", 1);
		}
		put32(h, (uint32_t)p->pid);
		put32(h + 4, (uint32_t)p->nr_ptes);
		buf_add(pm, h, 8);
		/* columns, addresses as deltas: what zstd compresses best */
		buf_room(pm, p->nr_ptes * 16);
		for (size_t j = 0; j < p->nr_ptes; j++, pm->len += 8)
			put64(pm->p + pm->len, p->ptes[j].vpn - (j ? p->ptes[j - 1].vpn : 0));
		for (size_t j = 0; j < p->nr_ptes; j++, pm->len += 8)
			put64(pm->p + pm->len, p->ptes[j].entry);
	}
}

static void encode_one(const struct snapshot *s, const struct sect_desc *d, struct buf *out)
{
	struct buf t = { 0 }, pm = { 0 };

	switch (d->kind) {
	case SK_TEXT: {
		const char *txt = *(char *const *)((const char *)s + d->field);

		if (txt)
			add_section(out, d->tag, txt, strlen(txt));
		return;
	}
	case SK_U64: {
		const uint64_t *v = *(uint64_t *const *)((const char *)s + d->field);

		if (v) /* little-endian hosts only: the format is little-endian */
			add_section(out, d->tag, v, s->nr_pfns * 8);
		return;
	}
	case SK_RANGES:
		for (size_t i = 0; i < s->nr_ranges; i++)
			buf_printf(&t, "%llx %llx %s\n", (unsigned long long)s->ranges[i].start_pfn,
				   (unsigned long long)s->ranges[i].end_pfn, s->ranges[i].type);
		break;
	case SK_PROC:
		encode_procs(s, &t, &pm);
		break;
	case SK_PMAP:
		return; /* written with PROC */
	case SK_END:
		break;
	}
	add_section(out, d->tag, t.p ? t.p : (uint8_t *)"", t.len);
	if (d->kind == SK_PROC)
		add_section(out, "PMAP", pm.p ? pm.p : (uint8_t *)"", pm.len);
	free(t.p);
	free(pm.p);
}

int snapshot_encode(const struct snapshot *s, uint8_t **bufp, size_t *lenp, char *err,
		    size_t errlen)
{
	struct buf out = { 0 };
	uint8_t h[FILE_HDR];

	if (*(const uint8_t *)&(uint16_t){ 1 } != 1)
		return snap_fail(err, errlen, "snapshot: the format is little-endian; this host is not");
	memcpy(h, SNAP_MAGIC, 8);
	put16(h + 8, SNAP_FORMAT_VERSION);
	put16(h + 10, (uint16_t)s->flags);
	put32(h + 12, snap_crc32(0, h, 12));
	buf_add(&out, h, FILE_HDR);
	for (size_t i = 0; i < snap_nr_sects; i++)
		encode_one(s, &snap_sects[i], &out);
	*bufp = out.p;
	*lenp = out.len;
	return 0;
}

int snapshot_write(const struct snapshot *s, const char *path, char *err, size_t errlen)
{
	uint8_t *b;
	size_t len, off = 0;
	int fd;

	if (snapshot_encode(s, &b, &len, err, errlen))
		return -1;
	/* process names and mapped paths: readable by the owner only */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600)) {
		free(b);
		if (fd >= 0)
			close(fd);
		return snap_fail(err, errlen, "%s: %s", path, strerror(errno));
	}
	while (off < len) {
		ssize_t n = write(fd, b + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(b);
			close(fd);
			return snap_fail(err, errlen, "%s: write: %s", path, strerror(errno));
		}
		off += (size_t)n;
	}
	free(b);
	if (close(fd))
		return snap_fail(err, errlen, "%s: close: %s", path, strerror(errno));
	return 0;
}
