/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Prints the PCI tree as the kernel's device hierarchy has it: each root-bus
 * function, and below every bridge the functions behind it; VFs are marked
 * with their PF.
 *
 *   cc topology.c $(pkg-config --cflags --libs vfioreset)
 *   ./a.out [ROOT]
 */
#include <stdio.h>

#include <vfioreset/vfioreset.h>

static void print_tree(struct vfr_device *dev, int depth)
{
	struct vfr_device *pf = vfr_device_get_physfn(dev);
	enum vfr_header_type type;

	vfr_device_get_header_type(dev, &type);
	printf("%*s%s %s", depth * 2, "", vfr_device_get_name(dev),
	       vfr_header_type_to_string(type));
	if (pf)
		printf(" (VF of %s)", vfr_device_get_name(pf));
	putchar('\n');
	for (size_t i = 0; i < vfr_device_get_n_children(dev); i++)
		print_tree(vfr_device_get_child(dev, i), depth + 1);
}

int main(int argc, char **argv)
{
	struct vfr_ctx *ctx = NULL;
	struct vfr_host *host = NULL;
	struct vfr_error *err = NULL;

	if (vfr_ctx_new(argc > 1 ? argv[1] : NULL, &ctx, &err) < 0 ||
	    vfr_host_scan(ctx, &host, &err) < 0) {
		fprintf(stderr, "topology: %s\n", vfr_error_get_message(err));
		vfr_error_free(err);
		vfr_ctx_unref(ctx);
		return 1;
	}
	for (size_t i = 0; i < vfr_host_get_n_devices(host); i++) {
		struct vfr_device *dev = vfr_host_get_device(host, i);

		if (!vfr_device_get_parent(dev))
			print_tree(dev, 0);
	}
	vfr_host_unref(host);
	vfr_ctx_unref(ctx);
	return 0;
}
