// SPDX-License-Identifier: GPL-2.0-only
/* cairo through dlopen: see include/memfail/cairo_dl.h for why. */
#include <dlfcn.h>
#include <stdio.h>

#include "memfail/cairo_dl.h"

struct mf_cairo mf_cx;

int mf_cairo_load(const char *who, char *err, size_t errlen)
{
	static void *lib, *fc;

	if (lib)
		return 0;
	lib = dlopen("libcairo.so.2", RTLD_NOW | RTLD_LOCAL);
	/* cairo depends on fontconfig: this only takes another reference */
	fc = lib ? dlopen("libfontconfig.so.1", RTLD_NOW | RTLD_LOCAL) : NULL;
	if (!lib || !fc) {
		snprintf(err, errlen, "%s: cannot load cairo: %s", who, dlerror());
		goto fail;
	}
#define X(name)                                                                         \
	if (!(mf_cx.name = (__typeof__(mf_cx.name))dlsym(lib, "cairo_" #name))) {     \
		snprintf(err, errlen, "%s: cairo has no cairo_%s", who, #name);        \
		goto fail;                                                              \
	}
	MF_CAIRO_FNS(X)
#undef X
	if (!(mf_cx.FcFini = (void (*)(void))dlsym(fc, "FcFini"))) {
		snprintf(err, errlen, "%s: fontconfig has no FcFini", who);
		goto fail;
	}
	return 0;
fail:
	if (fc)
		dlclose(fc);
	if (lib)
		dlclose(lib);
	lib = fc = NULL;
	return -1;
}

void mf_cairo_done(void)
{
	mf_cx.debug_reset_static_data();
	mf_cx.FcFini();
}
