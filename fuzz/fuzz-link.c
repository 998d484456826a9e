/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sysfs_resolve_link(): the text of a link found in a directory of the
 * tree, folded against it, never leads above the tree nor keeps a "." or
 * ".." component. Input: "BASE\nTARGET".
 */
#include "fuzz.h"
#include "sysfs.h"

/* The library's own bases are clean relative paths: only those are held to the property. */
static int clean(const char *path)
{
	if (path[0] == '/')
		return 0;
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p += n;
		if (*p == '/')
			p++;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	char *target = strchr(text, '\n');
	char buf[256];

	if (target) {
		*target++ = '\0';
		if (clean(text) && sysfs_resolve_link(text, target, buf, sizeof(buf)) == 0) {
			check(strlen(buf) < sizeof(buf));
			check(buf[0] == '\0' || clean(buf));
		}
	}
	free(text);
	return 0;
}
