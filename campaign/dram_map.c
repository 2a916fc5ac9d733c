// SPDX-License-Identifier: GPL-2.0-only
/*
 * Physical address -> DRAM coordinates. One linear interleave, low bits to
 * high: 3 bits of byte within a 64-bit bus word, the column, the bank, the
 * rank, the DIMM, then the row. So a DRAM row of one bank of one rank is
 * columns * 8 contiguous bytes (8 KiB for 1024 columns: two pages), a column
 * fault touches one page in every row of its bank, and a bank fault touches
 * 1/(banks*ranks*dimms) of memory spread evenly. Real controllers hash bank
 * bits; the footprint sizes, which is what offlining policies see, are the
 * same.
 */
#include <stdio.h>

#include "memfail/campaign.h"

static unsigned ilog2u(uint64_t v)
{
	unsigned n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

int cp_dram_check(const struct cp_dram *d, char *err, size_t errlen)
{
	uint64_t span;

	if (!pow2(d->dimms) || !pow2(d->ranks) || !pow2(d->banks) || !pow2(d->columns)) {
		snprintf(err, errlen, "dimms, ranks, banks and columns must be powers of two");
		return -1;
	}
	if (d->columns * 8 < MF_PAGE_SIZE / 2) {
		snprintf(err, errlen, "a DRAM row must be at least 2K (columns >= 256)");
		return -1;
	}
	span = (uint64_t)d->columns * 8 * d->banks * d->ranks * d->dimms;
	if (!d->devices || d->memory % span || !pow2(d->memory / span)) {
		snprintf(err, errlen,
			 "memory must be a power-of-two multiple of columns*8*banks*ranks*dimms "
			 "(%llu bytes)", (unsigned long long)span);
		return -1;
	}
	return 0;
}

uint64_t cp_dram_rows(const struct cp_dram *d)
{
	return d->memory / ((uint64_t)d->columns * 8 * d->banks * d->ranks * d->dimms);
}

void cp_dram_decode(const struct cp_dram *d, uint64_t phys, struct cp_dram_addr *a)
{
	uint64_t v = phys >> 3;

	a->col = v & (d->columns - 1);
	v >>= ilog2u(d->columns);
	a->bank = v & (d->banks - 1);
	v >>= ilog2u(d->banks);
	a->rank = v & (d->ranks - 1);
	v >>= ilog2u(d->ranks);
	a->dimm = v & (d->dimms - 1);
	v >>= ilog2u(d->dimms);
	a->row = v;
}

uint64_t cp_dram_encode(const struct cp_dram *d, const struct cp_dram_addr *a)
{
	uint64_t v = a->row;

	v = (v << ilog2u(d->dimms)) | a->dimm;
	v = (v << ilog2u(d->ranks)) | a->rank;
	v = (v << ilog2u(d->banks)) | a->bank;
	v = (v << ilog2u(d->columns)) | a->col;
	return v << 3;
}

uint64_t cp_dram_row_key(const struct cp_dram_addr *a)
{
	return (a->row << 24) | ((uint64_t)a->dimm << 16) | ((uint64_t)a->rank << 8) | a->bank;
}

size_t cp_dram_row_pfns(const struct cp_dram *d, const struct cp_dram_addr *a, uint64_t *pfns,
			size_t max)
{
	struct cp_dram_addr x = *a;
	uint64_t last = UINT64_MAX;
	size_t n = 0;

	/* A row shorter than a page shares its page with the next bank's row. */
	for (x.col = 0; x.col < d->columns && n < max; x.col += MF_PAGE_SIZE / 8 / 2) {
		uint64_t pfn = cp_dram_encode(d, &x) / MF_PAGE_SIZE;

		if (pfn != last)
			pfns[n++] = last = pfn;
	}
	return n;
}
