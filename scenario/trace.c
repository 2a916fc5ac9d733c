/* SPDX-License-Identifier: GPL-2.0-only */
/* Trace output: the normalized text trace (spec section 9) or one JSON object per line. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drv.h"
#include "memfail/array.h"

static void jprint(FILE *out, json_object *o)
{
	fprintf(out, "%s\n",
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static json_object *jev(const char *event)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string(event));
	return o;
}

static void jstr(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

void tr_step(struct drv *d, int line, const char *text, const char *result)
{
	json_object *o;

	if (d->o->quiet)
		return;
	if (!d->o->json) {
		fprintf(d->out, "step %d %s = %s\n", line, text, result);
		return;
	}
	o = jev("step");
	json_object_object_add(o, "line", json_object_new_int(line));
	jstr(o, "step", text);
	jstr(o, "result", result);
	jprint(d->out, o);
}

void tr_log(struct drv *d, const char *text)
{
	json_object *o;

	if (d->o->quiet)
		return;
	if (!d->o->json) {
		fprintf(d->out, "  log %s\n", text);
		return;
	}
	o = jev("log");
	jstr(o, "text", text);
	jprint(d->out, o);
}

void tr_signal(struct drv *d, const char *who, const char *sig)
{
	json_object *o;

	if (d->o->quiet)
		return;
	if (!d->o->json) {
		fprintf(d->out, "  signal %s %s\n", who, sig);
		return;
	}
	o = jev("signal");
	jstr(o, "task", who);
	jstr(o, "signal", sig);
	jprint(d->out, o);
}

void tr_killed(struct drv *d, const char *who, const char *how, bool exited)
{
	json_object *o;

	if (d->o->quiet)
		return;
	if (!d->o->json) {
		fprintf(d->out, "  killed %s %s\n", who, how);
		return;
	}
	o = jev("killed");
	jstr(o, "task", who);
	jstr(o, exited ? "status" : "signal", how);
	jprint(d->out, o);
}

void tr_oops(struct drv *d, const char *function)
{
	json_object *o;

	if (d->o->quiet)
		return;
	if (!d->o->json) {
		fprintf(d->out, "  oops %s\n", function);
		return;
	}
	o = jev("oops");
	jstr(o, "function", function);
	jprint(d->out, o);
}

void tr_counter(struct drv *d, const char *value)
{
	json_object *o;

	if (d->o->quiet)
		return;
	if (!d->o->json) {
		fprintf(d->out, "  hardware-corrupted %s\n", value);
		return;
	}
	o = jev("counter");
	jstr(o, "name", "hardware-corrupted");
	jstr(o, "value", value);
	jprint(d->out, o);
}

/* fail, error and skip print even when quiet: they are what quiet is for. */
static void tr_problem(struct drv *d, const char *ev, int line, const char *msg)
{
	json_object *o;

	if (!d->o->json) {
		if (!strcmp(ev, "skip"))
			fprintf(d->out, "skip: %s\n", msg);
		else if (!strcmp(ev, "error"))
			fprintf(d->out, "%s:%d: error: %s\n", d->sc->path, line, msg);
		else
			fprintf(d->out, "%s:%d: %s\n", d->sc->path, line, msg);
		return;
	}
	o = jev(ev);
	jstr(o, "file", d->sc->path);
	if (line)
		json_object_object_add(o, "line", json_object_new_int(line));
	jstr(o, "text", msg);
	jprint(d->out, o);
}

void tr_fail(struct drv *d, int line, const char *msg)
{
	tr_problem(d, "fail", line, msg);
}

void tr_error(struct drv *d, int line, const char *msg)
{
	tr_problem(d, "error", line, msg);
}

void tr_skip(struct drv *d, int line, const char *msg)
{
	if (!d->o->quiet)
		tr_problem(d, "skip", line, msg);
}

void tr_note(struct drv *d, const char *msg)
{
	json_object *o;

	if (d->o->quiet)
		return;
	if (!d->o->json) {
		fprintf(d->out, "note: %s\n", msg);
		return;
	}
	o = jev("note");
	jstr(o, "text", msg);
	jprint(d->out, o);
}

void tr_dmesg(struct drv *d, const char *text)
{
	json_object *o;

	if (!d->o->json) {
		size_t n = strlen(text);

		fprintf(d->out, "--- kernel log ---\n%s%s--- end of kernel log ---\n", text,
			n && text[n - 1] != '\n' ? "\n" : "");
		return;
	}
	o = jev("dmesg");
	jstr(o, "text", text);
	jprint(d->out, o);
}

void tr_state(struct drv *d)
{
	char *text = NULL;
	size_t n = 0;
	FILE *mem;
	json_object *o;

	if (!d->o->json) {
		fprintf(d->out, "--- state ---\n");
		d->be->ops->dump_state(d->be, d->out);
		return;
	}
	/* JSON mode prints only JSON: the dump becomes one string */
	mem = open_memstream(&text, &n);
	if (!mem)
		mf_oom("the state dump");
	d->be->ops->dump_state(d->be, mem);
	if (fclose(mem))
		mf_oom("the state dump");
	o = jev("state");
	jstr(o, "text", text);
	jprint(d->out, o);
	free(text);
}

void tr_frame(FILE *out, const struct mf_run_opts *o, const char *file, const char *result)
{
	json_object *j;

	if (o->quiet && (!result || !strcmp(result, "pass") || !strcmp(result, "skip")))
		return;
	if (!o->json) {
		if (result)
			fprintf(out, "=== %s: %s\n", file, result);
		else
			fprintf(out, "=== %s\n", file);
		return;
	}
	j = jev(result ? "result" : "file");
	jstr(j, "file", file);
	if (result)
		jstr(j, "result", result);
	jprint(out, j);
}

void tr_summary(FILE *out, const struct mf_run_opts *o, int n, int p, int f, int s, int e)
{
	json_object *j;

	if (!o->json) {
		fprintf(out, "=== %d scenarios: %d passed, %d failed, %d skipped, %d errors\n", n, p,
			f, s, e);
		return;
	}
	j = jev("summary");
	json_object_object_add(j, "scenarios", json_object_new_int(n));
	json_object_object_add(j, "passed", json_object_new_int(p));
	json_object_object_add(j, "failed", json_object_new_int(f));
	json_object_object_add(j, "skipped", json_object_new_int(s));
	json_object_object_add(j, "errors", json_object_new_int(e));
	jprint(out, j);
}
