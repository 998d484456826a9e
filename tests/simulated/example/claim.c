/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HARNESS.md's example: a VMM's passthrough code, unchanged, and its test,
 * run as `vfioreset-mock claim.ini -- ./claim`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the code under test ---- */

static int sysfs_write(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, value, strlen(value)) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int rebind(const char *bdf, const char *override)
{
	char path[256];
	int r;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	if ((r = sysfs_write(path, override)) < 0)
		return r;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
	if ((r = sysfs_write(path, bdf)) < 0 && r != -ENOENT)
		return r;
	return sysfs_write("/sys/bus/pci/drivers_probe", bdf);
}

/* Binds @bdf to vfio-pci and opens its group: the group fd, or -errno. */
static int vmm_claim(const char *bdf)
{
	char path[256], link[256];
	ssize_t n;
	int r, fd;

	if ((r = rebind(bdf, "vfio-pci")) < 0)
		return r;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	if ((n = readlink(path, link, sizeof(link) - 1)) < 0)
		return -errno;
	link[n] = '\0';
	snprintf(path, sizeof(path), "/dev/vfio/%s", strrchr(link, '/') + 1);
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Gives @bdf back to whatever driver matches it. */
static int vmm_release(const char *bdf)
{
	return rebind(bdf, "\n");
}

/* ---- its test ---- */

#define check(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);     \
			exit(1);                                                       \
		}                                                                      \
	} while (0)

static bool journal_has(const char *line)
{
	char path[4096], buf[256];
	bool found = false;
	FILE *f;

	/* Below the root itself, not below /sys: not redirected. */
	snprintf(path, sizeof(path), "%s/.vfr-mock/journal", getenv("VFR_MOCK_ROOT"));
	f = fopen(path, "r");
	check(f);
	while (fgets(buf, sizeof(buf), f))
		found |= strncmp(buf, line, strlen(line)) == 0 && buf[strlen(line)] == '\n';
	fclose(f);
	return found;
}

static bool bound_to(const char *bdf, const char *driver)
{
	char path[256], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	if ((n = readlink(path, link, sizeof(link) - 1)) < 0)
		return false;
	link[n] = '\0';
	return strcmp(strrchr(link, '/') + 1, driver) == 0;
}

int main(void)
{
	int fd;

	check(getenv("VFR_MOCK_ROOT"));
	fd = vmm_claim("0000:01:00.0");
	check(fd >= 0);
	check(bound_to("0000:01:00.0", "vfio-pci"));
	check(journal_has("unbind 0000:01:00.0 e1000e"));
	check(journal_has("bind 0000:01:00.0 vfio-pci"));
	close(fd);

	/* The description's fault: the group is busy from its second open on. */
	check(vmm_claim("0000:01:00.0") == -EBUSY);

	check(vmm_release("0000:01:00.0") == 0);
	check(bound_to("0000:01:00.0", "e1000e"));
	check(access("/dev/vfio/2", F_OK) < 0 && errno == ENOENT);
	puts("claim: ok");
	return 0;
}
