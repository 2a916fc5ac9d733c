/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cairo, loaded with dlopen when something is drawn (exposure --plot,
 * campaign --plot): linked, cairo and fontconfig made every memfail process
 * load about 20 more libraries, a millisecond of start-up per scenario.
 * Call through mf_cx.NAME after mf_cairo_load() returned 0.
 */
#ifndef MEMFAIL_CAIRO_DL_H
#define MEMFAIL_CAIRO_DL_H

#include <stddef.h>

#include <cairo/cairo.h>
#include <cairo/cairo-svg.h>

#define MF_CAIRO_FNS(X) X(arc) X(create) X(debug_reset_static_data) X(destroy) X(fill)          \
	X(image_surface_create) X(line_to) X(move_to) X(paint) X(recording_surface_create)      \
	X(rectangle) X(select_font_face) X(set_font_size) X(set_line_width) X(set_source_rgb)   \
	X(set_source_rgba) X(show_text) X(status_to_string) X(stroke) X(surface_destroy)        \
	X(surface_finish) X(surface_status) X(surface_write_to_png) X(svg_surface_create)

struct mf_cairo {
#define X(name) __typeof__(cairo_##name) *name;
	MF_CAIRO_FNS(X)
#undef X
	void (*FcFini)(void);	/* fontconfig's, to give back its caches */
};

extern struct mf_cairo mf_cx;

/*
 * Loads cairo once; on failure writes "WHO: cannot load cairo: ..." to err.
 * In the static memfail (cli/cairo_exec.c) it runs the command line again in
 * memfail-dynamic instead, and returns only on failure: a command that draws
 * calls it before any work.
 */
int mf_cairo_load(const char *who, char *err, size_t errlen);

/* After drawing: give back the font caches cairo's text filled (leak checkers see them otherwise). */
void mf_cairo_done(void);

#endif
