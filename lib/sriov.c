/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SR-IOV as the kernel shows it, and the network interfaces of a function:
 * the VF's number is N of its PF's virtfnN link (what `ip link set PF vf N`
 * and the PF's driver use), which is not its position in address order
 * when VF Stride leaves gaps or VFs sit on another bus; sriov_totalvfs and
 * sriov_numvfs are read at each call, since creating VFs changes them.
 */
#include <stdlib.h>
#include <string.h>

#include "device-private.h"
#include "sysfs.h"

#define LOG_DOMAIN "sriov"

VFR_EXPORT int vfr_device_get_vf_index(struct vfr_device *dev, int *ret)
{
	g_auto(GStrv) names = NULL;
	struct vfr_device *pf;
	size_t n = 0;
	int fd, r;

	assert_return(dev && ret, -EINVAL);
	pf = vfr_device_get_physfn(dev);
	if (!pf)
		return -ENOENT;
	fd = host_device_dirfd(pf->host, pf);
	if (fd < 0)
		return fd;
	r = sysfs_list(fd, ".", &names, &n);
	if (r < 0)
		return r == -ENOENT ? -ENODEV : r;
	for (size_t i = 0; i < n; i++) {
		char target[4096], *end;
		const char *digits;
		long index;

		if (!g_str_has_prefix(names[i], "virtfn"))
			continue;
		digits = names[i] + strlen("virtfn");
		index = strtol(digits, &end, 10);
		if (end == digits || *end || index < 0 || index > 65535)
			continue;
		if (sysfs_readlink(fd, names[i], target, sizeof(target)) < 0)
			continue;
		if (strcmp(sysfs_basename(target), dev->name) == 0) {
			*ret = (int)index;
			return 0;
		}
	}
	return -ENOENT;
}

static int read_count(struct vfr_device *dev, const char *name, unsigned int *ret)
{
	char text[32];
	int v = -1, fd, r;

	fd = host_device_dirfd(dev->host, dev);
	if (fd < 0)
		return fd;
	r = sysfs_read(fd, name, text, sizeof(text));
	if (r < 0)
		return r;
	g_strstrip(text);
	if (device_parse_int(text, &v) < 0 || v < 0) {
		device_add_problem(dev, "its %s reads '%s', not a count", name, text);
		return -EIO;
	}
	*ret = (unsigned int)v;
	return 0;
}

VFR_EXPORT int vfr_device_get_sriov_totalvfs(struct vfr_device *dev, unsigned int *ret)
{
	assert_return(dev && ret, -EINVAL);
	return read_count(dev, "sriov_totalvfs", ret);
}

VFR_EXPORT int vfr_device_get_sriov_numvfs(struct vfr_device *dev, unsigned int *ret)
{
	assert_return(dev && ret, -EINVAL);
	return read_count(dev, "sriov_numvfs", ret);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

VFR_EXPORT int vfr_device_get_net_interfaces(struct vfr_device *dev, const char *const **ret)
{
	g_auto(GStrv) names = NULL;
	size_t n = 0;
	int fd, r;

	assert_return(dev && ret, -EINVAL);
	if (!dev->net_names) {
		fd = host_device_dirfd(dev->host, dev);
		if (fd < 0)
			return fd;
		r = sysfs_list(fd, "net", &names, &n);
		if (r == -ENOENT) {
			/* No net/: no interface; the function itself may be gone. */
			r = sysfs_exists(fd, ".");
			if (r < 0)
				return r;
			dev->net_names = g_new0(char *, 1);
		} else if (r < 0) {
			return r;
		} else {
			qsort(names, n, sizeof(*names), compare_names);
			dev->net_names = g_steal_pointer(&names);
		}
	}
	*ret = (const char *const *)dev->net_names;
	return 0;
}
