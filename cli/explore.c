/* SPDX-License-Identifier: GPL-2.0-only */
/* memfail explore FILE [--preemptions K] [--max-states N] [--json] [-o PREFIX] (docs/explore.md) */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>

#include "memfail/driver.h"
#include "memfail/explore.h"


static int explore_usage(void)
{
	fprintf(stderr, "usage: memfail explore FILE [--preemptions K] [--max-states N] [--json] "
		"[-o PREFIX]\n");
	return MF_EXIT_USAGE;
}

/* A count for OPT from 0 to max, or a message saying what is wrong with it. */
static int number(const char *opt, const char *s, long max, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 0);
	if (*s && !*end && !errno && *v >= 0 && *v <= max)
		return 0;
	fprintf(stderr, "memfail explore: --%s '%s': expected a number from 0 to %ld\n", opt, s, max);
	return -1;
}

int memfail_cmd_explore(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "preemptions", required_argument, NULL, 'p' },
		{ "max-states", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct mf_explore_opts o = { .preemptions = 2 };
	struct mf_explore_result res;
	long v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (number("preemptions", optarg, 16, &v))
				return explore_usage();
			o.preemptions = (int)v;
			break;
		case 'm':
			if (number("max-states", optarg, LONG_MAX - 1, &v))
				return explore_usage();
			o.max_states = v;
			break;
		case 'j': o.json = true; break;
		case 'o': o.cex_prefix = optarg; break;
		default: return explore_usage();
		}
	}
	if (optind != argc - 1)
		return explore_usage();
	return mf_explore_file(argv[optind], &o, stdout, &res);
}
