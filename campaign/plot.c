// SPDX-License-Identifier: GPL-2.0-only
/*
 * Two PNGs drawn with cairo: PREFIX-outcomes.png, the main outcomes per
 * 1,000 machine-years for each policy with their 95% intervals, and
 * PREFIX-timeline.png, the CE -> offline -> UE story of the first stored trial
 * that had an uncorrectable error, one lane per policy. cairo is loaded when
 * they are drawn (memfail/cairo_dl.h).
 */
#include <math.h>
#include <string.h>

#include "memfail/array.h"
#include "memfail/cairo_dl.h"
#include "internal.h"

#define W 900
#define H 480

static const double pal[][3] = {
	{ 0.30, 0.45, 0.70 }, { 0.87, 0.52, 0.32 }, { 0.33, 0.66, 0.41 }, { 0.77, 0.31, 0.32 },
	{ 0.51, 0.45, 0.70 }, { 0.58, 0.47, 0.38 },
};

static void text(cairo_t *cr, double x, double y, double size, const char *s)
{
	mf_cx.set_font_size(cr, size);
	mf_cx.move_to(cr, x, y);
	mf_cx.show_text(cr, s);
}

static cairo_t *canvas(cairo_surface_t **sf, const char *title)
{
	cairo_t *cr;

	*sf = mf_cx.image_surface_create(CAIRO_FORMAT_RGB24, W, H);
	cr = mf_cx.create(*sf);
	mf_cx.set_source_rgb(cr, 1, 1, 1);
	mf_cx.paint(cr);
	mf_cx.set_source_rgb(cr, 0, 0, 0);
	mf_cx.select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
	text(cr, 20, 28, 16, title);
	mf_cx.select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
			          CAIRO_FONT_WEIGHT_NORMAL);
	return cr;
}

static int save(cairo_t *cr, cairo_surface_t *sf, const char *path, char *err, size_t errlen)
{
	cairo_status_t st = mf_cx.surface_write_to_png(sf, path);

	mf_cx.destroy(cr);
	mf_cx.surface_destroy(sf);
	if (st != CAIRO_STATUS_SUCCESS) {
		snprintf(err, errlen, "%s: %s", path, mf_cx.status_to_string(st));
		return -1;
	}
	return 0;
}

static void bar_group(cairo_t *cr, const struct cp_campaign *c, const struct cp_results *res,
		      size_t fi, double x0, double gw, double ymax)
{
	double bw = gw * 0.8 / (double)c->npolicies, y0 = H - 60, hgt = H - 120;
	struct cp_stat s;

	for (size_t p = 0; p < c->npolicies; p++) {
		double x = x0 + gw * 0.1 + bw * (double)p;
		const double *col = pal[p % ARRAY_SIZE(pal)];

		cp_stat_of(c, res, p, fi, &s);
		mf_cx.set_source_rgb(cr, col[0], col[1], col[2]);
		mf_cx.rectangle(cr, x, y0 - hgt * s.mean / ymax, bw * 0.9, hgt * s.mean / ymax);
		mf_cx.fill(cr);
		mf_cx.set_source_rgb(cr, 0, 0, 0);
		mf_cx.move_to(cr, x + bw * 0.45, y0 - hgt * s.lo / ymax);
		mf_cx.line_to(cr, x + bw * 0.45, y0 - hgt * s.hi / ymax);
		mf_cx.stroke(cr);
	}
	mf_cx.set_source_rgb(cr, 0, 0, 0);
	text(cr, x0 + gw * 0.3, y0 + 18, 13, cp_outcome_name[fi]);
}

static int outcomes(const struct cp_campaign *c, const struct cp_results *res, const char *path,
		    char *err, size_t errlen)
{
	static const size_t fields[] = { 4, 12, 13 };	/* kills, data_loss, crashes */
	double ymax = 0, gw = (W - 100) / (double)ARRAY_SIZE(fields);
	cairo_surface_t *sf;
	cairo_t *cr = canvas(&sf, "outcomes per 1,000 machine-years (95% intervals)");
	struct cp_stat s;
	char buf[64];

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		for (size_t p = 0; p < c->npolicies; p++) {
			cp_stat_of(c, res, p, fields[i], &s);
			ymax = fmax(ymax, s.hi);
		}
	ymax = ymax > 0 ? ymax * 1.1 : 1;
	mf_cx.set_line_width(cr, 1.5);
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		bar_group(cr, c, res, fields[i], 80 + gw * (double)i, gw, ymax);
	mf_cx.set_source_rgb(cr, 0, 0, 0);
	mf_cx.move_to(cr, 78, 60);
	mf_cx.line_to(cr, 78, H - 60);
	mf_cx.line_to(cr, W - 20, H - 60);
	mf_cx.stroke(cr);
	snprintf(buf, sizeof(buf), "%.3g", ymax);
	text(cr, 20, 66, 12, buf);
	text(cr, 60, H - 56, 12, "0");
	for (size_t p = 0; p < c->npolicies; p++) {
		const double *col = pal[p % ARRAY_SIZE(pal)];

		mf_cx.set_source_rgb(cr, col[0], col[1], col[2]);
		mf_cx.rectangle(cr, 100 + 150 * (double)p, H - 28, 12, 12);
		mf_cx.fill(cr);
		mf_cx.set_source_rgb(cr, 0, 0, 0);
		text(cr, 116 + 150 * (double)p, H - 18, 13, c->policies[p].name);
	}
	return save(cr, sf, path, err, errlen);
}

/* The first stored trial with a UE and an offline, else with a UE, or -1. */
static int64_t story_trial(const struct cp_results *res)
{
	int64_t first_ue = -1;
	bool ue = false, off = false;

	for (size_t i = 0; i < res->nevents; i++) {
		const struct cp_event *e = &res->events[i];

		if (i && e->trial != res->events[i - 1].trial)
			ue = off = false;
		ue |= e->kind == CP_EV_UE;
		off |= e->kind == CP_EV_OFFLINE;
		if (ue && first_ue < 0)
			first_ue = e->trial;
		if (ue && off)
			return e->trial;
	}
	return first_ue >= 0 ? first_ue : res->nevents ? res->events[0].trial : -1;
}

static void mark(cairo_t *cr, const struct cp_event *e, double x, double y)
{
	switch (e->kind) {
	case CP_EV_CE:
		mf_cx.set_source_rgba(cr, 0.4, 0.4, 0.4, 0.5);
		mf_cx.rectangle(cr, x, y - 8, 1, 16);
		mf_cx.fill(cr);
		break;
	case CP_EV_OFFLINE:
		mf_cx.set_source_rgb(cr, e->result ? 0.9 : 0.2, e->result ? 0.6 : 0.65, 0.2);
		mf_cx.move_to(cr, x, y - 16);
		mf_cx.line_to(cr, x - 5, y - 24);
		mf_cx.line_to(cr, x + 5, y - 24);
		mf_cx.fill(cr);
		break;
	case CP_EV_UE:
		mf_cx.set_source_rgb(cr, 0.85, 0.1, 0.1);
		mf_cx.arc(cr, x, y + 18, 5, 0, 2 * M_PI);
		if (e->result == 1)	/* avoided: the page was offlined */
			mf_cx.stroke(cr);
		else
			mf_cx.fill(cr);
		break;
	default:			/* a kill or a crash */
		mf_cx.set_source_rgb(cr, 0, 0, 0);
		mf_cx.rectangle(cr, x - 2, y + 26, e->kind == CP_EV_CRASH ? 6 : 3, 10);
		mf_cx.fill(cr);
		break;
	}
}

static int timeline(const struct cp_campaign *c, const struct cp_results *res, const char *path,
		    char *err, size_t errlen)
{
	double hours = c->horizon / (double)c->trials * 8766.0, lane;
	int64_t t = story_trial(res);
	cairo_surface_t *sf;
	cairo_t *cr;
	char buf[160];

	snprintf(buf, sizeof(buf), "trial %lld: CEs (ticks), soft offlines (triangles: green ok, "
		 "orange refused), UEs (red; hollow = avoided), kills/crashes (black)",
		 (long long)t);
	cr = canvas(&sf, "CE -> UE timeline");
	text(cr, 20, 48, 11, buf);
	lane = (H - 110) / (double)(c->npolicies ? c->npolicies : 1);
	for (size_t p = 0; p < c->npolicies; p++) {
		double y = 90 + lane * ((double)p + 0.4);

		mf_cx.set_source_rgb(cr, 0, 0, 0);
		text(cr, 10, y + 4, 12, c->policies[p].name);
		mf_cx.set_source_rgb(cr, 0.8, 0.8, 0.8);
		mf_cx.move_to(cr, 110, y);
		mf_cx.line_to(cr, W - 20, y);
		mf_cx.stroke(cr);
	}
	for (size_t i = 0; i < res->nevents; i++) {
		const struct cp_event *e = &res->events[i];

		if (e->trial == t)
			mark(cr, e, 110 + (W - 130) * e->t_h / hours,
			     90 + lane * ((double)e->policy + 0.4));
	}
	mf_cx.set_source_rgb(cr, 0, 0, 0);
	snprintf(buf, sizeof(buf), "0 .. %.0f days", hours / 24);
	text(cr, 110, H - 20, 12, buf);
	return save(cr, sf, path, err, errlen);
}

int cp_plot(const struct cp_campaign *c, const struct cp_results *res, const char *prefix,
	    char *err, size_t errlen)
{
	char path[512];

	if (mf_cairo_load("--plot", err, errlen))
		return -1;
	snprintf(path, sizeof(path), "%s-outcomes.png", prefix);
	if (outcomes(c, res, path, err, errlen))
		return -1;
	snprintf(path, sizeof(path), "%s-timeline.png", prefix);
	if (timeline(c, res, path, err, errlen))
		return -1;
	mf_cairo_done();
	return 0;
}
