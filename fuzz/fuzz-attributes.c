/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What sysfs and /proc say, as the library parses it: the uevent keys, an
 * id, a number, a reset_method list, an fdinfo text, a maps line. The
 * first byte picks the parser, the rest is its text.
 */
#include <glib.h>

#include "device-private.h"
#include "fuzz.h"
#include "holders.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size == 0)
		return 0;
	text = fuzz_text(data + 1, size - 1);
	switch (data[0] % 6) {
	case 0: {
		struct vfr_device dev = { 0 };

		device_parse_uevent(&dev, text);
		check(!(dev.from_uevent & ~((1u << _ATTR_MAX) - 1)));
		g_free(dev.modalias);
		break;
	}
	case 1: {
		uint32_t v = 0;

		if (device_parse_hex(text, 0xffff, &v) == 0)
			check(v <= 0xffff && strncmp(text, "0x", 2) == 0);
		break;
	}
	case 2: {
		int v;

		device_parse_int(text, &v);
		break;
	}
	case 3: {
		char **m = device_parse_reset_methods(text);

		for (char **p = m; *p; p++)
			check(!strchr(*p, ' '));
		g_strfreev(m);
		break;
	}
	case 4: {
		struct vfr_address a;

		holders_parse_fdinfo(text, &a);
		break;
	}
	case 5: {
		unsigned int maj, min;
		unsigned long ino;
		const char *path = NULL;

		if (holders_parse_maps_line(text, &maj, &min, &ino, &path) == 0)
			check(path >= text && path <= text + strlen(text));
		break;
	}
	}
	free(text);
	return 0;
}
