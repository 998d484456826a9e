/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Holders of a function's VFIO nodes, found the way fuser(1) does: every
 * /proc/PID/fd entry is stat()ed (which follows the descriptor to the file
 * it refers to) and compared by st_dev/st_ino with the nodes. Comparing
 * inodes, not link text, keeps it right under another root and under a
 * path-redirecting preload, where the link text names a different path than
 * the one the library opened.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "device-private.h"
#include "holders.h"
#include "sysfs.h"

#define LOG_DOMAIN "holders"

struct node_id {
	dev_t dev;
	ino_t ino;
};

static void add_node(GArray *nodes, const char *path)
{
	struct stat st;
	struct node_id id;

	if (stat(path, &st) < 0)
		return; /* not created (not vfio-bound, no cdev support): nobody can hold it */
	id.dev = st.st_dev;
	id.ino = st.st_ino;
	g_array_append_val(nodes, id);
}

/* /dev/vfio/GROUP and, for every DEV/vfio-dev/vfioN, /dev/vfio/devices/vfioN. */
static int collect_nodes(struct vfr_device *dev, GArray *nodes)
{
	const char *root = dev->host->ctx->root;
	g_auto(GStrv) names = NULL;
	size_t n = 0;
	int group, fd, r;

	r = vfr_device_get_iommu_group(dev, &group);
	if (r == 0) {
		char num[32];
		g_autofree char *path = NULL;
		g_autofree char *fake = NULL;

		snprintf(num, sizeof(num), "%d", group);
		path = g_build_filename(root, "dev", "vfio", num, NULL);
		add_node(nodes, path);
		/* The group vfio fakes for a device without an IOMMU. */
		snprintf(num, sizeof(num), "noiommu-%d", group);
		fake = g_build_filename(root, "dev", "vfio", num, NULL);
		add_node(nodes, fake);
	} else if (r != -ENOENT) {
		return r;
	}
	fd = host_device_dirfd(dev->host, dev);
	if (fd < 0)
		return fd;
	r = sysfs_list(fd, "vfio-dev", &names, &n);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		g_autofree char *path = NULL;

		/* vfioN, or noiommu-vfioN for a device without an IOMMU. */
		path = g_build_filename(root, "dev", "vfio", "devices", names[i], NULL);
		add_node(nodes, path);
	}
	return 0;
}

/* Which of the @n node lists (one per function) contain the file of @st: bit per list. */
static void mark_nodes(GArray *const *nodes, size_t n, const struct stat *st, bool *held)
{
	for (size_t k = 0; k < n; k++) {
		for (guint i = 0; i < nodes[k]->len; i++) {
			const struct node_id *id = &g_array_index(nodes[k], struct node_id, i);

			if (id->dev == st->st_dev && id->ino == st->st_ino)
				held[k] = true;
		}
	}
}

/*
 * Sets held[k] when process @pid holds one of nodes[k]. Returns 0, or
 * -EACCES when its descriptors cannot be told.
 */
static int process_holds(int proc_fd, const char *pid, GArray *const *nodes, size_t n,
			 bool *held)
{
	g_autofree char *rel = g_strconcat(pid, "/fd", NULL);
	struct dirent *de;
	DIR *dir;
	int fd, r = 0;

	fd = openat(proc_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == EACCES || errno == EPERM ? -EACCES : 0; /* gone meanwhile: no holder */
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return 0;
	}
	while ((de = readdir(dir))) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		/* Follows the descriptor's magic link to the open file itself. */
		if (fstatat(dirfd(dir), de->d_name, &st, 0) < 0) {
			if (errno == EACCES || errno == EPERM)
				r = -EACCES;
			continue; /* closed meanwhile, or a descriptor to something gone */
		}
		mark_nodes(nodes, n, &st, held);
	}
	closedir(dir);
	return r;
}

static int compare_pid(gconstpointer a, gconstpointer b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int holders_find_many(struct vfr_device *const *devs, size_t n, GArray **ret_pids,
		      size_t *ret_uninspectable, struct vfr_error **reterr)
{
	g_autofree GArray **nodes = g_new0(GArray *, n ? n : 1);
	g_autofree bool *held = g_new0(bool, n ? n : 1);
	size_t uninspectable = 0, n_nodes = 0;
	pid_t self = getpid();
	struct dirent *de;
	DIR *proc = NULL;
	int r = 0;

	for (size_t k = 0; k < n; k++) {
		nodes[k] = g_array_new(FALSE, FALSE, sizeof(struct node_id));
		r = collect_nodes(devs[k], nodes[k]);
		if (r < 0) {
			r = error_set(reterr, r, devs[k]->name, "%s: cannot tell its VFIO nodes: %s",
				      devs[k]->name, g_strerror(-r));
			goto out;
		}
		n_nodes += nodes[k]->len;
	}
	for (size_t k = 0; k < n; k++)
		ret_pids[k] = g_array_new(FALSE, FALSE, sizeof(pid_t));
	/* One pass over /proc for all of them: its cost grows with the processes, not the functions. */
	if (n_nodes > 0 && !(proc = opendir("/proc"))) {
		r = -errno;
		for (size_t k = 0; k < n; k++)
			g_array_unref(g_steal_pointer(&ret_pids[k]));
		r = error_set(reterr, r, devs[0]->name,
			      "%s: cannot look for holders of its VFIO nodes: /proc: %s",
			      devs[0]->name, g_strerror(-r));
		goto out;
	}
	while (proc && (de = readdir(proc))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (end == de->d_name || *end || pid <= 0 || pid == self)
			continue;
		memset(held, 0, n * sizeof(bool));
		if (process_holds(dirfd(proc), de->d_name, nodes, n, held) == -EACCES)
			uninspectable++;
		for (size_t k = 0; k < n; k++) {
			pid_t p = (pid_t)pid;

			if (held[k])
				g_array_append_val(ret_pids[k], p);
		}
	}
	if (proc)
		closedir(proc);
	for (size_t k = 0; k < n; k++) {
		g_array_sort(ret_pids[k], compare_pid);
		vfr_dbg(devs[k]->host->ctx, "%s: %u holders of %u VFIO nodes", devs[k]->name,
			ret_pids[k]->len, nodes[k]->len);
	}
	if (ret_uninspectable)
		*ret_uninspectable = uninspectable;
	r = 0;
out:
	for (size_t k = 0; k < n; k++)
		if (nodes[k])
			g_array_unref(nodes[k]);
	return r;
}

int holders_find_full(struct vfr_device *dev, pid_t **ret_pids, size_t *ret_n,
		      size_t *ret_uninspectable, struct vfr_error **reterr)
{
	GArray *pids = NULL;
	int r;

	assert_return(dev && ret_pids && ret_n, -EINVAL);
	r = holders_find_many(&dev, 1, &pids, ret_uninspectable, reterr);
	if (r < 0)
		return r;
	*ret_n = pids->len;
	*ret_pids = (pid_t *)g_array_free(pids, FALSE);
	return 0;
}

int holders_find(struct vfr_device *dev, pid_t **ret_pids, size_t *ret_n,
		 struct vfr_error **reterr)
{
	return holders_find_full(dev, ret_pids, ret_n, NULL, reterr);
}

char *holders_describe(const pid_t *pids, size_t n, size_t uninspectable)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < n; i++) {
		const char *sep = i == 0 ? "" : (i + 1 == n && !uninspectable) ? " and " : ", ";

		g_string_append_printf(s, "%s%ld", sep, (long)pids[i]);
	}
	if (uninspectable)
		g_string_append_printf(s, "%s%zu process%s that could not be inspected",
				       n ? " and " : "", uninspectable, uninspectable == 1 ? "" : "es");
	return g_string_free(s, FALSE);
}
