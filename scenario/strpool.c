/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The strings a parsed scenario's statements point to (file names, sysctl
 * keys and values): copied into chunks freed with the scenario, so a
 * statement holds a pointer instead of a fixed buffer and no statement owns
 * a string of its own.
 */
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "parse.h"

#define CHUNK 65536

struct mf_strpool {
	char **chunk;
	size_t nchunk, capchunk;
	size_t used;		/* bytes used in the last chunk */
};

const char *sc_strdup(struct mf_scenario *sc, const char *s)
{
	struct mf_strpool *sp = sc->strings;
	size_t n = strlen(s) + 1;
	char *d;

	if (!sp)
		sp = sc->strings = xcalloc(1, sizeof(*sp), "keeping scenario strings");
	if (!sp->nchunk || sp->used + n > CHUNK) {
		ARRAY_GROW(sp->chunk, sp->nchunk, sp->capchunk, "keeping scenario strings");
		sp->chunk[sp->nchunk++] = xmalloc(n > CHUNK ? n : CHUNK, "keeping scenario strings");
		sp->used = 0;
	}
	d = sp->chunk[sp->nchunk - 1] + sp->used;
	memcpy(d, s, n);
	sp->used += n;
	return d;
}

void sc_strpool_free(struct mf_scenario *sc)
{
	struct mf_strpool *sp = sc->strings;

	if (!sp)
		return;
	for (size_t i = 0; i < sp->nchunk; i++)
		free(sp->chunk[i]);
	free(sp->chunk);
	free(sp);
	sc->strings = NULL;
}
