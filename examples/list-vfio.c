/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Lists the functions a VMM could open through VFIO right now, with their
 * IOMMU group and the other members of that group.
 *
 *   cc list-vfio.c $(pkg-config --cflags --libs vfioreset)
 *   ./a.out [ROOT]
 */
#include <stdio.h>

#include <vfioreset/vfioreset.h>

int main(int argc, char **argv)
{
	struct vfr_ctx *ctx = NULL;
	struct vfr_host *host = NULL;
	struct vfr_error *err = NULL;
	size_t found = 0;

	if (vfr_ctx_new(argc > 1 ? argv[1] : NULL, &ctx, &err) < 0 ||
	    vfr_host_scan(ctx, &host, &err) < 0) {
		fprintf(stderr, "list-vfio: %s\n", vfr_error_get_message(err));
		vfr_error_free(err);
		vfr_ctx_unref(ctx);
		return 1;
	}

	for (size_t i = 0; i < vfr_host_get_n_devices(host); i++) {
		struct vfr_device *dev = vfr_host_get_device(host, i);
		enum vfr_driver_type type;
		const char *driver;
		int group;

		if (vfr_device_get_driver_type(dev, &type) < 0 ||
		    (type != VFR_DRIVER_VFIO_PCI && type != VFR_DRIVER_VFIO_VARIANT))
			continue;
		vfr_device_get_driver(dev, &driver);
		found++;
		if (vfr_device_get_iommu_group(dev, &group) < 0) {
			printf("%s %s (no IOMMU group)\n", vfr_device_get_name(dev), driver);
			continue;
		}
		printf("%s %s group %d:", vfr_device_get_name(dev), driver, group);
		for (size_t j = 0; j < vfr_host_get_n_group_devices(host, group); j++)
			printf(" %s", vfr_device_get_name(vfr_host_get_group_device(host, group, j)));
		putchar('\n');
	}
	printf("%zu of %zu functions are bound to a vfio driver\n", found,
	       vfr_host_get_n_devices(host));
	vfr_host_unref(host);
	vfr_ctx_unref(ctx);
	return 0;
}
