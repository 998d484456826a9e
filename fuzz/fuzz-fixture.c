/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfr-mkfixture's description parser and config-space builder: any text
 * is a description or a clear refusal, never a crash.
 */
#include <unistd.h>

#include "fuzz.h"
#include "mkfixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct fixture *fx;
	GError *err = NULL;
	FILE *f;

	if (!path[0]) {
		int fd;

		snprintf(path, sizeof(path), "/tmp/vfr-fuzz-fixture-XXXXXX");
		fd = mkstemp(path);
		if (fd < 0)
			abort();
		close(fd);
	}
	f = fopen(path, "w");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	fx = fixture_load(path, &err);
	if (!fx) {
		check(err && err->message[0]);
		g_error_free(err);
		return 0;
	}
	for (guint i = 0; i < fx->devs->len; i++) {
		uint8_t cfg[4096];
		size_t n = fx_config_build(fx->devs->pdata[i], cfg);

		/* Short images are what corrupt=truncated asks for. */
		check(n <= sizeof(cfg));
	}
	fixture_free(fx);
	return 0;
}
