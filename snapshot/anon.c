// SPDX-License-Identifier: GPL-2.0-only
/*
 * --anonymize: process names, mapped paths, mount points, devices, swap files
 * and the host name become SipHash-2-4 hashes under a key kept in the
 * user's config directory, so two snapshots of one machine share their
 * hashes while nobody without the key can test guesses against them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memfail/array.h"
#include "memfail/snapshot.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void sipround(uint64_t v[4])
{
	v[0] += v[1], v[1] = ROTL(v[1], 13), v[1] ^= v[0], v[0] = ROTL(v[0], 32);
	v[2] += v[3], v[3] = ROTL(v[3], 16), v[3] ^= v[2];
	v[0] += v[3], v[3] = ROTL(v[3], 21), v[3] ^= v[0];
	v[2] += v[1], v[1] = ROTL(v[1], 17), v[1] ^= v[2], v[2] = ROTL(v[2], 32);
}

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8), m;
	uint64_t v[4] = { k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
			  k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL };
	uint8_t last[8] = { 0 };
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		m = le64(p + i);
		v[3] ^= m, sipround(v), sipround(v), v[0] ^= m;
	}
	memcpy(last, p + i, len - i);
	last[7] = (uint8_t)len;
	m = le64(last);
	v[3] ^= m, sipround(v), sipround(v), v[0] ^= m;
	v[2] ^= 0xff;
	for (int r = 0; r < 4; r++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* $MEMFAIL_ANON_KEY (32 hex digits), else ~/.config/memfail/anon-key, made once. */
void snap_anon_key(uint8_t key[16])
{
	const char *env = getenv("MEMFAIL_ANON_KEY"), *home = getenv("HOME");
	char path[512];
	int fd;

	if (env && strlen(env) == 32) {
		for (int i = 0; i < 16; i++)
			sscanf(env + 2 * i, "%2hhx", &key[i]);
		return;
	}
	snprintf(path, sizeof(path), "%s/.config/memfail", home ? home : ".");
	if ((fd = open(strcat(path, "/anon-key"), O_RDONLY | O_CLOEXEC)) >= 0) {
		ssize_t n = read(fd, key, 16);

		close(fd);
		if (n == 16)
			return;
	}
	if (getrandom(key, 16, 0) != 16) {
		fprintf(stderr, "memfail: getrandom: %s\n", strerror(errno));
		exit(1);
	}
	*strrchr(path, '/') = 0;
	mkdir(path, 0700);
	fd = open(strcat(path, "/anon-key"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, key, 16) != 16)
		fprintf(stderr, "memfail: %s: %s (the hashes will differ next time)\n", path,
			strerror(errno));
	if (fd >= 0)
		close(fd);
}

static char *hashed(const uint8_t key[16], const char *prefix, const char *s, size_t len)
{
	char out[40];

	snprintf(out, sizeof(out), "%s%012llx", prefix,
		 (unsigned long long)(siphash24(key, s, len) >> 16));
	return xstrdup(out, "anonymized name");
}

/* Kernel pseudo-paths ([heap], [stack], [vdso], ...) carry no secret; [anon:NAME] does. */
static char *anon_path(const uint8_t key[16], const char *path)
{
	const char *del = strstr(path, " (deleted)");
	size_t len = del ? (size_t)(del - path) : strlen(path);
	char *h, *out;

	if (!*path || (path[0] == '[' && strncmp(path, "[anon:", 6)))
		return xstrdup(path, "mapped path");
	h = hashed(key, "/h-", path, len);
	if (!del)
		return h;
	out = xmalloc(strlen(h) + 11, "mapped path");
	strcpy(out, h);
	strcat(out, " (deleted)");
	free(h);
	return out;
}

/* Mounts and swaps: hash the first two fields, keep the type, drop options. */
static char *anon_table(const uint8_t key[16], const char *t, bool mounts)
{
	char *out = xstrdup("", "anonymized table"), *copy = xstrdup(t, "anonymized table");

	for (char *l = copy, *e; *l; l = e + 1) {
		char dev[4096], dir[4096], type[64], rest[16] = "";
		char *hd, *hm;
		size_t n, old;

		if (!(e = strchr(l, '\n')))
			break;
		*e = 0;
		if (sscanf(l, "%4095s %4095s %63s %15[^, ]", dev, dir, type, rest) < 3 ||
		    (!mounts && !strcmp(dev, "Filename")))
			continue;
		hd = hashed(key, "d-", dev, strlen(dev));
		hm = mounts ? hashed(key, "/h-", dir, strlen(dir)) : xstrdup(dir, "swap type");
		n = strlen(out) + strlen(hd) + strlen(hm) + strlen(type) + strlen(rest) + 8;
		out = xrealloc_array(out, n, 1, "anonymized table");
		old = strlen(out);
		snprintf(out + old, n - old, "%s %s %s %s\n", hd, hm, type, rest);
		free(hd), free(hm);
	}
	free(copy);
	return out;
}

void snap_anonymize(struct snapshot *s, const uint8_t key[16])
{
	char *host = strstr(s->info, "hostname=");

	if (host && (host == s->info || host[-1] == '\n')) {
		size_t len = strcspn(host + 9, "\n");
		char *h = hashed(key, "h-", host + 9, len);
		char *info = xmalloc(strlen(s->info) + strlen(h) + 1, "snapshot info");

		sprintf(info, "%.*s%s%s", (int)(host + 9 - s->info), s->info, h, host + 9 + len);
		free(h);
		free(s->info);
		s->info = info;
	}
	for (size_t i = 0; i < s->nr_procs; i++) {
		struct snap_proc *p = &s->procs[i];
		char *c = hashed(key, "c-", p->comm, strlen(p->comm));

		free(p->comm);
		p->comm = c;
		for (size_t j = 0; j < p->nr_maps; j++) {
			char *np = anon_path(key, p->maps[j].path);

			free(p->maps[j].path);
			p->maps[j].path = np;
		}
	}
	if (s->mounts) {
		char *m = anon_table(key, s->mounts, true);

		free(s->mounts);
		s->mounts = m;
	}
	if (s->swaps) {
		char *m = anon_table(key, s->swaps, false);

		free(s->swaps);
		s->swaps = m;
	}
	s->flags |= SNAP_FLAG_ANONYMIZED;
}
