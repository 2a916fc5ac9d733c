/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Deterministic mutation fuzzing of the parser: byte flips, truncation,
 * insertion, line duplication and deletion of valid scenarios. Every input
 * must give a tree or an error with a line number; under SAN=1 ASan and
 * UBSan check the memory behaviour of every path taken.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "memfail/scenario.h"

#ifndef ITERATIONS
#define ITERATIONS 20000
#endif

static const char *const seeds[] = {
	"scenario \"anon\"\n"
	"machine memory=512M hugepages=4\n"
	"sysctl vm.memory_failure_early_kill=1\n"
	"task A\n"
	"thread A.t2\n"
	"A: mmap buf anon private 16K fill=index\n"
	"A: madvise buf+0 4K hwpoison as P => 0\n"
	"A.t2: load buf+0x10 => SIGBUS AR addr=buf+0x10 lsb=12\n"
	"expect A signals SIGBUS AO addr=buf+0 lsb=12, SIGBUS AR addr=buf+0x10\n"
	"expect page P hwpoison !buddy\n"
	"expect A:buf+0 is P\n"
	"expect hardware-corrupted +4K\n"
	"A: exit\n",

	"scenario \"file \\\"x\\\"\"  # comment\n"
	"file disk:data size=20K fill=index synced\n"
	"file tmpfs:t size=8K hole\n"
	"task A\n"
	"task B fork A sigbus=default\n"
	"A: open f disk:data rw\n"
	"A: mmap m fd f shared 4K offset=4K populate\n"
	"A: read f 0 4K => 2K index\n"
	"A: write f 4K 4K fill=0x5a\n"
	"A: fsync f => EIO\n"
	"A: msync m\n"
	"hard-offline file disk:data+8K as H\n"
	"expect log \"recovery action\"\n"
	"expect no-log \"Sending\"\n"
	"A: close f\n"
	"A: unlink disk:data\n",

	"scenario \"system\"\n"
	"requires model\n"
	"task A\n"
	"A: mmap h anon private 2M hugetlb \\\n"
	"   populate\n"
	"corrupt-pfn A:h+4K as Q\n"
	"soft-offline free as S\n"
	"unpoison Q\n"
	"filter enable flags-mask=anon|lru flags-value=0x1000\n"
	"filter disable\n"
	"mce srao A:h+0\n"
	"mce srar A:h+0x10\n"
	"drop_caches 3\n"
	"reclaim A:h => EAGAIN\n"
	"label R = free-huge\n"
	"expect hugepages free=3 total=4\n"
	"expect A killed SIGBUS\n",

	"scenario \"huge\"\n"
	"machine thp=never shmem_thp=within_size\n"
	"file tmpfs:t size=2M fill=index\n"
	"task A\n"
	"A: mmap b anon private 2M thp fill=0x5a\n"
	"A: mmap m file tmpfs:t shared 2M thp populate\n"
	"A: pin b+4K 8K => 8K\n"
	"A: madvise b 2M collapse => EAGAIN\n"
	"A: madvise m 2M collapse\n"
	"A: madvise b 2M mergeable\n"
	"ksm-scan\n"
	"A: unpin\n"
	"A: madvise b 2M unmergeable\n",
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	/* xorshift64*: deterministic across runs and platforms */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static const char *const tokens[] = {
	" ", "\n", "\\\n", "\"", "#", "=>", ",", "+", ":", ".", "=", "0x", "K", "M", "G",
	"A:", "buf", "+0x1000", "as", "P", "expect", "task", "file", "disk:", "free", "\\",
	"18446744073709551615", "0xffffffffffffffffff", "!", "averyveryverylongname",
};

/* One mutation of buf (len bytes, capacity cap) in place; returns the new length. */
static size_t mutate(char *buf, size_t len, size_t cap)
{
	size_t pos = len ? next() % len : 0;

	switch (next() % 6) {
	case 0:	/* flip a byte */
		if (len)
			buf[pos] ^= (char)(1u << (next() % 8));
		break;
	case 1:	/* truncate */
		len = pos;
		break;
	case 2: {	/* insert a token */
		const char *t = tokens[next() % (sizeof(tokens) / sizeof(tokens[0]))];
		size_t n = strlen(t);

		if (len + n < cap) {
			memmove(buf + pos + n, buf + pos, len - pos);
			memcpy(buf + pos, t, n);
			len += n;
		}
		break;
	}
	case 3:	/* insert a random byte */
		if (len + 1 < cap) {
			memmove(buf + pos + 1, buf + pos, len - pos);
			buf[pos] = (char)next();
			len++;
		}
		break;
	case 4: {	/* duplicate the line at pos */
		size_t b = pos, e = pos;

		while (b && buf[b - 1] != '\n')
			b--;
		while (e < len && buf[e] != '\n')
			e++;
		if (e < len)
			e++;
		if (len + (e - b) < cap) {
			memmove(buf + e + (e - b), buf + e, len - e);
			memcpy(buf + e, buf + b, e - b);
			len += e - b;
		}
		break;
	}
	case 5: {	/* delete the line at pos */
		size_t b = pos, e = pos;

		while (b && buf[b - 1] != '\n')
			b--;
		while (e < len && buf[e] != '\n')
			e++;
		if (e < len)
			e++;
		memmove(buf + b, buf + e, len - e);
		len -= e - b;
		break;
	}
	}
	return len;
}

static void test_fuzz(void **state)
{
	size_t cap = 8192;
	char *buf = malloc(cap), canon[1024];
	int parsed = 0, failed = 0;

	(void)state;
	for (int it = 0; it < ITERATIONS; it++) {
		const char *seed = seeds[it % (sizeof(seeds) / sizeof(seeds[0]))];
		size_t len = strlen(seed);
		int rounds = 1 + (int)(next() % 4);
		struct mf_parse_error err;
		struct mf_scenario *sc;
		char *exact;

		memcpy(buf, seed, len);
		for (int r = 0; r < rounds; r++)
			len = mutate(buf, len, cap);
		/* an exact-size copy, so ASan sees any read past the end */
		exact = malloc(len ? len : 1);
		memcpy(exact, buf, len);
		sc = mf_scenario_parse_buf("fuzz.mf", exact, len, &err);
		if (sc) {
			parsed++;
			for (int i = 0; i < sc->nstmt; i++)
				assert_non_null(mf_stmt_canonical(&sc->stmt[i], canon, sizeof(canon)));
			mf_scenario_free(sc);
		} else {
			failed++;
			if (err.line < 1 || err.col < 1 || strncmp(err.msg, "fuzz.mf:", 8) ||
			    !strstr(err.msg, ": error: found "))
				fail_msg("iteration %d: bad error '%s'", it, err.msg);
		}
		free(exact);
	}
	free(buf);
	/* both outcomes must be exercised, or the mutations are useless */
	assert_true(parsed > ITERATIONS / 50);
	assert_true(failed > ITERATIONS / 2);
	print_message("%d parsed, %d rejected\n", parsed, failed);
}

static void test_seeds_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		struct mf_parse_error err;
		struct mf_scenario *sc = mf_scenario_parse_buf("seed.mf", seeds[i],
							       strlen(seeds[i]), &err);

		if (!sc)
			fail_msg("seed %zu: %s", i, err.msg);
		mf_scenario_free(sc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seeds_parse),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
