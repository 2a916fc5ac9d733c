// SPDX-License-Identifier: GPL-2.0-only
/*
 * whatif, the injection: one error into the model page that stands for a
 * snapshot pfn, and its trace in the scenario trace's shape (`step`, then
 * `log`, `signal`, `killed`, `hardware-corrupted` lines) with the model's
 * pfns, pids and addresses written back as the snapshot's. Then the outcome
 * is held against the exposure class: the kernel's recovery line and, for an
 * action-optional error, which processes got a signal.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "memfail/array.h"
#include "memfail/whatif.h"

/* The part of 6.1's log each class leads to (action_page_types and friends). */
static const char *const want_line[EXP_NR_CLASSES] = {
	[EXP_NOT_RAM] = "memory outside kernel control",
	[EXP_HWPOISON] = "already hardware poisoned",
	[EXP_RESERVED] = "unknown page: Ignored", [EXP_SLAB] = "unknown page: Ignored",
	[EXP_PGTABLE] = "unknown page: Ignored", [EXP_KERNEL] = "unknown page: Ignored",
	[EXP_ZERO] = "unknown page: Ignored",
	[EXP_FREE] = "free buddy page: Recovered",
	[EXP_HUGETLB_FREE] = "free huge page: Recovered",
	[EXP_HUGETLB] = "huge page: Recovered",
	[EXP_KSM] = "unmapping failed page",
	[EXP_THP] = "LRU page: Recovered", [EXP_ANON] = "LRU page: Recovered",
	/*
	 * not "mlocked LRU page": unmapping clears PG_mlocked and shake_page puts
	 * the page back on the LRU before identify_page_state looks at it
	 */
	[EXP_MLOCKED] = "dirty LRU page: Recovered",
	[EXP_SWAPCACHE_DIRTY] = "dirty swapcache page",
	[EXP_SWAPCACHE_CLEAN] = "clean swapcache page",
	[EXP_SHMEM] = "dirty LRU page: Recovered",
	[EXP_FILE_DIRTY] = "dirty LRU page: Recovered",
	[EXP_FILE_CLEAN] = "clean LRU page: Recovered",
};

/*
 * 6.12: get_hwpoison_page()'s failure is its own message, an already poisoned
 * page another (mf_msg_get_hwpoison, mf_msg_already_poisoned in the profile).
 */
static const char *class_line(enum mf_kernel k, int cls)
{
	if (k != MF_KERNEL_6_12)
		return want_line[cls];
	switch (cls) {
	case EXP_RESERVED: case EXP_SLAB: case EXP_PGTABLE: case EXP_KERNEL: case EXP_ZERO:
		return "get hwpoison page: Ignored";
	case EXP_HWPOISON:
		return "already poisoned page: Failed";
	default:
		return want_line[cls];
	}
}

/* What one injection printed, kept for the text or the JSON form. */
struct wi_trace {
	char step[160], result[32];
	char **lines; /* "log ...", "signal ...", "killed ...", "hardware-corrupted ..." */
	size_t nr, cap;
	bool *hit;    /* per process: signalled or killed */
};

static void add(struct wi_trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct wi_trace *t, const char *fmt, ...)
{
	char buf[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ARRAY_GROW(t->lines, t->nr + 1, t->cap, "whatif trace");
	t->lines[t->nr++] = xstrdup(buf, "whatif trace");
}

static const char *task_name(const struct whatif *w, long proc, char *buf, size_t len)
{
	if (proc < 0)
		snprintf(buf, len, "owner?");
	else {
		char comm[64];

		snprintf(buf, len, "%s[%d]", snap_printable(w->procs[proc].sp->comm, comm,
							    sizeof(comm)), w->procs[proc].sp->pid);
	}
	return buf;
}

/* The process of a model tid: threads were made right after their process. */
static long proc_of_tid(const struct whatif *w, int tid)
{
	long best = -1;
	int best_pid = 0;

	for (size_t i = 0; i < w->nr_forks; i++)
		if (w->fork_pid[i] == tid)
			return (long)w->fork_proc[i];
	for (size_t i = 0; i < w->nr_procs; i++) {
		int pid = w->procs[i].pid;

		if (pid > 0 && pid <= tid && pid > best_pid && tid - pid < w->procs[i].sp->threads)
			best = (long)i, best_pid = pid;
	}
	return best;
}

static bool ends_with(const char *start, const char *p, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(p - start) >= n && !strncmp(p - n, word, n);
}

/* A log line with the model's pfn, pids and addresses put back as the snapshot's. */
static void norm_log(const struct whatif *w, uint64_t pfn, long proc, const char *l, char *out,
		     size_t len)
{
	size_t o = 0;

	for (const char *p = l; *p && o + 40 < len;) {
		bool word_before = p > l && (isalnum((unsigned char)p[-1]) || p[-1] == '_');
		bool hex = !strncmp(p, "0x", 2) && !word_before;
		bool at = ends_with(l, p, " at ") && isxdigit((unsigned char)*p);
		bool pid = p > l && p[-1] == ':' && isdigit((unsigned char)*p) && p - l > 1 &&
			   isalnum((unsigned char)p[-2]);
		char *e;
		uint64_t v;

		if (!hex && !at && !pid) {
			/* a comm may hold a newline: the trace keeps one line per log line */
			out[o++] = (unsigned char)*p < 0x20 ? '?' : *p;
			p++;
			continue;
		}
		v = strtoull(p, &e, pid ? 10 : 16);
		if (at && ends_with(l, p, "user-access at ")) {
			/* a physical address */
			o += (size_t)snprintf(out + o, len - o, "%" PRIx64,
					      (v - (w->mpfn << 12)) + (pfn << 12));
		} else if (pid) {
			proc = wi_snap_proc(w, (int)v);
			o += (size_t)snprintf(out + o, len - o, "%d",
					      proc >= 0 ? w->procs[proc].sp->pid : (int)v);
		} else if (!at && !ends_with(l, p, "address ") && v - (w->mpfn & ~511ULL) < 512) {
			o += (size_t)snprintf(out + o, len - o, "%#" PRIx64, pfn + (v - w->mpfn));
		} else {
			uint64_t a = proc >= 0 ? wi_snap_addr(w, (size_t)proc, v) : 0;

			o += (size_t)snprintf(out + o, len - o, at ? "%" PRIx64 : "%#" PRIx64,
					      a ? a : v);
		}
		p = e;
	}
	out[o] = 0;
}

static void collect(struct whatif *w, uint64_t pfn, long inj_proc, struct wi_trace *t,
		    uint64_t hwc0)
{
	struct mf_meminfo mi = { 0 };
	struct mf_sig sg;
	struct mf_death d;
	const char *l;
	char buf[768], name[96];

	while ((l = mf_log_next(w->m, NULL))) {
		norm_log(w, pfn, inj_proc, l, buf, sizeof(buf));
		add(t, "log %s", buf);
	}
	while (mf_signal_next(w->m, &sg)) {
		long p = proc_of_tid(w, sg.tid);
		uint64_t a = p >= 0 ? wi_snap_addr(w, (size_t)p, sg.addr) : 0;
		int disp = p >= 0 ? w->procs[p].sigbus : 'd';

		if (p >= 0)
			t->hit[p] = true;
		add(t, "signal %s SIGBUS %s addr=%#" PRIx64 " lsb=%d%s", task_name(w, p, name, 64),
		    sg.code == MF_BUS_MCEERR_AR ? "BUS_MCEERR_AR" : sg.code == MF_BUS_MCEERR_AO
		    ? "BUS_MCEERR_AO" : "code?", a ? a : sg.addr, sg.lsb,
		    disp == 'b' ? " (blocked: stays pending)" : disp == 'i' ? " (ignored: lost)" : "");
	}
	while (mf_death_next(w->m, &d)) {
		long p = wi_snap_proc(w, d.pid);

		if (p >= 0)
			t->hit[p] = true;
		if (d.signo)
			add(t, "killed %s %s", task_name(w, p, name, 64),
			    d.signo == MF_SIGBUS ? "SIGBUS" : d.signo == MF_SIGKILL ? "SIGKILL" : "SIG?");
	}
	mf_meminfo(w->m, &mi);
	if (mi.hardware_corrupted_kb != hwc0) {
		int64_t dk = (int64_t)(mi.hardware_corrupted_kb - hwc0);

		add(t, "hardware-corrupted %c%" PRId64 "%s", dk < 0 ? '-' : '+',
		    (dk < 0 ? -dk : dk) % 1024 ? (dk < 0 ? -dk : dk) : (dk < 0 ? -dk : dk) / 1024,
		    (dk < 0 ? -dk : dk) % 1024 ? "K" : "M");
	}
}

static long proc_by_pid(const struct whatif *w, int pid)
{
	for (size_t i = 0; i < w->nr_procs; i++)
		if (w->procs[i].sp->pid == pid && w->procs[i].pid)
			return (long)i;
	return -1;
}

static int inject(struct whatif *w, uint64_t pfn, struct wi_trace *t, long *inj_proc)
{
	long p = w->inject == WI_MCE_AO ? -1 : proc_by_pid(w, w->inject_pid);
	uint64_t va = 0;
	char name[96];

	*inj_proc = p;
	if (w->inject == WI_MCE_AO) {
		snprintf(t->step, sizeof(t->step), "mce ao %#" PRIx64, pfn);
		return mf_mce(w->m, MF_MCE_AO, w->mpfn, 0);
	}
	for (size_t i = 0; i < w->nr_mappers; i++)
		if ((long)w->mappers[i].proc == p)
			va = w->mappers[i].va;
	if (p < 0 || !va)
		return -ENXIO;
	task_name(w, p, name, sizeof(name));
	if (w->inject == WI_MCE_AR) {
		snprintf(t->step, sizeof(t->step), "mce ar %#" PRIx64 " %s", pfn, name);
		return mf_mce(w->m, MF_MCE_AR, w->mpfn, wi_model_pid(w, (size_t)p));
	}
	snprintf(t->step, sizeof(t->step), "%s: madvise %#" PRIx64 " 4K hwpoison", name, va & ~(uint64_t)4095);
	return mf_madvise(w->m, wi_model_pid(w, (size_t)p),
			  wi_model_addr(w, (size_t)p, va) & ~4095ULL, 4096, MF_MADVISE_HWPOISON);
}

/* Whether the model's outcome is the one the exposure class predicts. */
static void judge(const struct whatif *w, const struct wi_trace *t, struct wi_result *r)
{
	const char *want = class_line(w->e->kernel_id, r->cls);
	bool found = !want, early = w->e->early_kill == 1;
	const struct exp_class_info *ci = &exp_classes[r->cls];

	for (size_t i = 0; i < t->nr && !found; i++)
		found = !strncmp(t->lines[i], "log ", 4) && strstr(t->lines[i], want);
	r->agrees = found;
	if (!found) {
		snprintf(r->why, sizeof(r->why), "the model's log has no \"%s\"", want);
		return;
	}
	if (w->inject != WI_MCE_AO)
		return;
	/* an action-optional error signals the mappers only with early kill */
	for (size_t i = 0; i < w->nr_procs; i++) {
		bool mapper = false;

		for (size_t j = 0; j < w->nr_mappers; j++)
			mapper |= w->mappers[j].proc == i;
		if (t->hit[i] != (mapper && (early || w->procs[i].early) && ci->kills &&
				  !ci->on_access_only)) {
			r->agrees = false;
			snprintf(r->why, sizeof(r->why), "%s[%d] %s", w->procs[i].sp->comm,
				 w->procs[i].sp->pid, t->hit[i] ? "got a signal the class does not "
				 "predict" : "got no signal though the class predicts one");
			return;
		}
	}
}

#define MAX_ACCESSES 8

/*
 * Then each process that maps the page (up to MAX_ACCESSES) reads it, as it
 * will sooner or later: with late kill this is where it gets its SIGBUS
 * (action required), with a clean page cache page the read re-reads it.
 */
static void accesses(struct whatif *w, uint64_t pfn, struct wi_trace *t, uint64_t hwc0)
{
	int step = 2;

	for (size_t i = 0; i < w->nr_mappers && step <= MAX_ACCESSES + 1; i++) {
		const struct wi_mapper *mp = &w->mappers[i];
		int pid = wi_model_pid(w, mp->proc), r, st;
		struct mf_sig sg = { 0 };
		uint8_t byte;
		char name[96];

		if (i && mp->proc == w->mappers[i - 1].proc)
			continue; /* one read per process */
		if (mf_proc_state(w->m, pid, &st) != MF_PROC_ALIVE)
			continue;
		r = mf_load(w->m, pid, wi_model_addr(w, mp->proc, mp->va), &byte, &sg);
		task_name(w, (long)mp->proc, name, sizeof(name));
		if (r == MF_ACCESS_SIGNAL) {
			uint64_t a = wi_snap_addr(w, mp->proc, sg.addr);

			int disp = w->procs[mp->proc].sigbus;

			/* the model's handler stood in for a blocked or ignored SIGBUS */
			add(t, "@step %d %s: load %#" PRIx64 " = SIGBUS %s addr=%#" PRIx64 " lsb=%d%s",
			    step++, name, mp->va, sg.code == MF_BUS_MCEERR_AR ? "BUS_MCEERR_AR"
			    : "BUS_MCEERR_AO", a ? a : sg.addr, sg.lsb, disp == 'b' || disp == 'i'
			    ? " (SIGBUS blocked or ignored: forced, the process dies)" : "");
		} else {
			add(t, "@step %d %s: load %#" PRIx64 " = %s", step++, name, mp->va,
			    r == MF_ACCESS_KILLED ? "killed" : r < 0 ? strerrorname_np(-r) : "ok");
		}
		collect(w, pfn, (long)mp->proc, t, hwc0);
	}
}

static void print_text(const struct whatif *w, const struct wi_trace *t, const struct wi_result *r,
		       FILE *out)
{
	char name[96];

	fprintf(out, "whatif pfn %#" PRIx64 ": %s (exposure: %s)\n", r->pfn, exp_classes[r->cls].label,
		exp_classes[r->cls].outcome);
	fprintf(out, "  model pfn %#" PRIx64 " stands for it", r->mpfn);
	if (r->model_cls != r->cls)
		fprintf(out, "; its flags read as %s", exp_classes[r->model_cls].label);
	fprintf(out, "\n");
	for (size_t i = 0; i < w->nr_mappers && i < MAX_ACCESSES; i++)
		fprintf(out, "  mapped by %s at %#" PRIx64 "%s\n",
			task_name(w, (long)w->mappers[i].proc, name, sizeof(name)),
			w->mappers[i].va & ~(uint64_t)4095,
			w->procs[w->mappers[i].proc].sigbus == 'c' ? " (catches SIGBUS)" : "");
	if (w->nr_mappers > MAX_ACCESSES)
		fprintf(out, "  mapped %zu more times\n", w->nr_mappers - MAX_ACCESSES);
	if (w->approx[0])
		fprintf(out, "  approximation: %s\n", w->approx);
	fprintf(out, "step 1 %s = %s\n", t->step, t->result);
	for (size_t i = 0; i < t->nr; i++)
		fprintf(out, t->lines[i][0] == '@' ? "%s\n" : "  %s\n", t->lines[i] +
			(t->lines[i][0] == '@'));
	fprintf(out, "outcome %#" PRIx64 " %s: %s%s\n\n", r->pfn, exp_classes[r->cls].name,
		r->agrees ? "agrees with exposure" : "DISAGREES with exposure: ",
		r->agrees ? "" : r->why);
}

static void print_json(const struct whatif *w, const struct wi_trace *t, const struct wi_result *r,
		       FILE *out)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	char name[96];

	json_object_object_add(o, "pfn", json_object_new_uint64(r->pfn));
	json_object_object_add(o, "class", json_object_new_string(exp_classes[r->cls].name));
	json_object_object_add(o, "model_pfn", json_object_new_uint64(r->mpfn));
	json_object_object_add(o, "model_class",
			       json_object_new_string(exp_classes[r->model_cls].name));
	for (size_t i = 0; i < w->nr_mappers; i++)
		json_object_array_add(a, json_object_new_string(task_name(w,
				      (long)w->mappers[i].proc, name, sizeof(name))));
	json_object_object_add(o, "mappers", a);
	json_object_object_add(o, "approximation", json_object_new_string(w->approx));
	json_object_object_add(o, "step", json_object_new_string(t->step));
	json_object_object_add(o, "result", json_object_new_string(t->result));
	a = json_object_new_array();
	for (size_t i = 0; i < t->nr; i++)
		json_object_array_add(a, json_object_new_string(t->lines[i]));
	json_object_object_add(o, "trace", a);
	json_object_object_add(o, "agrees", json_object_new_boolean(r->agrees));
	json_object_object_add(o, "why", json_object_new_string(r->why));
	fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

int whatif_pfn(struct whatif *w, uint64_t pfn, FILE *out, bool json, struct wi_result *r,
	       char *err, size_t errlen)
{
	struct wi_trace t = { .hit = xcalloc(w->nr_procs + 1, sizeof(bool), "whatif trace") };
	struct mf_meminfo mi = { 0 };
	uint64_t f = 0;
	long inj_proc;
	int ret;

	memset(r, 0, sizeof(*r));
	r->pfn = pfn;
	r->cls = w->e->cls[pfn];
	ret = wi_materialize(w, pfn, err, errlen);
	if (ret) {
		free(t.hit);
		return ret;
	}
	r->mpfn = w->mpfn;
	r->model_cls = mf_kpageflags(w->m, w->mpfn, &f) ? EXP_NOT_RAM : exp_classify(f, true, false, w->e->kernel_id);
	mf_log_skip(w->m);
	while (mf_signal_next(w->m, &(struct mf_sig){ 0 }))
		;
	while (mf_death_next(w->m, &(struct mf_death){ 0 }))
		;
	mf_meminfo(w->m, &mi);
	ret = inject(w, pfn, &t, &inj_proc);
	if (ret == -ENXIO && !t.step[0]) {
		snprintf(err, errlen, "pfn %#" PRIx64 ": process %d does not map it in the "
			 "snapshot", pfn, w->inject_pid);
		free(t.hit);
		return 1;
	}
	snprintf(t.result, sizeof(t.result), "%s", ret ? strerrorname_np(-ret) : "ok");
	collect(w, pfn, inj_proc, &t, mi.hardware_corrupted_kb);
	judge(w, &t, r);
	for (size_t i = 0; i < w->nr_procs; i++)
		r->signalled += t.hit[i];
	if (w->inject == WI_MCE_AO) {
		mf_meminfo(w->m, &mi);
		accesses(w, pfn, &t, mi.hardware_corrupted_kb);
	}
	if (out)
		(json ? print_json : print_text)(w, &t, r, out);
	for (size_t i = 0; i < t.nr; i++)
		free(t.lines[i]);
	free(t.lines);
	free(t.hit);
	return 0;
}

/* K pfns over the classes present, round robin; within a class evenly spread. */
size_t whatif_sample(const struct exposure *e, unsigned k, uint64_t *pfns)
{
	uint64_t want[EXP_NR_CLASSES] = { 0 }, seen[EXP_NR_CLASSES] = { 0 };
	uint64_t taken[EXP_NR_CLASSES] = { 0 };
	size_t n = 0, given = 0;

	for (bool more = true; more && given < k;) {
		more = false;
		for (int c = 0; c < EXP_NR_CLASSES && given < k; c++) {
			if (c == EXP_UNKNOWN || c == EXP_DAX || c == EXP_NOT_RAM ||
			    want[c] >= e->count[c])
				continue;
			want[c]++, given++, more = true;
		}
	}
	for (uint64_t pfn = 0; pfn < e->nr_pfns && n < given; pfn++) {
		int c = e->cls[pfn];

		/* the i-th pick of a class is its member number (2i+1)*count/(2*want) */
		if (taken[c] < want[c] && seen[c]++ == (2 * taken[c] + 1) * e->count[c] / (2 * want[c]))
			pfns[n++] = pfn, taken[c]++;
	}
	return n;
}

void whatif_print_assumptions(const struct whatif *w, FILE *out)
{
	const struct snapshot *s = w->s;
	const char *k = snapshot_info(s, "kernel");

	fprintf(out, "# whatif: a model of the snapshot's machine; nothing is injected into the "
		     "live machine\n"
		     "# snapshot kernel %s, predicted as Linux %s; model: %llu MiB RAM, %ld "
		     "hugetlb pages, %llu MiB swap, early_kill=%s recovery=%s\n"
		     "# %zu processes (%zu kernel threads left out: they map no user memory), "
		     "%zu mappings, %zu files\n", k ? k : "?", w->e->kernel,
		(unsigned long long)(w->desc.memory >> 20), w->desc.hugepages,
		(unsigned long long)(w->desc.swap >> 20),
		w->e->early_kill < 0 ? "unknown (0 assumed)" : w->e->early_kill ? "1" : "0",
		w->e->recovery < 0 ? "unknown (1 assumed)" : w->e->recovery ? "1" : "0",
		w->nr_procs - w->kthreads, w->kthreads, w->vmas_mapped, w->nr_files);
	fputs("# assumptions:\n", out);
	for (size_t i = 0; i < w->nr_procs; i++)
		if (w->procs[i].early)
			fprintf(out, "#  - %s[%d] has per-task early kill (--early-kill)\n",
				w->procs[i].sp->comm, w->procs[i].sp->pid);
	fputs("#  - per-task early kill (prctl PR_MCE_KILL) is not visible in /proc: every "
	      "process follows vm.memory_failure_early_kill\n"
	      "#  - SIGBUS blocked or ignored (the main thread's mask): an action-optional "
	      "signal stays pending or is lost; an action-required one kills\n"
	      "#  - file contents are not known; files are identified by device and inode, "
	      "modelled as sparse files on disk, tmpfs or hugetlbfs by their pages' flags\n"
	      "#  - the model places pages at its own pfns: each injection prints the model "
	      "pfn standing for the snapshot's\n"
	      "#  - only the injected page is put into the model (in the state kpageflags and "
	      "the pagemaps show, in every process that maps it); other pages do not change "
	      "memory_failure's path for it\n"
	      "#  - an anonymous page several processes map is modelled as shared by fork "
	      "from the first of them\n"
	      "#  - page tables and other in-use kernel pages are modelled as reserved pages "
	      "(unhandlable either way); DAX pages are not modelled\n"
	      "#  - the snapshot is not atomic, and pinned pages or failed THP splits are "
	      "invisible in /proc\n", out);
	for (const char *l = w->notes; *l;) {
		size_t n = strcspn(l, "\n");

		fprintf(out, "#  - %.*s\n", (int)n, l);
		l += n + (l[n] == '\n');
	}
	fputc('\n', out);
}
