/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * main() for a fuzz target built without libFuzzer: runs the target once on
 * each file named, so `make check` replays tests/fuzz/regressions/ with any
 * compiler. Prints "ok FILE" per file; a crash or an abort is the failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "memfail/driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		char *buf, msg[512];
		size_t len;

		if (mf_read_scenario(argv[i], &buf, &len, msg, sizeof(msg))) {
			fprintf(stderr, "%s\n", msg);
			return 1;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
		free(buf);
		printf("ok %s\n", argv[i]);
	}
	return 0;
}
