// SPDX-License-Identifier: GPL-2.0-only
/* `memfail exposure` output: tables for people, JSON for programs. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/snapshot.h"

#define TOP 25

static double gib(uint64_t pages) { return (double)pages * 4096.0 / (1ULL << 30); }
static double mib(uint64_t pages) { return (double)pages * 4096.0 / (1ULL << 20); }

/* Names come from the machine: no control characters into a terminal. */
const char *snap_printable(const char *s, char *buf, size_t len)
{
	size_t i = 0;

	for (; s[i] && i + 1 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = 0;
	return buf;
}

const char *snap_size(uint64_t pages, char *buf, size_t len)
{
	if (pages < 256)
		snprintf(buf, len, "%llu page%s", (unsigned long long)pages, pages == 1 ? "" : "s");
	else if (pages < 256 * 1024)
		snprintf(buf, len, "%.1f MiB", mib(pages));
	else
		snprintf(buf, len, "%.2f GiB", gib(pages));
	return buf;
}

enum verdict { V_MACHINE, V_PROCESS, V_HARMLESS, V_UNKNOWN, V_NR };

static enum verdict verdict(enum exp_class c)
{
	switch (c) {
	case EXP_RESERVED: case EXP_SLAB: case EXP_PGTABLE: case EXP_KERNEL:
		return V_MACHINE;
	case EXP_UNKNOWN:
		return V_UNKNOWN;
	default:
		return exp_classes[c].kills ? V_PROCESS : V_HARMLESS;
	}
}

static const char *sigbus_disposition(const struct snap_proc *p)
{
	if (p->sigign & SNAP_SIGBUS_BIT)
		return "ignored";
	if (p->sigblk & SNAP_SIGBUS_BIT)
		return "blocked";
	return p->sigcgt & SNAP_SIGBUS_BIT ? "caught" : "default";
}

/*
 * Early kill sends BUS_MCEERR_AO with send_sig_mceerr: an ignored signal is
 * lost, a blocked one waits. The late (on-access) BUS_MCEERR_AR is forced:
 * blocked or ignored, the handler is reset and the task dies.
 */
static const char *on_error(const struct exposure *e, const struct snap_proc *p)
{
	bool caught = p->sigcgt & SNAP_SIGBUS_BIT, blk = p->sigblk & SNAP_SIGBUS_BIT;

	if (e->early_kill == 1) {
		if (p->sigign & SNAP_SIGBUS_BIT)
			return "AO lost (ignored); AR kills on access";
		if (blk)
			return "AO pending (blocked); AR kills on access";
		return caught ? "AO at once, handler runs" : "AO at once: killed";
	}
	return caught && !blk && !(p->sigign & SNAP_SIGBUS_BIT) ? "AR on access, handler runs"
								  : "AR on access: killed";
}

static void print_summary(const struct exposure *e, FILE *out)
{
	uint64_t ram = e->nr_pfns - e->count[EXP_NOT_RAM], v[V_NR] = { 0 };

	fprintf(out, "%-20s %10s %9s %7s  what %s's memory_failure does\n", "outcome", "pages",
		"GiB", "%RAM", e->kernel);
	for (int c = 0; c < EXP_NR_CLASSES; c++) {
		if (!e->count[c])
			continue;
		if (c != EXP_NOT_RAM)
			v[verdict(c)] += e->count[c];
		fprintf(out, "%-20s %10llu %9.3f %6.2f%%  %s\n", exp_classes[c].label,
			(unsigned long long)e->count[c], gib(e->count[c]),
			c == EXP_NOT_RAM || !ram ? 0.0 : 100.0 * (double)e->count[c] / (double)ram,
			exp_classes[c].outcome);
	}
	fprintf(out, "%-20s %10llu %9.3f\n", "pfns scanned", (unsigned long long)e->nr_pfns,
		gib(e->nr_pfns));
	if (!ram)
		return;
	fprintf(out, "\nAn uncorrected error in a random page of RAM (%.2f GiB):\n", gib(ram));
	fprintf(out, "  %6.2f%%  kernel memory: ignored; the machine goes down if the kernel "
		     "consumes it\n", 100.0 * (double)v[V_MACHINE] / (double)ram);
	fprintf(out, "  %6.2f%%  process memory: data lost, the processes mapping it get SIGBUS\n",
		100.0 * (double)v[V_PROCESS] / (double)ram);
	fprintf(out, "  %6.2f%%  retired without harm (free, clean cache, unmapped hugetlb)\n",
		100.0 * (double)v[V_HARMLESS] / (double)ram);
	if (v[V_UNKNOWN])
		fprintf(out, "  %6.2f%%  unknown: no page flags were read\n",
			100.0 * (double)v[V_UNKNOWN] / (double)ram);
}

static void print_procs(const struct exposure *e, FILE *out)
{
	size_t shown = 0;

	fprintf(out, "\n%7s %-16s %4s %10s %10s %6s %-8s %s\n", "pid", "comm", "thr",
		"resid MiB", "fatal MiB", "fatal", "SIGBUS", "on an error in a fatal page");
	for (size_t i = 0; i < e->nr_procs && shown < TOP; i++) {
		const struct exp_proc *ep = &e->procs[i];
		char name[17];

		if (!ep->resident)
			continue;
		shown++;
		fprintf(out, "%7d %-16.16s %4d %10.1f %10.1f %5.1f%% %-8s %s\n", ep->p->pid,
			snap_printable(ep->p->comm, name, sizeof(name)), ep->p->threads, mib(ep->resident), mib(ep->fatal),
			100.0 * (double)ep->fatal / (double)ep->resident,
			sigbus_disposition(ep->p), on_error(e, ep->p));
	}
	if (!shown)
		fprintf(out, "%7s (no process pages with pfns in the snapshot)\n", "");
	fprintf(out, "(early kill: vm.memory_failure_early_kill=%d%s; per-task PR_MCE_KILL is "
		     "not visible in /proc)\n", e->early_kill,
		e->early_kill < 0 ? " unknown, 6.1's default 0 assumed" : "");
}

static void print_files(const struct exposure *e, FILE *out)
{
	size_t shown = 0;
	char path[4096];

	fprintf(out, "\n%10s %10s %7s  %s\n", "resid MiB", "at risk", "mappers",
		"mapped file (page cache whose data an error destroys)");
	for (size_t i = 0; i < e->nr_files && shown < TOP; i++, shown++)
		fprintf(out, "%10.1f %10.1f %7llu  %s\n", mib(e->files[i].resident),
			mib(e->files[i].dirty), (unsigned long long)e->files[i].mappers,
			snap_printable(e->files[i].path, path, sizeof(path)));
	fprintf(out, "dirty page cache and tmpfs not mapped by any process: %.1f MiB (/proc "
		     "does not tell its files)\n", mib(e->dirty_unmapped));
}

/* "6.1.0-56-amd64" is a 6.1, "6.12.118+deb12-amd64" a 6.12 (not a 6.1) */
static bool same_release(const char *uname, const char *rel)
{
	size_t n = strlen(rel);

	return !strncmp(uname, rel, n) && (uname[n] == 0 || uname[n] == '.' || uname[n] == '-');
}

void exposure_print(const struct exposure *e, FILE *out, bool procs)
{
	const struct snapshot *s = e->s;

	fprintf(out, "memfail exposure: snapshot of Linux %s, predicted with the %s profile\n",
		e->snap_kernel, e->kernel);
	if (!same_release(e->snap_kernel, e->kernel))
		fprintf(out, "note: the page flags come from %s; memory_failure is predicted as "
			     "%s would handle pages in those states\n", e->snap_kernel, e->kernel);
	if (e->recovery == 0)
		fprintf(out, "note: vm.memory_failure_recovery=0: every error panics the machine\n");
	for (const char *l = s->missing; l && *l;) {
		size_t n = strcspn(l, "\n");

		fprintf(out, "not read: %.*s\n", (int)n, l);
		l += n + (l[n] == '\n');
	}
	fputc('\n', out);
	print_summary(e, out);
	if (!procs)
		return;
	print_procs(e, out);
	print_files(e, out);
}

static json_object *jsummary(const struct exposure *e)
{
	json_object *o = json_object_new_object();
	uint64_t ram = e->nr_pfns - e->count[EXP_NOT_RAM];

	for (int c = 0; c < EXP_NR_CLASSES; c++) {
		json_object *k = json_object_new_object();

		json_object_object_add(k, "pages", json_object_new_uint64(e->count[c]));
		json_object_object_add(k, "bytes", json_object_new_uint64(e->count[c] * 4096));
		json_object_object_add(k, "percent_of_ram",
				       json_object_new_double(c == EXP_NOT_RAM || !ram ? 0 :
							      100.0 * (double)e->count[c] / (double)ram));
		json_object_object_add(k, "outcome", json_object_new_string(exp_classes[c].outcome));
		json_object_object_add(k, "kills_mappers", json_object_new_boolean(exp_classes[c].kills));
		json_object_object_add(o, exp_classes[c].name, k);
	}
	return o;
}

static json_object *jproc(const struct exposure *e, const struct exp_proc *ep)
{
	json_object *o = json_object_new_object(), *pages = json_object_new_object();

	json_object_object_add(o, "pid", json_object_new_int(ep->p->pid));
	json_object_object_add(o, "comm", json_object_new_string(ep->p->comm));
	json_object_object_add(o, "threads", json_object_new_int(ep->p->threads));
	json_object_object_add(o, "resident_pages", json_object_new_uint64(ep->resident));
	json_object_object_add(o, "fatal_pages", json_object_new_uint64(ep->fatal));
	json_object_object_add(o, "swapped_pages", json_object_new_uint64(ep->swapped));
	json_object_object_add(o, "sigbus", json_object_new_string(sigbus_disposition(ep->p)));
	json_object_object_add(o, "on_error", json_object_new_string(on_error(e, ep->p)));
	for (int c = 0; c < EXP_NR_CLASSES; c++)
		if (ep->pages[c])
			json_object_object_add(pages, exp_classes[c].name,
					       json_object_new_uint64(ep->pages[c]));
	json_object_object_add(o, "pages", pages);
	return o;
}

int exposure_print_json(const struct exposure *e, FILE *out)
{
	json_object *root = json_object_new_object(), *procs = json_object_new_array();
	json_object *files = json_object_new_array(), *missing = json_object_new_array();

	json_object_object_add(root, "snapshot_kernel", json_object_new_string(e->snap_kernel));
	json_object_object_add(root, "profile", json_object_new_string(e->kernel));
	json_object_object_add(root, "early_kill", json_object_new_int(e->early_kill));
	json_object_object_add(root, "recovery", json_object_new_int(e->recovery));
	json_object_object_add(root, "pfns", json_object_new_uint64(e->nr_pfns));
	json_object_object_add(root, "summary", jsummary(e));
	for (size_t i = 0; i < e->nr_procs; i++)
		json_object_array_add(procs, jproc(e, &e->procs[i]));
	json_object_object_add(root, "processes", procs);
	for (size_t i = 0; i < e->nr_files; i++) {
		json_object *f = json_object_new_object();

		json_object_object_add(f, "path", json_object_new_string(e->files[i].path));
		json_object_object_add(f, "resident_pages", json_object_new_uint64(e->files[i].resident));
		json_object_object_add(f, "at_risk_pages", json_object_new_uint64(e->files[i].dirty));
		json_object_object_add(f, "mappers", json_object_new_uint64(e->files[i].mappers));
		json_object_array_add(files, f);
	}
	json_object_object_add(root, "files", files);
	json_object_object_add(root, "dirty_unmapped_pages", json_object_new_uint64(e->dirty_unmapped));
	for (const char *l = e->s->missing; l && *l;) {
		size_t n = strcspn(l, "\n");

		json_object_array_add(missing, json_object_new_string_len(l, (int)n));
		l += n + (l[n] == '\n');
	}
	json_object_object_add(root, "not_read", missing);
	fprintf(out, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return 0;
}

/* Private pages of the capturing process: they are freed as soon as it exits. */
static uint8_t *capture_pages(const struct exposure *e)
{
	const char *v = snapshot_info(e->s, "capture_pid");
	uint8_t *skip = xcalloc(e->nr_pfns + 1, 1, "sample");
	int pid = v ? atoi(v) : 0;

	for (size_t i = 0; i < e->s->nr_procs; i++) {
		const struct snap_proc *p = &e->s->procs[i];

		for (size_t j = 0; p->pid == pid && j < p->nr_ptes; j++) {
			uint64_t pfn = p->ptes[j].entry & PM_PFN_MASK;

			if (pfn < e->nr_pfns && (e->cls[pfn] == EXP_ANON || e->cls[pfn] == EXP_THP))
				skip[pfn] = 1;
		}
	}
	return skip;
}

/* An error anywhere in a huge page changes all of it: one sample per huge page. */
static bool eligible(const struct exposure *e, const uint8_t *skip, uint64_t pfn)
{
	bool huge = e->cls[pfn] == EXP_HUGETLB || e->cls[pfn] == EXP_HUGETLB_FREE;

	return !skip[pfn] && !(huge && e->s->kpageflags[pfn] & (1ULL << 16)); /* tail */
}

/* Up to k pfns of each RAM class, spread evenly over the class. */
void exposure_print_sample(const struct exposure *e, unsigned k, FILE *out)
{
	uint8_t *skip = capture_pages(e);
	uint64_t n[EXP_NR_CLASSES] = { 0 };

	for (uint64_t pfn = 0; pfn < e->nr_pfns; pfn++)
		n[e->cls[pfn]] += eligible(e, skip, pfn);
	for (int c = 1; c < EXP_NR_CLASSES; c++) {
		uint64_t step = n[c] / k ? n[c] / k : 1, seen = 0;

		for (uint64_t pfn = 0; pfn < e->nr_pfns && n[c]; pfn++)
			if (e->cls[pfn] == c && eligible(e, skip, pfn) &&
			    seen++ % step == step / 2 && seen <= step * k)
				fprintf(out, "%llu %s %llx\n", (unsigned long long)pfn,
					exp_classes[c].name,
					(unsigned long long)e->s->kpageflags[pfn]);
	}
	free(skip);
}
