/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Running a list of scenario files: read and parse all first, then run each,
 * framed. Reading is careful because a scenario path is user input: only a
 * regular file or a pipe ("-" is standard input), never more than
 * MF_SCENARIO_MAX bytes, and a failed write of the trace is an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drv.h"
#include "memfail/array.h"

const char *mf_outcome_name(enum mf_outcome r)
{
	static const char *const n[] = { "pass", "FAIL", "skip", "ERROR" };

	return r >= MF_PASS && r <= MF_ERROR ? n[r] : "?";
}

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISCHR(m) ? "a character device" :
	       S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

/* Read at most MF_SCENARIO_MAX bytes of fd; -1 with the reason in msg. */
static int read_fd(int fd, const char *name, char **buf, size_t *len, char *msg, size_t ml)
{
	size_t cap = 0;
	ssize_t n;

	*buf = NULL;
	*len = 0;
	for (;;) {
		if (*len == cap) {
			cap = cap ? 2 * cap : 65536;
			*buf = xrealloc_array(*buf, cap, 1, "reading a scenario");
		}
		n = read(fd, *buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(msg, ml, "%s: error: %s", name, strerror(errno));
			return -1;
		}
		if (!n)
			return 0;
		*len += n;
		if (*len > MF_SCENARIO_MAX) {
			snprintf(msg, ml, "%s: error: larger than %d MiB, the limit for a scenario",
				 name, MF_SCENARIO_MAX >> 20);
			return -1;
		}
	}
}

/* Text of a scenario file ("-": standard input); -1 with the reason in msg. */
int mf_read_scenario(const char *path, char **buf, size_t *len, char *msg, size_t ml)
{
	bool in = !strcmp(path, "-");
	const char *name = in ? "<stdin>" : path;
	struct stat s;
	int fd, r;

	*buf = NULL;
	/* stat before open: opening a device may block or have side effects */
	if (!in && stat(path, &s)) {
		snprintf(msg, ml, "%s: error: %s", name, strerror(errno));
		return -1;
	}
	fd = in ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &s)) {
		snprintf(msg, ml, "%s: error: %s", name, strerror(errno));
		if (!in && fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(s.st_mode) && !S_ISFIFO(s.st_mode)) {
		snprintf(msg, ml, "%s: error: %s, not a scenario file (a regular file or a pipe)",
			 name, file_kind(s.st_mode));
		r = -1;
	} else if (S_ISREG(s.st_mode) && s.st_size > MF_SCENARIO_MAX) {
		snprintf(msg, ml, "%s: error: larger than %d MiB, the limit for a scenario", name,
			 MF_SCENARIO_MAX >> 20);
		r = -1;
	} else {
		r = read_fd(fd, name, buf, len, msg, ml);
	}
	if (!in)
		close(fd);
	if (r) {
		free(*buf);
		*buf = NULL;
	}
	return r;
}

static void report(FILE *err, bool json, const char *file, int line, int col, const char *msg)
{
	json_object *o;

	if (!json) {
		fprintf(err, "%s\n", msg);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "event", json_object_new_string("error"));
	json_object_object_add(o, "file", json_object_new_string(file));
	if (line) {
		json_object_object_add(o, "line", json_object_new_int(line));
		json_object_object_add(o, "col", json_object_new_int(col));
	}
	json_object_object_add(o, "text", json_object_new_string(msg));
	fprintf(err, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static struct mf_scenario *parse_one(const char *path, FILE *err, bool json)
{
	struct mf_parse_error pe = { 0 };
	struct mf_scenario *sc = NULL;
	char *buf;
	size_t len;

	if (!mf_read_scenario(path, &buf, &len, pe.msg, sizeof(pe.msg)))
		sc = mf_scenario_parse_buf(strcmp(path, "-") ? path : "<stdin>", buf ? buf : "",
					   len, &pe);
	if (!sc)
		report(err, json, path, pe.line, pe.col, pe.msg);
	free(buf);
	return sc;
}

/* Parse every file; NULL if any failed (errors printed). */
static struct mf_scenario **parse_all(char **files, int n, FILE *err, bool json)
{
	struct mf_scenario **sc = xcalloc(n ? n : 1, sizeof(*sc), "parsing scenarios");
	bool bad = false;
	int stdin_at = -1;

	for (int i = 0; i < n; i++) {
		if (!strcmp(files[i], "-") && stdin_at >= 0) {
			report(err, json, "-", 0, 0, "-: error: standard input named twice");
			bad = true;
			continue;
		}
		if (!strcmp(files[i], "-"))
			stdin_at = i;
		sc[i] = parse_one(files[i], err, json);
		bad |= !sc[i];
	}
	if (!bad)
		return sc;
	for (int i = 0; i < n; i++)
		mf_scenario_free(sc[i]);
	free(sc);
	return NULL;
}

int mf_check_files_opts(char **files, int n, const struct mf_run_opts *o)
{
	struct mf_scenario **sc = parse_all(files, n, o->err ? o->err : stderr, o->json);

	if (!sc)
		return MF_EXIT_USAGE;
	for (int i = 0; i < n; i++)
		mf_scenario_free(sc[i]);
	free(sc);
	return MF_EXIT_OK;
}

int mf_check_files(char **files, int n, FILE *err)
{
	struct mf_run_opts o = { .err = err };

	return mf_check_files_opts(files, n, &o);
}

/*
 * Did writing the trace fail? A closed pipe ends the run quietly; any other
 * error is reported: a trace that was not written is no result.
 */
static bool out_failed(FILE *out, FILE *err)
{
	int e;

	errno = 0;
	if (!fflush(out) && !ferror(out))
		return false;
	e = errno;
	if (e != EPIPE)
		fprintf(err, "memfail: cannot write the trace: %s\n",
			e ? strerror(e) : "write error");
	return true;
}

/*
 * TAP: the scenario's trace (in buf) as "# " diagnostics, then its result line;
 * a skip's reason goes on the result line, as kselftest's "# SKIP".
 */
static void tap_result(FILE *out, int n, const char *file, enum mf_outcome r, const char *buf)
{
	const char *skip = NULL, *l, *e;

	for (l = buf; l && *l; l = e ? e + 1 : NULL) {
		e = strchr(l, '\n');
		if (r == MF_SKIP && !skip && !strncmp(l, "skip: ", 6)) {
			skip = l + 6;
			continue;
		}
		fprintf(out, "# %.*s\n", (int)(e ? e - l : (ptrdiff_t)strlen(l)), l);
	}
	if (r == MF_SKIP)
		fprintf(out, "ok %d %s # SKIP %.*s\n", n, file,
			skip ? (int)strcspn(skip, "\n") : 0, skip ? skip : "");
	else
		fprintf(out, "%sok %d %s\n", r == MF_PASS ? "" : "not ", n, file);
}

static enum mf_outcome run_one(struct mf_backend *(*make_backend)(void *ctx), void *ctx,
			       struct mf_scenario *sc, const struct mf_run_opts *o, FILE *out)
{
	struct mf_backend *be = make_backend(ctx);
	enum mf_outcome r;

	if (!be) {
		struct drv d = { .sc = sc, .o = o, .out = out };

		tr_error(&d, 1, "no back end to run the scenario on");
		return MF_ERROR;
	}
	r = mf_run_scenario(be, sc, o, out);
	be->ops->destroy(be);
	return r;
}

/* One scenario, framed as the options say; the outcome. */
static enum mf_outcome run_framed(struct mf_backend *(*make_backend)(void *ctx), void *ctx,
				  struct mf_scenario *sc, const struct mf_run_opts *o,
				  const char *file, int nth, bool multi, FILE *out)
{
	enum mf_outcome r;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;

	if (!o->tap) {
		if (multi)
			tr_frame(out, o, file, NULL);
		r = run_one(make_backend, ctx, sc, o, out);
		if (multi)
			tr_frame(out, o, file, mf_outcome_name(r));
		return r;
	}
	mem = open_memstream(&buf, &len);
	if (!mem)
		mf_oom("a TAP trace");
	r = run_one(make_backend, ctx, sc, o, mem);
	fclose(mem);
	tap_result(out, nth, file, r, buf);
	free(buf);
	return r;
}

static void tap_summary(FILE *out, const int *count)
{
	fprintf(out, "# %d passed, %d failed, %d skipped\n", count[MF_PASS],
		count[MF_FAIL] + count[MF_ERROR], count[MF_SKIP]);
	fprintf(out, "# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:%d\n",
		count[MF_PASS], count[MF_FAIL], count[MF_SKIP], count[MF_ERROR]);
}

int mf_run_files(struct mf_backend *(*make_backend)(void *ctx), void *ctx, char **files, int n,
		 const struct mf_run_opts *o, FILE *out)
{
	FILE *err = o->err ? o->err : stderr;
	struct mf_scenario **sc = parse_all(files, n, err, o->json);
	int count[4] = { 0 }, i;
	bool multi = n > 1;

	if (!sc)
		return MF_EXIT_USAGE;
	for (i = 0; i < n && o->kernel; i++)
		snprintf(sc[i]->kernel, sizeof(sc[i]->kernel), "%s", o->kernel);
	if (o->tap)
		fprintf(out, "TAP version 13\n1..%d\n", n);
	for (i = 0; i < n; i++) {
		count[run_framed(make_backend, ctx, sc[i], o, files[i], i + 1, multi, out)]++;
		mf_scenario_free(sc[i]);
		if (out_failed(out, err))
			break;
	}
	if (i < n) {
		while (++i < n)
			mf_scenario_free(sc[i]);
		free(sc);
		return MF_EXIT_FAIL;
	}
	free(sc);
	if (o->tap)
		tap_summary(out, count);
	else if (multi)
		tr_summary(out, o, n, count[MF_PASS], count[MF_FAIL], count[MF_SKIP],
			   count[MF_ERROR]);
	if (out_failed(out, err))
		return MF_EXIT_FAIL;
	if (count[MF_FAIL] || count[MF_ERROR])
		return MF_EXIT_FAIL;
	if (n && count[MF_SKIP] == n)
		return MF_EXIT_SKIP;
	return MF_EXIT_OK;
}
