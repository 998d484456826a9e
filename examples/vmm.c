/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How a VMM (QEMU-like) uses the library for the PCI functions it is given:
 * it says which nodes it opens and which files its manager must let it
 * open, opens the functions itself the way QEMU does (through their IOMMU
 * groups and a container, or as cdevs bound to an iommufd), hands its own
 * fds to the library, asks whether the kernel would allow a hot reset, and
 * resets them with those fds: the functions of one bus with one hot reset.
 * A function it cannot open because another process holds it is reported
 * with that process.
 *
 *   cc vmm.c $(pkg-config --cflags --libs vfioreset)
 *   ./a.out [--cdev] [--method M,...] [--timeout MS] [--keep-command] BDF...
 *
 * The functions must be bound to a vfio driver already (a manager did it:
 * `vfioreset bind`, or examples/handover). Try it on a simulated host:
 *   vfioreset-mock tests/fixtures/qemu-q35.ini -- sh -c \
 *     'vfioreset bind 04:00.0 04:00.1 && ./a.out --method hot 04:00.0 04:00.1'
 *
 * Exit status: 0 every function reset, 1 one could not be opened or reset,
 * 2 bad usage or input.
 */
#define _POSIX_C_SOURCE 200809L /* O_CLOEXEC */

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

#include <vfioreset/vfioreset.h>

/* The cdev uAPI (Linux 6.6), for headers older than that. */
#ifndef VFIO_DEVICE_BIND_IOMMUFD
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
};
#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)
#endif

#define USAGE "usage: vmm [--cdev] [--method M,...] [--timeout MS] [--keep-command] BDF...\n"
#define MAX_FUNCTIONS 64

struct args {
	bool cdev, keep_command;
	char *methods; /* NULL: vfio,hot (what QEMU uses: the device's own reset, else the bus) */
	int timeout_ms;
	char **bdfs;
	int n_bdfs;
};

/* What the VMM opened: a device fd per function; a group fd per group, or an iommufd. */
struct vmm {
	struct vfr_device *devs[MAX_FUNCTIONS];
	int device_fds[MAX_FUNCTIONS];
	int groups[MAX_FUNCTIONS], group_fds[MAX_FUNCTIONS];
	size_t n_devs, n_groups;
	int container, iommufd;
};

static bool parse_args(int argc, char **argv, struct args *a)
{
	*a = (struct args){ .timeout_ms = 10000 };
	for (int i = 1; i < argc; i++) {
		char *end;

		if (strcmp(argv[i], "--cdev") == 0) {
			a->cdev = true;
		} else if (strcmp(argv[i], "--keep-command") == 0) {
			a->keep_command = true;
		} else if (strcmp(argv[i], "--method") == 0 && i + 1 < argc && argv[i + 1][0]) {
			a->methods = argv[++i];
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			long ms = strtol(argv[++i], &end, 10);

			if (end == argv[i] || *end || ms < 1 || ms > 3600000)
				return false;
			a->timeout_ms = (int)ms;
		} else if (argv[i][0] == '-') {
			return false;
		} else {
			a->bdfs = argv + i;
			a->n_bdfs = argc - i;
			return a->n_bdfs <= MAX_FUNCTIONS;
		}
	}
	return false;
}

/* What a manager allows before starting the VMM: cgroup device rules, labels. */
static void print_access(struct vfr_device *dev, bool cdev)
{
	struct vfr_access_list *l = NULL;
	struct vfr_error *err = NULL;

	if (vfr_device_list_access(dev, &l, &err) < 0) {
		printf("access %s: unknown: %s\n", vfr_device_get_name(dev),
		       vfr_error_get_message(err));
		vfr_error_free(err);
		return;
	}
	for (size_t i = 0; i < vfr_access_list_get_n(l); i++) {
		enum vfr_access_kind kind = vfr_access_list_get_kind(l, i);
		bool group_mode = kind == VFR_ACCESS_GROUP_NODE || kind == VFR_ACCESS_CONTAINER;
		bool cdev_mode = kind == VFR_ACCESS_CDEV || kind == VFR_ACCESS_IOMMUFD;

		/* The nodes of the other mode are not needed. */
		if ((cdev && group_mode) || (!cdev && cdev_mode))
			continue;
		printf("access %s: %s %s", vfr_device_get_name(dev), vfr_access_kind_to_string(kind),
		       vfr_access_list_get_path(l, i));
		if (vfr_access_list_get_major(l, i) >= 0)
			printf(" c %d:%d rw", vfr_access_list_get_major(l, i),
			       vfr_access_list_get_minor(l, i));
		putchar('\n');
	}
	vfr_access_list_free(l);
}

/* Why a node could not be opened: another process holds it, named, or the errno. */
static void report_open_failure(struct vfr_device *dev, const char *node, int error)
{
	struct vfr_holders *h = NULL;

	fprintf(stderr, "vmm: %s: cannot open %s: %s\n", vfr_device_get_name(dev), node,
		strerror(error));
	if (error != EBUSY || vfr_device_find_holders(dev, &h, NULL) < 0)
		return;
	for (size_t i = 0; i < vfr_holders_get_n(h); i++)
		fprintf(stderr, "vmm: %s: held by pid %d\n", vfr_device_get_name(dev),
			vfr_holders_get_pid(h, i));
	vfr_holders_free(h);
}

/* QEMU's vfio_get_group(): the group's node, viable, into the one container. */
static int open_group(struct vmm *v, struct vfr_device *dev, int group)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	const char *node = NULL;
	int fd;

	for (size_t i = 0; i < v->n_groups; i++)
		if (v->groups[i] == group)
			return v->group_fds[i];
	if (vfr_device_get_vfio_group_node(dev, &node) < 0)
		return -ENOENT;
	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		report_open_failure(dev, node, errno);
		return -1;
	}
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &status) < 0 ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		fprintf(stderr, "vmm: %s: group %d is not viable\n", vfr_device_get_name(dev), group);
		close(fd);
		return -1;
	}
	if (v->container < 0 && (v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC)) < 0) {
		fprintf(stderr, "vmm: /dev/vfio/vfio: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	if (ioctl(fd, VFIO_GROUP_SET_CONTAINER, &v->container) < 0 ||
	    (v->n_groups == 0 && ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)) {
		fprintf(stderr, "vmm: %s: group %d into the container: %s\n",
			vfr_device_get_name(dev), group, strerror(errno));
		close(fd);
		return -1;
	}
	v->groups[v->n_groups] = group;
	v->group_fds[v->n_groups++] = fd;
	return fd;
}

static int open_device(struct vmm *v, struct vfr_device *dev, bool cdev)
{
	const char *node = NULL;
	int fd, group;

	if (!cdev) {
		int group_fd;

		if (vfr_device_get_iommu_group(dev, &group) < 0 ||
		    (group_fd = open_group(v, dev, group)) < 0)
			return -1;
		fd = ioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, vfr_device_get_name(dev));
		if (fd < 0)
			fprintf(stderr, "vmm: %s: no device fd from its group: %s\n",
				vfr_device_get_name(dev), strerror(errno));
		return fd;
	}
	if (vfr_device_get_vfio_cdev(dev, &node) < 0) {
		fprintf(stderr, "vmm: %s: no vfio cdev (not bound to vfio, or no cdev support)\n",
			vfr_device_get_name(dev));
		return -1;
	}
	if (v->iommufd < 0 && (v->iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC)) < 0) {
		fprintf(stderr, "vmm: /dev/iommu: %s\n", strerror(errno));
		return -1;
	}
	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		report_open_failure(dev, node, errno);
		return -1;
	}
	{
		struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind), .iommufd = v->iommufd };

		if (ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind) < 0) {
			fprintf(stderr, "vmm: %s: bind to the iommufd: %s\n", vfr_device_get_name(dev),
				strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

static void vmm_close(struct vmm *v)
{
	for (size_t i = 0; i < v->n_devs; i++)
		if (v->device_fds[i] >= 0)
			close(v->device_fds[i]);
	for (size_t i = 0; i < v->n_groups; i++)
		close(v->group_fds[i]);
	if (v->container >= 0)
		close(v->container);
	if (v->iommufd >= 0)
		close(v->iommufd);
}

/* The library borrows the VMM's fds: it asks the kernel and resets with them. */
static int adopt(struct vmm *v, struct vfr_vfio_holding *holding)
{
	struct vfr_error *err = NULL;
	int r = 0;

	for (size_t i = 0; i < v->n_groups && r == 0; i++)
		r = vfr_vfio_holding_adopt_group(holding, v->groups[i], v->group_fds[i], &err);
	for (size_t i = 0; i < v->n_devs && r == 0; i++)
		r = vfr_vfio_holding_adopt_device(holding, v->devs[i], v->device_fds[i], &err);
	if (r < 0) {
		fprintf(stderr, "vmm: %s\n", vfr_error_get_message(err));
		vfr_error_free(err);
	}
	return r;
}

/* What the kernel says about a hot reset of each function, from the VMM's fds. */
static void ask(struct vmm *v, struct vfr_vfio_holding *holding)
{
	for (size_t i = 0; i < v->n_devs; i++) {
		struct vfr_hot_reset_check *check = NULL;
		struct vfr_error *err = NULL;

		if (vfr_vfio_holding_check_hot_reset(holding, v->devs[i], &check, &err) < 0) {
			printf("hot-reset %s: unknown: %s\n", vfr_device_get_name(v->devs[i]),
			       vfr_error_get_message(err));
			vfr_error_free(err);
			continue;
		}
		printf("hot-reset %s: %s\n", vfr_device_get_name(v->devs[i]),
		       vfr_hot_reset_check_get_summary(check));
		vfr_hot_reset_check_free(check);
	}
}

static bool reset_all(struct vmm *v, struct vfr_vfio_holding *holding, const struct args *a)
{
	static const char *const default_methods[] = { "vfio", "hot", NULL };
	struct vfr_reset_options *opts = NULL;
	struct vfr_reset_batch *batch = NULL;
	struct vfr_error *err = NULL;
	char **methods = NULL;
	bool ok = false;

	if (vfr_reset_options_new(&opts) < 0)
		return false;
	if (a->methods) {
		methods = calloc(strlen(a->methods) + 2, sizeof(char *));
		if (!methods)
			goto out;
		{
			size_t n = 0;

			for (char *tok = strtok(a->methods, ","); tok; tok = strtok(NULL, ","))
				methods[n++] = tok;
		}
	}
	if (vfr_reset_options_set_methods(opts, methods ? (const char *const *)methods
							: default_methods) < 0) {
		fprintf(stderr, "vmm: --method %s: not reset methods\n", a->methods);
		goto out;
	}
	vfr_reset_options_set_timeout(opts, a->timeout_ms);
	vfr_reset_options_set_vfio_holding(opts, holding);
	if (a->keep_command)
		vfr_reset_options_set_flags(opts, VFR_RESET_KEEP_COMMAND);
	if (vfr_reset_batch_run(v->devs, v->n_devs, opts, &batch, &err) < 0) {
		fprintf(stderr, "vmm: %s\n", vfr_error_get_message(err));
		vfr_error_free(err);
		goto out;
	}
	for (size_t i = 0; i < vfr_reset_batch_get_n(batch); i++) {
		const struct vfr_reset_result *res = vfr_reset_batch_get_result(batch, i);
		enum vfr_reset_outcome outcome = vfr_reset_result_get_outcome(res);

		if (outcome == VFR_RESET_OUTCOME_RESET)
			printf("reset %s: ok with %s", vfr_reset_result_get_address(res),
			       vfr_reset_result_get_method(res));
		else
			printf("reset %s: %s: %s", vfr_reset_result_get_address(res),
			       vfr_reset_outcome_to_string(outcome), vfr_reset_result_get_message(res));
		if (vfr_reset_result_get_merged_with(res))
			printf(" (one reset of the bus, issued on %s)",
			       vfr_reset_result_get_merged_with(res));
		else if (vfr_reset_result_get_n_merged(res))
			printf(" (one reset of the bus, for %zu function%s more)",
			       vfr_reset_result_get_n_merged(res),
			       vfr_reset_result_get_n_merged(res) == 1 ? "" : "s");
		putchar('\n');
		for (size_t k = 0; outcome != VFR_RESET_OUTCOME_RESET &&
				   k < vfr_reset_result_get_n_attempts(res); k++) {
			int e = vfr_reset_result_get_attempt_error(res, k);

			printf("  %s: %s\n", vfr_reset_result_get_attempt_method(res, k),
			       e ? strerror(-e) : "ok");
		}
		if (vfr_reset_result_get_pending_pid(res) > 0)
			printf("  still pending in the kernel: pid %d\n",
			       vfr_reset_result_get_pending_pid(res));
	}
	ok = vfr_reset_batch_is_ok(batch);
	vfr_reset_batch_free(batch);
out:
	free(methods);
	vfr_reset_options_free(opts);
	return ok;
}

int main(int argc, char **argv)
{
	struct vmm v = { .container = -1, .iommufd = -1 };
	struct vfr_vfio_holding *holding = NULL;
	struct vfr_ctx *ctx = NULL;
	struct vfr_host *host = NULL;
	struct vfr_error *err = NULL;
	struct args a;
	int status = 1;

	if (!parse_args(argc, argv, &a)) {
		fputs(USAGE, stderr);
		return 2;
	}
	if (vfr_ctx_new(NULL, &ctx, &err) < 0 || vfr_host_scan(ctx, &host, &err) < 0) {
		fprintf(stderr, "vmm: %s\n", vfr_error_get_message(err));
		vfr_error_free(err);
		vfr_ctx_unref(ctx);
		return 1;
	}
	for (int i = 0; i < a.n_bdfs; i++) {
		struct vfr_device *dev = NULL;
		enum vfr_driver_type type = VFR_DRIVER_NONE;

		if (vfr_host_lookup(host, a.bdfs[i], &dev, &err) < 0) {
			fprintf(stderr, "vmm: %s\n", vfr_error_get_message(err));
			vfr_error_free(err);
			status = 2;
			goto out;
		}
		if (vfr_device_get_driver_type(dev, &type) < 0 || !vfr_driver_type_is_vfio(type)) {
			fprintf(stderr, "vmm: %s is not bound to a vfio driver\n", a.bdfs[i]);
			status = 2;
			goto out;
		}
		v.devs[v.n_devs] = dev;
		v.device_fds[v.n_devs++] = -1;
	}

	for (size_t i = 0; i < v.n_devs; i++)
		print_access(v.devs[i], a.cdev);
	for (size_t i = 0; i < v.n_devs; i++)
		if ((v.device_fds[i] = open_device(&v, v.devs[i], a.cdev)) < 0)
			goto out;
	if (vfr_vfio_holding_new(host, a.cdev ? VFR_HOT_RESET_MODE_CDEV : VFR_HOT_RESET_MODE_GROUP,
				 &holding) < 0 ||
	    adopt(&v, holding) < 0)
		goto out;
	ask(&v, holding);
	if (reset_all(&v, holding, &a))
		status = 0;
out:
	/* The holding borrows the fds: freed first, then the VMM closes them. */
	vfr_vfio_holding_free(holding);
	vmm_close(&v);
	vfr_host_unref(host);
	vfr_ctx_unref(ctx);
	return status;
}
