/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: the scenario parser alone. Every input must give a tree
 * or an error message naming a line; sanitizers catch the rest.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_parse_error err;
	struct mf_scenario *sc;

	memset(&err, 0, sizeof(err));
	sc = mf_scenario_parse_buf("fuzz.mf", (const char *)data, size, &err);
	if (!sc && !strstr(err.msg, "fuzz.mf"))
		abort();	/* an error that does not say where */
	mf_scenario_free(sc);
	return 0;
}
