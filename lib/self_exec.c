// SPDX-License-Identifier: GPL-2.0-only
/* Running the command line again in a sibling program: see include/memfail/self_exec.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memfail/array.h"
#include "memfail/self_exec.h"

int mf_self_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len);

	if (n < 0)
		return -1;
	if ((size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	buf[n] = '\0';
	return 0;
}

/* The whole command line (a subcommand's argv lacks the program; getopt reorders argv). */
static char **self_argv(void)
{
	FILE *f = fopen("/proc/self/cmdline", "r");
	char **v = NULL, *line = NULL;
	size_t n = 0, cap = 0, len = 0;

	if (!f)
		return NULL;
	while (getdelim(&line, &len, '\0', f) > 0)
		ARRAY_PUSH(v, n, cap, xstrdup(line, "the command line"), "the command line");
	ARRAY_PUSH(v, n, cap, NULL, "the command line");
	free(line);
	fclose(f);
	return v;
}

int mf_exec_sibling(const char *name, char *path, size_t len)
{
	char *slash;
	char **v;
	int e;

	if (mf_self_path(path, len))
		goto no_path;
	slash = strrchr(path, '/');
	slash = slash ? slash + 1 : path;
	if (strlen(name) >= len - (size_t)(slash - path)) {
		errno = ENAMETOOLONG;
		goto no_path;
	}
	strcpy(slash, name);
	if (access(path, X_OK) || !(v = self_argv()))
		return -1;
	fflush(NULL);
	execv(path, v);
	e = errno;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
	errno = e;
	return -1;
no_path:
	/* path names the program as well as it can for a message: its name alone */
	e = errno;
	snprintf(path, len, "%s", name);
	errno = e;
	return -1;
}
