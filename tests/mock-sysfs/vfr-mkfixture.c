/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfr-mkfixture: turns a host description (FIXTURES.md) into a sysfs-like
 * tree, writes the description of a plausible host of N functions, so
 * tests and benchmarks can make small and very large hosts on demand, or
 * writes the description of a real host (or a copy of its files), so a bug
 * seen there can be replayed under the mock harness.
 *
 *   vfr-mkfixture [--force] DESCRIPTION.ini OUTDIR
 *   vfr-mkfixture --synthesize N [--seed S]
 *   vfr-mkfixture --capture [ROOT]
 *
 * Exit status: 0 done, 1 an I/O failure, 2 bad usage or a bad description.
 */
#include <stdio.h>
#include <stdlib.h>

#include "mkfixture.h"

static int usage_error(const char *msg)
{
	fprintf(stderr, "vfr-mkfixture: %s\nRun 'vfr-mkfixture --help' for usage.\n",
		msg);
	return 2;
}

static int synthesize(gint64 n, const char *seed_text)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GError) err = NULL;
	guint64 seed = 0;

	if (seed_text &&
	    !g_ascii_string_to_unsigned(seed_text, 10, 0, G_MAXUINT64, &seed, &err)) {
		fprintf(stderr, "vfr-mkfixture: --seed: %s\n", err->message);
		return 2;
	}
	fx_synthesize(out, (unsigned int)n, seed);
	if (fwrite(out->str, 1, out->len, stdout) != out->len || fflush(stdout) != 0) {
		perror("vfr-mkfixture: stdout");
		return 1;
	}
	return 0;
}

static int capture(const char *root)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GError) err = NULL;
	unsigned int unread = 0;

	if (!fx_capture(root, out, &unread, &err)) {
		fprintf(stderr, "vfr-mkfixture: --capture: %s\n", err->message);
		return 1;
	}
	if (fwrite(out->str, 1, out->len, stdout) != out->len || fflush(stdout) != 0) {
		perror("vfr-mkfixture: stdout");
		return 1;
	}
	if (unread)
		fprintf(stderr,
			"vfr-mkfixture: %u values of %s could not be read; the description "
			"says which (\"# not read:\") and what it used instead\n",
			unread, root);
	return 0;
}

int main(int argc, char **argv)
{
	gboolean force = FALSE, capture_host = FALSE;
	gint64 synth = -1;
	g_autofree char *seed = NULL;
	GOptionEntry entries[] = {
		{ "force", 'f', 0, G_OPTION_ARG_NONE, &force,
		  "Replace OUTDIR/sys, OUTDIR/dev and OUTDIR/.vfr-mock when OUTDIR is not empty", NULL },
		{ "synthesize", 0, 0, G_OPTION_ARG_INT64, &synth,
		  "Print the description of a plausible host of N functions", "N" },
		{ "seed", 0, 0, G_OPTION_ARG_STRING, &seed,
		  "Seed for --synthesize (default 0)", "S" },
		{ "capture", 0, 0, G_OPTION_ARG_NONE, &capture_host,
		  "Print the description of the host below ROOT (default /)", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new(
		"DESCRIPTION.ini OUTDIR | --synthesize N [--seed S] | --capture [ROOT]");
	g_autoptr(GError) err = NULL;
	struct fixture *fx;
	bool ok;

	g_option_context_set_summary(ctx,
				     "Builds a sysfs-like tree from a host description "
				     "(see tests/mock-sysfs/FIXTURES.md).");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err))
		return usage_error(err->message);

	if (capture_host) {
		if (force || synth >= 0 || seed || argc > 2)
			return usage_error("--capture takes one ROOT at most");
		return capture(argc == 2 ? argv[1] : "/");
	}
	if (synth >= 0 || seed) {
		if (argc != 1)
			return usage_error("--synthesize takes no other arguments");
		if (synth < 1 || synth > 1 << 20)
			return usage_error("--synthesize needs N between 1 and 1048576");
		return synthesize(synth, seed);
	}
	if (argc != 3)
		return usage_error("expected DESCRIPTION.ini and OUTDIR");

	fx = fixture_load(argv[1], &err);
	ok = fx && fixture_write(fx, argv[2], force, &err);
	fixture_free(fx);
	if (!ok) {
		fprintf(stderr, "vfr-mkfixture: %s\n", err->message);
		return err->code == FX_ERROR_IO ? 1 : 2;
	}
	return 0;
}
