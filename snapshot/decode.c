// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reading a snapshot file (docs/snapshot-format.md). Nothing in the file is
 * trusted: every header and payload is checked against its CRC-32 and every
 * length against what is left, and each error names the section it is in.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "memfail/array.h"
#include "memfail/snapshot.h"
#include "format.h"

/* No section of a real machine comes near this; a larger raw length is damage. */
#define MAX_RAW (64ULL << 30)

struct dec {
	struct snapshot *s;
	char *err;
	size_t errlen;
	const struct sect_desc *d;
};

static const struct sect_desc *find_sect(const uint8_t *tag)
{
	for (size_t i = 0; i < snap_nr_sects; i++)
		if (!memcmp(snap_sects[i].tag, tag, 4))
			return &snap_sects[i];
	return NULL;
}

static char *unesc(const char *s, size_t n)
{
	char *o = xmalloc(n + 1, "snapshot string"), *q = o;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			i++;
			*q++ = s[i] == 'n' ? '\n' : s[i];
		} else {
			*q++ = s[i];
		}
	}
	*q = 0;
	return o;
}

static int parse_map(struct dec *dc, struct snap_proc *p, const char *l, size_t n, int lineno)
{
	unsigned long long start, end, pgoff, inode;
	struct snap_map m = { 0 };
	int used = -1;

	if (sscanf(l, "M %llx %llx %4s %llx %15s %llu %n", &start, &end, m.perms, &pgoff, m.dev,
		   &inode, &used) < 6 || used < 0 || start >= end || (start | end) & 0xfff)
		return snap_fail(dc->err, dc->errlen, "section PROC (%s), line %d: bad map line",
				 dc->d->what, lineno);
	m.start = start, m.end = end, m.pgoff = pgoff, m.inode = inode;
	used = (size_t)used > n ? (int)n : used;
	m.path = unesc(l + used, n - (size_t)used);
	ARRAY_PUSH(p->maps, p->nr_maps, p->cap_maps, m, "snapshot maps");
	return 0;
}

/* t is the section's own NUL-terminated copy: lines are cut in place. */
static int parse_procs(struct dec *dc, char *t, size_t len)
{
	struct snapshot *s = dc->s;
	int lineno = 0;

	for (char *l = t, *e; l < t + len; l = e + 1) {
		unsigned long long cgt, blk, ign;
		struct snap_proc p = { 0 };
		int used = -1;

		e = memchr(l, '\n', (size_t)(t + len - l));
		if (!e)
			e = t + len;
		*e = 0;
		lineno++;
		if (*l == 'M' && s->nr_procs) {
			if (parse_map(dc, &s->procs[s->nr_procs - 1], l, (size_t)(e - l), lineno))
				return -1;
			continue;
		}
		if (sscanf(l, "P %d %d %llx %llx %llx %n", &p.pid, &p.threads, &cgt, &blk, &ign,
			   &used) < 5 || used < 0)
			return snap_fail(dc->err, dc->errlen,
					 "section PROC (%s), line %d: bad process line", dc->d->what,
					 lineno);
		p.sigcgt = cgt, p.sigblk = blk, p.sigign = ign;
		used = used > e - l ? (int)(e - l) : used;
		p.comm = unesc(l + used, (size_t)(e - l - used));
		ARRAY_PUSH(s->procs, s->nr_procs, s->cap_procs, p, "snapshot processes");
	}
	return 0;
}

static int parse_pmap(struct dec *dc, const uint8_t *b, size_t len)
{
	size_t off = 0;

	for (size_t i = 0; i < dc->s->nr_procs; i++) {
		struct snap_proc *p = &dc->s->procs[i];
		size_t nr;

		if (len - off < 8 || get32(b + off) != (uint32_t)p->pid)
			return snap_fail(dc->err, dc->errlen,
					 "section PMAP (%s): no record for process %d of PROC",
					 dc->d->what, p->pid);
		nr = get32(b + off + 4);
		off += 8;
		if (nr > (len - off) / 16)
			return snap_fail(dc->err, dc->errlen,
					 "section PMAP (%s): process %d claims %zu entries, the section "
					 "holds %zu", dc->d->what, p->pid, nr, (len - off) / 16);
		p->ptes = xcalloc(nr ? nr : 1, sizeof(*p->ptes), "snapshot pagemap");
		p->nr_ptes = p->cap_ptes = nr;
		for (size_t j = 0; j < nr; j++) {
			p->ptes[j].vpn = get64(b + off + 8 * j) + (j ? p->ptes[j - 1].vpn : 0);
			p->ptes[j].entry = get64(b + off + 8 * (nr + j));
		}
		off += 16 * nr;
	}
	if (off != len)
		return snap_fail(dc->err, dc->errlen, "section PMAP (%s): %zu bytes left over",
				 dc->d->what, len - off);
	return 0;
}

static int store_u64(struct dec *dc, uint8_t *raw, size_t len)
{
	uint64_t **dst = (uint64_t **)((char *)dc->s + dc->d->field);

	if (len % 8)
		return snap_fail(dc->err, dc->errlen, "section %s (%s): %zu bytes, not whole pfns",
				 dc->d->tag, dc->d->what, len);
	if (dc->s->nr_pfns && len / 8 != dc->s->nr_pfns)
		return snap_fail(dc->err, dc->errlen,
				 "section %s (%s): %zu pfns where earlier sections have %" PRIu64,
				 dc->d->tag, dc->d->what, len / 8, dc->s->nr_pfns);
	dc->s->nr_pfns = len / 8;
	free(*dst);
	*dst = (uint64_t *)raw; /* xmalloc's alignment suits u64; little-endian host */
	return 0;
}

/* Hands raw (owned) to its place in the snapshot. */
static int store(struct dec *dc, uint8_t *raw, size_t len)
{
	int ret = 0;

	switch (dc->d->kind) {
	case SK_TEXT: {
		char **dst = (char **)((char *)dc->s + dc->d->field);

		free(*dst); /* a repeated section replaces the earlier one */
		*dst = (char *)raw;
		return 0;
	}
	case SK_U64:
		if ((ret = store_u64(dc, raw, len)))
			break;
		return 0;
	case SK_RANGES:
		if (snap_parse_ranges(dc->s, (char *)raw))
			ret = snap_fail(dc->err, dc->errlen, "section RNGE (%s): bad range line",
					dc->d->what);
		break;
	case SK_PROC:
		ret = parse_procs(dc, (char *)raw, len);
		break;
	case SK_PMAP:
		ret = parse_pmap(dc, raw, len);
		break;
	case SK_END:
		break;
	}
	free(raw);
	return ret;
}

static int inflate(struct dec *dc, const uint8_t *h, const uint8_t *payload, uint8_t **out)
{
	uint64_t raw_len = get64(h + 8), stored = get64(h + 16);
	unsigned long long fcs;
	size_t n;

	if (get32(h + 4) != ENC_ZSTD || raw_len > MAX_RAW)
		return snap_fail(dc->err, dc->errlen, "section %s (%s): unknown encoding %u or "
				 "length %" PRIu64, dc->d->tag, dc->d->what, get32(h + 4), raw_len);
	fcs = ZSTD_getFrameContentSize(payload, stored);
	if (fcs != raw_len)
		return snap_fail(dc->err, dc->errlen,
				 "section %s (%s): compressed frame does not hold %" PRIu64 " bytes",
				 dc->d->tag, dc->d->what, raw_len);
	*out = xmalloc(raw_len + 1, "snapshot section");
	n = ZSTD_decompress(*out, raw_len, payload, stored);
	if (ZSTD_isError(n) || n != raw_len) {
		free(*out);
		return snap_fail(dc->err, dc->errlen, "section %s (%s): zstd: %s", dc->d->tag,
				 dc->d->what, ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short");
	}
	(*out)[raw_len] = 0;
	return 0;
}

static int check_file_header(struct dec *dc, const uint8_t *b, size_t len)
{
	if (len < FILE_HDR || memcmp(b, SNAP_MAGIC, 8))
		return snap_fail(dc->err, dc->errlen, "not a memfail snapshot (no file header)");
	if (get32(b + 12) != snap_crc32(0, b, 12))
		return snap_fail(dc->err, dc->errlen, "file header: checksum mismatch (corrupted)");
	dc->s->version = get16(b + 8);
	dc->s->flags = get16(b + 10);
	if (dc->s->version != SNAP_FORMAT_VERSION)
		return snap_fail(dc->err, dc->errlen,
				 "snapshot format version %u; this memfail reads version %d",
				 dc->s->version, SNAP_FORMAT_VERSION);
	return 0;
}

static int decode_sections(struct dec *dc, const uint8_t *b, size_t len)
{
	const char *prev = "the file header";
	size_t off = FILE_HDR;

	while (off < len) {
		const uint8_t *h = b + off;
		uint64_t stored;
		uint8_t *raw = NULL;

		if (len - off < SECT_HDR)
			return snap_fail(dc->err, dc->errlen, "truncated: the section after %s "
					 "(offset %zu) has only %zu of its %d header bytes", prev,
					 off, len - off, SECT_HDR);
		if (get32(h + 28) != snap_crc32(0, h, 28))
			return snap_fail(dc->err, dc->errlen, "corrupted: header of the section "
					 "after %s (offset %zu): checksum mismatch", prev, off);
		dc->d = find_sect(h);
		stored = get64(h + 16);
		if (!dc->d)
			return snap_fail(dc->err, dc->errlen, "section '%.4s' at offset %zu: "
					 "unknown to format version %d", (const char *)h, off,
					 SNAP_FORMAT_VERSION);
		if (stored > len - off - SECT_HDR)
			return snap_fail(dc->err, dc->errlen, "truncated: section %s (%s) at offset "
					 "%zu has %zu of its %" PRIu64 " bytes", dc->d->tag,
					 dc->d->what, off, len - off - SECT_HDR, stored);
		if (get32(h + 24) != snap_crc32(0, h + SECT_HDR, stored))
			return snap_fail(dc->err, dc->errlen, "corrupted: section %s (%s) at offset "
					 "%zu: checksum mismatch", dc->d->tag, dc->d->what, off);
		if (inflate(dc, h, h + SECT_HDR, &raw) || store(dc, raw, get64(h + 8)))
			return -1;
		off += SECT_HDR + stored;
		prev = dc->d->what;
		if (dc->d->kind == SK_END)
			return off == len ? 0 : snap_fail(dc->err, dc->errlen, "%zu bytes after the "
							  "END section", len - off);
	}
	return snap_fail(dc->err, dc->errlen, "truncated: the file ends after section %s "
			 "(offset %zu) without an END section", prev, off);
}

int snapshot_decode(const uint8_t *b, size_t len, struct snapshot *s, char *err, size_t errlen)
{
	struct dec dc = { .s = s, .err = err, .errlen = errlen };

	memset(s, 0, sizeof(*s));
	if (check_file_header(&dc, b, len) || decode_sections(&dc, b, len)) {
		snapshot_free(s);
		return -1;
	}
	if (!s->info) {
		snapshot_free(s);
		return snap_fail(err, errlen, "section INFO (machine info) is missing");
	}
	return 0;
}

int snapshot_read(const char *path, struct snapshot *s, char *err, size_t errlen)
{
	struct stat st;
	uint8_t *b;
	size_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0 || fstat(fd, &st)) {
		ret = snap_fail(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	b = xmalloc((size_t)st.st_size + 1, "snapshot file");
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, b + off, (size_t)st.st_size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	ret = snapshot_decode(b, off, s, err, errlen);
	free(b);
	if (ret) { /* prefix the file name */
		char tmp[512];

		snprintf(tmp, sizeof(tmp), "%s", err);
		snprintf(err, errlen, "%s: %s", path, tmp);
	}
	return ret;
}
