// SPDX-License-Identifier: GPL-2.0-only
/*
 * --plot: the physical memory map coloured by outcome, a bar of RAM by
 * outcome, and the processes with the most memory as stacked bars, drawn with
 * cairo into a PNG or an SVG (cairo is loaded when a plot is drawn:
 * memfail/cairo_dl.h).
 */
#include <stdlib.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/cairo_dl.h"
#include "memfail/snapshot.h"

#define W 1400
#define MARGIN 30
#define MAP_COLS 640
#define MAP_ROWS 160
#define CELL 2
#define NPROC 15
#define BAR_H 16

static void text(cairo_t *cr, double x, double y, double size, bool bold, const char *s)
{
	mf_cx.select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
			          bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	mf_cx.set_font_size(cr, size);
	mf_cx.set_source_rgb(cr, 0.1, 0.1, 0.1);
	mf_cx.move_to(cr, x, y);
	mf_cx.show_text(cr, s);
}

static void fill(cairo_t *cr, int c, double x, double y, double w, double h)
{
	const double *rgb = exp_classes[c].rgb;

	mf_cx.set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
	mf_cx.rectangle(cr, x, y, w, h);
	mf_cx.fill(cr);
}

/* The most common outcome in a block of pfns. */
static int block_class(const struct exposure *e, uint64_t from, uint64_t to)
{
	uint64_t n[EXP_NR_CLASSES] = { 0 };
	int best = EXP_NOT_RAM;

	for (uint64_t p = from; p < to && p < e->nr_pfns; p++)
		n[e->cls[p]]++;
	for (int c = 0; c < EXP_NR_CLASSES; c++)
		if (n[c] >= n[best] && n[c])
			best = c;
	return best;
}

static double draw_map(cairo_t *cr, const struct exposure *e, double y)
{
	uint64_t per = (e->nr_pfns + MAP_COLS * MAP_ROWS - 1) / (MAP_COLS * MAP_ROWS);
	uint64_t cells, cols, rows;
	double cw, rh;
	char s[256], sz[32];

	per = per ? per : 1;
	cells = (e->nr_pfns + per - 1) / per;
	cols = cells < MAP_COLS ? (cells ? cells : 1) : MAP_COLS;
	rows = (cells + cols - 1) / cols;
	/* small machines (and test snapshots) get bigger cells */
	cw = (double)MAP_COLS * CELL / (double)cols;
	rh = rows * CELL >= 320 ? CELL : 320.0 / (double)rows > 24 ? 24 : 320.0 / (double)rows;
	snprintf(s, sizeof(s), "Physical memory map: one cell = %s, coloured by its most "
		 "common outcome", snap_size(per, sz, sizeof(sz)));
	text(cr, MARGIN, y, 14, true, s);
	y += 10;
	for (uint64_t r = 0; r < rows; r++) {
		uint64_t base = r * cols * per;

		if (r % (uint64_t)(40 / rh > 1 ? 40 / rh : 1) == 0) {
			snprintf(s, sizeof(s), "%.1f GiB", (double)base * 4096 / (1ULL << 30));
			text(cr, MARGIN, y + (double)r * rh + 9, 10, false, s);
		}
		for (uint64_t col = 0, start = 0; col < cols;) {
			int c = block_class(e, base + col * per, base + (col + 1) * per);

			/* one rectangle per run keeps the SVG small */
			for (start = col++; col < cols; col++)
				if (block_class(e, base + col * per, base + (col + 1) * per) != c)
					break;
			if (base + start * per < e->nr_pfns)
				fill(cr, c, MARGIN + 80 + (double)start * cw, y + (double)r * rh,
				     (double)(col - start) * cw, rh);
		}
	}
	return y + (double)rows * rh + 30;
}

static double draw_ram_bar(cairo_t *cr, const struct exposure *e, double y)
{
	uint64_t ram = e->nr_pfns - e->count[EXP_NOT_RAM];
	double x = MARGIN, width = W - 2 * MARGIN, lx = MARGIN, ly = y + 48;
	char s[160], sz[32];

	text(cr, MARGIN, y, 14, true, "RAM by outcome of an uncorrected error");
	for (int c = 1; c < EXP_NR_CLASSES && ram; c++) {
		double w = width * (double)e->count[c] / (double)ram;

		fill(cr, c, x, y + 8, w, 22);
		x += w;
	}
	for (int c = 0; c < EXP_NR_CLASSES; c++) {
		if (!e->count[c])
			continue;
		snprintf(s, sizeof(s), "%s %s%s", exp_classes[c].label,
			 snap_size(e->count[c], sz, sizeof(sz)),
			 exp_classes[c].kills ? " (SIGBUS)" :
			 c >= EXP_RESERVED && c <= EXP_KERNEL ? " (kernel: fatal)" : "");
		if (lx + 330 > W - MARGIN)
			lx = MARGIN, ly += 20;
		mf_cx.set_source_rgb(cr, 0.3, 0.3, 0.3);
		mf_cx.rectangle(cr, lx - 0.5, ly - 11.5, 15, 15);
		mf_cx.stroke(cr);
		fill(cr, c, lx, ly - 11, 14, 14);
		text(cr, lx + 20, ly, 12, false, s);
		lx += 330;
	}
	return ly + 40;
}

static int by_resident(const void *a, const void *b)
{
	const struct exp_proc *x = *(const struct exp_proc *const *)a;
	const struct exp_proc *y = *(const struct exp_proc *const *)b;

	return x->resident != y->resident ? (x->resident < y->resident ? 1 : -1) : 0;
}

static double draw_procs(cairo_t *cr, const struct exposure *e, double y)
{
	const struct exp_proc **top = xcalloc(e->nr_procs + 1, sizeof(*top), "plot");
	size_t n = 0;
	double width = W - 2 * MARGIN - 220 - 320;
	char s[160], name[24], sz[2][32];

	for (size_t i = 0; i < e->nr_procs; i++)
		if (e->procs[i].resident)
			top[n++] = &e->procs[i];
	qsort(top, n, sizeof(*top), by_resident);
	text(cr, MARGIN, y, 14, true, "Processes with the most resident memory, by outcome "
				      "(a SIGBUS class kills or signals the process)");
	y += 12;
	for (size_t i = 0; i < n && i < NPROC; i++, y += BAR_H + 6) {
		double x = MARGIN + 220, scale = width / (double)top[0]->resident;

		snprintf(s, sizeof(s), "%s (%d)", snap_printable(top[i]->p->comm, name, sizeof(name)),
			 top[i]->p->pid);
		text(cr, MARGIN, y + 12, 12, false, s);
		for (int c = 0; c < EXP_NR_CLASSES; c++) {
			fill(cr, c, x, y, scale * (double)top[i]->pages[c], BAR_H);
			x += scale * (double)top[i]->pages[c];
		}
		snprintf(s, sizeof(s), "%s, %s fatal%s", snap_size(top[i]->resident, sz[0], 32),
			 snap_size(top[i]->fatal, sz[1], 32),
			 top[i]->p->sigcgt & SNAP_SIGBUS_BIT ? ", catches SIGBUS" : "");
		text(cr, x + 8, y + 12, 12, false, s);
	}
	if (!n)
		text(cr, MARGIN, y + 12, 12, false, "(no process pages with pfns in the snapshot)");
	free(top);
	return y + 20;
}

static double draw_all(cairo_t *cr, const struct exposure *e)
{
	char s[256];
	double y;

	mf_cx.set_source_rgb(cr, 1, 1, 1);
	mf_cx.paint(cr);
	snprintf(s, sizeof(s), "memfail exposure: Linux %s snapshot, %s memory_failure, %s",
		 e->snap_kernel, e->kernel, e->early_kill == 1 ? "early kill" :
		 e->early_kill == 0 ? "late kill" : "late kill assumed");
	text(cr, MARGIN, 32, 20, true, s);
	y = draw_ram_bar(cr, e, 64);
	y = draw_map(cr, e, y);
	return draw_procs(cr, e, y);
}

int exposure_plot(const struct exposure *e, const char *path, char *err, size_t errlen)
{
	size_t len = strlen(path);
	bool svg = len > 4 && !strcmp(path + len - 4, ".svg");
	cairo_surface_t *probe, *sf;
	cairo_status_t st;
	cairo_t *cr;
	double h;

	if (mf_cairo_load("--plot", err, errlen))
		return -1;
	probe = mf_cx.recording_surface_create(CAIRO_CONTENT_COLOR, NULL);
	cr = mf_cx.create(probe);
	h = draw_all(cr, e);	/* a first pass measures the height */
	mf_cx.destroy(cr);
	mf_cx.surface_destroy(probe);
	if (!svg && (len < 4 || strcmp(path + len - 4, ".png"))) {
		snprintf(err, errlen, "--plot %s: the name must end in .png or .svg", path);
		return -1;
	}
	sf = svg ? mf_cx.svg_surface_create(path, W, h) :
		   mf_cx.image_surface_create(CAIRO_FORMAT_RGB24, W, (int)h);
	cr = mf_cx.create(sf);
	draw_all(cr, e);
	mf_cx.destroy(cr);
	st = svg ? mf_cx.surface_status(sf) : mf_cx.surface_write_to_png(sf, path);
	mf_cx.surface_finish(sf);
	if (st == CAIRO_STATUS_SUCCESS)
		st = mf_cx.surface_status(sf);
	mf_cx.surface_destroy(sf);
	mf_cairo_done();
	if (st != CAIRO_STATUS_SUCCESS) {
		snprintf(err, errlen, "--plot %s: %s", path, mf_cx.status_to_string(st));
		return -1;
	}
	return 0;
}
