// SPDX-License-Identifier: GPL-2.0-only
/*
 * xoshiro256** (Blackman and Vigna) seeded through splitmix64: integer-only,
 * so a campaign draws the same numbers on every host and compiler. Floating
 * results are derived with correctly rounded operations only (and log(),
 * which glibc rounds correctly for doubles on every architecture it supports).
 */
#include <math.h>

#include "memfail/campaign.h"

uint64_t cp_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void cp_rng_seed(struct cp_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = cp_splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t cp_rng_next(struct cp_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double cp_rng_uniform(struct cp_rng *r)
{
	return (double)(cp_rng_next(r) >> 11) * 0x1.0p-53;
}

double cp_rng_exp(struct cp_rng *r, double mean)
{
	return -mean * log(1.0 - cp_rng_uniform(r));
}

/* Lemire's nearly divisionless method would do; plain rejection is enough here. */
uint64_t cp_rng_below(struct cp_rng *r, uint64_t n)
{
	uint64_t lim, x;

	if (n <= 1)
		return 0;
	lim = UINT64_MAX - UINT64_MAX % n;
	do
		x = cp_rng_next(r);
	while (x >= lim);
	return x % n;
}

/* Counting exponential gaps: exact, and cheap for the small means campaigns use. */
long cp_rng_poisson(struct cp_rng *r, double mean)
{
	double t = 0;
	long k = 0;

	if (mean <= 0)
		return 0;
	for (;;) {
		t += cp_rng_exp(r, 1.0);
		if (t > mean)
			return k;
		k++;
	}
}
