/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * memfail-linux: the conformance runner. Runs scenario files on the real
 * kernel it is running on, with the same parser and driver as `memfail run`,
 * so the two traces can be compared byte for byte. It poisons real memory:
 * it refuses to run outside a virtual machine booted for it.
 *
 *   memfail-linux [--quiet] [--json] [--log] [--raw] [--kernel V]
 *                 [--i-know-this-poisons-real-memory] FILE...
 *
 * --kernel V: the kernel version this guest was booted for (conformance/run.sh
 * passes the booted image's "6.12"); without it, the scenario's kernel line.
 */
#include <stdio.h>
#include <string.h>

#include "memfail/driver.h"
#include "memfail/linux_backend.h"
#include "lb.h"

static struct mf_backend *make_backend(void *ctx)
{
	(void)ctx;
	return mf_linux_backend_new();
}

static int usage(void)
{
	fprintf(stderr, "usage: memfail-linux [--quiet] [--json] [--log] [--raw] "
			"[--kernel V] [--i-know-this-poisons-real-memory] FILE...\n");
	return MF_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct mf_run_opts o = { 0 };
	bool force = false, raw = false;
	char why[256];
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		if (!strcmp(argv[i], "--quiet"))
			o.quiet = true;
		else if (!strcmp(argv[i], "--json"))
			o.json = true;
		else if (!strcmp(argv[i], "--log"))
			o.log = true;
		else if (!strcmp(argv[i], "--raw"))
			raw = true;
		else if (!strcmp(argv[i], "--kernel") && i + 1 < argc)
			o.kernel = lb_kernel = argv[++i];	/* and its expectations */
		else if (!strcmp(argv[i], "--i-know-this-poisons-real-memory"))
			force = true;
		else if (!strcmp(argv[i], "--"))
			break;
		else
			return usage();
	}
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i >= argc)
		return usage();
	if (!raw && mf_check_files_limits(argv + i, argc - i, "linux", mf_linux_limits(), stderr))
		return MF_EXIT_USAGE;
	if (!force && !mf_linux_guest_ok(why, sizeof(why))) {
		fprintf(stderr, "memfail-linux: refusing to run: %s.\n"
			"This program poisons real memory with madvise(MADV_HWPOISON) and the\n"
			"hwpoison debugfs: run it in a disposable VM (make conformance), or pass\n"
			"--i-know-this-poisons-real-memory.\n", why);
		return MF_EXIT_USAGE;
	}
	if (mf_linux_setup(why, sizeof(why))) {
		fprintf(stderr, "memfail-linux: %s\n", why);
		return MF_EXIT_FAIL;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (raw) {
		int rc = 0;

		for (; i < argc; i++) {
			int r = lb_raw_run(argv[i]);

			if (r && r != 77)
				rc = MF_EXIT_FAIL;
		}
		return rc;
	}
	return mf_run_files(make_backend, NULL, argv + i, argc - i, &o, stdout);
}
