// SPDX-License-Identifier: LGPL-2.1-or-later
// The public headers compile as C++ and link without name mangling trouble.
#include <vfioreset/vfioreset.h>

int main()
{
	struct vfr_address a = {};
	char buf[VFR_ADDRESS_STRLEN];

	if (vfr_address_parse("0000:01:00.0", &a, nullptr) != 0)
		return 1;
	return vfr_address_format(&a, buf, sizeof(buf)) == 12 ? 0 : 1;
}
