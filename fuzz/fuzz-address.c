/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfr_address_parse(): anything parsed formats to a spelling that parses to the same address. */
#include <vfioreset/vfioreset.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct vfr_error *err = NULL;
	struct vfr_address a, b;
	char buf[VFR_ADDRESS_STRLEN];

	if (vfr_address_parse(text, &a, &err) == 0) {
		check(err == NULL);
		check(vfr_address_format(&a, buf, sizeof(buf)) > 0);
		check(vfr_address_parse(buf, &b, NULL) == 0);
		check(vfr_address_compare(&a, &b) == 0);
	} else {
		/* A refusal says why, and names the input. */
		check(err && vfr_error_get_message(err)[0]);
	}
	vfr_error_free(err);
	free(text);
	return 0;
}
