/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The capability walk over any config-space image, of any length: no read
 * past the image (ASan), every walk ends, a capability found lies inside.
 */
#include "capchain.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *cfg = malloc(size ? size : 1);
	char problem[256];
	size_t at;

	if (!cfg)
		abort();
	memcpy(cfg, data, size);
	if (capchain_check(cfg, size, problem, sizeof(problem)))
		check(problem[0] != '\0');
	at = capchain_find(cfg, size, size ? data[0] : 0x01);
	check(at == 0 || (at >= 0x40 && at + 2 <= size));
	free(cfg);
	return 0;
}
