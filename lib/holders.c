/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Holders of a function (holders.h), found the way fuser(1) does, in one
 * pass over /proc for a whole batch: every /proc/PID/fd entry is stat()ed
 * (which follows the descriptor to the file it refers to) and compared by
 * st_dev/st_ino with the function's nodes; anonymous files are named by
 * their link text and fdinfo; /proc/PID/maps is compared by device and
 * inode. Comparing inodes, not paths, keeps it right under another root
 * and under a path-redirecting harness.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <glib.h>

#include "beneath.h"
#include "device-private.h"
#include "holders.h"
#include "pending.h"
#include "sysfs.h"

#define LOG_DOMAIN "holders"

/* The link text of a VFIO device file (vfio_device_fops, an anonymous inode). */
#define VFIO_DEVICE_FILE "anon_inode:[vfio-device]"

struct node_id {
	dev_t dev;
	ino_t ino;
	unsigned int how; /* how it is held: HOLDER_GROUP, HOLDER_CDEV; mapped: HOLDER_MMAP */
	bool map_only;    /* a resource file: only a mapping of it counts */
};

/* One function's side of the scan. */
struct target {
	struct vfr_device *dev;
	GArray *nodes; /* struct node_id */
	bool vfio;     /* bound to a vfio driver: it can have device files */
};

void holders_clear(struct holders *h)
{
	if (h->certain)
		g_array_unref(h->certain);
	if (h->uncertain)
		g_array_unref(h->uncertain);
	if (h->stuck)
		g_array_unref(h->stuck);
	memset(h, 0, sizeof(*h));
}

static void add_node(const struct vfr_ctx *ctx, GArray *nodes, const char *rel, unsigned int how)
{
	struct stat st;
	struct node_id id = { .how = how };

	/* A link in a node's place is not followed: it is not the node. */
	if (ctx_stat(ctx, rel, &st) < 0)
		return; /* not created (not vfio-bound, no cdev support): nobody can hold it */
	id.dev = st.st_dev;
	id.ino = st.st_ino;
	g_array_append_val(nodes, id);
}

/* resourceN and resourceN_wc: the BARs as sysfs lets a process map them. */
static bool is_resource_file(const char *name)
{
	const char *p;

	if (!g_str_has_prefix(name, "resource") || !g_ascii_isdigit(name[8]))
		return false;
	for (p = name + 8; g_ascii_isdigit(*p); p++)
		;
	return *p == '\0' || strcmp(p, "_wc") == 0;
}

/*
 * /dev/vfio/GROUP, /dev/vfio/noiommu-GROUP, for every DEV/vfio-dev/vfioN
 * /dev/vfio/devices/vfioN, and the function's resource files.
 */
static int collect_nodes(struct target *t)
{
	struct vfr_device *dev = t->dev;
	const struct vfr_ctx *ctx = dev->host->ctx;
	g_auto(GStrv) names = NULL;
	enum vfr_driver_type type = VFR_DRIVER_NONE;
	size_t n = 0;
	int group, fd, r;

	t->vfio = vfr_device_get_driver_type(dev, &type) == 0 && driver_type_is_vfio(type);
	r = vfr_device_get_iommu_group(dev, &group);
	if (r == 0) {
		char rel[64];

		snprintf(rel, sizeof(rel), "dev/vfio/%d", group);
		add_node(ctx, t->nodes, rel, HOLDER_GROUP);
		/* The group vfio fakes for a device without an IOMMU. */
		snprintf(rel, sizeof(rel), "dev/vfio/noiommu-%d", group);
		add_node(ctx, t->nodes, rel, HOLDER_GROUP);
	} else if (r != -ENOENT) {
		return r;
	}
	fd = host_device_dirfd(dev->host, dev);
	if (fd < 0)
		return fd;
	r = sysfs_list(fd, ".", &names, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		struct node_id id = { .how = HOLDER_MMAP, .map_only = true };

		if (!is_resource_file(names[i]) ||
		    fstatat(fd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		id.dev = st.st_dev;
		id.ino = st.st_ino;
		g_array_append_val(t->nodes, id);
	}
	/* A stuck call of another tool has one of these open (HOLDER_STUCK). */
	for (size_t i = 0; i < 2; i++) {
		static const char *const calls[] = { "reset", "config" };
		struct stat st;
		struct node_id id = { .how = HOLDER_STUCK };

		if (fstatat(fd, calls[i], &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		id.dev = st.st_dev;
		id.ino = st.st_ino;
		g_array_append_val(t->nodes, id);
	}
	g_clear_pointer(&names, g_strfreev);
	r = sysfs_list(fd, "vfio-dev", &names, &n);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		g_autofree char *rel = NULL;

		/* vfioN, or noiommu-vfioN for a device without an IOMMU. */
		if (!beneath_name_valid(names[i]))
			continue;
		rel = g_build_filename("dev/vfio/devices", names[i], NULL);
		add_node(ctx, t->nodes, rel, HOLDER_CDEV);
	}
	return 0;
}

/* ---- what one process holds ---- */

/*
 * Marks in @how[k] what process holds of target k; @unnamed: it holds
 * something unnamed; @some_group: it holds some group node (of any group).
 */
struct seen {
	unsigned int *how;
	const GArray *groups; /* struct node_id: every group node of the host */
	bool unnamed;
	bool some_group;
	bool uninspectable;
};

static void mark_file(const struct target *t, size_t n, dev_t dev, ino_t ino, bool mapped,
		      struct seen *s)
{
	for (size_t k = 0; k < n; k++) {
		for (guint i = 0; i < t[k].nodes->len; i++) {
			const struct node_id *id = &g_array_index(t[k].nodes, struct node_id, i);

			if (id->dev != dev || id->ino != ino || (id->map_only && !mapped) ||
			    (id->how == HOLDER_STUCK && mapped))
				continue;
			s->how[k] |= mapped ? HOLDER_MMAP : id->how;
		}
	}
}

static void mark_addr(const struct target *t, size_t n, const struct vfr_address *addr,
		      struct seen *s)
{
	for (size_t k = 0; k < n; k++)
		if (vfr_address_compare(&t[k].dev->addr, addr) == 0)
			s->how[k] |= HOLDER_DEVICE;
}

int holders_parse_fdinfo(const char *text, struct vfr_address *ret_addr)
{
	static const char key[] = "vfio-device-syspath:";

	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (len > sizeof(key) - 1 && strncmp(line, key, sizeof(key) - 1) == 0) {
			g_autofree char *path = g_strstrip(g_strndup(line + sizeof(key) - 1,
								     len - (sizeof(key) - 1)));
			const char *base = strrchr(path, '/');

			/* The last component of the function's sysfs path is its address. */
			return vfr_address_parse(base ? base + 1 : path, ret_addr, NULL) == 0 ? 0 : -EIO;
		}
		line = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

/* A descriptor that is an anonymous file: what it is, from its link text and fdinfo. */
static void inspect_anon(int pid_fd, const char *fd_name, const struct target *t, size_t n,
			 struct seen *s)
{
	g_autofree char *info_rel = g_strconcat("fdinfo/", fd_name, NULL);
	g_autofree char *rel = g_strconcat("fd/", fd_name, NULL);
	char link[64], info[4096];
	struct vfr_address addr;
	ssize_t len;
	int fd;

	len = readlinkat(pid_fd, rel, link, sizeof(link) - 1);
	if (len < 0)
		return; /* closed meanwhile */
	link[len] = '\0';
	if (strcmp(link, VFIO_DEVICE_FILE) != 0)
		return;
	fd = openat(pid_fd, info_rel, O_RDONLY | O_CLOEXEC);
	len = fd < 0 ? -1 : read(fd, info, sizeof(info) - 1);
	if (fd >= 0)
		close(fd);
	if (len < 0) {
		s->unnamed = true;
		return;
	}
	info[len] = '\0';
	if (holders_parse_fdinfo(info, &addr) == 0)
		mark_addr(t, n, &addr, s);
	else
		s->unnamed = true;
}

static void scan_fds(int pid_fd, const struct target *t, size_t n, struct seen *s)
{
	struct dirent *de;
	DIR *dir;
	int fd;

	fd = openat(pid_fd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EACCES || errno == EPERM)
			s->uninspectable = true;
		return; /* gone meanwhile, or a kernel thread's */
	}
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((de = readdir(dir))) {
		struct stat st;
		int r;

		if (de->d_name[0] == '.')
			continue;
		/* Follows the descriptor's magic link to the open file itself. */
		r = fstatat(dirfd(dir), de->d_name, &st, 0);
		if (r < 0 && (errno == EACCES || errno == EPERM)) {
			s->uninspectable = true;
			continue;
		}
		if (r == 0) {
			mark_file(t, n, st.st_dev, st.st_ino, false, s);
			for (guint i = 0; !s->some_group && i < s->groups->len; i++) {
				const struct node_id *g = &g_array_index(s->groups, struct node_id, i);

				s->some_group = g->dev == st.st_dev && g->ino == st.st_ino;
			}
		}
		/*
		 * An anonymous inode has no file type; a deleted file has no
		 * links left. Only those can be a device file: the link text of
		 * the rest is not read.
		 */
		if (r < 0 ? errno == ENOENT
			  : (st.st_mode & S_IFMT) == 0 || (S_ISREG(st.st_mode) && st.st_nlink == 0))
			inspect_anon(pid_fd, de->d_name, t, n, s);
	}
	closedir(dir);
}

int holders_parse_maps_line(const char *line, unsigned int *ret_major, unsigned int *ret_minor,
			    unsigned long *ret_ino, const char **ret_path)
{
	unsigned int major, minor;
	unsigned long ino;
	int end = 0;

	/* "start-end perms offset major:minor inode    path", the device in hex. */
	if (sscanf(line, "%*x-%*x %*4s %*x %x:%x %lu%n", &major, &minor, &ino, &end) != 3)
		return -EINVAL;
	line += end;
	while (*line == ' ' || *line == '\t')
		line++;
	*ret_major = major;
	*ret_minor = minor;
	*ret_ino = ino;
	*ret_path = line;
	return 0;
}

static void scan_maps(int pid_fd, const struct target *t, size_t n, struct seen *s)
{
	g_autofree char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int fd;

	fd = openat(pid_fd, "maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EACCES || errno == EPERM)
			s->uninspectable = true;
		return;
	}
	f = fdopen(fd, "re");
	if (!f) {
		close(fd);
		return;
	}
	while (getline(&line, &cap, f) > 0) {
		unsigned int major, minor;
		unsigned long ino;
		const char *path;

		g_strchomp(line);
		if (holders_parse_maps_line(line, &major, &minor, &ino, &path) < 0)
			continue;
		if (strcmp(path, VFIO_DEVICE_FILE) == 0)
			s->unnamed = true; /* no map of a device file says which device */
		else if (ino != 0)
			mark_file(t, n, makedev(major, minor), (ino_t)ino, true, s);
	}
	if (ferror(f))
		s->uninspectable = errno == EACCES || errno == EPERM;
	fclose(f);
}

/* Is process @pid_fd asleep uninterruptibly (in a kernel call that may never return)? */
static bool asleep_in_kernel(int pid_fd)
{
	char state;

	return proc_stat_read(pid_fd, "stat", &state, NULL) == 0 && state == 'D';
}

static int compare_holder(gconstpointer a, gconstpointer b)
{
	pid_t x = ((const struct holder *)a)->pid, y = ((const struct holder *)b)->pid;

	return (x > y) - (x < y);
}

/*
 * Every group node of the host (ROOT/dev/vfio/N, noiommu-N), whichever
 * function it is of: a process that holds one took its device files from
 * a group it holds.
 */
static GArray *host_group_nodes(const struct vfr_ctx *ctx)
{
	GArray *nodes = g_array_new(FALSE, FALSE, sizeof(struct node_id));
	g_auto(GStrv) names = NULL;
	size_t n = 0;
	int fd = ctx ? ctx_open(ctx, "dev/vfio", O_RDONLY | O_DIRECTORY, 0, BENEATH_DIR) : -1;
	int r = fd >= 0 ? sysfs_list(fd, ".", &names, &n) : fd;

	if (fd >= 0)
		close(fd);
	if (r < 0)
		return nodes;
	for (size_t i = 0; i < n; i++) {
		const char *num = g_str_has_prefix(names[i], "noiommu-") ? names[i] + 8 : names[i];
		g_autofree char *rel = NULL;

		if (!*num || strspn(num, "0123456789") != strlen(num))
			continue;
		rel = g_strconcat("dev/vfio/", names[i], NULL);
		add_node(ctx, nodes, rel, HOLDER_GROUP);
	}
	return nodes;
}

int holders_find_many_at(const char *proc, struct vfr_device *const *devs, size_t n,
			 struct holders *ret, size_t *ret_uninspectable, struct vfr_error **reterr)
{
	g_autofree struct target *t = g_new0(struct target, n ? n : 1);
	g_autofree unsigned int *how = g_new0(unsigned int, n ? n : 1);
	g_autoptr(GArray) groups = NULL;
	size_t uninspectable = 0;
	bool any_vfio = false, any_node = false;
	pid_t self = getpid();
	struct dirent *de;
	DIR *dir = NULL;
	int r = 0;

	for (size_t k = 0; k < n; k++) {
		t[k].dev = devs[k];
		t[k].nodes = g_array_new(FALSE, FALSE, sizeof(struct node_id));
		r = collect_nodes(&t[k]);
		if (r < 0) {
			r = error_set(reterr, r, devs[k]->name, "%s: cannot tell its VFIO nodes: %s",
				      devs[k]->name, g_strerror(-r));
			goto out;
		}
		any_vfio |= t[k].vfio;
		any_node |= t[k].nodes->len > 0;
	}
	/* One pass over /proc for all of them: its cost grows with the processes, not the functions. */
	if ((any_node || any_vfio) && !(dir = opendir(proc))) {
		r = -errno;
		r = error_set(reterr, r, devs[0]->name,
			      "%s: cannot look for holders of its VFIO nodes: %s: %s", devs[0]->name,
			      proc, g_strerror(-r));
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		memset(&ret[k], 0, sizeof(ret[k]));
		ret[k].certain = g_array_new(FALSE, FALSE, sizeof(struct holder));
		ret[k].uncertain = g_array_new(FALSE, FALSE, sizeof(struct holder));
		ret[k].stuck = g_array_new(FALSE, FALSE, sizeof(struct holder));
	}
	groups = host_group_nodes(n ? devs[0]->host->ctx : NULL);
	while (dir && (de = readdir(dir))) {
		struct seen s = { .how = how, .groups = groups };
		bool stuck;
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		int pid_fd;

		if (end == de->d_name || *end || pid <= 0)
			continue;
		pid_fd = openat(dirfd(dir), de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (pid_fd < 0)
			continue; /* gone meanwhile */
		memset(how, 0, n * sizeof(*how));
		scan_fds(pid_fd, t, n, &s);
		scan_maps(pid_fd, t, n, &s);
		stuck = false;
		for (size_t k = 0; k < n; k++)
			if (how[k] & HOLDER_STUCK) {
				/* Only a sleeper counts: lspci reading config now is no stuck call. */
				stuck = asleep_in_kernel(pid_fd);
				break;
			}
		close(pid_fd);
		if (s.uninspectable)
			uninspectable++;
		for (size_t k = 0; k < n; k++) {
			struct holder h = { .pid = (pid_t)pid, .how = how[k] };
			bool maybe;

			if (h.how & HOLDER_STUCK) {
				if (stuck && pid != self) {
					struct holder sleeper = { .pid = h.pid, .how = HOLDER_STUCK };

					g_array_append_val(ret[k].stuck, sleeper);
				}
				h.how &= ~HOLDER_STUCK;
				how[k] &= ~HOLDER_STUCK;
			}
			/*
			 * Only a function bound to a vfio driver has device files to
			 * hold, and a device file comes from a group: a process that
			 * holds a group node took its device files from its groups
			 * (QEMU keeps them open, and maps the device files), so only
			 * one that holds none may hold any function.
			 */
			maybe = s.unnamed && !s.some_group && t[k].vfio && !how[k];
			if (pid == self) {
				ret[k].self = how[k];
				ret[k].self_uncertain = maybe;
				continue;
			}
			if (h.how)
				g_array_append_val(ret[k].certain, h);
			if (maybe) {
				h.how = HOLDER_UNNAMED;
				g_array_append_val(ret[k].uncertain, h);
			}
		}
	}
	for (size_t k = 0; k < n; k++) {
		g_array_sort(ret[k].certain, compare_holder);
		g_array_sort(ret[k].uncertain, compare_holder);
		vfr_dbg(devs[k]->host->ctx, "%s: %u holders, %u uncertain, of %u nodes",
			devs[k]->name, ret[k].certain->len, ret[k].uncertain->len, t[k].nodes->len);
	}
	if (ret_uninspectable)
		*ret_uninspectable = uninspectable;
	r = 0;
out:
	if (dir)
		closedir(dir);
	for (size_t k = 0; k < n; k++)
		if (t[k].nodes)
			g_array_unref(t[k].nodes);
	return r;
}

int holders_find_many(struct vfr_device *const *devs, size_t n, struct holders *ret,
		      size_t *ret_uninspectable, struct vfr_error **reterr)
{
	assert_return((devs || n == 0) && ret, -EINVAL);
	return holders_find_many_at("/proc", devs, n, ret, ret_uninspectable, reterr);
}

static const char *how_text(unsigned int how)
{
	if (how & HOLDER_DEVICE)
		return "a device file";
	if (how & HOLDER_CDEV)
		return "its cdev";
	if (how & HOLDER_GROUP)
		return "its group";
	if (how & HOLDER_MMAP)
		return "a mapping of its BARs";
	if (how & HOLDER_UNNAMED)
		return "a VFIO device file the kernel does not name";
	return "";
}

char *holders_describe(const struct holder *list, size_t n, size_t uninspectable)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < n; i++) {
		const char *sep = i == 0 ? "" : (i + 1 == n && !uninspectable) ? " and " : ", ";
		const char *how = how_text(list[i].how);

		g_string_append_printf(s, "%s%ld", sep, (long)list[i].pid);
		if (*how)
			g_string_append_printf(s, " (%s)", how);
	}
	if (uninspectable)
		g_string_append_printf(s, "%s%zu process%s that could not be inspected",
				       n ? " and " : "", uninspectable, uninspectable == 1 ? "" : "es");
	return g_string_free(s, FALSE);
}

/* ---- the public view ---- */

struct vfr_holders {
	struct holders h;
	size_t uninspectable;
};

VFR_EXPORT int vfr_device_find_holders(struct vfr_device *dev, struct vfr_holders **ret,
				       struct vfr_error **reterr)
{
	struct vfr_holders *hs;
	int r;

	assert_return(dev && ret, -EINVAL);
	hs = g_new0(struct vfr_holders, 1);
	r = holders_find_many(&dev, 1, &hs->h, &hs->uninspectable, reterr);
	if (r < 0) {
		g_free(hs);
		return r;
	}
	*ret = hs;
	return 0;
}

VFR_EXPORT size_t vfr_holders_get_n(const struct vfr_holders *h)
{
	assert_return(h, 0);
	return h->h.certain->len;
}

VFR_EXPORT int vfr_holders_get_pid(const struct vfr_holders *h, size_t index)
{
	assert_return(h && index < h->h.certain->len, -1);
	return (int)g_array_index(h->h.certain, struct holder, index).pid;
}

VFR_EXPORT size_t vfr_holders_get_n_uncertain(const struct vfr_holders *h)
{
	assert_return(h, 0);
	return h->h.uncertain->len;
}

VFR_EXPORT int vfr_holders_get_uncertain_pid(const struct vfr_holders *h, size_t index)
{
	assert_return(h && index < h->h.uncertain->len, -1);
	return (int)g_array_index(h->h.uncertain, struct holder, index).pid;
}

/* The public mask is the internal one: the same bits, kept so. */
G_STATIC_ASSERT((int)VFR_HOLDER_GROUP == (int)HOLDER_GROUP &&
		(int)VFR_HOLDER_CDEV == (int)HOLDER_CDEV &&
		(int)VFR_HOLDER_DEVICE == (int)HOLDER_DEVICE &&
		(int)VFR_HOLDER_MMAP == (int)HOLDER_MMAP &&
		(int)VFR_HOLDER_UNNAMED == (int)HOLDER_UNNAMED);

VFR_EXPORT unsigned int vfr_holders_get_how(const struct vfr_holders *h, size_t index)
{
	assert_return(h && index < h->h.certain->len, 0);
	return g_array_index(h->h.certain, struct holder, index).how;
}

VFR_EXPORT unsigned int vfr_holders_get_uncertain_how(const struct vfr_holders *h, size_t index)
{
	assert_return(h && index < h->h.uncertain->len, 0);
	return g_array_index(h->h.uncertain, struct holder, index).how;
}

VFR_EXPORT int vfr_holders_get_self(const struct vfr_holders *h)
{
	assert_return(h, 0);
	return h->h.self ? 1 : h->h.self_uncertain ? -1 : 0;
}

VFR_EXPORT size_t vfr_holders_get_n_uninspectable(const struct vfr_holders *h)
{
	assert_return(h, 0);
	return h->uninspectable;
}

VFR_EXPORT void vfr_holders_free(struct vfr_holders *h)
{
	if (!h)
		return;
	holders_clear(&h->h);
	g_free(h);
}
